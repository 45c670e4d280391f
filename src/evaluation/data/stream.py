"""Streaming validation of a large table: Parquet by record batches, CSV by chunks, bounded memory.

The in-memory loader types every cell with the parsers of :mod:`evaluation.data.parsing` and checks the typed frame
with pandera. At ten million rows that is minutes of Python per column. Here each batch goes first through one
DuckDB query that flags the rows needing a closer look:

- *form* flags: a value not in the contract's canonical form (a date that is not ISO, a number with separators, a
  flag other than 0/1, a code other than the English code, text that NFKC would change);
- *rule* flags: an empty required value, a value out of range or outside the code list, an unknown community, a
  later time before an earlier one, a closed event without a closing time (and the reverse, a warning), an interview
  far from its wave, a date or year outside the plausible window, a totals label (合计, Total) in a label column;
  and, with the form flags, infinite numbers and whole numbers past 2**53 (1e30, 2**63), so that they are refused
  exactly as in memory.

Only the flagged rows (normally none) then go through the very same pandas steps as the loader
(:func:`~evaluation.data.schemas.coerce_table`, :func:`~evaluation.data.schemas.check_table`,
:func:`~evaluation.data.validate.cross_table_problems`), so a problem reads exactly as it would in a small file, with
its file, spreadsheet row, column and fix. Duplicate keys need the whole file: the typed keys of every batch go into a
DuckDB table, and one ``GROUP BY … HAVING count(*) > 1`` finds them (DuckDB spills to disk past its memory cap).

A clean Parquet file (the usual large file) is checked in one pass over all its rows, and three shortcuts keep that
pass near the cost of reading the file, each giving the same verdict as the query above (the ten million grid
events of the scale benchmark: 10 CPU seconds before, under 4 after):

- a column holding few distinct values (codes, communities, categories: a small Parquet dictionary) has its own
  checks run once per distinct value instead of once per row (:func:`_settled`); only the checks between columns
  (times in order, a closed event's closing time) stay in the pass over the rows;
- the totals label is looked for only in values whose first characters can begin one (:func:`_totals_flag`);
- a key that strictly increases down the file cannot repeat, and a key of plain ASCII identifiers raises no flag of
  its own (:func:`_key_scan`, one read of the key column by pyarrow); other keys are grouped by their hash first, and
  by their values only when two rows share a hash.

Only the first ``first_k`` problems are kept, with a count of every (rule, column), so that a file with a million bad
cells still gives a short, readable report ("… and 12,345 more in column reported_at").

The report also says whether every row was in canonical form (:attr:`StreamReport.canonical`): only then may the
loader leave the table on disk for DuckDB (:class:`~evaluation.data.lazy.ParquetTable`), whose typed view reads
canonical values exactly as the pandas parsers do.

Not covered here (the loader checks them on the small tables): lineage shares, and service hours of unknown
volunteers.

A Parquet file found clean is remembered (:func:`verdict_cache_dir`): loading the same, unchanged file again skips the
pass. The verdict is keyed by each file's path, size and modification time and by the exact checks run (the flag
query, which spells out every rule, the key and missing-code columns, the community register, DuckDB's version), so
a changed file, register or rule is checked again. Only clean verdicts are kept; a file with any problem is always
read again, so its report is always fresh.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import Problem
from .contract import COMMUNITY_FK, Column, Table
from .lazy import (NA_MARKERS, _blank_to_null, _ident, _is_text, connect, parquet_parts, parquet_schema, sql_string,
                   typed_expr)
from .parsing import _TOTALS_RE, MAX_EXACT_INT, TOTALS_LABELS
from .readers import RawTable, _duplicate_headers, _encoding_problem, decode_export, map_headers
from .schemas import check_table, coerce_table, duplicate_key_problem
from .validate import cross_table_problems

__all__ = ["StreamReport", "validate_stream", "verdict_cache_dir", "DEFAULT_BATCH_ROWS", "DEFAULT_FIRST_K",
           "CACHE_ENV"]

DEFAULT_BATCH_ROWS = 500_000
# Where clean verdicts are kept: a folder, or "off" to keep none (default: $XDG_CACHE_HOME/jinlin/validated).
CACHE_ENV = "JINLIN_VALIDATION_CACHE"
_CACHE_FORMAT = 1
DEFAULT_FIRST_K = 50

_ISO_DATETIME = r"\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,6})?)?)?"
_PLAIN_NUMBER = r"-?\d+(\.\d+)?"
# Surrounding blanks, and characters that NFKC would change in Chinese exports: full-width ASCII, the ideographic space, CJK compatibility
# ideographs, circled and parenthesised numbers, Roman numerals, no-break and typographic spaces.
_NON_NFKC = r"^\s|\s$|[\x{3000}\x{FF01}-\x{FFEF}\x{F900}-\x{FAFF}\x{2460}-\x{24FF}\x{2150}-\x{218F}\x{00A0}\x{2000}-\x{200B}]"


@dataclass(frozen=True)
class StreamReport:
    """The outcome of :func:`validate_stream`.

    ``problems`` holds the first ``first_k`` problems in file order; ``counts`` every (severity, rule, column) with
    its number of problems; ``canonical`` is True when every value was in canonical form; ``recoded`` counts the
    missing-value codes (8/9, 98/99) per column; ``columns`` maps contract columns onto the file's headers
    (personal columns, which are not checked, are listed in ``personal``).
    """

    table: str
    file: str
    rows: int
    problems: tuple[Problem, ...]
    counts: tuple[tuple[str, str, str | None, int], ...]
    canonical: bool
    recoded: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    header_problems: tuple[Problem, ...] = ()
    personal: tuple[str, ...] = ()

    @property
    def n_errors(self) -> int:
        return sum(n for sev, _, _, n in self.counts if sev == "error")

    @property
    def n_warnings(self) -> int:
        return sum(n for sev, _, _, n in self.counts if sev == "warning")

    def counts_frame(self) -> pd.DataFrame:
        """Problems per severity, rule and column."""
        return pd.DataFrame(list(self.counts), columns=["severity", "rule", "column", "count"])

    def summary(self) -> list[Problem]:
        """The problems shown, plus one line per (rule, column) saying how many more there are."""
        shown = Counter((p.severity, p.rule, p.column) for p in self.problems)
        out = list(self.header_problems) + list(self.problems)
        for sev, rule, col, n in self.counts:
            more = n - shown.get((sev, rule, col), 0)
            if more > 0:
                where = f" in column {col}" if col else ""
                out.append(Problem(self.file, None, col, sev, rule,
                                   f"… and {more:,} more {rule} problem(s){where} (only the first "
                                   f"{len(self.problems)} problems of the file are listed)",
                                   "fix the rows listed, then run jinlin validate again to see the rest",
                                   f"……{col + ' 列' if col else ''}另有 {more:,} 处 {rule} 问题（只列出该文件的前 "
                                   f"{len(self.problems)} 处问题）",
                                   "改正已列出的行，再运行 jinlin validate 查看其余问题"))
        return out


def _batches_parquet(path: Path, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    for part in parquet_parts(path):
        for b in pq.ParquetFile(part).iter_batches(batch_size=batch_rows, columns=columns):
            yield pa.Table.from_batches([b])


def _csv_encoding(path: Path) -> tuple[str | None, Problem | None]:
    """The encoding of a large CSV, decided on its first MiB (the chunked reader then decodes the rest strictly)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if len(head) == 1 << 20:
        head = head[: head.rfind(b"\n") + 1] or head
    decoded = decode_export(head)
    if decoded.text is None:
        return None, _encoding_problem(path.name, head, decoded)
    return decoded.encoding, None


