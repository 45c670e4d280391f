"""Building blocks of the design-based estimators: weighted quantile rules, confidence intervals, result tables.

The quantile rules are R ``survey`` 4.1's ``qrule_math`` (the inverse of the weighted empirical CDF, Hyndman & Fan
type 1 generalised to weights) and ``qrule_hf7`` (linear interpolation, Hyndman & Fan type 7 generalised to
weights). Woodruff (1952) intervals invert a confidence interval for the CDF at the estimated quantile; R's
``svyquantile`` default ``interval.type = "mean"`` uses a Wald interval for that proportion with ``degf(design)``
degrees of freedom, and reports ``se = (upper - lower) / (2 t)``.

References
----------
Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *The American Statistician* 50(4).
Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. *JASA* 47, 635–646.
Lumley, T. (2023). survey 4.1-1: ``svyquantile``, ``qrule_math``, ``qrule_hf7``, ``svyciprop``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ResultFrame

__all__ = ["qrule_math", "qrule_hf7", "qrule_school", "qrule_hf3", "qrule_hf4", "QUANTILE_RULES", "critical_value", "wald_table",
           "SurveyEstimates"]


def qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Weighted quantile, R ``survey::qrule_math``: the smallest x whose weighted CDF reaches p.

    Ties in ``x`` keep their row order (R's ``order`` is stable), which matters only through the cumulative weights.
    """
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs = x[order]
    # R accumulates cumsum() and sum() in long double; equal weights make "cumw <= p * total" a tie that only the
    # same accumulation decides the same way.
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(float)
    total = float(np.sum(w.astype(np.longdouble)))
    hits = np.flatnonzero(cumw <= p * total)
    pos = hits[-1] if len(hits) else 0  # R's survey:::last() returns 1 when nothing qualifies
    wlow = p - cumw[pos] / total
    if wlow == 0:
        return float(xs[pos])
    return float(xs[min(pos + 1, len(xs) - 1)])


