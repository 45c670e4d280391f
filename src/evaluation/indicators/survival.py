"""Kaplan–Meier survival curves with Greenwood confidence intervals and quantiles, as R's ``survival::survfit``.

The product-limit estimate, risk sets and event counts come from statsmodels (``SurvfuncRight``). Two things are
computed here because statsmodels does them differently from R, and the package's reference is R:

- Pointwise intervals. R's default is ``conf.type = "log"``: S·exp(±z·σ) with σ² the Greenwood sum Σ d/(n(n−d)),
  the upper limit capped at 1 and no interval where S = 0. statsmodels only returns the SE of S. ``"log-log"`` and
  ``"plain"`` are offered too, with R's formulas (``survival:::survfit_confint``).
- Quantiles and their intervals. statsmodels follows SAS (the first time S < 1 − p, strictly; Brookmeyer–Crowley
  limits). R reads each quantile off the curve and off the two confidence bands, and where the curve is flat exactly
  at the requested level it takes the midpoint of the flat (``survival:::findq``); with event times in whole hours
  such flats are common, so the rule matters. It is reproduced here line by line.

Both are checked against ``survfit`` and ``quantile.survfit`` in tests/reference/indicators.

Greenwood's variance treats the units as independent. Events cluster within communities (a community that closes
slowly closes most of its events slowly), so for a district quantile :func:`km_quantiles_cluster_bootstrap`
resamples whole communities instead (percentile interval; Field & Welsh 2007).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations. JASA 53, 457–481.
Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and Medical Subjects 33.
Brookmeyer, R. & Crowley, J. (1982). A confidence interval for the median survival time. Biometrics 38, 29–41.
Therneau, T. M. (2024). *A Package for Survival Analysis in R*, ``survfit`` and ``quantile.survfit``.
Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data. *JRSS B* 69, 369–390.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

__all__ = ["kaplan_meier", "kaplan_meier_counts", "km_quantiles", "km_quantiles_counts",
           "km_quantiles_grouped", "km_quantiles_cluster_bootstrap"]

ConfType = Literal["log", "log-log", "plain"]
_TOL = float(np.sqrt(np.finfo(float).eps))  # R's quantile.survfit default tolerance


def _inputs(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype="float64")
    e = np.asarray(event, dtype="float64")
    if t.shape != e.shape:
        raise ValueError("time and event must have the same length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative")
    if not np.all(np.isin(e, (0, 1))):
        raise ValueError("event must be 0 (censored) or 1 (event)")
    return t, e


@functools.lru_cache(maxsize=8)
def _z(confidence: float) -> float:
    # the same quantile for every curve: computed once, not once per community
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _confint(surv: np.ndarray, se_log: np.ndarray, confidence: float, conf_type: ConfType):
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            s = np.where(surv == 0, np.nan, surv)
            lo = np.exp(np.log(s) - z * se_log)
            hi = np.minimum(np.exp(np.log(s) + z * se_log), 1.0)
        elif conf_type == "log-log":
            s = np.where((surv == 0) | (surv == 1), np.nan, surv)
            w = z * se_log / np.log(s)
            lo = np.exp(-np.exp(np.log(-np.log(s)) - w))
            hi = np.exp(-np.exp(np.log(-np.log(s)) + w))
        elif conf_type == "plain":
            w = z * se_log * surv
            lo = np.maximum(surv - w, 0.0)
            hi = np.minimum(surv + w, 1.0)
        else:
            raise ValueError("conf_type must be 'log', 'log-log' or 'plain'")
    return lo, hi


def kaplan_meier(time, event, confidence: float = 0.95, conf_type: ConfType = "log") -> pd.DataFrame:
    """Kaplan–Meier estimate at each event time with Greenwood pointwise intervals.

    Parameters
    ----------
    time : array_like
        Follow-up times (e.g. hours from report to close, or to the data cut-off for open events).
    event : array_like
        1 where the event (closing) was observed, 0 where the time is censored.
    confidence : float
    conf_type : {"log", "log-log", "plain"}
        Transformation of the interval; ``"log"`` is R's default.

    Returns
    -------
    DataFrame
        ``time``, ``n_risk``, ``n_event``, ``surv``, ``std_err`` (SE of S, as ``summary.survfit``), ``ci_low``,
        ``ci_high`` — one row per distinct event time, like ``summary(survfit(...), censored = FALSE)``.
    """
    t, e = _inputs(time, event)
    if e.sum() == 0:
        return _empty_km()
    sf = SurvfuncRight(t, e)
    return _km_frame(np.asarray(sf.surv_times, dtype="float64"), np.asarray(sf.n_risk, dtype="float64"),
                     np.asarray(sf.n_events, dtype="float64"), np.asarray(sf.surv_prob, dtype="float64"),
                     confidence, conf_type)


def _empty_km() -> pd.DataFrame:
    return pd.DataFrame(columns=["time", "n_risk", "n_event", "surv", "std_err", "ci_low", "ci_high"],
                        dtype="float64")


def _km_bands(n: np.ndarray, d: np.ndarray, surv: np.ndarray, confidence: float, conf_type: ConfType
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greenwood SE of S and the pointwise limits at each event time (as R ``survfit``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > d, d / (n * (n - d)), np.inf)
    se_log = np.sqrt(np.cumsum(term))
    lo, hi = _confint(surv, se_log, confidence, conf_type)
    with np.errstate(invalid="ignore"):
        std_err = np.where(np.isfinite(se_log), se_log * surv, np.nan)
    return std_err, lo, hi


def _km_frame(times: np.ndarray, n: np.ndarray, d: np.ndarray, surv: np.ndarray, confidence: float,
              conf_type: ConfType) -> pd.DataFrame:
    std_err, lo, hi = _km_bands(n, d, surv, confidence, conf_type)
    return pd.DataFrame({"time": times, "n_risk": n, "n_event": d,
                         "surv": surv, "std_err": std_err, "ci_low": lo, "ci_high": hi})


def _counts_inputs(time, n_event, n_total) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype="float64")
    d = np.asarray(n_event, dtype="float64")
    m = np.asarray(n_total, dtype="float64")
    if not (t.shape == d.shape == m.shape):
        raise ValueError("time, n_event and n_total must have the same length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative")
    if np.any(d < 0) or np.any(d > m):
        raise ValueError("n_event must lie between 0 and n_total")
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("times must be distinct and increasing (aggregate the counts by time first)")
    return t, d, m


def kaplan_meier_counts(time, n_event, n_total, confidence: float = 0.95,
                        conf_type: ConfType = "log") -> pd.DataFrame:
    """:func:`kaplan_meier` from counts aggregated by time, e.g. by a ``GROUP BY`` in DuckDB.

    Parameters
    ----------
    time : array_like
        The distinct follow-up times, increasing.
    n_event : array_like
        Events (closings) at each time.
    n_total : array_like
        All units (events plus censored) with that time.
    confidence, conf_type
        As :func:`kaplan_meier`.

    Returns
    -------
    DataFrame
        As :func:`kaplan_meier`. The risk sets are the reversed cumulative sums of ``n_total`` and the product-limit
        estimate is formed as statsmodels' ``SurvfuncRight`` forms it (a sum of logs), so both give the same numbers.
    """
    t, d, m = _counts_inputs(time, n_event, n_total)
    if d.sum() == 0:
        return _empty_km()
    return _km_frame(*_product_limit(t, d, m), confidence, conf_type)


def _product_limit(t: np.ndarray, d: np.ndarray, m: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Event times, risk sets, events and S from counts by time (at least one event)."""
    n = np.cumsum(m[::-1])[::-1]
    keep = d > 0
    t, n, d = t[keep], n[keep], d[keep]
    sp = 1 - d / n
    zero = sp < 1e-16
    sp[zero] = 1e-16
    sp = np.exp(np.cumsum(np.log(sp)))
    sp[zero] = 0
    return t, n, d, sp


