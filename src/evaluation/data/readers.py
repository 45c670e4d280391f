"""Read one exported table from disk: CSV in UTF-8 / UTF-8-BOM / GB18030 (GBK), Excel .xlsx, or Parquet.

Readers return raw values (strings for CSV and Excel) with the header mapped onto the contract's English names; typing
and validation happen afterwards, so every problem can still be traced to its file, row and column.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Problem
from .contract import Table
from .schemas import quote

__all__ = ["RawTable", "Decoded", "decode_export", "find_table_file", "read_table_file", "map_headers", "sha256_file",
           "SUPPORTED_SUFFIXES"]

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
                                "keep one file per table and remove or rename the others",
                                f"数据表 {name} 有不止一个文件", "每张表只保留一个文件，删除或改名其余文件"))
        return None, problems
    if not hits and others:
        problems.append(Problem(others[0].name, None, None, "error", "unsupported_format",
                                f"{others[0].suffix} files are not read",
                                "save the table as .csv (UTF-8), .xlsx or .parquet",
                                f"不读取 {others[0].suffix} 格式的文件", "把表另存为 .csv（UTF-8）、.xlsx 或 .parquet"))
    return (hits[0] if hits else None), problems


@dataclass(frozen=True)
class Decoded:
    """The outcome of :func:`decode_export`: the text and its encoding, or where the bytes stop being text.

    ``bad_offset``/``bad_row`` locate the first byte that is not UTF-8 when neither reading is clean;
    ``ambiguous`` holds (row, UTF-8 reading, GB18030 reading) of the first line where two clean readings differ,
    when the choice rested on the tie rule.
    """

    text: str | None
    encoding: str | None
    bad_offset: int | None = None
    bad_row: int | None = None
    bad_column: int | None = None
    ambiguous: tuple[int, str, str] | None = None


_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def _non_ascii(text: str) -> str:
    """The characters of ``text`` beyond ASCII, in order (one substitution: a character-by-character filter cost about
    a second per large CSV export)."""
    return _ASCII_RUN.sub("", text)


def _line_at(data: bytes, offset: int) -> tuple[int, int]:
    """Line (1 = header) and 0-based field of byte ``offset`` (fields counted by commas, quotes ignored)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, data.count(b",", line_start, offset)


def decode_export(data: bytes) -> Decoded:
    """Decode an exported CSV by strict decoding of the whole file: UTF-8 (with or without BOM), else GB18030.

    - A file that is valid UTF-8 is UTF-8 when it has a BOM, no non-ASCII byte, or any character of UTF-8's three-
      and four-byte ranges (every Chinese character is one). A GBK file passes as UTF-8 only if every one of its
      Chinese characters happens to be a valid UTF-8 sequence, which never holds for more than a handful of
      characters; so one ``·``, ``é`` or no-break space in a UTF-8 export with Chinese text cannot flip it to GB18030.
    - The tie, a file valid in both whose UTF-8 reading has only two-byte characters (U+0080–U+07FF) and no Chinese
      at all, is what the commit "GBK text that also decodes as UTF-8 is read as GBK" protects: a GBK file whose only
      Chinese characters are e.g. 霞 (GBK CF BC, UTF-8 "ϼ"), 头 or 女 ("Ů"). Latin-1 characters (é, ·, NBSP, °, ×)
      are what UTF-8 exports really contain, so a UTF-8 reading within U+0080–U+00FF stays UTF-8; Greek, Cyrillic,
      Latin Extended and the like beside no Chinese at all are not in a Chinese export, so GB18030 wins when its
      reading is all Chinese. Either way the tie is reported (``ambiguous``), so the loader warns with both readings.
    - A file that is not UTF-8 but is mostly UTF-8 Chinese (more Chinese characters in a lenient UTF-8 reading than
      bad bytes) is a damaged UTF-8 file: reading it as GB18030 would turn every name into mojibake, so it is
      refused at its first bad byte, as is a file neither encoding reads.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        utf8 = data.decode("utf-8-sig")
        utf8_error = None
    except UnicodeDecodeError as e:
        utf8, utf8_error = None, e
    if utf8 is not None:
        wide = _non_ascii(utf8)
        if bom or not wide or any(ord(ch) >= 0x800 for ch in wide):
            return Decoded(utf8, "utf-8-sig")
        try:
            gb = data.decode("gb18030")
        except UnicodeDecodeError:
            return Decoded(utf8, "utf-8-sig")
        gb_wide = _non_ascii(gb)
        all_chinese = bool(gb_wide) and all(_is_cjk(ch) for ch in gb_wide)
        tie = _first_difference(utf8, gb)
        if all_chinese and any(ord(ch) > 0xFF for ch in wide):
            return Decoded(gb, "gb18030", ambiguous=tie)
        return Decoded(utf8, "utf-8-sig", ambiguous=tie if all_chinese else None)
    lenient = data.decode("utf-8-sig", errors="replace")
    damaged_utf8 = bom or sum(1 for ch in lenient if ord(ch) >= 0x800 and ch != "\ufffd") > lenient.count("\ufffd")
    if not damaged_utf8:
        try:
            return Decoded(data.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            pass
    offset = utf8_error.start + (3 if bom else 0)
    row, field = _line_at(data, offset)
    return Decoded(None, None, offset, row, field)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff" or \
        "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _first_difference(a: str, b: str) -> tuple[int, str, str]:
    for i, (la, lb) in enumerate(zip(a.splitlines(), b.splitlines()), start=1):
        if la != lb:
            return i, la[:60], lb[:60]
    return 1, a[:60], b[:60]


def _decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding of an export (see :func:`decode_export`), or None when it is not text."""
    d = decode_export(data)
    return None if d.text is None else (d.text, d.encoding)


