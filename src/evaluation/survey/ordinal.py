"""Unweighted ordinal "driver" models: cumulative logit/probit with model-based SEs (R ``ordinal::clm``).

Fitted with statsmodels ``OrderedModel`` (``method="bfgs"``, gtol 1e-10; its Nelder–Mead default stops about 2e-5
away). statsmodels stores the thresholds after the first as log-increments, ζ_j = ζ_1 + Σ_{i≤j} exp(t_i); we map them
back and take SEs from the analytic observed information of the cumulative-link likelihood in the (β, ζ)
parametrisation — the inverse Hessian clm reports — rather than from statsmodels' numerical Hessian in the
log-increment parametrisation, whose finite-difference error would show at 1e-6.

The model is logit/probit P(Y ≤ j) = F(ζ_j − xᵀβ), so positive β push towards higher categories, as in clm.
For design-based (weighted, clustered) fits use :meth:`SurveyDesign.ordinal` (R ``svyolr``).

References
----------
McCullagh, P. (1980). Regression models for ordinal data. *JRSS B* 42, 109–142.
Christensen, R. H. B. (2022). ordinal: regression models for ordinal data. R package 2022.11-16.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from evaluation.survey.estimators import critical_value
from evaluation.survey.models import _ordinal_frame, cumulative_link_nll

__all__ = ["ordinal_logit"]


def ordinal_logit(
    df: pd.DataFrame, formula: str, link: Literal["logit", "probit"] = "logit", level: float = 0.95
) -> pd.DataFrame:
    """Cumulative-link model with model-based SEs, one row per term (thresholds named ``"1|2"``, ``"2|3"``…).

    Parameters
    ----------
    df
        Data; the response must have at least three ordered levels (categorical order, else sorted values).
    formula
        ``"response ~ predictors"`` (patsy); the intercept is absorbed by the thresholds.
    link
        ``"logit"`` (proportional odds) or ``"probit"``.

    Returns
    -------
    DataFrame with ``term, estimate, se, ci_low, ci_high`` (normal intervals), thresholds first as clm prints them.
    """
    y, xdf, ok, levels = _ordinal_frame(df, formula)
    if len(levels) < 3:
        raise ValueError("response must have 3 or more levels")
    y, x = y[ok], xdf.to_numpy(dtype=float)[ok]
    distr = {"logit": "logit", "probit": "probit"}[link]
    model = OrderedModel(y, x, distr=distr)
    with warnings.catch_warnings():
        # BFGS reports "not converged" when line searches stall at gtol 1e-10; we check the score ourselves.
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = model.fit(method="bfgs", disp=False, gtol=1e-10, maxiter=10000)
    p = x.shape[1]
    raw = np.asarray(res.params)
    zeta = np.cumsum(np.concatenate([[raw[p]], np.exp(raw[p + 1:])]))
    params = np.concatenate([raw[:p], zeta])
    _, scores, hess = cumulative_link_nll(params, x, y, np.ones(len(y)), len(levels), link)
    if np.max(np.abs(scores.sum(axis=0))) > 1e-5:
        raise RuntimeError("ordinal model did not converge")
    se = np.sqrt(np.diag(np.linalg.inv(hess)))
    names = [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])] + list(xdf.columns)
    est = np.concatenate([params[p:], params[:p]])
    se = np.concatenate([se[p:], se[:p]])
    crit = critical_value(level)
    return pd.DataFrame(
        {"term": names, "estimate": est, "se": se, "ci_low": est - crit * se, "ci_high": est + crit * se}
    )