def _batches_csv(path: Path, encoding: str, batch_rows: int) -> Iterator[pa.Table]:
    reader = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding=encoding,
                         chunksize=batch_rows)
    for chunk in reader:
        yield pa.Table.from_pandas(chunk.astype(object), preserve_index=False)


def _guard_encoding(batches: Iterable[pa.Table], file: str, encoding: str | None, offset, first: int,
                    problems: list[Problem], counts: Counter) -> Iterator[pa.Table]:
    """The batches, stopping with an encoding problem where a large CSV stops being the encoding of its first MiB."""
    try:
        yield from batches
    except UnicodeDecodeError:
        after = offset()
        problems.append(Problem(file, None, None, "error", "encoding",
                                f"the file stops being {encoding} text after row {after + first - 1:,} (in the "
                                "next batch of rows): it mixes encodings or has a damaged byte",
                                "re-export the whole table as CSV UTF-8 (in Excel: Save As → CSV UTF-8)",
                                f"文件在第 {after + first - 1:,} 行之后（下一批行中）不再是 {encoding} 文本：混用了编码或有"
                                "损坏的字节",
                                "把整张表重新导出为 CSV UTF-8（Excel：另存为 → CSV UTF-8）"))
        counts[("error", "encoding", None)] += 1


def _form_flag(col: Column, typ: pa.DataType, raw: str, p: str, n: str, v: str) -> str | None:
    """SQL true where the value is present but not in canonical form (the pandas parsers must look at it).

    ``raw`` is the source column, ``p`` its presence flag, ``n`` its number (numeric kinds) and ``v`` its typed value.
    """
    text = _is_text(typ)
    if col.kind in ("date", "datetime"):
        return f"({p} AND {v} IS NULL)" if text else None
    if col.kind in ("int", "float"):
        flag = f"({p} AND {n} IS NULL)" if text else None
        # infinite values, and whole numbers past 2**53 (1e30, 2**63), go to the pandas path, which refuses them
        wild = f"(isinf({n}))" if col.kind == "float" else \
            f"({n} <> round({n}) OR isinf({n}) OR abs({n}) > {float(MAX_EXACT_INT)!r})"
        return wild if flag is None else f"({flag} OR {wild})"
    if col.kind == "flag":
        return f"({p} AND ({n} IS NULL OR {n} NOT IN (0, 1)))"
    if col.kind == "category" and col.allowed is not None:
        codes = ", ".join("'" + a + "'" for a in col.allowed)
        return f"({p} AND {v} NOT IN ({codes}))"
    if text:
        # An ASCII value (as many bytes as characters) can only be off by a blank or control character at either
        # end (what str.strip() removes, and a little more); only the others need the regular expression.
        x = f"CAST({raw} AS VARCHAR)"
        return (f"({p} AND CASE WHEN strlen({x}) = length({x}) THEN ascii({x}[1]) <= 32 OR ascii({x}[-1]) <= 32 "
                f"ELSE regexp_matches({x}, '{_NON_NFKC}') END)")
    return None


