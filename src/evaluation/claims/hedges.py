"""Hedge words of Chinese official statistics and the interval of true values each one admits.

A reported figure is read as a statement that the true value lies in an interval. The rules follow how Chinese
statistical and news writing uses the words (GB/T 15835-2011 for numerals; the usage notes of 《现代汉语词典》 for
余/多/近/约; 国家统计局 usage, where 以上/以下 include the bound):

========== ================================ ============================================ =====================
hedge      words                            interval                                      example
========== ================================ ============================================ =====================
exact      (none, integer count)            [v, v]                                        16295件 -> [16295, 16295]
rounded    (none; decimal, %, 万/亿)         [v - s/2, v + s/2), s = last stated place     51.6% -> [51.55, 51.65)
about      约 大约 约为 大概 左右 上下        [v - p/2, v + p/2), p = last non-zero place   约7.3万 -> [72500, 73500)
near       近 将近 接近                      [v (1 - tol), v)                               近4000 -> [3800, 4000)
plus       余 多 (after the number)          [v, v + p)                                    450余 -> [450, 460)
over       超过 超 逾 多于 高于 大于          (v, inf)                                      超过100 -> (100, inf)
at_least   以上 不少于 不低于 至少 最少 (年)满  [v, inf)                                      60岁以上 -> [60, inf)
under      不到 不足 低于 少于 小于            [0, v)                                        不到15万 -> [0, 150000)
at_most    以下 以内 不超过 不高于 至多 最多    [0, v]                                        5人以下 -> [0, 5]
range      3至5 3-5 三到五 七八 三五           [a, b]                                        3至5个 -> [3, 5]
vague      数十 几百 十几 (a count of tens …)   [a, b), b exclusive                           数十场 -> [20, 100)
========== ================================ ============================================ =====================

``及以上``/``及以下`` read as 以上/以下 (60周岁及以上 -> [60, inf)). 数十 reads 数 as 几, "more than one and less
than ten" (《现代汉语词典》 几), so 数十 is two to nine tens, [20, 100), and never 10; 十几 is [11, 20).

``约4000`` is read at the precision of its last non-zero digit ([3500, 4500)): trailing zeros after 约 are not
stated precision. Upper and lower bounds stay open-ended (``inf``) or floored at zero (counts and levels cannot be
negative); a decline is encoded by negating the interval of its magnitude (:func:`negate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Interval", "hedge_interval", "negate", "PREFIX_HEDGES", "SUFFIX_HEDGES", "HEDGES"]

HEDGES = ("exact", "rounded", "about", "near", "plus", "over", "at_least", "under", "at_most", "range",
          "vague")

# Longest first so that 不超过 wins over 超过 and 大约 over 约.
PREFIX_HEDGES: dict[str, str] = dict(sorted({
    "大约": "about", "约为": "about", "大概": "about", "约": "about", "近似": "about",
    "将近": "near", "接近": "near", "近": "near",
    "超过": "over", "超": "over", "逾": "over", "多于": "over", "高于": "over", "大于": "over",
    "不少于": "at_least", "不低于": "at_least", "至少": "at_least", "最少": "at_least", "年满": "at_least",
    "满": "at_least",
    "不到": "under", "不足": "under", "低于": "under", "少于": "under", "小于": "under",
    "不超过": "at_most", "不高于": "at_most", "至多": "at_most", "最多": "at_most",
}.items(), key=lambda kv: -len(kv[0])))

SUFFIX_HEDGES: dict[str, str] = {
    "及以上": "at_least", "及以下": "at_most", "以上": "at_least", "以下": "at_most", "以内": "at_most",
    "左右": "about", "上下": "about", "内": "at_most",  # 内 only after a duration (3个工作日内)
    "余": "plus", "多": "plus",
}


@dataclass(frozen=True)
class Interval:
    """The set of true values a hedged figure admits."""

    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval, honouring open and closed ends."""
        above = x >= self.low if self.low_inclusive else x > self.low
        below = x <= self.high if self.high_inclusive else x < self.high
        return above and below


def negate(iv: Interval) -> Interval:
    """The interval of ``-x`` for ``x`` in ``iv`` (used for declines: 下降34.48% -> [-34.485, -34.475])."""
    return Interval(-iv.high, -iv.low, iv.high_inclusive, iv.low_inclusive)


def hedge_interval(value: Decimal | float | int, hedge: str, *, stated_place: Decimal | float = 1,
                   nonzero_place: Decimal | float | None = None, near_tolerance: float = 0.05,
                   range_high: Decimal | float | None = None) -> Interval:
    """Interval of true values admitted by a figure ``value`` reported with ``hedge``.

    Parameters
    ----------
    value : Decimal, float or int
        The figure as stated, multiplier applied (7.3万 -> 73000).
    hedge : str
        One of :data:`HEDGES` (see the module table).
    stated_place : Decimal or float
        Place value of the last stated digit (51.6 -> 0.1); the rounding unit of ``"rounded"``.
    nonzero_place : Decimal or float, optional
        Place value of the last non-zero digit (450 -> 10); the step of ``"plus"`` and the precision of ``"about"``.
        Defaults to ``stated_place``.
    near_tolerance : float
        Relative width of ``"near"`` (近): the interval is ``[value * (1 - tol), value)``.
    range_high : Decimal or float, optional
        Upper end of a ``"range"`` (included) or of a ``"vague"`` count (excluded).

    Returns
    -------
    Interval

    References
    ----------
    GB/T 15835-2011 《出版物上数字用法》; 《现代汉语词典》(第7版) entries 余, 多, 近, 约, 以上.

    Examples
    --------
    >>> hedge_interval(450, "plus", nonzero_place=10)
    Interval(low=450.0, high=460.0, low_inclusive=True, high_inclusive=False)
    """
    v = Decimal(str(value))
    s = Decimal(str(stated_place))
    p = Decimal(str(nonzero_place)) if nonzero_place is not None else s
    inf = math.inf
    if hedge == "exact":
        return Interval(float(v), float(v), True, True)
    if hedge == "rounded":
        return Interval(float(v - s / 2), float(v + s / 2), True, False)
    if hedge == "about":
        return Interval(float(v - p / 2), float(v + p / 2), True, False)
    if hedge == "near":
        if not 0 < near_tolerance < 1:
            raise ValueError("near_tolerance must lie in (0, 1)")
        return Interval(float(v * (1 - Decimal(str(near_tolerance)))), float(v), True, False)
    if hedge == "plus":
        return Interval(float(v), float(v + p), True, False)
    if hedge == "over":
        return Interval(float(v), inf, False, False)
    if hedge == "at_least":
        return Interval(float(v), inf, True, False)
    if hedge == "under":
        return Interval(0.0, float(v), True, False)
    if hedge == "at_most":
        return Interval(0.0, float(v), True, True)
    if hedge == "range":
        if range_high is None:
            raise ValueError("a range needs range_high")
        hi = Decimal(str(range_high))
        return Interval(float(min(v, hi)), float(max(v, hi)), True, True)
    if hedge == "vague":
        if range_high is None:
            raise ValueError("a vague count needs range_high")
        return Interval(float(v), float(Decimal(str(range_high))), True, False)
    raise ValueError(f"unknown hedge {hedge!r}; expected one of {HEDGES}")
