"""Notebook 00 (data quality): what each of its sections shows and records.

Each section function takes the loaded district (and the run's parameters or language) and returns what the section
shows, in order (texts as :class:`~IPython.display.Markdown`, tables as Stylers, charts as Figures; an empty list when
the district has no such table), and the figures it records, as :func:`~evaluation.report.record.record_many` takes
them. The computation is :mod:`evaluation.data.quality`'s, whose docstrings define the recorded keys; here are the
choices of display: which rows a table shows, in what format, and which sentence when there is nothing to show.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...data import quality as dq
from ...text.i18n import plain, t
from ..display import md, table_view
from ..plots import heatmap, new_axes

__all__ = ["intro", "table_counts", "current_communities", "coverage", "missing", "validation", "lineage", "survey"]

Records = dict[str, dict[str, Any]]


def intro(params) -> str:
    """The opening paragraph: what the notebook shows, then the report year and the smallest published cell."""
    lang = params.language
    return t("dq.intro", lang) + " " + t("run_params", lang, year=params.report_year, min_cell=params.min_cell)


def table_counts(district, lang: str) -> tuple[list, Records]:
    """Rows per table (:func:`~evaluation.data.quality.table_overview`), with thousands separators."""
    overview = dq.table_overview(district.tables, district.files)
    records = {"data.tables.count": {"value": len(overview)}}
    records.update({f"data.rows.{r.table}": {"value": r.rows} for r in overview.itertuples()})
    return [table_view(overview, lang, {"rows": "{:,}"})], records


def current_communities(communities: pd.DataFrame) -> pd.DataFrame:
    """The communities that exist now: no ``valid_to`` (every row when the table has no such column)."""
    return communities[communities["valid_to"].isna()] if "valid_to" in communities else communities


def coverage(district, lang: str) -> tuple[list, Records]:
    """Grid-event records by community and year as a heatmap (none without grid events), and the communities that
    exist now beside all those listed (legacy ones included)."""
    shown = []
    if district.has("grid_events"):
        grid = dq.records_by_community_year(district["grid_events"], dq.TIME_COLUMN["grid_events"])
        shown.append(heatmap(grid, title=t("fig.coverage", lang), xlabel=t("axis.year", lang),
                             ylabel=t("axis.community", lang), colorbar=t("axis.records", lang)))
    communities = district["communities"]
    return shown, {"data.communities.current": {"value": len(current_communities(communities))},
                   "data.communities.listed": {"value": len(communities)}}


def missing(district, lang: str) -> tuple[list, Records]:
    """The columns with missing values, most missing first, whether each is required in words (or the sentence that
    none has any); records how many required columns have missing values."""
    miss = dq.missingness(district.tables)
    gaps = miss[miss["missing_share"] > 0].sort_values("missing_share", ascending=False)
    if gaps.empty:
        shown = [md("dq.missing_none", lang)]
    else:
        gaps = gaps.assign(required=gaps["required"].map({True: t("yes", lang), False: t("no", lang)}))
        shown = [table_view(gaps, lang, {"missing_share": "{:.1%}"})]
    return shown, {"data.missing.required_cells": {"value": int((miss["required"] & (miss["missing_share"] > 0)).sum())}}


def validation(district, lang: str) -> tuple[list, Records]:
    """The loader's warnings counted by file, rule and message (or the sentence that there were none), and how many
    survey answers held a missing-value code that the loader turned into a missing value."""
    warn = dq.problems_frame(district.warnings)
    if warn.empty:
        shown = [md("dq.warnings_none", lang)]
    else:
        shown = [table_view(warn.groupby(["file", "rule", "message"]).size().rename("count").reset_index(), lang)]
    n_recoded = sum(v for k, v in district.recoded_missing.items() if k.startswith("survey_responses."))
    if n_recoded:
        shown.append(md("dq.recoded", lang, n=f"{n_recoded:,}"))
    return shown, {"data.validation.warnings": {"value": len(warn)},
                   "data.survey.missing_codes_recoded": {"value": n_recoded}}


def lineage(district, lang: str) -> tuple[list, Records]:
    """How many old communities became how many new ones and when, and a bar of the successors of each old
    community; nothing without a lineage table."""
    if not district.has("community_lineage"):
        return [], {}
    lin = dq.lineage_summary(district["community_lineage"])
    kids = lin["children_per_parent"]
    ax = new_axes(figsize=(7.5, 3))
    ax.bar(kids.index.astype(str), kids.values, color="#b22")
    ax.set(xlabel=t("col.from_id", lang), ylabel=t("col.to_id", lang))
    return ([md("dq.lineage", lang, n_from=lin["n_from"], n_to=lin["n_to"]),
             md("dq.lineage_note", lang, n_from=lin["n_from"], n_to=lin["n_to"], date=", ".join(lin["dates"])), ax.figure],
            {"data.lineage.from_communities": {"value": lin["n_from"]},
             "data.lineage.to_communities": {"value": lin["n_to"]}})


def survey(district, params) -> tuple[list, Records]:
    """The survey's design, respondents and median completion per wave against ``survey_planned_n`` per community,
    and the spread of the communities' completion by wave; records the report year's wave. Nothing without survey
    responses."""
    if not district.has("survey_responses"):
        return [], {}
    import seaborn as sns

    lang, planned = params.language, params.survey_planned_n
    responses = district["survey_responses"]
    design = dq.survey_design_kind(responses)
    comp = dq.survey_completion(responses, planned,
                                district["community_lineage"] if district.has("community_lineage") else None)
    by_wave = comp.groupby("wave").agg(respondents=("respondents", "sum"), communities=("community_id", "nunique"),
                                       completion=("completion", "median")).reset_index()
    ax = new_axes()
    sns.boxplot(data=comp, x="wave", y="completion", ax=ax, color="#8ab")
    ax.set(title=t("fig.completion", lang), xlabel=t("col.wave", lang), ylabel=t("axis.completion", lang))
    this_year = comp[comp["wave"] == params.report_year]
    return ([md("dq.survey", lang), md("dq.design", lang, design=plain(f"design.{design}", lang)),
             md("dq.survey_note", lang, planned=planned),
             table_view(by_wave, lang, {"respondents": "{:,}", "completion": "{:.0%}"}), ax.figure],
            {"data.survey.respondents": {"value": int(this_year["respondents"].sum()), "n": len(this_year)},
             "data.survey.completion_median": {"value": float(this_year["completion"].median())
                                               if len(this_year) else None}})
