"""Rules that span rows or tables: foreign keys, lineage shares, time order and status consistency.

Single-table rules (types, ranges, codes, duplicate keys) live in the pandera schemas; what is here needs more than
one column or more than one table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import Problem
from .contract import COMMUNITY_FK, TABLES

__all__ = ["cross_table_problems"]


def _rows(mask: pd.Series, first_data_row: int) -> list[int]:
    return [int(i) + first_data_row for i in mask[mask].index]


def cross_table_problems(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str],
                         first_rows: Mapping[str, int]) -> list[Problem]:
    """All cross-row and cross-table problems of typed ``tables`` (name -> frame; files: name -> file name)."""
    problems: list[Problem] = []
    communities = tables.get("communities")
    known = set(communities["community_id"].dropna()) if communities is not None else set()
    for t in TABLES:
        df = tables.get(t.name)
        if df is None:
            continue
        file, first = files[t.name], first_rows[t.name]
        for col in t.columns:
            if col.foreign_key == COMMUNITY_FK and col.name in df.columns and communities is not None:
                bad = df[col.name].notna() & ~df[col.name].isin(known)
                for r, v in zip(_rows(bad, first), df.loc[bad, col.name]):
                    problems.append(Problem(file, r, col.name, "error", "unknown_community",
                                            f"community {v!r} is not in the community register",
                                            "use a community_id listed in communities, or add the community there"))
        for early, late in t.order:
            if early in df.columns and late in df.columns:
                bad = df[early].notna() & df[late].notna() & (df[late] < df[early])
                for r in _rows(bad, first):
                    problems.append(Problem(file, r, late, "error", "time_order",
                                            f"{late} is before {early}",
                                            f"correct {late} or {early}: {late} cannot precede {early}"))
    problems += _lineage(tables, files, first_rows)
    problems += _grid_status(tables, files, first_rows)
    problems += _service_hours(tables, files, first_rows)
    problems += _survey(tables, files, first_rows)
    return problems


def _lineage(tables, files, first_rows) -> list[Problem]:
    df = tables.get("community_lineage")
    if df is None or not {"from_id", "effective_date", "pop_share"} <= set(df.columns):
        return []
    out = []
    sums = df.groupby(["from_id", "effective_date"], dropna=True)["pop_share"].sum()
    for (from_id, date), s in sums.items():
        if not np.isclose(s, 1.0, atol=1e-6):
            first = df.index[(df["from_id"] == from_id) & (df["effective_date"] == date)][0]
            out.append(Problem(files["community_lineage"], int(first) + first_rows["community_lineage"], "pop_share",
                               "error", "lineage_shares",
                               f"the shares leaving {from_id} on {pd.Timestamp(date).date()} sum to {s:.4f}, not 1",
                               f"correct the pop_share values of {from_id} so that they sum to 1"))
    return out


def _grid_status(tables, files, first_rows) -> list[Problem]:
    df = tables.get("grid_events")
    if df is None or not {"status", "closed_at"} <= set(df.columns):
        return []
    file, first = files["grid_events"], first_rows["grid_events"]
    out = []
    for r in _rows((df["status"] == "closed") & df["closed_at"].isna(), first):
        out.append(Problem(file, r, "closed_at", "error", "closed_without_time",
                           "the event is closed but has no closing time",
                           "fill in closed_at, or set status to open / in_progress"))
    for r in _rows((df["status"] != "closed") & df["closed_at"].notna(), first):
        out.append(Problem(file, r, "status", "warning", "open_with_close_time",
                           "the event has a closing time but its status is not closed; it is treated as closed",
                           "set status to closed, or clear closed_at"))
    return out


def _service_hours(tables, files, first_rows) -> list[Problem]:
    hours, vols = tables.get("service_hours"), tables.get("volunteers")
    if hours is None or vols is None or "person_key" not in hours.columns:
        return []
    bad = hours["person_key"].notna() & ~hours["person_key"].isin(set(vols["person_key"].dropna()))
    rows = _rows(bad, first_rows["service_hours"])
    return [Problem(files["service_hours"], r, "person_key", "error", "unknown_volunteer",
                    "the person_key is not in the volunteer register",
                    "add the volunteer to volunteers, or correct the key") for r in rows]


def _survey(tables, files, first_rows) -> list[Problem]:
    df = tables.get("survey_responses")
    if df is None or "interview_date" not in df.columns:
        return []
    off = df["interview_date"].notna() & (df["interview_date"].dt.year - df["wave"]).abs().gt(1)
    return [Problem(files["survey_responses"], r, "interview_date", "warning", "interview_outside_wave",
                    "the interview date is more than a year away from the wave",
                    "check the wave or the interview date") for r in _rows(off, first_rows["survey_responses"])]
