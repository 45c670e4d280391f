"""Notebook 10 (participation and organisation): which indicators each table shows and how, the tables themselves,
the sentences that depend on the data, and the records of the section.

The indicator lists below are the one definition of what the chapter publishes: each entry is ``(indicator key,
number format, denominator)``, where the denominator is the catalogue key naming what a share or a rate is taken
over (``part.den.*``), or None to read it from the key's last segment (:data:`DEN`: per 1,000 residents, per
community …). The computation is :func:`evaluation.indicators.organisation_indicators` and
:func:`evaluation.indicators.participation_indicators`; the tables here only select, format and withhold
(:mod:`evaluation.indicators.tables`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...indicators.tables import carried_indicators, community_table, district_rows, estimate_text, group_table
from ...text.i18n import plain, t
from ..display import code_label
from ..record import tidy_to_records

__all__ = ["ORG", "PART", "CO", "ORGS", "DEN", "ORG_BY_COMMUNITY", "PART_BY_COMMUNITY", "ATTENDANCE",
           "summary", "shown_communities", "community_view", "carried_note", "attendance_table",
           "attendance_figure", "records", "has_indicator"]

Spec = tuple[tuple[str, str, str | None], ...]

#: Organisation: every count with its per-1,000 and per-community rates; the proportions with their denominators.
ORG: Spec = (
    ("organisation.paired_units.count", "{:,.0f}", None),
    ("organisation.paired_units.per_1k", "{:.3f}", None),
    ("organisation.paired_units.per_community", "{:.2f}", None),
    ("organisation.returned_party_members.count", "{:,.0f}", None),
    ("organisation.returned_party_members.per_1k", "{:.2f}", None),
    ("organisation.returned_party_members.per_community", "{:.1f}", None),
    ("organisation.part_time_committee_members.count", "{:,.0f}", None),
    ("organisation.part_time_committee_members.per_1k", "{:.3f}", None),
    ("organisation.part_time_committee_members.per_community", "{:.2f}", None),
    ("organisation.part_time_committee_members.share_communities_ge3", "{:.1%}", None),
    ("organisation.joint_meetings.count", "{:,.0f}", None),
    ("organisation.joint_meetings.per_1k", "{:.3f}", None),
    ("organisation.joint_meetings.per_community", "{:.2f}", None),
    ("organisation.issues_resolved.count", "{:,.0f}", None),
    ("organisation.issues_resolved.share", "{:.1%}", "part.den.issues_raised"),
    ("organisation.community_workers.count", "{:,.0f}", None),
    ("organisation.community_workers.per_1k", "{:.2f}", None),
    ("organisation.workers_promoted.rate", "{:.1%}", "part.den.workers"),
    ("organisation.workers_certified.rate", "{:.1%}", "part.den.workers"),
    ("organisation.departments_sent_down.count", "{:,.0f}", None),
    ("grid.staff.count", "{:,.0f}", None),
    ("grid.staff.per_1k", "{:.2f}", None),
)

#: Participation: volunteers, service hours, activities and person-times.
PART: Spec = (
    ("participation.volunteers_registered.count", "{:,.0f}", None),
    ("participation.volunteers_registered.per_100", "{:.2f}", None),
    ("participation.volunteers_active.share", "{:.1%}", "part.den.volunteers"),
    ("participation.service_hours.total", "{:,.0f}", None),
    ("participation.service_hours.per_capita", "{:.3f}", None),
    ("participation.service_hours.per_volunteer", "{:.2f}", "part.den.volunteers"),
    ("participation.service_hours.per_active_volunteer", "{:.2f}", "part.den.active"),
    ("participation.activities.count", "{:,.0f}", None),
    ("participation.activities.per_1k", "{:.2f}", None),
    ("participation.attendance.person_times", "{:,.0f}", None),
    ("participation.attendance.person_times_per_100", "{:.1f}", None),
    ("participation.attendance.person_times_per_community", "{:,.0f}", None),
)

#: Co-organised activities, as shares of the activities.
CO: Spec = (
    ("participation.co_organised.share", "{:.1%}", "part.den.activities"),
    ("participation.co_organisers_listed.share", "{:.1%}", "part.den.activities"),
)

#: Community organisations and funds.
ORGS: Spec = (
    ("participation.csos_active.count", "{:,.0f}", None),
    ("participation.csos_active.per_10k", "{:.2f}", None),
    ("participation.csos_active.per_community", "{:.1f}", None),
    ("participation.volunteer_teams_active.count", "{:,.0f}", None),
    ("participation.volunteer_teams_active.per_10k", "{:.2f}", None),
    ("participation.community_funds.count", "{:,.0f}", None),
    ("participation.fund_inflow_cny.total", "{:,.0f}", None),
    ("participation.fund_inflow_cny.per_capita", "{:.2f}", None),
    ("participation.fund_leverage.ratio", "{:.2f}", None),
)

#: What a rate is taken over, by the last segment of its key (when the list names no denominator).
DEN: Mapping[str, str] = {
    "per_1k": "part.den.residents", "per_10k": "part.den.residents", "per_100": "part.den.residents",
    "person_times_per_100": "part.den.residents", "per_capita": "part.den.residents",
    "per_community": "part.den.communities", "person_times_per_community": "part.den.communities",
    "share_communities_ge3": "part.den.communities",
}

#: The organisation table by community: columns, the cases behind each (shares: their denominator) and formats.
ORG_BY_COMMUNITY: Mapping[str, Mapping[str, str]] = {
    "columns": {"part_paired": "organisation.paired_units.count",
                "part_committee": "organisation.part_time_committee_members.count",
                "part_meetings": "organisation.joint_meetings.count",
                "part_workers": "organisation.community_workers.count",
                "part_promoted": "organisation.workers_promoted.rate",
                "part_certified": "organisation.workers_certified.rate",
                "part_staff": "grid.staff.count"},
    "cases": {"part_promoted": "denominator", "part_certified": "denominator"},
    "formats": {"part_paired": "{:,.4g}", "part_committee": "{:,.4g}", "part_meetings": "{:,.4g}",
                "part_workers": "{:,.4g}", "part_promoted": "{:.0%}", "part_certified": "{:.0%}",
                "part_staff": "{:,.4g}"},
}

#: The participation table by community, as :data:`ORG_BY_COMMUNITY`.
PART_BY_COMMUNITY: Mapping[str, Mapping[str, str]] = {
    "columns": {"part_vol_per_100": "participation.volunteers_registered.per_100",
                "part_active_share": "participation.volunteers_active.share",
                "part_activities_per_1k": "participation.activities.per_1k",
                "part_pt_per_100": "participation.attendance.person_times_per_100",
                "part_co_share": "participation.co_organised.share",
                "part_cso_per_10k": "participation.csos_active.per_10k"},
    "cases": {"part_active_share": "denominator", "part_co_share": "denominator"},
    "formats": {"part_vol_per_100": "{:.2f}", "part_active_share": "{:.0%}", "part_activities_per_1k": "{:.2f}",
                "part_pt_per_100": "{:.1f}", "part_co_share": "{:.0%}", "part_cso_per_10k": "{:.1f}"},
}

#: The mean attendance per activity, by activity type.
ATTENDANCE = "participation.attendance.mean_per_activity"


def _denominator(key: str, named: str | None, d: float, year: int, lang: str) -> str:
    """``named`` (or the rate's own denominator, :data:`DEN`) in words with its size; empty when there is none."""
    suffix = key.rsplit(".", 1)[1]
    if not (named or suffix in DEN) or not np.isfinite(d):
        return ""
    return t(named or DEN.get(suffix, ""), lang, year=year, n=f"{d:,.0f}")


def summary(frame: pd.DataFrame, previous: pd.DataFrame | None, spec: Spec, lang: str, year: int) -> pd.DataFrame:
    """The district rows of ``spec`` as a display table: the indicator in words, its value with its interval, the
    denominator in words (``year`` names the report year there) and the comparison year's value.

    Indicators the tables did not allow are left out (:func:`~evaluation.indicators.tables.district_rows`).
    """
    rows = district_rows(frame, [k for k, _, _ in spec], previous)
    fmt = {k: f for k, f, _ in spec}
    den = {k: d for k, _, d in spec}
    out = rows.assign(
        part_indicator=[t(f"part.ind.{k}", lang) for k in rows["indicator"]],
        part_estimate=[estimate_text([v], [lo], [hi], fmt[k]).iloc[0]
                       for k, v, lo, hi in zip(rows["indicator"], rows["value"], rows["ci_low"], rows["ci_high"])],
        part_denominator=[_denominator(k, den[k], d, year, lang) for k, d in zip(rows["indicator"],
                                                                                  rows["denominator"])],
        part_previous=[fmt[k].format(p) if np.isfinite(p) else "—" for k, p in zip(rows["indicator"],
                                                                                   rows["previous"])])
    return out[["part_indicator", "part_estimate", "part_denominator", "part_previous"]]


def shown_communities(communities: pd.DataFrame, wanted: Sequence[str] | None = None) -> list[str]:
    """The ids of the current communities (no ``valid_to``), restricted to ``wanted`` when given, in table order.

    The by-community tables show these: a legacy community's records are allocated to its successors.
    """
    ids = communities["community_id"]
    if "valid_to" in communities:
        ids = ids[communities["valid_to"].isna()]
    return [c for c in ids.astype(str) if wanted is None or c in wanted]


def community_view(frame: pd.DataFrame, spec: Mapping[str, Mapping[str, str]], min_cell: int,
                   keep: Sequence[str] | None = None) -> pd.DataFrame:
    """A by-community table of ``spec`` (:data:`ORG_BY_COMMUNITY`, :data:`PART_BY_COMMUNITY`), small cells withheld
    (:func:`~evaluation.indicators.tables.community_table`, primary and complementary suppression)."""
    table = community_table(frame, spec["columns"], min_cell, cases=spec["cases"], formats=spec["formats"], keep=keep)
    return table.rename(columns={"community_id": "community"})


def carried_note(frame: pd.DataFrame, lang: str) -> str:
    """The sentence naming the indicators whose community values include a legacy community's records split by
    population share (:func:`~evaluation.indicators.tables.carried_indicators`); empty when there are none."""
    carried = carried_indicators(frame)
    if not carried:
        return ""
    items = plain("punct.items", lang).join(code_label("part.ind", k, lang) for k in carried)
    return t("part.carried_note", lang, items=items)


def _attendance_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["indicator"] == ATTENDANCE) & (frame["community_id"] == "district")]


