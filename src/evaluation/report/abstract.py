"""The prose 摘要 that opens the report: the main findings in sentences, with their intervals and caveats.

It reads only recorded figures (``results.json``), like the headline table of :mod:`evaluation.report.summary`, and
writes numbers by the Chinese conventions of :mod:`evaluation.text.numbers` (万/亿, 百分点 for differences of rates,
提高/下降 for changes). A sentence whose figures a run did not record is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..indicators.panel_outcomes import OUTCOMES, SHARE_OUTCOMES
from ..indicators.registry import indicator
from ..text.i18n import plain, t
from ..text.numbers import nonzero_fixed, zh_change, zh_change_interval, zh_count, zh_percent, zh_pp_change
from .summary import exploratory, impact_conclusion_text

__all__ = ["abstract_paragraphs", "abstract_markdown", "impact_outcomes"]


def _num(r: Mapping[str, Any] | None, field: str = "value") -> float | None:
    if not r:
        return None
    v = r.get(field)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        return None
    return float(v)


def _ci(r) -> tuple[float, float] | None:
    lo, hi = _num(r, "ci_low"), _num(r, "ci_high")
    return (lo, hi) if lo is not None and hi is not None else None


def impact_outcomes(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The impact outcomes the abstract reports: every one with a recorded effect and interval, none chosen by its
    result. The pre-specified (primary) outcomes come first, then the exploratory ones, each group in the order of
    :data:`~evaluation.indicators.panel_outcomes.OUTCOMES`; leaving out a primary outcome whose verdict is "cannot
    tell" while showing exploratory ones would report selectively."""
    names = [n for n in OUTCOMES if _num(results.get(f"impact.{n}.att")) is not None
             and _ci(results.get(f"impact.{n}.att")) is not None]
    return sorted(names, key=lambda n: exploratory(f"impact.{n}", results))