def _encoding_problem(name: str, data: bytes, d: Decoded) -> Problem:
    header = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip().split(",")
    column = header[d.bad_column].strip().strip('"') if d.bad_column is not None and d.bad_row != 1 \
        and d.bad_column < len(header) else None
    return Problem(name, d.bad_row, column, "error", "encoding",
                   f"the file is neither clean UTF-8 nor GB18030/GBK text: byte {d.bad_offset:,} "
                   f"(0x{data[d.bad_offset]:02X}) on line {d.bad_row} is not UTF-8",
                   "re-export it as CSV UTF-8 (in Excel: Save As → CSV UTF-8), or retype that cell; a file "
                   "pieced together from exports in two encodings must be re-exported whole",
                   f"文件既不是规范的 UTF-8，也不是 GB18030/GBK 文本：第 {d.bad_row} 行的第 {d.bad_offset:,} 个字节"
                   f"（0x{data[d.bad_offset]:02X}）不是 UTF-8",
                   "重新导出为 CSV UTF-8（Excel：另存为 → CSV UTF-8），或重新输入该单元格；由两种编码的导出文件拼成的"
                   "文件须整体重新导出")


def _ambiguity_warning(name: str, d: Decoded) -> Problem:
    row, as_utf8, as_gbk = d.ambiguous
    chosen = "UTF-8" if d.encoding.startswith("utf-8") else "GB18030/GBK"
    return Problem(name, row, None, "warning", "encoding_ambiguous",
                   f"the file reads both as UTF-8 ({quote(as_utf8, 60)}) and as GBK ({quote(as_gbk, 60)}); it was "
                   f"read as {chosen}",
                   "if that reading is wrong, re-export the file as CSV UTF-8 with BOM (Excel: Save As → CSV UTF-8)",
                   f"文件既可按 UTF-8 读作 {quote(as_utf8, 60)}，也可按 GBK 读作 {quote(as_gbk, 60)}；已按 {chosen} 读取",
                   "如读取有误，请把文件重新导出为带 BOM 的 CSV UTF-8（Excel：另存为 → CSV UTF-8）")


def _duplicate_headers(name: str, headers: list[object]) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        key = _norm_header(h)
        if not key or key.startswith("unnamed:"):
            continue
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            out.append(Problem(name, 1, str(h).strip(), "error", "duplicate_header",
                               f"the header {str(h).strip()!r} appears more than once",
                               "delete the repeated column, or give it its own header; which copy holds the data "
                               "cannot be guessed",
                               f"表头 {str(h).strip()!r} 出现不止一次",
                               "删除重复的列，或给它一个自己的表头；无法判断哪一列才是数据"))
    return out


