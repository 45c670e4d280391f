"""Synthetic control for one treated unit (Abadie, Diamond & Hainmueller 2010), with in-space placebos.

Nested optimisation as R's ``Synth``: for predictor weights V (diagonal, non-negative, summing to one) the donor
weights W(V) minimise (X1 - X0 W)' V (X1 - X0 W) on the simplex; V minimises the pre-period mean squared
prediction error of the outcome, sum_t (Z1_t - Z0_t W(V))^2. Predictors are divided by their standard
deviation across all units first (as ``Synth``). The outer problem is non-convex, so it runs from several
starting points (equal weights, inverse-variance regression weights, random Dirichlet draws) with two
optimisers (Nelder-Mead and Powell on V = |v| / sum|v|, the parametrisation of ``Synth``'s ``fn.V``) and
keeps the lowest loss.

The inner simplex-constrained least squares is solved exactly by Lawson-Hanson non-negative least squares
(``scipy.optimize.nnls``) on the system augmented with a heavily weighted row for sum(W) = 1, followed by
renormalisation; this is the same optimum SLSQP or a QP solver reaches, at a fraction of the cost, which is
what makes the thousands of inner solves of the outer search (and 38 placebo refits) affordable.

References
----------
Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control methods for comparative case studies:
estimating the effect of California's tobacco control program. *JASA* 105(490), 493-505.
Abadie, A., Diamond, A. and Hainmueller, J. (2011). Synth: an R package for synthetic control methods in
comparative case studies. *Journal of Statistical Software* 42(13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from evaluation.results import ResultMixin, tidy_frame

__all__ = ["SyntheticControlResult", "PlaceboResult", "synthetic_control", "placebo_test", "Predictor"]

# (variable, first period, last period): the variable's mean over that window
Predictor = tuple[str, float, float]


@dataclass(frozen=True)
class SyntheticControlResult(ResultMixin):
    """Fitted synthetic control (result protocol: the gap treated − synthetic per period, keyed ``gap_<time>``, no
    interval: inference is the placebo test's).

    Attributes
    ----------
    weights : DataFrame
        unit, weight (donor weights W, summing to one), sorted by weight.
    predictor_weights : DataFrame
        predictor, weight (V).
    balance : DataFrame
        predictor, treated, synthetic, donor_mean.
    gaps : DataFrame
        time, treated, synthetic, gap (treated - synthetic).
    pre_rmspe, post_rmspe : float
    loss : float
        Pre-period MSPE minimised by the outer search.
    """

    treated_unit: object
    treatment_time: float
    weights: pd.DataFrame
    predictor_weights: pd.DataFrame
    balance: pd.DataFrame
    gaps: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    loss: float
    searches: pd.DataFrame = field(repr=False)

    what = "result.what.synthetic_control"

    def tidy(self) -> pd.DataFrame:
        g = self.gaps.reset_index(drop=True)
        return pd.concat([tidy_frame(g["gap"], term=[f"gap_{_code(x)}" for x in g["time"]]),
                          g.drop(columns="gap")], axis=1)

    def record_fields(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class PlaceboResult(ResultMixin):
    """In-space placebo inference: every donor in turn is treated as if it had been treated.

    Result protocol: one row per unit, the estimate its post/pre RMSPE ratio, keyed by the unit; the treated unit's
    rank p-value is in ``p_value``.

    ``table`` has unit, pre_rmspe, post_rmspe, ratio (post/pre RMSPE), rank (1 = largest), is_treated;
    ``p_value`` is the treated unit's rank divided by the number of units (ADH 2010, section 4);
    ``gaps`` holds every unit's gap series (long: unit, time, gap).
    """

    table: pd.DataFrame
    p_value: float
    gaps: pd.DataFrame = field(repr=False)

    what = "result.what.placebo"

    def tidy(self) -> pd.DataFrame:
        tab = self.table.reset_index(drop=True)
        return pd.concat([tidy_frame(tab["ratio"], term=[str(u) for u in tab["unit"]], n=len(tab)),
                          tab.drop(columns="ratio")], axis=1)

    def record_fields(self) -> tuple[str, ...]:
        return ("n",)


def _code(v) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else str(v)


def _raw_nnls():
    """scipy's compiled Lawson-Hanson routine behind ``optimize.nnls``, or None when it cannot be used as below.

    Why: the outer V-search calls the inner solve hundreds of thousands of times per run (notebook 40: 3 outcomes x
    21 fits x ~10,000), and ``optimize.nnls``'s Python wrapper (deprecation shim, two ``asarray_chkfinite`` passes,
    shape checks) cost about as much as the solve itself. The routine copies A and b into its own work space
    element by element, following the arrays' strides, and never writes to them; given the same numbers it
    returns the same bits, also when A and b are columns of one array. scipy's private modules may change: the
    routine is used only when it exists and, on a small problem passed as such strided views, returns exactly
    what the public function returns for contiguous copies and leaves its inputs alone; otherwise everything goes
    through ``optimize.nnls``.
    """
    try:
        from scipy.optimize._slsqplib import nnls as raw
    except ImportError:  # pragma: no cover - depends on the installed scipy
        return None
    ab = np.array([[1.0, 0.5, 0.0, 2.0], [1.0, 2.0, 0.0, -1.0], [0.0, 1.0, 3.0, 1.0], [1e4, 1e4, 1e4, 1e4]])
    ab0 = ab.copy()
    try:
        x, rnorm, info = raw(ab[:, :3], ab[:, 3], 150)
        ref = optimize.nnls(np.ascontiguousarray(ab0[:, :3]), np.ascontiguousarray(ab0[:, 3]), maxiter=150)
    except Exception:  # pragma: no cover - a changed private signature
        return None
    same = (isinstance(x, np.ndarray) and x.dtype == np.float64 and np.array_equal(x, ref[0])
            and rnorm == ref[1] and info != 3 and np.array_equal(ab, ab0))
    return raw if same else None


_RAW_NNLS = _raw_nnls()


def _nnls(aa: np.ndarray, bb: np.ndarray, maxiter: int) -> np.ndarray:
    """``optimize.nnls(aa, bb, maxiter=maxiter)[0]``, without its wrapper when ``aa``/``bb`` are finite C arrays."""
    if _RAW_NNLS is None:
        return optimize.nnls(aa, bb, maxiter=maxiter)[0]
    w, _, info = _RAW_NNLS(aa, bb, maxiter)
    if info == 3:  # as optimize.nnls
        raise RuntimeError("Maximum number of iterations reached.")
    return w


def _simplex_ls(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin ||a w - b|| over the simplex, exact up to the penalty row (see module docstring)."""
    scale = max(1.0, float(np.abs(a).max()), float(np.abs(b).max())) * 1e4
    aa = np.vstack([a, np.full((1, a.shape[1]), scale)])
    bb = np.append(b, scale)
    if not (np.isfinite(scale) and np.isfinite(aa).all() and np.isfinite(bb).all()):
        w, _ = optimize.nnls(aa, bb, maxiter=50 * a.shape[1])  # raises scipy's error for non-finite input
    else:
        w = _nnls(np.ascontiguousarray(aa, dtype=np.float64), np.ascontiguousarray(bb, dtype=np.float64),
                  50 * a.shape[1])
    s = w.sum()
    return w / s if s > 0 else np.full(a.shape[1], 1.0 / a.shape[1])


