"""Load a district folder: find each table's file, read it, map headers, pseudonymise, type and validate.

This is the one place that reads a district's exports. It returns a :class:`District` of clean, typed frames, or
raises :class:`~evaluation.errors.DataValidationError` listing every problem with its file, row, column and fix.

At scale (a region of thousands of communities) a Parquet table of grid events, petitions or activities with at
least ``lazy_rows`` rows is validated by streaming (:mod:`evaluation.data.stream`) and, when every value is in the
contract's canonical form, left on disk as a :class:`~evaluation.data.lazy.ParquetTable` that the indicator code
queries with DuckDB. Otherwise, and always for the bundled district, tables are DataFrames. A large CSV is
validated by streaming before it is read, so that a broken file is reported without being loaded.

Dates (and calendar years) are held to a plausible window, 1949-01-01 to a year after the ``data_cutoff`` of
``dataset.yaml`` (else the end of the current year): a typo year is refused, not analysed. Volunteer and
service-hour exports that carry 姓名/手机号/身份证号 instead of ``person_key`` get the salted key derived here, as
the data dictionary says, and the personal columns are dropped at once.

An analysis of a large region can ask for only the tables it needs (``tables=``): the grid indicators of 2,000
communities need the events, the population and the lineage, not the million volunteers and the three million
service-hour records whose reading into pandas takes minutes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from ..config import SNAPSHOT_ENV
from ..errors import DataValidationError, Problem
from ..privacy.detect import LABEL_COLUMNS, label_problems, metadata_problems
from . import contract
from .fastcoerce import coerce_table_fast
from .lazy import (DEFAULT_LAZY_ROWS, LAZY_TABLES, ParquetTable, connect, parquet_parts, parquet_rows,
                   parquet_schema, sql_string)
from .parsing import date_window
from .readers import find_table_file, map_headers, read_table_file, sha256_file
from .schemas import check_table
from .stream import StreamReport, validate_stream
from .validate import cross_table_problems

__all__ = ["District", "TableFile", "read_district", "load_district", "METADATA_FILE", "SNAPSHOT_ENV",
           "SOURCE_FILES_KEY", "SNAPSHOT_DIGESTS_KEY", "with_source_files", "read_snapshot", "load_snapshot",
           "snapshot_folder"]

METADATA_FILE = "dataset.yaml"
# The key of a snapshot's dataset.yaml that holds the TableFile of each export it was made from (see
# with_source_files): what the district was read from, not the snapshot's own Parquet files.
SOURCE_FILES_KEY = "source_files"
# The key of a snapshot's dataset.yaml that holds the SHA-256 of each Parquet file it wrote (see read_snapshot).
SNAPSHOT_DIGESTS_KEY = "snapshot_sha256"
# Files a district folder may hold besides the tables.
_SIDE_FILES = {METADATA_FILE, "readme.md", "truth.json", "claims.yaml"}
# A CSV this large is validated by streaming before it is read into memory.
STREAM_CSV_BYTES = 256 * 2**20


@dataclass(frozen=True)
class TableFile:
    """Where a table came from: enough to re-run and to detect changed data."""

    table: str
    file: str
    fmt: str
    encoding: str | None
    sha256: str
    rows: int
    first_data_row: int


@dataclass(frozen=True)
class District:
    """A validated district: typed tables keyed by contract name, their provenance, and any warnings.

    A table is a DataFrame, or for a large Parquet table a :class:`~evaluation.data.lazy.ParquetTable` (see the
    module docstring); :func:`evaluation.data.lazy.frame_of` gives a DataFrame either way.
    """

    folder: Path
    tables: Mapping[str, pd.DataFrame | ParquetTable]
    files: Mapping[str, TableFile]
    metadata: Mapping[str, object] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    recoded_missing: Mapping[str, int] = field(default_factory=dict)
    personal_columns_dropped: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Raw personal values seen on loading, kept in memory only so the runner can scan its outputs for them.
    personal_values: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame | ParquetTable:
        if name not in self.tables:
            raise KeyError(f"the district in {self.folder} has no table {name!r} (file {name}.csv/.xlsx/.parquet)")
        return self.tables[name]

    def has(self, name: str) -> bool:
        return name in self.tables

    @property
    def synthetic(self) -> bool:
        return bool(self.metadata.get("synthetic", False))

    @property
    def label(self) -> str:
        return str(self.metadata.get("name", self.folder.name))


def _read_metadata(folder: Path) -> tuple[dict, list[Problem]]:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}, []
    from ..yamlkeys import DuplicateKeyError, UniqueKeyLoader

    try:
        meta = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader) or {}  # noqa: S506 (safe)
    except DuplicateKeyError as e:
        # the last value would win silently: a wrong data_cutoff or name without a word
        return {}, [Problem(METADATA_FILE, e.second, str(e.key), "error", "duplicate_key",
                            f"the key {e.key!r} is given twice (first on line {e.first})",
                            "keep one of the two lines",
                            f"键 {e.key!r} 出现两次（第一次在第 {e.first} 行）", "两行只保留一行")]
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        return {}, [Problem(METADATA_FILE, None, None, "error", "bad_metadata", f"cannot be read ({e})",
                            "fix the YAML syntax or delete the file", f"无法读取（{e}）", "更正 YAML 语法，或删除该文件")]
    if not isinstance(meta, dict):
        return {}, [Problem(METADATA_FILE, None, None, "error", "bad_metadata", "is not a mapping",
                            "write key: value lines", "内容不是“键: 值”的映射", "按“键: 值”逐行书写")]
    return meta, []


def _pseudonymise(frame: pd.DataFrame, table: contract.Table, salt: bytes | None, seen: set[str]
                  ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Replace personal columns with a salted ``person_key`` and mask phone/ID numbers in free text."""
    personal = [c.name for c in table.columns if c.personal and c.name in frame.columns]
    known = {c.name for c in table.columns}
    extra = [c for c in frame.columns if c not in known]
    if extra:
        from ..privacy import detect_personal_columns

        found = detect_personal_columns(frame[extra])
        personal += [c for c in found["column"].tolist() if c not in personal]
    if personal:
        from ..privacy import collect_personal_values, load_salt, pseudonymise

        seen.update(collect_personal_values(frame[personal]))

        frame, _report = pseudonymise(frame, salt if salt is not None else load_salt(), columns=personal)
    text_cols = [c.name for c in table.columns if c.kind == "text" and c.name in frame.columns]
    if text_cols:
        from ..privacy import mask_free_text

        frame = mask_free_text(frame, columns=text_cols)
    return frame, tuple(personal)