def _dedup(x: np.ndarray, y: np.ndarray, tol: float = _TOL) -> tuple:
    """The curve as ``findq`` reads it: repeated ``y`` values dropped (R: ``duplicated(y)``, which also drops repeated
    NAs), then the knots of ``approx`` (the non-missing y ± tol and their 1-based indices), computed once per curve
    and shared by every probability."""
    keep = np.zeros(len(y), dtype=bool)
    keep[np.unique(y, return_index=True)[1]] = True  # first occurrence of each value, NaNs as one value
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    return x, y, np.arange(1, len(y) + 1)[ok], y[ok] + tol, y[ok] - tol


def _step_right(knots: np.ndarray, idx: np.ndarray, v: float) -> float:
    """``approx(knots, idx, v, method = "constant", f = 1)``: the index of the first knot at or above ``v``."""
    if len(knots) == 0 or v < knots[0] or v > knots[-1]:
        return np.nan
    return float(idx[np.searchsorted(knots, v, side="left")])


def _findq(x: np.ndarray, y: np.ndarray, p: float, xmax: float, tol: float = _TOL) -> float:
    """R's ``survival:::findq``: the time at which the CDF ``y`` reaches ``p``, midpoint of a flat at ``p``."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    return _findq_dedup(_dedup(x, y, tol), p, xmax, tol)


def _findq_dedup(curve: tuple, p: float, xmax: float, tol: float = _TOL) -> float:
    """:func:`_findq` on a curve already passed through :func:`_dedup` (whose maximum reaches ``p``)."""
    x, y, idx, up, down = curve
    i1 = _step_right(up, idx, p)
    i2 = _step_right(down, idx, p)
    quant = np.nan if np.isnan(i1) or np.isnan(i2) else (x[int(i1) - 1] + x[int(i2) - 1]) / 2
    if p == 0:
        quant = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol and not np.isnan(i1):
        quant = (x[int(i1) - 1] + xmax) / 2
    return float(quant)


def km_quantiles(time, event, probs: Sequence[float] = (0.25, 0.5, 0.75), confidence: float = 0.95,
                 conf_type: ConfType = "log") -> pd.DataFrame:
    """Quantiles of the time-to-event distribution from the Kaplan–Meier curve, with R's confidence limits.

    The p-quantile is the time by which a share p of units have had the event (p = 0.5: the median time to close).
    Its limits are where the lower and upper pointwise bands reach 1 − p, as ``quantile.survfit``; a limit is NaN
    where a band never gets there (often the upper limit in small groups).

    Parameters
    ----------
    time, event : array_like
        As :func:`kaplan_meier`.
    probs : sequence of float
    confidence : float
    conf_type : {"log", "log-log", "plain"}

    Returns
    -------
    DataFrame
        ``prob``, ``quantile``, ``ci_low``, ``ci_high``, ``n``, ``n_event``.
    """
    t, e = _inputs(time, event)
    km = kaplan_meier(t, e, confidence, conf_type)
    return _quantiles(km, float(t.max()) if len(t) else np.nan, len(t), int(e.sum()), probs)


def km_quantiles_counts(time, n_event, n_total, probs: Sequence[float] = (0.25, 0.5, 0.75),
                        confidence: float = 0.95, conf_type: ConfType = "log") -> pd.DataFrame:
    """:func:`km_quantiles` from counts aggregated by time (see :func:`kaplan_meier_counts`); same result."""
    t, d, m = _counts_inputs(time, n_event, n_total)
    km = kaplan_meier_counts(t, d, m, confidence, conf_type)
    return _quantiles(km, float(t.max()) if len(t) else np.nan, int(m.sum()), int(d.sum()), probs)


def _check_probs(probs: Sequence[float]) -> list[float]:
    out = [float(p) for p in probs]
    if any(not 0 <= p <= 1 for p in out):
        raise ValueError("probabilities must lie in [0, 1]")
    return out


def _quantile_values(times: np.ndarray, curves: Sequence[np.ndarray], xmax: float, probs: Sequence[float]
                     ) -> list[list[float]]:
    """For each survival curve (S and its two bands at ``times``), the times where 1 − curve reaches each p."""
    x = np.concatenate(([0.0], times))
    out = []
    for curve in curves:
        y = np.concatenate(([0.0], 1 - curve))
        top = np.nan if np.all(np.isnan(y)) else np.nanmax(y)
        curve = _dedup(x, y)  # once per curve, shared by the probabilities
        out.append([np.nan if not top >= p else _findq_dedup(curve, p, xmax) for p in probs])
    return out


def _quantiles(km: pd.DataFrame, xmax: float, n: int, n_event: int, probs: Sequence[float]) -> pd.DataFrame:
    probs = _check_probs(probs)
    if len(km) == 0:
        q = lo = hi = [np.nan] * len(probs)
    else:
        q, lo, hi = _quantile_values(km["time"].to_numpy(), [km["surv"].to_numpy(), km["ci_low"].to_numpy(),
                                                             km["ci_high"].to_numpy()], xmax, probs)
    return pd.DataFrame({"prob": probs, "quantile": q, "ci_low": lo, "ci_high": hi, "n": [n] * len(probs),
                         "n_event": [n_event] * len(probs)}, columns=_QUANTILE_COLUMNS)


_QUANTILE_COLUMNS = ["prob", "quantile", "ci_low", "ci_high", "n", "n_event"]


def km_quantiles_grouped(group, time, n_event, n_total, probs: Sequence[float] = (0.25, 0.5, 0.75),
                         confidence: float = 0.95, conf_type: ConfType = "log") -> pd.DataFrame:
    """:func:`km_quantiles_counts` for many groups at once, from counts by group and time.

    Made for the counts a DuckDB ``GROUP BY group, time`` returns for thousands of communities: one pass over the
    sorted arrays, the curve of each group formed by the very operations of :func:`km_quantiles_counts`, so each
    group's row is bitwise that function's result (without building two DataFrames per group). Rows already in
    (group, time) order, as from an ``ORDER BY``, are not sorted again.

    Parameters
    ----------
    group : array_like
        Group label of each row (any hashable values; rows of a group need not be adjacent).
    time, n_event, n_total : array_like
        As :func:`kaplan_meier_counts`; within a group the times must be distinct.
    probs, confidence, conf_type
        As :func:`km_quantiles`.

    Returns
    -------
    DataFrame
        ``group``, then the columns of :func:`km_quantiles`; groups in sorted order, ``len(probs)`` rows each.
    """
    probs = _check_probs(probs)
    g = pd.factorize(np.asarray(group, dtype=object), sort=True)
    codes, labels = g[0], g[1]
    t = np.asarray(time, dtype="float64")
    d = np.asarray(n_event, dtype="float64")
    m = np.asarray(n_total, dtype="float64")
    if not (codes.shape == t.shape == d.shape == m.shape):
        raise ValueError("group, time, n_event and n_total must have the same length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative")
    if np.any(d < 0) or np.any(d > m):
        raise ValueError("n_event must lie between 0 and n_total")
    step = np.diff(codes)
    if not np.all((step > 0) | ((step == 0) & (np.diff(t) > 0))):  # not yet in (group, time) order
        order = np.lexsort((t, codes))
        codes, t, d, m = codes[order], t[order], d[order], m[order]
        if len(t) > 1 and np.any((np.diff(t) <= 0) & (np.diff(codes) == 0)):
            raise ValueError("times must be distinct within a group (aggregate the counts by group and time first)")
    starts = np.flatnonzero(np.r_[True, np.diff(codes) != 0]) if len(codes) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(codes)]
    cols: dict[str, list] = {c: [] for c in ["group", *_QUANTILE_COLUMNS]}
    for a, b in zip(starts, ends):
        tg, dg, mg = t[a:b], d[a:b], m[a:b]
        if dg.sum() == 0:
            q = lo = hi = [np.nan] * len(probs)
        else:
            et, n, de, sp = _product_limit(tg, dg, mg)
            _, ci_lo, ci_hi = _km_bands(n, de, sp, confidence, conf_type)
            q, lo, hi = _quantile_values(et, [sp, ci_lo, ci_hi], float(tg.max()), probs)
        cols["group"] += [labels[codes[a]]] * len(probs)
        cols["prob"] += probs
        cols["quantile"] += q
        cols["ci_low"] += lo
        cols["ci_high"] += hi
        cols["n"] += [int(mg.sum())] * len(probs)
        cols["n_event"] += [int(dg.sum())] * len(probs)
    return pd.DataFrame(cols, columns=["group", *_QUANTILE_COLUMNS]).astype(
        {"prob": "float64", "quantile": "float64", "ci_low": "float64", "ci_high": "float64", "n": "int64",
         "n_event": "int64"})


def km_quantiles_cluster_bootstrap(cluster, time, n_event, n_total, probs: Sequence[float] = (0.25, 0.5, 0.75),
                                   confidence: float = 0.95, n_resamples: int = 1000, seed: int = 20241231,
                                   max_times: int = 50_000) -> pd.DataFrame:
    """Kaplan–Meier quantiles over units clustered in communities, with a community-cluster bootstrap interval.

    The quantiles are those of :func:`km_quantiles_counts` on the pooled counts (R's ``quantile.survfit`` rule).
    Their interval resamples the G communities with replacement (each drawn community brings all its events) and
    reads the quantile off each resample's Kaplan–Meier curve by the same rule; the limits are the α/2 and 1 − α/2
    percentiles of the resampled quantiles. A resample whose curve never reaches the level counts as beyond the
    follow-up (+∞), so a limit that falls among those draws is NaN, as a Greenwood limit is where the band never
    reaches the level. Seeded: the same inputs and seed give the same limits.

    Parameters
    ----------
    cluster : array_like
        Community of each row.
    time, n_event, n_total : array_like
        Counts by community and time (rows of a community need not be adjacent; a time may repeat across
        communities, not within one).
    probs, confidence
        As :func:`km_quantiles`.
    n_resamples : int
        Bootstrap resamples.
    seed : int
    max_times : int
        Above this many distinct times (a region of millions of events) the resamples read their curves on
        ``max_times`` groups of consecutive times holding equal numbers of units, each group placed at its last
        time, so that a resample costs O(groups) rather than O(events). A resampled quantile can then be late by up
        to one group's width (with 2 million events about 0.002 h near the median, against an interval some 0.1 h
        wide). The quantiles themselves are always read off the exact curve; a district's tens of thousands of
        events are not grouped.

    Returns
    -------
    DataFrame
        The columns of :func:`km_quantiles` (``ci_low`` and ``ci_high`` the bootstrap limits) and ``clusters``.

    References
    ----------
    Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data. *JRSS B* 69, 369–390.
    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, §3.8 (clustered data). CUP.
    """
    probs = _check_probs(probs)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    codes = pd.factorize(np.asarray(cluster, dtype=object), sort=True)[0]
    t = np.asarray(time, dtype="float64")
    d = np.asarray(n_event, dtype="float64")
    m = np.asarray(n_total, dtype="float64")
    if not (codes.shape == t.shape == d.shape == m.shape):
        raise ValueError("cluster, time, n_event and n_total must have the same length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative")
    if np.any(d < 0) or np.any(d > m):
        raise ValueError("n_event must lie between 0 and n_total")
    times, inv = np.unique(t, return_inverse=True)
    n_t = len(times)

    def quantiles(weight: np.ndarray | None) -> list[float]:
        dw = d if weight is None else d * weight
        mw = m if weight is None else m * weight
        dt = np.bincount(inv, weights=dw, minlength=n_t)
        mt = np.bincount(inv, weights=mw, minlength=n_t)
        present = mt > 0
        if not np.any(dt > 0):
            return [np.nan] * len(probs)
        tt, dd, mm = times[present], dt[present], mt[present]
        et, _, _, sp = _product_limit(tt, dd, mm)
        return _quantile_values(et, [sp], float(tt.max()), probs)[0]

    g = int(codes.max()) + 1 if len(codes) else 0
    point = quantiles(None)
    lo = hi = [np.nan] * len(probs)
    if g >= 2:
        rng = np.random.default_rng(seed)
        weights = np.stack([np.bincount(rng.integers(0, g, g), minlength=g) for _ in range(n_resamples)], axis=1)
        d_inv, d_times = inv, times
        if n_t > max_times:
            per_time = np.bincount(inv, weights=m, minlength=n_t)
            before = np.cumsum(per_time) - per_time
            group = np.minimum((before / per_time.sum() * max_times).astype(np.int64), max_times - 1)
            _, group = np.unique(group, return_inverse=True)
            d_times = np.zeros(int(group.max()) + 1)
            np.maximum.at(d_times, group, times)  # each group at its last time
            d_inv = group[inv]
        draws = _draw_quantiles(d_inv, codes, d_times, d, m, g, weights.astype("float64"), probs)
        draws = np.where(np.isnan(draws), np.inf, draws)
        a = (1 - confidence) / 2
        with np.errstate(invalid="ignore"):  # inf − inf between two draws beyond the follow-up: NaN, as wanted
            lims = np.quantile(draws, [a, 1 - a], axis=0, method="linear")
        lims = np.where(np.isfinite(lims), lims, np.nan)
        lo, hi = lims[0].tolist(), lims[1].tolist()
    return pd.DataFrame({"prob": probs, "quantile": point, "ci_low": lo, "ci_high": hi,
                         "n": [int(m.sum())] * len(probs), "n_event": [int(d.sum())] * len(probs),
                         "clusters": [g] * len(probs)})


def _draw_quantiles(inv: np.ndarray, codes: np.ndarray, times: np.ndarray, d: np.ndarray, m: np.ndarray, g: int,
                    weights: np.ndarray, probs: Sequence[float], chunk_cells: int = 262_144) -> np.ndarray:
    """Kaplan–Meier quantiles of many bootstrap resamples at once: ``weights`` (G × B) holds how often each
    community is drawn in each resample.

    One forward pass along the times, a block of times and a chunk of resamples at a time (``chunk_cells`` cells,
    so that a block stays in cache and memory is bounded whatever the number of times). Per block, the events of
    every resample are one sparse (times × communities) product with the multiplicities; the censorings, a small
    share of the units, a second one; the risk set is the resample's units less those at earlier times (exact
    integer sums, so the same numbers as a reversed running sum), and S carries from block to block as a running
    product in time order, bitwise the product :func:`_product_limit` forms. Each quantile is read off the
    resample's curve by R's rule (``survival:::findq``, as :func:`_findq`): the first time 1 − S reaches p within
    √ε, the midpoint with the next rise where the curve is flat exactly at p, the midpoint with the last time where
    that flat runs to the end; NaN where the curve never reaches p. The curve is monotone, so a block adds its
    whole length to the count of times below a level while its last value is below it, and only the resamples
    whose curve crosses the level inside the block are searched there; once every resample of the chunk is past the
    highest level, the remaining times cannot change any quantile and are skipped.
    """
    from scipy import sparse

    n_t = len(times)
    shape = (n_t, g)
    a_d = sparse.csr_matrix((d, (inv, codes)), shape=shape)
    a_c = sparse.csr_matrix((m - d, (inv, codes)), shape=shape)
    a_c.eliminate_zeros()
    # The products are sums of whole counts times multiplicities: while every partial sum stays below 2^24 they are
    # exact in float32, which halves the memory the product streams (the bulk of its time); the same numbers.
    whole = bool(np.all(m == np.round(m)) and np.all(d == np.round(d)) and np.all(weights == np.round(weights)))
    bound = (np.bincount(inv, weights=m, minlength=n_t).max() if n_t else 0) * (weights.max() if weights.size else 0)
    if whole and bound < 2**24:
        a_d, a_c, weights = a_d.astype(np.float32), a_c.astype(np.float32), weights.astype(np.float32)
    units = np.bincount(codes, weights=m, minlength=g)           # units of each community
    last_row = np.full(g, -1, dtype=np.int64)
    np.maximum.at(last_row, codes[m > 0], inv[m > 0])            # its last time with a unit
    b_total = weights.shape[1]
    probs = list(probs)
    levels = [(k, p - _TOL, p + _TOL) for k, p in enumerate(probs) if p != 0]
    # past this level every count below is final and no curve can end flat at a p (margin of one more √ε)
    stop = max((p for p in probs if p != 0), default=0.0) + 2 * _TOL
    out = np.full((b_total, len(probs)), np.nan)
    cols = max(1, min(b_total, chunk_cells))
    rows = max(1, chunk_cells // cols)
    blocks = [(r0, min(r0 + rows, n_t)) for r0 in range(0, n_t, rows)]
    d_blocks = [a_d[r0:r1] for r0, r1 in blocks]
    c_blocks = [a_c[r0:r1] for r0, r1 in blocks]
    for a in range(0, b_total, cols):
        w = np.ascontiguousarray(weights[:, a:a + cols])
        nb = w.shape[1]
        total = units @ w.astype(np.float64)                      # exact: integer counts
        drawn_last = np.max(np.where(w > 0, last_row[:, None], -1), axis=0)
        xmax = times[np.maximum(drawn_last, 0)]                   # the last time with a unit in the resample
        before = np.zeros(nb)                                     # units at earlier times
        surv = np.ones((rows + 1, nb))
        earlier = np.empty((rows, nb))
        below = {(k, side): np.zeros(nb, dtype=np.int64) for k, _, _ in levels for side in (0, 1)}
        top = np.zeros(nb)
        for (r0, r1), bd, bc in zip(blocks, d_blocks, c_blocks):
            dt = np.asarray(bd @ w, dtype=np.float64)
            mt = dt + np.asarray(bc @ w, dtype=np.float64) if bc.nnz else dt
            e = earlier[:r1 - r0]
            e[0] = before
            e[1:] = mt[:-1]
            _running(np.add, e)
            before = e[-1] + mt[-1]
            hazard = dt / np.maximum(total - e, 1.0)              # = 0 where no unit is at risk (then dt = 0)
            s = surv[:r1 - r0 + 1]
            np.subtract(1.0, hazard, out=s[1:])
            _running(np.multiply, s)
            cdf_first, cdf_last = 1.0 - s[1], 1.0 - s[-1]
            for k, lo, hi in levels:
                for side, level in ((0, lo), (1, hi)):
                    cnt = below[(k, side)]
                    cnt += np.where(cdf_last < level, r1 - r0, 0)
                    cross = np.flatnonzero((cdf_first < level) & (cdf_last >= level))
                    if len(cross):
                        cnt[cross] += np.sum(1.0 - s[1:, cross] < level, axis=0)
            s[0] = s[-1]                                          # S carried into the next block
            top = cdf_last
            if np.all(cdf_last >= stop):
                break
        for k, p in enumerate(probs):
            if p == 0:
                out[a:a + nb, k] = 0.0
                continue
            j1, j2 = below[(k, 0)], below[(k, 1)]
            q = np.full(nb, np.nan)
            reach = (top >= p) & (j1 < n_t)
            ends_flat = reach & (np.abs(top - p) < _TOL)
            rises = reach & ~ends_flat & (j2 < n_t)
            q[ends_flat] = (times[j1[ends_flat]] + xmax[ends_flat]) / 2
            q[rises] = (times[j1[rises]] + times[np.minimum(j2[rises], n_t - 1)]) / 2
            out[a:a + nb, k] = q
    return out


def _running(op, x: np.ndarray) -> None:
    """``np.cumsum`` / ``np.cumprod`` (``op`` np.add / np.multiply) along the first axis, in place: the same
    operations in the same order, so bitwise the same, but a row of resamples at a time, several times faster
    than numpy's accumulate along that axis."""
    for i in range(1, len(x)):
        op(x[i - 1], x[i], out=x[i])
