"""Community-by-year outcome panels for the impact estimators, built from a district's tables.

Each outcome of ``docs/conventions.md`` ("Planted programme effects") is computed as a ratio of two additive
quantities per recorded community and year (e.g. Σ weight·index over Σ weight; events on time over events due).
Rows recorded under the 10 legacy communities are carried to the 43 current ones by splitting both quantities by
``pop_share`` (:func:`evaluation.indicators.lineage.carry_to_current`) before the ratio is taken, so a legacy mean is
copied to its children and a legacy count is shared out. The ``carried`` column marks cells that rest on such an
allocation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..indicators.lineage import carry_to_current
from ..survey.indices import satisfaction_index

__all__ = ["OUTCOMES", "adoption_cohorts", "outcome_panel"]

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


def _year(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.year


def _parts(tables: Mapping[str, pd.DataFrame], outcome: str) -> pd.DataFrame:
    """Numerator ``num`` and denominator ``den`` per recorded community_id and year."""
    if outcome in ("satisfaction_index", "participation_rate"):
        s = tables["survey_responses"]
        y = satisfaction_index(s) if outcome == "satisfaction_index" else s["q_participated_12m"].astype("float64")
        w = s["base_weight"].astype("float64") if "base_weight" in s.columns else pd.Series(1.0, index=s.index)
        ok = y.notna() & w.notna()
        frame = pd.DataFrame({"community_id": s["community_id"], "year": s["wave"].astype(int),
                              "num": (w * y)[ok], "den": w[ok], "n": 1.0})[ok]
    elif outcome == "on_time_rate":
        e = tables["grid_events"]
        e = e[e["deadline_at"].notna()]
        on_time = e["closed_at"].notna() & (e["closed_at"] <= e["deadline_at"])
        frame = pd.DataFrame({"community_id": e["community_id"], "year": _year(e["deadline_at"]),
                              "num": on_time.astype(float), "den": 1.0, "n": 1.0})
    elif outcome == "log_time_to_close":
        e = tables["grid_events"]
        e = e[e["closed_at"].notna()]
        hours = (e["closed_at"] - e["reported_at"]).dt.total_seconds() / 3600
        frame = pd.DataFrame({"community_id": e["community_id"], "year": _year(e["reported_at"]),
                              "num": np.log(hours.clip(lower=1 / 60)), "den": 1.0, "n": 1.0})
    elif outcome == "real_estate_petitions_per_10k":
        p = tables["petitions"]
        p = p[p["real_estate_related"] == 1]
        frame = pd.DataFrame({"community_id": p["community_id"], "year": _year(p["received_date"]),
                              "num": 1e4, "den": 0.0, "n": 1.0})
    elif outcome == "activities_per_1k":
        a = tables["activities"]
        frame = pd.DataFrame({"community_id": a["community_id"], "year": _year(a["date"]),
                              "num": 1e3, "den": 0.0, "n": 1.0})
    elif outcome == "volunteer_rate":
        v = tables["volunteers"]
        reg = _year(v["registered"])
        years = range(int(reg.min()), int(reg.max()) + 1)
        # Registered volunteers are a stock: everyone registered by the end of the year counts.
        frame = pd.concat([pd.DataFrame({"community_id": v.loc[reg <= y, "community_id"], "year": y,
                                         "num": 100.0, "den": 0.0, "n": 1.0}) for y in years])
    else:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    return frame.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()


def outcome_panel(tables: Mapping[str, pd.DataFrame], outcome: str, years: Sequence[int] | None = None,
                  communities: Sequence[str] | None = None, component: str = "jinlin_model") -> pd.DataFrame:
    """A balanced-as-possible panel ``community_id, year, y, first_treat, n, carried`` of the 43 current communities.

    Rates per resident (petitions, activities, volunteers) divide by ``population.resident_pop`` of the same
    community and year, carried in the same way. ``first_treat`` is 0 for never-treated communities.
    """
    parts = _parts(tables, outcome)
    if parts["den"].eq(0).all():  # a per-resident rate: the denominator is the population
        pop = tables["population"][["community_id", "year", "resident_pop"]].rename(columns={"resident_pop": "den"})
        pop = pop.assign(num=0.0, n=0.0, year=pop["year"].astype(int))
        parts = pd.concat([parts, pop[["community_id", "year", "num", "den", "n"]]], ignore_index=True)
        parts = parts.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
    lineage = tables.get("community_lineage")
    if lineage is not None and len(lineage):
        parts = carry_to_current(parts, lineage, counts=("num", "den", "n"))
    else:
        parts["carried"] = False
    panel = parts.groupby(["community_id", "year"], as_index=False).agg(
        num=("num", "sum"), den=("den", "sum"), n=("n", "sum"), carried=("carried", "any"))
    panel = panel[panel["den"] > 0]
    panel["y"] = panel["num"] / panel["den"]
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
    return panel[["community_id", "year", "y", "first_treat", "n", "carried"]].sort_values(
        ["community_id", "year"]).reset_index(drop=True)
