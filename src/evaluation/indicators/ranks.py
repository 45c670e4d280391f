"""Confidence sets for ranks: where a community stands among its peers, with the uncertainty of the estimates.

A rank read off point estimates ("7th of 43") hides that neighbouring communities often cannot be told apart: with
the sampling error of a survey or the chance variation of a year's events, a community ranked 7th might as well be
2nd or 20th. Following Mogstad, Romano, Shaikh & Wilhelm (2024), the rank of unit j (1 = highest value) is bounded
by the units that are significantly above and significantly below it:

    rank_low  = 1 + #{k : θ_k > θ_j significantly},      rank_high = n − #{k : θ_k < θ_j significantly},

where "significantly" comes from tests of all the pairwise differences θ_k − θ_j that hold jointly at level α. The
set {rank_low, …, rank_high} covers the true rank of j with probability at least 1 − α (the *marginal* set, for one
community's profile); with the family taken over every pair (``simultaneous=True``) the sets of all units cover
their true ranks jointly (for a table ranking every community).

Two ways of making the pairwise tests hold jointly are offered:

- ``"maxt"`` (default): the critical value is the 1 − α quantile of max |Z_k − Z_j| / s_jk over the family, Z drawn
  from the estimates' sampling distribution (independent normal with the given SEs: the community estimates come
  from disjoint data), seeded.
- ``"holm"``: the Bonferroni–Holm step-down over the one-sided hypotheses of the family (no simulation; a little
  more conservative).

Estimates are taken as independent and approximately normal with known SE. A unit with a missing SE is compared with
nobody (its set is the full range, and it narrows nobody else's).

References
----------
Mogstad, M., Romano, J. P., Shaikh, A. M. & Wilhelm, D. (2024). Inference for ranks with applications to mobility
across neighbourhoods and academic achievement across countries. *Review of Economic Studies* 91(1), 476–518.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.* 6, 65–70.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["rank_intervals", "se_from_interval"]

Method = Literal["maxt", "holm"]


def se_from_interval(ci_low, ci_high, confidence: float = 0.95) -> np.ndarray:
    """The SE a symmetric normal interval of that width implies: (high − low) / (2·z). NaN where a limit is missing.

    For figures published with an interval but without an SE (Kaplan–Meier quantiles); an asymmetric interval gives
    its average half-width.
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    lo = np.asarray(ci_low, dtype="float64")
    hi = np.asarray(ci_high, dtype="float64")
    return (hi - lo) / (2 * z)


