"""Read one exported table from disk: CSV in UTF-8 / UTF-8-BOM / GB18030 (GBK), Excel .xlsx, or Parquet.

Readers return raw values (strings for CSV and Excel) with the header mapped onto the contract's English names; typing
and validation happen afterwards, so every problem can still be traced to its file, row and column.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Problem
from .contract import Table

__all__ = ["RawTable", "find_table_file", "read_table_file", "map_headers", "sha256_file", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class RawTable:
    """A table as read from disk, before typing."""

    frame: pd.DataFrame
    path: Path
    fmt: str
    encoding: str | None
    header_rows: int = 1  # spreadsheet row of the first data row is header_rows + 1


def sha256_file(path: Path) -> str:
    """SHA-256 of a file; of a folder of Parquet chunks, over the chunks' names and contents in name order."""
    h = hashlib.sha256()
    parts = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".parquet") \
        if path.is_dir() else [path]
    for part in parts:
        if path.is_dir():
            h.update(part.name.encode("utf-8"))
        with open(part, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _parquet_folder(p: Path, name: str) -> bool:
    # A table written in chunks: a folder grid_events/ or grid_events.parquet/ of .parquet files.
    return p.is_dir() and p.stem.lower() == name and p.suffix.lower() in ("", ".parquet") and any(
        c.suffix.lower() == ".parquet" for c in p.iterdir())


def find_table_file(folder: Path, name: str) -> tuple[Path | None, list[Problem]]:
    """The one file holding table ``name`` in ``folder`` (any supported suffix, case-insensitive), or the one
    folder of Parquet chunks named after it."""
    hits = sorted(p for p in folder.iterdir() if (p.is_file() and p.stem.lower() == name
                  and p.suffix.lower() in SUPPORTED_SUFFIXES) or _parquet_folder(p, name))
    others = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.lower() == name
                    and p.suffix.lower() in (".xls", ".xlsm", ".txt", ".tsv", ".json"))
    problems: list[Problem] = []
    if len(hits) > 1:
        problems.append(Problem(", ".join(p.name for p in hits), None, None, "error", "ambiguous_file",
                                f"table {name} is given more than once",
                                "keep one file per table and remove or rename the others"))
        return None, problems
    if not hits and others:
        problems.append(Problem(others[0].name, None, None, "error", "unsupported_format",
                                f"{others[0].suffix} files are not read",
                                "save the table as .csv (UTF-8), .xlsx or .parquet"))
    return (hits[0] if hits else None), problems


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def _two_byte_utf8(text: str) -> int:
    # UTF-8's two-byte range (Latin-1 supplement, Greek, Cyrillic, Hebrew, Arabic): rare in Chinese exports, and
    # exactly where a short run of GBK bytes lands when it happens to be valid UTF-8 too.
    return sum(1 for ch in text if "\u0080" <= ch <= "\u07ff")


def _decode(data: bytes) -> tuple[str, str] | None:
    """Decode as UTF-8 (with or without BOM) or GB18030 (a superset of GBK), whichever the bytes are.

    Some GBK byte pairs are also valid UTF-8 (e.g. 霞 in GBK reads as ϼ in UTF-8), so when the UTF-8 reading has
    characters of UTF-8's two-byte range and the GB18030 reading turns them into Chinese, GB18030 wins.
    """
    try:
        utf8 = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        utf8 = None
    try:
        gb = data.decode("gb18030") if not data.startswith(b"\xef\xbb\xbf") else None
    except UnicodeDecodeError:
        gb = None
    if utf8 is not None and (gb is None or not _two_byte_utf8(utf8) or _cjk(gb) <= _cjk(utf8)):
        return utf8, "utf-8-sig"
    if gb is not None:
        return gb, "gb18030"
    return None


