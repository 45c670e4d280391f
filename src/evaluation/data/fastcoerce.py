"""Typing a clean register fast: the same typed frame and problems as :func:`~evaluation.data.schemas.coerce_table`.

The export parsers of :mod:`evaluation.data.parsing` look at every cell in Python, which is what a messy CSV needs and
what makes a register of a million rows take a minute. A Parquet register usually holds typed numbers, and every
export (CSV and Excel too) holds few distinct text values in most columns, so here

- numbers, flags and years held as numbers are typed by whole-column NumPy operations that give exactly what the
  parsers give (NaN is missing; an infinite, fractional or too large whole number, a flag other than 0/1, a year or
  a date outside the plausible window goes to the parsers instead, which name the cell);
- text columns whose every value is ASCII without surrounding blanks (identifiers) need no normalising: only the NA
  markers become missing, by one vectorised comparison;
- any other column is typed by running :func:`~evaluation.data.schemas.coerce_column` (the parsers themselves) on
  its *distinct* values and spreading the result over the rows: each cell is typed on its own, so the values are
  the same. A distinct value with a problem sends the whole column through the parsers, so that every bad cell is
  named with its row.

A table with a totals label (合计, Total) anywhere is typed by :func:`coerce_table` itself. The rules checked on the
typed frame (ranges, codes, empty required values, keys, communities) are not touched: the loader checks the typed
frame the same way on either path. tests/data/test_fastcoerce.py compares both paths on clean and broken registers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem
from .contract import Column, Table
from .lazy import NA_MARKERS
from .parsing import MAX_EXACT_INT, TOTALS_LABELS, is_totals_label
from .schemas import _LABEL_KINDS, coerce_column, coerce_table

__all__ = ["coerce_table_fast"]

# What Python's str.strip() and the \s of the totals pattern remove from an ASCII string.
_ASCII_BLANK = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_EDGE_BLANK = f"^{_ASCII_BLANK}|{_ASCII_BLANK}$"
# The totals pattern of evaluation.data.parsing, restricted to ASCII strings (its Chinese labels are not ASCII).
_ISO = r"^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?$"
_ASCII_TOTALS = (f"^{_ASCII_BLANK}*(?:" + "|".join(x for x in TOTALS_LABELS if x.isascii()) +
                 f"){_ASCII_BLANK}*:?{_ASCII_BLANK}*$")


def coerce_table_fast(frame: pd.DataFrame, table: Table, file: str, first_data_row: int = 2,
                      date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None
                      ) -> tuple[pd.DataFrame, list[Problem], dict[str, int]]:
    """What :func:`~evaluation.data.schemas.coerce_table` returns for ``frame``, computed column-wise (module
    docstring)."""
    known = {c.name for c in table.columns}
    labels = [c.name for c in table.columns if c.kind in _LABEL_KINDS and c.name in frame.columns and not c.personal]
    labels += [c for c in frame.columns if c not in known and (frame[c].dtype == object
                                                               or pd.api.types.is_string_dtype(frame[c]))]
    if any(_has_totals(frame[c]) for c in labels):
        return coerce_table(frame, table, file, first_data_row, date_window)
    # no totals row (checked above, vectorised): the shared loop need not look for one cell by cell
    return coerce_table(frame, table, file, first_data_row, date_window,
                        typer=lambda col, raw: _fast_column(col, raw, date_window), check_totals=False)


def _arrow(s: pd.Series) -> pa.ChunkedArray | None:
    """The column as Arrow strings, or None when it holds anything else."""
    if isinstance(s.dtype, pd.StringDtype):
        arr = pa.chunked_array(s.array.__arrow_array__()) if hasattr(s.array, "__arrow_array__") else None
    elif s.dtype == object:
        try:
            arr = pa.chunked_array([pa.array(s.to_numpy(), from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    else:
        return None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


def _has_totals(s: pd.Series) -> bool:
    """Whether any cell of ``s`` is a totals label (as :func:`is_totals_label`)."""
    arr = _arrow(s)
    if arr is None:
        return bool(s.map(is_totals_label).any())
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), True)
    if pc.any(pc.and_(ascii_, pc.match_substring_regex(arr, _ASCII_TOTALS, ignore_case=True))).as_py():
        return True
    other = pc.filter(arr, pc.invert(ascii_))
    return any(is_totals_label(v) for v in pc.unique(other).to_pylist())


def _fast_column(col: Column, raw: pd.Series, window) -> tuple[pd.Series, int] | None:
    """The typed column and its number of missing-value codes, or None when the parsers must look at it."""
    if col.kind in ("int", "float", "flag") and _numeric(raw):
        return _numbers(col, raw, window)
    if col.kind in ("date", "datetime") and pd.api.types.is_datetime64_dtype(raw.dtype):
        return _timestamps(col, raw, window)
    if col.kind in ("str", "text"):
        arr = _arrow(raw)
        if arr is not None and _plain_ascii(arr):
            return raw.astype("str").mask(raw.isin(list(NA_MARKERS))), 0
    if (raw.dtype == object or isinstance(raw.dtype, pd.StringDtype)) and (arr := _arrow(raw)) is not None:
        # only strings: factorize would take 1, 1.0 and True for one value, which the parsers read apart
        # dates repeat (the parsers on the distinct ones are quickest); times of day rarely do
        got = _iso_times(col, raw, arr, window) if col.kind == "datetime" else None
        return got if got is not None else _distinct(col, raw, window)
    return None


def _timestamps(col: Column, raw: pd.Series, window) -> tuple[pd.Series, int] | None:
    """Naive timestamps (a typed Parquet export or the run's snapshot): as nanoseconds, dates at midnight; None
    when one lies outside what pandas holds or outside the window."""
    vals = raw.to_numpy()
    present = ~np.isnat(vals)
    if ((vals[present] < np.datetime64("1678-01-01")) | (vals[present] > np.datetime64("2261-12-31"))).any():
        return None
    val = pd.Series(vals.astype("datetime64[ns]"), index=raw.index, name=raw.name)
    if col.kind == "date":
        val = val.dt.normalize()
    if window is not None and (val.notna() & ((val < window[0]) | (val > window[1]))).any():
        return None
    return val, 0


def _iso_times(col: Column, raw: pd.Series, arr: pa.ChunkedArray, window) -> tuple[pd.Series, int] | None:
    """ISO dates and times (2024-05-01, 2024-05-01 08:30, 2024-05-01 08:30:00), vectorised; None for any other
    form, an impossible date, or a date outside the window (the parsers name those cells)."""
    blank = pc.or_(pc.is_null(arr), pc.fill_null(pc.is_in(arr, value_set=pa.array(NA_MARKERS)), True))
    present = pc.invert(blank)
    if not pc.all(pc.or_(blank, pc.fill_null(pc.match_substring_regex(arr, _ISO), False))).as_py():
        return None
    text = pc.if_else(present, pc.cast(arr, pa.string()), pa.scalar(None, pa.string()))
    n = pc.utf8_length(text)
    full = pc.if_else(pc.equal(n, 10), pc.binary_join_element_wise(text, " 00:00:00", ""),
                      pc.if_else(pc.equal(n, 16), pc.binary_join_element_wise(text, ":00", ""), text))
    years = pc.cast(pc.utf8_slice_codeunits(full, 0, 4), pa.int64())
    if not pc.all(pc.fill_null(pc.and_(pc.greater_equal(years, 1678), pc.less_equal(years, 2261)), True)).as_py():
        return None
    ts = pc.strptime(full, format="%Y-%m-%d %H:%M:%S", unit="ns", error_is_null=True)
    # an impossible date (2024-02-30, 25:00) does not survive the round trip
    back = pc.strftime(pc.cast(ts, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
    if not pc.all(pc.fill_null(pc.equal(back, full), pc.is_null(full))).as_py() \
            or ts.null_count != full.null_count:
        return None
    val = pd.Series(ts.to_numpy(zero_copy_only=False).astype("datetime64[ns]"), index=raw.index, name=raw.name)
    if col.kind == "date":
        val = val.dt.normalize()
    if window is not None and (val.notna() & ((val < window[0]) | (val > window[1]))).any():
        return None
    return val, 0


def _numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype)) \
        and not pd.api.types.is_bool_dtype(s.dtype)


def _plain_ascii(arr: pa.ChunkedArray) -> bool:
    """Every value ASCII without surrounding blanks: NFKC and strip leave it as it is."""
    if arr.null_count == len(arr):
        return True
    return bool(pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py()) and not bool(
        pc.any(pc.fill_null(pc.match_substring_regex(arr, _EDGE_BLANK), False)).as_py())


def _numbers(col: Column, raw: pd.Series, window) -> tuple[pd.Series, int] | None:
    """Numbers held as numbers: float64 (NaN missing), then the parsers' rules, vectorised."""
    x = raw.to_numpy(dtype="float64", na_value=np.nan)
    present = ~np.isnan(x)
    v = x[present]
    if np.isinf(v).any():
        return None  # not_finite: the parsers name the cell
    if col.kind == "flag":
        # -0.0 reads as "-0.0", which is no flag
        if not np.isin(v, (0.0, 1.0)).all() or np.signbit(v).any():
            return None
        return _ints(x, present, raw), 0
    if col.kind == "int" and ((v != np.round(v)).any() or (np.abs(v) > MAX_EXACT_INT).any()):
        return None
    if pd.api.types.is_integer_dtype(raw.dtype) and len(v) and np.abs(v).max() > MAX_EXACT_INT:
        return None  # an int64 past 2**53 is not held exactly by the float64 the parsers go through
    n_recoded = 0
    if col.missing_codes:
        coded = present & np.isin(x, np.asarray(col.missing_codes, dtype="float64"))
        n_recoded = int(coded.sum())
        x = np.where(coded, np.nan, x)
        present = present & ~coded
    if col.calendar_year and window is not None:
        lo, hi = window[0].year, window[1].year
        if ((x[present] < lo) | (x[present] > hi)).any():
            return None  # implausible_year: the parsers name the cell
    if col.kind == "float":
        return pd.Series(x, index=raw.index, name=raw.name), n_recoded
    return _ints(x, present, raw), n_recoded


def _ints(x: np.ndarray, present: np.ndarray, raw: pd.Series) -> pd.Series:
    ints = pd.arrays.IntegerArray(np.where(present, x, 0).astype("int64"), ~present)
    return pd.Series(ints, index=raw.index, name=raw.name)


def _distinct(col: Column, raw: pd.Series, window) -> tuple[pd.Series, int] | None:
    """The parsers run on the distinct values, spread over the rows; None when a value has a problem."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if len(uniques) > max(1000, len(raw) // 2):
        return None  # mostly distinct: spreading saves nothing
    values = pd.Series(uniques, dtype=raw.dtype) if not isinstance(uniques, pd.Index) else \
        pd.Series(uniques.array, dtype=raw.dtype)
    values = pd.concat([values, pd.Series([None], dtype=raw.dtype)], ignore_index=True)  # the missing cell
    plain = dataclasses.replace(col, missing_codes=())  # codes are counted per row below
    if col.missing_codes and col.calendar_year:
        return None
    typed, problems, _ = coerce_column(plain, values, "", 0, window)
    if problems:
        return None
    pos = np.where(codes < 0, len(values) - 1, codes)
    val = typed.take(pos)
    val.index = raw.index
    val.name = raw.name
    n_recoded = 0
    if col.missing_codes:
        coded = val.isin(col.missing_codes)
        n_recoded = int(coded.sum())
        if n_recoded:
            val = val.mask(coded)
    return val, n_recoded
