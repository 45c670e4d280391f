"""The summary page that opens the report: the headline findings with their intervals and caveats.

It reads only ``results.json`` figures (so it says nothing a notebook did not record) and takes every word from the
translation catalogue. A figure that a run did not record is left out rather than shown empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nbformat

from .escape import markdown_text
from .i18n import t

__all__ = ["HEADLINES", "summary_rows", "summary_cell"]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str  # catalogue key
    fmt: str  # number format of value and interval
    caveat: str = ""  # catalogue key of a caveat shown with the figure


HEADLINES: tuple[Headline, ...] = (
    Headline("survey.satisfaction_index.mean", "sum.satisfaction", "{:.1f}"),
    Headline("survey.migrant_gap.index", "sum.migrant_gap", "{:+.1f}"),
    Headline("impact.satisfaction_index.att", "sum.att_satisfaction", "{:+.2f}", "sum.caveat_impact"),
    Headline("impact.on_time_rate.att", "sum.att_on_time", "{:+.1%}", "sum.caveat_impact"),
    Headline("impact.log_time_to_close.att", "sum.att_time_to_close", "{:+.3f}", "sum.caveat_impact"),
    Headline("impact.participation_rate.att", "sum.att_participation", "{:+.1%}", "sum.caveat_impact"),
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
            interval = f"{_fmt(h.fmt, r['ci_low'])} – {_fmt(h.fmt, r['ci_high'])}"
        value = _fmt(h.fmt, r["value"])
        if lang == "zh" and isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool):
            value, interval = _zh_value(h, r, value, interval, has_ci)
        caveat = t(h.caveat, lang) if h.caveat else ""
        if h.key.startswith("impact.") and h.key.endswith(".att"):
            conclusion = results.get(h.key[: -len(".att")] + ".conclusion", {}).get("value")
            if conclusion:
                caveat = t(f"sum.conclusion.{conclusion}", lang)
        rows.append((t(h.label, lang), value, interval, caveat))
    return rows


def _zh_value(h: Headline, r: Mapping[str, Any], value: str, interval: str, has_ci: bool) -> tuple[str, str]:
    """Chinese conventions (:mod:`evaluation.report.numbers`): an effect on a rate in 百分点 with 提高/下降, a
    relative change with 增加/下降, a count of 10万 or more in 万."""
    from .numbers import zh_change, zh_change_interval, zh_number, zh_pp_change

    v = float(r["value"])
    lo, hi = (float(r["ci_low"]), float(r["ci_high"])) if has_ci else (None, None)
    if h.key.startswith("impact.") and "%" in h.fmt:
        return zh_pp_change(v), zh_change_interval(lo * 100, hi * 100, "个百分点") if has_ci else ""
    if h.key.endswith("yoy_change"):
        return (zh_change(v * 100, "%", 1, "增加", "下降"),
                zh_change_interval(lo * 100, hi * 100, "%", 1, "增加", "下降") if has_ci else "")
    if "{:,.0f}" in h.fmt:
        return zh_number(round(v)), interval
    return value, interval


def summary_cell(results: Mapping[str, Mapping[str, Any]], lang: str, synthetic: bool, level: float
                 ) -> nbformat.NotebookNode:
    """A Markdown cell: the prose 摘要 (:mod:`evaluation.report.abstract`), the summary heading, the notice, and
    the headline table."""
    from .abstract import abstract_markdown

    prose = abstract_markdown(results, lang, level)
    head = ([prose, ""] if prose else []) + [t("sum.title", lang), ""]
    if synthetic:
        head += [t("sum.synthetic", lang), ""]
    head += [t("sum.intro", lang, level=f"{level:.0%}"), "",
             f"| {t('sum.col.finding', lang)} | {t('sum.col.value', lang)} | {t('sum.col.interval', lang)} | "
             f"{t('sum.col.caveat', lang)} |", "|---|---:|---:|---|"]
    for finding, value, interval, caveat in summary_rows(results, lang):
        head.append(f"| {finding} | {value} | {interval or '—'} | {caveat} |")
    return nbformat.v4.new_markdown_cell("\n".join(head))
