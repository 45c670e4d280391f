"""Interrupted time series: segmented Poisson / quasi-Poisson / negative-binomial regression for one series.

The model (Lopez Bernal, Cummins & Gasparrini 2017) is a log-linear GLM for a count y_t,

    log E[y_t] = log(offset_t) + b0 + b1 * time + b2 * level_t + b3 * slope_t + seasonality_t,

with ``level_t = 1`` from the intervention on (step change; exp(b2) is the rate ratio RR at the start),
``slope_t = (time - last pre-intervention time) * level_t`` (change in trend; the tutorial's
``I(time-36):smokban``) and seasonality as Fourier pairs (``tsModel::harmonic(month, K, period)``) or period
dummies. Families: ``poisson``; ``quasipoisson`` (Poisson estimates, SEs scaled by the Pearson dispersion,
as R's ``family = quasipoisson``); ``negbin`` (NB2 with theta by maximum likelihood and SEs at the estimated
theta, as ``MASS::glm.nb``). Fitting is statsmodels' GLM (IRLS, tight tolerance).

References
----------
Lopez Bernal, J., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression for the evaluation
of public health interventions: a tutorial. *International Journal of Epidemiology* 46(1), 348-355.
Venables, W. N. and Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed., section 7.4 (glm.nb).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from scipy import optimize, special, stats

__all__ = ["ITSResult", "interrupted_time_series", "fourier_terms"]


@dataclass(frozen=True)
class ITSResult:
    """Fitted segmented regression.

    Attributes
    ----------
    coefficients : DataFrame
        term, estimate, se, z, p_value, ci_low, ci_high, rate_ratio, rr_ci_low, rr_ci_high.
    level_change, slope_change : dict
        The rows for ``level`` and ``slope`` as dicts (``slope_change`` is None without a slope term).
    family : str
    dispersion : float
        Pearson dispersion for quasi-Poisson, 1 otherwise.
    theta : float or None
        Negative-binomial size parameter (variance mu + mu^2/theta).
    fitted : DataFrame
        time, observed, fitted, counterfactual (level and slope terms set to zero).
    """

    coefficients: pd.DataFrame
    level_change: dict
    slope_change: dict | None
    family: str
    dispersion: float
    theta: float | None
    deviance: float
    n: int
    fitted: pd.DataFrame = field(repr=False)


def fourier_terms(x: np.ndarray | pd.Series, n_harmonics: int, period: float) -> pd.DataFrame:
    """sin/cos pairs of ``tsModel::harmonic(x, nfreq, period)``: sin(2 pi k x / period), then cos, k = 1..K."""
    x = np.asarray(x, dtype=float)
    k = np.arange(1, n_harmonics + 1)
    m = np.outer(2 * np.pi * x / period, k)
    cols = {f"sin{j}": np.sin(m[:, j - 1]) for j in k}
    cols.update({f"cos{j}": np.cos(m[:, j - 1]) for j in k})
    return pd.DataFrame(cols)


def _nb_theta_mle(y: np.ndarray, mu: np.ndarray) -> float:
    # profile log-likelihood of theta given mu (MASS::theta.ml maximises the same function)
    def negll(log_th):
        th = np.exp(log_th)
        return -np.sum(special.gammaln(th + y) - special.gammaln(th) - special.gammaln(y + 1)
                       + th * np.log(th / (th + mu)) + y * np.log(mu / (th + mu)))
    res = optimize.minimize_scalar(negll, bounds=(-10, 25), method="bounded",
                                   options={"xatol": 1e-12, "maxiter": 500})
    return float(np.exp(res.x))


def interrupted_time_series(
    data: pd.DataFrame,
    outcome: str,
    time: str = "time",
    intervention_start: float | None = None,
    offset: str | None = None,
    family: str = "poisson",
    seasonality: str | None = None,
    season: str | None = None,
    period: int = 12,
    n_harmonics: int = 2,
    slope_change: bool = False,
    intervention: str | None = None,
    alpha: float = 0.05,
) -> ITSResult:
    """Segmented GLM for an interrupted time series (level and optional slope change).

    Parameters
    ----------
    data : DataFrame
        One row per period.
    outcome : str
        Count column.
    time : str
        Numeric time index (e.g. 1..n).
    intervention_start : float, optional
        First ``time`` value under the intervention; alternatively give ``intervention`` (a 0/1 column).
    offset : str, optional
        Population (or exposure) column; ``log(offset)`` enters as an offset.
    family : {"poisson", "quasipoisson", "negbin"}
    seasonality : {None, "fourier", "dummies"}
        Fourier pairs of ``season`` (``n_harmonics`` pairs of the given ``period``) or dummies of ``season``.
    season : str, optional
        Season column (e.g. month 1..12); needed when ``seasonality`` is set.
    slope_change : bool
        Add the change-in-slope term.
    alpha : float

    Returns
    -------
    ITSResult

    References
    ----------
    Lopez Bernal, Cummins & Gasparrini (2017), IJE 46(1), 348-355.
    """
    if family not in ("poisson", "quasipoisson", "negbin"):
        raise ValueError("family must be 'poisson', 'quasipoisson' or 'negbin'")
    d = data.reset_index(drop=True)
    t = d[time].to_numpy(dtype=float)
    if intervention is not None:
        level = d[intervention].to_numpy(dtype=float)
    elif intervention_start is not None:
        level = (t >= intervention_start).astype(float)
    else:
        raise ValueError("give intervention_start or an intervention column")
    if level.min() == level.max():
        raise ValueError("the series has no pre- or no post-intervention period")
    x = pd.DataFrame({"const": 1.0, "time": t, "level": level})
    if slope_change:
        last_pre = t[level == 0].max()
        x["slope"] = (t - last_pre) * level
    if seasonality is not None:
        if season is None:
            raise ValueError("seasonality needs the season column")
        if seasonality == "fourier":
            x = pd.concat([x, fourier_terms(d[season], n_harmonics, period)], axis=1)
        elif seasonality == "dummies":
            x = pd.concat([x, pd.get_dummies(d[season].astype(int), prefix="season", drop_first=True,
                                             dtype=float)], axis=1)
        else:
            raise ValueError("seasonality must be None, 'fourier' or 'dummies'")
    y = d[outcome].to_numpy(dtype=float)
    off = np.log(d[offset].to_numpy(dtype=float)) if offset else None
    theta = None
    fit_kw = dict(tol=1e-13, maxiter=200)
    if family == "negbin":
        # alternate theta | beta and beta | theta to the joint MLE, as glm.nb does
        mu = GLM(y, x, family=families.Poisson(), offset=off).fit(**fit_kw).mu
        theta = _nb_theta_mle(y, mu)
        for _ in range(100):
            res = GLM(y, x, family=families.NegativeBinomial(alpha=1 / theta), offset=off).fit(**fit_kw)
            new_theta = _nb_theta_mle(y, res.mu)
            if abs(new_theta - theta) < 1e-10 * theta:
                theta = new_theta
                break
            theta = new_theta
        res = GLM(y, x, family=families.NegativeBinomial(alpha=1 / theta), offset=off).fit(**fit_kw)
        dispersion = 1.0
    elif family == "quasipoisson":
        res = GLM(y, x, family=families.Poisson(), offset=off).fit(scale="X2", **fit_kw)
        dispersion = float(res.scale)
    else:
        res = GLM(y, x, family=families.Poisson(), offset=off).fit(**fit_kw)
        dispersion = 1.0
    est, se = res.params.to_numpy(), res.bse.to_numpy()
    # R reports z for poisson / negbin and t (residual df) for quasi-Poisson
    if family == "quasipoisson":
        q = stats.t.ppf(1 - alpha / 2, res.df_resid)
        p = 2 * stats.t.sf(np.abs(est / se), res.df_resid)
    else:
        q = stats.norm.ppf(1 - alpha / 2)
        p = 2 * stats.norm.sf(np.abs(est / se))
    lo, hi = est - q * se, est + q * se
    coef = pd.DataFrame({"term": x.columns, "estimate": est, "se": se, "z": est / se, "p_value": p,
                         "ci_low": lo, "ci_high": hi, "rate_ratio": np.exp(est),
                         "rr_ci_low": np.exp(lo), "rr_ci_high": np.exp(hi)})
    rows = coef.set_index("term")
    xcf = x.copy()
    xcf["level"] = 0.0
    if slope_change:
        xcf["slope"] = 0.0
    lin_cf = xcf.to_numpy() @ est + (off if off is not None else 0.0)
    fitted = pd.DataFrame({"time": t, "observed": y, "fitted": res.mu, "counterfactual": np.exp(lin_cf)})
    return ITSResult(
        coefficients=coef,
        level_change=rows.loc["level"].to_dict(),
        slope_change=rows.loc["slope"].to_dict() if slope_change else None,
        family=family, dispersion=dispersion, theta=theta, deviance=float(res.deviance), n=len(y),
        fitted=fitted,
    )
