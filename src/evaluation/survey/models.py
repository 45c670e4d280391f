"""Regression models for complex surveys: survey GLMs (R ``svyglm``) and proportional-odds models (R ``svyolr``).

Both are pseudo-maximum-likelihood fits with the sampling weights; their sandwich variance linearises the estimating
equations — influence values ``U_i A⁻¹`` (unit score times the inverse weighted information) — and passes them to the
design variance engine, so strata, clusters, fpc and calibration are all honoured (Binder 1983).

* :func:`svyglm`: gaussian (identity) or binomial (logit) by IRLS to a relative change of 1e-14. The confidence
  interval uses t with ``degf(design) + 1 − p`` degrees of freedom, as R's ``confint.svyglm``.
* :func:`svyolr`: cumulative-link model ``P(Y ≤ j) = F(ζ_j − xᵀβ)`` with logit or probit F, fitted by BFGS on
  (β, ζ₁, log Δζ) and polished by Newton steps with the analytic Hessian; R's ``svyolr`` instead inverts a
  finite-difference Hessian (``optim(hessian = TRUE)``), so its SEs carry that approximation error unless run with a
  small ``ndeps`` as the reference script does. Intervals are normal (R prints z values).

The design matrix comes from patsy (the formula engine statsmodels uses); rows with a missing model variable leave
the analysis but stay in the design (R drops them as a domain).

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys. *ISR* 51, 279–292.
McCullagh, P. (1980). Regression models for ordinal data. *JRSS B* 42, 109–142.
Lumley, T. (2023). survey 4.1-1: ``svyglm``, ``svy.varcoef``, ``svyolr``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import patsy
from scipy import optimize, stats

from evaluation.survey.design import SurveyDesign
from evaluation.survey.estimators import critical_value

__all__ = ["svyglm", "svyolr", "cumulative_link_nll"]


def _model_frame(design: SurveyDesign, formula: str):
    y, x = patsy.dmatrices(formula, design.data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe")
    if y.shape[1] == 2 and str(y.columns[1]).endswith("[True]"):
        y = y.iloc[:, [1]]  # a logical response arrives as two indicator columns
    ok = ~(y.isna().any(axis=1) | x.isna().any(axis=1)).to_numpy()
    return y.iloc[:, 0].to_numpy(dtype=float), x, ok


def svyglm(
    design: SurveyDesign,
    formula: str,
    family: Literal["gaussian", "binomial"] = "gaussian",
    level: float = 0.95,
    tol: float = 1e-14,
    max_iter: int = 100,
) -> pd.DataFrame:
    """Design-weighted GLM with linearisation SEs (R ``svyglm``).

    Returns one row per coefficient: ``term, estimate, se, ci_low, ci_high, statistic, p_value, df``.
    """
    y, xdf, ok = _model_frame(design, formula)
    x = xdf.to_numpy(dtype=float)
    y = np.where(ok, y, 0.0)
    x = np.where(ok[:, None], x, 0.0)
    w = design._weights * ok
    if family == "gaussian":
        xtw = x.T * w
        beta = np.linalg.solve(xtw @ x, xtw @ y)
        mu = x @ beta
        info = xtw @ x
    elif family == "binomial":
        if np.any((y[ok] < 0) | (y[ok] > 1)):
            raise ValueError("binomial response must lie in [0, 1]")
        beta = np.zeros(x.shape[1])
        dev_old = np.inf
        for _ in range(max_iter):
            mu = 1 / (1 + np.exp(-(x @ beta)))
            info = (x.T * (w * mu * (1 - mu))) @ x
            beta = beta + np.linalg.solve(info, x.T @ (w * (y - mu)))
            mu = 1 / (1 + np.exp(-(x @ beta)))
            with np.errstate(divide="ignore", invalid="ignore"):
                dev = -2 * np.sum(w * (y * np.log(mu) + (1 - y) * np.log1p(-mu)))
            if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
                break
            dev_old = dev
        info = (x.T * (w * mu * (1 - mu))) @ x
    else:
        raise ValueError("family must be 'gaussian' or 'binomial'")
    # Score of unit i is x_i w_i (y_i - mu_i) for both canonical links.
    infl = (x * (w * (y - mu))[:, None]) @ np.linalg.inv(info)
    vcov = design._vcov(infl, ok & (w != 0))
    se = np.sqrt(np.diag(vcov))
    df = design.degf(ok) + 1 - x.shape[1]
    crit = critical_value(level, df)
    tstat = beta / se
    return pd.DataFrame(
        {
            "term": list(xdf.columns),
            "estimate": beta,
            "se": se,
            "ci_low": beta - crit * se,
            "ci_high": beta + crit * se,
            "statistic": tstat,
            "p_value": 2 * stats.t.sf(np.abs(tstat), df),
            "df": df,
        }
    )


def _link(link: str):
    if link == "logit":
        cdf = stats.logistic.cdf
        pdf = stats.logistic.pdf

        def dpdf(a):
            f = stats.logistic.pdf(a)
            return f * (1 - 2 * stats.logistic.cdf(a))
    elif link == "probit":
        cdf, pdf = stats.norm.cdf, stats.norm.pdf

        def dpdf(a):
            return -a * stats.norm.pdf(a)
    else:
        raise ValueError("link must be 'logit' or 'probit'")
    return cdf, pdf, dpdf


def cumulative_link_nll(params: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray, n_cat: int, link: str,
                        hessian: bool = True):
    """Weighted negative log-likelihood, per-unit scores and Hessian of a cumulative-link model.

    ``params = (β, ζ_1..ζ_{K-1})`` with ``P(Y ≤ j) = F(ζ_j − xᵀβ)``; ``y`` holds category codes 0..K-1.
    Returns ``(nll, scores (n × k) of the nll, hessian (k × k))``; the Hessian is None with ``hessian=False`` (the
    quasi-Newton search needs only the value and the gradient, and the four n × k products of the Hessian were
    most of each evaluation's cost).
    """
    cdf, pdf, dpdf = _link(link)
    p = x.shape[1]
    zeta = params[p:]
    eta = x @ params[:p]
    upper = np.concatenate([zeta, [np.inf]])[y] - eta
    lower = np.concatenate([[-np.inf], zeta])[y] - eta
    # Far-off trial points of the line search can underflow a category probability; keep them finite.
    pr = np.maximum(cdf(upper) - cdf(lower), 1e-300)
    fu, fl = pdf(upper), pdf(lower)
    fu = np.where(np.isinf(upper), 0.0, fu)
    fl = np.where(np.isinf(lower), 0.0, fl)
    dfu = np.where(np.isinf(upper), 0.0, dpdf(np.where(np.isinf(upper), 0.0, upper)))
    dfl = np.where(np.isinf(lower), 0.0, dpdf(np.where(np.isinf(lower), 0.0, lower)))
    k = p + n_cat - 1
    # d(upper)/dθ and d(lower)/dθ
    du = np.zeros((len(y), k))
    dl = np.zeros((len(y), k))
    du[:, :p] = -x
    dl[:, :p] = -x
    rows = np.arange(len(y))
    has_u = y < n_cat - 1
    has_l = y > 0
    du[rows[has_u], p + y[has_u]] = 1.0
    dl[rows[has_l], p + y[has_l] - 1] = 1.0
    la = fu / pr
    lb = -fl / pr
    scores = -(w * la)[:, None] * du - (w * lb)[:, None] * dl
    nll = -np.sum(w * np.log(pr))
    if not hessian:
        return nll, scores, None
    laa = dfu / pr - la**2
    lbb = -dfl / pr - lb**2
    lab = -la * lb
    hess = -(
        (du.T * (w * laa)) @ du + (dl.T * (w * lbb)) @ dl + (du.T * (w * lab)) @ dl + (dl.T * (w * lab)) @ du
    )
    return nll, scores, hess


def fit_cumulative_link(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, n_cat: int, link: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximise the weighted cumulative-link likelihood; returns (params, unit scores, Hessian) at the optimum."""
    p = x.shape[1]
    # Start: thresholds at the weighted marginal cumulative logits/probits, β = 0.
    cum = np.cumsum(np.bincount(y, weights=w, minlength=n_cat))[:-1] / w.sum()
    cdf_inv = stats.logistic.ppf if link == "logit" else stats.norm.ppf
    zeta0 = cdf_inv(np.clip(cum, 1e-6, 1 - 1e-6))

    def to_params(theta):
        return np.concatenate([theta[:p], np.cumsum(np.concatenate([[theta[p]], np.exp(theta[p + 1:])]))])

    def fun(theta):
        params = to_params(theta)
        nll, sc, _ = cumulative_link_nll(params, x, y, w, n_cat, link, hessian=False)
        g = sc.sum(axis=0)
        # chain rule to (ζ1, log Δζ): ζ_j = ζ1 + Σ_{i<=j} exp(t_i)
        gt = g.copy()
        ez = np.exp(theta[p + 1:])
        gz = g[p:]
        gt[p + 1:] = ez * np.cumsum(gz[::-1])[::-1][1:]
        gt[p] = gz.sum()
        return nll, gt

    theta0 = np.concatenate([np.zeros(p), [zeta0[0]], np.log(np.maximum(np.diff(zeta0), 1e-3))])
    res = optimize.minimize(fun, theta0, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
    params = to_params(res.x)
    for _ in range(50):  # Newton polish with the analytic Hessian
        _, sc, hess = cumulative_link_nll(params, x, y, w, n_cat, link)
        step = np.linalg.solve(hess, sc.sum(axis=0))
        params = params - step
        if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(params))):
            break
    _, sc, hess = cumulative_link_nll(params, x, y, w, n_cat, link)
    return params, sc, hess


