"""Goodman-Bacon (2021) decomposition of the static TWFE DiD coefficient into 2x2 comparisons.

On a balanced panel with staggered, absorbing treatment the TWFE coefficient equals a weighted average of
every 2x2 DiD between timing groups: treated-vs-never-treated, early-vs-late (late group not yet treated,
before it starts) and late-vs-early (the already-treated early group as control, the "forbidden" comparison).
Weights follow Goodman-Bacon (2021, eq. 10a-10g): they depend on group shares n_k and on the share of periods
each group is treated, D_k, and are divided by the variance of the two-way-demeaned treatment dummy, so they
sum to one and reproduce the TWFE coefficient exactly. Units treated in the first period ("always treated")
are a timing group with D_k = 1 that can only serve as controls.

There is no maintained Python package for this (R has ``bacondecomp``), and the formula is short, hence our
own implementation; the test checks the exact identity against statsmodels' TWFE fit.

References
----------
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. *Journal of
Econometrics* 225(2), 254-277.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.results import ResultFrame

__all__ = ["bacon_decomposition", "BaconTable"]


class BaconTable(ResultFrame):
    """The 2x2 comparisons of :func:`bacon_decomposition` with the result protocol (no standard errors: the
    decomposition is exact), keyed ``<treated>_vs_<control>``, with ``type`` and ``weight``."""

    what = "result.what.bacon"
    key = "{treated}_vs_{control}"


def bacon_decomposition(data: pd.DataFrame, outcome: str = "y", unit: str = "community_id",
                        time: str = "year", cohort: str = "first_treat") -> pd.DataFrame:
    """2x2 components of the TWFE DiD and their weights (Goodman-Bacon 2021).

    Parameters
    ----------
    data : DataFrame
        Balanced long panel without missing outcomes.
    outcome, unit, time, cohort : str
        Column names; ``cohort`` 0/NaN = never treated, a value after the last period is never treated too.

    Returns
    -------
    DataFrame
        One row per 2x2: ``treated`` (cohort), ``control`` (cohort or "never"), ``type`` ("treated vs never",
        "early vs late", "late vs early"), ``estimate`` (2x2 DiD), ``weight``. ``sum(weight) == 1`` and
        ``sum(weight * estimate)`` equals the TWFE coefficient.

    References
    ----------
    Goodman-Bacon (2021), Theorem 1.
    """
    d = data[[unit, time, cohort, outcome]].copy()
    if d[outcome].isna().any():
        raise ValueError("the decomposition needs a balanced panel without missing outcomes")
    wide = d.pivot(index=unit, columns=time, values=outcome)
    if wide.isna().any().any():
        raise ValueError("the decomposition needs a balanced panel (every unit in every period)")
    periods = wide.columns.to_numpy(dtype=float)
    T = periods.size
    g = pd.to_numeric(d.groupby(unit)[cohort].first(), errors="coerce").fillna(0.0).reindex(wide.index)
    g = g.where(g <= periods[-1], 0.0).to_numpy()
    y = wide.to_numpy(dtype=float)
    N = len(g)

    # treatment share and group bookkeeping
    def dbar(k: float) -> float:
        return 0.0 if k == 0 else float(np.mean(periods >= k))

    groups = np.unique(g)
    share = {k: float(np.mean(g == k)) for k in groups}
    ymean = {k: y[g == k].mean(axis=0) for k in groups}

    # variance of the two-way demeaned treatment dummy (balanced panel: simple double demeaning)
    D = (g[:, None] > 0) & (periods[None, :] >= g[:, None])
    Dd = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    vd = float(np.mean(Dd**2))
    if vd <= 0:
        raise ValueError("the treatment dummy has no variation after removing unit and period effects")

    def did(k_treat: float, k_ctrl: float, pre: np.ndarray, post: np.ndarray) -> float:
        yt, yc = ymean[k_treat], ymean[k_ctrl]
        return float((yt[post].mean() - yt[pre].mean()) - (yc[post].mean() - yc[pre].mean()))

    rows = []
    timing = [k for k in groups if k > 0 and dbar(k) < 1]  # groups that switch inside the window
    always = [k for k in groups if k > 0 and dbar(k) == 1]
    never = 0.0 in share
    for k in timing:
        dk = dbar(k)
        if never:
            nk, nu = share[k], share[0.0]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dk * (1 - dk) / vd
            rows.append((k, "never", "treated vs never",
                         did(k, 0.0, periods < k, periods >= k), w))
        for l in timing + always:
            if l == k:
                continue
            dl = dbar(l)
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            if l in always or dl > dk:
                # l treated earlier (or always): "late vs early", k treated, l already-treated control
                # window: periods where l is treated; k switches inside it
                win = periods >= l if l not in always else np.ones(T, bool)
                w = ((nk + nl) * dl) ** 2 * nkl * (1 - nkl) * (dk / dl) * ((dl - dk) / dl) / vd
                rows.append((k, l, "late vs early",
                             did(k, l, win & (periods < k), win & (periods >= k)), w))
            else:
                # l treated later: "early vs late", window before l starts
                win = periods < l
                w = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * ((dk - dl) / (1 - dl)) \
                    * ((1 - dk) / (1 - dl)) / vd
                rows.append((k, l, "early vs late",
                             did(k, l, win & (periods < k), win & (periods >= k)), w))
    out = BaconTable(rows, columns=["treated", "control", "type", "estimate", "weight"])
    out["treated"] = out["treated"].map(lambda v: int(v) if float(v).is_integer() else v)
    out["control"] = out["control"].map(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
    out["control"] = out["control"].astype(object)
    if N == 0 or out.empty:
        raise ValueError("no 2x2 comparisons: need at least one cohort that starts inside the panel")
    return out