def abstract_paragraphs(results: Mapping[str, Mapping[str, Any]], lang: str, confidence: float) -> list[str]:
    """The 摘要's paragraphs (Markdown text, no heading), in ``lang``; ``confidence`` is the run's, as the intervals'
    coverage in the text."""
    # numbers are written by the language's convention: Chinese 万/亿, 提高/下降 and 百分点 (evaluation.text.numbers),
    # English signed figures; the words come from the catalogue
    zh = lang == "zh"
    lv = f"{confidence:.0%}"
    get = results.get
    out: list[str] = []

    first = []
    sat = get("survey.satisfaction_index.mean")
    if _num(sat) is not None and _ci(sat):
        lo, hi = _ci(sat)
        first.append(t("abs.satisfaction", lang, level=lv, value=plain("abs.score", lang, value=f"{_num(sat):.1f}"),
                       interval=plain("abs.score_range", lang, lo=f"{lo:.1f}", hi=f"{hi:.1f}")))
    gap = get("survey.migrant_gap.index")
    if _num(gap) is not None and _ci(gap):
        v = _num(gap)
        lo, hi = sorted(abs(x) for x in _ci(gap)) if _ci(gap)[0] * _ci(gap)[1] > 0 else _ci(gap)
        first.append(t("abs.gap", lang, direction=plain("abs.lower" if v < 0 else "abs.higher", lang),
                       value=plain("abs.points", lang, value=f"{abs(v):.1f}"),
                       interval=plain("abs.score_range", lang, lo=f"{lo:.1f}", hi=f"{hi:.1f}")))
    if first:
        out.append(plain("punct.sentences", lang).join(first))

    items = []
    for name in impact_outcomes(results):
        # the kind of figure is declared once, in the indicator registry (SHARE_OUTCOMES is its shares): a share's
        # effect is in percentage points, a log outcome's a relative change, a rate's in its own unit, a mean's in
        # points
        kind = "pp" if name in SHARE_OUTCOMES else "log" if name.startswith("log_") else \
            "rate" if indicator(f"impact.{name}").kind == "rate" else "points"
        r = get(f"impact.{name}.att")
        v, ci = _num(r), _ci(r)
        # English: signed figures, the unit words and the range from the catalogue; a limit that is not 0 never
        # reads 0 (nonzero_fixed), as the conclusion beside it may say the interval excludes 0
        if kind == "points":
            change, interval = zh_change(v, "分", 2), zh_change_interval(ci[0], ci[1], "分", 2)
            en = (plain("abs.points", lang, value=f"{v:+.2f}"),
                  plain("punct.range", lang, lo=nonzero_fixed(ci[0], 2, True), hi=nonzero_fixed(ci[1], 2, True)))
        elif kind == "pp":
            change = zh_pp_change(v)
            interval = zh_change_interval(ci[0] * 100, ci[1] * 100, "个百分点", 1)
            en = (plain("abs.pp", lang, value=f"{v * 100:+.1f}"),
                  plain("punct.range", lang, lo=nonzero_fixed(ci[0] * 100, 1, True),
                        hi=nonzero_fixed(ci[1] * 100, 1, True)))
        elif kind == "rate":  # a count per so many residents, in its own unit
            unit = plain(f"abs.unit.{name}", "zh")
            change = zh_change(v, unit, 2, "增加", "减少")
            interval = zh_change_interval(ci[0], ci[1], unit, 2, "增加", "减少")
            en = (plain(f"abs.unit.{name}", lang, value=f"{v:+.2f}"),
                  plain("punct.range", lang, lo=nonzero_fixed(ci[0], 2, True), hi=nonzero_fixed(ci[1], 2, True)))
        else:  # an effect on log hours is a relative change of exp(effect) - 1
            rel = [math.expm1(x) * 100 for x in (v, *ci)]
            change = zh_change(rel[0], "%", 1, up="延长", down="缩短")
            interval = zh_change_interval(rel[1], rel[2], "%", 1, up="延长", down="缩短")
            en = (f"{rel[0]:+.1f}%", plain("punct.range", lang, lo=nonzero_fixed(rel[1], 1, True) + "%",
                                          hi=nonzero_fixed(rel[2], 1, True) + "%"))
        if not zh:
            change, interval = en
        # the conclusion is already Markdown (t() escaped its values): the item is put together with plain()
        note = impact_conclusion_text(f"impact.{name}", results, lang) or t("sum.caveat_impact", lang)
        items.append(plain("abs.impact_item", lang, outcome=plain(f"abs.outcome.{name}", lang), change=change,
                           interval=interval, conclusion=note))
    if items:
        out.append(plain("abs.impact_list", lang, lead=t("abs.impact_lead", lang),
                         items=plain("punct.clauses", lang).join(items)))

    second = []
    closed, on_time, hours = (get("grid.events_closed.count"), get("grid.on_time_rate.share"),
                              get("grid.time_to_close.median_hours"))
    if _num(closed) is not None and _num(on_time) is not None and _num(hours) is not None:
        ci = _ci(on_time)
        # the number convention (Chinese percentages, :mod:`evaluation.text.numbers`) is chosen here; the words are
        # the catalogue's
        pct = zh_percent if zh else (lambda x: f"{x:.1%}")
        interval = plain("abs.grid_interval", lang, lo=pct(ci[0]), hi=pct(ci[1])) if ci else ""
        second.append(t("abs.grid", lang, closed=zh_count(_num(closed)) if zh else f"{_num(closed):,.0f}",
                        on_time=zh_percent(_num(on_time)), interval=interval, hours=f"{_num(hours):.1f}"))
    pet = get("petitions.real_estate.yoy_change")
    if _num(pet) is not None and _ci(pet):
        lo, hi = _ci(pet)
        if zh:
            second.append(t("abs.petitions", lang, change=zh_change(_num(pet) * 100, "%", 1, "增加", "下降"),
                            interval=zh_change_interval(lo * 100, hi * 100, "%", 1, "增加", "下降")))
        else:
            second.append(t("abs.petitions", lang, change=f"{_num(pet):+.1%}",
                            interval=plain("punct.range", lang, lo=f"{lo:+.1%}", hi=f"{hi:+.1%}")))
        if lo < 0 < hi:
            second.append(t("abs.petitions_caveat", lang))
    if second:
        out.append(plain("punct.sentences", lang).join(second))

    third = []
    acts, pt = get("participation.activities.count"), get("participation.attendance.person_times")
    if _num(acts) is not None and _num(pt) is not None:
        third.append(t("abs.participation", lang, activities=zh_count(_num(acts)) if zh else f"{_num(acts):,.0f}",
                       person_times=zh_count(_num(pt)) if zh else f"{_num(pt):,.0f}"))
    cov = get("service_circle.coverage.share")
    if _num(cov) is not None:
        third.append(t("abs.coverage", lang, share=zh_percent(_num(cov))))
    checked, contra = get("claims.figures.checked"), get("claims.verdict.contradicted")
    if _num(checked) is not None and _num(contra) is not None:
        # a figure that agrees only within sampling error, or fragilely, is not confirmed: the sentence says so
        unsure = sum(int(_num(get(f"claims.verdict.{v}")) or 0) for v in ("fragile", "within_sampling_error"))
        third.append(t("abs.claims", lang, checked=int(_num(checked)), contradicted=int(_num(contra)),
                       unsure=plain("abs.claims_unsure", lang, n=unsure) if unsure else ""))
    if third:
        out.append(plain("punct.sentences", lang).join(third))
    if out:
        out.append(t("abs.caveat", lang, level=lv))
    return out


def abstract_markdown(results: Mapping[str, Mapping[str, Any]], lang: str, confidence: float) -> str:
    """The 摘要 as Markdown: its heading and paragraphs; empty when the run recorded none of its figures."""
    paras = abstract_paragraphs(results, lang, confidence)
    return "\n\n".join([t("abs.title", lang), *paras]) if paras else ""