def _lazy_table(t: contract.Table, path: Path, report: StreamReport) -> ParquetTable:
    parts = parquet_parts(path)
    schema = parquet_schema(parts)
    # free text is left out: it would need masking, and no indicator reads it
    sources = tuple((c, src, schema.field(src).type) for c, src in report.columns.items()
                    if t.column(c).kind != "text")
    return ParquetTable(t, parts, sources, report.rows)


def _lazy_label_problems(lazy: ParquetTable, file: str, seen) -> list[Problem]:
    """The label columns of a table left on disk, screened as the in-memory ones are (issue 13.7).

    Label columns hold few distinct values (categories, channels), so DuckDB gives each distinct value with the first
    row it stands on and :func:`~evaluation.privacy.detect.label_problems` judges them; the row is the one within its
    Parquet file (the first data row is 1, as for in-memory Parquet)."""
    cols = [c for c in LABEL_COLUMNS.get(lazy.name, ()) if c in lazy.columns and lazy.text_source(c) is not None]
    if not cols:
        return []
    files = ", ".join(sql_string(str(p)) for p in lazy.paths)
    problems: list[Problem] = []
    con = connect()
    try:
        for c in cols:
            src = lazy.text_source(c)
            first = con.execute(
                f"SELECT {src} AS v, min(file_row_number) AS r FROM read_parquet([{files}], file_row_number=true) "
                f"WHERE {src} IS NOT NULL GROUP BY 1 ORDER BY 2").fetch_df()
            frame = pd.DataFrame({c: first["v"].astype(str).to_numpy()})
            for p in label_problems(frame, lazy.name, file, 0, seen):
                problems.append(dataclasses.replace(p, row=int(first["r"].iloc[p.row]) + 1))
    finally:
        con.close()
    return problems


def _streamed(t: contract.Table, path: Path, lazy_rows: int | None, known: list[str] | None, window
              ) -> tuple[StreamReport | None, bool]:
    """Stream-validate ``path`` when it is large; the report (or None) and whether the table may stay on disk."""
    parquet = path.is_dir() or path.suffix.lower() == ".parquet"
    if parquet and lazy_rows is not None and t.name in LAZY_TABLES:
        try:
            rows = parquet_rows(parquet_parts(path))
        except Exception:  # noqa: BLE001 - a 0-byte, truncated or misnamed file: the reader names the problem
            return None, False
        if rows >= lazy_rows:
            return validate_stream(path, t, known, date_window=window), True
    if path.is_file() and path.suffix.lower() == ".csv" and path.stat().st_size >= STREAM_CSV_BYTES:
        return validate_stream(path, t, known, date_window=window), False
    return None, False


