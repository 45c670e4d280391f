"""The summary page that opens the report: the headline findings with their intervals and caveats.

It reads only ``results.json`` figures (so it says nothing a notebook did not record) and takes every word from the
translation catalogue. A figure that a run did not record is left out rather than shown empty.

Every caveat is chosen from the figure it sits beside (:func:`caveat_for`): the small-count caveat only when the
interval includes no change, and worded for a rise or a fall; an impact estimate carries the sentence of its recorded
conclusion code, with the breakdown value it rests on, and "exploratory" when its outcome is secondary; its label
says "Effect of the model on ..." only when the conclusion is ``clear``, and "DiD estimate (ATT)" otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import re

import nbformat

from ..impact.summary import verdict_wording
from ..indicators.panel_outcomes import SHARE_OUTCOMES
from ..text.escape import markdown_text
from ..text.i18n import plain, t
from ..text.numbers import nonzero_fixed, p_text, three_sig

__all__ = ["HEADLINES", "summary_rows", "summary_cell", "caveat_for", "label_for", "exploratory"]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str  # catalogue key
    fmt: str  # number format of value and interval
    caveat: str = ""  # catalogue key of a caveat shown with the figure
    estimate_label: str = ""  # catalogue key of the label when the figure is not a clear effect (impact rows)


HEADLINES: tuple[Headline, ...] = (
    Headline("survey.satisfaction_index.mean", "sum.satisfaction", "{:.1f}"),
    Headline("survey.migrant_gap.index", "sum.migrant_gap", "{:+.1f}"),
    Headline("impact.satisfaction_index.att", "sum.att_satisfaction", "{:+.2f}", "sum.caveat_impact",
             "sum.did_satisfaction"),
    Headline("impact.on_time_rate.att", "sum.att_on_time", "{:+.1%}", "sum.caveat_impact", "sum.did_on_time"),
    Headline("impact.log_time_to_close.att", "sum.att_time_to_close", "{:+.3f}", "sum.caveat_impact",
             "sum.did_time_to_close"),
    Headline("impact.participation_rate.att", "sum.att_participation", "{:+.1%}", "sum.caveat_impact",
             "sum.did_participation"),
    Headline("impact.real_estate_petitions_per_10k.att", "sum.att_petitions", "{:+.2f}", "sum.caveat_impact",
             "sum.did_petitions"),
    Headline("grid.events_closed.count", "sum.events_closed", "{:,.0f}"),
    Headline("grid.on_time_rate.share", "sum.on_time", "{:.1%}"),
    Headline("grid.time_to_close.median_hours", "sum.median_hours", "{:.1f}"),
    Headline("petitions.real_estate.yoy_change", "sum.petitions_change", "{:+.1%}", "sum.caveat_small_counts"),
    Headline("participation.activities.count", "sum.activities", "{:,.0f}"),
    Headline("participation.attendance.person_times", "sum.person_times", "{:,.0f}", "sum.caveat_person_times"),
    Headline("service_circle.coverage.share", "sum.coverage", "{:.1%}"),
    Headline("claims.figures.checked", "sum.claims_checked", "{:,.0f}"),
    Headline("claims.verdict.contradicted", "sum.claims_contradicted", "{:,.0f}"),
)


def _fmt(fmt: str, v: Any) -> str:
    try:
        return fmt.format(v)
    except (TypeError, ValueError):
        return markdown_text(v)  # a recorded text, not a number: it goes into Markdown as literal text


def _limit(fmt: str, v: Any) -> str:
    """An interval limit in the headline's format, but never reading 0 when it is not 0 (beside "the interval
    excludes 0"): such a limit gets three significant digits (:func:`~evaluation.text.numbers.three_sig`), with the
    format's sign and percent sign."""
    text = _fmt(fmt, v)
    m = re.fullmatch(r"\{:(\+?),?\.\d+([f%])\}", fmt)
    if m and isinstance(v, (int, float)) and v != 0 and not re.search(r"[1-9]", text):
        percent = m.group(2) == "%"
        text = ("+" if m.group(1) and v > 0 else "") + three_sig(v, k=100 if percent else 1) + ("%" if percent else "")
    return text


def _includes_zero(r: Mapping[str, Any]) -> bool | None:
    lo, hi = r.get("ci_low"), r.get("ci_high")
    if lo is None or hi is None:
        return None
    return lo <= 0 <= hi


