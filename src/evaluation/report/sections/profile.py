"""Notebook 60 (community profile, run for every community by ``jinlin profiles``): the community chosen, its
indicators against the district, its trend chart, its survey results and its events and petitions by category, as
display tables, sentences and records.

The computation is :mod:`evaluation.indicators.profile`; the tables here only format, withhold what rests on fewer
than ``min_cell`` cases (:func:`evaluation.privacy.suppress_table`, one count per row) and put the ``profile.`` words
of the catalogue on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ...indicators import profile as pr
from ...privacy import suppress_table
from ...text.i18n import plain, t
from ..display import code_label, shown, span

__all__ = ["HEADLINE_INDICATORS", "SHARE_ITEMS", "community", "indicator_table", "indicator_records",
           "trend_measures", "trend_split", "trend_figure", "has_survey", "survey_table", "survey_records",
           "count_table", "total_count"]

#: The indicators a profile records (as ``profile.<key without its first segment>``), beside its table.
HEADLINE_INDICATORS = ("grid.events_reported.per_10k", "grid.on_time_rate.share",
                       "participation.volunteers_registered.per_100")
#: Survey items that are shares of respondents (shown as percentages); the others are means on their scale.
SHARE_ITEMS = ("q_participated_12m", "q_volunteered_12m")


def _number(v: Any, share: bool = False) -> str:
    """A cell as text: withheld markers unchanged, shares as percentages, other figures with 2 decimals."""
    if isinstance(v, str):
        return v
    if v != v:  # NaN
        return "—"
    return f"{v:.1%}" if share else f"{v:,.2f}"


def _interval(lo: float, hi: float, share: bool = False) -> str:
    return span([lo], [hi], lambda v: _number(v, share))[0]


def _opt(v: Any) -> Any:
    """A figure for a record: None instead of NaN."""
    return None if v != v else v


def _cases(values: Iterable[Any]) -> list[Any]:
    """Case counts as text with thousands separators; withheld markers unchanged."""
    return [v if isinstance(v, str) else f"{v:,.0f}" for v in values]


def community(current: pd.DataFrame, wanted: str | None, lang: str) -> tuple[str, str]:
    """The community to profile and its name: ``wanted``, or the first current community when None (so that the
    notebook runs top to bottom by hand). ``current`` is :func:`evaluation.indicators.profile.current_communities`.

    Raises ValueError, naming the current communities, when ``wanted`` is not one of them.
    """
    cid = wanted or current["community_id"].iloc[0]
    if cid not in set(current["community_id"]):
        raise ValueError(t("profile.unknown_community", lang, cid=cid, known=", ".join(current["community_id"])))
    return cid, current.set_index("community_id").loc[cid, "name"]


def indicator_table(comparison: pd.DataFrame, min_cell: int, lang: str) -> pd.DataFrame:
    """The community's indicators against the district (:func:`~evaluation.indicators.profile.community_vs_district`)
    as a display table: value, interval, cases, the district's value and the rank with its confidence set
    (Mogstad et al. 2024). A row resting on fewer than ``min_cell`` cases shows none of the community's figures; the
    district column is never small."""
    share = comparison["indicator"].str.endswith(pr.SHARE_SUFFIXES)
    view = comparison.assign(
        community_ci=[_interval(lo, hi, s) for lo, hi, s in
                      zip(comparison["community_ci_low"], comparison["community_ci_high"], share)],
        rank=[t("profile.rank_set", lang, rank=int(r), low=int(lo), high=int(hi), n=k) if r == r else "—"
              for r, lo, hi, k in zip(comparison["rank"], comparison["rank_low"], comparison["rank_high"],
                                      comparison["n_peers"])])
    view = suppress_table(view, counts="cases", min_cell=min_cell, value_cols=["community_value", "community_ci", "rank"])
    view["indicator"] = [code_label("profile.ind", k, lang) for k in comparison["indicator"]]
    view["community_value"] = [_number(v, s) for v, s in zip(view["community_value"], share)]
    view["district_value"] = [_number(v, s) for v, s in zip(view["district_value"], share)]
    view["cases"] = _cases(view["cases"])
    return shown(view, ["indicator", "community_value", "community_ci", "cases", "district_value", "rank"], "profile",
                 lang)


def indicator_records(comparison: pd.DataFrame, min_cell: int) -> dict[str, dict[str, Any]]:
    """The :data:`HEADLINE_INDICATORS` the comparison holds, as record payloads: the community's value with its
    interval, cases, the district's value and the rank with its confidence set; ``{"value": None}`` when the
    community's figure rests on fewer than ``min_cell`` cases."""
    out: dict[str, dict[str, Any]] = {}
    for key in HEADLINE_INDICATORS:
        row = comparison[comparison["indicator"] == key]
        if not len(row):
            continue
        r, name = row.iloc[0], f"profile.{key.split('.', 1)[1]}"
        if r["cases"] >= min_cell:
            out[name] = {"value": r["community_value"], "ci_low": _opt(r["community_ci_low"]),
                         "ci_high": _opt(r["community_ci_high"]), "n": r["cases"], "district": r["district_value"],
                         "rank": _opt(r["rank"]), "rank_low": _opt(r["rank_low"]), "rank_high": _opt(r["rank_high"])}
        else:
            out[name] = {"value": None}
    return out


def trend_measures(trend: pd.DataFrame) -> list[str]:
    """The measures of :data:`~evaluation.indicators.profile.TREND_MEASURES` the trend has any row of, in order."""
    return [m for m in pr.TREND_MEASURES if (trend["measure"] == m).any()]