# The totals pattern is anchored, so a value that can match starts with a blank or with a label: a value whose first
# character is printable ASCII and whose first two characters, lower-cased, begin no label cannot match, and only the
# others meet the regular expression (3 of the 8 CPU seconds of checking ten million grid events); the flag is the
# same. Under RE2's case folding only ſ (s) and K (Kelvin sign, k) stand for ASCII letters, and neither is ASCII nor
# lower-cases to another letter, so they cannot hide a label behind an ASCII first character: the labels' second
# letters (o, u, r) have no such stand-in (tests/data/test_stream.py checks the flag against the pattern).
_TOTALS_FIRST = sorted({ord(c) for x in TOTALS_LABELS if x[0].isascii() for c in (x[0].lower(), x[0].upper())})
_TOTALS_PREFIX = sorted({x[:2].lower() for x in TOTALS_LABELS if x[0].isascii()})


def _totals_flag(x: str) -> str:
    """SQL true where the string ``x`` is a totals label (合计, Total): ``_TOTALS_RE`` as RE2 reads it."""
    printable = f"ascii({x}) BETWEEN 33 AND 127"
    first = ", ".join(map(str, _TOTALS_FIRST))
    prefix = ", ".join(map(sql_string, _TOTALS_PREFIX))
    return (f"(CASE WHEN {printable} AND ascii({x}) NOT IN ({first}) THEN false "
            f"WHEN {printable} AND lower({x}[1:2]) NOT IN ({prefix}) THEN false "
            f"ELSE regexp_matches({x}, {sql_string(_TOTALS_RE.pattern)}, 'i') END)")


def _rule_flags(table: Table, v: dict[str, str], check_communities: bool,
                date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                settled: frozenset[str] = frozenset()) -> list[str]:
    flags: list[str] = []
    for col in table.columns:
        if col.name not in v or col.name in settled:
            continue
        x = v[col.name]
        if col.kind in ("date", "datetime") and date_window is not None:
            lo, hi = (sql_string(str(t)) for t in date_window)
            flags.append(f"({x} < CAST({lo} AS TIMESTAMP) OR {x} > CAST({hi} AS TIMESTAMP))")
        if col.calendar_year and date_window is not None:
            flags.append(f"({x} < {date_window[0].year} OR {x} > {date_window[1].year})")
        if col.kind in ("str", "category", "text"):
            flags.append(_totals_flag(f"CAST({x} AS VARCHAR)"))
        if not col.may_be_empty:
            flags.append(f"({x} IS NULL)")
        if col.min is not None:
            flags.append(f"({x} < {float(col.min)!r})")
        if col.max is not None:
            flags.append(f"({x} > {float(col.max)!r})")
        if col.foreign_key == COMMUNITY_FK and check_communities:
            flags.append(f"({x} IS NOT NULL AND known_{col.name}.community_id IS NULL)")
    for early, late in table.order:
        if early in v and late in v:
            flags.append(f"({v[late]} < {v[early]})")
    if table.name == "grid_events" and {"status", "closed_at"} <= set(v):
        flags.append(f"(({v['status']} = 'closed') <> ({v['closed_at']} IS NOT NULL))")
    if table.name == "survey_responses" and {"interview_date", "wave"} <= set(v):
        flags.append(f"(abs(year({v['interview_date']}) - {v['wave']}) > 1)")
    return flags