def read_district(folder: str | Path, salt: bytes | None = None, *, lazy_rows: int | None = DEFAULT_LAZY_ROWS,
                  tables: Collection[str] | None = None) -> tuple[District | None, list[Problem]]:
    """Read and validate every table in ``folder``; return the district (``None`` on errors) and all problems.

    ``lazy_rows``: a Parquet table of grid events, petitions or activities with at least this many rows, all in
    canonical form, stays on disk as a :class:`~evaluation.data.lazy.ParquetTable`; ``None`` reads every table into
    memory.

    ``tables``: read only these tables (and ``communities``, against which community codes are checked), e.g.
    ``("grid_events", "population", "community_lineage")`` for the grid indicators of a large region, whose
    volunteer, service-hour and survey tables take minutes to read and are not needed there. The other tables are
    neither read nor validated, and a missing required table among them is not reported. ``None`` reads them all.
    """
    wanted = None if tables is None else {*tables, "communities"}
    unknown = sorted(set(wanted or ()) - {t.name for t in contract.TABLES})
    if unknown:
        raise ValueError(f"not tables of the data contract: {', '.join(unknown)}")
    folder = Path(folder)
    if folder.is_file():  # e.g. `jinlin validate data/synthetic/communities.csv` (issue 17)
        return None, [Problem(str(folder), None, None, "error", "not_a_folder",
                              "this is a file; validate reads a whole district folder, one file per table",
                              f"give the folder that holds it: {folder.parent}",
                              "这是一个文件；校验读取的是整个数据目录，每张表一个文件",
                              f"给出存放它的文件夹：{folder.parent}")]
    if not folder.is_dir():
        return None, [Problem(str(folder), None, None, "error", "no_folder", "the district folder does not exist",
                              "give the path of a folder holding the exported tables (e.g. data/synthetic); "
                              "`jinlin generate <folder>` writes the synthetic district there",
                              "数据目录不存在", "给出存放导出数据表的文件夹路径（如 data/synthetic）；"
                              "`jinlin generate <文件夹>` 可在该处生成合成示范区数据")]
    metadata, problems = _read_metadata(folder)
    window = date_window(metadata.get("data_cutoff"))
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, TableFile] = {}
    recoded: dict[str, int] = {}
    dropped: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    names = {t.name for t in contract.TABLES}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.stem.lower() not in names and p.name.lower() not in _SIDE_FILES \
                and not p.name.startswith("."):
            problems.append(Problem(p.name, None, None, "warning", "unknown_file",
                                    "this file is not a table of the data contract and is ignored",
                                    "rename it after its table (e.g. grid_events.csv) if it should be read",
                                    "该文件不是数据规范中的表，已忽略",
                                    "如需读取，按其表名改名（如 grid_events.csv）"))
    for t in contract.TABLES:
        if wanted is not None and t.name not in wanted:
            continue
        path, found = find_table_file(folder, t.name)
        problems += found
        if path is None:
            if t.required and not found:
                problems.append(Problem(f"{t.name}.csv", None, None, "error", "missing_table",
                                        f"the required table {t.name} ({t.zh}) is missing",
                                        f"add {t.name}.csv (or .xlsx/.parquet) to the folder",
                                        f"缺少必需的数据表 {t.name}（{t.zh}）",
                                        f"在文件夹中加入 {t.name}.csv（或 .xlsx/.parquet）"))
            continue
        known = list(tables["communities"]["community_id"].dropna().astype(str)) \
            if "communities" in tables and t.name != "communities" else None
        report, may_stay = _streamed(t, path, lazy_rows, known, window)
        if report is not None:
            if report.n_errors or report.header_problems:
                problems += report.summary()
                continue
            if may_stay and report.canonical:
                problems += report.summary()  # warnings only
                lazy = _lazy_table(t, path, report)
                problems += _lazy_label_problems(lazy, path.name, seen)
                tables[t.name] = lazy
                recoded.update({f"{t.name}.{k}": v for k, v in report.recoded.items()})
                if report.personal:
                    dropped[t.name] = report.personal
                files[t.name] = TableFile(t.name, path.name, "parquet", None, sha256_file(path), len(lazy), 1)
                continue
        raw, read_problems = read_table_file(path, t)
        problems += read_problems
        if raw is None:
            continue
        first = 2 if raw.fmt in ("csv", "xlsx") else 1
        frame, header_problems = map_headers(raw, t)
        problems += header_problems
        if any(p.severity == "error" for p in header_problems):
            continue
        frame, dropped_cols = _pseudonymise(frame, t, salt, seen)
        problems += label_problems(frame, t.name, path.name, first, seen)  # issue 13.7: no personal data in labels
        if dropped_cols:
            dropped[t.name] = dropped_cols
        # every export is typed column-wise: the parsers on distinct values, vectorised where the values allow
        # (the same frame and problems as the parsers cell by cell; evaluation.data.fastcoerce)
        frame, cell_problems, rec = coerce_table_fast(frame, t, path.name, first, window)
        problems += cell_problems
        recoded.update({f"{t.name}.{k}": v for k, v in rec.items()})
        problems += check_table(frame, t, path.name, first, reported=cell_problems)
        tables[t.name] = frame
        files[t.name] = TableFile(t.name, path.name, raw.fmt, raw.encoding, sha256_file(path), len(frame), first)
    # tables left on disk had their cross-row and community checks while streaming
    in_memory = {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
    problems += cross_table_problems(in_memory, {k: v.file for k, v in files.items()},
                                     {k: v.first_data_row for k, v in files.items()})
    problems += metadata_problems(metadata, METADATA_FILE, seen)  # issue 13.7: the district name is on every page
    if any(p.severity == "error" for p in problems):
        return None, problems
    district = District(folder.resolve(), MappingProxyType(tables), MappingProxyType(files), metadata,
                        tuple(p for p in problems if p.severity == "warning"), recoded, dropped, frozenset(seen))
    return district, problems


def load_district(folder: str | Path, salt: bytes | None = None, *, lazy_rows: int | None = DEFAULT_LAZY_ROWS,
                  tables: Collection[str] | None = None) -> District:
    """Load a district folder, raising :class:`DataValidationError` if it breaks the data contract.

    ``lazy_rows`` and ``tables`` as :func:`read_district` (``tables`` loads only the tables an analysis needs). A
    snapshot, or a folder the running ``jinlin run`` snapshotted (:func:`snapshot_folder`), is read as the district it
    was written from (:func:`load_snapshot`: checked unless private and unchanged, with the exports' files).
    """
    snapshot = snapshot_folder(folder) if salt is None else None
    if snapshot is not None:
        return load_snapshot(snapshot, tables, lazy_rows=lazy_rows)
    district, problems = read_district(folder, salt, lazy_rows=lazy_rows, tables=tables)
    if district is None:
        raise DataValidationError(problems, str(folder))
    return district


def load_snapshot(folder: str | Path, tables: Collection[str] | None = None, *,
                  lazy_rows: int | None = DEFAULT_LAZY_ROWS) -> District:
    """A snapshot folder (:func:`evaluation.run.profiles.write_snapshot`) as the district it was written from: read
    back as written when :func:`read_snapshot` can, else read and checked like any folder, with the exports'
    provenance (:func:`with_source_files`). Raises :class:`DataValidationError` as :func:`load_district` does."""
    kept = read_snapshot(folder, tables, lazy_rows=lazy_rows)
    if kept is not None:
        return kept
    district, problems = read_district(folder, lazy_rows=lazy_rows, tables=tables)
    if district is None:
        raise DataValidationError(problems, str(folder))
    return with_source_files(district)


def with_source_files(district: District) -> District:
    """A district read from a run's or the profiles' Parquet snapshot, with the provenance of the exports it was
    made from: ``files`` are the exports' :class:`TableFile` (their names, formats, encodings and SHA-256), which
    the snapshot's ``dataset.yaml`` carries under :data:`SOURCE_FILES_KEY`, and that key leaves the metadata.

    Why: the award audit cites the hash of every data file, and a hash of a temporary Parquet file proves nothing.
    The snapshot holds the same typed rows, so a table keeps the source's provenance only where the row counts
    agree; any other table, or a snapshot without the key, keeps the snapshot's own. A folder that is not a
    snapshot (no ``snapshot_of`` in its metadata) is returned unchanged.
    """
    meta = dict(district.metadata)
    source = meta.pop(SOURCE_FILES_KEY, None)
    meta.pop(SNAPSHOT_DIGESTS_KEY, None)
    if "snapshot_of" not in meta or not isinstance(source, Mapping):
        return district
    files = dict(district.files)
    for name, own in district.files.items():
        entry = source.get(name)
        if isinstance(entry, Mapping):
            try:
                src = TableFile(**{f.name: entry[f.name] for f in dataclasses.fields(TableFile)})
            except (KeyError, TypeError):
                continue
            if src.table == name and src.rows == own.rows:
                files[name] = src
    return dataclasses.replace(district, files=MappingProxyType(files), metadata=meta)


def read_snapshot(folder: str | Path, tables: Collection[str] | None = None, *,
                  lazy_rows: int | None = DEFAULT_LAZY_ROWS) -> District | None:
    """The district of a snapshot that :func:`evaluation.run.profiles.write_snapshot` wrote, read back without
    validating it again, as :func:`with_source_files` of :func:`load_district` gives it; None when it cannot be read
    so (then load it with :func:`load_district`).

    Why: the snapshot holds the typed tables of a district that was validated just before they were written, and
    every kernel of a run read and checked them again (0.5 s of CPU each on the bundled district). Each Parquet file
    is read only if its bytes have the SHA-256 that the writer recorded in ``dataset.yaml``
    (:data:`SNAPSHOT_DIGESTS_KEY`), so what is read is exactly what was written from the validated frames; a file
    that differs, a missing digest or exports' provenance, or a table large enough to stay on disk
    (``lazy_rows``, as :func:`read_district`) gives None. ``tables`` as :func:`read_district`. The snapshot holds no
    personal or free-text column, hence no warnings, recoded codes or personal values to report.

    Only a private folder is read so: owned by this user and closed to everyone else, as the run's and the profiles'
    snapshot folders are (:func:`evaluation.run.profiles.make_snapshot_dir`). The digests sit beside the files they
    describe, so they tell a file changed by accident, not one changed on purpose; an ordinary data folder whose
    ``dataset.yaml`` says the same is read and checked like any other.
    """
    import hashlib
    import io
    import os

    folder = Path(folder)
    try:
        st = folder.stat()
    except OSError:
        return None
    if st.st_mode & 0o077 or st.st_uid != getattr(os, "getuid", lambda: -1)():
        return None
    metadata, problems = _read_metadata(folder)
    digests, source = metadata.get(SNAPSHOT_DIGESTS_KEY), metadata.get(SOURCE_FILES_KEY)
    if problems or "snapshot_of" not in metadata or not isinstance(digests, Mapping) \
            or not isinstance(source, Mapping):
        return None
    wanted = None if tables is None else {*tables, "communities"}
    frames: dict[str, pd.DataFrame] = {}
    for t in contract.TABLES:
        if t.name not in digests or (wanted is not None and t.name not in wanted):
            continue
        entry = source.get(t.name)
        if not isinstance(entry, Mapping) or (lazy_rows is not None and t.name in LAZY_TABLES
                                              and int(entry.get("rows", 0)) >= lazy_rows):
            return None
        try:
            data = (folder / f"{t.name}.parquet").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digests[t.name]:
            return None
        frames[t.name] = pd.read_parquet(io.BytesIO(data))
    own = {name: TableFile(name, f"{name}.parquet", "parquet", None, str(digests[name]), len(frame), 1)
           for name, frame in frames.items()}
    return with_source_files(District(folder.resolve(), MappingProxyType(frames), MappingProxyType(own), metadata))


def snapshot_folder(folder: str | Path) -> Path | None:
    """The snapshot that loading ``folder`` reads: the run's snapshot of it (:func:`_run_snapshot`), else ``folder``
    itself when it is a snapshot (its ``dataset.yaml`` names the folder it was made from, as ``jinlin profiles``
    passes its snapshot), else None."""
    at = _run_snapshot(folder) or Path(folder)
    if not (at / METADATA_FILE).is_file():
        return None
    metadata, problems = _read_metadata(at)
    return at if not problems and "snapshot_of" in metadata else None


def _run_snapshot(folder: str | Path) -> Path | None:
    """The Parquet snapshot of ``folder`` that the running ``jinlin run`` made, if this kernel was given one.

    ``jinlin run`` validates the district once, writes its typed tables (no personal or free-text column) to a
    private temporary folder (:func:`evaluation.run.profiles.write_snapshot`) and names it in
    :data:`SNAPSHOT_ENV` for the kernels of the notebooks that read only those tables, so that each one reads
    Parquet instead of parsing the exports again. Only that exact folder is redirected; anything else, or a snapshot
    no longer there, reads the folder itself.
    """
    import os

    spec = os.environ.get(SNAPSHOT_ENV, "")
    of, sep, at = spec.partition(os.pathsep)
    if not sep or not of or not at:
        return None
    try:
        same = Path(folder).resolve() == Path(of).resolve()
    except OSError:
        return None
    snapshot = Path(at)
    return snapshot if same and (snapshot / METADATA_FILE).is_file() else None
