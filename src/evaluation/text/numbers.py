"""Chinese number conventions for report text: 万/亿, 百分点, 下降/减少, and one precision per kind of figure.

Rules (GB/T 15835-2011 《出版物上数字用法》 and the usage of statistical bulletins, e.g. the 国家统计局 公报):

- a large number is written with 万 or 亿: 515000 -> 51.5万, 1.23e8 -> 1.23亿; exact counts below 10万 keep every
  digit without separators (16295件), as a reader checks them against the registers;
- a difference of two rates is in 百分点 (0.052 -> 提高5.2个百分点), never "+5.2%";
- a change is said with a verb: 提高/增加 for a rise, 下降/减少 for a fall, 持平 for none; the number after the verb
  has no sign;
- one precision per kind (:data:`PRECISION`): rates and shares one decimal of a percent, index points one decimal,
  effects on an index two decimals, hours one decimal, counts whole.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["zh_number", "zh_count", "zh_percent", "zh_points", "zh_change", "zh_pp_change", "zh_interval",
           "PRECISION", "three_sig", "magnitude", "p_text", "p_cell", "P_DIGITS",
           "nonzero_fixed", "nonzero_sig"]

PRECISION = {"share": 1, "index": 1, "effect": 2, "hours": 1, "count": 0, "ratio": 2}
# p-values to three decimals; one that rounds to 0.000 is written "< 0.001", as a p-value is never 0 (APA 7th ed.,
# 6.36: "report exact p values to two or three decimals ... p < .001")
P_DIGITS = 3


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def zh_number(x: float, digits: int = 1) -> str:
    """A number with 万/亿 when large: 515000 -> 51.5万, 123456789 -> 1.23亿, 16295 -> 16295, 2.5 -> 2.5."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        raise ValueError("no number to write")
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e8:
        return sign + _trim(f"{a / 1e8:.2f}") + "亿"
    if a >= 1e5:
        return sign + _trim(f"{a / 1e4:.{digits}f}") + "万"
    if float(a).is_integer():
        return sign + str(int(a))
    return sign + _trim(f"{a:.{digits}f}")


def zh_count(x: float, unit: str = "") -> str:
    """A count with its unit: 515000, "人" -> 51.5万人; 16295, "件" -> 16295件."""
    return zh_number(round(x), 1) + unit


def zh_percent(share: float, digits: int = PRECISION["share"]) -> str:
    """A share as a percent: 0.8996 -> 90.0%."""
    return f"{share * 100:.{digits}f}%"


def zh_points(x: float, digits: int = PRECISION["index"], unit: str = "分") -> str:
    return f"{abs(x):.{digits}f}{unit}"


def zh_change(x: float, unit: str = "", digits: int = 1, up: str = "提高", down: str = "下降") -> str:
    """A change said with a verb: +2.7 -> 提高2.7, -34.5 -> 下降34.5, 0 -> 持平."""
    if round(x, digits) == 0:
        return "持平"
    return (up if x > 0 else down) + f"{abs(x):.{digits}f}" + unit


def zh_pp_change(diff: float, digits: int = PRECISION["share"]) -> str:
    """A difference of two rates in 百分点: 0.052 -> 提高5.2个百分点, -0.013 -> 下降1.3个百分点."""
    return zh_change(diff * 100, "个百分点", digits)


def zh_interval(lo: float, hi: float, fmt) -> str:
    """An interval as "lo至hi" with each end written by ``fmt`` (a function of one number)."""
    return f"{fmt(lo)}至{fmt(hi)}"


def zh_change_interval(lo: float, hi: float, unit: str = "", digits: int = 1, up: str = "提高",
                       down: str = "下降") -> str:
    """The interval of a change in words: (0.033, 0.071) in points -> 提高3.3至7.1个百分点; (-21.3, -11.0) ->
    下降11.0至21.3; (-57.7, 0.3) -> 下降57.7%至增加0.3% (the verbs given). A limit that is not 0 never reads 0
    (:func:`nonzero_fixed`): (0.0399, 11.6) -> 提高0.0399至11.6, not 提高0.0至11.6 beside "the interval excludes 0"."""
    def w(x: float) -> str:
        return nonzero_fixed(abs(x), digits)

    if lo >= 0:
        return f"{up}{w(lo)}至{w(hi)}{unit}"
    if hi <= 0:
        return f"{down}{w(hi)}至{w(lo)}{unit}"
    return f"{down}{w(lo)}{unit}至{up}{w(hi)}{unit}"


