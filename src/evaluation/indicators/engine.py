"""The one engine of the indicator registry: DuckDB over a registered DataFrame or over Parquet alike.

An :class:`~evaluation.indicators.registry.Indicator` states its counting query once, in SQL over ``{t}`` (the
typed rows of its contract table) with bound parameters (``$year``, ``$cutoff`` …). :func:`source` makes ``{t}``
of either form a table can take: a DataFrame the loader read (registered with DuckDB, no copy) or a
:class:`~evaluation.data.lazy.ParquetTable` left on disk (its typed view over the files). The same query therefore
gives the same counts from both, and there is no second, pandas, statement of the definition to drift from it.

:func:`materialise` types the rows a family of figures can use into a temporary table once (an optional prefilter
and derived columns), so that several queries of one call read the files once; :func:`run` executes one query with
its parameters bound (only those the query names are passed, so callers may hand over one set for all).

References
----------
Raasveldt, M. & Mühleisen, H. (2019). DuckDB: an embeddable analytical database. SIGMOD '19, 1981–1984.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ..data.contract import table as contract_table
from ..data.lazy import ParquetTable, connect

__all__ = ["Source", "source", "materialise", "run", "compute", "bound", "connect", "community_params"]

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


@dataclass(frozen=True)
class Source:
    """One contract table as DuckDB sees it: typed SQL per column and the relation to scan.

    ``frame`` is set for a DataFrame (registered under ``view`` when the source is attached), ``parquet`` for a table
    left on disk.
    """

    name: str
    frame: pd.DataFrame | None = None
    parquet: ParquetTable | None = None
    view: str = "src"

    @property
    def columns(self) -> tuple[str, ...]:
        return self.parquet.columns if self.parquet is not None else tuple(str(c) for c in self.frame.columns)

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def typed_sql(self, column: str) -> str:
        """The typed value of contract column ``column``: the Parquet view's expression, or the DataFrame's column
        (dates and datetimes as TIMESTAMP, as the Parquet view gives them; codes as text)."""
        if self.parquet is not None:
            return self.parquet.typed_sql(column)
        if column not in self.columns:
            raise KeyError(f"{self.name} has no column {column}")
        kind = _kind(self.name, column)
        if kind in ("date", "datetime"):
            return f"CAST({_ident(column)} AS TIMESTAMP)"
        if kind in ("str", "category", "text"):
            return f"CAST({_ident(column)} AS VARCHAR)"
        return _ident(column)

    def text_source(self, column: str) -> str | None:
        """The raw text column behind ``column`` when the files hold text (for a cheap prefilter); None for a
        DataFrame, whose values are already typed."""
        return self.parquet.text_source(column) if self.parquet is not None else None

    def scan_sql(self) -> str:
        return self.parquet.scan_sql() if self.parquet is not None else self.view

    def attach(self, con: duckdb.DuckDBPyConnection, columns: Sequence[str] | None = None) -> None:
        """Register the DataFrame (only ``columns``) with ``con``; nothing to do for Parquet."""
        if self.frame is not None:
            cols = [c for c in (columns or self.columns) if c in self.frame.columns]
            frame = self.frame[cols]
            # categoricals become text, so that a code compares as a string whatever its categories
            frame = frame.assign(**{c: frame[c].astype(object) for c in cols
                                    if isinstance(frame[c].dtype, pd.CategoricalDtype)})
            con.register(self.view, frame)


def _kind(table: str, column: str) -> str:
    """The contract kind of a column; "" for a column the contract does not declare (derived, e.g. an index)."""
    try:
        return contract_table(table).column(column).kind
    except KeyError:
        return ""


def source(table: pd.DataFrame | ParquetTable | Source, name: str) -> Source:
    """The :class:`Source` of contract table ``name`` given as a DataFrame or a ParquetTable."""
    if isinstance(table, Source):
        return table
    if isinstance(table, ParquetTable):
        return Source(table.name, parquet=table)
    return Source(name, frame=table)


def materialise(con: duckdb.DuckDBPyConnection, src: Source, columns: Sequence[str], *, into: str,
                where: str | None = None, derived: Mapping[str, str] | None = None,
                params: Mapping[str, object] | None = None) -> None:
    """Type the rows of ``src`` that pass ``where`` (SQL over the raw relation) into temporary table ``into``, with
    the typed ``columns`` present in the source and the ``derived`` columns (name → SQL over the typed columns)."""
    cols = [c for c in columns if c in src]
    src.attach(con, cols)
    typed = ", ".join(f"{src.typed_sql(c)} AS {_ident(c)}" for c in cols)
    rows = f"SELECT {typed} FROM {src.scan_sql()}" + (f" WHERE {where}" if where else "")
    extra = "".join(f", {expr} AS {_ident(n)}" for n, expr in (derived or {}).items())
    sql = f"CREATE TEMP TABLE {into} AS SELECT *{extra} FROM ({rows})"
    con.execute(sql, bound(sql, params or {}))


def bound(sql: str, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters ``sql`` names, from ``params`` (DuckDB refuses values a statement does not use)."""
    names = set(_PARAM.findall(sql))
    missing = names - set(params)
    if missing:
        raise KeyError(f"the query needs parameter(s) {', '.join(sorted(missing))}")
    return {k: _value(params[k]) for k in names}