def trend_split(trend: pd.DataFrame, lang: str) -> str:
    """The sentence saying from which year the community's own figures start and which parent community's figures
    the trend shows before (the 2020 split); empty when no year is carried from a parent."""
    carried = trend[trend["carried"]]
    if not len(carried):
        return ""
    first = int(trend.loc[~trend["carried"] & (trend["area"] == "community"), "year"].min())
    parents = sorted(set(carried["source_id"]))
    return t("profile.trend_split", lang, year=first, parent=plain("punct.list", lang).join(parents))


def trend_figure(trend: pd.DataFrame, measures: Sequence[str], lang: str):
    """One panel per measure: the community (solid) and the district (dashed) over the years, each with its interval
    as a band. The parent community's years before the split (``carried``) have open markers and are drawn apart
    from the community's own, since they describe a different area. Returns the Figure (closed in pyplot)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(measures), figsize=(3.4 * len(measures), 3.2), squeeze=False)
    for ax, m in zip(axes[0], measures):
        for area, style, colour in (("community", "-", "#b22"), ("district", "--", "#456")):
            s = trend[(trend["measure"] == m) & (trend["area"] == area)]
            for part, face in ((s[s["carried"]], "white"), (s[~s["carried"]], colour)):
                ax.plot(part["year"], part["value"], style, marker="o", markersize=4, color=colour,
                        markerfacecolor=face, label=None if face == "white" else t(f"profile.legend.{area}", lang))
                ax.fill_between(part["year"], part["ci_low"], part["ci_high"], color=colour, alpha=0.15,
                                linewidth=0)
        ax.set(title=t(f"profile.measure.{m}", lang), xlabel=t("profile.axis.year", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0][0].legend(loc="best", fontsize="small")
    fig.tight_layout()
    plt.close(fig)  # shown where the notebook displays it, not a second time by the inline backend
    return fig


def has_survey(survey: pd.DataFrame | None) -> bool:
    """Whether the community's survey profile (:func:`~evaluation.indicators.profile.survey_profile`) has any
    respondent (None: the report year is no survey wave)."""
    return not (survey is None or survey.empty or survey["respondents"].max() == 0)


def survey_table(survey: pd.DataFrame, min_cell: int, lang: str) -> pd.DataFrame:
    """The community's survey items against the district as a display table (mean or share, interval, respondents,
    district); an item answered by fewer than ``min_cell`` respondents shows none of the community's figures."""
    share = survey["item"].isin(SHARE_ITEMS)
    view = survey.assign(community_ci=[_interval(lo, hi, s) for lo, hi, s in
                                       zip(survey["community_ci_low"], survey["community_ci_high"], share)])
    view = suppress_table(view, counts="respondents", min_cell=min_cell, value_cols=["community_mean", "community_ci"])
    view["item"] = [code_label("profile.item", i, lang) for i in survey["item"]]
    view["community_mean"] = [_number(v, s) for v, s in zip(view["community_mean"], share)]
    view["district_mean"] = [_number(v, s) for v, s in zip(view["district_mean"], share)]
    view["respondents"] = _cases(view["respondents"])
    return shown(view, ["item", "community_mean", "community_ci", "respondents", "district_mean"], "profile", lang)


def survey_records(survey: pd.DataFrame | None, min_cell: int) -> dict[str, dict[str, Any]]:
    """``profile.satisfaction_index.mean``: the community's index with its interval, respondents and the district's
    index; ``{"value": None}`` without a survey or with fewer than ``min_cell`` respondents."""
    key = "profile.satisfaction_index.mean"
    idx = survey[survey["item"] == "satisfaction_index"] if has_survey(survey) else pd.DataFrame()
    if not len(idx) or idx["respondents"].iloc[0] < min_cell:
        return {key: {"value": None}}
    r = idx.iloc[0]
    return {key: {"value": r["community_mean"], "ci_low": _opt(r["community_ci_low"]),
                  "ci_high": _opt(r["community_ci_high"]), "n": r["respondents"], "district": r["district_mean"]}}


def count_table(counts: pd.DataFrame, min_cell: int, lang: str, report_year: int, comparison_year: int) -> pd.DataFrame:
    """Records by category (:func:`~evaluation.indicators.profile.category_counts`) as a display table: the
    community in the comparison and the report year, the district in the report year; small counts withheld
    (:func:`~evaluation.indicators.profile.suppressed_counts`)."""
    view = pr.suppressed_counts(counts, min_cell)
    view["category"] = [t("profile.total", lang) if c == "All" else code_label("profile.cat", c, lang)
                        for c in counts["category"]]
    for c in ("community_comparison", "community_report", "district_report"):
        view[c] = [v if isinstance(v, str) else f"{v:,}" for v in view[c]]
    headers = {"category": t("profile.col.category", lang),
               "community_comparison": t("profile.col.community_comparison", lang, year=comparison_year),
               "community_report": t("profile.col.community_report", lang, year=report_year),
               "district_report": t("profile.col.district_report", lang, year=report_year)}
    return view[list(headers)].rename(columns=headers)


def total_count(counts: pd.DataFrame, min_cell: int) -> int | None:
    """The community's records of the report year over all categories; None when fewer than ``min_cell``."""
    total = counts[counts["category"] == "All"].iloc[0]
    return int(total["community_report"]) if total["community_report"] >= min_cell else None