def _ordinal_frame(data: pd.DataFrame, formula: str):
    lhs, rhs = formula.split("~", 1)
    x = patsy.dmatrix(rhs, data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe")
    x = x.drop(columns=[c for c in x.columns if c == "Intercept"])
    yraw = data[lhs.strip()]
    if isinstance(yraw.dtype, pd.CategoricalDtype):
        levels = [c for c in yraw.cat.categories]
    else:
        levels = sorted(yraw.dropna().unique().tolist())
    ok = ~(yraw.isna().to_numpy() | x.isna().any(axis=1).to_numpy())
    code = {lev: i for i, lev in enumerate(levels)}
    y = np.array([code.get(v, 0) if pd.notna(v) else 0 for v in yraw], dtype=np.int64)
    return y, x, ok, levels


def svyolr(
    design: SurveyDesign, formula: str, link: Literal["logit", "probit"] = "logit", level: float = 0.95
) -> pd.DataFrame:
    """Design-weighted proportional-odds (or ordered probit) model with sandwich SEs (R ``svyolr``).

    The response's levels are its categories (sorted, or the categorical's order). Returns rows for the slopes and
    thresholds named ``"1|2"``, ``"2|3"``…, with ``term, estimate, se, ci_low, ci_high``.
    """
    y, xdf, ok, levels = _ordinal_frame(design.data, formula)
    if len(levels) < 3:
        raise ValueError("response must have 3 or more levels")
    x = np.where(ok[:, None], xdf.to_numpy(dtype=float), 0.0)
    w = design._weights * ok
    params, scores, hess = fit_cumulative_link(x, y, w, len(levels), link)
    infl = scores @ np.linalg.inv(hess)
    vcov = design._vcov(infl, ok & (w != 0))
    se = np.sqrt(np.diag(vcov))
    crit = critical_value(level)
    terms = list(xdf.columns) + [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])]
    return pd.DataFrame(
        {"term": terms, "estimate": params, "se": se, "ci_low": params - crit * se, "ci_high": params + crit * se}
    )