def _simplex_ls_scaled(x0: np.ndarray, x1: np.ndarray):
    """``v -> _simplex_ls(x0 * sv[:, None], x1 * sv)`` with sv = sqrt(v), the inner problem of the V-search: same
    bits, less work.

    Why: this is the innermost call of the outer search (see :func:`_raw_nnls`), where numpy's per-call overhead
    on arrays of a few dozen numbers is most of the cost. What does not depend on V is done once: [x0 | x1] as one
    array, so that a single product with sv fills the system and its right-hand side, with the penalty row below
    (A and b are then two views of one buffer, allocated once: the compiled solver only reads them); and each
    predictor's largest absolute entry, so that the penalty scale max(1, max|a|, max|b|) * 1e4 is one product with
    sv (for sv >= 0, |x * sv| = |x| * sv and rounding is monotone, so the maxima agree exactly). The solver gets
    exactly the numbers ``np.vstack``/``np.append`` gave it before. Non-finite input takes the original path,
    which raises as before. Reductions are called as ufuncs (``np.maximum.reduce``, ``np.add.reduce``): what
    ``.max()`` and ``.sum()`` call, without their Python layers.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    x1 = np.asarray(x1, dtype=np.float64)
    k, n = x0.shape
    finite = bool(np.isfinite(x0).all() and np.isfinite(x1).all())
    raw = _RAW_NNLS
    if raw is None or not finite:
        return lambda v: _simplex_ls(x0 * np.sqrt(v)[:, None], x1 * np.sqrt(v))
    xb = np.column_stack([x0, x1])                  # (k, n + 1): [x0 | x1]
    absmax = np.maximum(np.abs(x0).max(axis=1), np.abs(x1))
    maxiter = 50 * n
    uniform = np.full(n, 1.0 / n)
    buf = np.empty((k + 1, n + 1))                  # [[x0 * sv | x1 * sv], [scale ... scale]]
    top_rows, aa, bb = buf[:k], buf[:, :n], buf[:, n]
    col = np.empty((k, 1))                          # sv as a column, and as a vector (a view of it)
    sv = col[:, 0]
    sqrt, multiply, max_reduce, add_reduce, inf = np.sqrt, np.multiply, np.maximum.reduce, np.add.reduce, np.inf

    def solve(v: np.ndarray) -> np.ndarray:
        sqrt(v, out=sv)
        top = float(max_reduce(multiply(absmax, sv)))
        if not top < inf:  # NaN or inf: the original path and its errors
            return _simplex_ls(x0 * sv[:, None], x1 * sv)
        multiply(xb, col, out=top_rows)
        buf[k] = max(1.0, top) * 1e4
        w, _, info = raw(aa, bb, maxiter)
        if info == 3:  # as optimize.nnls
            raise RuntimeError("Maximum number of iterations reached.")
        s = add_reduce(w)
        return w / s if s > 0 else uniform.copy()

    return solve


def _build(data, outcome, unit, time, predictors, treated_unit, donors, tables=None):
    """Predictors (units x predictors) and outcomes (time x units) of the treated unit and the donors.

    ``tables``: :func:`_tables` of the same arguments, when several fits share them (the placebos: a unit's
    predictor means do not depend on which other units are in the fit, so they are computed once).
    """
    X, Y = tables if tables is not None else _tables(data, outcome, unit, time, predictors)
    units = [treated_unit] + list(donors)
    X = X.reindex(units)
    if X.isna().any().any():
        bad = X.columns[X.isna().any()].tolist()
        raise ValueError(f"predictors with no data for some units in their window: {bad}")
    return X, Y[units]


def _tables(data, outcome, unit, time, predictors):
    wide = {}
    for var, t0, t1 in predictors:
        sub = data[(data[time] >= t0) & (data[time] <= t1)]
        wide[_pname(var, t0, t1)] = sub.groupby(unit)[var].mean()
    return pd.DataFrame(wide), data.pivot(index=time, columns=unit, values=outcome)


def _pname(var, t0, t1):
    return f"{var}_{_fmt(t0)}" if t0 == t1 else f"{var}_{_fmt(t0)}_{_fmt(t1)}"


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else str(v)


def _fit(X: np.ndarray, Z: np.ndarray, n_random_starts: int, seed: int):
    """X: predictors (k, 1+J) scaled; Z: pre-period outcomes (T0, 1+J). Returns W, V, loss, searches."""
    x1, x0 = X[:, 0], X[:, 1:]
    z1, z0 = Z[:, 0], Z[:, 1:]
    k = X.shape[0]

    solve = _simplex_ls_scaled(x0, x1)
    n_pre = len(z1)
    # The outer optimisers revisit some V exactly (about 5 % of the calls; the re-evaluation of each search's end
    # point among them), so losses are remembered by V's bytes: the same V gives the same loss, nothing else changes.
    seen: dict[bytes, float] = {}

    absolute, add_reduce, inf, seen_get = np.abs, np.add.reduce, np.inf, seen.get

    def loss_v(v):
        key = v.tobytes()
        val = seen_get(key)
        if val is None:
            r = z1 - z0 @ solve(v)
            val = seen[key] = float(r @ r) / n_pre
        return val

    def obj(par):
        v = absolute(par)
        s = add_reduce(v)  # what v.sum() computes
        return loss_v(v / s) if s > 0 else inf

    rng = np.random.default_rng(seed)
    starts = {"equal": np.full(k, 1.0 / k)}
    # regression-based start: inverse residual variance of regressing outcomes on predictors
    var_x = np.var(X, axis=1) + 1e-12
    starts["inverse_variance"] = (1 / var_x) / np.sum(1 / var_x)
    for i in range(n_random_starts):
        starts[f"random{i}"] = rng.dirichlet(np.ones(k))
    rows, best = [], None
    for name, v0 in starts.items():
        for method in ("Nelder-Mead", "Powell"):
            opts = {"xatol": 1e-8, "fatol": 1e-10, "maxfev": 4000} if method == "Nelder-Mead" else \
                {"xtol": 1e-8, "ftol": 1e-12, "maxfev": 4000}
            res = optimize.minimize(obj, v0, method=method, options=opts)
            v = np.abs(res.x) / np.abs(res.x).sum()
            val = loss_v(v)
            rows.append((name, method, val))
            if best is None or val < best[2]:
                best = (solve(v), v, val)
    return best[0], best[1], best[2], pd.DataFrame(rows, columns=["start", "optimizer", "loss"])


def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_unit,
    treatment_time: float,
    predictors: Sequence[Predictor],
    donors: Sequence | None = None,
    optimisation_window: tuple[float, float] | None = None,
    n_random_starts: int = 2,
    seed: int = 0,
    *,
    _tables_: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> SyntheticControlResult:
    """Synthetic control estimate for one treated unit (ADH 2010).

    Parameters
    ----------
    data : DataFrame
        Long panel: unit, time, outcome and predictor variables.
    outcome, unit, time : str
    treated_unit
        Label of the treated unit in ``unit``.
    treatment_time : float
        First treated period; earlier periods are the pre-period.
    predictors : list of (variable, first, last)
        Each predictor is the variable's mean over [first, last] (use first == last for a single year).
    donors : list, optional
        Donor pool (default: every other unit).
    optimisation_window : (first, last), optional
        Pre-period years whose outcome MSPE chooses V (default: all pre-treatment periods).
    n_random_starts : int
        Random Dirichlet starting points in addition to the equal and inverse-variance starts.
    seed : int

    Returns
    -------
    SyntheticControlResult

    References
    ----------
    Abadie, Diamond & Hainmueller (2010), JASA 105(490), 493-505, section 2.3.
    """
    if donors is None:
        donors = [u for u in pd.unique(data[unit]) if u != treated_unit]
    donors = [u for u in donors if u != treated_unit]
    if len(donors) < 2:
        raise ValueError("need at least two donor units")
    X, Y = _build(data, outcome, unit, time, predictors, treated_unit, donors, _tables_)
    if Y.isna().any().any():
        raise ValueError("the outcome has gaps; synthetic control needs a complete outcome panel")
    times = Y.index.to_numpy(dtype=float)
    pre = times < treatment_time
    if optimisation_window is not None:
        opt = (times >= optimisation_window[0]) & (times <= optimisation_window[1])
    else:
        opt = pre
    xs = X.to_numpy(dtype=float).T
    sd = np.std(xs, axis=1, ddof=1)
    sd[sd == 0] = 1.0
    w, v, loss, searches = _fit(xs / sd[:, None], Y.to_numpy(dtype=float)[opt], n_random_starts, seed)
    synth = Y.to_numpy(dtype=float)[:, 1:] @ w
    treated = Y.to_numpy(dtype=float)[:, 0]
    gap = treated - synth
    weights = pd.DataFrame({"unit": donors, "weight": w}).sort_values("weight", ascending=False, kind="stable")
    balance = pd.DataFrame({"predictor": X.columns, "treated": xs[:, 0], "synthetic": xs[:, 1:] @ w,
                            "donor_mean": xs[:, 1:].mean(axis=1)})
    return SyntheticControlResult(
        treated_unit=treated_unit, treatment_time=treatment_time,
        weights=weights.reset_index(drop=True),
        predictor_weights=pd.DataFrame({"predictor": X.columns, "weight": v}),
        balance=balance,
        gaps=pd.DataFrame({"time": times, "treated": treated, "synthetic": synth, "gap": gap}),
        pre_rmspe=float(np.sqrt(np.mean(gap[pre] ** 2))),
        post_rmspe=float(np.sqrt(np.mean(gap[~pre] ** 2))),
        loss=loss, searches=searches,
    )


def placebo_test(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_unit,
    treatment_time: float,
    predictors: Sequence[Predictor],
    donors: Sequence | None = None,
    n_random_starts: int = 0,
    seed: int = 0,
    fit: SyntheticControlResult | None = None,
) -> PlaceboResult:
    """In-space placebo test: refit with each donor as the treated unit (the real one left out of the pool).

    Returns the post/pre RMSPE ratios and the rank p-value of ADH (2010, section 4.3.3): the share of units
    whose ratio is at least as large as the treated unit's.

    References
    ----------
    Abadie, Diamond & Hainmueller (2010), JASA 105(490), 493-505.
    """
    if donors is None:
        donors = [u for u in pd.unique(data[unit]) if u != treated_unit]
    main = fit or synthetic_control(data, outcome, unit, time, treated_unit, treatment_time, predictors,
                                    donors, n_random_starts=n_random_starts, seed=seed)
    rows = [(treated_unit, main.pre_rmspe, main.post_rmspe, True)]
    # the predictor means and the outcome table are the same for every placebo fit: built once (why: 20 refits)
    tables = _tables(data, outcome, unit, time, predictors)
    gaps = [main.gaps.assign(unit=treated_unit)[["unit", "time", "gap"]]]
    for d in donors:
        pool = [u for u in donors if u != d]
        r = synthetic_control(data, outcome, unit, time, d, treatment_time, predictors, pool,
                              n_random_starts=n_random_starts, seed=seed, _tables_=tables)
        rows.append((d, r.pre_rmspe, r.post_rmspe, False))
        gaps.append(r.gaps.assign(unit=d)[["unit", "time", "gap"]])
    tab = pd.DataFrame(rows, columns=["unit", "pre_rmspe", "post_rmspe", "is_treated"])
    tab["ratio"] = tab["post_rmspe"] / tab["pre_rmspe"]
    tab["rank"] = tab["ratio"].rank(ascending=False, method="max").astype(int)
    p = float((tab["ratio"] >= tab.loc[tab["is_treated"], "ratio"].iloc[0]).mean())
    tab = tab[["unit", "pre_rmspe", "post_rmspe", "ratio", "rank", "is_treated"]]
    return PlaceboResult(table=tab.sort_values("rank").reset_index(drop=True), p_value=p,
                         gaps=pd.concat(gaps, ignore_index=True))