def exploratory(stem: str, results: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the impact outcome ``stem`` (``impact.<outcome>``) was recorded as secondary: not fixed in advance."""
    return results.get(stem + ".role", {}).get("value") == "secondary"


def impact_conclusion_text(stem: str, results: Mapping[str, Mapping[str, Any]], lang: str) -> str | None:
    """The sentence of the recorded verdict on one impact outcome (``<stem>.conclusion``), with its breakdown value
    and Holm p-value, marked exploratory for a secondary outcome; None when no verdict was recorded."""
    conclusion = results.get(stem + ".conclusion", {}).get("value")
    if not conclusion:
        return None
    bd = results.get(stem + ".breakdown_mbar", {}).get("value")
    p = results.get(stem + ".p_value", {})
    secondary = exploratory(stem, results)
    text = t(f"sum.conclusion.{verdict_wording(conclusion, not secondary)}", lang,
             bd="—" if bd is None else f"{bd:.2f}", p=p_text(p.get("p_holm")))
    if secondary:
        text = t("sum.exploratory", lang) + text
    return text


def caveat_for(h: Headline, results: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """The caveat of one headline, chosen from its own figures (empty when none applies)."""
    r = results[h.key]
    if h.key.startswith("impact.") and h.key.endswith(".att"):
        text = impact_conclusion_text(h.key[: -len(".att")], results, lang)
        if text is None:
            return t(h.caveat, lang) if h.caveat else ""
        return text
    if h.caveat == "sum.caveat_small_counts":
        # the claim "the interval includes no change" is made only when it does, and for the direction shown
        if not _includes_zero(r):
            return ""
        return t("sum.caveat_small_counts_rise" if r["value"] > 0 else "sum.caveat_small_counts", lang)
    return t(h.caveat, lang) if h.caveat else ""


def label_for(h: Headline, results: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """The finding's label: an effect of the model only when the recorded conclusion is ``clear`` on a pre-specified
    outcome (:func:`~evaluation.impact.summary.verdict_wording`)."""
    if h.estimate_label:
        stem = h.key[: -len(".att")]
        conclusion = results.get(stem + ".conclusion", {}).get("value")
        if conclusion is None or verdict_wording(conclusion, not exploratory(stem, results)) != "clear":
            return t(h.estimate_label, lang)
    return t(h.label, lang)


def summary_rows(results: Mapping[str, Mapping[str, Any]], lang: str) -> list[tuple[str, str, str, str]]:
    """``(finding, value, interval, caveat)`` for each headline the run recorded."""
    rows = []
    for h in HEADLINES:
        r = results.get(h.key)
        if r is None or r.get("value") is None:
            continue
        interval = ""
        has_ci = r.get("ci_low") is not None and r.get("ci_high") is not None
        if has_ci:
            interval = plain("punct.range", lang, lo=_limit(h.fmt, r["ci_low"]), hi=_limit(h.fmt, r["ci_high"]))
        value = _fmt(h.fmt, r["value"])
        numeric = isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool)
        if lang == "zh" and numeric:
            value, interval = _zh_value(h, r, value, interval, has_ci)
        elif numeric and _rate_difference(h):
            value, interval = _points(r, lang, has_ci)
        rows.append((label_for(h, results, lang), value, interval, caveat_for(h, results, lang)))
    return rows


def _rate_difference(h: Headline) -> bool:
    """An effect on a rate: a difference of two shares, written in percentage points, never as a percent change
    (the outcomes the abstract writes so too)."""
    parts = h.key.split(".")
    return parts[0] == "impact" and parts[-1] == "att" and parts[1] in SHARE_OUTCOMES


def _points(r: Mapping[str, Any], lang: str, has_ci: bool) -> tuple[str, str]:
    """A difference of rates and its interval in percentage points: 0.052 -> "+5.2 pp", "+3.3 to +7.1 pp" (a
    limit that is not 0 never reads 0: :func:`~evaluation.text.numbers.nonzero_fixed`, as in the abstract)."""
    value = plain("sum.pp", lang, value=f"{float(r['value']) * 100:+.1f}")
    if not has_ci:
        return value, ""
    lo, hi = (nonzero_fixed(float(r[k]) * 100, 1, sign=True) for k in ("ci_low", "ci_high"))
    return value, plain("sum.pp", lang, value=plain("punct.range", lang, lo=lo, hi=hi))


def _zh_value(h: Headline, r: Mapping[str, Any], value: str, interval: str, has_ci: bool) -> tuple[str, str]:
    """Chinese conventions (:mod:`evaluation.text.numbers`): an effect on a rate in 百分点 with 提高/下降, a
    relative change with 增加/下降, a count of 10万 or more in 万."""
    from ..text.numbers import zh_change, zh_change_interval, zh_number, zh_pp_change

    v = float(r["value"])
    lo, hi = (float(r["ci_low"]), float(r["ci_high"])) if has_ci else (None, None)
    if _rate_difference(h):
        return zh_pp_change(v), zh_change_interval(lo * 100, hi * 100, "个百分点") if has_ci else ""
    if h.key.endswith("yoy_change"):
        return (zh_change(v * 100, "%", 1, "增加", "下降"),
                zh_change_interval(lo * 100, hi * 100, "%", 1, "增加", "下降") if has_ci else "")
    if "{:,.0f}" in h.fmt:
        return zh_number(round(v)), interval
    return value, interval


def summary_cell(results: Mapping[str, Mapping[str, Any]], lang: str, synthetic: bool, confidence: float
                 ) -> nbformat.NotebookNode:
    """A Markdown cell: the prose 摘要 (:mod:`evaluation.report.abstract`), the summary heading, the notice, and
    the headline table."""
    from .abstract import abstract_markdown

    prose = abstract_markdown(results, lang, confidence)
    head = ([prose, ""] if prose else []) + [t("sum.title", lang), ""]
    if synthetic:
        head += [t("sum.synthetic", lang), ""]
    head += [t("sum.intro", lang, level=f"{confidence:.0%}"), "",
             f"| {t('sum.col.finding', lang)} | {t('sum.col.value', lang)} | {t('sum.col.interval', lang)} | "
             f"{t('sum.col.caveat', lang)} |", "|---|---:|---:|---|"]
    for finding, value, interval, caveat in summary_rows(results, lang):
        head.append(f"| {finding} | {value} | {interval or '—'} | {caveat} |")
    return nbformat.v4.new_markdown_cell("\n".join(head))
