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

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations. JASA 53, 457–481.
Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and Medical Subjects 33.
Brookmeyer, R. & Crowley, J. (1982). A confidence interval for the median survival time. Biometrics 38, 29–41.
Therneau, T. M. (2024). *A Package for Survival Analysis in R*, ``survfit`` and ``quantile.survfit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

__all__ = ["kaplan_meier", "kaplan_meier_counts", "km_quantiles", "km_quantiles_counts"]

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


def _confint(surv: np.ndarray, se_log: np.ndarray, confidence: float, conf_type: ConfType):
    z = stats.norm.ppf(0.5 + confidence / 2)
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


def _km_frame(times: np.ndarray, n: np.ndarray, d: np.ndarray, surv: np.ndarray, confidence: float,
              conf_type: ConfType) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > d, d / (n * (n - d)), np.inf)
    se_log = np.sqrt(np.cumsum(term))
    lo, hi = _confint(surv, se_log, confidence, conf_type)
    with np.errstate(invalid="ignore"):
        std_err = np.where(np.isfinite(se_log), se_log * surv, np.nan)
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
    n = np.cumsum(m[::-1])[::-1]
    keep = d > 0
    t, n, d = t[keep], n[keep], d[keep]
    sp = 1 - d / n
    zero = sp < 1e-16
    sp[zero] = 1e-16
    sp = np.exp(np.cumsum(np.log(sp)))
    sp[zero] = 0
    return _km_frame(t, n, d, sp, confidence, conf_type)


def _findq(x: np.ndarray, y: np.ndarray, p: float, xmax: float, tol: float = _TOL) -> float:
    """R's ``survival:::findq``: the time at which the CDF ``y`` reaches ``p``, midpoint of a flat at ``p``."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    # drop repeated y values (R: duplicated(y), which also drops repeated NAs, as pandas does)
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    idx = np.arange(1, len(y) + 1)
    ok = ~np.isnan(y)

    def step_right(xs: np.ndarray, v: float) -> float:
        # approx(xs, idx, v, method = "constant", f = 1): the index of the first knot at or above v
        if len(xs) == 0 or v < xs[0] or v > xs[-1]:
            return np.nan
        return float(idx[ok][np.searchsorted(xs, v, side="left")])

    i1 = step_right(y[ok] + tol, p)
    i2 = step_right(y[ok] - tol, p)
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


def _quantiles(km: pd.DataFrame, xmax: float, n: int, n_event: int, probs: Sequence[float]) -> pd.DataFrame:
    x = np.concatenate(([0.0], km["time"].to_numpy()))
    rows = []
    for p in probs:
        if not 0 <= p <= 1:
            raise ValueError("probabilities must lie in [0, 1]")
        if len(km) == 0:
            q = lo = hi = np.nan
        else:
            q = _findq(x, np.concatenate(([0.0], 1 - km["surv"].to_numpy())), p, xmax)
            lo = _findq(x, np.concatenate(([0.0], 1 - km["ci_low"].to_numpy())), p, xmax)
            hi = _findq(x, np.concatenate(([0.0], 1 - km["ci_high"].to_numpy())), p, xmax)
        rows.append({"prob": float(p), "quantile": q, "ci_low": lo, "ci_high": hi, "n": n, "n_event": n_event})
    return pd.DataFrame(rows)
