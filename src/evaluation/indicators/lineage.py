"""Carry rows recorded under a community that was later split to the communities that followed it.

``community_lineage`` lists splits: each (``from_id``, ``effective_date``) is one split, whose rows give the
successors (``to_id``) and the share of the population each took (``pop_share``, summing to 1 per split; the same key
the data validation checks). A split either ends the old community (the 2020 reform: L01 became C01–C05) or keeps it
under its code with the remaining share (C44 splits off C01 on 2023-01-01: rows C01→C01 0.6 and C01→C44 0.4).

Rule: a row recorded under the split community before the split's ``effective_date`` is carried to the successors; a
row dated on or after it stays with the community that recorded it (C01's own 2024 records are C01's, not shared out
with C44). A community that ended at its split has no later life, so all its rows are carried whatever their date.
Splits chain in date order: a row of L01 from 2019 goes to C01 in 2020 and then, being dated before C01's 2023
split, on to C01 and C44. A count (events, petitions, residents) is split by the product of the shares along the
chain; a rate or mean (per-capita rate, satisfaction score) is copied to every successor, since the share says
nothing about how the rate differed within the old community. The ``carried`` flag lets the report say where this
was done: a carried value is an allocation, not an observation.

The row's date is the date the community code was assigned (an event's report, a registration, a meeting). For rows
of a whole year (panels, population) the year counts as before a split when it ends before the effective date, so
the year a split takes effect in stays with the community that recorded it. A row whose date is missing counts as
recorded before every split, as a register row without a start date counts as active from the beginning
(``docs/conventions.md``). Without a date column, a split that keeps its code cannot tell the rows before it from
those after: refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import as_number

__all__ = ["carry_to_current", "splits", "continuing_ids", "record_era"]


def splits(lineage: pd.DataFrame, tolerance: float = 1e-6) -> pd.DataFrame:
    """The lineage as splits: ``from_id``, ``to_id``, ``effective_date`` (Timestamp), ``pop_share``, ``keeps``
    (the split community keeps its code), ``depth`` (0, or 1 + the depth of the split that created the community
    on the same date) and ``order`` (the order splits are applied in: by date and depth).

    Raises ValueError when the shares of a (from_id, effective_date) do not sum to 1, when a date is missing or when
    the splits form a cycle (a community that is its own ancestor).

    The result is kept for the lineage's content (its four columns' types and values, a few dozen rows) and the
    tolerance, and each call gets its own copy: every count carried (petitions of each year and category, say)
    reads the same lineage, and building the splits cost about 20 ms each time.
    """
    cols = lineage[["from_id", "to_id", "effective_date", "pop_share"]]
    key = (float(tolerance), tuple(str(t) for t in cols.dtypes),
           tuple(tuple((type(v), v) for v in row) for row in cols.itertuples(index=False, name=None)))
    try:
        hit = _SPLITS.get(key)
    except TypeError:  # a value that cannot be hashed: no cache
        return _splits(lineage, tolerance)
    if hit is None:
        hit = _splits(lineage, tolerance)
        if len(_SPLITS) >= 8:
            _SPLITS.clear()
        _SPLITS[key] = hit
    return hit.copy()


_SPLITS: dict[tuple, pd.DataFrame] = {}


def _splits(lineage: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    lin = lineage[["from_id", "to_id", "effective_date", "pop_share"]].copy()
    lin["from_id"] = lin["from_id"].astype(str)
    lin["to_id"] = lin["to_id"].astype(str)
    lin["pop_share"] = as_number(lin["pop_share"])
    lin["effective_date"] = pd.to_datetime(lin["effective_date"], errors="coerce")
    if lin["effective_date"].isna().any():
        bad = lin.loc[lin["effective_date"].isna(), "from_id"].tolist()
        raise ValueError(f"community_lineage rows without a valid effective_date (from_id {bad}); give each split "
                         "its date")
    sums = lin.groupby(["from_id", "effective_date"])["pop_share"].sum()
    bad = sums[(sums - 1).abs() > tolerance]
    if len(bad):
        sums_txt = ", ".join(f"{f} on {d:%Y-%m-%d} ({v:.4f})" for (f, d), v in bad.items())
        raise ValueError(f"pop_share does not sum to 1 for {sums_txt}")
    keys = lin[["from_id", "effective_date"]].drop_duplicates()
    keeps = lin[lin["from_id"] == lin["to_id"]][["from_id", "effective_date"]].assign(keeps=True)
    lin = lin.merge(keeps, on=["from_id", "effective_date"], how="left")
    lin["keeps"] = lin["keeps"].eq(True)
    # depth of a split among those of its date: a split of a community created that same day comes after its parent's
    # (only splits of one date constrain each other; the edges between them are few, usually none)
    depth = {(f, d): 0 for f, d in keys.itertuples(index=False)}
    same_day = [((f, d), (t, d)) for f, t, d in zip(lin["from_id"], lin["to_id"], lin["effective_date"])
                if f != t and (t, d) in depth]
    for _ in range(len(same_day) + 1):
        changed = False
        for parent, child in same_day:
            if depth[child] < depth[parent] + 1:
                depth[child] = depth[parent] + 1
                changed = True
        if not changed:
            break
    else:
        raise ValueError("community_lineage has a cycle (a community is its own ancestor); check from_id/to_id")
    _check_no_cycle(lin)
    lin["depth"] = [depth[(f, d)] for f, d in zip(lin["from_id"], lin["effective_date"])]
    # successors keep the order of the lineage file within their split
    lin = lin.sort_values(["effective_date", "depth", "from_id"], kind="stable").reset_index(drop=True)
    order = {k: i for i, k in enumerate(dict.fromkeys(zip(lin["from_id"], lin["effective_date"])))}
    lin["order"] = [order[k] for k in zip(lin["from_id"], lin["effective_date"])]
    return lin


def _check_no_cycle(lin: pd.DataFrame) -> None:
    edges: dict[str, set[str]] = {}
    for f, t in zip(lin["from_id"], lin["to_id"]):
        if f != t:
            edges.setdefault(f, set()).add(t)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise ValueError(f"community_lineage has a cycle: {' -> '.join([*path, node, nxt])}; a community "
                                 "cannot be its own ancestor")
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])


def continuing_ids(lineage: pd.DataFrame | None) -> set[str]:
    """Communities that keep their code through a split (a lineage row with ``to_id == from_id``)."""
    if lineage is None or not len(lineage):
        return set()
    f, t = lineage["from_id"].astype(str), lineage["to_id"].astype(str)
    return set(f[f == t])


def _before(dates: pd.Series, effective: pd.Timestamp) -> pd.Series:
    """True where a row's date is before ``effective`` (a missing date is: from the beginning); a whole year (an
    integer) is before when it ends before it."""
    if pd.api.types.is_numeric_dtype(dates) and not pd.api.types.is_bool_dtype(dates):
        years = as_number(dates)
        return (years.isna() | (years < effective.year)).astype(bool)
    d = pd.to_datetime(dates, errors="coerce")
    return (d.isna() | (d < effective)).astype(bool)


def record_era(ids: pd.Series, dates: pd.Series, lineage: pd.DataFrame) -> pd.Series:
    """For each record, a stand-in date that every split treats as it treats the record's own date: the day before
    the next split of its community after the record's date, or the community's last split date when the record
    comes after them all (NaT for communities that never split, whose rows never move).

    A community that ended at a split has all its rows before it (they are carried whatever their date), so they
    share one stand-in and later splits of its successors see them as older. Grouping records by (community, era)
    before counting lets a count, a distinct count too, be carried exactly.
    """
    sp = splits(lineage)
    out = pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns]")
    ids = ids.astype(str)
    for cid, g in sp.groupby("from_id"):
        mask = (ids == cid).to_numpy()
        if not mask.any():
            continue
        eff = sorted(pd.Timestamp(e) for e in g["effective_date"].unique())
        d = dates[mask]
        era = pd.Series(eff[-1], index=d.index, dtype="datetime64[ns]")
        for e in reversed(eff):
            era[_before(d, e).to_numpy()] = e - pd.Timedelta(days=1)
        out[mask] = era.to_numpy()
    return out


def carry_to_current(frame: pd.DataFrame, lineage: pd.DataFrame, counts: Sequence[str] = (),
                     rates: Sequence[str] = (), id_column: str = "community_id",
                     tolerance: float = 1e-6, date_column: str | None = None) -> pd.DataFrame:
    """Map rows of split communities onto their successors (module docstring: dated rows, chains).

    Parameters
    ----------
    frame : DataFrame
        A community-level series (e.g. one row per community and year) with ``id_column``.
    lineage : DataFrame
        ``community_lineage``: from_id, to_id, effective_date, pop_share.
    counts : sequence of str
        Columns split by ``pop_share`` (additive quantities).
    rates : sequence of str
        Columns copied unchanged to each successor (rates, means, shares).
    id_column : str
    tolerance : float
        Allowed deviation of a split's shares from 1.
    date_column : str, optional
        The date each row was recorded (datetimes, or integer years for rows of a whole year). Needed when a
        community keeps its code through a split; without it every row of a split community is carried.

    Returns
    -------
    DataFrame
        ``frame`` with carried rows replaced by one row per successor; ``id_column`` holds the successor,
        ``from_id`` the community that recorded the row (empty when not carried), ``pop_share`` the share used (the
        product along a chain) and ``carried`` a bool flag. Other columns are copied as they are.
    """
    overlap = set(counts) & set(rates)
    if overlap:
        raise ValueError(f"columns cannot be both counts and rates: {sorted(overlap)}")
    needed = (*counts, *rates, id_column, *([date_column] if date_column else []))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    sp = splits(lineage, tolerance)
    data = frame.copy()
    data[id_column] = data[id_column].astype(str)
    work = data.copy()
    work["_row"] = np.arange(len(work))
    work["_share"] = 1.0
    work["_origin"] = ""
    # the splits of one date and depth touch distinct communities, so they are applied together
    for (eff, _), g in sp.groupby(["effective_date", "depth"], sort=True):
        ids = work[id_column]
        hit = ids.isin(set(g["from_id"])).to_numpy().copy()
        keep_ids = set(g.loc[g["keeps"], "from_id"])
        if keep_ids and hit.any():
            if date_column is None:
                raise ValueError(f"{', '.join(sorted(keep_ids & set(ids)))} keep their code through a split on "
                                 f"{eff:%Y-%m-%d}: the rows need their date (date_column) to tell those recorded "
                                 "before the split from those after")
            hit = hit & (~ids.isin(keep_ids) | _before(work[date_column], eff)).to_numpy()
        if not hit.any():
            continue
        moved = work[hit].merge(g[["from_id", "to_id", "pop_share"]].rename(columns={"from_id": "_f"}),
                                left_on=id_column, right_on="_f", how="inner")
        moved["_origin"] = moved["_origin"].where(moved["_origin"] != "", moved["_f"])
        moved["_share"] = moved["_share"] * moved["pop_share"]
        moved[id_column] = moved["to_id"]
        moved = moved.drop(columns=["_f", "to_id", "pop_share"])
        work = pd.concat([work[~hit], moved], ignore_index=True)
    # the rows that stay, in their order, then the carried ones by original row, each row's successors in lineage
    # order (sums over them then add in the same order whatever the lineage)
    moved = work["_origin"] != ""
    kept = work[~moved].sort_values("_row", kind="stable").copy()
    kept["from_id"] = ""
    kept["pop_share"] = np.nan
    kept["carried"] = False
    old = work[moved].sort_values("_row", kind="stable").copy()
    for c in counts:
        old[c] = as_number(old[c]) * old["_share"]
    old["from_id"] = old["_origin"]
    old["pop_share"] = old["_share"]
    old["carried"] = True
    extra = ["from_id", "pop_share", "carried"]
    cols = [c for c in data.columns if c not in extra] + extra
    out = pd.concat([kept[cols], old[cols]], ignore_index=True)
    out["carried"] = out["carried"].astype(bool)
    return out
