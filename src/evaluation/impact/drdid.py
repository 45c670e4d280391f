"""Two-group, two-period DiD estimators for the ATT with their influence functions.

These are the building blocks that :func:`evaluation.impact.staggered_did.staggered_did` runs once per
group-time cell, exactly as R's ``did::att_gt`` calls the DRDID package:

* ``dr``  -- locally efficient ("traditional") doubly robust DiD of Sant'Anna & Zhao (2020, eq. 3.1 for panel
  data, eq. 3.4 for repeated cross-sections): logit propensity score by maximum likelihood, linear outcome
  regressions by OLS (``DRDID::drdid_panel`` / ``DRDID::drdid_rc``; this is what ``did`` runs for
  ``est_method = "dr"``, not the "improved" ``drdid_imp_panel``).
* ``ipw`` -- normalised (Hajek) inverse-probability-weighted DiD of Abadie (2005) (``std_ipw_did_panel`` /
  ``std_ipw_did_rc``).
* ``reg`` -- outcome-regression DiD of Heckman, Ichimura & Todd (1997) (``reg_did_panel`` / ``reg_did_rc``).

Why our own code rather than statsmodels: the influence functions need the logit Hessian, the OLS
"bread" and the score of every unit, and they must equal DRDID's to rounding error. The logit is a
plain Newton-Raphson on the weighted log-likelihood (the MLE is unique, so any converged fit matches
R's IRLS); OLS is ``numpy.linalg.lstsq`` after an explicit rank check so that collinear covariates give a
readable error instead of a singular-matrix failure.

References
----------
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
*Journal of Econometrics* 219(1), 101-122.
Abadie, A. (2005). Semiparametric difference-in-differences estimators. *Review of Economic Studies* 72(1), 1-19.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from evaluation.results import ResultMixin, tidy_frame

__all__ = ["TwoByTwo", "did_panel", "did_repeated_cross_section", "ESTIMATION_METHODS", "OverlapError",
           "OVERLAP_LEVEL"]

ESTIMATION_METHODS = ("dr", "ipw", "reg")
# DRDID trims comparison units whose propensity score reaches this level (its default trim.level).
_TRIM_LEVEL = 0.995
#: ``did::att_gt`` gives up on a cell (ATT(g,t) = NA) when a fitted propensity score reaches this level.
OVERLAP_LEVEL = 0.999
_EPS = np.finfo(float).eps


class OverlapError(ValueError):
    """The propensity score leaves no overlap: perfect separation, or a fitted score at :data:`OVERLAP_LEVEL`."""


@dataclass(frozen=True)
class TwoByTwo(ResultMixin):
    """ATT of one 2x2 comparison and its influence function (one entry per observation passed in).

    Result protocol: one row, the ATT, ``n`` the observations; no SE (the caller aggregates influence functions,
    :func:`evaluation.impact.staggered_did.staggered_did`)."""

    att: float
    influence: np.ndarray

    what = "result.what.estimate"

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.att, n=len(self.influence))

    def record_fields(self) -> tuple[str, ...]:
        return ("n",)


def _check_design(x: np.ndarray, rows: np.ndarray, what: str) -> None:
    sub = x[rows]
    if sub.shape[0] < sub.shape[1]:
        raise ValueError(
            f"{what}: only {sub.shape[0]} observation(s) for {sub.shape[1]} regression coefficient(s) "
            "(intercept plus covariates); the cohort is too small for this covariate set"
        )
    if np.linalg.matrix_rank(sub) < sub.shape[1]:
        raise ValueError(
            f"{what}: the covariates are collinear (or constant) among these {sub.shape[0]} observations; "
            "drop or combine covariates"
        )


def _wols(x: np.ndarray, y: np.ndarray, w: np.ndarray, rows: np.ndarray, what: str) -> np.ndarray:
    _check_design(x, rows, what)
    sw = np.sqrt(w[rows])
    coef, *_ = np.linalg.lstsq(x[rows] * sw[:, None], y[rows] * sw, rcond=None)
    return coef


def _logit(x: np.ndarray, d: np.ndarray, w: np.ndarray, what: str) -> np.ndarray:
    """Weighted logit MLE by Newton-Raphson; returns fitted probabilities."""
    _check_design(x, np.ones(len(d), dtype=bool), what)
    if d.min() == d.max():
        raise ValueError(f"{what}: no {'comparison' if d.min() == 1 else 'treated'} units")
    k = x.shape[1]
    n_small = int(min(d.sum(), (1 - d).sum()))
    if k > 1 and n_small <= k:
        raise ValueError(
            f"{what}: only {n_small} unit(s) on one side for a propensity score with {k} coefficients; "
            "the cohort is too small for this covariate set (use fewer covariates or method='reg')"
        )
    beta = np.zeros(x.shape[1])
    p0 = np.average(d, weights=w)
    beta[0] = np.log(p0 / (1 - p0)) if np.allclose(x[:, 0], 1.0) else 0.0
    for _ in range(100):
        p = expit(x @ beta)
        grad = x.T @ (w * (d - p))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise OverlapError(f"{what}: propensity-score model is singular (perfect prediction?)") from exc
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    else:
        raise OverlapError(f"{what}: propensity-score logit did not converge (perfect separation?)")
    p = expit(x @ beta)
    if np.min(np.minimum(p, 1 - p)) < 1e-10:
        raise OverlapError(f"{what}: the propensity score separates the groups perfectly (no overlap)")
    if p.max() >= OVERLAP_LEVEL:
        raise OverlapError(f"{what}: a propensity score reaches {OVERLAP_LEVEL} (overlap fails, as did::att_gt "
                           f"checks)")
    return p


def _ps_hessian_inv(x: np.ndarray, ps: np.ndarray, w: np.ndarray, what: str) -> np.ndarray:
    n = x.shape[0]
    xtwx = (x * (ps * (1 - ps) * w)[:, None]).T @ x
    if 1.0 / np.linalg.cond(xtwx, 1) < _EPS:
        raise ValueError(f"{what}: the propensity-score design matrix is singular; remove covariates")
    return np.linalg.inv(xtwx) * n


def _bread(x: np.ndarray, wts: np.ndarray, what: str) -> np.ndarray:
    n = x.shape[0]
    xpx = (x * wts[:, None]).T @ x / n
    if 1.0 / np.linalg.cond(xpx, 1) < _EPS:
        raise ValueError(f"{what}: the outcome-regression design matrix is singular; remove covariates")
    return np.linalg.inv(xpx)


def did_panel(
    y_post: np.ndarray,
    y_pre: np.ndarray,
    treated: np.ndarray,
    covariates: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: str = "dr",
    label: str = "2x2 DiD",
) -> TwoByTwo:
    """ATT of a 2x2 panel DiD with its influence function, as ``DRDID::{drdid,std_ipw_did,reg_did}_panel``.

    Parameters
    ----------
    y_post, y_pre : array
        Outcome of each unit in the later and earlier period.
    treated : array of 0/1
        Group indicator (1 = the cohort, 0 = comparison units).
    covariates : array (n, k) or None
        Design matrix *including* the intercept column; ``None`` means intercept only.
    weights : array or None
        Sampling weights (normalised to mean one, as DRDID does).
    method : {"dr", "ipw", "reg"}
    label : str
        Prefix of error messages (names the cell).

    Returns
    -------
    TwoByTwo
        ``att`` and ``influence`` (length n; ``Var(att) ~ sum(influence**2) / n**2``).

    References
    ----------
    Sant'Anna & Zhao (2020), section 3.1; Abadie (2005); Heckman, Ichimura & Todd (1997).
    """
    d = np.asarray(treated, dtype=float)
    n = d.size
    dy = np.asarray(y_post, dtype=float) - np.asarray(y_pre, dtype=float)
    x = np.ones((n, 1)) if covariates is None else np.asarray(covariates, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.mean()
    if method not in ESTIMATION_METHODS:
        raise ValueError(f"method must be one of {ESTIMATION_METHODS}, got {method!r}")
    control = d == 0

    if method in ("dr", "reg"):
        coef = _wols(x, dy, w, control, f"{label} (outcome regression, comparison units)")
        out_delta = x @ coef
        w_ols = w * (1 - d)
        alr_ols = (w_ols * (dy - out_delta))[:, None] * x @ _bread(x, w_ols, label)

    if method == "reg":
        w_t = w * d
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_t * out_delta) / np.mean(w_t)
        inf_treat = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        m1 = np.mean(w_t[:, None] * x, axis=0)
        inf_cont = (w_t * out_delta - w_t * eta_c + alr_ols @ m1) / np.mean(w_t)
        return TwoByTwo(float(eta_t - eta_c), inf_treat - inf_cont)

    ps = _logit(x, d, w, f"{label} (propensity score)")
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(control, ps < _TRIM_LEVEL, True).astype(float)
    alr_ps = (w * (d - ps))[:, None] * x @ _ps_hessian_inv(x, ps, w, label)
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)

    if method == "ipw":
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_c * dy) / np.mean(w_c)
        inf_treat = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        m2 = np.mean((w_c * (dy - eta_c))[:, None] * x, axis=0)
        inf_cont = (w_c * dy - w_c * eta_c + alr_ps @ m2) / np.mean(w_c)
        return TwoByTwo(float(eta_t - eta_c), inf_treat - inf_cont)

    resid = dy - out_delta
    eta_t = np.mean(w_t * resid) / np.mean(w_t)
    eta_c = np.mean(w_c * resid) / np.mean(w_c)
    m1 = np.mean(w_t[:, None] * x, axis=0)
    inf_treat = (w_t * resid - w_t * eta_t - alr_ols @ m1) / np.mean(w_t)
    m2 = np.mean((w_c * (resid - eta_c))[:, None] * x, axis=0)
    m3 = np.mean(w_c[:, None] * x, axis=0)
    inf_cont = (w_c * resid - w_c * eta_c + alr_ps @ m2 - alr_ols @ m3) / np.mean(w_c)
    return TwoByTwo(float(eta_t - eta_c), inf_treat - inf_cont)


def did_repeated_cross_section(
    y: np.ndarray,
    post: np.ndarray,
    treated: np.ndarray,
    covariates: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: str = "dr",
    label: str = "2x2 DiD",
) -> TwoByTwo:
    """ATT of a 2x2 DiD with repeated cross-sections, as ``DRDID::{drdid,std_ipw_did,reg_did}_rc``.

    Parameters
    ----------
    y : array
        Outcome of each observation.
    post : array of 0/1
        1 for observations in the later period.
    treated, covariates, weights, method, label
        As in :func:`did_panel`.

    Returns
    -------
    TwoByTwo
        ``att`` and the influence function of each observation.

    References
    ----------
    Sant'Anna & Zhao (2020), section 3.2 (locally efficient DR, eq. 3.4); Abadie (2005).
    """
    d = np.asarray(treated, dtype=float)
    t = np.asarray(post, dtype=float)
    y = np.asarray(y, dtype=float)
    n = d.size
    x = np.ones((n, 1)) if covariates is None else np.asarray(covariates, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.mean()
    if method not in ESTIMATION_METHODS:
        raise ValueError(f"method must be one of {ESTIMATION_METHODS}, got {method!r}")
    for dd, tt, name in ((1, 1, "treated, later period"), (1, 0, "treated, earlier period"),
                         (0, 1, "comparison, later period"), (0, 0, "comparison, earlier period")):
        if not np.any((d == dd) & (t == tt)):
            raise ValueError(f"{label}: no observations in cell ({name})")

    def ols_piece(dd: int, tt: int) -> tuple[np.ndarray, np.ndarray]:
        rows = (d == dd) & (t == tt)
        coef = _wols(x, y, w, rows, f"{label} (outcome regression)")
        fit = x @ coef
        wo = w * rows
        alr = (wo * (y - fit))[:, None] * x @ _bread(x, wo, label)
        return fit, alr

    if method == "reg":
        fit_c0, alr_c0 = ols_piece(0, 0)
        fit_c1, alr_c1 = ols_piece(0, 1)
        w_t0 = w * d * (1 - t)
        w_t1 = w * d * t
        w_d = w * d
        reg_t0 = np.mean(w_t0 * y) / np.mean(w_t0)
        reg_t1 = np.mean(w_t1 * y) / np.mean(w_t1)
        reg_c = np.mean(w_d * (fit_c1 - fit_c0)) / np.mean(w_d)
        att = reg_t1 - reg_t0 - reg_c
        inf_t = (w_t1 * (y - reg_t1)) / np.mean(w_t1) - (w_t0 * (y - reg_t0)) / np.mean(w_t0)
        inf_c1 = w_d * (fit_c1 - fit_c0) - w_d * reg_c
        m1 = np.mean(w_d[:, None] * x, axis=0)
        inf_c = (inf_c1 + alr_c1 @ m1 - alr_c0 @ m1) / np.mean(w_d)
        return TwoByTwo(float(att), inf_t - inf_c)

    ps = _logit(x, d, w, f"{label} (propensity score)")
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 0, ps < _TRIM_LEVEL, True).astype(float)
    alr_ps = (w * (d - ps))[:, None] * x @ _ps_hessian_inv(x, ps, w, label)

    if method == "ipw":
        w_t0 = trim * w * d * (1 - t)
        w_t1 = trim * w * d * t
        w_c0 = trim * w * ps * (1 - d) * (1 - t) / (1 - ps)
        w_c1 = trim * w * ps * (1 - d) * t / (1 - ps)
        e_t0, e_t1 = w_t0 * y / np.mean(w_t0), w_t1 * y / np.mean(w_t1)
        e_c0, e_c1 = w_c0 * y / np.mean(w_c0), w_c1 * y / np.mean(w_c1)
        a_t0, a_t1, a_c0, a_c1 = (float(np.mean(v)) for v in (e_t0, e_t1, e_c0, e_c1))
        att = (a_t1 - a_t0) - (a_c1 - a_c0)
        inf_t = (e_t1 - w_t1 * a_t1 / np.mean(w_t1)) - (e_t0 - w_t0 * a_t0 / np.mean(w_t0))
        inf_c_lead = (e_c1 - w_c1 * a_c1 / np.mean(w_c1)) - (e_c0 - w_c0 * a_c0 / np.mean(w_c0))
        m2_0 = np.mean((w_c0 * (y - a_c0))[:, None] * x, axis=0) / np.mean(w_c0)
        m2_1 = np.mean((w_c1 * (y - a_c1))[:, None] * x, axis=0) / np.mean(w_c1)
        inf_c = inf_c_lead + alr_ps @ (m2_1 - m2_0)
        return TwoByTwo(float(att), inf_t - inf_c)

    fit_c0, alr_c0 = ols_piece(0, 0)
    fit_c1, alr_c1 = ols_piece(0, 1)
    fit_t0, alr_t0 = ols_piece(1, 0)
    fit_t1, alr_t1 = ols_piece(1, 1)
    fit_c = t * fit_c1 + (1 - t) * fit_c0
    w_t0 = trim * w * d * (1 - t)
    w_t1 = trim * w * d * t
    w_c0 = trim * w * ps * (1 - d) * (1 - t) / (1 - ps)
    w_c1 = trim * w * ps * (1 - d) * t / (1 - ps)
    w_d = trim * w * d
    w_dt1 = trim * w * d * t
    w_dt0 = trim * w * d * (1 - t)
    r = y - fit_c
    e_t0, e_t1 = w_t0 * r / np.mean(w_t0), w_t1 * r / np.mean(w_t1)
    e_c0, e_c1 = w_c0 * r / np.mean(w_c0), w_c1 * r / np.mean(w_c1)
    e_d1 = w_d * (fit_t1 - fit_c1) / np.mean(w_d)
    e_dt1 = w_dt1 * (fit_t1 - fit_c1) / np.mean(w_dt1)
    e_d0 = w_d * (fit_t0 - fit_c0) / np.mean(w_d)
    e_dt0 = w_dt0 * (fit_t0 - fit_c0) / np.mean(w_dt0)
    a = {k: float(np.mean(v)) for k, v in dict(t0=e_t0, t1=e_t1, c0=e_c0, c1=e_c1,
                                               d1=e_d1, dt1=e_dt1, d0=e_d0, dt0=e_dt0).items()}
    att = (a["t1"] - a["t0"]) - (a["c1"] - a["c0"]) + (a["d1"] - a["dt1"]) - (a["d0"] - a["dt0"])

    inf_t0 = e_t0 - w_t0 * a["t0"] / np.mean(w_t0)
    inf_t1 = e_t1 - w_t1 * a["t1"] / np.mean(w_t1)
    m1_1 = -np.mean((w_t1 * t)[:, None] * x, axis=0) / np.mean(w_t1)
    m1_0 = -np.mean((w_t0 * (1 - t))[:, None] * x, axis=0) / np.mean(w_t0)
    inf_treat_or = alr_c1 @ m1_1 + alr_c0 @ m1_0
    inf_c0 = e_c0 - w_c0 * a["c0"] / np.mean(w_c0)
    inf_c1 = e_c1 - w_c1 * a["c1"] / np.mean(w_c1)
    m2_0 = np.mean((w_c0 * (r - a["c0"]))[:, None] * x, axis=0) / np.mean(w_c0)
    m2_1 = np.mean((w_c1 * (r - a["c1"]))[:, None] * x, axis=0) / np.mean(w_c1)
    inf_cont_ps = alr_ps @ (m2_1 - m2_0)
    m3_1 = -np.mean((w_c1 * t)[:, None] * x, axis=0) / np.mean(w_c1)
    m3_0 = -np.mean((w_c0 * (1 - t))[:, None] * x, axis=0) / np.mean(w_c0)
    inf_cont_or = alr_c1 @ m3_1 + alr_c0 @ m3_0
    inf_eff = ((e_d1 - w_d * a["d1"] / np.mean(w_d)) - (e_dt1 - w_dt1 * a["dt1"] / np.mean(w_dt1))
               - (e_d0 - w_d * a["d0"] / np.mean(w_d)) + (e_dt0 - w_dt0 * a["dt0"] / np.mean(w_dt0)))
    mom1 = np.mean((w_d / np.mean(w_d) - w_dt1 / np.mean(w_dt1))[:, None] * x, axis=0)
    mom0 = np.mean((w_d / np.mean(w_d) - w_dt0 / np.mean(w_dt0))[:, None] * x, axis=0)
    inf_or = (alr_t1 - alr_c1) @ mom1 - (alr_t0 - alr_c0) @ mom0
    inf_treat = inf_t1 - inf_t0 + inf_treat_or
    inf_cont = inf_c1 - inf_c0 + inf_cont_ps + inf_cont_or
    return TwoByTwo(float(att), inf_treat - inf_cont + inf_eff + inf_or)