def three_sig(x: float | None, ref: float | None = None, k: float = 1.0) -> str:
    """A figure for the text, '—' when missing: fixed decimals that give three significant digits to ``ref``
    (default the figure itself).

    An estimate and its interval pass the same ``ref`` (:func:`magnitude` of all three), so they share one
    precision, 2.70 (0.39 to 5.02), not 2.7 (0.387 to 5.02). ``k`` = 100 writes an effect on a share in percentage
    points (:func:`evaluation.impact.panels.display_scale`); ``ref`` is scaled with it.

    >>> three_sig(2.7, 5.02), three_sig(0.387, 5.02), three_sig(0.0581, k=100), three_sig(float("nan"))
    ('2.70', '0.39', '5.81', '—')
    """
    if x is None or not np.isfinite(x):
        return "—"
    x, ref = x * k, None if ref is None else ref * k
    ref = abs(x) if ref is None or not np.isfinite(ref) or ref == 0 else abs(ref)
    digits = max(0, 2 - int(np.floor(np.log10(ref)))) if ref > 0 else 2
    return f"{x:.{digits}f}"


def magnitude(*values: float | None) -> float | None:
    """The largest absolute finite value (None when there is none): the ``ref`` of :func:`three_sig` that gives an
    estimate and its interval limits one precision.

    >>> magnitude(2.7, 0.387, -5.02, float("nan"), None)
    5.02
    """
    vals = [abs(v) for v in values if v is not None and np.isfinite(v)]
    return max(vals) if vals else None


def p_cell(p: float | None, digits: int = P_DIGITS) -> str:
    """A p-value for a table cell: ``digits`` decimals, "<0.001" when it would round to 0 (a p-value is never 0),
    "—" when missing.

    >>> p_cell(0.0123), p_cell(0.0004), p_cell(1.0), p_cell(float("nan"))
    ('0.012', '<0.001', '1.000', '—')
    """
    if p is None or isinstance(p, str) or not np.isfinite(p):
        return p if isinstance(p, str) else "—"
    text = f"{p:.{digits}f}"
    return f"<{10 ** -digits:.{digits}f}" if float(text) == 0 else text


def p_text(p: float | None, digits: int = P_DIGITS) -> str:
    """A p-value for a sentence, the part after "p": "= 0.012", or "< 0.001" when it would round to 0.000 (a p-value
    is never 0); "= —" when missing. Catalogue texts write "p {p}", never "p = {p}".

    >>> p_text(0.0123), p_text(0.0004), p_text(None)
    ('= 0.012', '< 0.001', '= —')
    """
    cell = p_cell(p, digits)
    return "< " + cell[1:] if cell.startswith("<") else "= " + cell


def nonzero_fixed(x: float, digits: int, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals (and its sign when ``sign``); but a figure that is not 0 and would read 0 at
    that precision gets three significant digits (:func:`three_sig`): an interval limit beside "excludes 0" must not
    read 0.

    >>> nonzero_fixed(11.58, 1), nonzero_fixed(0.0399, 1), nonzero_fixed(0.0399, 1, sign=True), nonzero_fixed(0, 1)
    ('11.6', '0.0399', '+0.0399', '0.0')
    """
    text = f"{x:{'+' if sign else ''}.{digits}f}"
    if x != 0 and float(text) == 0:
        text = ("+" if sign and x > 0 else "") + three_sig(x)
    return text


def nonzero_sig(x: float | None, ref: float | None = None, k: float = 1.0) -> str:
    """:func:`three_sig` for an interval limit: the precision of ``ref``, but a limit that is not 0 and would read 0
    at it gets three significant digits of its own (0.0399 to 11.6, not 0.0 to 11.6 beside "excludes 0").

    >>> three_sig(0.000399, 0.116, k=100), nonzero_sig(0.000399, 0.116, k=100), nonzero_sig(0.0581, 0.116, k=100)
    ('0.0', '0.0399', '5.8')
    """
    text = three_sig(x, ref, k)
    if text != "—" and x != 0 and float(text) == 0:
        text = three_sig(x, k=k)
    return text
