"""Calibration of survey weights: post-stratification, raking and linear (GREG) calibration.

Each function returns a new :class:`~evaluation.survey.design.SurveyDesign` whose weights are calibrated and whose
variances use the calibration residuals (the g-weighted regression residuals of the influence values), as R
``survey`` 4.1.1 does through ``design$postStrata``; treating calibrated weights as fixed would overstate the SE of
anything correlated with the calibration variables.

* :func:`poststratify` — R ``postStratify``: w ← w · N_c / N̂_c per cell.
* :func:`rake` — R ``rake``: iterated post-stratification on each margin until the largest change of the weighted
  cross-table of all margin variables is below ``tol`` (absolute, or ``tol`` × Σw when ``tol`` < 1). The variance
  uses R's fixed ten sweeps of margin-wise residualisation.
* :func:`calibrate` — R ``calibrate``: unbounded linear calibration is R's ``regcalibrate`` (g = 1 + xᵀ T⁻¹(t_x −
  t̂_x)); otherwise the generalised raking of Deville & Särndal (1992), R's ``grake``: Newton steps on the
  Lagrange multipliers η with g = 1 + F⁻¹(xᵀη), for ``calfun`` "linear" (truncated to ``bounds``), "raking"
  (g = exp(xᵀη) truncated to ``bounds``) or "logit" (g between finite ``bounds``), stopping when every
  |misfit| / (1 + |t_x|) < ``epsilon``; ``trim`` then moves g into ``trim`` and spreads the trimmed weight over
  the others in proportion to their weights (R's ``trim =``). The variance uses the same GREG residuals for every
  calfun, as R does (asymptotically equivalent, Deville & Särndal 1992, result 2).
* :func:`trim_weights` — R ``trimWeights``: weights outside [lower, upper] are set to the bound and the trimmed
  total is shared equally among the others (optionally repeated until none is outside, ``strict``); the design's
  calibration residuals are kept as they were.

References
----------
Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87, 376–382.
Lumley, T. (2010). *Complex Surveys*, ch. 7. Wiley.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import patsy
import scipy.linalg

from evaluation.survey.design import SurveyDesign
from evaluation.survey.variance import CalibrationStep

__all__ = ["CalibrationWarning", "poststratify", "rake", "calibrate", "trim_weights", "CALFUNS", "calibrate_matrix"]


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


def _clip_linear(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return np.minimum(np.maximum(u + 1, bounds[0]), bounds[1]) - 1


def _d_linear(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return ((u < bounds[1] - 1) & (u > bounds[0] - 1)).astype(float)


def _logit_parts(bounds: tuple[float, float]) -> tuple[float, float, float]:
    lo, hi = bounds
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("calfun='logit' needs finite bounds=(L, U) with L < 1 < U")
    if not lo < 1 < hi:
        raise ValueError(f"calfun='logit' needs bounds L < 1 < U, got {bounds}")
    return lo, hi, (hi - lo) / ((hi - 1) * (1 - lo))


def _fm1_logit(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi, a = _logit_parts(bounds)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1


def _d_logit(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi, a = _logit_parts(bounds)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        den = hi - 1 + (1 - lo) * e
        return hi * (1 - lo) * e * a / den - (lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * a) / den**2


def _fm1_raking(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.minimum(np.maximum(np.exp(u), bounds[0]), bounds[1]) - 1


def _d_raking(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    # R's cal.raking compares u (not exp(u)) with the bounds − 1 here; kept so the iterations are R's.
    with np.errstate(over="ignore"):
        return np.where((u < bounds[1] - 1) & (u > bounds[0] - 1), np.exp(u), 0.0)


# calfun -> (F⁻¹(u) − 1, dF⁻¹/du), R's cal.linear, cal.raking and cal.logit.
CALFUNS = {"linear": (_clip_linear, _d_linear), "raking": (_fm1_raking, _d_raking), "logit": (_fm1_logit, _d_logit)}


def _grake(x: np.ndarray, w: np.ndarray, target: np.ndarray, calfun: str, bounds: tuple[float, float],
           epsilon: float, max_iter: int) -> tuple[np.ndarray, float | None]:
    """R ``survey:::grake``: g-weights and, when it stopped without converging, the misfit reached."""
    fm1, dfm1 = CALFUNS[calfun]
    sample_total = x.T @ w
    # R rescales weights that are far below the totals (every total > 20 × its estimate) before iterating, and
    # multiplies g back afterwards; the bounds then apply to the rescaled weights, as R warns.
    scales = target / sample_total
    scale = float(np.mean(scales)) if np.min(scales) > 20 else None
    if scale is not None:
        if np.isfinite(bounds).any():
            warnings.warn(f"Bounds were set but will be interpreted after rescaling by {scale:.3g}",
                          CalibrationWarning, stacklevel=3)
        w = w * scale
        sample_total = sample_total * scale
    eta = np.zeros(x.shape[1])
    xeta = x @ eta
    deriv = dfm1(xeta, bounds)
    it = 1
    failed = None
    while True:
        tmat = (x * (w * deriv)[:, None]).T @ x
        misfit = target - sample_total - x.T @ (w * fm1(xeta, bounds))
        # R uses MASS::ginv(Tmat, tol = 256 eps): a pseudo-inverse, so collinear columns are harmless.
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = x @ eta
        g = 1 + fm1(xeta, bounds)
        deriv = dfm1(xeta, bounds)
        while it < max_iter and not (np.all(np.isfinite(g)) and np.all(np.isfinite(deriv))):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = x @ eta
            g = 1 + fm1(xeta, bounds)
            deriv = dfm1(xeta, bounds)
        misfit = target - sample_total - x.T @ (w * fm1(xeta, bounds))
        if np.all(np.abs(misfit) / (1 + np.abs(target)) < epsilon):
            break
        it += 1
        if it > max_iter:
            failed = float(np.max(np.abs(misfit) / (1 + np.abs(target))))
            break
    return g * (scale if scale is not None else 1.0), failed


def calibrate(
    design: SurveyDesign,
    formula: str,
    population: pd.Series | Mapping[str, float],
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    trim: tuple[float, float] | None = None,
    epsilon: float = 1e-7,
    max_iter: int = 50,
    force: bool = False,
) -> SurveyDesign:
    """Calibration to population totals of the columns of a model matrix (R ``calibrate``, Deville & Särndal).

    Parameters
    ----------
    formula
        Right-hand-side patsy formula, e.g. ``"~ stype + api99"``.
    population
        Population totals keyed by the model-matrix column names (``"Intercept"`` — or R's ``"(Intercept)"`` —,
        ``"stype[T.H]"``, ``"api99"``…).
    calfun
        ``"linear"`` (GREG; truncated linear with ``bounds``), ``"raking"`` (multiplicative, g = exp(xᵀη), truncated to ``bounds``) or
        ``"logit"`` (g kept inside finite ``bounds``), R's ``cal.linear``, ``cal.raking`` and ``cal.logit``.
    bounds
        ``(L, U)`` for the g-weights (the ratio of calibrated to input weights), R's ``bounds``.
    trim
        ``(lo, hi)``: after calibrating, g-weights outside are set to the limit and the difference spread over the
        others in proportion to their weights (R's ``trim``); the totals then no longer match exactly.
    epsilon, max_iter
        Convergence (every |misfit| / (1 + |total|) below ``epsilon``) and iteration limit, R's defaults.
    force
        Return the last iterate when it did not converge, with a :class:`CalibrationWarning` (R ``force = TRUE``);
        otherwise that is an error (``ValueError``).
    """
    if calfun not in CALFUNS:
        raise ValueError(f"calfun must be one of {tuple(CALFUNS)}, got {calfun!r}")
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo <= 1 <= hi:
        raise ValueError(f"bounds must satisfy L <= 1 <= U, got {bounds}")
    mm = patsy.dmatrix(formula, design.data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe")
    if mm.isna().any().any():
        raise ValueError("missing values in calibration variables")
    pop = {("Intercept" if k == "(Intercept)" else k): float(v) for k, v in dict(population).items()}
    missing = [c for c in mm.columns if c not in pop]
    extra = [k for k in pop if k not in mm.columns]
    if missing or extra:
        raise ValueError(f"population totals do not match the model matrix: missing {missing}, unknown {extra}")
    return calibrate_matrix(design, mm.to_numpy(dtype=float), np.array([pop[c] for c in mm.columns]), calfun=calfun,
                            bounds=(lo, hi), trim=trim, epsilon=epsilon, max_iter=max_iter, force=force)


def calibrate_matrix(
    design: SurveyDesign,
    x: np.ndarray,
    target: np.ndarray,
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    trim: tuple[float, float] | None = None,
    epsilon: float = 1e-7,
    max_iter: int = 50,
    force: bool = False,
) -> SurveyDesign:
    """:func:`calibrate` on a ready model matrix ``x`` (n × p) and its population totals ``target`` (p).

    Redundant columns (e.g. cell indicators of several margins that each add up to the same total) are harmless:
    the Newton step uses a pseudo-inverse, as R's ``grake`` does with ``MASS::ginv``, and the variance projects on
    the column space found by a rank-revealing QR (R ``qr``, tolerance 1e-7).
    """
    if calfun not in CALFUNS:
        raise ValueError(f"calfun must be one of {tuple(CALFUNS)}, got {calfun!r}")
    lo, hi = float(bounds[0]), float(bounds[1])
    x = np.asarray(x, dtype=float)
    target = np.asarray(target, dtype=float)
    w = design._weights
    sample_total = x.T @ w
    keep = ~((sample_total == 0) & (target == 0) & np.all(x == 0, axis=0))
    x, target, sample_total = x[:, keep], target[keep], sample_total[keep]
    whalf = np.sqrt(w)
    if calfun == "linear" and np.isinf(lo) and np.isinf(hi):
        tmat = (x * w[:, None]).T @ x
        g = 1 + x @ np.linalg.solve(tmat, target - sample_total)
    else:
        g, failed = _grake(x, w, target, calfun, (lo, hi), epsilon, max_iter)
        if trim is not None:
            trimmed = _trim_g(g, w, trim)
            if not np.array_equal(trimmed, g):
                g, failed = trimmed, None  # R clears the failure once it has trimmed
        if failed is not None:
            msg = f"Calibration failed to converge: misfit {failed:.3g} after {max_iter} iterations"
            if not force:
                raise ValueError(msg + " (widen bounds, collapse sparse cells, or force=True)")
            warnings.warn(msg, CalibrationWarning, stacklevel=2)
    q, r, _ = scipy.linalg.qr(x * whalf[:, None], mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-7 * diag.max())) if len(diag) else 0
    return design._derive(w * g, CalibrationStep("greg", q=q[:, :rank], weights=g * whalf))


def _trim_g(g: np.ndarray, w: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    """R ``calibrate(trim = )``: clip g, give the trimmed weight to the others in proportion to their weight."""
    gnew = np.maximum(trim[0], np.minimum(g, trim[1]))
    outside = (g < trim[0]) | (g > trim[1])
    if outside.any():
        trimmings = (g - gnew) * w
        gnew[~outside] = gnew[~outside] + trimmings.sum() / w[~outside].sum()
    return gnew


def trim_weights(design: SurveyDesign, upper: float = np.inf, lower: float = -np.inf,
                 strict: bool = False) -> SurveyDesign:
    """Trim the analysis weights into [lower, upper] (R ``trimWeights``), keeping the total of the weights.

    Weights outside are set to the bound; the trimmed amount is shared equally among the units inside (so they can
    cross the bound again: ``strict=True`` repeats until none does). The design's calibration residuals are kept
    unchanged, as R keeps ``postStrata``: the variance treats the trimmed weights like the calibrated ones.

    Reference: Potter, F. (1990). A study of procedures to identify and trim extreme sampling weights. *Proceedings
    of the Survey Research Methods Section*, ASA, 225–230; Lumley (2023), survey ``trimWeights``.
    """
    if lower > upper:
        raise ValueError(f"lower ({lower}) is above upper ({upper})")
    w = design._weights.copy()
    while True:
        outside = (w < lower) | (w > upper)
        if not outside.any():
            break
        if outside.all():
            raise ValueError("every weight is outside the trimming bounds: nothing can take the trimmed weight")
        new = np.clip(w, lower, upper)
        new[~outside] += (w - new).sum() / (~outside).sum()
        w = new
        if not strict:
            break
    new_design = copy.copy(design)
    new_design._weights = w
    return new_design
