"""Community-by-year outcome panels for the impact estimators, built from a district's tables.

Each outcome of ``docs/conventions.md`` ("Planted programme effects") is computed as a ratio of two additive
quantities per recorded community and year (e.g. Σ weight·index over Σ weight; events on time over events due).
Rows recorded under the 10 legacy communities are carried to the 43 current ones by splitting both quantities by
``pop_share`` (:func:`evaluation.indicators.lineage.carry_to_current`) before the ratio is taken, so a legacy mean is
copied to its children and a legacy count is shared out. The ``carried`` column marks cells that rest on such an
allocation (any part of it), ``carried_share`` the share of the cell's denominator (respondents' weights, events,
residents) that was allocated: 1 before the split, small afterwards (e.g. events reported under a legacy community in
late 2019 and due in 2020). ``legacy_id`` names the legacy community a current one came from (:func:`legacy_parents`).

The definitions follow ``docs/conventions.md`` and the generator's ``truth.json`` (``definition`` fields):

* ``satisfaction_index``, ``participation_rate``: community-wave mean over respondents (base weights, which are
  constant within a community and wave, so the mean is the respondents' mean);
* ``on_time_rate``: events *due* (``deadline_at``) in the year, share closed by the deadline; an event still open is
  not on time; years after the last report in the table are incomplete and dropped;
* ``log_time_to_close``: events *reported* in the year and closed, mean of log hours;
* per-resident rates (petitions per 10,000, activities per 1,000, registered volunteers per 100): divided by
  ``population.resident_pop`` of the same community and year, only over the years the source table covers (a year
  before the first record is missing, not zero: activities are recorded from 2018 only).

With a data cut-off (``data_cutoff``) the panels see the data as they stood at the cut-off, as the indicators do
(``docs/conventions.md``): records dated after it (events reported, petitions received, activities held, volunteers
registered) are left out, a closing after it has not happened, the on-time rate counts only the events due by the
cut-off (one due later and still open is not yet late), and the per-resident rates of counts (petitions, activities)
drop the year the cut-off falls in when it ends before that year does, since part of a year's count over a whole
year's residents would read as a fall. Survey waves carry no date and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.lazy import is_lazy
from ..indicators.lineage import carry_to_current
from ..survey.indices import satisfaction_index

__all__ = ["OUTCOMES", "adoption_cohorts", "legacy_parents", "outcome_panel", "attach_covariates"]

OUTCOMES: dict[str, str] = {
    "satisfaction_index": "survey_responses",
    "participation_rate": "survey_responses",
    "on_time_rate": "grid_events",
    "log_time_to_close": "grid_events",
    "real_estate_petitions_per_10k": "petitions",
    "volunteer_rate": "volunteers",
    "activities_per_1k": "activities",
}


def adoption_cohorts(rollout: pd.DataFrame, component: str = "jinlin_model") -> pd.Series:
    """First adoption year of ``component`` per community (the staggered-DiD cohort); absent = never treated."""
    rows = rollout[rollout["component"] == component]
    return pd.to_datetime(rows["start_date"]).dt.year.groupby(rows["community_id"].astype(str)).min() \
        .rename("first_treat")


def legacy_parents(lineage: pd.DataFrame | None) -> pd.Series:
    """Legacy community of each current one: the community it was created from (``to_id`` -> ``from_id``; the
    largest ``pop_share`` if several), followed up a chain to the first one (C44, split off C01 in 2023, which came
    from L01 in 2020, has L01). A community that keeps its code through a split is not its own parent."""
    if lineage is None or not len(lineage):
        return pd.Series(dtype="object", name="legacy_id")
    lin = lineage.assign(pop_share=pd.to_numeric(lineage["pop_share"]), to_id=lineage["to_id"].astype(str),
                         from_id=lineage["from_id"].astype(str))
    lin = lin[lin["from_id"] != lin["to_id"]]
    lin = lin.sort_values(["to_id", "pop_share", "from_id"], ascending=[True, False, True], kind="stable")
    parent = lin.drop_duplicates("to_id").set_index("to_id")["from_id"]
    root = parent.copy()
    for _ in range(len(parent)):  # a chain is at most as long as the lineage (the validation refuses cycles)
        up = root.map(parent)
        if up.isna().all():
            break
        root = up.where(up.notna(), root)
    return root.rename("legacy_id")


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


def _parts(tables: Mapping[str, pd.DataFrame], outcome: str, cut: pd.Timestamp | None = None) -> pd.DataFrame:
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


def outcome_panel(tables: Mapping[str, pd.DataFrame], outcome: str, years: Sequence[int] | None = None,
                  communities: Sequence[str] | None = None, component: str = "jinlin_model",
                  data_cutoff=None) -> pd.DataFrame:
    """A balanced-as-possible panel of the current communities for one outcome of :data:`OUTCOMES`.

    Parameters
    ----------
    tables : mapping of DataFrame
        The district's tables (as loaded by :func:`evaluation.data.load_district`).
    outcome : str
        A key of :data:`OUTCOMES`; definitions in the module docstring.
    years, communities : sequence, optional
        Keep only these years / current communities.
    component : str
        ``programme_rollout.component`` whose first start year is the cohort.
    data_cutoff : str or Timestamp, optional
        See the module docstring; default none (every record in the tables).

    Returns
    -------
    DataFrame
        ``community_id, year, y, first_treat, n, carried, carried_share, legacy_id``: ``n`` counts the respondents,
        events or records behind the cell (shared out by ``pop_share`` when carried), ``first_treat`` is 0 for
        never-treated communities, ``legacy_id`` the legacy community (the community itself when there is no
        lineage).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    cut = None if data_cutoff is None else pd.Timestamp(data_cutoff)
    parts = _parts(tables, outcome, cut)
    if parts["den"].eq(0).all() and outcome != "volunteer_rate" and cut is not None and \
            cut < pd.Timestamp(year=cut.year, month=12, day=31, hour=23, minute=59, second=59):
        parts = parts[parts["year"] < cut.year]  # the cut-off's year holds only part of a year's count
    if parts["den"].eq(0).all():  # a per-resident rate: the denominator is the population
        pop = tables["population"][["community_id", "year", "resident_pop"]].rename(columns={"resident_pop": "den"})
        pop = pop.assign(num=0.0, n=0.0, year=pop["year"].astype(int), community_id=pop["community_id"].astype(str))
        # only the years the source table covers: before its first record the rate is unknown, not zero
        pop = pop[pop["year"].between(parts["year"].min(), parts["year"].max())]
        parts = pd.concat([parts, pop[["community_id", "year", "num", "den", "n"]]], ignore_index=True)
        parts = parts.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
    lineage = tables.get("community_lineage")
    if lineage is not None and len(lineage):
        # a year is carried when it ends before a split: the year a split takes effect stays with its recorder
        parts = carry_to_current(parts, lineage, counts=("num", "den", "n"), date_column="year")
    else:
        parts["carried"] = False
    parts["den_carried"] = parts["den"].where(parts["carried"], 0.0)
    panel = parts.groupby(["community_id", "year"], as_index=False).agg(
        num=("num", "sum"), den=("den", "sum"), n=("n", "sum"), carried=("carried", "any"),
        den_carried=("den_carried", "sum"))
    panel = panel[panel["den"] > 0]
    panel["y"] = panel["num"] / panel["den"]
    panel["carried_share"] = panel["den_carried"] / panel["den"]
    cohorts = adoption_cohorts(tables["programme_rollout"], component) if "programme_rollout" in tables \
        else pd.Series(dtype="float64")
    current = tables["communities"]
    current_ids = set(current.loc[current["valid_to"].isna(), "community_id"].astype(str)) \
        if "valid_to" in current.columns else set(current["community_id"].astype(str))
    panel = panel[panel["community_id"].isin(current_ids)]
    if communities is not None:
        panel = panel[panel["community_id"].isin(set(communities))]
    if years is not None:
        panel = panel[panel["year"].isin(set(years))]
    panel["first_treat"] = panel["community_id"].map(cohorts).fillna(0).astype(int)
    parent = legacy_parents(lineage)
    panel["legacy_id"] = panel["community_id"].map(parent).fillna(panel["community_id"]).astype(str)
    cols = ["community_id", "year", "y", "first_treat", "n", "carried", "carried_share", "legacy_id"]
    return panel[cols].sort_values(
        ["community_id", "year"]).reset_index(drop=True)


