"""Publishable breakdown tables of the tidy indicator layout, with small cells withheld.

The indicator functions return one tidy row per community (or category, or year) and figure; a report shows them
side by side. These helpers pivot the tidy rows into a wide table and withhold every cell that rests on fewer than
``min_cell`` cases, using :func:`evaluation.privacy.suppression.suppression_pattern` (primary and complementary
suppression). Which tidy column counts the cases behind a cell is stated per column: ``n`` for counts and rates (the
records counted), ``denominator`` for shares (the units the share is taken over: workers, activities, events).

The pivot lives here, not in the notebooks, because what a cell rests on is a property of the indicator; and the
suppression is applied to the cases, never to the displayed value (a rate of 0.3 per 1,000 may rest on 150 cases).
A rate cell and the count cell of the same community share their case counts, so they are withheld together.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4 (Wiley).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..privacy.suppression import (
    PRIMARY,
    SECONDARY,
    primary_marker,
    suppression_pattern,
)
from ._common import DISTRICT

__all__ = ["community_table", "group_table", "year_table", "cross_table", "district_rows", "estimate_text", "format_cells",
           "carried_indicators"]

Column = str | tuple[str, str] | tuple[str, str, str]


def _spec(column: Column) -> tuple[str, str]:
    return (column, "") if isinstance(column, str) else (str(column[0]), str(column[1]))


def _field(column: Column) -> str:
    return column[2] if not isinstance(column, str) and len(column) > 2 else "value"


def _is_count(key: str, field: str = "value") -> bool:
    """Whether a column shows a count of cases (``*.count``, or the ``n``/``denominator`` beside a figure), so that a
    small one reads "<5"; any other figure resting on few cases reads "n<5" (:func:`primary_marker`)."""
    return field in ("n", "denominator") or key.rsplit(".", 1)[-1] == "count"


def _withhold(values: pd.Series, status: pd.Series, min_cell: int, count: bool = True) -> pd.Series:
    out = values.astype(object).copy()
    out[status == PRIMARY] = primary_marker(min_cell, count)
    out[status == SECONDARY] = "—"
    return out


def _wide(rows: pd.DataFrame, index: str, columns: Mapping[str, Column], min_cell: int,
          cases: Mapping[str, str] | None, total: bool, suppress_zeros: bool,
          formats: Mapping[str, str] | None, intervals: Sequence[str],
          keep: Sequence[str] | None = None) -> pd.DataFrame:
    cases = dict(cases or {})
    ids = sorted(rows[index].astype(str).unique())
    if keep is not None:
        ids = [i for i in ids if i in {str(k) for k in keep}]
    out = pd.DataFrame({index: ids})
    for name, column in columns.items():
        key, group = _spec(column)
        basis = cases.get(name, "n")
        if basis not in ("n", "denominator"):
            raise ValueError(f"cases of {name!r} must be 'n' or 'denominator', not {basis!r}")
        sel = rows[rows["indicator"] == key]
        if index != "group":
            sel = sel[sel["group"] == group]
        sel = sel.set_index(sel[index].astype(str))
        if sel.index.duplicated().any():
            raise ValueError(f"{key} ({group or 'no group'}) has more than one row per {index}")
        values = sel[_field(column)].astype("float64").reindex(ids)
        counts = sel[basis].reindex(ids)
        have = counts.notna() & values.notna()
        status = pd.Series("", index=ids, dtype=object)
        if have.any():
            status[have] = suppression_pattern(counts[have].astype(float), min_cell, total,
                                               suppress_zeros=suppress_zeros)
        if formats is not None and name in formats:
            text = estimate_text(values, sel["ci_low"].reindex(ids) if name in intervals else None,
                                 sel["ci_high"].reindex(ids) if name in intervals else None, formats[name])
            out[name] = _withhold(text, status, min_cell, _is_count(key, _field(column))).to_numpy()
        else:
            out[name] = _withhold(values, status, min_cell, _is_count(key, _field(column))).to_numpy()
    return out


def community_table(frame: pd.DataFrame, columns: Mapping[str, Column], min_cell: int = 5,
                    cases: Mapping[str, str] | None = None, total: bool = True,
                    suppress_zeros: bool = True, formats: Mapping[str, str] | None = None,
                    intervals: Sequence[str] = (), keep: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per community, one column per indicator, with cells resting on fewer than ``min_cell`` withheld.

    Parameters
    ----------
    frame : DataFrame
        Tidy indicator rows (:data:`evaluation.indicators.RESULT_COLUMNS`); the district rows are left out.
    columns : mapping
        Output column name → indicator key, (indicator key, group) or (indicator key, group, tidy column) to show
        another column than ``value`` (e.g. ``n``, the records behind a rate).
    min_cell : int
        Smallest publishable number of cases.
    cases : mapping, optional
        Output column → tidy column holding the cases behind the cell: ``"n"`` (default; counts and rates) or
        ``"denominator"`` (shares, whose cases are the units the share is taken over).
    total : bool
        Whether the column's district total is published (it is, in the district rows), so that complementary
        suppression keeps a withheld cell from being worked out as total minus the rest.
    suppress_zeros : bool
        Whether a cell resting on zero cases is withheld too.
    formats : mapping, optional
        Output column → format string (``"{:.1%}"``); those columns come back as text.
    intervals : sequence of str
        Formatted columns that also show the row's interval, as ``value (low–high)``.
    keep : sequence of str, optional
        Communities to show (e.g. the current ones; shares keep legacy ids as their own rows). Complementary
        suppression is worked out among the rows shown, against the published total.

    Returns
    -------
    DataFrame
        ``community_id`` then the output columns; withheld cells hold ``"<{min_cell}"`` (primary) or ``"—"``
        (complementary), other cells the value (or its text). Communities missing an indicator get NaN there.
    """
    return _wide(frame[frame["community_id"] != DISTRICT], "community_id", columns, min_cell, cases, total,
                 suppress_zeros, formats, intervals, keep)


