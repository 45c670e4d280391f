"""Small-cell suppression of published tables, with complementary suppression so that totals give nothing away.

Primary suppression withholds every cell (count, share or mean) that rests on fewer than ``min_cell`` respondents or
cases (by default also zero cells: "nobody in community X answered Y" is itself a disclosure). When the row and
column totals are published, or implied (shares that add up to 100 %), one withheld cell in a row would be the total
minus the others; complementary (secondary) suppression withholds further cells until no withheld cell can be worked
out. The rule is applied in two steps, repeated until nothing changes:

1. every line (a row or column with its total) that has exactly one withheld entry gets its smallest positive
   published cell withheld too (interior cells before totals), as in the classic hypercube heuristics;
2. every withheld cell that can be worked out exactly from all published cells and totals together, with counts
   non-negative, gets one more cell withheld in one of its lines. Such cells exist even when every line has two
   withheld entries: a bridge between two cycles of withheld cells, or zeros in a line whose residual is zero.
   They are found with one LP and one SVD (``_exact_cells``);
3. the attacker's LP audit (Hundepool et al. 2012, §4.2–4.3; Cox 1980): for every primary cell, the smallest and
   largest value it can take over all tables that agree with every published cell and total, given what the markers
   themselves say: a primary cell ``<5`` lies in [0, 4] ([1, 4] when zeros are published), a complementary cell
   ``—`` in [5, ∞) (zeros are primary; [0, ∞) when zeros are published). The feasible interval of every primary cell
   must be at least the *protection width* wide; by default the width is the whole of [0, ``min_cell`` − 1], so the
   published table says nothing about a small cell beyond its marker. A cell that fails gets one more cell withheld
   in one of its lines, preferably the smallest one that is at least ``min_cell`` + width (a complementary cell
   that small could not move far enough to hide the primary one), and the audit is run again.
   This is the case of two small cells of 4 in a line whose published residual is 8: each is "<5", and together
   they must be 4 and 4.

A total of 0 published outside the table tells every cell of its line by itself; nothing inside the table can hide
them. Put such totals inside the table (then they are small cells and withheld too).

The constraint matrix of a two-way table with margins is the incidence matrix of a bipartite graph, hence totally
unimodular: the LP bounds are integers and are the bounds an intruder with integer arithmetic would find.

Written here rather than taken from a library: the R package sdcTable (and tau-ARGUS) solve the optimal problem but
are not available in this environment and are far heavier than a report table of 43 communities needs; no Python
package of comparable standing exists. The heuristic is not optimal (it may withhold more than needed), but the
guarantees that matter, no withheld cell is derivable and no small cell is narrowed beyond its marker, are checked
by the LP audit itself (:func:`audit_protection`).

Representation. :func:`suppress_table` returns the table with withheld cells replaced by strings: ``"<5"`` (``<`` +
``min_cell``) for a primary cell that is itself the small count, ``"n<5"`` for a primary cell whose value (a rate,
share, mean or rank) rests on fewer than 5 cases, where "<5" would read as a value below 5 (issue 17), and ``"—"`` for
complementary ones. Strings survive every route to a reader (HTML,
Word, JSON, CSV) without relying on a flag column that a later step could drop, and a withheld value can no longer be
rounded, summed or plotted by mistake. :data:`SUPPRESSION_NOTE` gives the footnote text.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4 (Wiley). Willenborg, L. and de Waal, T. (2001).
*Elements of Statistical Disclosure Control*, ch. 6–7 (Springer). Cox, L. H. (1980). Suppression methodology and
statistical disclosure control. *JASA* 75(370), 377–385.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linprog

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "MARGIN_NAMES",
    "SUPPRESSION_NOTE",
    "primary_marker",
    "suppression_pattern",
    "feasible_intervals",
    "audit_protection",
    "suppress_table",
    "suppress_series",
    "format_suppressed",
]

PRIMARY = "primary"
SECONDARY = "secondary"
MARGIN_NAMES: tuple[str, ...] = ("All", "Total", "total", "合计", "总计", "全部")
SUPPRESSION_NOTE = ("<{min_cell}：少于{min_cell}人（件），不予公布；n<{min_cell}：所依据的人数（件数）少于{min_cell}，"
                    "不予公布；—：为防止由合计推算而一并隐去。 "
                    "<{min_cell}: fewer than {min_cell} respondents or cases, withheld; n<{min_cell}: resting on "
                    "fewer than {min_cell} respondents or cases, withheld; —: withheld so that a withheld cell cannot "
                    "be worked out from the totals.")


def primary_marker(min_cell: int, count: bool = True) -> str:
    """The text of a primary withheld cell: ``"<5"`` where the cell is the count itself, ``"n<5"`` where its value is
    a rate, share, mean or rank resting on that few cases (a bare "<5" there reads as a value below 5)."""
    return f"<{min_cell}" if count else f"n<{min_cell}"


# --- the structure: positions, lines, totals -----------------------------------------------------------------

class _Layout:
    """A table flattened to positions, with its additive lines (members sum to total)."""

    def __init__(self, values: np.ndarray, lines: list[tuple[np.ndarray, int]], fixed: np.ndarray,
                 is_total: np.ndarray):
        self.values = values.astype(float)
        self.lines = lines
        self.fixed = fixed          # known to everyone, never withheld (totals published elsewhere)
        self.is_total = is_total
        self.lines_of: list[list[int]] = [[] for _ in range(len(values))]
        for i, (members, total) in enumerate(lines):
            for p in (*members, total):
                self.lines_of[p].append(i)

    def entries(self, i: int) -> np.ndarray:
        members, total = self.lines[i]
        return np.append(members, total)


def _two_way(counts: np.ndarray, row_totals: np.ndarray | None, col_totals: np.ndarray | None,
             grand: float | None, with_lines: bool) -> _Layout:
    """Interior r×c, then row totals, column totals, grand total. ``None`` totals are computed and fixed."""
    r, c = counts.shape
    rt = counts.sum(axis=1) if row_totals is None else row_totals
    ct = counts.sum(axis=0) if col_totals is None else col_totals
    g = counts.sum() if grand is None else grand
    values = np.concatenate([counts.ravel(), rt, ct, [g]])
    n = r * c
    fixed = np.zeros(len(values), bool)
    fixed[n:n + r] = row_totals is None
    fixed[n + r:n + r + c] = col_totals is None
    fixed[-1] = grand is None
    is_total = np.arange(len(values)) >= n
    lines: list[tuple[np.ndarray, int]] = []
    if with_lines:
        idx = np.arange(n).reshape(r, c)
        lines += [(idx[i], n + i) for i in range(r)]
        lines += [(idx[:, j], n + r + j) for j in range(c)]
        lines += [(np.arange(n + r, n + r + c), len(values) - 1), (np.arange(n, n + r), len(values) - 1)]
    return _Layout(values, lines, fixed, is_total)


def _one_way(counts: np.ndarray, total: float | None, with_line: bool) -> _Layout:
    values = np.append(counts, counts.sum() if total is None else total)
    fixed = np.zeros(len(values), bool)
    fixed[-1] = total is None
    is_total = np.arange(len(values)) == len(counts)
    lines = [(np.arange(len(counts)), len(counts))] if with_line else []
    return _Layout(values, lines, fixed, is_total)


# --- the algorithm -------------------------------------------------------------------------------------------

def _intervals(lay: _Layout, withheld: np.ndarray, box: np.ndarray | None = None,
               only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LP bounds (lower, upper) of every withheld position given the published ones; upper may be inf.

    ``box`` (positions × 2, upper may be inf) holds what the markers say about each withheld position; default
    [0, inf). ``only`` limits the LPs to those positions (others get NaN).
    """
    var = np.flatnonzero(withheld)
    col_of = {p: k for k, p in enumerate(var)}
    rows, rhs = [], []
    for members, total in lay.lines:
        entries = np.append(members, total)
        if not withheld[entries].any():
            continue
        coef = np.zeros(len(var))
        b = 0.0
        for p, sign in [*((m, 1.0) for m in members), (total, -1.0)]:
            if withheld[p]:
                coef[col_of[p]] += sign
            else:
                b -= sign * lay.values[p]
        rows.append(coef)
        rhs.append(b)
    if box is None:
        bounds = [(0.0, None)] * len(var)
    else:
        bounds = [(float(box[p, 0]), None if np.isinf(box[p, 1]) else float(box[p, 1])) for p in var]
    lower = np.array([b[0] for b in bounds], dtype=float)
    upper = np.array([np.inf if b[1] is None else b[1] for b in bounds], dtype=float)
    if only is not None:
        keep = np.isin(var, only)
        lower[~keep] = np.nan
        upper[~keep] = np.nan
    if not rows:
        return var, lower, upper
    a_eq, b_eq = np.array(rows), np.array(rhs)
    for k in range(len(var)):
        if not a_eq[:, k].any() or (only is not None and var[k] not in only):
            continue
        obj = np.zeros(len(var))
        obj[k] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if lo.status == 2 or hi.status == 2:
            raise ValueError("the published totals are inconsistent with the cells (no feasible table)")
        lower[k] = lo.fun if lo.status == 0 else bounds[k][0]
        upper[k] = -hi.fun if hi.status == 0 else np.inf
    return var, lower, upper