def _flag_sql(table: Table, cols: list[Column], src_of: dict[str, str], types: dict[str, pa.DataType],
              check_communities: bool, date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
              settled: frozenset[str] = frozenset()) -> tuple[str, dict[str, str]]:
    """One query over batch ``b``: row index, typed values, and the form and rule flags of every row.

    Returns the query of the typed batch (``__i``, ``v0`` …, ``form``, ``rule``) and the typed column names.
    ``settled``: columns whose own flags (every flag but those between columns) are known to be false on every row
    (:func:`_settled`) and are left out.
    """
    inner = ["__i"]
    v: dict[str, str] = {}
    form: list[str] = []
    for i, c in enumerate(cols):
        raw, typ = _ident(src_of[c.name]), types[src_of[c.name]]
        inner.append(f"{raw} AS r{i}")
        inner.append(f"({_blank_to_null(raw)} IS NOT NULL) AS p{i}")
        inner.append(f"{typed_expr(c, src_of[c.name], typ)} AS v{i}")
        if c.kind in ("int", "float", "flag"):
            num = f"TRY_CAST({_blank_to_null(raw)} AS DOUBLE)" if _is_text(typ) else f"CAST({raw} AS DOUBLE)"
            inner.append(f"{num} AS n{i}")
        v[c.name] = f"v{i}"
        if c.name not in settled and (f := _form_flag(c, typ, f"r{i}", f"p{i}", f"n{i}", f"v{i}")) is not None:
            form.append(f)
    rules = _rule_flags(table, v, check_communities, date_window, settled)
    joins = ""
    if check_communities:
        joins = " ".join(f"LEFT JOIN known AS known_{c.name} ON s.{v[c.name]} = known_{c.name}.community_id"
                         for c in cols if c.foreign_key == COMMUNITY_FK and c.name not in settled)
    sql = (f"SELECT s.*, ({' OR '.join(form) or 'false'}) AS form, ({' OR '.join(rules) or 'false'}) AS rule "
           f"FROM (SELECT {', '.join(inner)} FROM b) AS s {joins}")
    return sql, v


# A Parquet text column stored in fewer bytes per row than this holds few distinct values (a dictionary and small
# indices): its own checks are run on its distinct values (:func:`_settled`). A guess that decides only the speed:
# a column of many values checked by its distinct values, or one of few checked row by row, gets the same verdict.
_FEW_VALUES_BYTES_PER_ROW = 4.0


def _settled(con, parts: tuple[Path, ...], scan: str, flag_sql, cols: list[Column], src_of: dict[str, str],
             types: dict[str, pa.DataType]) -> frozenset[str]:
    """The columns of few distinct values none of which raises a flag of its own column.

    A column's own flags (form, code list, empty, totals label, unknown community …) depend on its value alone, so
    the query of one column over its distinct values (``SELECT DISTINCT``, the missing value included) raises one
    exactly when some row would raise it. DuckDB runs most string functions once per dictionary entry, but not
    regular expressions nor joins; on ten million grid events the totals labels and community codes of the six
    code columns cost more than the rest of the query.
    """
    sizes: dict[str, int] = {}
    rows = 0
    for p in parts:
        meta = pq.ParquetFile(p).metadata
        rows += meta.num_rows
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for j in range(rg.num_columns):
                cc = rg.column(j)
                sizes[cc.path_in_schema] = sizes.get(cc.path_in_schema, 0) + cc.total_uncompressed_size
    few = [c for c in cols if _is_text(types[src_of[c.name]])
           and sizes.get(src_of[c.name], rows * _FEW_VALUES_BYTES_PER_ROW) < rows * _FEW_VALUES_BYTES_PER_ROW]
    if not rows or not few:
        return frozenset()
    counts = []
    for c in few:
        one, _ = flag_sql([c])
        distinct = f"SELECT DISTINCT {_ident(src_of[c.name])}, CAST(0 AS BIGINT) AS __i FROM {scan}"
        counts.append(f"(SELECT count(*) FILTER (WHERE form OR rule) FROM "
                      f"({one.replace(' FROM b)', f' FROM ({distinct}))')}))")
    found = con.execute(f"SELECT {', '.join(counts)}").fetchone()
    return frozenset(c.name for c, n in zip(few, found) if n == 0)


