"""Interrupted time series: segmented Poisson / quasi-Poisson / negative-binomial regression for one series.

The model (Lopez Bernal, Cummins & Gasparrini 2017) is a log-linear GLM for a count y_t,

    log E[y_t] = log(offset_t) + b0 + b1 * time + b2 * level_t + b3 * slope_t + seasonality_t,

with ``level_t = 1`` from the intervention on (step change), ``slope_t = (time - last pre-intervention time) *
level_t`` (change in trend; the tutorial's ``I(time-36):smokban``) and seasonality. With a slope term, exp(b2) is the
level change extrapolated back to the last pre-intervention time (where slope_t would be 0), not the rate ratio at
the first post-intervention period, which is exp(b2 + b3) (slope_t = 1 there, periods being consecutive; the result's
``effect_at_start``, with its delta-method interval); without one, exp(b2) is the rate ratio throughout.

Dose design (``dose=``): when an intervention is rolled out gradually (units adopting one after another), the break
is replaced by a continuous exposure d_t in [0, 1], e.g. the share of units that have adopted,

    log E[y_t] = log(offset_t) + b0 + b1 * time + b2 * d_t + seasonality_t,

so exp(b2) is the rate ratio of full adoption (d = 1) against none (d = 0) at the same point of the trend, under a
log-linear dose-response (an exposure-response ITS; Lopez Bernal, Soumerai & Gasparrini 2018 discuss gradual
implementation). The counterfactual sets d_t = 0 throughout. Seasonality is modelled as Fourier pairs
(``tsModel::harmonic(month, K, period)``) or period dummies. Families: ``poisson``; ``quasipoisson`` (Poisson
estimates, SEs scaled by the Pearson dispersion, as R's ``family = quasipoisson``); ``negbin`` (NB2 with theta by
maximum likelihood and SEs at the estimated theta, as ``MASS::glm.nb``: the package's one NB2 fit,
:func:`evaluation.indicators.counts.fit_nb2`). Fitting is statsmodels' GLM (IRLS, tight tolerance).

Serial correlation: the result carries the Ljung-Box test of the Pearson residuals (Ljung & Box 1978), and
``cov_type="newey_west"`` replaces the model-based covariance by the Newey-West (Bartlett kernel, no prewhitening, no
small-sample adjustment; R ``sandwich::NeweyWest(fit, lag, prewhite = FALSE, adjust = FALSE)``) HAC sandwich. The
counterfactual (level and slope terms set to zero) comes with a pointwise band from the delta method on the linear
predictor, with whichever covariance was chosen.

References
----------
Lopez Bernal, J., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression for the evaluation
of public health interventions: a tutorial. *International Journal of Epidemiology* 46(1), 348-355.
Lopez Bernal, J., Soumerai, S. and Gasparrini, A. (2018). A methodological framework for model selection in
interrupted time series studies. *Journal of Clinical Epidemiology* 103, 82-91.
Ljung, G. M. and Box, G. E. P. (1978). On a measure of lack of fit in time series models. *Biometrika* 65(2),
297-303.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and autocorrelation
consistent covariance matrix. *Econometrica* 55(3), 703-708.
Venables, W. N. and Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed., section 7.4 (glm.nb).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from scipy import stats

from ..indicators.counts import fit_nb2

from evaluation.results import ResultMixin, tidy_frame

__all__ = ["ITSResult", "interrupted_time_series", "fourier_terms"]


@dataclass(frozen=True)
class ITSResult(ResultMixin):
    """Fitted segmented regression.

    Result protocol: ``tidy()`` has one row per effect the design estimates (``adoption`` for a dose design,
    ``level_change``, ``effect_at_start`` and ``slope_change`` for a break), the estimate being the rate ratio
    (exp of the coefficient, for counts) with its interval; ``records(prefix)`` is notebook 30's: for a dose design
    ``<prefix>.adoption_rate_ratio`` (``fields`` go to it: the finding, the Newey-West interval of a second fit),
    ``<prefix>.ljung_box`` and ``<prefix>.dispersion``; for a break ``<prefix>.level_change`` (at the start of the
    programme) and ``<prefix>.slope_change``.

    Attributes
    ----------
    coefficients : DataFrame
        term, estimate, se, z, p_value, ci_low, ci_high, rate_ratio, rr_ci_low, rr_ci_high.
    design : str
        "break" (level / slope change at a date) or "dose" (continuous exposure).
    level_change, slope_change : dict or None
        The rows for ``level`` and ``slope`` as dicts (``slope_change`` is None without a slope term; both None in
        the dose design).
    effect_at_start : dict or None
        Break design: the rate ratio at the first post-intervention period, exp(b2 + b3) with a slope term (exp(b2)
        without), as estimate, se, p_value, rate_ratio, rr_ci_low, rr_ci_high (delta method, same covariance and
        critical value as the coefficients).
    dose_effect : dict or None
        Dose design: the row of the ``dose`` term; its rate_ratio compares full exposure with none.
    family : str
    dispersion : float
        Pearson dispersion for quasi-Poisson, 1 otherwise.
    theta : float or None
        Negative-binomial size parameter (variance mu + mu^2/theta).
    fitted : DataFrame
        time, observed, fitted, counterfactual (level and slope terms set to zero), cf_low, cf_high (its pointwise
        band at ``confidence``).
    autocorrelation : dict
        Ljung-Box test of the Pearson residuals: lags, statistic, p_value.
    cov_type : str
        "model" or "newey_west" (with ``nw_lags``).
    """

    coefficients: pd.DataFrame
    level_change: dict | None
    slope_change: dict | None
    family: str
    dispersion: float
    theta: float | None
    deviance: float
    n: int
    fitted: pd.DataFrame = field(repr=False)
    autocorrelation: dict = field(default_factory=dict)
    cov_type: str = "model"
    nw_lags: int | None = None
    design: str = "break"
    effect_at_start: dict | None = None
    dose_effect: dict | None = None

    what = "result.what.its"

    def _effects(self) -> list[tuple[str, dict]]:
        named = (("adoption", self.dose_effect), ("level_change", self.level_change),
                 ("effect_at_start", self.effect_at_start), ("slope_change", self.slope_change))
        return [(k, e) for k, e in named if e is not None]

    def tidy(self) -> pd.DataFrame:
        eff = self._effects()
        return tidy_frame([e["rate_ratio"] for _, e in eff], None, [e["rr_ci_low"] for _, e in eff],
                          [e["rr_ci_high"] for _, e in eff], self.n, [k for k, _ in eff],
                          coefficient=[e["estimate"] for _, e in eff], coefficient_se=[e["se"] for _, e in eff],
                          p_value=[e["p_value"] for _, e in eff])

    def records(self, prefix: str, **fields) -> dict[str, dict]:
        def ratio(e):
            return {"value": e["rate_ratio"], "ci_low": e["rr_ci_low"], "ci_high": e["rr_ci_high"], "n": self.n}

        if self.dose_effect is not None:
            lb = self.autocorrelation
            return {f"{prefix}.adoption_rate_ratio": {**ratio(self.dose_effect),
                                                      "p_value": self.dose_effect["p_value"], **fields},
                    f"{prefix}.ljung_box": {"value": lb.get("p_value"), "statistic": lb.get("statistic"),
                                            "lags": lb.get("lags")},
                    f"{prefix}.dispersion": {"value": self.dispersion}}
        out = {}
        if self.effect_at_start is not None:
            out[f"{prefix}.level_change"] = {**ratio(self.effect_at_start), **fields}
        if self.slope_change is not None:
            out[f"{prefix}.slope_change"] = ratio(self.slope_change)
        return out


def fourier_terms(x: np.ndarray | pd.Series, n_harmonics: int, period: float) -> pd.DataFrame:
    """sin/cos pairs of ``tsModel::harmonic(x, nfreq, period)``: sin(2 pi k x / period), then cos, k = 1..K."""
    x = np.asarray(x, dtype=float)
    k = np.arange(1, n_harmonics + 1)
    m = np.outer(2 * np.pi * x / period, k)
    cols = {f"sin{j}": np.sin(m[:, j - 1]) for j in k}
    cols.update({f"cos{j}": np.cos(m[:, j - 1]) for j in k})
    return pd.DataFrame(cols)


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
    *,
    confidence: float = 0.95,
    cov_type: str = "model",
    nw_lags: int | None = None,
    lb_lags: int | None = None,
    dose: str | None = None,
) -> ITSResult:
    """Segmented GLM for an interrupted time series (level and optional slope change).

    Notebook 30 fits the district's monthly petitions (:func:`evaluation.indicators.petitions.its_frame`) and
    records, as rate ratios with their intervals, Keys: ``petitions.its.adoption_rate_ratio`` (dose design: full
    adoption against none, ``dose_effect``; its Newey–West interval beside it), ``petitions.its.ljung_box`` (the
    Ljung–Box p-value of ``autocorrelation``), ``petitions.its.dispersion`` (``dispersion``), and
    ``petitions.its.break.level_change`` / ``.slope_change`` (the single-break sensitivity analysis at
    ``its_intervention``: ``effect_at_start`` and ``slope_change``).

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
        Add the change-in-slope term (break design only).
    dose : str, optional
        Column of a continuous exposure in [0, 1] (dose design, instead of ``intervention_start`` /
        ``intervention``): the model has trend, ``dose`` and seasonality, and exp(b_dose) is the rate ratio of full
        exposure against none. It needs periods with exposure 0 and periods with exposure above 0.
    confidence : float
        Coverage of the coefficients' intervals and of the counterfactual band.
    cov_type : {"model", "newey_west"}
        Model-based SEs (the family's, as R's ``glm``), or the Newey-West HAC sandwich with ``nw_lags`` lags
        (default ``floor(4 (n / 100)^(2/9))``, Newey & West 1994's rule).
    lb_lags : int, optional
        Lags of the Ljung-Box test (default ``min(2 * period, n // 5)`` with seasonality, else ``min(10, n // 5)``).

    Returns
    -------
    ITSResult

    References
    ----------
    Lopez Bernal, Cummins & Gasparrini (2017), IJE 46(1), 348-355.
    """
    if family not in ("poisson", "quasipoisson", "negbin"):
        raise ValueError("family must be 'poisson', 'quasipoisson' or 'negbin'")
    if cov_type not in ("model", "newey_west"):
        raise ValueError("cov_type must be 'model' or 'newey_west'")
    d = data.reset_index(drop=True)
    t = d[time].to_numpy(dtype=float)
    if dose is not None:
        if intervention is not None or intervention_start is not None or slope_change:
            raise ValueError("dose replaces the break: give dose alone, without intervention_start, intervention "
                             "or slope_change")
        level = pd.to_numeric(d[dose], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(level) | (level < 0) | (level > 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"dose column {dose!r}, row {i}: {d[dose].iloc[i]!r} is not a share in [0, 1]; "
                             "give the exposure as a share of units (0 = none, 1 = all)")
        if not (level == 0).any() or not (level > 0).any():
            raise ValueError(f"dose column {dose!r} needs periods with exposure 0 and periods above 0")
        x = pd.DataFrame({"const": 1.0, "time": t, "dose": level})
    else:
        if intervention is not None:
            level = d[intervention].to_numpy(dtype=float)
        elif intervention_start is not None:
            level = (t >= intervention_start).astype(float)
        else:
            raise ValueError("give intervention_start, an intervention column or a dose column")
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
        # the package's one NB2 fit (MASS::glm.nb: theta by ML jointly with beta, SEs at the estimated theta)
        res, alpha, _ = fit_nb2(y, x, off)
        theta = 1.0 / alpha
        dispersion = 1.0
    elif family == "quasipoisson":
        res = GLM(y, x, family=families.Poisson(), offset=off).fit(scale="X2", **fit_kw)
        dispersion = float(res.scale)
    else:
        res = GLM(y, x, family=families.Poisson(), offset=off).fit(**fit_kw)
        dispersion = 1.0
    n_obs = len(y)
    if cov_type == "newey_west":
        nw_lags = int(np.floor(4 * (n_obs / 100) ** (2 / 9))) if nw_lags is None else int(nw_lags)
        cov = _newey_west(x.to_numpy(dtype=float), y, res.mu, res.family, nw_lags)
    else:
        nw_lags = None
        cov = res.cov_params().to_numpy()
    est, se = res.params.to_numpy(), np.sqrt(np.diag(cov))
    alpha = 1 - confidence
    # R reports z for poisson / negbin and t (residual df) for quasi-Poisson
    if family == "quasipoisson" and cov_type == "model":
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
    xcf["dose" if dose is not None else "level"] = 0.0
    if slope_change:
        xcf["slope"] = 0.0
    xc = xcf.to_numpy(dtype=float)
    lin_cf = xc @ est + (off if off is not None else 0.0)
    se_cf = np.sqrt(np.einsum("ij,jk,ik->i", xc, cov, xc))
    fitted = pd.DataFrame({"time": t, "observed": y, "fitted": res.mu, "counterfactual": np.exp(lin_cf),
                           "cf_low": np.exp(lin_cf - q * se_cf), "cf_high": np.exp(lin_cf + q * se_cf),
                           "intervention": level})
    at_start = None
    if dose is None:
        # exp(b2 + b3): slope_t is 1 at the first post period
        g = np.zeros(len(est))
        g[list(x.columns).index("level")] = 1.0
        if slope_change:
            g[list(x.columns).index("slope")] = 1.0
        e, s_e = float(g @ est), float(np.sqrt(g @ cov @ g))
        p_e = 2 * stats.t.sf(abs(e / s_e), res.df_resid) if family == "quasipoisson" and cov_type == "model" \
            else 2 * stats.norm.sf(abs(e / s_e))
        at_start = {"estimate": e, "se": s_e, "p_value": float(p_e), "rate_ratio": float(np.exp(e)),
                    "rr_ci_low": float(np.exp(e - q * s_e)), "rr_ci_high": float(np.exp(e + q * s_e))}
    resid = (y - res.mu) / np.sqrt(res.family.variance(res.mu))
    if lb_lags is None:
        lb_lags = min(2 * period, n_obs // 5) if seasonality is not None else min(10, n_obs // 5)
    autocorrelation = _ljung_box(resid, max(int(lb_lags), 1))
    return ITSResult(
        coefficients=coef,
        level_change=rows.loc["level"].to_dict() if dose is None else None,
        slope_change=rows.loc["slope"].to_dict() if slope_change else None,
        family=family, dispersion=dispersion, theta=theta, deviance=float(res.deviance), n=len(y),
        fitted=fitted, autocorrelation=autocorrelation, cov_type=cov_type, nw_lags=nw_lags,
        design="dose" if dose is not None else "break", effect_at_start=at_start,
        dose_effect=rows.loc["dose"].to_dict() if dose is not None else None,
    )


def _newey_west(x: np.ndarray, y: np.ndarray, mu: np.ndarray, family, lags: int) -> np.ndarray:
    """HAC sandwich of a canonical-link GLM: bread (X' W X)^-1 with W = mu^2 / V(mu) (log link), meat the
    Bartlett-weighted autocovariances of the scores x_t (y_t - mu_t) mu_t / V(mu_t)."""
    v = family.variance(mu)
    w = mu**2 / v
    bread = np.linalg.inv((x * w[:, None]).T @ x)
    scores = x * ((y - mu) * mu / v)[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        g = scores[lag:].T @ scores[:-lag]
        meat += (1 - lag / (lags + 1)) * (g + g.T)
    return bread @ meat @ bread


def _ljung_box(resid: np.ndarray, lags: int) -> dict:
    """Q = n (n + 2) sum_k r_k^2 / (n - k), k = 1..lags, against chi-square(lags) (Ljung & Box 1978)."""
    r = resid - resid.mean()
    n = r.size
    denom = float(r @ r)
    acf = np.array([float(r[k:] @ r[:-k]) / denom for k in range(1, lags + 1)])
    q = float(n * (n + 2) * np.sum(acf**2 / (n - np.arange(1, lags + 1))))
    return {"lags": int(lags), "statistic": q, "p_value": float(stats.chi2.sf(q, lags))}
