"""Aggregation of known cell-level effects into the estimands of the impact notebook.

The estimand is Callaway & Sant'Anna's ATT(g, t) over the identifiable cells g <= t <= T* (T* = last year with a
not-yet-treated cohort), aggregated as R's ``did::aggte`` does (Callaway & Sant'Anna 2021, J. Econometrics 225(2),
eqs. 3.10-3.11; did source ``compute.aggte.R``):

* ATT(g, t) = unweighted mean over the communities of cohort g of Y_ct(1) - Y_ct(0);
* simple: sum of ATT(g, t) * P(G = g) over the cells, divided by the sum of the weights (each post cell of a cohort is
  weighted by its cohort size);
* dynamic e: the same weighted mean over the cohorts observed at event time e = t - g.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["att_gt", "aggregate_simple", "aggregate_dynamic"]


def att_gt(cells: pd.DataFrame, cohort: pd.Series, outcome: str, last_year: int) -> pd.DataFrame:
    """ATT(g, t) from unit-level effects.

    Parameters
    ----------
    cells : DataFrame with columns ``unit``, ``year`` and ``outcome`` (Y(1) - Y(0) of that unit-year).
    cohort : Series mapping unit -> first treated year g (every unit must have one).
    outcome : column of ``cells`` holding the effect.
    last_year : last calendar year of the window (cells with t > last_year are dropped).

    Returns
    -------
    DataFrame with ``cohort``, ``year``, ``event_time``, ``att``, ``n_units`` (units in the cohort).
    """
    df = cells[["unit", "year", outcome]].copy()
    df["cohort"] = df["unit"].map(cohort)
    if df["cohort"].isna().any():
        raise ValueError("every unit needs a cohort")
    df = df[(df["year"] >= df["cohort"]) & (df["year"] <= last_year)]
    sizes = cohort.value_counts()
    out = df.groupby(["cohort", "year"], as_index=False)[outcome].mean().rename(columns={outcome: "att"})
    out["event_time"] = out["year"] - out["cohort"]
    out["n_units"] = out["cohort"].map(sizes).astype(int)
    return out[["cohort", "year", "event_time", "att", "n_units"]]


def aggregate_simple(gt: pd.DataFrame) -> float:
    """``aggte(type = "simple")``: post cells weighted by cohort size."""
    w = gt["n_units"].to_numpy(float)
    return float(np.sum(gt["att"].to_numpy() * w) / w.sum())


def aggregate_dynamic(gt: pd.DataFrame) -> dict[int, float]:
    """``aggte(type = "dynamic")`` for e >= 0: per event time, cohorts weighted by size."""
    out = {}
    for e, grp in gt.groupby("event_time"):
        w = grp["n_units"].to_numpy(float)
        out[int(e)] = float(np.sum(grp["att"].to_numpy() * w) / w.sum())
    return out