def rank_intervals(estimates, ses, confidence: float = 0.95, *, simultaneous: bool = False,
                   method: Method = "maxt", n_draws: int = 10000, seed: int = 20241231) -> pd.DataFrame:
    """Confidence sets for the ranks of units from their estimates and standard errors (rank 1 = highest).

    Parameters
    ----------
    estimates : array_like
        One estimate per unit; NaN units are left out of the ranking (their row is NaN).
    ses : array_like
        Their standard errors (0 for a figure without error; NaN or inf when unknown: that unit is compared with
        nobody).
    confidence : float
        1 − α.
    simultaneous : bool
        False: each unit's set covers its rank with probability ≥ 1 − α (marginal). True: all sets cover all ranks
        jointly with probability ≥ 1 − α.
    method : {"maxt", "holm"}
        How the pairwise tests are made to hold jointly (module docstring).
    n_draws : int
        Normal draws of the max-t critical value.
    seed : int
        Seed of those draws: the same inputs give the same sets.

    Returns
    -------
    DataFrame
        One row per unit, in input order: ``rank`` (of the point estimates, ties sharing the best rank, as R
        ``rank(-x, ties.method = "min")``), ``rank_low``, ``rank_high`` and ``n`` (units ranked).

    References
    ----------
    Mogstad, M., Romano, J. P., Shaikh, A. M. & Wilhelm, D. (2024). *Review of Economic Studies* 91(1), 476–518,
    §3 (marginal and simultaneous confidence sets for ranks).

    Examples
    --------
    >>> rank_intervals([10.0, 5.0, 0.0], [0.1, 0.1, 0.1])[["rank_low", "rank_high"]].values.tolist()
    [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if method not in ("maxt", "holm"):
        raise ValueError(f"method must be 'maxt' or 'holm', got {method!r}")
    est = np.asarray(estimates, dtype="float64").ravel()
    se = np.asarray(ses, dtype="float64").ravel()
    if est.shape != se.shape:
        raise ValueError("estimates and ses must have one value per unit each")
    if np.any(se < 0):
        raise ValueError("standard errors must be non-negative")
    out = pd.DataFrame({"rank": np.nan, "rank_low": np.nan, "rank_high": np.nan, "n": 0}, index=range(len(est)))
    ok = np.isfinite(est)
    n = int(ok.sum())
    out["n"] = n
    if n == 0:
        return out
    e, s = est[ok], np.where(np.isfinite(se[ok]), se[ok], np.inf)
    alpha = 1 - confidence
    diff = e[None, :] - e[:, None]                      # diff[j, k] = θ̂_k − θ̂_j
    scale = np.sqrt(s[:, None] ** 2 + s[None, :] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = np.where(scale > 0, diff / scale, np.where(diff > 0, np.inf, np.where(diff < 0, -np.inf, 0.0)))
    tstat = np.where(np.isinf(scale), 0.0, tstat)       # unknown SE: never significant
    np.fill_diagonal(tstat, 0.0)
    off = ~np.eye(n, dtype=bool)
    if method == "maxt":
        crit = _maxt_critical(s, alpha, simultaneous, n_draws, seed)
        above = (tstat > crit[:, None]) & off           # θ_k > θ_j significantly
        below = (tstat < -crit[:, None]) & off
    else:
        above, below = _holm(tstat, alpha, simultaneous)
    point = stats.rankdata(-e, method="min")
    out.loc[ok, "rank"] = point.astype("float64")
    out.loc[ok, "rank_low"] = (1 + above.sum(axis=1)).astype("float64")
    out.loc[ok, "rank_high"] = (n - below.sum(axis=1)).astype("float64")
    return out


def _maxt_critical(s: np.ndarray, alpha: float, simultaneous: bool, n_draws: int, seed: int) -> np.ndarray:
    """Per unit j, the 1 − α quantile of max_k |Z_k − Z_j| / s_jk (over k ≠ j; over every pair when
    ``simultaneous``), Z ~ N(0, diag(s²)). Pairs whose scale is 0 or unknown carry no randomness and are left out."""
    n = len(s)
    if n < 2:
        return np.full(n, np.inf)
    rng = np.random.default_rng(seed)
    finite = np.where(np.isfinite(s), s, 0.0)
    scale = np.sqrt(s[:, None] ** 2 + s[None, :] ** 2)
    usable = np.isfinite(scale) & (scale > 0) & ~np.eye(n, dtype=bool)
    maxima = np.zeros((n_draws, n))
    chunk = max(1, 2_000_000 // max(n * n, 1))
    for a in range(0, n_draws, chunk):
        z = rng.standard_normal((min(chunk, n_draws - a), n)) * finite
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(z[:, None, :] - z[:, :, None]) / scale[None]
        t = np.where(usable[None], t, 0.0)
        maxima[a:a + len(z)] = t.max(axis=2)
    if simultaneous:
        return np.full(n, float(np.quantile(maxima.max(axis=1), 1 - alpha)))
    return np.quantile(maxima, 1 - alpha, axis=0)


def _holm(tstat: np.ndarray, alpha: float, simultaneous: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bonferroni–Holm over the one-sided hypotheses "θ_k ≤ θ_j" and "θ_k ≥ θ_j" (k ≠ j): per unit j (marginal) or
    over every pair at once (simultaneous). Returns the rejections as (above, below) matrices."""
    n = tstat.shape[0]
    off = ~np.eye(n, dtype=bool)
    p_above = np.where(off, stats.norm.sf(tstat), 1.0)    # small when θ_k > θ_j
    p_below = np.where(off, stats.norm.cdf(tstat), 1.0)   # small when θ_k < θ_j

    def stepdown(p: np.ndarray) -> np.ndarray:
        m = len(p)
        order = np.argsort(p, kind="stable")
        thresholds = alpha / (m - np.arange(m))
        passed = p[order] <= thresholds
        k = m if passed.all() else int(np.argmin(passed))
        reject = np.zeros(m, dtype=bool)
        reject[order[:k]] = True
        return reject

    above = np.zeros_like(off)
    below = np.zeros_like(off)
    if simultaneous:
        idx = np.flatnonzero(off.ravel())
        rej = stepdown(np.concatenate([p_above.ravel()[idx], p_below.ravel()[idx]]))
        above.ravel()[idx] = rej[:len(idx)]
        below.ravel()[idx] = rej[len(idx):]
    else:
        for j in range(n):
            ks = np.flatnonzero(off[j])
            rej = stepdown(np.concatenate([p_above[j, ks], p_below[j, ks]]))
            above[j, ks] = rej[:len(ks)]
            below[j, ks] = rej[len(ks):]
    return above, below