def read_table_file(path: Path) -> tuple[RawTable | None, list[Problem]]:
    """Read ``path`` into raw values; on failure return ``None`` and the problems that explain it."""
    suffix = ".parquet" if path.is_dir() else path.suffix.lower()
    name = path.name
    try:
        if suffix == ".csv":
            data = path.read_bytes()
            decoded = _decode(data)
            if decoded is None:
                return None, [Problem(name, None, None, "error", "encoding",
                                      "the file is neither UTF-8 nor GB18030/GBK text",
                                      "re-export it as CSV UTF-8 (in Excel: Save As → CSV UTF-8)")]
            text, enc = decoded
            if not text.strip():
                return None, [Problem(name, None, None, "error", "empty_table", "the file is empty",
                                      "export the table again with its header row and data")]
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
            except pd.errors.ParserError as e:
                return None, [Problem(name, None, None, "error", "malformed_csv", f"the CSV cannot be parsed ({e})",
                                      "check the quoting and the number of fields on that line, or re-export")]
            raw = RawTable(frame, path, "csv", enc)
        elif suffix == ".xlsx":
            merged = _merged_header_cells(path)
            if merged:
                return None, [Problem(name, 1, None, "error", "merged_header",
                                      f"the header row has merged cells ({', '.join(merged)})",
                                      "unmerge the header cells so that each column has its own one-line header")]
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine="openpyxl")
            raw = RawTable(frame, path, "xlsx", None)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            raw = RawTable(frame, path, "parquet", None)
        else:
            return None, [Problem(name, None, None, "error", "unsupported_format", f"{suffix} files are not read",
                                  "save the table as .csv (UTF-8), .xlsx or .parquet")]
    except (OSError, ValueError, KeyError) as e:
        if "zip" in str(e).lower() or "not a zip" in str(e).lower() or "excel" in str(e).lower():
            return None, [Problem(name, None, None, "error", "unreadable_file",
                                  f"the file cannot be opened as {suffix} ({e})",
                                  "the file may be truncated or misnamed; export it again")]
        return None, [Problem(name, None, None, "error", "unreadable_file", f"the file cannot be read ({e})",
                              "check that the file is complete and in a supported format, or export it again")]
    except Exception as e:  # pyarrow/openpyxl raise their own types for corrupt files
        return None, [Problem(name, None, None, "error", "unreadable_file", f"the file cannot be read ({type(e).__name__}: {e})",
                              "the file may be truncated or corrupt; export it again")]
    if len(raw.frame) == 0:
        return None, [Problem(name, None, None, "error", "empty_table", "the table has a header but no rows",
                              "export the table with its data, or remove the file if the table is not available")]
    return raw, []


def _merged_header_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=False)
    ws = wb.worksheets[0]
    return [str(r) for r in ws.merged_cells.ranges if r.min_row <= 1]


def _norm_header(h: object) -> str:
    s = unicodedata.normalize("NFKC", str(h)).replace("\ufeff", "").strip()
    return " ".join(s.split()).lower()


def map_headers(raw: RawTable, table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename English or Chinese headers to the contract's names; report missing, duplicated and renamed columns."""
    lookup: dict[str, str] = {}
    for col in table.columns:
        for h in col.headers:
            lookup[_norm_header(h)] = col.name
    name = raw.path.name
    problems: list[Problem] = []
    renames: dict[str, str] = {}
    seen: dict[str, str] = {}
    for h in raw.frame.columns:
        canon = lookup.get(_norm_header(h))
        if canon is None:
            if str(h).startswith("Unnamed:"):
                problems.append(Problem(name, 1, str(h), "error", "blank_header", "a column has no header",
                                        "give every column a header, or delete the empty column"))
            continue
        if canon in seen:
            problems.append(Problem(name, 1, str(h), "error", "duplicate_column",
                                    f"columns {seen[canon]!r} and {h!r} both mean {canon}",
                                    "keep one of them"))
            continue
        seen[canon] = str(h)
        renames[h] = canon
    frame = raw.frame.rename(columns=renames)
    unmatched = [str(h) for h in raw.frame.columns if h not in renames]
    for col in table.columns:
        if col.required and col.name not in frame.columns:
            guess = difflib.get_close_matches(_norm_header(col.name), [_norm_header(u) for u in unmatched], 1, 0.6)
            guess += difflib.get_close_matches(_norm_header(col.zh), [_norm_header(u) for u in unmatched], 1, 0.5)
            hint = f"; the column {guess[0]!r} looks like it — rename it" if guess else ""
            problems.append(Problem(name, 1, col.name, "error", "missing_column",
                                    f"required column {col.name} ({col.zh}) is missing{hint}",
                                    f"add a column headed {col.name!r} or {col.zh!r}"))
    return frame, problems
