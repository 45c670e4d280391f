"""Shared plumbing of the indicator modules: the tidy result layout, "active at the end of year Y", year windows,
community subsets and population denominators.

Every indicator function returns the same tidy layout (:data:`RESULT_COLUMNS`), so notebooks can stack, filter and
render results without knowing which module made them. The definitions here are the ones pinned in
``docs/conventions.md`` ("Active at the end of Y" means start ≤ Y-12-31 and end empty or > Y-12-31).

The data cut-off (``data_cutoff``) makes every figure see the data as they stood at the cut-off: a record dated after
it is not in the data, and an end (closing, dissolution, leaving) after it has not happened yet. So "in year Y" means
in Y and on or before the cut-off (:func:`in_year`), and "active at the end of Y" means active at the earlier of
Y-12-31 and the cut-off (:func:`active_at_year_end`). :func:`cutoff_of` gives the cut-off of a report year (its last
second by default) and refuses one before the year starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "RESULT_COLUMNS",
    "DISTRICT",
    "year_end",
    "default_cutoff",
    "cutoff_of",
    "as_datetime",
    "as_number",
    "active_at_year_end",
    "in_year",
    "subset_communities",
    "population_by_community",
    "tidy",
    "result_row",
    "in_memory",
]

DISTRICT = "district"

# indicator: dotted key of docs/conventions.md; group: a breakdown within the community (category, activity type,
# station level), empty when none; n: the count in the numerator (or the sample size for means);
# denominator + denominator_label: what the value was divided by, stated so a reader can check it.
RESULT_COLUMNS = (
    "indicator", "community_id", "group", "year", "value", "se", "ci_low", "ci_high", "n", "denominator",
    "denominator_label", "note",
)


def year_end(year: int) -> pd.Timestamp:
    """The last day of ``year`` (dates in the contract are day-precise, so the day itself is inside the year)."""
    return pd.Timestamp(year=int(year), month=12, day=31)


def default_cutoff(report_year: int) -> pd.Timestamp:
    """The data cut-off of ``docs/conventions.md``: the last second of the report year."""
    return pd.Timestamp(year=int(report_year), month=12, day=31, hour=23, minute=59, second=59)


def cutoff_of(report_year: int, data_cutoff=None) -> pd.Timestamp:
    """The cut-off of ``report_year``'s figures: ``data_cutoff`` (a date reads as its first moment, 00:00) or, when
    None, :func:`default_cutoff`.

    A cut-off before 1 January of the report year would leave the year without data, every figure of it 0 or empty:
    refused. A cut-off after the year's end is accepted here (the trend of a community profile reads earlier years as
    of a later cut-off); the run parameters refuse it for the report year itself.
    """
    if data_cutoff is None:
        return default_cutoff(report_year)
    cut = pd.Timestamp(data_cutoff)
    if cut.tzinfo is not None:
        raise ValueError(f"data cut-off {data_cutoff!r} has a time zone; write it in local time (China Standard "
                         "Time) without an offset, e.g. 2024-06-30")
    if cut < pd.Timestamp(year=int(report_year), month=1, day=1):
        raise ValueError(f"data cut-off {cut:%Y-%m-%d %H:%M:%S} is before the start of report year {report_year}; "
                         f"give a cut-off on or after {report_year}-01-01")
    return cut


def as_datetime(values: pd.Series) -> pd.Series:
    """Dates as datetime64 whatever the loader or a test fixture handed over (strings, dates, datetimes)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce")


def as_number(values: pd.Series) -> pd.Series:
    """Numbers as float64 (flags and counts arrive as Int64, float or text depending on the source)."""
    return pd.to_numeric(values, errors="coerce").astype("float64")