# The blank markers of typed_expr that are ASCII, and the longest of them in bytes (_key_scan).
_ASCII_MARKERS = tuple(m for m in NA_MARKERS if m.isascii())
_MARKER_BYTES = max(len(m) for m in _ASCII_MARKERS)
# Bytes a plain value may start and end with (_key_scan): printable ASCII, and at the start no totals initial.
_PLAIN_LAST = np.zeros(256, dtype=bool)
_PLAIN_LAST[33:128] = True
_PLAIN_FIRST = _PLAIN_LAST.copy()
_PLAIN_FIRST[_TOTALS_FIRST] = False


def _key_scan(parts: tuple[Path, ...], src: str) -> tuple[bool, bool]:
    """Whether the text column ``src`` strictly increases down the files, and whether every value is plain.

    Exports are often in the order of their key; then no key repeats, and one vectorised comparison of neighbours
    shows it without the hash aggregate of every key. Either answer needs a value on every row.

    *Plain*: present, ASCII, not a blank marker, its first character printable (code 33 to 127) and not the first
    letter of a totals label, its last character printable. Such a value raises none of the flags of a column that
    has no others than the canonical-text form, the totals label and the empty value (:func:`_plain_flags_only`):
    it is its own typed value, and the SQL of those flags (:func:`_form_flag`, :func:`_totals_flag`) is false on it.
    Its first and last bytes are read off the Arrow buffers, so the check costs little more than the reading.
    """
    increasing = plain = True
    last = None
    for part in parts:
        file = pq.ParquetFile(part)
        # row group by row group: memory bounded by one group's keys
        chunks = (c for g in range(file.num_row_groups) for c in file.read_row_group(g, columns=[src]).column(0).chunks)
        for chunk in chunks:
            if not len(chunk):
                continue
            if chunk.null_count:
                return False, False
            if increasing:
                # the boundary in Python (files may hold string or large_string); code-point order is UTF-8 order
                increasing = (last is None or last < chunk[0].as_py()) and (len(chunk) == 1 or pc.all(
                    pc.less(chunk.slice(0, len(chunk) - 1), chunk.slice(1))).as_py())
                last = chunk[-1].as_py()
            if plain:
                plain = _plain(chunk)
            if not (increasing or plain):
                return False, False
    return increasing, plain


def _plain(chunk: pa.Array) -> bool:
    """Every value of a string chunk without nulls plain (see :func:`_key_scan`)."""
    wide = pa.types.is_large_string(chunk.type)
    if not (wide or pa.types.is_string(chunk.type)):
        return False
    _, offsets, data = chunk.buffers()
    off = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
    size = np.diff(off)
    if (size == 0).any():
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw[off[0]:off[-1]].max() >= 128:  # not ASCII
        return False
    if (size <= _MARKER_BYTES).any() and pc.any(pc.is_in(chunk.filter(pa.array(size <= _MARKER_BYTES)),
                                                         value_set=pa.array(_ASCII_MARKERS))).as_py():
        return False
    return bool(_PLAIN_FIRST[raw[off[:-1]]].all() and _PLAIN_LAST[raw[off[1:] - 1]].all())


def _plain_flags_only(col: Column) -> bool:
    """Whether a column's own flags are only the canonical-text form, the totals label and the empty value."""
    return (col.kind in ("str", "text") and col.foreign_key is None and col.min is None and col.max is None
            and col.allowed is None and not col.none_values and not col.missing_codes and not col.calendar_year)


