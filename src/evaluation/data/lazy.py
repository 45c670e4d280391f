"""Large contract tables kept on disk as Parquet and read through DuckDB, column by column, only when asked.

A region of thousands of communities has tens of millions of grid events. Reading them into pandas the way the
loader reads a district (every value parsed by the messy-export parsers of :mod:`evaluation.data.parsing`) would take
minutes and gigabytes, although the indicators need only a few aggregates. So the loader keeps a large table of
grid events, petitions or activities as a :class:`ParquetTable`: the list of Parquet files, which source column holds
which contract column, and one typed SQL expression per column (:func:`typed_expr`). Indicator code asks DuckDB for
aggregates over that typed view (:meth:`ParquetTable.query`) and never holds the rows.

The typed view is exact only for values written in the canonical form of the contract (ISO dates, plain numbers,
0/1 flags, the English codes, NFKC-stable text): :mod:`evaluation.data.stream` checks every row of the file against
that form while it validates, and the loader reads a table lazily only when every value passed, otherwise it reads it
the ordinary way (slow but exact). Blank cells and the usual NA markers are missing values in both paths.

DuckDB (not pandas with pyarrow) because grouping 10 million rows by community and category is what it is built for
and it spills to disk instead of running out of memory; pyarrow reads the Parquet metadata (row counts, schema).

References
----------
Raasveldt, M. & Mühleisen, H. (2019). DuckDB: an embeddable analytical database. SIGMOD '19, 1981–1984.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .contract import Column, Table
from .parsing import LOCAL_TZ

__all__ = ["LAZY_TABLES", "DEFAULT_LAZY_ROWS", "NA_MARKERS", "ISO_FORMATS", "ParquetTable", "connect", "parquet_parts",
           "parquet_rows", "parquet_schema", "typed_expr", "sql_string", "is_lazy", "frame_of"]

# Tables that grow with the population and the years (the registers and the survey stay small enough for pandas).
LAZY_TABLES = ("grid_events", "petitions", "activities")
# Above this many rows a Parquet table of LAZY_TABLES is kept on disk; the bundled district (72,717 grid events)
# stays well below it, so its tables remain DataFrames and its results do not change.
DEFAULT_LAZY_ROWS = 1_000_000
# The blank markers of evaluation.data.parsing.blank_to_na (after stripping).
# The date forms read by the typed view: a subset of what evaluation.data.parsing.parse_dates reads, with the same
# result, so a value the view reads is read the same way by the pandas path.
ISO_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d']"
NA_MARKERS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-", "—", "无数据")


def connect(memory_limit: str = "2GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a memory cap (it spills to a temporary directory beyond it)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def parquet_parts(path: Path) -> tuple[Path, ...]:
    """The Parquet files of a table: the file itself, or the ``*.parquet`` files of a folder (chunked output)."""
    path = Path(path)
    if path.is_dir():
        return tuple(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".parquet"))
    return (path,)


def parquet_rows(paths: Sequence[Path]) -> int:
    """Rows in the Parquet files, from their footers (nothing is read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def parquet_schema(paths: Sequence[Path]) -> pa.Schema:
    """The Arrow schema of the first file (chunks of one table share it)."""
    return pq.ParquetFile(paths[0]).schema_arrow


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t) or (
        pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)))


def _blank_to_null(src: str) -> str:
    # Canonical values carry no surrounding blanks (the stream validator sends those to the pandas parsers), so only
    # the short NA markers need trimming; the length test keeps the trim off the long values.
    markers = ", ".join(sql_string(m) for m in NA_MARKERS)
    x = f"CAST({src} AS VARCHAR)"
    return f"CASE WHEN length({x}) <= 6 AND trim({x}) IN ({markers}) THEN NULL ELSE {x} END"