def read_table_file(path: Path, table: Table | None = None) -> tuple[RawTable | None, list[Problem]]:
    """Read ``path`` into raw values; on failure return ``None`` and the problems that explain it.

    ``table`` (the contract table the file is for) picks the sheet of a workbook: the sheet named after the table
    (English or Chinese name), else the one sheet holding data.
    """
    suffix = ".parquet" if path.is_dir() else path.suffix.lower()
    name = path.name
    warnings: list[Problem] = []
    try:
        if suffix == ".csv":
            data = path.read_bytes()
            decoded = decode_export(data)
            if decoded.text is None:
                return None, [_encoding_problem(name, data, decoded)]
            if decoded.ambiguous is not None:
                warnings.append(_ambiguity_warning(name, decoded))
            text, enc = decoded.text, decoded.encoding
            if not text.strip():
                return None, [Problem(name, None, None, "error", "empty_table", "the file is empty",
                                      "export the table again with its header row and data",
                                      "文件是空的", "连同表头和数据重新导出该表")]
            header = next(csv.reader(io.StringIO(text)), [])
            dup = _duplicate_headers(name, header)
            if dup:
                return None, dup
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
            except pd.errors.ParserError as e:
                return None, [Problem(name, None, None, "error", "malformed_csv", f"the CSV cannot be parsed ({e})",
                                      "check the quoting and the number of fields on that line, or re-export",
                                      f"无法解析该 CSV（{e}）", "检查该行的引号和字段数，或重新导出")]
            raw = RawTable(frame, path, "csv", enc)
        elif suffix == ".xlsx":
            sheet, problems = _xlsx_sheet(path, table)
            if sheet is None:
                return None, problems
            frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, engine="openpyxl")
            raw = RawTable(frame, path, "xlsx", None)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            dup = _duplicate_headers(name, list(frame.columns))
            if dup:
                return None, dup
            raw = RawTable(frame, path, "parquet", None)
        else:
            return None, [Problem(name, None, None, "error", "unsupported_format", f"{suffix} files are not read",
                                  "save the table as .csv (UTF-8), .xlsx or .parquet",
                                  f"不读取 {suffix} 格式的文件", "把表另存为 .csv（UTF-8）、.xlsx 或 .parquet")]
    except (OSError, ValueError, KeyError) as e:
        if "zip" in str(e).lower() or "not a zip" in str(e).lower() or "excel" in str(e).lower():
            return None, [Problem(name, None, None, "error", "unreadable_file",
                                  f"the file cannot be opened as {suffix} ({e})",
                                  "the file may be truncated or misnamed; export it again",
                                  f"无法按 {suffix} 格式打开该文件（{e}）", "文件可能不完整或扩展名有误；请重新导出")]
        return None, [Problem(name, None, None, "error", "unreadable_file", f"the file cannot be read ({e})",
                              "check that the file is complete and in a supported format, or export it again",
                              f"无法读取该文件（{e}）", "检查文件是否完整、格式是否受支持，或重新导出")]
    except Exception as e:  # pyarrow/openpyxl raise their own types for corrupt files
        return None, [Problem(name, None, None, "error", "unreadable_file", f"the file cannot be read ({type(e).__name__}: {e})",
                              "the file may be truncated or corrupt; export it again",
                              f"无法读取该文件（{type(e).__name__}: {e}）", "文件可能不完整或已损坏；请重新导出")]
    if len(raw.frame) == 0:
        return None, [Problem(name, None, None, "error", "empty_table", "the table has a header but no rows",
                              "export the table with its data, or remove the file if the table is not available",
                              "该表只有表头，没有数据行", "连同数据导出该表；如没有这张表，删除该文件")]
    return raw, warnings


def _sheet_has_data(ws) -> bool:
    return any(v is not None and str(v).strip() != "" for row in ws.iter_rows(values_only=True) for v in row)