def community_params(communities: Sequence[str] | None) -> dict[str, object]:
    """The parameters of :data:`~evaluation.indicators.registry.IN_COMMUNITIES`: every community (None) or those
    listed (a list never empty, which DuckDB could not type)."""
    return {"all_communities": communities is None,
            "communities": [""] if communities is None else [str(c) for c in communities] or [""]}


def _value(v: object) -> object:
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def run(con: duckdb.DuckDBPyConnection, sql: str, table: str, params: Mapping[str, object] | None = None, *,
        arrays: bool = False) -> pd.DataFrame | dict[str, np.ndarray]:
    """Execute ``sql`` with ``{t}`` standing for ``table`` and its ``$parameters`` bound from ``params``; a DataFrame,
    or plain arrays with ``arrays`` (millions of rows: no DataFrame)."""
    text = sql.replace("{t}", table)
    res = con.execute(text, bound(text, params or {}))
    if arrays:
        return {k: np.asarray(v) for k, v in res.fetchnumpy().items()}
    return res.fetch_df()


def compute(table: pd.DataFrame | ParquetTable | Source, name: str, sql: str, columns: Sequence[str],
            params: Mapping[str, object] | None = None, *, optional: Sequence[str] = ()) -> pd.DataFrame:
    """Run ``sql`` once over contract table ``name`` (``{t}`` = its typed ``columns``), DataFrame or Parquet alike.

    A column named in ``optional`` that the table lacks is a column of NULLs (typed text), as an export without an
    optional column reads; any other missing column is an error.
    """
    src = source(table, name)
    cols = [c for c in columns if c in src]
    missing = set(columns) - set(cols) - set(optional)
    if missing:
        raise KeyError(f"{name} has no column(s) {', '.join(sorted(missing))}")
    absent = [c for c in columns if c not in src and c in optional]
    con = _connection()
    try:
        src.attach(con, cols)
        typed = ", ".join([f"{src.typed_sql(c)} AS {_ident(c)}" for c in cols] +
                          [f"CAST(NULL AS VARCHAR) AS {_ident(c)}" for c in absent])
        return run(con, sql, f"(SELECT {typed} FROM {src.scan_sql()})", params)
    except BaseException:
        _LOCAL.__dict__.pop("con", None)
        con.close()
        raise
    finally:
        if src.frame is not None and getattr(_LOCAL, "con", None) is con:
            con.unregister(src.view)  # the frame is not kept alive by the connection


# compute()'s connection, one per thread: opening a DuckDB database costs about 40 ms of CPU, and a notebook runs a
# few dozen single queries (petitions of every year, say). compute() creates no table and unregisters its frame, so
# nothing of one query is left for the next.
_LOCAL = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = connect()
    return con
