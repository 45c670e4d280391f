"""The numerator and denominator of each outcome of the impact panels, per recorded community and year.

:func:`evaluation.impact.panels.outcome_panel` carries these to the current communities and takes their ratio; the
synthetic generator sums them over the district for the comparison districts' levels. They live here, below both, so
the generator does not depend on the estimators it is built to test.

The definitions follow ``docs/conventions.md`` and the generator's ``truth.json`` (``definition`` fields):

* ``satisfaction_index``, ``participation_rate``: community-wave mean over respondents (base weights, which are
  constant within a community and wave, so the mean is the respondents' mean);
* ``on_time_rate``: events *due* (``deadline_at``) in the year, share closed by the deadline; an event still open is
  not on time; years after the last report in the table are incomplete and dropped;
* ``log_time_to_close``: events *reported* in the year and closed, mean of log hours;
* per-resident rates (petitions per 10,000, activities per 1,000, registered volunteers per 100): the scaled count,
  with ``den`` 0; the panel divides it by ``population.resident_pop`` of the same community and year, only over the
  years the source table covers (a year before the first record is missing, not zero: activities are recorded from
  2018 only).

With a cut-off (``cut``) the parts see the data as they stood then: records dated after it (events reported, petitions
received, activities held, volunteers registered) are left out, a closing after it has not happened, and the on-time
rate counts only the events due by the cut-off (one due later and still open is not yet late). Survey waves carry no
date and are kept. How the panels treat the year the cut-off falls in is for
:func:`evaluation.impact.panels.outcome_panel` to say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data.lazy import is_lazy
from ..survey.indices import satisfaction_index

__all__ = ["OUTCOMES", "SHARE_OUTCOMES", "display_scale", "outcome_parts"]

OUTCOMES: dict[str, str] = {
    "satisfaction_index": "survey_responses",
    "participation_rate": "survey_responses",
    "on_time_rate": "grid_events",
    "log_time_to_close": "grid_events",
    "real_estate_petitions_per_10k": "petitions",
    "volunteer_rate": "volunteers",
    "activities_per_1k": "activities",
}

# Outcomes that are shares (0–1). An effect on a share is a difference of rates, which a report states in percentage
# points (百分点: 0.058 -> 5.8个百分点), as the 摘要 does; results.json keeps the fraction.
SHARE_OUTCOMES: frozenset[str] = frozenset({"participation_rate", "on_time_rate"})


def display_scale(outcome: str) -> float:
    """The factor an effect on ``outcome`` is multiplied by for the report: 100 for a share (percentage points),
    else 1."""
    return 100.0 if outcome in SHARE_OUTCOMES else 1.0


def _year(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.year


def _time(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s)


# The outcomes of a table left on disk (a region's tens of millions of rows), summed by DuckDB with the definitions of
# the pandas branches below; {t} is the table's typed view. Per-resident rates carry den = 0, as below.
_EVENT_COLUMNS = ["community_id", "reported_at", "deadline_at", "closed_at"]
_LAZY_SQL: dict[str, tuple[str, list[str]]] = {
    "on_time_rate": ("""
        SELECT community_id, year(deadline_at) AS year,
               sum(CASE WHEN closed_at IS NOT NULL AND closed_at <= deadline_at THEN 1 ELSE 0 END)::DOUBLE AS num,
               count(*)::DOUBLE AS den, count(*)::DOUBLE AS n
        FROM {t} WHERE deadline_at IS NOT NULL {cut:deadline_at} {cut:reported_at}
            AND year(deadline_at) <= (SELECT max(year(reported_at)) FROM {t} WHERE true {cut:reported_at})
        GROUP BY ALL""", _EVENT_COLUMNS),
    "log_time_to_close": ("""
        SELECT community_id, year(reported_at) AS year,
               sum(ln(greatest((epoch(closed_at) - epoch(reported_at)) / 3600, 1 / 60))) AS num,
               count(*)::DOUBLE AS den, count(*)::DOUBLE AS n
        FROM {t} WHERE closed_at IS NOT NULL {cut:closed_at} {cut:reported_at} GROUP BY ALL""", _EVENT_COLUMNS),
    "real_estate_petitions_per_10k": ("""
        SELECT community_id, year(received_date) AS year, 1e4 * count(*) AS num, 0.0 AS den, count(*)::DOUBLE AS n
        FROM {t} WHERE real_estate_related = 1 {cut:received_date} GROUP BY ALL""", ["community_id", "received_date", "real_estate_related"]),
    "activities_per_1k": ("""
        SELECT community_id, year(date) AS year, 1e3 * count(*) AS num, 0.0 AS den, count(*)::DOUBLE AS n
        FROM {t} WHERE true {cut:date} GROUP BY ALL""", ["community_id", "date"]),
}


def _with_cutoff(sql: str, cut: pd.Timestamp | None) -> str:
    """``sql`` with each ``{cut:column}`` made ``AND column <= <cut-off>`` (nothing without a cut-off)."""
    stamp = "" if cut is None else f"TIMESTAMP '{cut:%Y-%m-%d %H:%M:%S.%f}'"
    return re.sub(r"\{cut:(\w+)\}", lambda m: "" if cut is None else f"AND {m.group(1)} <= {stamp}", sql)


def _upto(values: pd.Series, cut: pd.Timestamp | None) -> pd.Series:
    """True where a date is on or before the cut-off (everywhere without one); a missing date is kept."""
    if cut is None:
        return pd.Series(True, index=values.index)
    d = _time(values)
    return (d.isna() | (d <= cut)).astype(bool)


def outcome_parts(tables: Mapping[str, pd.DataFrame], outcome: str, cut: pd.Timestamp | None = None) -> pd.DataFrame:
    """Numerator ``num`` and denominator ``den`` per recorded community_id and year, as of the cut-off ``cut``."""
    source = tables.get(OUTCOMES.get(outcome, ""))
    if is_lazy(source):
        if outcome not in _LAZY_SQL:
            raise ValueError(f"{OUTCOMES[outcome]} is too large to hold in memory and outcome {outcome!r} has no "
                             "on-disk path; use a community subset or convert it to a smaller export")
        sql, columns = _LAZY_SQL[outcome]
        frame = source.query(_with_cutoff(sql, cut), columns=columns)
        frame = frame.assign(community_id=frame["community_id"].astype(str), year=frame["year"].astype(int))
        return frame.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
    if outcome in ("satisfaction_index", "participation_rate"):
        s = tables["survey_responses"]
        y = satisfaction_index(s) if outcome == "satisfaction_index" else s["q_participated_12m"].astype("float64")
        w = s["base_weight"].astype("float64") if "base_weight" in s.columns else pd.Series(1.0, index=s.index)
        ok = y.notna() & w.notna()
        frame = pd.DataFrame({"community_id": s["community_id"], "year": s["wave"].astype(int),
                              "num": (w * y)[ok], "den": w[ok], "n": 1.0})[ok]
    elif outcome == "on_time_rate":
        e = tables["grid_events"]
        e = e[_upto(e["reported_at"], cut)]
        last = _year(e["reported_at"]).max()
        deadline, closed = _time(e["deadline_at"]), _time(e["closed_at"])
        due = _year(deadline)
        # events due after the last reported year are only partly in the table (reported late in the last year);
        # with a cut-off, an event due after it is not yet late (nor on time): left out
        keep = deadline.notna() & (due <= last) & _upto(e["deadline_at"], cut)
        on_time = (closed.notna() & (closed <= deadline))[keep]
        frame = pd.DataFrame({"community_id": e["community_id"][keep], "year": due[keep],
                              "num": on_time.astype(float), "den": 1.0, "n": 1.0})
    elif outcome == "log_time_to_close":
        e = tables["grid_events"]
        e = e[e["closed_at"].notna() & _upto(e["closed_at"], cut) & _upto(e["reported_at"], cut)]
        hours = (_time(e["closed_at"]) - _time(e["reported_at"])).dt.total_seconds() / 3600
        frame = pd.DataFrame({"community_id": e["community_id"], "year": _year(e["reported_at"]),
                              "num": np.log(hours.clip(lower=1 / 60)), "den": 1.0, "n": 1.0})
    elif outcome == "real_estate_petitions_per_10k":
        p = tables["petitions"]
        p = p[(p["real_estate_related"] == 1) & _upto(p["received_date"], cut)]
        frame = pd.DataFrame({"community_id": p["community_id"], "year": _year(p["received_date"]),
                              "num": 1e4, "den": 0.0, "n": 1.0})
    elif outcome == "activities_per_1k":
        a = tables["activities"]
        a = a[_upto(a["date"], cut)]
        frame = pd.DataFrame({"community_id": a["community_id"], "year": _year(a["date"]),
                              "num": 1e3, "den": 0.0, "n": 1.0})
    elif outcome == "volunteer_rate":
        v = tables["volunteers"]
        v = v[_upto(v["registered"], cut)]
        reg = _year(v["registered"])
        years = range(int(reg.min()), int(reg.max()) + 1)
        # Registered volunteers are a stock: everyone registered by the end of the year counts.
        frame = pd.concat([pd.DataFrame({"community_id": v.loc[reg <= y, "community_id"], "year": y,
                                         "num": 100.0, "den": 0.0, "n": 1.0}) for y in years])
    else:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    frame = frame.assign(community_id=frame["community_id"].astype(str), year=frame["year"].astype(int))
    return frame.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