def attendance_table(frame: pd.DataFrame, min_cell: int, lang: str) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Activities and mean attendance by activity type, small cells withheld, and the fields of the
    ``part.attendance_note`` sentence: the negative-binomial dispersion ``theta`` and the words for the
    ``intervals`` (communities as clusters, or activities taken as independent, and why a type may have none), as
    the indicator's notes give them; ``(None, {})`` when there are no rows."""
    from ...indicators.intervals import clusters_named

    att = _attendance_rows(frame)
    if att.empty:
        return None, {}
    theta = att["note"].iloc[0].split("theta = ")[1].split(" ")[0]
    clusters = next((c for c in map(clusters_named, att["note"]) if c is not None), None)
    # catalogue words only (plain): the note's t() escapes what it is given
    intervals = (plain("part.attendance_intervals.iid", lang) if clusters is None
                 else plain("part.attendance_intervals.cluster", lang, clusters=clusters))
    if att.loc[att["n"] >= min_cell, "ci_low"].isna().any():  # a type the table shows without an interval
        intervals += plain("part.attendance_intervals.none", lang)
    tab = group_table(frame, {"part_n_activities": (ATTENDANCE, "", "n"), "part_mean_attendance": ATTENDANCE},
                      min_cell, formats={"part_n_activities": "{:,.0f}", "part_mean_attendance": "{:.1f}"},
                      intervals=["part_mean_attendance"])
    tab.insert(0, "part_activity_type", [code_label("part.type", g, lang) for g in tab.pop("group")])
    return tab, {"theta": theta, "intervals": intervals}


