"""Survey contingency tables and the Rao–Scott test of association (R ``svytable``, ``svychisq``).

* :func:`svytable` — weighted cross-table of one or two factors (R ``svytable``), optionally rescaled to a total
  (``Ntotal``, R's rescaling for unstratified use).
* :func:`svychisq` — Pearson's X² of the weighted table rescaled to the sample size, corrected for the design by
  Rao & Scott (1984): with the design-effect matrix Δ = (C'D⁻¹C/N)⁻¹ C'D⁻¹VD⁻¹C of the interaction contrasts C
  (residuals of the saturated model's interaction columns on the main effects), ``statistic="F"`` is the
  second-order correction F = X² / tr(Δ) on (d, d·ν) degrees of freedom, d = tr(Δ)² / tr(Δ²), ν = #PSUs − #strata
  (R's default); ``statistic="Chisq"`` is the first-order correction X² / mean(diag Δ) against χ² with
  (r−1)(c−1) degrees of freedom. V is the linearised covariance of the cell proportions (rows missing either
  factor are a domain, R's ``na.rm = TRUE``), so strata, clusters, fpc and calibration all count.

References
----------
Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway contingency tables with cell proportions
estimated from survey data. *Annals of Statistics* 12, 46–60.
Lumley, T. (2023). survey 4.1-1: ``svychisq``, ``svytable``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.survey.design import SurveyDesign, _levels

__all__ = ["svytable", "svychisq"]


def svytable(design: SurveyDesign, rows: str, cols: str | None = None, total: float | None = None) -> pd.DataFrame:
    """Weighted counts of ``rows`` (× ``cols``) — R ``svytable`` — as a table indexed by the levels.

    Units missing a factor are left out. ``total`` rescales the table to that sum (R's ``Ntotal`` for an
    unstratified design or a single total).
    """
    w = design.weights.to_numpy()
    keys = [rows] if cols is None else [rows, cols]
    frame = design.data[keys].assign(_w=w).dropna(subset=keys)
    if cols is None:
        tab = frame.groupby(rows)["_w"].sum().reindex(_levels(design.data[rows]), fill_value=0.0)
    else:
        tab = frame.pivot_table(index=rows, columns=cols, values="_w", aggfunc="sum", fill_value=0.0)
        tab = tab.reindex(index=_levels(design.data[rows]), columns=_levels(design.data[cols]), fill_value=0.0)
    if total is not None:
        tab = tab * total / float(np.asarray(tab).sum())
    return tab


def svychisq(design: SurveyDesign, rows: str, cols: str, statistic: Literal["F", "Chisq"] = "F") -> pd.DataFrame:
    """Design-based test of independence of two factors (R ``svychisq``, Rao–Scott corrections).

    Returns one row: ``statistic`` (F, or Pearson's X² for ``"Chisq"``), ``ndf``, ``ddf`` (NaN for ``"Chisq"``),
    ``p_value``, ``pearson`` (X² of the table rescaled to n), ``mean_deff`` (mean eigenvalue of Δ) and
    ``method``.
    """
    if statistic not in ("F", "Chisq"):
        raise ValueError("statistic must be 'F' or 'Chisq'")
    data = design.data
    rlev, clev = _levels(data[rows]), _levels(data[cols])
    nr, nc = len(rlev), len(clev)
    if nr < 2 or nc < 2:
        raise ValueError(f"{rows!r} and {cols!r} need at least two levels each to test an association")
    n = len(data)
    # Cell indicators in R's interaction() order: the row factor varies fastest.
    ok = (data[rows].notna() & data[cols].notna()).to_numpy()
    cell_cols = {}
    for j, c in enumerate(clev):
        for i, r in enumerate(rlev):
            cell_cols[f"_cell{j * nr + i}"] = np.where(ok, ((data[rows] == r) & (data[cols] == c)).to_numpy(float),
                                                       np.nan)
    # The covariance of the cell shares: one linearisation over all cells (domain = complete rows).
    w = design._weights * ok
    big_w = w.sum()
    ind = np.column_stack([np.nan_to_num(v) for v in cell_cols.values()])
    mean2 = (w @ ind) / big_w
    z = w[:, None] * (ind - mean2) / big_w
    v = design._vcov(z, ok & (w != 0))

    x1 = np.column_stack([np.ones(nr * nc)] + [np.tile(np.arange(nr) == i, nc) for i in range(1, nr)]
                         + [np.repeat(np.arange(nc) == j, nr) for j in range(1, nc)]).astype(float)
    inter = np.column_stack([np.tile(np.arange(nr) == i, nc) * np.repeat(np.arange(nc) == j, nr)
                             for j in range(1, nc) for i in range(1, nr)]).astype(float)
    cmat = inter - x1 @ np.linalg.lstsq(x1, inter, rcond=None)[0]
    with np.errstate(divide="ignore"):
        inv_d = np.where(mean2 == 0, 0.0, 1 / mean2)
    denom = (cmat.T * inv_d) @ cmat / n
    numr = (cmat.T * inv_d) @ v @ (inv_d[:, None] * cmat)
    delta = np.linalg.solve(denom, numr)
    tr = np.trace(delta)
    d0 = tr**2 / np.trace(delta @ delta)

    table = np.asarray(svytable(design, rows, cols, total=n), dtype=float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.nansum((table - expected) ** 2 / expected))
    nu = design.degf()
    if statistic == "F":
        f = pearson / tr
        return pd.DataFrame([{"statistic": f, "ndf": d0, "ddf": d0 * nu, "p_value": float(stats.f.sf(f, d0, d0 * nu)),
                              "pearson": pearson, "mean_deff": tr / delta.shape[0],
                              "method": "Pearson's X^2: Rao & Scott adjustment (F)"}])
    k = delta.shape[0]
    return pd.DataFrame([{"statistic": pearson, "ndf": float(k), "ddf": np.nan,
                          "p_value": float(stats.chi2.sf(pearson / (tr / k), k)), "pearson": pearson,
                          "mean_deff": tr / k, "method": "Pearson's X^2: Rao & Scott adjustment (chisq)"}])