def _equations(lay: _Layout, withheld: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (lines × withheld positions) of the lines' equations in the withheld values."""
    var = np.flatnonzero(withheld)
    col_of = {p: k for k, p in enumerate(var)}
    rows = []
    for members, total in lay.lines:
        coef = np.zeros(len(var))
        for p in members:
            if withheld[p]:
                coef[col_of[p]] += 1.0
        if withheld[total]:
            coef[col_of[total]] -= 1.0
        if coef.any():
            rows.append(coef)
    return var, np.array(rows).reshape(len(rows), len(var))


def _exact_cells(lay: _Layout, withheld: np.ndarray) -> list[int]:
    """Withheld positions whose value an intruder can work out exactly.

    The true table is a feasible point, so a withheld value is exact iff no feasible direction d (A d = 0, and
    d_i >= 0 where the true value is 0) changes it. The zero cells that no feasible direction can raise (pinned at
    0) are found with one LP: maximise the sum of t_i subject to t_i <= d_i, 0 <= t_i <= 1 over the zero cells;
    at any optimum t_i > 0 for every zero cell that can move (adding a direction that raises it would improve the
    objective). The remaining cells are exact iff they are constant on the span of the feasible directions, the
    null space of A with the pinned cells' coordinates fixed, which one SVD gives. One LP and one SVD instead of
    two LPs per cell.
    """
    var, a = _equations(lay, withheld)
    if len(var) == 0:
        return []
    zero = np.flatnonzero(lay.values[var] <= 0)
    pinned = np.zeros(len(var), bool)
    if len(zero) and len(a):
        n, z = len(var), len(zero)
        c = np.concatenate([np.zeros(n), -np.ones(z)])
        a_eq = np.hstack([a, np.zeros((len(a), z))])
        a_ub = np.zeros((z, n + z))
        a_ub[np.arange(z), zero] = -1.0
        a_ub[np.arange(z), n + np.arange(z)] = 1.0
        bounds = [(None, None)] * n + [(0, 1)] * z
        res = linprog(c, A_ub=a_ub, b_ub=np.zeros(z), A_eq=a_eq, b_eq=np.zeros(len(a)), bounds=bounds,
                      method="highs")
        if res.status != 0:
            raise RuntimeError(f"LP for pinned zero cells failed: {res.message}")
        pinned[zero[res.x[n:] <= 1e-9]] = True
    constraints = np.vstack([a, np.eye(len(var))[pinned]]) if pinned.any() else a
    if len(constraints) == 0:
        return []
    _, sv, vt = np.linalg.svd(constraints)
    rank = int((sv > 1e-9 * max(1.0, sv.max())).sum())
    null = vt[rank:]
    fixed = pinned | (np.abs(null).max(axis=0) < 1e-9 if len(null) else np.ones(len(var), bool))
    return [int(p) for p in var[fixed]]


def _candidate(lay: _Layout, positions: np.ndarray, withheld: np.ndarray, big: float = 0.0) -> int | None:
    """The cell to withhold next among ``positions``: smallest positive interior cell, then zeros, then totals.

    With ``big`` > 0, cells of at least ``big`` come first (the smallest of them): a complementary cell must be
    able to move far enough to hide a primary one.
    """
    free = [p for p in positions if not withheld[p] and not lay.fixed[p]]
    if not free:
        return None
    return min(free, key=lambda p: (bool(lay.is_total[p]), lay.values[p] < big, lay.values[p] <= 0,
                                     lay.values[p], p))


class _Rule:
    """What a reader of the published table knows about withheld cells, and the protection required."""

    def __init__(self, min_cell: float, suppress_zeros: bool, protection: float | None):
        self.min_cell = float(min_cell)
        self.suppress_zeros = suppress_zeros
        self.primary_box = (0.0 if suppress_zeros else 1.0, max(0.0, np.ceil(self.min_cell) - 1.0))
        self.secondary_low = self.min_cell if suppress_zeros else 0.0
        full = self.primary_box[1] - self.primary_box[0]
        self.width = full if protection is None else min(float(protection), full)

    def box(self, status: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        """Bounds per position that the markers imply; widened to hold ``values`` where the counts are not whole
        numbers (a weighted 4.5 is "<5" too), so the true table always stays feasible."""
        out = np.zeros((len(status), 2))
        out[:, 1] = np.inf
        out[status == 1] = self.primary_box
        out[status == 2, 0] = self.secondary_low
        if values is not None:
            out[:, 0] = np.minimum(out[:, 0], values)
            out[:, 1] = np.maximum(out[:, 1], values)
        return out

    def failing(self, lay: _Layout, status: np.ndarray) -> list[int]:
        """Primary positions whose feasible interval is narrower than the protection width (the LP audit)."""
        primaries = np.flatnonzero(status == 1)
        if not len(primaries) or self.width <= 0 or not lay.lines:
            return []
        var, lower, upper = _intervals(lay, status > 0, self.box(status, lay.values), only=primaries)
        return [int(p) for p, lo, hi in zip(var, lower, upper)
                if p in primaries and hi - lo < self.width - 1e-9]


def _protect(lay: _Layout, primary: np.ndarray, rule: _Rule | None = None) -> np.ndarray:
    """Status per position: 0 published, 1 primary, 2 secondary."""
    status = primary.astype(int)
    if not lay.lines:
        return status
    big = 0.0 if rule is None else rule.secondary_low + rule.width
    while True:
        withheld = status > 0
        added = False
        for i in range(len(lay.lines)):
            entries = lay.entries(i)
            if withheld[entries].sum() == 1:
                p = _candidate(lay, entries, withheld)
                if p is not None:
                    status[p] = 2
                    withheld[p] = True
                    added = True
        if added:
            continue
        exact = _exact_cells(lay, withheld)
        if exact:
            p, pool = exact[0], 0.0
        else:
            weak = rule.failing(lay, status) if rule is not None else []
            if not weak:
                return status
            p, pool = weak[0], big
        options = [c for i in lay.lines_of[p] if (c := _candidate(lay, lay.entries(i), withheld, pool)) is not None]
        if not options:
            options = [c for c in [_candidate(lay, np.arange(len(lay.values)), withheld, pool)] if c is not None]
        if not options:
            return status  # everything that can be withheld is withheld
        status[min(options, key=lambda c: (bool(lay.is_total[c]), lay.values[c] < pool, lay.values[c] <= 0,
                                           lay.values[c], c))] = 2


def _primary(values: np.ndarray, min_cell: float, suppress_zeros: bool) -> np.ndarray:
    small = values < min_cell
    return small if suppress_zeros else small & (values != 0)


# --- tables ----------------------------------------------------------------------------------------------------

def _split_margins(counts: pd.DataFrame, margins_name: Sequence[str]):
    names = set(margins_name)
    mrows = [r for r in counts.index if r in names]
    mcols = [c for c in counts.columns if c in names]
    if len(mrows) > 1 or len(mcols) > 1:
        raise ValueError(f"more than one margin row or column: {mrows} {mcols}")
    inner = counts.drop(index=mrows, columns=mcols)
    return inner, (mrows[0] if mrows else None), (mcols[0] if mcols else None)


def _check_margin(found: np.ndarray, expected: np.ndarray, what: str) -> None:
    if not np.allclose(found, expected, rtol=1e-9, atol=1e-9):
        raise ValueError(f"the {what} are not the sums of the cells; complementary suppression needs additive "
                         f"totals (pass the counts behind shares or means as `counts`)")


def _layout_of(counts: pd.DataFrame, margins: bool, margins_name: Sequence[str]):
    inner, mrow, mcol = _split_margins(counts, margins_name)
    x = inner.to_numpy(dtype=float)
    if np.isnan(x).any():
        raise ValueError("counts must not be missing")
    rt = counts.loc[inner.index, mcol].to_numpy(float) if mcol is not None else None
    ct = counts.loc[mrow, inner.columns].to_numpy(float) if mrow is not None else None
    g = float(counts.loc[mrow, mcol]) if (mrow is not None and mcol is not None) else None
    if margins:
        if rt is not None:
            _check_margin(rt, x.sum(axis=1), "row totals")
        if ct is not None:
            _check_margin(ct, x.sum(axis=0), "column totals")
        if g is not None:
            _check_margin(np.array([g]), np.array([x.sum()]), "grand total")
    lay = _two_way(x, rt, ct, g, with_lines=margins)
    return lay, inner, mrow, mcol


def _status_frame(lay: _Layout, status: np.ndarray, counts: pd.DataFrame, inner: pd.DataFrame,
                  mrow, mcol) -> pd.DataFrame:
    r, c = inner.shape
    names = np.array(["", PRIMARY, SECONDARY], dtype=object)
    out = pd.DataFrame("", index=counts.index, columns=counts.columns, dtype=object)
    out.loc[inner.index, inner.columns] = names[status[:r * c].reshape(r, c)]
    n = r * c
    if mcol is not None:
        out.loc[inner.index, mcol] = names[status[n:n + r]]
    if mrow is not None:
        out.loc[mrow, inner.columns] = names[status[n + r:n + r + c]]
    if mrow is not None and mcol is not None:
        out.loc[mrow, mcol] = names[status[-1]]
    return out


def suppression_pattern(counts: pd.DataFrame | pd.Series, min_cell: int = 5, margins: bool = False, *,
                        margins_name: Sequence[str] = MARGIN_NAMES, suppress_zeros: bool = True,
                        protection: float | None = None) -> pd.DataFrame:
    """Which cells of a table of counts to withhold.

    Parameters
    ----------
    counts : DataFrame or Series
        Respondents or cases behind each cell: a two-way table (rows × columns) or a one-way Series. A row or
        column labelled with one of ``margins_name`` (pandas ``crosstab(margins=True)`` writes ``"All"``) holds
        totals that are part of the published table and may themselves be withheld.
    min_cell : int
        Cells resting on fewer than ``min_cell`` are withheld (primary suppression).
    margins : bool
        Whether row and column totals are published or implied. When True, totals not in the table are assumed
        published elsewhere (known to everyone) and complementary suppression makes sure no withheld cell can be
        derived from them. When False only primary suppression is applied.
    margins_name : sequence of str
        Labels of margin rows and columns.
    suppress_zeros : bool
        Whether zero cells count as small.
    protection : float, optional
        Protection width: the feasible interval of every primary cell, given everything published and what the
        markers say (see the module docstring, step 3), must be at least this wide. Default: the whole range a
        marker allows, ``min_cell`` − 1 (``min_cell`` − 2 when zeros are published), so that the margins tell a
        reader nothing the marker does not. Capped at that range.

    Returns
    -------
    DataFrame or Series
        Same shape as ``counts``: ``""`` (published), ``"primary"`` or ``"secondary"``. Where the protection cannot
        be reached (a small total published outside the table) every cell that may be withheld is withheld;
        :func:`audit_protection` shows what a reader can still infer.

    Examples
    --------
    C02 rests on 3 cases (primary); with the total of 35 published it would be 35 − 12 − 20, so the smallest other
    cell is withheld too (secondary):

    >>> import pandas as pd
    >>> suppression_pattern(pd.Series({"C01": 12, "C02": 3, "C03": 20, "All": 35}), min_cell=5, margins=True).to_dict()
    {'C01': 'secondary', 'C02': 'primary', 'C03': '', 'All': ''}
    """
    rule = _Rule(min_cell, suppress_zeros, protection)
    if isinstance(counts, pd.Series):
        name = [n for n in counts.index if n in set(margins_name)]
        inner = counts.drop(index=name)
        x = inner.to_numpy(dtype=float)
        total = float(counts[name[0]]) if name else None
        if margins and total is not None:
            _check_margin(np.array([total]), np.array([x.sum()]), "total")
        lay = _one_way(x, total, with_line=margins)
        status = _protect(lay, _primary(lay.values, min_cell, suppress_zeros) & ~lay.fixed, rule)
        labels = np.array(["", PRIMARY, SECONDARY], dtype=object)
        out = pd.Series("", index=counts.index, dtype=object, name=counts.name)
        out.loc[inner.index] = labels[status[:len(x)]]
        if name:
            out.loc[name[0]] = labels[status[-1]]
        return out
    lay, inner, mrow, mcol = _layout_of(counts, margins, margins_name)
    status = _protect(lay, _primary(lay.values, min_cell, suppress_zeros) & ~lay.fixed, rule)
    return _status_frame(lay, status, counts, inner, mrow, mcol)


def _withheld_status(counts: pd.DataFrame | pd.Series, pattern: pd.DataFrame | pd.Series,
                     margins_name: Sequence[str]):
    """Layout of ``counts`` (totals outside the table taken as published), status per position, and labels."""
    if isinstance(counts, pd.Series):
        name = [n for n in counts.index if n in set(margins_name)]
        inner = counts.drop(index=name)
        lay = _one_way(inner.to_numpy(float), float(counts[name[0]]) if name else None, with_line=True)
        flat = [*pattern.loc[inner.index].to_numpy(object), pattern.loc[name[0]] if name else ""]
        labels_r = [*inner.index, name[0] if name else None]
        labels_c = [counts.name] * len(labels_r)
    else:
        lay, inner, mrow, mcol = _layout_of(counts, True, margins_name)
        r, c = inner.shape
        flat = [*pattern.loc[inner.index, inner.columns].to_numpy(object).ravel(),
                *(pattern.loc[inner.index, mcol].to_numpy(object) if mcol is not None else np.full(r, "")),
                *(pattern.loc[mrow, inner.columns].to_numpy(object) if mrow is not None else np.full(c, "")),
                pattern.loc[mrow, mcol] if (mrow is not None and mcol is not None) else ""]
        labels_c = [*np.tile(np.asarray(inner.columns, dtype=object), r), *[mcol] * r, *inner.columns, mcol]
        labels_r = [*np.repeat(np.asarray(inner.index, dtype=object), c), *inner.index, *[mrow] * c, mrow]
    code = {"": 0, PRIMARY: 1, SECONDARY: 2}
    status = np.array([code[str(x)] for x in flat])
    return lay, status, labels_r, labels_c


def feasible_intervals(counts: pd.DataFrame | pd.Series, pattern: pd.DataFrame | pd.Series, *,
                       margins_name: Sequence[str] = MARGIN_NAMES, min_cell: int | None = None,
                       suppress_zeros: bool = True) -> pd.DataFrame:
    """What an intruder can infer about each withheld cell from the published cells and totals.

    Linear-programming bounds of each withheld cell over all tables that agree with every published cell and total
    (totals outside the table are taken as published): the "attacker's LP" of Hundepool et al. (2012, §4.3).

    Parameters
    ----------
    counts, pattern
        The true counts and the pattern of :func:`suppression_pattern` (two-way, or one-way Series).
    min_cell : int, optional
        When given, the intruder also knows what the markers say: a primary cell lies in [0, ``min_cell`` − 1]
        ([1, …] if zeros are published), a complementary one in [``min_cell``, ∞) ([0, ∞) if zeros are published).
        Without it, only that counts are non-negative.
    suppress_zeros : bool
        As in :func:`suppression_pattern`.

    Returns
    -------
    DataFrame
        ``row``, ``column``, ``status`` (``primary`` | ``secondary``), ``value`` (the true count), ``lower``,
        ``upper`` (``inf`` when unbounded).
    """
    lay, status, labels_r, labels_c = _withheld_status(counts, pattern, margins_name)
    box = _Rule(min_cell, suppress_zeros, None).box(status, lay.values) if min_cell is not None else None
    var, lower, upper = _intervals(lay, status > 0, box)
    names = np.array(["", PRIMARY, SECONDARY], dtype=object)
    return pd.DataFrame({"row": [labels_r[p] for p in var], "column": [labels_c[p] for p in var],
                         "status": names[status[var]], "value": lay.values[var], "lower": lower, "upper": upper})


def audit_protection(counts: pd.DataFrame | pd.Series, pattern: pd.DataFrame | pd.Series, min_cell: int = 5, *,
                     margins_name: Sequence[str] = MARGIN_NAMES, suppress_zeros: bool = True,
                     protection: float | None = None) -> pd.DataFrame:
    """The LP audit of a suppression pattern: is every primary cell's feasible interval at least the protection width?

    Parameters
    ----------
    counts, pattern, min_cell, margins_name, suppress_zeros, protection
        As in :func:`suppression_pattern` and :func:`feasible_intervals` (with the markers' bounds).

    Returns
    -------
    DataFrame
        The primary cells: ``row``, ``column``, ``value``, ``lower``, ``upper``, ``width`` (``upper − lower``),
        ``required`` (the protection width) and ``protected`` (``width >= required``).

    Examples
    --------
    Two small cells of 4 in a row whose total 20 is published beside a published 12 (issue 13, C03): "<5" says each
    is at most 4, so both must be 4, unless another cell is withheld with them.

    >>> counts = pd.DataFrame({"a": [4, 30], "b": [4, 30], "c": [12, 30]}, index=["C03", "C04"])
    >>> naive = pd.DataFrame({"a": ["primary", ""], "b": ["primary", ""], "c": ["", ""]}, index=counts.index)
    >>> audit_protection(counts, naive)[["lower", "upper", "protected"]].values.tolist()
    [[4.0, 4.0, False], [4.0, 4.0, False]]
    >>> bool(audit_protection(counts, suppression_pattern(counts, 5, margins=True))["protected"].all())
    True
    """
    rule = _Rule(min_cell, suppress_zeros, protection)
    found = feasible_intervals(counts, pattern, margins_name=margins_name, min_cell=min_cell,
                               suppress_zeros=suppress_zeros)
    out = found[found["status"] == PRIMARY].drop(columns="status").reset_index(drop=True)
    out["width"] = out["upper"] - out["lower"]
    out["required"] = rule.width
    out["protected"] = out["width"] >= rule.width - 1e-9
    return out


def _markers(min_cell: int, marker: str | None, secondary_marker: str, count: bool = True) -> dict[str, str]:
    return {PRIMARY: primary_marker(min_cell, count) if marker is None else marker, SECONDARY: secondary_marker}


def suppress_table(table: pd.DataFrame, counts: pd.DataFrame | pd.Series | str | None = None, min_cell: int = 5,
                   value_cols: Sequence[str] | None = None, margins: bool = False, *,
                   margins_name: Sequence[str] = MARGIN_NAMES, suppress_zeros: bool = True,
                   primary_marker: str | None = None, secondary_marker: str = "—") -> pd.DataFrame:
    """Withhold the cells of a published table that rest on fewer than ``min_cell`` respondents or cases.

    Key: ``survey.suppressed.cells``: the cells notebook 20 withholds with it in its tables of the satisfaction index
    by community (the report year's wave, and every wave).

    Parameters
    ----------
    table : DataFrame
        The table to publish: counts, shares or means, one row per category (index) and one column per value.
    counts : DataFrame, Series, str or None
        The respondents or cases behind each cell. None: ``table`` itself holds counts. DataFrame: aligned with
        ``table`` (index and value columns). Series (aligned on the index) or the name of a column of ``table``:
        one count per row, valid for every value column of that row (a table of means with its ``n``).
    min_cell : int
        Smallest publishable count.
    value_cols : sequence of str, optional
        Columns to protect. Default: every numeric column of ``table`` (except a ``counts`` column named by str).
    margins : bool
        Whether row/column totals are published or implied (shares adding up to 100 %): then complementary
        suppression is applied as well (:func:`suppression_pattern`). With one count per row, the rows' counts are
        treated as a one-way table with a published total.
    margins_name, suppress_zeros
        See :func:`suppression_pattern`.
    primary_marker, secondary_marker : str
        Shown instead of a withheld cell. By default ``"—"`` for a complementary cell, and for a primary one
        ``"<5"`` where the cell holds its own count (``counts`` None, or the count column named by ``counts``) and
        ``"n<5"`` where it holds a value resting on the counts (:func:`primary_marker`).

    Returns
    -------
    DataFrame
        A copy of ``table`` in which the withheld cells of the value columns hold the marker strings (so those
        columns have object dtype). A count column named by ``counts`` is withheld where its count is small.

    Examples
    --------
    >>> t = pd.DataFrame({"yes": [12, 3, 20], "no": [8, 9, 15]}, index=["C01", "C02", "C03"])
    >>> suppress_table(t, margins=True)
        yes  no
    C01   —   —
    C02  <5   —
    C03  20  15

    The 3 is withheld; the 9 beside it, else 3 = row total − 9; then 12 and 8, else the column totals would give
    the 3 and the 9 away.
    """
    cols = list(value_cols) if value_cols is not None else [
        c for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(
            table[c]) and not (isinstance(counts, str) and c == counts)]
    values_are_counts = counts is None
    out = table.copy()
    if isinstance(counts, (str, pd.Series)):
        n = table[counts] if isinstance(counts, str) else counts.reindex(table.index)
        if n.isna().any():
            raise ValueError("counts are missing for some rows")
        row_status = suppression_pattern(n.astype(float), min_cell, margins, margins_name=margins_name,
                                         suppress_zeros=suppress_zeros)
        status = pd.DataFrame({c: row_status for c in cols}, index=table.index)
        if isinstance(counts, str):
            status[counts] = row_status
            cols = [*cols, counts]
    else:
        n = table[cols] if counts is None else counts.reindex(index=table.index, columns=cols)
        if n.isna().any().any():
            raise ValueError("counts must cover every cell of the value columns")
        status = suppression_pattern(n.astype(float), min_cell, margins, margins_name=margins_name,
                                     suppress_zeros=suppress_zeros)
    for c in cols:
        col = out[c].astype(object)
        is_count = values_are_counts or (isinstance(counts, str) and c == counts)
        for code, marker in _markers(min_cell, primary_marker, secondary_marker, is_count).items():
            col[status[c] == code] = marker
        out[c] = col
    return out


def suppress_series(counts: pd.Series, min_cell: int = 5, total: bool = True, *,
                    margins_name: Sequence[str] = MARGIN_NAMES, suppress_zeros: bool = True,
                    primary_marker: str | None = None, secondary_marker: str = "—") -> pd.Series:
    """One-way version of :func:`suppress_table`: a Series of counts whose total is published.

    Parameters
    ----------
    counts : Series
        Counts per category, optionally with a total labelled by one of ``margins_name``.
    total : bool
        Whether the total is published (in the Series or elsewhere); then, if exactly one count is withheld, the
        next smallest is withheld too, and more until none can be derived.

    Returns
    -------
    Series
        Object dtype: published counts, and marker strings for withheld ones.

    Examples
    --------
    >>> suppress_series(pd.Series({"A": 3, "B": 10, "C": 25, "All": 38}))
    A      <5
    B       —
    C      25
    All    38
    dtype: object
    """
    status = suppression_pattern(counts.astype(float), min_cell, total, margins_name=margins_name,
                                 suppress_zeros=suppress_zeros)
    out = counts.astype(object).copy()
    for code, marker in _markers(min_cell, primary_marker, secondary_marker).items():
        out[status == code] = marker
    return out


def format_suppressed(table: pd.DataFrame | pd.Series, decimals: int = 1, missing: str = "—",
                      ) -> pd.DataFrame | pd.Series:
    """Render a suppressed table as strings for HTML or Word: numbers formatted, markers kept.

    Integers get thousands separators, other numbers ``decimals`` decimals, missing values ``missing``.
    """
    def fmt(v: object) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return missing
        if isinstance(v, (int, np.integer)) or (isinstance(v, (float, np.floating)) and float(v).is_integer()
                                                and decimals == 0):
            return f"{int(v):,}"
        if isinstance(v, (float, np.floating)):
            return f"{float(v):,.{decimals}f}"
        return str(v)

    if isinstance(table, pd.Series):
        return table.map(fmt).astype(object)
    return table.map(fmt).astype(object)
