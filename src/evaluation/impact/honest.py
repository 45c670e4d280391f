"""Rambachan-Roth sensitivity of event-study estimates to departures from parallel trends.

:func:`honest_did` gives robust confidence sets for a target parameter ``theta = l' tau_post`` (the first post
period, or the average of the post periods) when the post-treatment violation of parallel trends ``delta_post`` is
only known to lie in a set Delta:

* ``kind="relative_magnitude"`` -- Delta^RM(Mbar): each post-period change of the violation,
  ``|delta_{t+1} - delta_t|``, is at most ``Mbar`` times the largest pre-period change. Confidence sets are the
  conditional / least-favourable hybrid ("C-LF") of Andrews, Roth & Pakes (2023), taken for each of the polyhedra
  Delta^RM_{s,+/-} whose union is Delta^RM, and united (Rambachan & Roth 2023, section 4 and appendix).
* ``kind="smoothness"`` -- Delta^SD(M): the second differences of the violation are at most ``M`` in absolute value
  (``M = 0``: linear trends extrapolated from the pre-periods). Confidence interval: the optimal fixed-length
  confidence interval (FLCI) of Armstrong & Kolesar, as RR section 4.1.

Conventions follow R ``HonestDiD``: ``betahat`` stacks ``num_pre`` pre-period coefficients (event times
``-num_pre .. -1`` relative to the reference period, which is left out and normalised to 0) and ``num_post``
post-period ones (``1 .. num_post`` in RR's numbering; event times 0, 1, ... of a Callaway-Sant'Anna event study
with the universal base period, whose reference is e = -1).

Implementation notes (how this differs from ``HonestDiD``, not what it estimates):

* The ARP test statistic ``eta = min_tau max_j (y_j - X_j tau) / sd_j`` is the value of a linear programme whose
  dual is ``max gamma' y`` over the vertices ``gamma`` of ``{gamma >= 0, gamma' sd = 1, gamma' X = 0}``. The few
  constraints of Delta^RM (2 per post period, after keeping the rows that involve post periods, as ``HonestDiD``'s
  default ``postPeriodMomentsOnly``) make it cheap to list those vertices once, so the statistic, its conditioning
  event ``[v_lo, v_up]`` (ARP section 3) and the least-favourable critical value are exact maxima over vertices
  instead of LPs solved by bisection, and the whole theta grid is tested at once.
* The interval's ends are located on a grid and then refined by bisection (to 1e-6 of the target's SE), so the
  result does not depend on a grid step; ``HonestDiD`` reports grid points (1000 over +-20 SE).
* The least-favourable critical value is simulated with ``n_sims`` draws (default 20,000; ``HonestDiD``: 1000) from
  a seeded generator, so results are reproducible.
* The FLCI's folded-normal quantile is computed exactly (root of its CDF), not by simulation, and the optimisation
  over the estimator's weights is done in the space of second differences (the worst-case bias is
  ``M * ||D' v||_1``) with SLSQP for each standard deviation ``h`` and a bounded scalar search over ``h``.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of Economic Studies*
90(5), 2555-2591.
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment inequalities. *Review of
Economic Studies* 90(6), 2763-2791.
Armstrong, T. B. and Kolesar, M. (2018). Optimal inference in a class of regression models. *Econometrica* 86(2),
655-683.
"""

from __future__ import annotations

import warnings
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from evaluation.results import ResultFrame

__all__ = ["honest_did", "breakdown_m", "KINDS", "TARGETS", "HonestTable"]

KINDS = ("relative_magnitude", "smoothness")
TARGETS = ("first", "average")


def _check(betahat, sigma, num_pre: int, num_post: int, kind: str, target, alpha: float):
    b = np.asarray(betahat, dtype=float).ravel()
    s = np.asarray(sigma, dtype=float)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(target, str) and target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if num_pre < 1 or num_post < 1:
        raise ValueError("num_pre and num_post must both be at least 1 (the bounds are scaled by pre-periods)")
    if b.size != num_pre + num_post:
        raise ValueError(f"betahat has {b.size} entries, num_pre + num_post = {num_pre + num_post}")
    if s.shape != (b.size, b.size):
        raise ValueError(f"sigma must be {b.size} x {b.size}, got {s.shape}")
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(s)):
        raise ValueError("betahat and sigma must be finite")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    s = (s + s.T) / 2
    return b, s