def group_table(frame: pd.DataFrame, columns: Mapping[str, str], min_cell: int = 5,
                cases: Mapping[str, str] | None = None, total: bool = True, suppress_zeros: bool = True,
                formats: Mapping[str, str] | None = None, intervals: Sequence[str] = (),
                community: str = DISTRICT) -> pd.DataFrame:
    """One row per ``group`` (category, activity type) of ``community``'s rows, one column per indicator key.

    As :func:`community_table`, for the breakdown rows of one community (by default the district): the row
    without a group (the total) is left out, and ``total`` says that it is published.
    """
    rows = frame[(frame["community_id"] == community) & (frame["group"] != "")]
    return _wide(rows, "group", columns, min_cell, cases, total, suppress_zeros, formats, intervals)


def year_table(frame: pd.DataFrame, columns: Mapping[str, Column], min_cell: int = 5,
               cases: Mapping[str, str] | None = None, total: bool = False, suppress_zeros: bool = True,
               formats: Mapping[str, str] | None = None, intervals: Sequence[str] = (),
               community: str = DISTRICT) -> pd.DataFrame:
    """One row per ``year`` of ``community``'s rows, one column per indicator (or (indicator, group)).

    As :func:`community_table`, for a series of years (e.g. petitions per 10,000 residents). ``total`` defaults
    to False: a sum over years is not published.
    """
    return _wide(frame[frame["community_id"] == community], "year", columns, min_cell, cases, total, suppress_zeros,
                 formats, intervals)


def cross_table(frame: pd.DataFrame, indicator: str, rows: str = "group", columns: str = "year",
                community: str = DISTRICT, min_cell: int = 5, cases: str = "n", margins: bool = True,
                suppress_zeros: bool = True, label_all: str = "") -> pd.DataFrame:
    """One indicator as a two-way table (e.g. categories × years), with small cells withheld.

    Rows of ``frame`` whose ``rows`` value equals ``label_all`` (by default the empty group, i.e. the total over
    categories) become the margin row ``"All"``, published with the table; with ``margins`` the complementary
    suppression treats the row and column totals as published (:func:`suppression_pattern`).

    Parameters
    ----------
    frame : DataFrame
        Tidy indicator rows.
    indicator : str
        Key to tabulate, e.g. ``"petitions.received.count"``.
    rows, columns : str
        Tidy columns spanning the table (``group``, ``year`` or ``community_id``).
    community : str
        The community whose rows are tabulated (default the district).
    min_cell : int
    cases : {"n", "denominator"}
        Tidy column holding the cases behind each cell.
    margins : bool
    suppress_zeros : bool
    label_all : str
        The ``rows`` value of the total row, if any.

    Returns
    -------
    DataFrame
        Index: the row labels (``"All"`` last when present); columns: the column labels; withheld cells hold
        markers as in :func:`community_table`.
    """
    sel = frame[(frame["indicator"] == indicator) & (frame["community_id"] == community)]
    if sel.empty:
        raise KeyError(f"no rows of {indicator} for {community}")
    values = sel.pivot(index=rows, columns=columns, values="value")
    counts = sel.pivot(index=rows, columns=columns, values=cases)
    if label_all in values.index:
        order = [r for r in values.index if r != label_all] + [label_all]
        values = values.loc[order].rename(index={label_all: "All"})
        counts = counts.loc[order].rename(index={label_all: "All"})
    values.index.name = rows
    if counts.isna().any().any():
        counts = counts.fillna(0.0)
        values = values.fillna(0.0)
    status = suppression_pattern(counts.astype(float), min_cell, margins, suppress_zeros=suppress_zeros)
    out = values.astype(object)
    for c in out.columns:
        out[c] = _withhold(values[c], status[c], min_cell, _is_count(indicator) and cases == "n")
    return out