def qrule_hf7(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Weighted quantile, R ``survey::qrule_hf7`` (weighted analogue of Hyndman–Fan type 7)."""
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(float)
    pk = np.concatenate([[0.0], cumw[:-1]]) / cumw[-2]
    return float(np.interp(p, pk, xs))  # np.interp extrapolates with the end values, like approx(rule = 2)


def _qs(x: np.ndarray, w: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray, int, int, float, float]:
    """R ``survey:::qs``: sorted x, cumulative weights, the bracketing positions and the weight either side of p."""
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(float)
    total = float(np.sum(w.astype(np.longdouble)))
    hits = np.flatnonzero(cumw <= p * total)
    pos = hits[-1] if len(hits) else 0
    nxt = min(pos + 1, len(xs) - 1)
    return xs, cumw, pos, nxt, p - cumw[pos] / total, cumw[nxt] / total - p


def qrule_school(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R ``qrule_school`` (= ``qrule_hf2``): the midpoint when p falls exactly on a jump of the weighted CDF."""
    xs, _, pos, nxt, wlow, _ = _qs(x, w, p)
    return float((xs[pos] + xs[nxt]) / 2) if wlow == 0 else float(xs[nxt])


def qrule_hf4(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R ``qrule_hf4``: linear interpolation of the weighted CDF between the bracketing order statistics."""
    xs, _, pos, nxt, wlow, wup = _qs(x, w, p)
    gamma = wlow / (wup + wlow)
    return float(xs[pos] * (1 - gamma) + xs[nxt] * gamma)


def qrule_hf3(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R ``qrule_hf3`` (weighted Hyndman–Fan type 3, nearest even order statistic): weights are first summed over
    tied x (R ``rowsum``); when p falls exactly on a jump the lower value is taken only at an even position."""
    keep = w != 0
    x, w = x[keep], w[keep]
    ux, inv = np.unique(x, return_inverse=True)
    wsum = np.zeros(len(ux))
    np.add.at(wsum, inv, w)  # sequential double sums in row order, as R's rowsum
    xs, _, pos, nxt, wlow, _ = _qs(ux, wsum, p)
    return float(xs[pos]) if wlow == 0 and (pos + 1) % 2 == 0 else float(xs[nxt])


def _interp_rule(kind: str):
    def rule(x: np.ndarray, w: np.ndarray, p: float) -> float:
        keep = w != 0
        x, w = x[keep], w[keep]
        order = np.argsort(x, kind="stable")
        xs, ws = x[order], w[order]
        cumw = np.cumsum(ws.astype(np.longdouble)).astype(float)
        n = len(xs)
        prev = np.concatenate([[0.0], cumw[:-1]])
        if kind == "hf5":
            pk = (cumw - ws / 2) / cumw[-1]
        elif kind == "hf6":
            pk = cumw / (cumw[-1] + ws[-1])
        elif kind == "hf8":
            pk = (prev / 3 + cumw * 2 / 3) / (cumw[-1] + ws[-1] / 3)
        elif kind == "hf9":
            pk = (prev * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + ws[-1] / 4)
        else:  # shahvaish: a step function (approx(method = "constant", f = 0))
            # As R writes it: the half-weight correction uses the raw weight w, the cumulative sum w / mean(w), so
            # pk need not increase; approx() then sorts the points by pk and averages the x of tied pk.
            wbar = ws / ws.mean()
            pk = (np.cumsum(wbar) + 0.5 - ws / 2) / (n + 1)
            frame = pd.DataFrame({"pk": pk, "x": xs}).groupby("pk", sort=True)["x"].mean()
            grid, vals = frame.index.to_numpy(), frame.to_numpy()
            idx = np.searchsorted(grid, p, side="right") - 1
            return float(vals[min(max(idx, 0), len(vals) - 1)])
        return float(np.interp(p, pk, xs))  # approx(rule = 2): the end values outside

    rule.__doc__ = f"R ``qrule_{kind}`` (weighted Hyndman–Fan / Shah–Vaish rule)."
    return rule


QUANTILE_RULES = {"math": qrule_math, "hf1": qrule_math, "school": qrule_school, "hf2": qrule_school,
                  "hf3": qrule_hf3, "hf4": qrule_hf4, "hf5": _interp_rule("hf5"), "hf6": _interp_rule("hf6"), "hf7": qrule_hf7,
                  "hf8": _interp_rule("hf8"), "hf9": _interp_rule("hf9"), "shahvaish": _interp_rule("shahvaish")}


def critical_value(level: float, df: float = np.inf) -> float:
    """Two-sided critical value: normal for ``df = inf`` (R's ``confint.svystat``), Student t otherwise."""
    a = 1 - (1 - level) / 2
    return float(stats.norm.ppf(a)) if np.isinf(df) else float(stats.t.ppf(a, df))


class SurveyEstimates(ResultFrame):
    """A table of design-based estimates (``svymean``, ``svytotal``, ``svyby``, ``svyglm`` coefficients …) with the
    result protocol: one figure under the prefix itself, several keyed by their label columns."""

    what = "result.what.survey_estimate"


def wald_table(
    estimate: np.ndarray,
    se: np.ndarray,
    level: float,
    df: float = np.inf,
    deff: np.ndarray | None = None,
    labels: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Result table with ``estimate, se, ci_low, ci_high, deff`` (Wald interval) preceded by label columns."""
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    crit = critical_value(level, df)
    out = pd.DataFrame(labels) if labels else pd.DataFrame(index=range(len(estimate)))
    out["estimate"] = estimate
    out["se"] = se
    out["ci_low"] = estimate - crit * se
    out["ci_high"] = estimate + crit * se
    out["deff"] = np.nan if deff is None else np.asarray(deff, dtype=float)
    return SurveyEstimates(out.reset_index(drop=True))


def _fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cubic spline coefficients (b, c, d) of R's ``spline(method = "fmm")`` (Forsythe, Malcolm & Moler 1977):
    the end conditions match the third derivative of the cubic through the first (last) four points."""
    n = len(x)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, n - 1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[n - 1] = -d[n - 2]
    c[0] = c[n - 1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[n - 1] = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[n - 1] = -c[n - 1] * d[n - 2] * d[n - 2] / (x[n - 1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[n - 1] = c[n - 1] / b[n - 1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[n - 1])
    for i in range(n - 1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[n - 1] = 3.0 * c[n - 1]
    d[n - 1] = d[n - 2]
    return b, c, d


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R ``regularize.values(ties = mean)``: sort by x (stable) and average y over tied x."""
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    ux, inv = np.unique(x, return_inverse=True)
    if len(ux) < len(x):
        y = np.bincount(inv, weights=y) / np.bincount(inv)
    return ux, y


def r_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R ``spline(x, y)`` with its defaults: the fmm spline evaluated at 3 × (#distinct x) equally spaced points
    from min(x) to max(x)."""
    x, y = _regularize(x, y)
    n_out = 3 * len(x)
    xout = x[0] + np.arange(n_out) * ((x[-1] - x[0]) / (n_out - 1))
    xout[-1] = x[-1]
    b, c, d = _fmm_spline(x, y)
    idx = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, len(x) - 1)
    dx = xout - x[idx]
    return xout, y[idx] + dx * (b[idx] + dx * (c[idx] + dx * d[idx]))


def r_approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R ``approx(x, y, xout)``: linear interpolation after ``regularize.values``; NaN outside the range
    (``rule = 1``)."""
    x, y = _regularize(x, y)
    xout = np.atleast_1d(np.asarray(xout, dtype=float))
    out = np.interp(xout, x, y)
    out[(xout < x[0]) | (xout > x[-1])] = np.nan
    return out