def _l_vec(num_post: int, target) -> np.ndarray:
    if not isinstance(target, str):
        l = np.asarray(target, dtype=float).ravel()
        if l.size != num_post or not np.all(np.isfinite(l)) or not np.any(l != 0):
            raise ValueError(f"target weights must be {num_post} finite numbers, not all zero")
        return l
    if target == "first":
        l = np.zeros(num_post)
        l[0] = 1.0
        return l
    return np.full(num_post, 1.0 / num_post)


# ---------------------------------------------------------------------------------------------------------------
# Delta^RM: conditional / least-favourable hybrid
# ---------------------------------------------------------------------------------------------------------------
def _a_rm(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Constraints A delta <= 0 of Delta^RM_{s,sign}(Mbar) (HonestDiD's ``.create_A_RM``), reference column dropped.

    Columns: delta_{-num_pre} .. delta_{-1}, [delta_0 = 0, dropped], delta_1 .. delta_{num_post}. ``s`` in
    ``-(num_pre - 1) .. 0`` names the pre-period change ``delta_s - delta_{s-1}`` taken to be the largest.
    """
    total = num_pre + num_post
    diff = np.zeros((total, total + 1))
    for r in range(total):
        diff[r, r], diff[r, r + 1] = -1.0, 1.0
    v = np.zeros(total + 1)
    i = num_pre + s - 1
    v[i], v[i + 1] = -1.0, 1.0
    if not positive:
        v = -v
    ub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(mbar * v, (num_post, 1))])
    a = np.vstack([diff - ub, -diff - ub])
    a = a[np.sum(a**2, axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _dual_vertices(sd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Vertices of {g >= 0, g' sd = 1, g' X = 0} (rows), by enumerating bases."""
    if x.shape[1]:
        u, sv, _ = np.linalg.svd(x, full_matrices=False)
        x = u[:, sv > 1e-10 * max(sv.max(), 1e-300)]
    w = np.column_stack([sd, x])
    m, k = w.shape
    rhs = np.zeros(k)
    rhs[0] = 1.0
    # every basis at once: the stacked det and solve run LAPACK on each matrix exactly as one call would
    bases = np.array(list(combinations(range(m), k)), dtype=np.intp).reshape(-1, k)
    wb = w[bases]                                               # (n_bases, k, k)
    regular = ~(np.abs(np.linalg.det(wb)) < 1e-12) if len(bases) else np.zeros(0, dtype=bool)
    bases = bases[regular]
    gb = np.linalg.solve(np.swapaxes(wb[regular], 1, 2), np.broadcast_to(rhs, (len(bases), k))[..., None])[..., 0] \
        if len(bases) else np.zeros((0, k))
    feasible = np.all(gb >= -1e-10, axis=1)
    if not feasible.any():
        raise ValueError("the moment inequalities have no dual vertex (the nuisance parameters are unrestricted)")
    out = np.zeros((int(feasible.sum()), m))
    np.put_along_axis(out, bases[feasible], np.clip(gb[feasible], 0, None), axis=1)
    return np.unique(np.round(out, 12), axis=0)


def _hybrid_stage(theta: np.ndarray, y0: np.ndarray, a1: np.ndarray, verts: np.ndarray, sig_y: np.ndarray,
                  lf_cv: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ARP hybrid test of E[y0 - a1 theta - X tau] <= 0 up to its conditional critical value.

    Returns ``(accept, sel, zlo, zup, stat)``: the decision of the least-favourable first stage (final where ``sel``
    is False) and, where ``sel`` is True, the truncation bounds and the statistic of the conditional second stage
    (:func:`_hybrid_finish`).
    """
    y = y0[None, :] - theta[:, None] * a1[None, :]            # (n_theta, m)
    vals = y @ verts.T                                          # gamma' y for every vertex
    jhat = np.argmax(vals, axis=1)
    eta = vals[np.arange(theta.size), jhat]
    g = verts[jhat]                                             # (n_theta, m)
    sg = g @ sig_y                                              # Sigma gamma
    var_b = np.sum(sg * g, axis=1)
    accept = ~(eta > lf_cv)                                     # first stage: least-favourable test at kappa
    ok = var_b > np.finfo(float).eps
    # degenerate direction: reject when eta > 0 (as HonestDiD)
    accept[~ok] &= ~(eta[~ok] > 0)
    c = np.where(ok[:, None], sg / np.where(ok, var_b, 1.0)[:, None], 0.0)
    s_vec = y - c * eta[:, None]
    a = c @ verts.T                                             # gamma_j' c
    b = s_vec @ verts.T                                         # gamma_j' S
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = b / (1.0 - a)
    lo_mask = a < 1 - 1e-12
    up_mask = a > 1 + 1e-12
    vlo = np.max(np.where(lo_mask, bound, -np.inf), axis=1)
    vup = np.min(np.where(up_mask, bound, np.inf), axis=1)
    sd_b = np.sqrt(np.where(ok, var_b, 1.0))
    zlo, zup = vlo / sd_b, np.minimum(vup, lf_cv) / sd_b
    stat = eta / sd_b
    inside = (zlo <= stat) & (stat <= zup)
    sel = ok & inside & accept
    return accept, sel, zlo, zup, stat


def _hybrid_finish(stat: np.ndarray, zlo: np.ndarray, zup: np.ndarray, alpha: float, kappa: float) -> np.ndarray:
    """The conditional second stage: not rejected when ``stat`` is at most the truncated-normal critical value."""
    size = (alpha - kappa) / (1 - kappa)
    cv = np.maximum(0.0, _truncnorm_quantile(1 - size, zlo, zup))
    return ~(stat > cv)


def _hybrid_accept(theta: np.ndarray, y0: np.ndarray, a1: np.ndarray, verts: np.ndarray, sig_y: np.ndarray,
                   lf_cv: float, alpha: float, kappa: float) -> np.ndarray:
    """ARP hybrid test of E[y0 - a1 theta - X tau] <= 0 for every theta (True = not rejected)."""
    accept, sel, zlo, zup, stat = _hybrid_stage(theta, y0, a1, verts, sig_y, lf_cv)
    if sel.any():
        accept[sel] &= _hybrid_finish(stat[sel], zlo[sel], zup[sel], alpha, kappa)
    return accept


def _truncnorm_quantile(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    out = np.where(lo >= hi, lo, 0.0)
    ok = lo < hi
    if ok.any():
        out[ok] = stats.truncnorm.ppf(p, lo[ok], hi[ok])
    return out


#: Standard normal draws by (seed, n_sims, dimension): every piece and every Mbar of a run draws the same ones.
_NORMALS: dict[tuple[int, int, int], np.ndarray] = {}
_NORMALS_SIZE = 16


def _mvn_draws(cov: np.ndarray, n_sims: int, seed) -> np.ndarray:
    """``np.random.default_rng(seed).multivariate_normal(0, cov, n_sims, method="eigh")``, with the standard normal
    draws kept between calls: the same operations as numpy's (the normals times the eigen factor ``u sqrt|s|``,
    plus the zero mean), so the same numbers; tests/impact/test_honest.py checks them bitwise against numpy's."""
    m = cov.shape[0]
    if not isinstance(seed, (int, np.integer)):  # unseeded or a generator: fresh draws every call
        return np.random.default_rng(seed).multivariate_normal(np.zeros(m), cov, size=n_sims, method="eigh")
    key = (int(seed), int(n_sims), m)
    if key not in _NORMALS:
        if len(_NORMALS) >= _NORMALS_SIZE:
            del _NORMALS[next(iter(_NORMALS))]
        z = np.random.default_rng(seed).standard_normal((n_sims, m))
        z.flags.writeable = False
        _NORMALS[key] = z
    s, u = np.linalg.eigh(np.asarray(cov, dtype=float))
    if np.any(s < -1e-8):  # numpy's check_valid="warn"
        warnings.warn("covariance is not symmetric positive-semidefinite.", RuntimeWarning, stacklevel=3)
    return np.zeros(m) + _NORMALS[key] @ (u * np.sqrt(np.abs(s))).T


class _RMPiece:
    """One polyhedron Delta^RM_{s,sign}: its dual vertices and least-favourable critical value (fixed over theta)."""

    def __init__(self, b, sig, num_pre, num_post, l, mbar, s, positive, alpha, kappa, n_sims, seed):
        a = _a_rm(num_pre, num_post, mbar, s, positive)
        post_cols = np.arange(num_pre, num_pre + num_post)
        rows = np.flatnonzero(np.any(np.abs(a[:, post_cols]) > 0, axis=1))  # post-period moments only
        a = a[rows]
        self.y0 = a @ b
        self.sig_y = a @ sig @ a.T
        sd = np.sqrt(np.clip(np.diag(self.sig_y), 0, None))
        a_post = a[:, post_cols]
        self.a1 = a_post @ l / (l @ l)                          # theta direction: tau = l theta / |l|^2 + null(l')
        null = linalg.null_space(l[None, :])
        x = a_post @ null if null.size else np.zeros((a.shape[0], 0))
        self.verts = _dual_vertices(sd, x)
        # least-favourable critical value: the statistic's 1 - kappa quantile when all moments bind (mean 0)
        xi = _mvn_draws(self.sig_y, n_sims, seed)
        self.lf_cv = float(np.quantile(np.max(xi @ self.verts.T, axis=1), 1 - kappa))
        self.alpha, self.kappa = alpha, kappa

    def accept(self, theta: np.ndarray) -> np.ndarray:
        return _hybrid_accept(np.atleast_1d(theta).astype(float), self.y0, self.a1, self.verts, self.sig_y,
                              self.lf_cv, self.alpha, self.kappa)

    def stage(self, theta: np.ndarray):
        """:func:`_hybrid_stage` of this piece."""
        return _hybrid_stage(theta, self.y0, self.a1, self.verts, self.sig_y, self.lf_cv)


def _union_accept(pieces: Sequence[_RMPiece], theta) -> np.ndarray:
    """The hybrid test of the union of the pieces: theta is accepted when any piece accepts it.

    The pieces' truncated-normal quantiles (the costly part) are taken in one call, and only for the thetas no
    piece has accepted at its first stage; the quantile is elementwise, so each test is the one
    :func:`_hybrid_accept` makes.
    """
    theta = np.atleast_1d(theta).astype(float)
    stages = [p.stage(theta) for p in pieces]
    out = np.zeros(theta.size, dtype=bool)
    for accept, sel, *_ in stages:
        out |= accept & ~sel
    need = [sel & ~out for _, sel, *_ in stages]
    if not any(n.any() for n in need):
        return out
    passed = _hybrid_finish(np.concatenate([st[4][n] for st, n in zip(stages, need)]),
                            np.concatenate([st[2][n] for st, n in zip(stages, need)]),
                            np.concatenate([st[3][n] for st, n in zip(stages, need)]),
                            pieces[0].alpha, pieces[0].kappa)
    start = 0
    for n in need:
        k = int(n.sum())
        out[n] |= passed[start:start + k]
        start += k
    return out


def _rm_identified_set(b, num_pre, num_post, l, mbar) -> tuple[float, float]:
    """Identified set of theta at betahat (union over s and sign), by LP as HonestDiD's ``.compute_IDset_DeltaRM``."""
    total = num_pre + num_post
    f = np.concatenate([np.zeros(num_pre), l])
    a_eq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    lbs, ubs = [], []
    point = float(l @ b[num_pre:])
    for s in range(-(num_pre - 1), 1):
        for pos in (True, False):
            a = _a_rm(num_pre, num_post, mbar, s, pos)
            kw = dict(A_ub=a, b_ub=np.zeros(a.shape[0]), A_eq=a_eq, b_eq=b[:num_pre],
                      bounds=[(None, None)] * total, method="highs")
            hi = optimize.linprog(-f, **kw)
            lo = optimize.linprog(f, **kw)
            if hi.status == 0 and lo.status == 0:
                lbs.append(point + hi.fun)
                ubs.append(point - lo.fun)
    if not lbs:
        return point, point
    return min(lbs), max(ubs)


def _interval_from_test(accept_fn, lo: float, hi: float, scale: float, n_grid: int = 401) -> tuple[float, float]:
    """Smallest and largest accepted theta: grid, then bisection at the outermost changes."""
    grid = np.linspace(lo, hi, n_grid)
    acc = accept_fn(grid)
    if not acc.any():
        return np.nan, np.nan
    i_lo, i_hi = np.flatnonzero(acc)[[0, -1]]

    def refine(a_out, a_in):
        # a_out rejected, a_in accepted
        for _ in range(200):
            if abs(a_in - a_out) <= 1e-6 * scale:
                break
            mid = 0.5 * (a_in + a_out)
            if accept_fn(np.array([mid]))[0]:
                a_in = mid
            else:
                a_out = mid
        return a_in

    lb = -np.inf if i_lo == 0 else refine(grid[i_lo - 1], grid[i_lo])
    ub = np.inf if i_hi == n_grid - 1 else refine(grid[i_hi + 1], grid[i_hi])
    return float(lb), float(ub)


#: Robust sets already computed, by their exact inputs: :func:`breakdown_m` tests Mbar values (1, 2, 0.5, ...) that
#: :func:`honest_did` has usually just run for the same coefficients, and each set costs tens of simulations.
_RM_CI_CACHE: dict[tuple, tuple[float, float]] = {}
_RM_CI_CACHE_SIZE = 512


def _rm_ci(b, sig, num_pre, num_post, l, mbar, alpha, n_sims, seed) -> tuple[float, float]:
    if not isinstance(seed, (int, np.integer)):  # unseeded or a generator: the draws differ per call
        return _rm_ci_uncached(b, sig, num_pre, num_post, l, mbar, alpha, n_sims, seed)
    key = (b.tobytes(), sig.tobytes(), b.size, num_pre, num_post, l.tobytes(), float(mbar), float(alpha),
           int(n_sims), int(seed))
    if key not in _RM_CI_CACHE:
        if len(_RM_CI_CACHE) >= _RM_CI_CACHE_SIZE:
            del _RM_CI_CACHE[next(iter(_RM_CI_CACHE))]
        _RM_CI_CACHE[key] = _rm_ci_uncached(b, sig, num_pre, num_post, l, mbar, alpha, n_sims, seed)
    return _RM_CI_CACHE[key]


def _rm_ci_uncached(b, sig, num_pre, num_post, l, mbar, alpha, n_sims, seed) -> tuple[float, float]:
    kappa = alpha / 10
    pieces = [_RMPiece(b, sig, num_pre, num_post, l, mbar, s, pos, alpha, kappa, n_sims, seed)
              for s in range(-(num_pre - 1), 1) for pos in (True, False)]
    sd_theta = float(np.sqrt(l @ sig[num_pre:, num_pre:] @ l))
    id_lb, id_ub = _rm_identified_set(b, num_pre, num_post, l, mbar)

    def accept(theta):
        return _union_accept(pieces, theta)

    lo, hi = id_lb - 20 * sd_theta, id_ub + 20 * sd_theta
    return _interval_from_test(accept, lo, hi, sd_theta)


# ---------------------------------------------------------------------------------------------------------------
# Delta^SD: optimal FLCI
# ---------------------------------------------------------------------------------------------------------------
def _folded_normal_quantile(p: float, mu: float) -> float:
    """The p-quantile of |N(mu, 1)|."""
    mu = abs(mu)
    f = lambda c: stats.norm.cdf(c - mu) - stats.norm.cdf(-c - mu) - p  # noqa: E731
    return float(optimize.brentq(f, 0.0, mu + 10.0, xtol=1e-12))


def _sd_basis(num_pre: int, num_post: int) -> tuple[np.ndarray, np.ndarray]:
    """Every violation in Delta^SD is ``slope * t + D @ s`` with ``|s| <= M`` (reference period dropped).

    ``t`` is the linear trend (delta_t = t) and column j of ``D`` the violation with one unit second difference at
    the j-th interior period, ``delta_0 = 0`` and ``delta_1 - delta_0 = 0`` (the slope is carried by ``t``).
    """
    periods = np.arange(-num_pre, num_post + 1)
    p = periods.size
    i0 = int(np.flatnonzero(periods == 0)[0])
    eqs = np.zeros((p, p))
    eqs[0, i0] = 1.0                                            # delta_0 = 0
    eqs[1, i0 + 1], eqs[1, i0] = 1.0, -1.0                      # delta_1 - delta_0 = 0
    for j in range(p - 2):
        eqs[2 + j, j], eqs[2 + j, j + 1], eqs[2 + j, j + 2] = 1.0, -2.0, 1.0
    rhs = np.zeros((p, p - 2))
    rhs[2:, :] = np.eye(p - 2)
    d = np.linalg.solve(eqs, rhs)
    t = np.delete(periods.astype(float), i0)
    return t, np.delete(d, i0, axis=0)


def _flci(b, sig, num_pre, num_post, l, m, alpha) -> tuple[float, float]:
    """Optimal FLCI under Delta^SD(M): the affine estimator v' betahat, v = (w, l), of shortest fixed length.

    Its worst-case bias is ``M * ||D' v||_1`` when ``v' t = 0`` (otherwise a linear trend makes it unbounded), its
    SD ``sqrt(v' Sigma v)``, and the half-length ``SD * cv_alpha(bias / SD)`` with ``cv_alpha`` the folded-normal
    quantile. That half-length is convex in w (the perspective of a convex, increasing function of a norm and a
    1-norm), so a local search from the least-variance and the least-bias weights finds its minimum.
    """
    trend, d = _sd_basis(num_pre, num_post)
    t_pre, t_post = trend[:num_pre], trend[num_pre:]
    # w = w0 + N z spans the weights with w' t_pre = -l' t_post
    w0 = t_pre * (-float(l @ t_post)) / float(t_pre @ t_pre)
    nb = linalg.null_space(t_pre[None, :])
    dz = nb.shape[1]
    a_w = d[:num_pre].T @ nb
    a0 = d[:num_pre].T @ w0 + d[num_pre:].T @ l

    def weights(z):
        return np.concatenate([w0 + (nb @ z if dz else 0.0), l])

    def half_length(z):
        v = weights(z)
        sd = float(np.sqrt(max(v @ sig @ v, 0.0)))
        bias = m * float(np.abs(a_w @ z + a0).sum()) if dz else m * float(np.abs(a0).sum())
        if sd <= 0:
            return np.inf
        return sd * _folded_normal_quantile(1 - alpha, bias / sd)

    if dz == 0:
        z_best = np.zeros(0)
    else:
        s_pre = sig[:num_pre, :num_pre]
        cross = sig[:num_pre, num_pre:] @ l
        z_minvar = -np.linalg.lstsq(nb.T @ s_pre @ nb, nb.T @ (s_pre @ w0 + cross), rcond=None)[0]
        n_sd = a0.size
        lp = optimize.linprog(np.concatenate([np.zeros(dz), np.ones(n_sd)]),
                              A_ub=np.block([[a_w, -np.eye(n_sd)], [-a_w, -np.eye(n_sd)]]),
                              b_ub=np.concatenate([-a0, a0]), bounds=[(None, None)] * dz + [(0, None)] * n_sd,
                              method="highs")
        starts = [z_minvar, lp.x[:dz], 0.5 * (z_minvar + lp.x[:dz])]
        best = []
        for z0 in starts:
            r = optimize.minimize(half_length, z0, method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
            best.append((r.fun, r.x))
            best.append((half_length(z0), z0))
        z_best = min(best, key=lambda p: p[0])[1]
    hl = half_length(z_best)
    est = float(weights(z_best) @ b)
    return est - hl, est + hl


# ---------------------------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------------------------
class HonestTable(ResultFrame):
    """:func:`honest_did`'s robust confidence sets with the result protocol: no point estimate (the sets are
    intervals), ``ci_low, ci_high`` = ``lb, ub``, keyed ``m<Mbar>``."""

    what = "result.what.honest"

    def tidy(self) -> pd.DataFrame:
        frame = pd.DataFrame(self).reset_index(drop=True)
        out = pd.DataFrame({"estimate": np.nan, "se": np.nan, "ci_low": frame["lb"].astype(float),
                            "ci_high": frame["ub"].astype(float), "n": np.nan,
                            "term": [f"m{float(m):g}".replace(".", "_") for m in frame["m"]]}, index=frame.index)
        return pd.concat([out, frame.drop(columns=["lb", "ub"])], axis=1)

    def record_fields(self) -> tuple[str, ...]:
        return ("ci_low", "ci_high")


def honest_did(betahat: Sequence[float], sigma, num_pre: int, num_post: int, kind: str = "relative_magnitude",
               m: Sequence[float] | float = (0.5, 1.0, 2.0), target: str = "first", alpha: float = 0.05,
               n_sims: int = 20000, seed: int = 0) -> pd.DataFrame:
    """Rambachan-Roth robust confidence sets for the first or the average post-period effect.

    Parameters
    ----------
    betahat : array (num_pre + num_post,)
        Event-study coefficients, pre-periods first, the reference period (normalised to 0) left out.
    sigma : array (num_pre + num_post, num_pre + num_post)
        Their covariance (e.g. :meth:`StaggeredDiDResult.event_study_coefficients`).
    num_pre, num_post : int
    kind : {"relative_magnitude", "smoothness"}
        Delta^RM(Mbar) with the C-LF hybrid confidence set, or Delta^SD(M) with the optimal FLCI.
    m : float or list of float
        Mbar (relative magnitudes) or M (smoothness, in the outcome's units per period squared).
    target : {"first", "average"} or array of num_post weights
        ``theta`` = the first post-period effect, the mean of the post-period effects, or ``l' tau_post`` for given
        weights ``l`` (e.g. the cell weights that make it the simple ATT of Callaway & Sant'Anna).
    alpha : float
    n_sims : int
        Draws for the least-favourable critical value (relative magnitudes).
    seed : int

    Returns
    -------
    DataFrame
        ``m, lb, ub, method`` (method "C-LF" or "FLCI"); ``lb``/``ub`` are -inf/inf when the set is unbounded
        on the search range, NaN when it is empty.

    References
    ----------
    Rambachan & Roth (2023), sections 2-4; Andrews, Roth & Pakes (2023); see the module docstring.
    """
    b, sig = _check(betahat, sigma, num_pre, num_post, kind, target, alpha)
    l = _l_vec(num_post, target)
    rows = []
    for mv in np.atleast_1d(np.asarray(m, dtype=float)):
        if not mv >= 0:
            raise ValueError("m must be non-negative")
        if kind == "relative_magnitude":
            lb, ub = _rm_ci(b, sig, num_pre, num_post, l, float(mv), alpha, n_sims, seed)
            method = "C-LF"
        else:
            lb, ub = _flci(b, sig, num_pre, num_post, l, float(mv), alpha)
            method = "FLCI"
        rows.append((float(mv), lb, ub, method))
    return HonestTable(rows, columns=["m", "lb", "ub", "method"])


def breakdown_m(betahat: Sequence[float], sigma, num_pre: int, num_post: int, kind: str = "relative_magnitude",
                target: str = "first", alpha: float = 0.05, tol: float = 1e-3, m_max: float = 100.0,
                n_sims: int = 20000, seed: int = 0) -> float:
    """Breakdown value: the smallest M (or Mbar) at which the robust confidence set of :func:`honest_did` includes 0.

    0 when the set already includes 0 without any departure allowed (M = 0); ``inf`` when it still excludes 0 at
    ``m_max``. Found by bisection to ``tol`` (absolute, in units of M), taking the sets as nested in M (they are
    for the identified sets; the confidence sets are so up to simulation noise).

    References
    ----------
    Rambachan & Roth (2023), section 5 (the "breakdown value").
    """
    b, sig = _check(betahat, sigma, num_pre, num_post, kind, target, alpha)

    def covers_zero(mv):
        r = honest_did(b, sig, num_pre, num_post, kind, [mv], target, alpha, n_sims, seed).iloc[0]
        return bool(np.isnan(r["lb"]) or r["lb"] <= 0 <= r["ub"])

    if covers_zero(0.0):
        return 0.0
    hi = 1.0 if kind == "relative_magnitude" else float(np.sqrt(np.max(np.diag(sig))))
    while not covers_zero(hi):
        hi *= 2
        if hi > m_max:
            return float("inf")
    lo = 0.0
    step_tol = tol if kind == "relative_magnitude" else tol * float(np.sqrt(np.max(np.diag(sig))))
    while hi - lo > step_tol:
        mid = 0.5 * (lo + hi)
        if covers_zero(mid):
            hi = mid
        else:
            lo = mid
    return float(hi)
