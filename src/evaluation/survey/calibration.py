"""Calibration of survey weights: post-stratification, raking and linear (GREG) calibration.

Each function returns a new :class:`~evaluation.survey.design.SurveyDesign` whose weights are calibrated and whose
variances use the calibration residuals (the g-weighted regression residuals of the influence values), as R
``survey`` 4.1.1 does through ``design$postStrata``; treating calibrated weights as fixed would overstate the SE of
anything correlated with the calibration variables.

* :func:`poststratify` — R ``postStratify``: w ← w · N_c / N̂_c per cell.
* :func:`rake` — R ``rake``: iterated post-stratification on each margin until the largest change of the weighted
  cross-table of all margin variables is below ``tol`` (absolute, or ``tol`` × Σw when ``tol`` < 1). The variance
  uses R's fixed ten sweeps of margin-wise residualisation.
* :func:`calibrate` — R ``calibrate(calfun = "linear")`` without bounds (``regcalibrate``): g = 1 + xᵀ T⁻¹(t_x − t̂_x).

References
----------
Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87, 376–382.
Lumley, T. (2010). *Complex Surveys*, ch. 7. Wiley.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import patsy

from evaluation.survey.design import SurveyDesign
from evaluation.survey.variance import CalibrationStep

__all__ = ["CalibrationWarning", "poststratify", "rake", "calibrate"]


class CalibrationWarning(UserWarning):
    """Raking stopped before convergence."""


def _cells(design: SurveyDesign, cols: list[str]) -> tuple[np.ndarray, list[tuple]]:
    frame = design.data[cols]
    if frame.isna().any().any():
        raise ValueError(f"missing values in calibration variable(s) {cols}")
    keys = list(frame.itertuples(index=False, name=None))
    uniq = sorted(set(keys), key=lambda t: tuple(map(str, t)))
    code_of = {k: i for i, k in enumerate(uniq)}
    return np.array([code_of[k] for k in keys], dtype=np.int64), uniq


def _population_lookup(population: pd.Series | Mapping, cols: list[str]) -> dict[tuple, float]:
    if isinstance(population, Mapping) and not isinstance(population, pd.Series):
        if len(population) == 1 and next(iter(population)) in cols:
            population = next(iter(population.values()))
        else:
            population = pd.Series(population)
    out = {}
    for key, value in population.items():
        out[key if isinstance(key, tuple) else (key,)] = float(value)
    return out


def _poststratify_weights(
    w: np.ndarray, codes: np.ndarray, cells: list[tuple], pop: dict[tuple, float], partial: bool
) -> np.ndarray:
    sample = np.bincount(codes, weights=w, minlength=len(cells))
    target = np.empty(len(cells))
    for i, cell in enumerate(cells):
        match = pop.get(cell)
        if match is None:
            # Also accept population indexes of another dtype than the data (e.g. "1" vs 1).
            match = next((v for k, v in pop.items() if tuple(map(str, k)) == tuple(map(str, cell))), None)
        if match is None or (match == 0 and sample[i] > 0):
            raise ValueError(f"Strata in sample absent from population: {cell}")
        target[i] = match
    sample_cells = {tuple(map(str, c)) for c in cells}
    missing = [k for k, v in pop.items() if v != 0 and tuple(map(str, k)) not in sample_cells]
    if missing and not partial:
        raise ValueError(f"Some strata absent from sample: use partial=True to ignore them ({missing})")
    return w * (target / sample)[codes]


def poststratify(
    design: SurveyDesign, by: str | Sequence[str], population: pd.Series | Mapping, partial: bool = False
) -> SurveyDesign:
    """Post-stratify the weights to known population counts (R ``postStratify``).

    Parameters
    ----------
    design
        The design to calibrate.
    by
        Post-stratum column(s).
    population
        Population counts indexed by the levels of ``by`` (a MultiIndex for several columns), or a one-item dict
        ``{by: Series}``.
    partial
        Ignore population cells absent from the sample instead of failing (R ``partial = TRUE``).
    """
    cols = [by] if isinstance(by, str) else list(by)
    codes, cells = _cells(design, cols)
    old = design._weights
    new = _poststratify_weights(old, codes, cells, _population_lookup(population, cols), partial)
    return design._derive(new, CalibrationStep("poststratify", codes=codes, weights=new, old_weights=old))


def rake(
    design: SurveyDesign, margins: Mapping[str, pd.Series], tol: float = 1e-10, max_iter: int = 100
) -> SurveyDesign:
    """Rake the weights to several one-way margins (R ``rake``, iterative proportional fitting).

    Parameters
    ----------
    margins
        ``{column: Series of population counts indexed by the column's levels}``.
    tol
        Convergence threshold on the weighted cross-table of all margin columns: absolute if ≥ 1, else relative to
        the sum of the weights (R's ``control$epsilon``).
    max_iter
        Maximum number of raking sweeps (R's ``control$maxit``). A :class:`CalibrationWarning` is issued when it is
        reached without convergence.
    """
    cols = list(margins)
    eps = tol * design._weights.sum() if tol < 1 else tol
    margin_cells = [_cells(design, [c]) for c in cols]
    pops = [_population_lookup(margins[c], [c]) for c in cols]
    full_codes, full_cells = _cells(design, cols)
    w = design._weights
    old_table = np.bincount(full_codes, weights=w, minlength=len(full_cells))
    converged = False
    sweeps: list[tuple[np.ndarray, np.ndarray]] = []
    iteration = 0
    while iteration < max_iter:
        sweeps = []
        for (codes, cells), pop in zip(margin_cells, pops):
            w = _poststratify_weights(w, codes, cells, pop, partial=False)
            sweeps.append((codes, w))
        new_table = np.bincount(full_codes, weights=w, minlength=len(full_cells))
        if np.max(np.abs(old_table - new_table)) < eps:
            converged = True
            break
        old_table = new_table
        iteration += 1
    if not converged:
        warnings.warn(f"Raking did not converge after {iteration} iterations", CalibrationWarning, stacklevel=2)
    return design._derive(w, CalibrationStep("rake", margins=tuple(sweeps)))


def calibrate(
    design: SurveyDesign, formula: str, population: pd.Series | Mapping[str, float], calfun: str = "linear"
) -> SurveyDesign:
    """Linear (GREG) calibration to population totals of the columns of a model matrix (R ``calibrate``).

    Parameters
    ----------
    formula
        Right-hand-side patsy formula, e.g. ``"~ stype + api99"``.
    population
        Population totals keyed by the model-matrix column names (``"Intercept"`` — or R's ``"(Intercept)"`` —,
        ``"stype[T.H]"``, ``"api99"``…).
    calfun
        Only ``"linear"`` (unbounded), R's ``regcalibrate``.
    """
    if calfun != "linear":
        raise ValueError("only calfun='linear' is implemented")
    mm = patsy.dmatrix(formula, design.data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe")
    if mm.isna().any().any():
        raise ValueError("missing values in calibration variables")
    pop = {("Intercept" if k == "(Intercept)" else k): float(v) for k, v in dict(population).items()}
    missing = [c for c in mm.columns if c not in pop]
    extra = [k for k in pop if k not in mm.columns]
    if missing or extra:
        raise ValueError(f"population totals do not match the model matrix: missing {missing}, unknown {extra}")
    x = mm.to_numpy(dtype=float)
    target = np.array([pop[c] for c in mm.columns])
    w = design._weights
    sample_total = x.T @ w
    keep = ~((sample_total == 0) & (target == 0) & np.all(x == 0, axis=0))
    x, target, sample_total = x[:, keep], target[keep], sample_total[keep]
    whalf = np.sqrt(w)
    tmat = (x * w[:, None]).T @ x
    g = 1 + x @ np.linalg.solve(tmat, target - sample_total)
    q, _ = np.linalg.qr(x * whalf[:, None])
    return design._derive(w * g, CalibrationStep("greg", q=q, weights=g * whalf))