def attach_covariates(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame], names: Sequence[str]) -> pd.DataFrame:
    """Add community-level covariates to an outcome panel, for the DiD's conditional parallel trends.

    A name is a numeric column of ``population`` (by community and year; legacy counts shared out by ``pop_share``,
    so a count before the split is the child's allocated share) or of ``communities`` (constant per community).
    A text column of ``communities`` (e.g. ``community_type``) becomes 0/1 indicators ``<name>_<level>``, the first
    level left out.

    Returns
    -------
    DataFrame
        ``panel`` with the covariate columns; rows with a missing covariate are dropped. ``attrs["covariates"]``
        lists the columns added (what to pass to the estimator).
    """
    out = panel.copy()
    pop = tables.get("population")
    comm = tables.get("communities")
    for name in names:
        if pop is not None and name in pop.columns and name not in ("community_id", "year"):
            part = pop[["community_id", "year", name]].assign(
                community_id=pop["community_id"].astype(str), year=pop["year"].astype(int),
                **{name: pd.to_numeric(pop[name], errors="coerce")})
            lineage = tables.get("community_lineage")
            if lineage is not None and len(lineage):
                part = carry_to_current(part, lineage, counts=(name,), date_column="year")
            part = part.groupby(["community_id", "year"], as_index=False)[name].sum(min_count=1)
            out = out.merge(part, on=["community_id", "year"], how="left")
        elif comm is not None and name in comm.columns and name != "community_id":
            col = comm.set_index(comm["community_id"].astype(str))[name]
            if pd.api.types.is_numeric_dtype(col):
                out[name] = out["community_id"].map(col).astype(float)
            else:
                levels = sorted(col.dropna().astype(str).unique())
                mapped = out["community_id"].map(col).astype("string")
                for level in levels[1:]:
                    out[f"{name}_{level}"] = (mapped == level).astype(float).where(mapped.notna())
        else:
            raise ValueError(f"covariate {name!r} is not a column of population or communities")
    cov_cols = [c for c in out.columns if c not in panel.columns]
    out = out.dropna(subset=cov_cols).reset_index(drop=True)
    out.attrs["covariates"] = cov_cols
    return out
