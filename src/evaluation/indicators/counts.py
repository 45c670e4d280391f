"""Negative-binomial (NB2) regression for overdispersed counts such as attendance per activity.

The model is log E[y] = Xβ (+ offset), Var[y] = μ + αμ² (NB2; θ = 1/α in R's parameterisation). It is fitted as R's
``MASS::glm.nb`` does (:func:`fit_nb2`, the package's one NB2 fit, which the interrupted time series uses too):

1. θ by maximum likelihood given μ (the profile likelihood, as ``MASS::theta.ml``) and β by IRLS given θ
   (``statsmodels`` GLM, NB family), alternated until θ settles: the joint maximum.
2. β and its standard errors from the GLM with θ held at its estimate, since ``glm.nb`` reports the GLM's
   Fisher-information SEs for β given θ.

The SE of θ is MASS's: the inverse observed information of θ with μ held fixed (``MASS::theta.ml``). statsmodels
has no such number, so it is computed here from the same formula.

With ``cluster`` (:func:`fit_negative_binomial`), the covariance of β is the cluster-robust sandwich of statsmodels
(``cov_type="cluster"``), which is ``sandwich::vcovCL(fit, cluster=~g)`` with its defaults for a glm (HC1 and the
G/(G−1) adjustment; θ held at its estimate), and the intervals and p-values use t. Its degrees of freedom are those
of the clusters the figure rests on, not of all G: a level's scores sum to zero over its own rows (the likelihood
equation of its term), so the sandwich variance of its mean is a sum over the G_j clusters the level occurs in, of
terms that sum to zero, and has G_j − 1 degrees of freedom, however many clusters the district has. So a level's mean
gets t(G_j − 1), a contrast or the intercept the fewest clusters of the levels it rests on (its own and the
reference levels) less one, and a figure resting on a level seen in one cluster only gets no interval: its variance
would be 0, not small. With every level in every cluster this is t(G − 1), the package's other community-cluster
intervals. Checked against R in tests/reference/indicators/nb_cluster_reference.json.

References
----------
Venables, W. N. & Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed., §7.4 (``glm.nb``).
Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed., §3.3 (NB2).
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference. *Journal of Human
Resources* 50(2), 317–372 (the sandwich, its G/(G−1) adjustment and t(G−1)).
Zeileis, A., Köll, S. & Graham, N. (2020). Various versatile variances. *Journal of Statistical Software* 95(1)
(``vcovCL``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

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
    factor's levels with the reference first. ``clusters`` is the number of clusters of a cluster-robust fit
    (None for the model-based, Fisher-information, normal intervals) and :attr:`df` = ``clusters`` − 1 the
    degrees of freedom of a figure that rests on every cluster. ``level_clusters`` counts, for a cluster-robust fit, the clusters each level of
    each factor occurs in; the degrees of freedom of a term or a level's mean follow from them (:meth:`df_of`), and
    ``coefficients`` has a ``df`` column (NaN when model-based).
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
    clusters: int | None = None
    level_clusters: Mapping[str, Mapping[str, int]] | None = None

    what = "result.what.nb_fit"

    @property
    def df(self) -> int | None:
        """``clusters`` − 1, or None for a model-based fit."""
        return None if self.clusters is None else self.clusters - 1

    def df_of(self, levels: Sequence[tuple[str, str]]) -> int | None:
        """Degrees of freedom of a cluster-robust figure resting on ``levels`` ((factor, level) pairs): the fewest
        clusters any of them occurs in, less one (0: no interval); None for a model-based fit (normal).

        A coefficient rests on its own level and every factor's reference level (the intercept on the references
        alone); a level's mean (:func:`predict_group_means`) on itself and the other factors' references."""
        if self.level_clusters is None:
            return None
        return min(self.level_clusters[f][c] for f, c in levels) - 1

    def term_levels(self, term: str) -> list[tuple[str, str]]:
        """The (factor, level) pairs coefficient ``term`` rests on (see :meth:`df_of`)."""
        refs = [(f, lv[0]) for f, lv in self.levels.items()]
        own = [(f, lv) for f, levs in self.levels.items() for lv in levs[1:] if term == f"{f}{lv}"]
        return refs + own

    def critical(self, df: int | None) -> float:
        """The two-sided critical value at this fit's confidence: t(``df``), or normal when ``df`` is None."""
        q = 0.5 + self.confidence / 2
        return float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))
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
                          confidence: float = 0.95, cluster: str | None = None) -> NBFit:
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
    cluster : str, optional
        Column of cluster labels (at least two): the covariance is then cluster-robust and the intervals use
        t(G − 1) (see the module docstring); rows without a label are dropped like rows without the outcome.

    Returns
    -------
    NBFit

    References
    ----------
    Venables & Ripley (2002), §7.4; checked against ``MASS::glm.nb`` in tests/reference/indicators, and with
    ``cluster`` against ``sandwich::vcovCL`` (Zeileis et al. 2020).
    """
    data = frame.dropna(subset=[outcome, *factors, *([cluster] if cluster else [])])
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
    est = np.asarray(glm.params)
    clusters = level_clusters = None
    cov = np.asarray(glm.cov_params())
    if cluster is not None:
        groups = pd.factorize(data[cluster].astype(str))[0]
        clusters = int(groups.max()) + 1 if len(groups) else 0
        if clusters < 2:
            raise ValueError(f"a cluster-robust covariance needs at least two clusters; {cluster} has {clusters}")
        # the same IRLS at the same θ, so the same β; only the covariance is the sandwich
        robust = GLM(y, X, family=families.NegativeBinomial(alpha=alpha), offset=off).fit(
            tol=1e-13, maxiter=200, cov_type="cluster", cov_kwds={"groups": groups})
        cov = np.asarray(robust.cov_params())
        level_clusters = {f: {str(k): int(v) for k, v in pd.Series(groups).groupby(
            data[f].astype(str).to_numpy()).nunique().items()} for f in factors}
    fit = NBFit(pd.DataFrame(), pd.DataFrame(cov, index=X.columns, columns=X.columns), alpha, theta, theta_se,
                float(glm.llf), len(y), outcome, tuple(factors), levels, res_converged and bool(glm.converged),
                confidence, clusters, level_clusters)
    dfs = [fit.df_of(fit.term_levels(term)) for term in X.columns]
    se = np.array([np.nan if d is not None and d < 1 else np.sqrt(max(v, 0.0))
                   for d, v in zip(dfs, np.diag(cov))])
    crit = np.array([fit.critical(d) if d is None or d >= 1 else np.nan for d in dfs])
    stat = est / se
    p = np.array([2 * (stats.norm.sf(abs(z)) if d is None else stats.t.sf(abs(z), d)) if np.isfinite(z) else np.nan
                  for z, d in zip(stat, dfs)])
    coef = pd.DataFrame({"term": list(X.columns), "estimate": est, "se": se, "z": stat, "p_value": p,
                         "ci_low": est - crit * se, "ci_high": est + crit * se,
                         "df": [np.nan if d is None else float(d) for d in dfs]})
    return replace(fit, coefficients=coef)


def predict_group_means(fit: NBFit, factor: str) -> pd.DataFrame:
    """Model-based mean count for each level of ``factor`` (other factors at their reference levels).

    The interval is exp(η ± c·SE(η)) with SE(η) = √(xᵀVx), a Wald interval on the log scale; c is the fit's
    critical value (:meth:`NBFit.critical`: normal, or for a cluster-robust fit t with the degrees of freedom of the
    level, :meth:`NBFit.df_of`, given in column ``df``). A level seen in one cluster only gets its mean and NaN for
    the rest.
    """
    if factor not in fit.levels:
        raise KeyError(f"{factor} is not a factor of this fit")
    beta = fit.coefficients.set_index("term")["estimate"]
    rows = []
    for i, level in enumerate(fit.levels[factor]):
        x = pd.Series(0.0, index=beta.index)
        x["(Intercept)"] = 1.0
        if i > 0:
            x[f"{factor}{level}"] = 1.0
        eta = float(x @ beta)
        df = fit.df_of([(factor, level), *((f, lv[0]) for f, lv in fit.levels.items() if f != factor)])
        ok = df is None or df >= 1
        se = float(np.sqrt(max(float(x @ fit.cov @ x), 0.0))) if ok else np.nan
        z = fit.critical(df) if ok else np.nan
        rows.append({"level": level, "mean": np.exp(eta), "log_mean": eta, "log_se": se,
                     "ci_low": np.exp(eta - z * se), "ci_high": np.exp(eta + z * se),
                     "df": np.nan if df is None else float(df)})
    return pd.DataFrame(rows)