def attendance_figure(frame: pd.DataFrame, min_cell: int, lang: str, confidence: float = 0.95, ax=None):
    """Mean attendance by activity type with its interval (at ``confidence``, as the indicators computed it),
    smallest at the bottom; types resting on fewer than ``min_cell`` activities are left out
    (:func:`evaluation.report.plots.forest_plot`)."""
    from ..plots import forest_plot

    att = _attendance_rows(frame)
    big = att[att["n"] >= min_cell].sort_values("value")
    shown = pd.DataFrame({"estimate": big["value"], "ci_low": big["ci_low"], "ci_high": big["ci_high"],
                          "label": [code_label("part.type", g, lang) for g in big["group"]]})
    return forest_plot(shown, label="label", title=t("part.fig.attendance", lang),
                       xlabel=t("part.axis.attendance", lang, level=f"{confidence:.0%}"), ylabel=t("part.axis.type", lang),
                       color="#b22", figsize=(7.5, 0.45 * len(big) + 1.2), ax=ax)


def records(frame: pd.DataFrame, headline: Mapping[str, Mapping[str, Any]], prefixes: tuple[str, ...],
            min_cell: int) -> dict[str, dict[str, Any]]:
    """The district rows of ``frame`` as record payloads (:func:`~evaluation.report.record.tidy_to_records`), with
    the fields of the headline figures whose keys start with ``prefixes`` (the Wilson numerator, ``n`` = the
    denominator) joined in; the tidy interval stays."""
    rec = tidy_to_records(frame, min_cell=min_cell)
    return {**rec, **{k: {**rec.get(k, {}), **v} for k, v in headline.items() if k.startswith(prefixes)}}


def has_indicator(frame: pd.DataFrame, key: str) -> bool:
    """Whether ``frame`` holds any row of ``key`` (e.g. the fund leverage, computable only with fund inflows)."""
    return bool((frame["indicator"] == key).any())