def _clean_parquet(con, path: Path, flag_sql, cols: list[Column], src_of: dict[str, str],
                   types: dict[str, pa.DataType], coded: list[tuple[str, Column]], key: list[str],
                   key_text: str | None = None) -> tuple[int, dict[str, int], bool] | None:
    """For Parquet: when no row is flagged, the row count, missing-code counts and whether the keys are known not to
    repeat; else None (read by batches).

    DuckDB reads the files itself (in parallel, columns pushed down) and runs the flag query of the batches over
    all rows at once, less the flags that the distinct values of a column settle (:func:`_settled`); most large
    files are clean, and for them nothing else is needed but the duplicate-key check, for which a view ``keys``
    (typed key and row number from the file's start) stands in for the batches' table. ``flag_sql(cols,
    settled=...)`` is :func:`_flag_sql` of these columns.

    ``key_text``: the source column of a one-column key typed as itself or missing (a code or text column read
    from text). When it strictly increases down the files (:func:`_key_scan`) its values are distinct, so its
    typed values are too, and the duplicate-key check is done; when its values are plain, its own flags are false.
    """
    parts = parquet_parts(path)
    scan = f"read_parquet([{', '.join(sql_string(str(p)) for p in parts)}])"
    every = f"SELECT *, CAST(0 AS BIGINT) AS __i FROM {scan}"
    # pyarrow reads the key on one core while DuckDB reads the few-valued columns on the other (both release the
    # GIL; the distinct values cost about what reading the key does)
    with ThreadPoolExecutor(max_workers=1) as pool:
        keys = pool.submit(_key_scan, parts, key_text) if key_text is not None else None
        if keys is not None:
            con.execute("SET threads = 1")
        try:
            settled = _settled(con, parts, scan, flag_sql, cols, src_of, types)
        finally:
            if keys is not None:
                con.execute("RESET threads")
        increasing, plain = keys.result() if keys is not None else (False, False)
    settled |= {c.name for c in cols if plain and src_of[c.name] == key_text and _plain_flags_only(c)}
    typed_sql, _ = flag_sql(cols, settled=settled)
    recode = [f"count(*) FILTER (WHERE {n} IN ({', '.join(repr(float(x)) for x in c.missing_codes)}))"
              for n, c in coded]
    found = con.execute(f"SELECT count(*) FILTER (WHERE form OR rule), count(*){''.join(', ' + r for r in recode)} "
                        f"FROM ({typed_sql.replace(' FROM b)', f' FROM ({every}))')})").fetchone()
    if found[0]:
        return None
    recoded = {c.name: int(x) for (_, c), x in zip(coded, found[2:]) if x}
    if increasing:
        return int(found[1]), recoded, True
    if key:
        offsets = np.cumsum([0, *(pq.ParquetFile(p).metadata.num_rows for p in parts)])
        con.execute("CREATE TEMP VIEW keys AS " + " UNION ALL ".join(
            "SELECT " + ", ".join(f"CAST({k} AS VARCHAR) AS k{i}" for i, k in enumerate(key))
            + f", file_row_number + {int(off)} AS r FROM read_parquet({sql_string(str(p))}, file_row_number = true)"
            for p, off in zip(parts, offsets)))
    return int(found[1]), recoded, False


def _problem_key(p: Problem) -> tuple:
    return (p.row if p.row is not None else -1, p.column or "", p.rule)