def active_at_year_end(frame: pd.DataFrame, start: str, end: str | None, year: int,
                       cutoff: pd.Timestamp | str | None = None) -> pd.Series:
    """Rows active at the end of ``year``: ``start`` ≤ Y-12-31 and (``end`` empty or > Y-12-31).

    With a ``cutoff`` before the year's end, rows active at the cut-off instead: started on or before it and not
    ended by it (an end after the cut-off had not happened yet). A row whose start is missing counts as active from
    the beginning (registers often lack old start dates); a missing ``end`` column means nothing has ended.
    """
    cut = year_end(year)
    if cutoff is not None and pd.Timestamp(cutoff) < cut:
        cut = pd.Timestamp(cutoff)
    if start in frame.columns:
        s = as_datetime(frame[start])
        started = s.isna() | (s <= cut)
    else:
        started = pd.Series(True, index=frame.index)
    if end is not None and end in frame.columns:
        e = as_datetime(frame[end])
        running = e.isna() | (e > cut)
    else:
        running = pd.Series(True, index=frame.index)
    return (started & running).astype(bool)


def in_year(values: pd.Series, year: int, cutoff: pd.Timestamp | str | None = None) -> pd.Series:
    """True where a date falls in calendar ``year`` (and, with a ``cutoff``, on or before it)."""
    d = as_datetime(values)
    ok = d.dt.year == int(year)
    if cutoff is not None:
        ok = ok & (d <= pd.Timestamp(cutoff))
    return ok.fillna(False).astype(bool)


def subset_communities(frame: pd.DataFrame, communities: Sequence[str] | None,
                       column: str = "community_id") -> pd.DataFrame:
    """Rows of ``frame`` in ``communities`` (all rows when ``None``)."""
    if communities is None:
        return frame
    return frame[frame[column].astype(str).isin([str(c) for c in communities])]


def population_by_community(population: pd.DataFrame | None, year: int,
                            communities: Sequence[str] | None = None) -> pd.Series:
    """``resident_pop`` by community for ``year`` (empty Series when there is no population table or year)."""
    if population is None or len(population) == 0:
        return pd.Series(dtype="float64", name="resident_pop")
    pop = population[as_number(population["year"]) == int(year)]
    pop = subset_communities(pop, communities)
    out = pop.groupby(pop["community_id"].astype(str))["resident_pop"].sum()
    return as_number(out).rename("resident_pop")


def result_row(indicator: str, community_id: str = DISTRICT, year: int | None = None, value: float = np.nan, *,
               group: str = "", se: float | None = None, ci_low: float | None = None, ci_high: float | None = None,
               n: float | None = None, denominator: float | None = None, denominator_label: str = "",
               note: str = "") -> dict:
    """One row of the tidy result layout."""
    return {
        "indicator": indicator, "community_id": community_id, "group": group, "year": year, "value": value,
        "se": np.nan if se is None else se, "ci_low": np.nan if ci_low is None else ci_low,
        "ci_high": np.nan if ci_high is None else ci_high, "n": np.nan if n is None else n,
        "denominator": np.nan if denominator is None else denominator,
        "denominator_label": denominator_label, "note": note,
    }


def tidy(rows: Iterable[dict]) -> pd.DataFrame:
    """Stack result rows into the tidy layout with fixed column order and dtypes."""
    out = pd.DataFrame(list(rows), columns=list(RESULT_COLUMNS))
    for c in ("value", "se", "ci_low", "ci_high", "n", "denominator"):
        out[c] = out[c].astype("float64")
    out["year"] = out["year"].astype("Int64")
    for c in ("indicator", "community_id", "group", "denominator_label", "note"):
        out[c] = out[c].astype("object").fillna("").astype(str)
    return out.reset_index(drop=True)


def in_memory(table, columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame of ``table``: the table itself, or for a table the loader left on disk
    (:class:`~evaluation.data.lazy.ParquetTable`) the ``columns`` it holds, read through DuckDB.

    For the indicators of petitions and activities, which stay small enough for memory even in a large region (a
    region of 2,000 communities has a quarter of a million activities); reading only the needed columns keeps that
    cheap.
    """
    from ..data.lazy import frame_of, is_lazy

    if not is_lazy(table):
        return table
    return frame_of(table, [c for c in columns if c in table.columns])