def typed_expr(col: Column, src: str, source_type: pa.DataType) -> str:
    """SQL for the typed value of contract column ``col`` read from source column ``src`` of Arrow type
    ``source_type``: what :func:`evaluation.data.schemas.coerce_table` makes of a canonical value.

    Dates and datetimes become TIMESTAMP (dates at midnight; zone-aware ones in China Standard Time), numbers DOUBLE
    with the column's missing codes and NaN as NULL, flags 0/1 integers, codes and text trimmed strings; blanks, NA
    markers and a column's "none" words (co-organisers 无, /, 暂无) become NULL.
    """
    s = _ident(src)
    text = _is_text(source_type)
    if col.kind in ("date", "datetime"):
        if text:
            ts = f"try_strptime({_blank_to_null(s)}, {ISO_FORMATS})"
        elif pa.types.is_timestamp(source_type) and source_type.tz is not None:
            # as the pandas path: China Standard Time, then the zone dropped (DuckDB's own cast would use the
            # session's time zone, which is the machine's)
            ts = f"timezone({sql_string(LOCAL_TZ)}, {s})"
        else:
            ts = f"CAST({s} AS TIMESTAMP)"
        return f"CAST(CAST({ts} AS DATE) AS TIMESTAMP)" if col.kind == "date" else ts
    if col.kind in ("int", "float", "flag"):
        # NaN in a Parquet float column is a missing value, as in pandas
        num = f"TRY_CAST({_blank_to_null(s)} AS DOUBLE)" if text else \
            f"CASE WHEN isnan(CAST({s} AS DOUBLE)) THEN NULL ELSE CAST({s} AS DOUBLE) END"
        if col.kind == "flag":
            return f"CAST({num} AS INTEGER)"
        if col.missing_codes:
            codes = ", ".join(repr(float(c)) for c in col.missing_codes)
            return f"CASE WHEN {num} IN ({codes}) THEN NULL ELSE {num} END"
        return num
    if col.none_values:
        nones = ", ".join(sql_string(unicodedata.normalize("NFKC", m).lower()) for m in col.none_values)
        x = _blank_to_null(s)
        return f"CASE WHEN lower(trim({x})) IN ({nones}) THEN NULL ELSE {x} END"
    return _blank_to_null(s)


@dataclass(frozen=True)
class ParquetTable:
    """A contract table left on disk as Parquet; query it with DuckDB through its typed view.

    Parameters
    ----------
    table : Table
        The contract table.
    paths : tuple of Path
        Its Parquet file(s).
    sources : tuple of (contract column, source column, Arrow type)
        The contract columns present in the files (personal and free-text columns are left out: the indicators
        never read them, so they are never pseudonymised or masked).
    n_rows : int
    """

    table: Table
    paths: tuple[Path, ...]
    sources: tuple[tuple[str, str, pa.DataType], ...]
    n_rows: int

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _, _ in self.sources)

    def __len__(self) -> int:
        return self.n_rows

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def typed_sql(self, column: str) -> str:
        """SQL for the typed value of contract column ``column`` over the raw files (see :func:`typed_expr`)."""
        for name, src, typ in self.sources:
            if name == column:
                return typed_expr(self.table.column(name), src, typ)
        raise KeyError(f"{self.name} has no column {column}")

    def text_source(self, column: str) -> str | None:
        """The quoted raw column behind ``column`` when the files hold it as text (else None)."""
        for name, src, typ in self.sources:
            if name == column:
                return _ident(src) if _is_text(typ) else None
        raise KeyError(f"{self.name} has no column {column}")

    def scan_sql(self) -> str:
        files = ", ".join(sql_string(str(p)) for p in self.paths)
        return f"read_parquet([{files}])"

    def select_sql(self, columns: Sequence[str] | None = None) -> str:
        """``SELECT`` of the typed contract columns (all present ones by default) over the Parquet files."""
        wanted = self.columns if columns is None else tuple(columns)
        exprs = []
        for name, src, typ in self.sources:
            if name in wanted:
                exprs.append(f"{typed_expr(self.table.column(name), src, typ)} AS {_ident(name)}")
        missing = set(wanted) - set(self.columns)
        if missing:
            raise KeyError(f"{self.name} has no column(s) {', '.join(sorted(missing))}")
        return f"SELECT {', '.join(exprs)} FROM {self.scan_sql()}"

    def query(self, sql: str, con: duckdb.DuckDBPyConnection | None = None,
              columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Run ``sql``, in which ``{t}`` stands for the typed view (restricted to ``columns`` when given)."""
        own = con is None
        con = connect() if own else con
        try:
            return con.execute(sql.replace("{t}", f"({self.select_sql(columns)})")).fetch_df()
        finally:
            if own:
                con.close()

    def to_pandas(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Materialise the typed view (codes as categoricals), e.g. for a small community subset."""
        out = self.query("SELECT * FROM {t}", columns=columns)
        for c in out.columns:
            if self.table.column(c).kind == "category":
                out[c] = out[c].astype("category")
        return out


def is_lazy(table: object) -> bool:
    """True for a table left on disk (:class:`ParquetTable`), False for a DataFrame."""
    return isinstance(table, ParquetTable)


def frame_of(table: pd.DataFrame | ParquetTable, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame whatever the loader handed over (materialising a lazy table, only ``columns`` if given)."""
    if isinstance(table, ParquetTable):
        return table.to_pandas(columns)
    return table if columns is None else table[list(columns)]
