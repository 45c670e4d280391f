"""The headline figures of ``docs/conventions.md``, recomputed from the tables, under their dotted keys.

Notebooks record these with :func:`evaluation.report.record.record_many` and the claims audit compares the article's
numbers with them. Each key maps to ``{"value": …}``; proportions add ``n`` (their denominator), ``numerator``,
``se``, ``ci_low``, ``ci_high`` (Wilson); the year-on-year change adds the exact conditional interval of the rate
ratio minus 1 and ``n`` = the two counts together (the binomial n the interval conditions on). Census counts carry
no interval. Keys whose table is missing are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import DISTRICT, active_at_year_end, as_number, cutoff_of, in_memory, in_year
from .grid import events_closed
from .organisation import community_workers, grid_staff, joint_meetings
from .petitions import yoy_rate_ratio
from .service_circle import stations_open

__all__ = ["HEADLINE_KEYS", "headline_figures"]

HEADLINE_KEYS = (
    "organisation.paired_units.count",
    "organisation.returned_party_members.count",
    "organisation.part_time_committee_members.count",
    "organisation.joint_meetings.count",
    "organisation.issues_resolved.count",
    "organisation.community_workers.count",
    "organisation.workers_promoted.rate",
    "organisation.workers_certified.rate",
    "organisation.departments_sent_down.count",
    "grid.staff.count",
    "participation.csos_active.count",
    "participation.volunteer_teams_active.count",
    "participation.community_funds.count",
    "participation.fund_inflow_cny.total",
    "participation.activities.count",
    "participation.attendance.person_times",
    "grid.events_closed.count",
    "petitions.real_estate.count",
    "petitions.real_estate.count_prev",
    "petitions.real_estate.yoy_change",
    "service_circle.stations.district.count",
    "service_circle.stations.street.count",
    "service_circle.stations.community.count",
    "service_circle.stations.estate.count",
)


def _district(frame: pd.DataFrame, key: str) -> pd.Series:
    row = frame[(frame["indicator"] == key) & (frame["community_id"] == DISTRICT) & (frame["group"] == "")]
    if len(row) != 1:
        raise KeyError(f"{key}: expected one district row, found {len(row)}")
    return row.iloc[0]


def _count(value: float) -> dict[str, Any]:
    return {"value": int(round(value)) if np.isfinite(value) and float(value).is_integer() else float(value)}


def _rate(row: pd.Series) -> dict[str, Any]:
    return {"value": float(row["value"]), "n": int(row["denominator"]), "numerator": int(row["n"]),
            "se": float(row["se"]), "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"])}


def headline_figures(tables: dict[str, pd.DataFrame], report_year: int,
                     data_cutoff=None) -> dict[str, dict[str, Any]]:
    """Every headline key of ``docs/conventions.md`` that the available tables allow.

    Parameters
    ----------
    tables : dict of DataFrame
        Contract tables by English name (as ``District.tables``).
    report_year : int
        Y; the petition change compares Y with Y − 1.
    data_cutoff : str or Timestamp, optional
        The figures see the data as they stood at the cut-off (default: the end of Y): records dated after it are
        left out, registers are read as active at it, and the petition change compares 1 January–cut-off of Y with
        the same part of Y − 1.

    Returns
    -------
    dict
        ``{key: {"value": …, and where it applies "n", "se", "ci_low", "ci_high"}}``.
    """
    y = int(report_year)
    cut = cutoff_of(y, data_cutoff)
    out: dict[str, dict[str, Any]] = {}
    if "pairings" in tables:
        p = tables["pairings"]
        out["organisation.paired_units.count"] = _count(
            p.loc[active_at_year_end(p, "start_date", "end_date", y, cut), "unit_name"].nunique())
    if "volunteers" in tables:
        v = tables["volunteers"]
        flag = as_number(v["returned_party_member"]) == 1 if "returned_party_member" in v.columns else False
        out["organisation.returned_party_members.count"] = _count(
            float((flag & active_at_year_end(v, "registered", None, y, cut)).sum()))
    if "committee_members" in tables:
        m = tables["committee_members"]
        out["organisation.part_time_committee_members.count"] = _count(
            float(active_at_year_end(m, "appointed", "left", y, cut).sum()))
    if "joint_meetings" in tables:
        jm = joint_meetings(tables["joint_meetings"], y, data_cutoff=cut)
        out["organisation.joint_meetings.count"] = _count(_district(jm, "organisation.joint_meetings.count")["value"])
        if "issues_resolved" in tables["joint_meetings"].columns:
            out["organisation.issues_resolved.count"] = _count(
                _district(jm, "organisation.issues_resolved.count")["value"])
    if "community_workers" in tables:
        cw = community_workers(tables["community_workers"], y, data_cutoff=cut)
        out["organisation.community_workers.count"] = _count(
            _district(cw, "organisation.community_workers.count")["value"])
        out["organisation.workers_promoted.rate"] = _rate(_district(cw, "organisation.workers_promoted.rate"))
        out["organisation.workers_certified.rate"] = _rate(_district(cw, "organisation.workers_certified.rate"))
    if "grid_staff" in tables:
        gs = grid_staff(tables["grid_staff"], y, data_cutoff=cut)
        out["grid.staff.count"] = _count(_district(gs, "grid.staff.count")["value"])
        if "department" in tables["grid_staff"].columns:
            out["organisation.departments_sent_down.count"] = _count(
                _district(gs, "organisation.departments_sent_down.count")["value"])
    if "organisations" in tables:
        org = tables["organisations"]
        act = org[active_at_year_end(org, "founded", "dissolved", y, cut)]
        typ = act["org_type"].astype(str)
        out["participation.csos_active.count"] = _count(float((typ == "cso").sum()))
        out["participation.volunteer_teams_active.count"] = _count(float((typ == "volunteer_team").sum()))
        out["participation.community_funds.count"] = _count(float((typ == "community_fund").sum()))
        if "funds_raised_cny" in act.columns:
            raised = as_number(act.loc[typ == "community_fund", "funds_raised_cny"]).fillna(0.0).sum()
            out["participation.fund_inflow_cny.total"] = _count(float(raised))
    if "activities" in tables:
        a = in_memory(tables["activities"], ("date", "attendance"))
        in_y = a[in_year(a["date"], y, cut)]
        out["participation.activities.count"] = _count(float(len(in_y)))
        out["participation.attendance.person_times"] = _count(float(as_number(in_y["attendance"]).fillna(0).sum()))
    if "grid_events" in tables:
        ec = events_closed(tables["grid_events"], y, data_cutoff=cut)
        out["grid.events_closed.count"] = _count(_district(ec, "grid.events_closed.count")["value"])
    if "petitions" in tables and "real_estate_related" in tables["petitions"].columns:
        rr = yoy_rate_ratio(tables["petitions"], y, y - 1, data_cutoff=cut)
        out["petitions.real_estate.count"] = _count(float(rr.count))
        out["petitions.real_estate.count_prev"] = _count(float(rr.count_ref))
        if rr.count_ref > 0:
            lo, hi = rr.change_ci
            out["petitions.real_estate.yoy_change"] = {"value": rr.change, "ci_low": lo, "ci_high": hi,
                                                       "n": rr.count + rr.count_ref, "p_value": rr.p_value}
    if "service_stations" in tables:
        st = stations_open(tables["service_stations"], y, data_cutoff=cut)
        for _, r in st.iterrows():
            if r["indicator"] != "service_circle.stations.total.count" and (r["value"] > 0 or r["group"] in
                                                                               ("district", "street", "community",
                                                                                "estate")):
                out[r["indicator"]] = _count(r["value"])
    return out
