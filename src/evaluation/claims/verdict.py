"""Verdicts: each matched figure of a submission against the value recomputed from the district's data.

Verdict rules (in this order; ``reason`` names the branch taken):

* **not_checkable** (``unparsed``) — extraction could not read the figure's value (kind ``unparsed``); it is never
  judged on a guessed number.
* **qualitative** — the figure is a slogan, structural formula, date, ordinal or enumeration with no indicator
  (``no_figure``), or ``claims.yaml`` excludes it (``ignored``).
* **not_checkable** — a countable figure that no rule matches (``no_indicator``); a matched indicator the data do
  not yield, naming the absent table or the columns it needs (``missing_data``); or a figure whose period the data
  cannot give (``period``: e.g. a year other than the report year for an indicator computed for one year only).
* **contradicted** — the figure's interval (what its hedge admits, :mod:`~evaluation.claims.hedges`; open and
  closed ends honoured) lies wholly outside the recomputed figure's 95 % confidence interval (``reason``
  ``outside_ci``). This applies to *estimates* only: figures from a sample or a model (sections ``survey`` and
  ``impact``, or a figure object with ``"sampled": true``). A figure computed from a complete administrative
  register (every other section: counts, and also rates and changes such as 266/516 promoted workers or the
  58 → 38 petition change) has no sampling error even when it carries an interval (that interval reads the register
  as one draw of a process, which a claim about the register itself does not depend on), so it keeps the strict rule:
  the claim is contradicted when the value lies outside the claim's interval (``outside_interval``). A figure object
  may say ``"sampled": false`` to force the strict rule.
* **within_sampling_error** — the recomputed point estimate lies outside the claim's interval, but the two
  intervals meet: the difference is one sampling error can explain (a claim of 60 % against an estimate of 55.5 %
  with 95 % CI [49 %, 62 %]). Reason ``inside_ci``. The boundary: a claimed [59.5 %, 60.5 %) meets a CI ending at
  59.5 % (both closed there) but not one starting at 60.5 % (the claim's end is open).
* **fragile** — the value lies inside the interval but its uncertainty is large. With the figure's
  ``ci_low``/``ci_high`` (a 95 % interval, on the scale of the claim):

  - for a *change*, when the interval reaches the band of negligible change ``[−negligible_change,
    +negligible_change]`` (default ±5 %, which includes 0): the data cannot rule out that nothing changed. The
    year-on-year petition change carries the exact conditional interval of the Poisson rate ratio (R
    ``poisson.test``), so 58 → 38 (−34.48 %, interval ≈ −58 % … +0.3 %) is fragile;
  - for a *level* (count, rate, amount), when the interval's half-width exceeds ``max_relative_halfwidth``
    (default 25 %) of the value: a proportion from 31 workers (Wilson half-width ≈ 17 points on 51.6 %) is
    fragile, one from 516 workers (≈ 4 points) is not.

  Census counts carry no interval and are never fragile.
* **supported** — inside the interval and not fragile.

A rate given in % is compared with a proportion indicator (rule ``scale`` = ``fraction``) ×100, so 51.6 % is
checked against 100 × 266/516 = 51.55 %; intervals are reported on the claim's scale. Each end of a two-row change
(从10个……优化为43个; 从不到15万人增长到50多万人) is checked on its own, at its own period: a figure object may carry
``by_year`` (``{year: value}``) for indicators known for several years (population), which the from-end of 10年前
uses.

References
----------
Przyborowski & Wilenski (1940) and R ``stats::poisson.test`` (exact rate-ratio interval); Wilson (1927) for the
proportion intervals of :mod:`evaluation.indicators.headline`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from evaluation.claims.hedges import Interval
from evaluation.claims.match import parse_requires

__all__ = ["verdict_claims", "context_figures", "audit_figures", "is_sampled", "VERDICTS", "QUALITATIVE_KINDS",
           "VERDICT_COLUMNS", "format_interval", "interval_text", "figure_text", "SHOWN_DIGITS",
           "shown_digits", "figure_digits", "ci_digits", "claim_interval"]

VERDICTS = ("supported", "fragile", "within_sampling_error", "contradicted", "not_checkable", "qualitative")
QUALITATIVE_KINDS = ("slogan", "structural", "date", "ordinal", "enumeration")
VERDICT_COLUMNS = (
    "claim_id", "raw", "sentence", "value", "unit", "kind", "role", "linked_id", "hedge", "low", "high",
    "low_inclusive", "high_inclusive", "period",
    "figure_year", "indicator", "match_rule", "computed", "interval", "n", "ci_low", "ci_high", "ci", "data_files",
    "verdict", "reason", "explanation_zh", "explanation_en",
)
# Periods that mean "as things stand at the end of the report year" (the conventions' "active at the end of Y").
_CURRENT_PERIODS = ("unspecified", "cumulative")


# --- figures the audit needs beyond the headline table ----------------------------------------------------------
def _dates(values: pd.Series) -> pd.Series:
    return values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values, errors="coerce")


def _valid_on(communities: pd.DataFrame, day: pd.Timestamp) -> int:
    start = _dates(communities["valid_from"]) if "valid_from" in communities else pd.Series(pd.NaT, communities.index)
    end = _dates(communities["valid_to"]) if "valid_to" in communities else pd.Series(pd.NaT, communities.index)
    ok = (start.isna() | (start <= day)) & (end.isna() | (end >= day))
    return int(ok.sum())


def context_figures(tables: Mapping[str, pd.DataFrame], report_year: int,
                    data_cutoff=None) -> dict[str, dict[str, Any]]:
    """Figures a submission states about the district itself, which :func:`headline_figures` does not give.

    * ``data.population.resident``: Σ ``population.resident_pop`` in the report year, with ``by_year`` for every
      year in the table (the from-end of 常住人口从10年前……).
    * ``data.communities.current``: communities valid on 31 December of the report year, or on the day of the data
      cut-off when one is given (a community that opens after the cut-off is not yet in the data).
    * ``data.communities.legacy``: communities valid the day before the earliest ``community_lineage``
      effective date (原来的10个社区).
    """
    y = int(report_year)
    out: dict[str, dict[str, Any]] = {}
    pop = tables.get("population")
    if pop is not None and {"year", "resident_pop"} <= set(pop.columns):
        by = pd.to_numeric(pop["resident_pop"], errors="coerce").groupby(
            pd.to_numeric(pop["year"], errors="coerce")).sum(min_count=1).dropna()
        by_year = {int(k): float(v) for k, v in by.items()}
        if y in by_year:
            out["data.population.resident"] = {"value": by_year[y], "by_year": by_year}
    com = tables.get("communities")
    if com is not None and len(com):
        day = pd.Timestamp(year=y, month=12, day=31)
        if data_cutoff is not None:
            day = min(day, pd.Timestamp(data_cutoff).normalize())
        out["data.communities.current"] = {"value": _valid_on(com, day)}
        lin = tables.get("community_lineage")
        if lin is not None and len(lin) and "effective_date" in lin.columns:
            first = _dates(lin["effective_date"]).min()
            if pd.notna(first):
                out["data.communities.legacy"] = {"value": _valid_on(com, first - pd.Timedelta(days=1))}
    return out


def audit_figures(tables: Mapping[str, pd.DataFrame], report_year: int,
                  data_cutoff=None) -> dict[str, dict[str, Any]]:
    """The headline figures (:func:`evaluation.indicators.headline_figures`) plus :func:`context_figures`, both as
    the data stood at ``data_cutoff`` (default: the end of the report year)."""
    from evaluation.indicators import headline_figures

    out = dict(headline_figures(dict(tables), report_year, data_cutoff))
    out.update(context_figures(tables, report_year, data_cutoff))
    return out


# --- formatting ---------------------------------------------------------------------------------------------------
# Significant digits of a recomputed figure in the Chinese texts and tables: enough to tell it from the claim at the
# claim's own precision (34.4828% shows as 34.48%, 51.5504% as 51.55%), no more (issue 17).
SHOWN_DIGITS = 4


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    suffix = unit if unit in ("%", "‰") else ""
    if abs(x - round(x)) < 1e-9:
        return f"{int(round(x)):,}{suffix}"
    # Four decimals show the bounds of a two-decimal hedge (−34.485) and a recomputed rate (51.5504).
    return f"{x:,.4f}".rstrip("0").rstrip(".") + suffix


def format_interval(low: float, high: float, low_inclusive: bool, high_inclusive: bool, unit: str = "") -> str:
    """``[3,800, 4,000)`` style, honouring open and closed ends; a point prints as ``[16,295]``."""
    if low == high and low_inclusive and high_inclusive:
        return f"[{_fmt(low, unit)}]"
    return f"{'[' if low_inclusive else '('}{_fmt(low, unit)}, {_fmt(high, unit)}{']' if high_inclusive else ')'}"


def shown_digits(test: Callable[..., bool], *values: float) -> int:
    """The significant digits to show ``values`` with: :data:`SHOWN_DIGITS`, or more until the rounded values give
    ``test`` (a claim's interval contains the figure; meets the confidence interval) the answer the exact ones give.

    Why: a verdict is decided on the exact figure, and the sentence beside it must not contradict it. 51.5496%
    rounds to 51.55% at four digits, which a claim of 51.6% ([51.55%, 51.65%)) admits; "contradicted: … is 51.55%"
    would read as an error, so it shows 51.5496%. Whole numbers are never rounded (:func:`figure_text`).
    """
    want = test(*values)
    for d in range(SHOWN_DIGITS, 18):
        if test(*(v if float(v).is_integer() else float(f"{float(v):.{d}g}") for v in values)) == want:
            return d
    return 17


def figure_digits(x: float, iv: Interval | None) -> int:
    """:func:`shown_digits` of a recomputed figure beside the claim's interval ``iv`` (none: :data:`SHOWN_DIGITS`)."""
    return SHOWN_DIGITS if iv is None else shown_digits(lambda v: _contains(iv, v), float(x))


def ci_digits(lo: float, hi: float, iv: Interval | None) -> int:
    """:func:`shown_digits` of a confidence interval's limits beside the claim's interval ``iv``."""
    return SHOWN_DIGITS if iv is None else shown_digits(lambda a, b: _meets(iv, a, b), float(lo), float(hi))


def figure_text(x: float | None, unit: str = "", lang: str = "zh", kind: str = "",
                significant: int | None = None) -> str:
    """A figure of the audit for a reader: 515000 -> 51.5万 (zh) or 515,000 (en), -34.48 with unit % -> -34.48%, a
    year (kind ``date``) 1993 -> 1993; never the float repr ``1993.000000`` (issue 17). Chinese follows
    :func:`evaluation.text.numbers.zh_number` (万/亿, no separators below 10万), with up to four decimals so the
    bounds of a two-decimal hedge (−34.485) stay exact. A recomputed figure passes ``significant`` (:data:`SHOWN_DIGITS`):
    its float is rounded to that many significant digits for the reader (51.5504% -> 51.55%), a whole count stays
    whole; the verdict itself uses the unrounded value."""
    from evaluation.text.numbers import zh_number

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if kind == "date" and x.is_integer():
        return str(int(x))
    if significant and not x.is_integer():
        x = float(f"{x:.{significant}g}")
    if lang != "zh":
        return _fmt(x, unit)
    return zh_number(x, 4) + (unit if unit in ("%", "‰") else "")


def interval_text(low: float, high: float, low_inclusive: bool, high_inclusive: bool, unit: str = "",
                  lang: str = "zh", kind: str = "") -> str:
    """The values a claim's wording admits, in words rather than the notation of :func:`format_interval`:
    [3800, 4000) -> 3800至4000（不含4000）, [0, 150000) -> 少于15万, [3, ∞) -> 不少于3, [27, 27] -> 27; in English
    "3,800 to under 4,000", "under 150,000", "at least 3", "27". A bracket and a comma read as a string of code
    to an office (issue 17); the notation stays in ``interval`` for JSON and the English explanations."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return ""
    low, high, low_inclusive, high_inclusive = float(low), float(high), bool(low_inclusive), bool(high_inclusive)
    from evaluation.text.i18n import plain

    a, b = figure_text(low, unit, lang, kind), figure_text(high, unit, lang, kind)
    lang = "zh" if lang == "zh" else "en"
    if low == high:
        return a
    unbounded_below = math.isinf(low) or (low == 0 and low_inclusive and unit not in ("%", "‰"))
    if math.isinf(high) and unbounded_below:
        key = "any"
    elif math.isinf(high):
        key = "at_least" if low_inclusive else "more_than"
    elif unbounded_below:
        key = "at_most" if high_inclusive else "under"
    else:
        key = {(True, True): "closed", (True, False): "high_open", (False, True): "low_open",
               (False, False): "open"}[(low_inclusive, high_inclusive)]
    return plain(f"claims.range.{key}", lang, a=a, b=b)


def _contains(iv: Interval, x: float) -> bool:
    # Recomputed values pass through floating point (266/516 × 100); an inclusive bound within 1e-9 relative is met.
    eps = 1e-9 * max(1.0, abs(x))
    above = x >= iv.low - eps if iv.low_inclusive else x > iv.low + eps
    below = x <= iv.high + eps if iv.high_inclusive else x < iv.high - eps
    return above and below


def _meets(iv: Interval, lo: float, hi: float) -> bool:
    """Whether the claim's interval ``iv`` and the closed confidence interval ``[lo, hi]`` share a point."""
    eps = 1e-9 * max(1.0, abs(lo), abs(hi))
    low_ok = iv.low < hi - eps or (iv.low_inclusive and iv.low <= hi + eps)
    high_ok = iv.high > lo + eps or (iv.high_inclusive and iv.high >= lo - eps)
    return low_ok and high_ok


def _num(fig: Mapping[str, Any], key: str) -> float | None:
    v = fig.get(key)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


SAMPLED_SECTIONS = ("survey", "impact")


def is_sampled(indicator: str, fig: Mapping[str, Any]) -> bool:
    """Whether a recomputed figure is an estimate with sampling (or model) error, rather than an exact register value.

    The figure object's own ``sampled`` flag wins; otherwise the section of its dotted key decides
    (:data:`SAMPLED_SECTIONS`)."""
    flag = fig.get("sampled")
    if flag is not None:
        return bool(flag)
    return indicator.split(".", 1)[0] in SAMPLED_SECTIONS


def _by_year(fig: Mapping[str, Any], year: int) -> float | None:
    by = fig.get("by_year") or {}
    for k in (year, str(year)):
        if k in by and by[k] is not None:
            return float(by[k])
    return None


def _factor(unit: str, scale: str) -> float:
    if scale == "fraction":
        return {"%": 100.0, "‰": 1000.0}.get(unit, 1.0)
    return 1.0


# --- the verdict --------------------------------------------------------------------------------------------------
def claim_interval(row: Any) -> Interval | None:
    """The interval a claim row admits (its ``low``, ``high`` and inclusive ends: a verdict row or a matched claim),
    or None without one; the one construction the verdict and every table that shows its figures use."""
    if any(pd.isna(getattr(row, a, None)) for a in ("low", "high")):
        return None
    return Interval(float(row.low), float(row.high), bool(row.low_inclusive), bool(row.high_inclusive))


def _row_verdict(r, figures: Mapping[str, Mapping[str, Any]], hashes: Mapping[str, str], report_year: int,
                 max_relative_halfwidth: float, negligible_change: float) -> dict[str, Any]:
    kind, unit, raw = str(r.kind), str(r.unit), str(r.raw)
    indicator = str(r.indicator) if pd.notna(r.indicator) else ""
    out: dict[str, Any] = {"figure_year": pd.NA, "computed": np.nan, "n": pd.NA, "ci_low": np.nan,
                           "ci_high": np.nan, "ci": "", "data_files": "", "interval": ""}
    if pd.notna(r.low) and pd.notna(r.high):
        out["interval"] = format_interval(float(r.low), float(r.high), bool(r.low_inclusive),
                                          bool(r.high_inclusive), unit)
    end_zh = {"from": "（变化的起点）", "to": "（变化的终点）"}.get(str(r.role), "")
    end_en = {"from": " (start of the change)", "to": " (end of the change)"}.get(str(r.role), "")

    def done(verdict: str, reason: str, zh: str, en: str) -> dict[str, Any]:
        out.update(verdict=verdict, reason=reason, explanation_zh=zh, explanation_en=en)
        return out

    if kind == "unparsed":
        return done("not_checkable", "unparsed",
                    f"无法核验：未能可靠读取“{raw}”的数值（不作猜测）。如需核验，请改写为明确的数字，或在 claims.yaml 中"
                    "排除。",
                    f"Not checkable: the value of '{raw}' could not be read with certainty (no guess is made). Write "
                    "it as a plain figure, or exclude it in claims.yaml.")
    if bool(getattr(r, "ignored", False)):
        return done("qualitative", "ignored", "按 claims.yaml 的设置不作核验。",
                    "Excluded from the audit by claims.yaml.")
    if not indicator:
        if kind in QUALITATIVE_KINDS:
            from evaluation.text.i18n import CATALOGUE  # the Chinese name of the kind: no code in Chinese text

            kind_zh = CATALOGUE.get(f"val.kind.{kind}", {}).get("zh", kind)
            return done("qualitative", "no_figure",
                        f"“{raw}”是口号、结构式、日期、序数或列举（{kind_zh}），不是可复算的数量，作定性处理。",
                        f"'{raw}' is a slogan, formula, date, ordinal or list ({kind}), not a quantity that data "
                        "can recompute; treated as qualitative.")
        return done("not_checkable", "no_indicator",
                    f"无法核验：没有与“{raw}”对应的指标。如数据中有相应指标，可在 claims.yaml 中手工指定。",
                    f"Not checkable: no indicator corresponds to '{raw}'. If the data hold one, pin it in "
                    "claims.yaml.")
    required = parse_requires(str(r.requires) if pd.notna(r.requires) else "")
    out["data_files"] = "; ".join(f"{t}:{hashes[t][:12]}" for t in required if t in hashes)
    fig = figures.get(indicator)
    value = _num(fig, "value") if fig is not None else None
    if value is None:
        absent = [t for t in required if t not in hashes] if hashes else []
        if absent:
            return done("not_checkable", "missing_data",
                        f"无法核验：数据中没有{'、'.join(absent)}表，无法复算 {indicator}。",
                        f"Not checkable: table(s) {', '.join(absent)} absent from the data, so {indicator} cannot "
                        "be recomputed.")
        need = "；".join(f"{t}（{'、'.join(c)}）" if c else t for t, c in required.items()) or indicator
        need_en = "; ".join(f"{t} ({', '.join(c)})" if c else t for t, c in required.items()) or indicator
        return done("not_checkable", "missing_data",
                    f"无法核验：数据无法给出 {indicator}；所需数据为 {need}，请检查这些列是否齐全、有无当年记录。",
                    f"Not checkable: the data do not yield {indicator}; it needs {need_en}. Check that these "
                    "columns exist and hold records for the period.")
    period = str(r.period)
    if pd.notna(r.period_year):
        year = int(r.period_year)
    elif period in _CURRENT_PERIODS:
        year = int(report_year)
    else:
        return done("not_checkable", "period",
                    f"无法核验：“{raw}”所指期间为“{period}”，数据只给出 {indicator} 在{report_year}年（年末）的值。",
                    f"Not checkable: '{raw}' refers to the period '{period}', while the data give {indicator} for "
                    f"{report_year} (year end) only.")
    if pd.notna(r.compare_year) and int(r.compare_year) != year - 1:
        return done("not_checkable", "period",
                    f"无法核验：“{raw}”与{int(r.compare_year)}年比较，而 {indicator} 是与上一年的比较。",
                    f"Not checkable: '{raw}' compares with {int(r.compare_year)}, while {indicator} compares with "
                    "the year before.")
    if year != int(report_year):
        value = _by_year(fig, year)
        if value is None:
            return done("not_checkable", "period",
                        f"无法核验：“{raw}”指{year}年，数据只给出 {indicator} 在{report_year}年的值。",
                        f"Not checkable: '{raw}' refers to {year}, while the data give {indicator} for "
                        f"{report_year} only.")
    out["figure_year"] = year
    k = _factor(unit, str(r.scale) if pd.notna(r.scale) else "")
    computed = value * k
    out["computed"] = computed
    n = fig.get("n")
    out["n"] = int(n) if n is not None and year == int(report_year) else pd.NA
    lo, hi = _num(fig, "ci_low"), _num(fig, "ci_high")
    has_ci = year == int(report_year) and lo is not None and hi is not None
    if has_ci:
        out["ci_low"], out["ci_high"] = lo * k, hi * k
        out["ci"] = f"[{_fmt(lo * k, unit)}, {_fmt(hi * k, unit)}]"
    iv = claim_interval(r)
    # the sentences show the recomputed figure and its interval at SHOWN_DIGITS significant digits (51.55%, not
    # 51.5504%), or more where fewer would put them on the other side of the claim's bounds than the verdict says
    # (shown_digits); ``ci`` keeps the full notation for JSON
    dc = figure_digits(computed, iv)
    dci = ci_digits(out["ci_low"], out["ci_high"], iv) if has_ci else SHOWN_DIGITS
    c_txt = figure_text(computed, unit, "en", significant=dc)
    ci_shown = (f"[{figure_text(out['ci_low'], unit, 'en', significant=dci)}, "
                f"{figure_text(out['ci_high'], unit, 'en', significant=dci)}]") if has_ci else ""
    # Chinese sentences write figures and intervals as words, with 万 (interval_text); English keeps the notation
    c_zh = figure_text(computed, unit, significant=dc)
    iv_zh = interval_text(float(r.low), float(r.high), bool(r.low_inclusive), bool(r.high_inclusive), unit, "zh", kind)
    ci_range = (f"{figure_text(out['ci_low'], unit, significant=dci)}至"
                f"{figure_text(out['ci_high'], unit, significant=dci)}") if has_ci else ""
    ci_words = f"（{ci_range}）"
    n_txt = f"，n = {out['n']}" if out["n"] is not pd.NA else ""
    n_en = f", n = {out['n']}" if out["n"] is not pd.NA else ""
    if not _contains(iv, computed):
        if not has_ci or not is_sampled(indicator, fig):
            return done("contradicted", "outside_interval",
                        f"与数据不符{end_zh}：原文“{raw}”允许的区间为{iv_zh}，而{year}年复算值为{c_zh}。"
                        "复算值是登记数据的精确值，没有抽样误差，按严格规则判断：复算值须落在原文允许的区间内。",
                        f"Contradicted{end_en}: '{raw}' allows {out['interval']}, but the value recomputed for {year} "
                        f"is {c_txt}. The recomputed value is exact (a register count, no sampling error), so the "
                        "strict rule applies: it must lie inside the interval the claim allows.")
        if _meets(iv, out["ci_low"], out["ci_high"]):
            return done("within_sampling_error", "inside_ci",
                        f"在抽样误差范围内{end_zh}：{year}年复算值{c_zh}不在原文“{raw}”允许的区间{iv_zh}内，"
                        f"但该区间与复算值的95%置信区间（{ci_range}{n_txt}）相交，差异可由抽样误差解释。规则：只有原文区间"
                        "完全落在置信区间之外才判为不符。",
                        f"Within sampling error{end_en}: the value recomputed for {year}, {c_txt}, lies outside the "
                        f"interval {out['interval']} that '{raw}' allows, but that interval meets the 95% confidence "
                        f"interval {ci_shown}{n_en} of the recomputed value, so sampling error can explain the "
                        "difference. Rule: a claim is contradicted only when its interval lies wholly outside the "
                        "confidence interval.")
        return done("contradicted", "outside_ci",
                    f"与数据不符{end_zh}：原文“{raw}”允许的区间{iv_zh}完全落在{year}年复算值{c_zh}的95%置信"
                    f"区间（{ci_range}{n_txt}）之外，抽样误差也无法解释。规则：原文区间与置信区间不相交即判为不符。",
                    f"Contradicted{end_en}: the interval {out['interval']} that '{raw}' allows lies wholly outside the "
                    f"95% confidence interval {ci_shown}{n_en} of the value recomputed for {year}, {c_txt}; sampling "
                    "error cannot explain it. Rule: a claim whose interval does not meet the confidence interval is "
                    "contradicted.")
    if has_ci:
        if kind == "change":
            band = negligible_change * k
            if out["ci_low"] <= band and out["ci_high"] >= -band:
                return done("fragile", "ci_includes_negligible_change",
                            f"数值相符但不稳：复算值{c_zh}落在“{raw}”允许的区间内，但95%置信区间{ci_words}"
                            f"延伸到±{figure_text(band, unit)}以内的微小变化（含零）{n_txt}，数据不能排除“几乎没有变化”。",
                            f"Fragile: the recomputed {c_txt} lies inside what '{raw}' allows, but its 95% interval "
                            f"{ci_shown} reaches a negligible change (within ±{_fmt(band, unit)}, including 0"
                            f"{n_en}): the data cannot rule out that little or nothing changed.")
        else:
            half = (out["ci_high"] - out["ci_low"]) / 2
            if abs(computed) > 0 and half > max_relative_halfwidth * abs(computed):
                return done("fragile", "wide_ci",
                            f"数值相符但不稳：复算值{c_zh}落在“{raw}”允许的区间内，但95%置信区间{ci_words}"
                            f"的半宽超过数值的{max_relative_halfwidth:.0%}{n_txt}，基数太小。",
                            f"Fragile: the recomputed {c_txt} lies inside what '{raw}' allows, but its 95% interval "
                            f"{ci_shown} has a half-width above {max_relative_halfwidth:.0%} of the value{n_en}: "
                            "the base is small.")
    ci_zh = f"（95%置信区间{ci_range}{n_txt}）" if has_ci else ""
    ci_en = f" (95% interval {ci_shown}{n_en})" if has_ci else ""
    return done("supported", "inside_interval",
                f"与数据相符{end_zh}：{year}年复算值{c_zh}{ci_zh}落在原文“{raw}”允许的区间{iv_zh}内。",
                f"Supported{end_en}: the value recomputed for {year}, {c_txt}{ci_en}, lies inside the interval "
                f"{out['interval']} that '{raw}' allows.")


def verdict_claims(matched: pd.DataFrame, figures: Mapping[str, Mapping[str, Any]],
                   data_hashes: Mapping[str, str] | None, report_year: int, *,
                   max_relative_halfwidth: float = 0.25, negligible_change: float = 0.05) -> pd.DataFrame:
    """Give each matched figure a verdict against the recomputed value for its period.

    Parameters
    ----------
    matched : DataFrame
        Output of :func:`~evaluation.claims.match.match_claims`.
    figures : dict
        ``{dotted key: {"value", and optionally "n", "ci_low", "ci_high", "by_year"}}`` — as
        :func:`audit_figures` (or :func:`evaluation.indicators.headline_figures`) returns. Proportions and changes
        are fractions (0.516, −0.3448).
    data_hashes : dict or None
        ``{table: sha256}`` of the data files (``District.files[t].sha256``); tables not listed are taken as absent.
    report_year : int
        今年; figures with no period are read as at the end of this year.
    max_relative_halfwidth, negligible_change : float
        The two fragility thresholds (module docstring).

    Returns
    -------
    pandas.DataFrame
        :data:`VERDICT_COLUMNS`, one row per figure in text order: the claim, the indicator and rule, ``computed``
        (on the claim's scale), ``interval`` (what the hedge admits), ``n``, ``ci_low``/``ci_high``/``ci``,
        ``data_files`` (``table:short sha256`` of the tables used), ``verdict`` (one of :data:`VERDICTS`),
        ``reason`` and a plain explanation in Chinese and English.

    Examples
    --------
    >>> from evaluation.claims import extract_claims, match_claims
    >>> m = match_claims(extract_claims("今年办结网格事件16295件。"))
    >>> v = verdict_claims(m, {"grid.events_closed.count": {"value": 16295}}, {"grid_events": "ab" * 32}, 2024)
    >>> v[["raw", "computed", "verdict"]].values.tolist()
    [['16295件', 16295.0, 'supported']]
    """
    if not 0 < max_relative_halfwidth or not 0 <= negligible_change:
        raise ValueError("max_relative_halfwidth must be > 0 and negligible_change >= 0")
    hashes = {str(k): str(v) for k, v in (data_hashes or {}).items()}
    rows = []
    for r in matched.itertuples(index=False):
        res = _row_verdict(r, figures, hashes, int(report_year), max_relative_halfwidth, negligible_change)
        base = {c: getattr(r, c) for c in VERDICT_COLUMNS if c in matched.columns and c not in res}
        rows.append({**base, **res})
    out = pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))
    for c in ("claim_id", "raw", "sentence", "unit", "kind", "role", "linked_id", "hedge", "period", "indicator",
              "match_rule", "interval", "ci", "data_files", "verdict", "reason", "explanation_zh",
              "explanation_en"):
        out[c] = out[c].astype("string")
    for c in ("value", "low", "high", "computed", "ci_low", "ci_high"):
        out[c] = out[c].astype("float64")
    for c in ("figure_year", "n"):
        out[c] = out[c].astype("Int64")
    for c in ("low_inclusive", "high_inclusive"):  # kept so that a table can say the interval in words
        out[c] = out[c].astype("boolean")
    return out