def verdict_cache_dir() -> Path | None:
    """The folder of remembered clean verdicts: ``$JINLIN_VALIDATION_CACHE`` (``off`` for none), else
    ``$XDG_CACHE_HOME/jinlin/validated`` or ``~/.cache/jinlin/validated``."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jinlin" / "validated"


def _verdict_file(path: Path, checks: list[str], communities: Iterable[str] | None) -> Path | None:
    """The cache file of a clean verdict for these files and these checks (None when caching is off)."""
    folder = verdict_cache_dir()
    if folder is None:
        return None
    h = hashlib.sha256(f"{_CACHE_FORMAT}\0{duckdb.__version__}\0".encode())
    for part in parquet_parts(path):
        st = part.stat()
        h.update(f"{part.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for text in checks:
        h.update(text.encode("utf-8") + b"\0")
    if communities is not None:
        h.update("\n".join(sorted({str(c) for c in communities})).encode("utf-8"))
    return folder / f"{h.hexdigest()}.json"


def _read_verdict(file: Path | None) -> dict | None:
    if file is None or not file.is_file():
        return None
    try:
        verdict = json.loads(file.read_text(encoding="utf-8"))
        return verdict if verdict.get("format") == _CACHE_FORMAT else None
    except (OSError, ValueError):
        return None  # an unreadable entry is a cache miss


def _write_verdict(file: Path | None, rows: int, recoded: dict[str, int]) -> None:
    if file is None:
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": _CACHE_FORMAT, "rows": rows, "recoded": recoded}), encoding="utf-8")
        tmp.replace(file)
    except OSError:
        pass  # a read-only cache only costs the next load a pass over the file


def validate_stream(path: str | Path, table: Table, communities: Iterable[str] | None = None, *,
                    first_k: int = DEFAULT_FIRST_K, batch_rows: int = DEFAULT_BATCH_ROWS,
                    memory_limit: str = "1GB", use_cache: bool = True,
                    date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> StreamReport:
    """Check a large table file against the contract batch by batch, keeping the first ``first_k`` problems.

    Parameters
    ----------
    path : path
        A ``.parquet`` file, a folder of ``.parquet`` chunks, or a ``.csv`` file (UTF-8 or GB18030/GBK).
    table : Table
        The contract table the file holds.
    communities : iterable of str, optional
        The community register's ids; community codes outside it are errors. ``None`` skips that check.
    first_k : int
        How many problems to keep (the rest are counted).
    batch_rows : int
        Rows per batch; memory grows with it, not with the file.
    memory_limit : str
        DuckDB's cap for the key table (it spills to disk beyond it).
    use_cache : bool
        Reuse the verdict of an unchanged clean Parquet file, and remember a new one (module docstring).
    date_window : (Timestamp, Timestamp), optional
        Plausible dates (:func:`evaluation.data.parsing.date_window`); dates outside are refused, as in memory.

    Returns
    -------
    StreamReport
    """
    path = Path(path)
    communities = None if communities is None else [str(c) for c in communities]  # read twice below
    is_csv = path.is_file() and path.suffix.lower() == ".csv"
    fmt = "csv" if is_csv else "parquet"
    first = 2 if is_csv else 1
    name = path.name
    if is_csv:
        encoding, bad = _csv_encoding(path)
        if encoding is None:
            return StreamReport(table.name, name, 0, (bad,), (("error", "encoding", bad.column, 1),), False)
        with open(path, encoding=encoding, newline="") as fh:
            raw_header = next(csv.reader(fh), [])
        dup = _duplicate_headers(name, raw_header)
        if dup:
            return StreamReport(table.name, name, 0, (), (), False, header_problems=tuple(dup))
        headers = list(pd.read_csv(path, dtype=str, nrows=0, encoding=encoding).columns)
        types = {h: pa.string() for h in headers}
    else:
        schema = parquet_schema(parquet_parts(path))
        headers = list(schema.names)
        types = {h: schema.field(h).type for h in headers}
    mapped, header_problems = map_headers(RawTable(pd.DataFrame(columns=headers), path, fmt, None), table)
    if any(p.severity == "error" for p in header_problems):
        counts = Counter((p.severity, p.rule, p.column) for p in header_problems)
        return StreamReport(table.name, name, 0, (), tuple((*k, n) for k, n in counts.items()), False,
                            header_problems=tuple(header_problems))
    rename = dict(zip(headers, mapped.columns))
    src_of = {c: h for h, c in rename.items() if c in {col.name for col in table.columns}}
    cols = [c for c in table.columns if c.name in src_of and not c.personal]
    check_comm = communities is not None
    typed_sql, v = _flag_sql(table, cols, src_of, types, check_comm, date_window)
    coded = [(f"n{i}", c) for i, c in enumerate(cols) if c.missing_codes]
    # the typed keys straight from the batch (the key columns' own expressions, not the whole flag query)
    by_name = {c.name: c for c in cols}
    key = [typed_expr(by_name[k], src_of[k], types[src_of[k]]) for k in table.key if k in v]
    # a one-column key whose typed value is its text or missing (typed_expr of a label column read from text)
    key_text = src_of[table.key[0]] if len(key) == len(table.key) == 1 and by_name[table.key[0]].kind in (
        "str", "category", "text") and (pa.types.is_string(t := types[src_of[table.key[0]]])
                                        or pa.types.is_large_string(t)) else None

    columns = {c.name: src_of[c.name] for c in cols}
    personal = tuple(c.name for c in table.columns if c.name in src_of and c.personal)
    verdict_file = None if is_csv or not use_cache else _verdict_file(
        path, [table.name, typed_sql, *key, *(f"{n}:{c.missing_codes}" for n, c in coded)], communities)
    if (seen := _read_verdict(verdict_file)) is not None:
        return StreamReport(table.name, name, int(seen["rows"]), (), (), True, dict(seen["recoded"]), columns,
                            tuple(header_problems), personal)

    con = connect(memory_limit)
    problems: list[Problem] = []
    counts: Counter = Counter()
    recoded: Counter = Counter()
    canonical = True
    comm_frame = pd.DataFrame({"community_id": sorted({str(c) for c in communities})}) if check_comm else None
    if check_comm:
        con.register("known", comm_frame)
    offset = 0
    try:
        clean = None if is_csv else _clean_parquet(
            con, path, lambda some, settled=frozenset(): _flag_sql(table, some, src_of, types, check_comm,
                                                                  date_window, settled),
            cols, src_of, types, coded, key, key_text)
        unique = False
        if clean is not None:
            # every row passed: no problem to describe, so the batches need not be read one by one
            offset, recoded_all, unique = clean
            recoded.update(recoded_all)
        elif key:
            con.execute("CREATE TEMP TABLE keys AS SELECT " + ", ".join(
                f"CAST(NULL AS VARCHAR) AS k{i}" for i in range(len(key))) + ", CAST(0 AS BIGINT) AS r WHERE false")
        batches = () if clean is not None else _batches_csv(path, encoding, batch_rows) if is_csv else \
            _batches_parquet(path, list(src_of.values()), batch_rows)
        for batch in _guard_encoding(batches, name, encoding if is_csv else None, lambda: offset, first, problems,
                                     counts):
            n = batch.num_rows
            con.register("b", batch.append_column("__i", pa.array(np.arange(n, dtype="int64"))))
            flagged = con.execute(f"SELECT __i, form FROM ({typed_sql}) WHERE form OR rule").fetchnumpy()
            idx = np.asarray(flagged["__i"], dtype="int64")
            if len(idx):
                canonical = canonical and not bool(np.asarray(flagged["form"]).any())
                problems_b = _pandas_problems(batch, np.sort(idx), offset, rename, table, name, first, comm_frame,
                                              date_window)
                counts.update((p.severity, p.rule, p.column) for p in problems_b)
                room = first_k - len(problems)
                if room > 0:
                    problems += sorted(problems_b, key=_problem_key)[:room]
            if coded:
                sums = con.execute("SELECT " + ", ".join(
                    f"count(*) FILTER (WHERE {n} IN ({', '.join(repr(float(x)) for x in c.missing_codes)}))"
                    for n, c in coded) + f" FROM ({typed_sql})").fetchone()
                recoded.update({c.name: int(x) for (_, c), x in zip(coded, sums) if x})
            if key:
                con.execute("INSERT INTO keys SELECT " + ", ".join(
                    f"CAST({k} AS VARCHAR)" for k in key) + f", __i + {offset} FROM b")
            con.unregister("b")
            offset += n
        if key and not unique:
            part = ", ".join(f"k{i}" for i in range(len(key)))
            nonnull = " AND ".join(f"k{i} IS NOT NULL" for i in range(len(key)))
            # A hash aggregate finds the repeated keys (a window over every row would sort ten million keys). Rows
            # with the same key have the same hash, so when no two rows share the 64-bit hash of their key no key
            # repeats; grouping hashes instead of strings halves the work, and the keys themselves are grouped
            # only when some hash is shared (a repeated key, or, rarely, two keys with one hash).
            shared = con.execute(f"SELECT count(*) FROM (SELECT hash({part}) AS h FROM keys WHERE {nonnull} "
                                 f"GROUP BY h HAVING count(*) > 1)").fetchone()[0]
            n_dup = 0
            if shared:
                con.execute(f"CREATE TEMP TABLE dups AS SELECT {part}, count(*) AS c FROM keys WHERE {nonnull} "
                            f"GROUP BY ALL HAVING count(*) > 1")
                n_dup = con.execute("SELECT coalesce(sum(c), 0) FROM dups").fetchone()[0]
            dup = f"SELECT r FROM keys SEMI JOIN dups USING ({part})"
            if n_dup:
                counts[("error", "duplicate_key", ",".join(table.key))] += int(n_dup)
                room = first_k - len(problems)
                if room > 0:
                    rows = con.execute(f"{dup} ORDER BY r LIMIT {room}").fetchnumpy()["r"]
                    problems += [duplicate_key_problem(table, name, int(r) + first) for r in rows]
    finally:
        con.close()
    counts_t = tuple(sorted(((s, r, c, int(k)) for (s, r, c), k in counts.items()),
                            key=lambda x: (x[0] != "error", x[1], x[2] or "")))
    if canonical and not counts_t:
        _write_verdict(verdict_file, offset, dict(recoded))
    return StreamReport(table.name, name, offset, tuple(problems), counts_t, canonical, dict(recoded), columns,
                        tuple(header_problems), personal)


def _pandas_problems(batch: pa.Table, idx: np.ndarray, offset: int, rename: dict[str, str], table: Table,
                     file: str, first: int, communities: pd.DataFrame | None,
                     date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> list[Problem]:
    """The loader's own checks on the flagged rows of one batch (row numbers counted from the file's start)."""
    sub = batch.take(pa.array(idx)).to_pandas()
    sub.index = pd.RangeIndex(len(sub)) if len(sub) == 0 else pd.Index(idx + offset)
    sub = sub.rename(columns=rename)
    sub = sub[[c for c in sub.columns if c in {col.name for col in table.columns}]]
    # text columns arrive from Parquet as Arrow strings; the parsers expect raw objects, as from a CSV
    sub = sub.astype({c: object for c in sub.columns if not pd.api.types.is_numeric_dtype(sub[c])})
    typed, problems, _ = coerce_table(sub, table, file, first, date_window)
    problems += check_table(typed, table, file, first, unique=False, reported=problems)
    tables = {table.name: typed}
    files, firsts = {table.name: file}, {table.name: first}
    if communities is not None and table.name != "communities":
        tables["communities"] = communities
        files["communities"], firsts["communities"] = "communities", 2
    problems += [p for p in cross_table_problems(tables, files, firsts) if p.file == file]
    return problems
