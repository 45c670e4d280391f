"""Naive two-way fixed-effects benchmarks: the static TWFE DiD and the TWFE event study.

Both are OLS with unit and period fixed effects (statsmodels OLS on the two-way demeaned data, which by
Frisch-Waugh-Lovell gives the dummy-variable coefficients and residuals), with standard errors clustered by unit (or by a
coarser ``cluster`` column containing whole units) with the CR1 factor G/(G-1) * (N-1)/(N-K), where K does
not count the unit dummies because they are nested in the clusters -- the convention of Stata's ``reghdfe``
/ ``xtreg, fe`` and R's ``fixest`` (``fixef.K = "nested"``). Counting them, as ``reg ... i.unit, cluster()``
does, would inflate the SE by about sqrt(T/(T-1)) in short panels. They are the benchmarks that staggered designs are
known to bias when effects are dynamic or heterogeneous (Goodman-Bacon 2021; Sun & Abraham 2021): compare
them with :func:`evaluation.impact.staggered_did.staggered_did`, and see :mod:`evaluation.impact.bacon` for
why they differ.

References
----------
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. *Journal of
Econometrics* 225(2), 254-277.
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with heterogeneous
treatment effects. *Journal of Econometrics* 225(2), 175-199.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from scipy import stats

from evaluation.results import ResultFrame, ResultMixin, tidy_frame

__all__ = ["TWFEResult", "twfe", "twfe_event_study", "treatment_indicator", "TWFEEventStudy"]


@dataclass(frozen=True)
class TWFEResult(ResultMixin):
    """Static TWFE coefficient on the treatment dummy (result protocol: one row, ``n`` the clusters, as notebook 40
    records ``impact.<outcome>.twfe``)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n_obs: int
    n_clusters: int

    what = "result.what.twfe"

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.estimate, self.se, self.ci_low, self.ci_high, self.n_clusters, n_obs=self.n_obs)


class TWFEEventStudy(ResultFrame):
    """:func:`twfe_event_study`'s coefficients with the result protocol, keyed ``e<event time>``."""

    what = "result.what.twfe_event_study"
    key = "e{event_time}"


def treatment_indicator(data: pd.DataFrame, time: str, cohort: str) -> pd.Series:
    """D_it = 1 once unit i's cohort has started (t >= g); cohort 0 or NaN = never treated."""
    g = pd.to_numeric(data[cohort], errors="coerce").fillna(0.0)
    return ((g > 0) & (pd.to_numeric(data[time]) >= g)).astype(float)


def _demean(values: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray) -> np.ndarray:
    """Remove unit and period means (alternating projections; exact in one pass on a balanced panel)."""
    out = values.copy()
    nu, nt = unit_codes.max() + 1, time_codes.max() + 1
    cu = np.bincount(unit_codes, minlength=nu)[:, None]
    ct = np.bincount(time_codes, minlength=nt)[:, None]
    for _ in range(10_000):
        su = np.zeros((nu, out.shape[1]))
        np.add.at(su, unit_codes, out)
        out -= (su / cu)[unit_codes]
        st = np.zeros((nt, out.shape[1]))
        np.add.at(st, time_codes, out)
        mt = st / ct
        out -= mt[time_codes]
        if np.max(np.abs(mt)) < 1e-13 * (1 + np.max(np.abs(out))):
            break
    return out


class _Fit:
    def __init__(self, params: pd.Series, bse: pd.Series, nobs: int):
        self.params, self.bse, self.nobs = params, bse, nobs


