"""Taylor-linearisation variance for multistage stratified designs (the engine behind :class:`SurveyDesign`).

The estimator of every statistic is linearised into a per-unit influence matrix ``Z`` (n × p; zero outside the
domain). Its variance is the full multistage recursion of R's ``survey::svyrecvar``/``multistage``/``onestrat``
(Lumley 2010, ch. 2.2 and appendix): at stage k the cluster totals of ``Z`` are centred within their stage-k strata
and weighted by ``f n/(n-1)`` with ``f = (N-n)/N``; the stage-(k+1) variance inside every stage-k cluster is added
after multiplying by that cluster's sampling fraction ``n/N``. Without population sizes only the first stage is used
(with-replacement, "ultimate cluster" approximation), exactly as R does.

Before the recursion, calibration steps (post-stratification, raking, GREG/linear calibration) replace ``Z`` by its
calibration residuals, in the order they were applied, as ``svyrecvar`` does with ``design$postStrata``.

Everything is vectorised over the rows: cluster totals come from one sparse aggregation (``scipy.sparse``) or from
``np.bincount`` on integer cluster codes, and within-stratum centring from ``np.bincount`` on the cluster-to-stratum
map, so a design with a million rows and hundreds of PSUs costs a few milliseconds per statistic.

References
----------
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
Lumley, T. (2023). survey: analysis of complex survey samples. R package version 4.1-1 (``svyrecvar``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

__all__ = ["LonelyPSU", "Stage", "StageSet", "CalibrationStep", "residualise", "multistage_vcov", "aggregate"]

LonelyPSU = Literal["fail", "remove", "adjust", "certainty", "average"]

# R's onestrat() treats a stratum whose sampling fraction is this close to 1 as a census (no variance).
_CENSUS_TOL = 1e-7


@dataclass(frozen=True)
class Stage:
    """One sampling stage, with clusters and strata coded 0..C-1 and 0..S-1 (codes unique across the design).

    ``parent`` maps each cluster to its stage-(k-1) cluster (all zeros at stage 1); ``n_sampled`` is the number of
    sampled clusters of each stratum in the *full* sample (R's ``fpc$sampsize``) and ``popsize`` the number in the
    population (``inf`` without an fpc).
    """

    cluster: np.ndarray  # per row
    n_clusters: int
    cluster_stratum: np.ndarray  # per cluster
    cluster_parent: np.ndarray  # per cluster
    n_parents: int
    n_sampled: np.ndarray  # per stratum
    popsize: np.ndarray  # per stratum
    aggregator: sp.csr_matrix = field(repr=False)  # (clusters × rows) indicator


@dataclass(frozen=True)
class StageSet:
    """All stages of a design plus whether population sizes were given (R recurses only then)."""

    stages: tuple[Stage, ...]
    has_fpc: bool

    def multipliers(self) -> list[np.ndarray]:
        """Per-cluster product of the sampling fractions n/N of all the cluster's ancestors (1 at stage 1)."""
        out = [np.ones(self.stages[0].n_clusters)]
        for k in range(1, len(self.stages)):
            prev = self.stages[k - 1]
            frac = prev.n_sampled / prev.popsize  # n/N per stratum, 0 when N is infinite
            frac_cluster = out[k - 1] * frac[prev.cluster_stratum]
            out.append(frac_cluster[self.stages[k].cluster_parent])
        return out


@dataclass(frozen=True)
class CalibrationStep:
    """A calibration applied to the weights, kept so that variances use the calibration residuals as R does.

    kind = "poststratify": ``codes`` (cells), ``weights`` (after) and ``old_weights`` (before);
    kind = "rake": ``margins`` holds (codes, weights-after-that-margin) of the last raking sweep;
    kind = "greg": ``q`` is the Q factor of qr(X·sqrt(w_old)) and ``weights`` is g·sqrt(w_old).
    """

    kind: Literal["poststratify", "rake", "greg"]
    codes: np.ndarray | None = None
    weights: np.ndarray | None = None
    old_weights: np.ndarray | None = None
    margins: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    q: np.ndarray | None = None


def _group_mean(values: np.ndarray, codes: np.ndarray, n_groups: int, weights: np.ndarray | None = None):
    """Column-wise (weighted) mean of ``values`` within groups, broadcast back to rows."""
    w = np.ones(len(codes)) if weights is None else weights
    denom = np.bincount(codes, weights=w, minlength=n_groups)
    p = values.shape[1]
    # One bincount over (column, group) bins, column after column: each bin adds the same products in the same
    # (row) order as a bincount per column would, so the sums are the same floats, without a call per column.
    bins = (codes[None, :] + n_groups * np.arange(p)[:, None]).ravel()
    num = np.bincount(bins, weights=(values * w[:, None]).T.ravel(), minlength=n_groups * p).reshape(p, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (num / denom).T[codes]


def residualise(z: np.ndarray, steps: tuple[CalibrationStep, ...]) -> np.ndarray:
    """Replace the influence matrix by its calibration residuals (R ``svyrecvar``'s ``postStrata`` loop)."""
    for step in steps:
        if step.kind == "greg":
            y = z / step.weights[:, None]
            z = (y - step.q @ (step.q.T @ y)) * step.weights[:, None]
        elif step.kind == "rake":
            # R iterates the margin-wise residualisation a fixed ten times (an approximation it documents).
            for _ in range(10):
                for codes, psw in step.margins:
                    n_groups = int(codes.max()) + 1
                    z = z - psw[:, None] * _group_mean(z / psw[:, None], codes, n_groups)
        else:
            psw = step.weights.copy()
            oldw = step.old_weights
            psw[(psw == 0) & (oldw == 0)] = 1.0
            n_groups = int(step.codes.max()) + 1
            z = z - _group_mean(z / psw[:, None], step.codes, n_groups, weights=oldw) * psw[:, None]
    return z


def multistage_vcov(
    totals: list[np.ndarray],
    design: StageSet,
    lonely_psu: LonelyPSU,
    present: list[np.ndarray],
) -> np.ndarray:
    """Variance–covariance matrix from the cluster totals of the influence matrix at every stage.

    Parameters
    ----------
    totals
        ``totals[k]`` is the (clusters at stage k) × p matrix of totals of the influence values.
    design
        The stage structure.
    lonely_psu
        Policy for strata with a single sampled cluster (R's ``options(survey.lonely.psu)``).
    present
        ``present[k]`` flags the stage-k strata that hold at least one unit of the (sub)population analysed; R's
        ``"average"`` policy rescales by the share of such strata whose variance could be estimated.
    """
    n_stages = len(design.stages) if design.has_fpc else 1
    mults = design.multipliers()
    p = totals[0].shape[1]
    vcov = np.zeros((p, p))
    for k in range(n_stages):
        st = design.stages[k]
        t = totals[k]
        n_h = st.n_sampled.astype(float)
        big_n = st.popsize
        f = np.where(np.isinf(big_n), 1.0, (big_n - n_h) / np.where(np.isinf(big_n), 1.0, big_n))
        scale_h = np.where(n_h > 1, f * n_h / np.maximum(n_h - 1, 1), f)
        census = f < _CENSUS_TOL
        scale_h = np.where(census, 0.0, scale_h)
        s_of_c = st.cluster_stratum
        n_strata = len(n_h)
        # Clusters that are absent from a domain still have zero totals here, which is R's zero-padding.
        means = np.empty((n_strata, p))
        for j in range(p):
            means[:, j] = np.bincount(s_of_c, weights=t[:, j], minlength=n_strata) / n_h
        lonely = (n_h == 1) & ~census
        dev = t - means[s_of_c]
        if lonely_psu == "adjust":
            # R leaves a lonely cluster's total uncentred, i.e. centred at zero.
            dev = np.where(lonely[s_of_c][:, None], t, dev)
        elif lonely.any() and lonely_psu == "fail":
            bad = np.flatnonzero(lonely & present[k])
            if len(bad):
                raise ValueError(
                    f"Stratum with only one PSU at stage {k + 1} (use lonely_psu='remove', 'adjust', "
                    "'certainty' or 'average')"
                )
        w_c = scale_h[s_of_c] * mults[k]
        if lonely_psu == "average" and lonely.any():
            # Within each call of R's onestage (one per parent cluster) the strata that could be estimated are
            # scaled up by (# strata present) / (# strata present and estimable); lonely strata contribute nothing.
            parent_of_s = np.zeros(n_strata, dtype=np.int64)
            parent_of_s[s_of_c] = st.cluster_parent
            pres = present[k]
            n_present = np.bincount(parent_of_s, weights=pres.astype(float), minlength=st.n_parents)
            n_ok = np.bincount(parent_of_s, weights=(pres & ~lonely).astype(float), minlength=st.n_parents)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = n_present / n_ok
            factor_s = np.where(lonely, 0.0, factor[parent_of_s])
            w_c = w_c * factor_s[s_of_c]
            # A parent whose every present stratum is lonely yields NaN in R (0 × n/0); keep that.
            if np.any((n_ok == 0) & (n_present > 0)):
                vcov = vcov + np.nan
        elif lonely_psu in ("remove", "certainty"):
            w_c = np.where(lonely[s_of_c], 0.0, w_c)
        vcov = vcov + (dev * w_c[:, None]).T @ dev
    return vcov


def aggregate(z: np.ndarray, design: StageSet) -> list[np.ndarray]:
    """Cluster totals of the influence matrix at every stage that enters the variance."""
    n_stages = len(design.stages) if design.has_fpc else 1
    out = []
    for k in range(n_stages):
        t = design.stages[k].aggregator @ z
        out.append(t.toarray() if sp.issparse(t) else np.asarray(t))
    return out