def _xlsx_sheet(path: Path, table: Table | None) -> tuple[str | None, list[Problem]]:
    """The sheet of a workbook holding the table, or None and why not (several sheets, merged header, formulas
    without a saved value)."""
    from openpyxl import load_workbook

    name = path.name
    # formulas as written (data_only=False); their saved values are looked up only when there are formulas
    wb = load_workbook(path, read_only=False, data_only=False)
    with_data = [ws for ws in wb.worksheets if _sheet_has_data(ws)]
    wanted = {_norm_header(table.name), _norm_header(table.zh)} if table is not None else set()
    named = [ws for ws in wb.worksheets if _norm_header(ws.title) in wanted]
    if named:
        ws = named[0]
    elif len(with_data) == 1 or (not with_data and wb.worksheets):
        ws = with_data[0] if with_data else wb.worksheets[0]
    else:
        titles = ", ".join(repr(w.title) for w in with_data)
        table_names = f"{table.name!r} or {table.zh!r}" if table is not None else "the table's name"
        return None, [Problem(name, None, None, "error", "several_sheets",
                              f"the workbook has data on several sheets ({titles}); which one is the table cannot "
                              "be guessed", f"rename the sheet holding the table {table_names}, or delete the "
                              "other sheets",
                              f"工作簿有多个工作表含数据（{titles}），无法判断哪一个是该表",
                              f"把存放该表的工作表改名为 {table_names}，或删除其他工作表")]
    merged = [str(r) for r in ws.merged_cells.ranges if r.min_row <= 1]
    if merged:
        return None, [Problem(name, 1, None, "error", "merged_header",
                              f"the header row has merged cells ({', '.join(merged)})",
                              "unmerge the header cells so that each column has its own one-line header",
                              f"表头行有合并单元格（{', '.join(merged)}）", "取消表头的合并单元格，使每列各有一行表头")]
    headers = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1), ())]
    dup = _duplicate_headers(name, [h for h in headers if h is not None])
    if dup:
        return None, dup
    formula_cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.data_type == "f"]
    if not formula_cells:
        return ws.title, []
    saved = load_workbook(path, read_only=False, data_only=True)[ws.title]
    problems = []
    for cf in formula_cells:
        if saved[cf.coordinate].value is None:
            col = headers[cf.column - 1] if cf.column - 1 < len(headers) else None
            problems.append(Problem(name, cf.row, None if col is None else str(col), "error",
                                    "formula_without_value",
                                    f"cell {cf.coordinate} holds a formula whose value was never saved",
                                    "open the file in Excel or WPS and save it again (so the values are "
                                    "stored), or paste the column as values",
                                    f"单元格 {cf.coordinate} 是公式，但其计算结果从未保存",
                                    "用 Excel 或 WPS 打开文件并重新保存（以保存数值），或把该列粘贴为数值"))
    if problems:
        return None, problems
    return ws.title, []


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
                                        "give every column a header, or delete the empty column",
                                        "有一列没有表头", "给每一列加上表头，或删除空列"))
            continue
        if canon in seen:
            problems.append(Problem(name, 1, str(h), "error", "duplicate_column",
                                    f"columns {seen[canon]!r} and {h!r} both mean {canon}",
                                    "keep one of them",
                                    f"列 {seen[canon]!r} 和 {h!r} 都表示 {canon}", "只保留其中一列"))
            continue
        seen[canon] = str(h)
        renames[h] = canon
    frame = raw.frame.rename(columns=renames)
    unmatched = [str(h) for h in raw.frame.columns if h not in renames]
    # volunteers and service hours may come with 姓名/手机号 instead of the key, which is derived on loading
    derivable = {"person_key"} if any(c.personal and c.name in frame.columns for c in table.columns) else set()
    for col in table.columns:
        if col.required and col.name not in frame.columns and col.name not in derivable:
            guess = difflib.get_close_matches(_norm_header(col.name), [_norm_header(u) for u in unmatched], 1, 0.6)
            guess += difflib.get_close_matches(_norm_header(col.zh), [_norm_header(u) for u in unmatched], 1, 0.5)
            hint = f"; the column {guess[0]!r} looks like it — rename it" if guess else ""
            hint_zh = f"；{guess[0]!r} 列看起来就是它，请改名" if guess else ""
            problems.append(Problem(name, 1, col.name, "error", "missing_column",
                                    f"required column {col.name} ({col.zh}) is missing{hint}",
                                    f"add a column headed {col.name!r} or {col.zh!r}",
                                    f"缺少必需的列 {col.name}（{col.zh}）{hint_zh}",
                                    f"加一列，表头为 {col.name!r} 或 {col.zh!r}"))
    return frame, problems