def _fit(data, outcome, unit, time, regressors, cluster):
    # Frisch-Waugh-Lovell: OLS on unit- and period-demeaned data gives the dummy-variable coefficients and
    # residuals; the cluster sandwich is then statsmodels' (CR0) times the nested-FE CR1 factor
    d = data.reset_index(drop=True)
    if cluster is not None and d.groupby(unit)[cluster].nunique().max() > 1:
        raise ValueError(f"cluster column {cluster!r} must be constant within unit")
    groups = pd.factorize(d[cluster or unit])[0]
    uc = pd.factorize(d[unit])[0]
    tc = pd.factorize(d[time])[0]
    z = np.column_stack([d[outcome].to_numpy(dtype=float), regressors.to_numpy(dtype=float)])
    zt = _demean(z, uc, tc)
    x = pd.DataFrame(zt[:, 1:], columns=regressors.columns)
    res = OLS(zt[:, 0], x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    n, G = len(d), int(groups.max() + 1)
    # regressors + intercept + period dummies; unit dummies are nested in the clusters and not counted
    k_nested = regressors.shape[1] + 1 + (tc.max())
    factor = G / (G - 1) * (n - 1) / (n - k_nested)
    return _Fit(res.params, res.bse * np.sqrt(factor), n), G


def twfe(data: pd.DataFrame, outcome: str = "y", unit: str = "community_id", time: str = "year",
         cohort: str = "first_treat", cluster: str | None = None, *, confidence: float = 0.95) -> TWFEResult:
    """Static TWFE DiD: OLS of y on D_it plus unit and period fixed effects, cluster-robust SE.

    Parameters
    ----------
    data : DataFrame
        Long panel (rows with a missing outcome are dropped).
    outcome, unit, time, cohort : str
        Column names; ``cohort`` is the first treated period (0/NaN = never).
    cluster : str, optional
        Cluster column (default: the unit).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    TWFEResult

    References
    ----------
    Angrist & Pischke (2009), ch. 5; Goodman-Bacon (2021) for its interpretation under staggered timing.
    """
    d = data[data[outcome].notna()].reset_index(drop=True)
    reg = pd.DataFrame({"D": treatment_indicator(d, time, cohort).to_numpy()})
    res, g = _fit(d, outcome, unit, time, reg, cluster)
    b, s = float(res.params["D"]), float(res.bse["D"])
    # t reference with G-1 df, as Stata / fixest use for clustered inference
    alpha = 1 - confidence
    q = stats.t.ppf(1 - alpha / 2, g - 1)
    return TWFEResult(b, s, b - q * s, b + q * s, int(res.nobs), g)


def twfe_event_study(data: pd.DataFrame, outcome: str = "y", unit: str = "community_id", time: str = "year",
                     cohort: str = "first_treat", reference: int = -1, cluster: str | None = None, *,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Dynamic TWFE ("event-study") regression with relative-time dummies, reference period ``reference``.

    Every relative period e = t - g observed among treated units gets a dummy except ``reference``; never-
    treated units have none. Under staggered adoption with heterogeneous dynamic effects the coefficients mix
    effects from other periods (Sun & Abraham 2021), which is why this is a benchmark only. ``confidence`` is the
    coverage of the intervals.

    Returns
    -------
    DataFrame
        event_time, estimate, se, ci_low, ci_high (the reference row has estimate 0 and NaN SE).

    References
    ----------
    Sun, L. and Abraham, S. (2021), Journal of Econometrics 225(2), 175-199.
    """
    d = data[data[outcome].notna()].reset_index(drop=True)
    g = pd.to_numeric(d[cohort], errors="coerce").fillna(0.0).to_numpy()
    e = np.where(g > 0, pd.to_numeric(d[time]).to_numpy() - g, np.nan)
    levels = sorted(int(v) for v in np.unique(e[~np.isnan(e)]) if int(v) != reference)
    reg = pd.DataFrame({f"e{k}": (e == k).astype(float) for k in levels})
    res, ncl = _fit(d, outcome, unit, time, reg, cluster)
    alpha = 1 - confidence
    q = stats.t.ppf(1 - alpha / 2, ncl - 1)
    rows = [(k, float(res.params[f"e{k}"]), float(res.bse[f"e{k}"])) for k in levels]
    rows.append((reference, 0.0, np.nan))
    out = pd.DataFrame(rows, columns=["event_time", "estimate", "se"]).sort_values("event_time")
    out["ci_low"] = out["estimate"] - q * out["se"]
    out["ci_high"] = out["estimate"] + q * out["se"]
    return TWFEEventStudy(out.reset_index(drop=True))