def format_cells(table: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """Format the numeric cells of the named columns with a format string, keeping markers and text as they are.

    A suppressed column mixes numbers with ``"<5"``/``"—"`` markers, which a plain format string cannot take;
    missing numbers become ``"—"`` too.
    """
    out = table.copy()
    for col, fmt in formats.items():
        if col not in out.columns:
            continue

        def one(v, fmt=fmt):
            if isinstance(v, str):
                return v
            if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v)):
                return "—"
            return fmt.format(v)

        out[col] = out[col].map(one).astype(object)
    return out


def estimate_text(value, ci_low=None, ci_high=None, fmt: str = "{:,.2f}") -> pd.Series:
    """``value (low–high)`` as text for each element; the interval is left out where it is missing.

    Missing values become ``"—"``. Used for the tables of a report, where every figure that has an interval shows it.
    """
    v = pd.Series(value, dtype="float64") if not isinstance(value, pd.Series) else value.astype("float64")
    lo = pd.Series(np.nan, index=v.index) if ci_low is None else pd.Series(ci_low, index=v.index, dtype="float64")
    hi = pd.Series(np.nan, index=v.index) if ci_high is None else pd.Series(ci_high, index=v.index,
                                                                             dtype="float64")
    out = []
    for a, b, c in zip(v, lo, hi):
        if not np.isfinite(a):
            out.append("—")
        elif np.isfinite(b) and np.isfinite(c):
            out.append(f"{fmt.format(a)} ({fmt.format(b)}–{fmt.format(c)})")
        elif np.isfinite(b):
            out.append(f"{fmt.format(a)} ({fmt.format(b)}–)")   # an upper limit a band never reached
        else:
            out.append(fmt.format(a))
    return pd.Series(out, index=v.index, dtype=object)


def district_rows(frame: pd.DataFrame, keys: Sequence[Column], previous: pd.DataFrame | None = None,
                  community: str = DISTRICT) -> pd.DataFrame:
    """The district rows of the given indicator keys, in the given order, with last year's value beside them.

    Parameters
    ----------
    frame : DataFrame
        Tidy indicator rows of the report year.
    keys : sequence
        Indicator keys, or (key, group) pairs. Keys the tables did not allow are left out.
    previous : DataFrame, optional
        The same indicators for the comparison year; its value goes in ``previous``.
    community : str

    Returns
    -------
    DataFrame
        ``indicator``, ``group``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``denominator``,
        ``denominator_label``, ``note``, ``previous``.
    """
    out = []
    for column in keys:
        key, group = _spec(column)
        sel = frame[(frame["indicator"] == key) & (frame["group"] == group) & (frame["community_id"] == community)]
        if sel.empty:
            continue
        row = sel.iloc[0][["indicator", "group", "value", "se", "ci_low", "ci_high", "n", "denominator",
                           "denominator_label", "note"]].to_dict()
        row["previous"] = np.nan
        if previous is not None:
            prev = previous[(previous["indicator"] == key) & (previous["group"] == group)
                            & (previous["community_id"] == community)]
            if len(prev):
                row["previous"] = float(prev.iloc[0]["value"])
        out.append(row)
    cols = ["indicator", "group", "value", "se", "ci_low", "ci_high", "n", "denominator", "denominator_label",
            "note", "previous"]
    return pd.DataFrame(out, columns=cols)


def carried_indicators(frame: pd.DataFrame) -> list[str]:
    """Indicator keys some of whose community rows include legacy-community records split by ``pop_share``.

    The indicator functions say so in ``note`` (:func:`evaluation.indicators.counting.count_by_community`); a
    report must tell its reader that those community values are allocations, not observations.
    """
    hit = frame["note"].astype(str).str.contains("split by pop_share", regex=False)
    return sorted(frame.loc[hit, "indicator"].astype(str).unique())
