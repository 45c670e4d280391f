"""Negative-binomial (NB2) regression for overdispersed counts such as attendance per activity.

The model is log E[y] = Xβ (+ offset), Var[y] = μ + αμ² (NB2; θ = 1/α in R's parameterisation). It is fitted as R's
``MASS::glm.nb`` does (:func:`fit_nb2`, the package's one NB2 fit, which the interrupted time series uses too):

1. θ by maximum likelihood given μ (the profile likelihood, as ``MASS::theta.ml``) and β by IRLS given θ
   (``statsmodels`` GLM, NB family), alternated until θ settles: the joint maximum.
2. β and its standard errors from the GLM with θ held at its estimate, since ``glm.nb`` reports the GLM's
   Fisher-information SEs for β given θ.

The SE of θ is MASS's: the inverse observed information of θ with μ held fixed (``MASS::theta.ml``). statsmodels
has no such number, so it is computed here from the same formula.

References
----------
Venables, W. N. & Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed., §7.4 (``glm.nb``).
Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed., §3.3 (NB2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from ..results import ResultMixin, tidy_frame

__all__ = ["NBFit", "design_matrix", "fit_nb2", "fit_negative_binomial", "predict_group_means"]


@dataclass(frozen=True)
class NBFit(ResultMixin):
    """A fitted NB2 regression.

    Result protocol: ``tidy()`` is the coefficient table (log scale) keyed by term, ``n`` the observations.

    ``coefficients`` has columns term, estimate, se, z, p_value, ci_low, ci_high (log scale); ``cov`` is the
    covariance of β (terms × terms); ``theta`` = 1/``alpha`` with MASS's ``theta_se``; ``levels`` records each
    factor's levels with the reference first.
    """

    coefficients: pd.DataFrame
    cov: pd.DataFrame
    alpha: float
    theta: float
    theta_se: float
    loglik: float
    n: int
    outcome: str
    factors: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]
    converged: bool
    confidence: float

    what = "result.what.nb_fit"
    record_extras = ("p_value",)

    def tidy(self) -> pd.DataFrame:
        c = self.coefficients.reset_index(drop=True)
        return pd.concat([tidy_frame(c["estimate"], c["se"], c["ci_low"], c["ci_high"], self.n,
                                     [str(x) for x in c["term"]]),
                          c.drop(columns=["term", "estimate", "se", "ci_low", "ci_high"])], axis=1)


def design_matrix(frame: pd.DataFrame, factors: Sequence[str],
                  reference: Mapping[str, str] | None = None,
                  levels: Mapping[str, Sequence[str]] | None = None) -> tuple[pd.DataFrame, dict[str, tuple]]:
    """Intercept plus treatment-coded dummies, named like R's ``factor`` terms (``activity_typesports``).

    Levels are sorted (R's default for character columns in the C locale) unless ``levels`` gives them; the
    reference level is the first unless ``reference`` names another.
    """
    reference = dict(reference or {})
    cols = {"(Intercept)": np.ones(len(frame))}
    used: dict[str, tuple] = {}
    for f in factors:
        vals = frame[f].astype(str)
        lv = list(levels[f]) if levels and f in levels else sorted(vals.unique())
        if f in reference:
            if reference[f] not in lv:
                raise ValueError(f"reference level {reference[f]!r} of {f} does not occur in the data")
            lv.remove(reference[f])
            lv.insert(0, reference[f])
        used[f] = tuple(lv)
        for level in lv[1:]:
            cols[f"{f}{level}"] = (vals == level).to_numpy(dtype="float64")
    return pd.DataFrame(cols, index=frame.index), used


def _theta_info(theta: float, mu: np.ndarray, y: np.ndarray) -> float:
    # MASS::theta.ml's observed information for theta with mu fixed
    return float(np.sum(-special.polygamma(1, theta + y) + special.polygamma(1, theta) - 1 / theta
                        + 2 / (mu + theta) - (y + theta) / (mu + theta) ** 2))


def _theta_ml(y: np.ndarray, mu: np.ndarray) -> float:
    # the profile log-likelihood of theta given mu, maximised on the log scale (MASS::theta.ml maximises the same
    # function); bounded, so that a series close to Poisson (theta very large) does not step out of range
    def negll(log_th):
        th = np.exp(log_th)
        return -np.sum(special.gammaln(th + y) - special.gammaln(th) - special.gammaln(y + 1)
                       + th * np.log(th / (th + mu)) + y * np.log(mu / (th + mu)))
    res = optimize.minimize_scalar(negll, bounds=(-10, 25), method="bounded",
                                   options={"xatol": 1e-12, "maxiter": 500})
    return float(np.exp(res.x))


def fit_nb2(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray | None = None):
    """The package's one negative-binomial (NB2) fit, as R's ``MASS::glm.nb``: θ by maximum likelihood given μ and β
    by IRLS given θ, alternated until θ settles (the joint maximum), then β and its Fisher-information SEs from the
    GLM at that θ.

    Used by :func:`fit_negative_binomial` (attendance by activity type) and by
    :func:`evaluation.impact.its.interrupted_time_series` (``family="negbin"``); both are checked against
    ``glm.nb`` (tests/reference/indicators, tests/reference/its_dose, tests/reference/impact).

    Returns
    -------
    (GLMResults, float, bool)
        The statsmodels GLM fit at α = 1/θ, α, and whether the alternation settled.
    """
    kw = dict(tol=1e-13, maxiter=200)
    mu = GLM(y, X, family=families.Poisson(), offset=offset).fit(**kw).mu
    theta = _theta_ml(y, mu)
    settled = False
    for _ in range(100):
        res = GLM(y, X, family=families.NegativeBinomial(alpha=1 / theta), offset=offset).fit(**kw)
        new = _theta_ml(y, res.mu)
        settled = abs(new - theta) < 1e-10 * theta
        theta = new
        if settled:
            break
    glm = GLM(y, X, family=families.NegativeBinomial(alpha=1 / theta), offset=offset).fit(**kw)
    return glm, 1.0 / theta, settled


def fit_negative_binomial(frame: pd.DataFrame, outcome: str, factors: Sequence[str], *,
                          offset: str | None = None, reference: Mapping[str, str] | None = None,
                          confidence: float = 0.95) -> NBFit:
    """Fit an NB2 regression of ``outcome`` on categorical ``factors`` (and an optional log-scale ``offset`` column).

    Parameters
    ----------
    frame : DataFrame
    outcome : str
        Non-negative integer counts.
    factors : sequence of str
        Categorical regressors, treatment-coded.
    offset : str, optional
        Column already on the log scale (e.g. log exposure).
    reference : mapping, optional
        Reference level per factor.
    confidence : float
        Level of the Wald intervals in ``coefficients``.

    Returns
    -------
    NBFit

    References
    ----------
    Venables & Ripley (2002), §7.4; checked against ``MASS::glm.nb`` in tests/reference/indicators.
    """
    data = frame.dropna(subset=[outcome, *factors])
    y = pd.to_numeric(data[outcome], errors="raise").to_numpy(dtype="float64")
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError(f"{outcome} must hold non-negative integer counts")
    X, levels = design_matrix(data, factors, reference)
    off = None if offset is None else pd.to_numeric(data[offset]).to_numpy(dtype="float64")
    glm, alpha, res_converged = fit_nb2(y, X, off)
    if alpha < 1e-10:  # theta at the bound of its search: the counts are not overdispersed
        raise ValueError("no overdispersion: the NB2 dispersion estimate is not positive; use a Poisson model")
    theta = 1.0 / alpha
    theta_se = float(np.sqrt(1.0 / _theta_info(theta, np.asarray(glm.fittedvalues), y)))
    z = stats.norm.ppf(0.5 + confidence / 2)
    est = np.asarray(glm.params)
    se = np.asarray(glm.bse)
    coef = pd.DataFrame({
        "term": list(X.columns), "estimate": est, "se": se, "z": est / se,
        "p_value": 2 * stats.norm.sf(np.abs(est / se)), "ci_low": est - z * se, "ci_high": est + z * se,
    })
    cov = pd.DataFrame(np.asarray(glm.cov_params()), index=X.columns, columns=X.columns)
    converged = res_converged and bool(glm.converged)
    return NBFit(coef, cov, alpha, theta, theta_se, float(glm.llf), len(y), outcome, tuple(factors), levels,
                 converged, confidence)


def predict_group_means(fit: NBFit, factor: str) -> pd.DataFrame:
    """Model-based mean count for each level of ``factor`` (other factors at their reference levels).

    The interval is exp(η ± z·SE(η)) with SE(η) = √(xᵀVx), a Wald interval on the log scale.
    """
    if factor not in fit.levels:
        raise KeyError(f"{factor} is not a factor of this fit")
    z = stats.norm.ppf(0.5 + fit.confidence / 2)
    beta = fit.coefficients.set_index("term")["estimate"]
    rows = []
    for i, level in enumerate(fit.levels[factor]):
        x = pd.Series(0.0, index=beta.index)
        x["(Intercept)"] = 1.0
        if i > 0:
            x[f"{factor}{level}"] = 1.0
        eta = float(x @ beta)
        se = float(np.sqrt(x @ fit.cov @ x))
        rows.append({"level": level, "mean": np.exp(eta), "log_mean": eta, "log_se": se,
                     "ci_low": np.exp(eta - z * se), "ci_high": np.exp(eta + z * se)})
    return pd.DataFrame(rows)
