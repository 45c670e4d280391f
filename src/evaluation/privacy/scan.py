"""The last gate before publishing: scan every artefact of a run for personal data.

:func:`scan_artefacts` reads executed notebooks (every cell source, output, traceback, attachment and metadata, and
the text chunks inside base64 PNG images), HTML (with its embedded ``data:`` images and ``\\uXXXX``-escaped script
data), Word files (body, tables, headers, footers, document properties, and every other XML part such as footnotes,
comments and text boxes), JSON (every key and value, with its JSON path), CSV, Excel, Markdown, text, SVG and PNG
(``tEXt``/``zTXt``/``iTXt``/``eXIf`` chunks). It reports

- every occurrence of a known personal value from the inputs (exact substring; :func:`collect_personal_values`),
- anything shaped like a mobile number, a valid resident ID number or an e-mail address
  (:mod:`evaluation.privacy.patterns`).

A file it cannot read as text (a PDF, a JPEG) is itself a finding of kind ``unscannable`` unless
``unscannable="skip"``: a gate that cannot look must not say "clean".

Findings never hold a full personal value: the value is shown by its first character only
(:func:`~evaluation.privacy.masking.mask_value`), and so is every other finding that falls in the excerpt.
"""

from __future__ import annotations

import base64
import binascii
import csv
import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .detect import detect_personal_columns, value_strings
from .masking import mask_value, names_pattern
from .patterns import find_personal_data
from .pseudonymise import normalise_identifier

__all__ = ["FINDING_COLUMNS", "PersonalDataLeak", "collect_personal_values", "scan_text", "scan_artefacts",
           "assert_clean", "png_text_chunks"]

FINDING_COLUMNS = ["file", "location", "kind", "excerpt"]
TEXT_SUFFIXES = frozenset({".md", ".txt", ".html", ".htm", ".svg", ".xml", ".tex", ".log", ".yaml", ".yml",
                           ".js", ".css", ".rst"})
_PLACEHOLDER_VALUES = frozenset({"无", "未知", "不详", "暂无", "匿名", "空", "其他", "其它", "na", "n/a", "nan",
                                 "none", "null", "unknown", "anonymous", "-", "--", "/"})
_CONTEXT = 24
_DATA_URI = re.compile(r"data:([\w.+\-]+/[\w.+\-]+)?(?:;[\w\-]+=[\w\-]+)*;base64,([A-Za-z0-9+/=\s]+)")
_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PersonalDataLeak(Exception):
    """Raised by :func:`assert_clean` when an artefact holds personal data. ``findings`` holds the details."""

    def __init__(self, findings: pd.DataFrame, limit: int = 50):
        self.findings = findings
        lines = [f"{len(findings)} finding(s) of personal data in {findings['file'].nunique()} file(s); "
                 f"nothing may be published until they are removed:"]
        for row in findings.head(limit).itertuples(index=False):
            lines.append(f"  {row.file} | {row.location} | {row.kind} | {row.excerpt}")
        if len(findings) > limit:
            lines.append(f"  … and {len(findings) - limit} more")
        super().__init__("\n".join(lines))


def collect_personal_values(df: pd.DataFrame, min_share: float = 0.5) -> set[str]:
    """Raw personal values of a table, to look for in the outputs.

    Parameters
    ----------
    df : DataFrame
        A table before pseudonymisation.
    min_share : float
        Passed to :func:`~evaluation.privacy.detect.detect_personal_columns`.

    Returns
    -------
    set of str
        Every value of a personal column with at least two characters, except placeholders such as 无 or 未知;
        phone and ID numbers also in their normalised form (``138-1234-5678`` → ``13812345678``).
    """
    values: set[str] = set()
    for col, kind in detect_personal_columns(df, min_share)[["column", "kind"]].itertuples(index=False):
        for v in value_strings(df[col]).unique():
            if len(v) < 2 or v.lower() in _PLACEHOLDER_VALUES:
                continue
            values.add(v)
            if kind in ("phone", "id_number"):
                norm = normalise_identifier(v, kind)
                if norm and len(norm) >= 2:
                    values.add(norm)
    return values


class _Finder:
    """Finds pattern-shaped and known personal values in strings."""

    def __init__(self, known_values: Iterable[str]):
        known = {str(v) for v in known_values if v is not None and len(str(v).strip()) >= 2}
        self.known = names_pattern(known)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        found = [(m.start, m.end, m.kind) for m in find_personal_data(text)]
        if self.known is not None:
            taken = bytearray(len(text))
            for s, e, _ in found:
                taken[s:e] = b"\x01" * (e - s)
            for m in self.known.finditer(text):
                if taken.find(1, m.start(), m.end()) < 0:
                    found.append((m.start(), m.end(), "known_value"))
        return sorted(found)


def _masked(text: str, spans: list[tuple[int, int, str]]) -> str:
    # mask_value keeps the length, so positions in the masked text are positions in the original.
    out, last = [], 0
    for s, e, _ in spans:
        if s < last:
            continue
        out.append(text[last:s])
        out.append(mask_value(text[s:e]))
        last = e
    out.append(text[last:])
    return "".join(out)


def scan_text(text: str, known_values: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Findings in one string, as ``(kind, masked excerpt)`` pairs.

    Every finding in the string is masked before the excerpt around one is cut, so a neighbouring value never
    shows in an excerpt.
    """
    return [(kind, excerpt) for kind, excerpt, _ in _scan_unit(text, _Finder(known_values))]


def _scan_unit(text: str, finder: _Finder) -> list[tuple[str, str, str]]:
    """(kind, masked excerpt, raw value); the raw value stays in memory, to tell repeated findings apart."""
    spans = finder.spans(text)
    if not spans:
        return []
    masked = _masked(text, spans)
    out = []
    for start, end, kind in spans:
        lo, hi = max(0, start - _CONTEXT), min(len(text), end + _CONTEXT)
        body = re.sub(r"\s+", " ", masked[lo:hi])
        out.append((kind, ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else ""), text[start:end]))
    return out


def png_text_chunks(data: bytes) -> list[tuple[str, str]]:
    """Text held in a PNG file's ancillary chunks, as ``(label, text)`` pairs (label e.g. ``"tEXt Software"``).

    Reads ``tEXt``, ``zTXt`` and ``iTXt`` (PNG specification, 3rd ed., §11.3.3) and the printable bytes of ``eXIf``.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return []
    out: list[tuple[str, str]] = []
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if ctype == b"tEXt":
                key, _, text = body.partition(b"\0")
                out.append((f"tEXt {key.decode('latin-1')}", text.decode("latin-1")))
            elif ctype == b"zTXt":
                key, _, rest = body.partition(b"\0")
                out.append((f"zTXt {key.decode('latin-1')}", zlib.decompress(rest[1:]).decode("latin-1")))
            elif ctype == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _lang, _, rest = rest.partition(b"\0")
                translated, _, text = rest.partition(b"\0")
                if compressed:
                    text = zlib.decompress(text)
                label = f"iTXt {key.decode('latin-1')}"
                out.append((label, translated.decode("utf-8", "replace") + " " + text.decode("utf-8", "replace")))
            elif ctype == b"eXIf":
                out.append(("eXIf", b" ".join(re.findall(rb"[\x20-\x7e]{4,}", body)).decode("ascii")))
            elif ctype == b"IEND":
                break
        except (zlib.error, IndexError, UnicodeDecodeError):
            out.append((f"{ctype.decode('latin-1')} (unreadable)", ""))
    return out


# --- units: (location, text) pairs per file type -------------------------------------------------------------

Unit = tuple[str, str]
_RAW = "\0raw"  # marks where a file's structured units end and its raw fallback units begin


def _decode_text(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", data, 0, 1, "neither UTF-8 nor GB18030")


def _b64_units(label: str, payload: str, mime: str | None = None) -> Iterator[Unit]:
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=False)
    except (binascii.Error, ValueError):
        yield f"{label} (undecodable base64)", ""
        return
    if data.startswith(_PNG_SIGNATURE):
        for chunk, text in png_text_chunks(data):
            yield f"{label} PNG {chunk}", text
    elif mime and ("svg" in mime or mime.startswith("text/")):
        yield label, data.decode("utf-8", "replace")


def _unescape_js(text: str) -> str:
    return _JS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\u" in text else text


def _text_units(text: str, is_html: bool = False) -> Iterator[Unit]:
    for n, line in enumerate(text.splitlines(), start=1):
        if "base64," in line:
            for k, m in enumerate(_DATA_URI.finditer(line)):
                yield from _b64_units(f"line {n} data URI {k}", m.group(2), m.group(1))
            line = _DATA_URI.sub("data:…", line)
        if is_html and "&" in line:
            line = html.unescape(line)
        yield f"line {n}", _unescape_js(line)


def _walk_json(obj: object, path: str = "$") -> Iterator[Unit]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield f"{path} (key)", str(k)
            yield from _walk_json(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_json(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        if "base64," in obj:
            yield from _b64_units(path, obj.split("base64,")[-1])
            yield path, _DATA_URI.sub("data:…", obj)
        elif len(obj) > 200 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", obj):
            # Probably an encoded image; a long run of digits also fits the alphabet, so read it as text too.
            yield from _b64_units(path, obj)
            yield path, obj
        else:
            yield path, obj
    elif isinstance(obj, bool) or obj is None:
        return
    elif isinstance(obj, int) or (isinstance(obj, float) and obj.is_integer() and abs(obj) < 1e19):
        yield path, str(int(obj))


def _sub(path: str) -> str:
    return path[1:].lstrip(".")


def _source(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _notebook_units(nb: dict) -> Iterator[Unit]:
    yield from ((f"notebook metadata {_sub(p)}", t) for p, t in _walk_json(nb.get("metadata", {})))
    for i, cell in enumerate(nb.get("cells", [])):
        where = f"cell {i} ({cell.get('cell_type', '?')})"
        yield f"{where} source", _source(cell.get("source"))
        yield from ((f"{where} metadata {_sub(p)}", t) for p, t in _walk_json(cell.get("metadata", {})))
        for name, bundle in (cell.get("attachments") or {}).items():
            for mime, payload in bundle.items():
                yield from _b64_units(f"{where} attachment {name} {mime}", _source(payload), mime)
        for j, output in enumerate(cell.get("outputs", [])):
            at = f"{where} output {j}"
            kind = output.get("output_type")
            if kind == "stream":
                yield f"{at} {output.get('name', 'stream')}", _source(output.get("text"))
            elif kind == "error":
                yield f"{at} error", f"{output.get('ename', '')}: {output.get('evalue', '')}"
                yield f"{at} traceback", _ANSI.sub("", "\n".join(output.get("traceback", [])))
            for mime, payload in (output.get("data") or {}).items():
                if mime.startswith("image/") and "svg" not in mime:
                    yield from _b64_units(f"{at} {mime}", _source(payload), mime)
                elif isinstance(payload, (dict, list)) and mime.endswith("json"):
                    yield from ((f"{at} {mime} {_sub(p)}", t) for p, t in _walk_json(payload))
                else:
                    text = _source(payload)
                    if "base64," in text:
                        for k, m in enumerate(_DATA_URI.finditer(text)):
                            yield from _b64_units(f"{at} {mime} data URI {k}", m.group(2), m.group(1))
                        text = _DATA_URI.sub("data:…", text)
                    yield f"{at} {mime}", _unescape_js(html.unescape(text) if "html" in mime else text)
            yield from ((f"{at} metadata {_sub(p)}", t) for p, t in _walk_json(output.get("metadata", {})))


def _csv_units(text: str) -> Iterator[Unit]:
    rows = csv.reader(io.StringIO(text))
    header: list[str] = []
    for r, row in enumerate(rows):
        if r == 0:
            header = row
            yield "header", "\t".join(row)
            continue
        for c, cell in enumerate(row):
            name = header[c] if c < len(header) else str(c)
            yield f"row {r} column {name}", cell


try:  # python-docx raises its own error (not a zipfile one) for a damaged or foreign package
    from docx.opc.exceptions import OpcError as _DocxError
except ImportError:  # pragma: no cover - python-docx is a dependency
    _DocxError = ValueError


def _docx_units(path: Path) -> Iterator[Unit]:
    from docx import Document

    doc = Document(str(path))
    # cell elements already read (merged cells repeat): held in ``kept``, so lxml keeps each proxy and its id() stays
    # that element's; looked up by id, since a search of the list made the scan quadratic in the number of cells
    kept: list = []
    seen: set[int] = set()

    def table_units(table, label: str) -> Iterator[Unit]:
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                if id(cell._tc) in seen:
                    continue
                kept.append(cell._tc)
                seen.add(id(cell._tc))
                yield f"{label} row {r} cell {c}", "\n".join(p.text for p in cell.paragraphs)
                for k, inner in enumerate(cell.tables, start=1):
                    yield from table_units(inner, f"{label} row {r} cell {c} table {k}")

    for i, p in enumerate(doc.paragraphs, start=1):
        yield f"paragraph {i}", p.text
    for t, table in enumerate(doc.tables, start=1):
        yield from table_units(table, f"table {t}")
    for s, section in enumerate(doc.sections, start=1):
        for part_name in ("header", "footer", "first_page_header", "first_page_footer", "even_page_header",
                          "even_page_footer"):
            part = getattr(section, part_name)
            if part.is_linked_to_previous:
                continue
            for i, p in enumerate(part.paragraphs, start=1):
                yield f"section {s} {part_name} paragraph {i}", p.text
            for t, table in enumerate(part.tables, start=1):
                yield from table_units(table, f"section {s} {part_name} table {t}")
    props = doc.core_properties
    for name in ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category",
                 "content_status", "identifier"):
        value = getattr(props, name, None)
        if value:
            yield f"properties {name}", str(value)


def _docx_raw_units(path: Path) -> Iterator[Unit]:
    """Every XML part and image of the package: footnotes, comments, text boxes, custom properties."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.lower().endswith(".png"):
                for chunk, text in png_text_chunks(data):
                    yield f"{name} PNG {chunk}", text
                continue
            if not name.endswith((".xml", ".rels")):
                continue
            try:
                root = etree.fromstring(data)
            except etree.XMLSyntaxError:
                yield f"{name} (unparsable)", data.decode("utf-8", "replace")
                continue
            paragraphs = root.iter(f"{_W}p")
            found_p = False
            for k, p in enumerate(paragraphs, start=1):
                found_p = True
                yield f"{name} paragraph {k}", "".join(t.text or "" for t in p.iter(f"{_W}t"))
            if not found_p:
                yield name, " ".join(t for t in root.itertext())
            for el in root.iter():
                for attr, value in el.attrib.items():
                    if len(value) >= 2:
                        yield f"{name} attribute {etree.QName(attr).localname}", value


def _xlsx_units(path: Path) -> Iterator[Unit]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and getattr(cell, "coordinate", None):
                        yield f"{ws.title}!{cell.coordinate}", str(cell.value)
        props = wb.properties
        for name in ("creator", "lastModifiedBy", "title", "subject", "keywords", "description"):
            if getattr(props, name, None):
                yield f"properties {name}", str(getattr(props, name))
    finally:
        wb.close()


def _file_units(path: Path) -> Iterator[Unit]:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        yield from _docx_units(path)
        yield _RAW, ""
        yield from _docx_raw_units(path)
        return
    if suffix == ".xlsx":
        yield from _xlsx_units(path)
        return
    data = path.read_bytes()
    if suffix == ".png" or data.startswith(_PNG_SIGNATURE):
        for chunk, text in png_text_chunks(data):
            yield f"PNG {chunk}", text
        return
    text = _decode_text(data)  # UnicodeDecodeError: the caller reports the file as unscannable
    if suffix == ".ipynb":
        yield from _notebook_units(json.loads(text))
    elif suffix == ".json":
        try:
            yield from _walk_json(json.loads(text))
        except json.JSONDecodeError:
            yield from _text_units(text)
    elif suffix in (".csv", ".tsv"):
        yield from _csv_units(text)
    else:
        yield from _text_units(text, is_html=suffix in (".html", ".htm", ".svg", ".xml"))


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in (Path(x) for x in ([paths] if isinstance(paths, (str, Path)) else paths)):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(p)
    return out


def scan_artefacts(paths: Iterable[str | Path] | str | Path, known_values: Iterable[str] = (), *,
                   unscannable: str = "flag") -> pd.DataFrame:
    """Scan the artefacts of a run for personal data.

    Parameters
    ----------
    paths : path or iterable of paths
        Files, or folders (scanned recursively, hidden files skipped).
    known_values : iterable of str
        Raw personal values from the inputs (:func:`collect_personal_values`), flagged wherever they occur.
    unscannable : {"flag", "skip"}
        What to do with a file that is not text and not one of the formats read here (PDF, JPEG, …).

    Returns
    -------
    DataFrame
        One row per finding: ``file``; ``location`` (e.g. ``cell 3 (code) output 0 text/plain``,
        ``$.survey.rows[2].name``, ``table 1 row 2 cell 3``, ``line 40``, ``PNG tEXt Author``); ``kind``
        (``phone`` | ``id_number`` | ``email`` | ``known_value`` | ``unscannable``); ``excerpt``, the surrounding text
        with every personal value masked to its first character. Empty when clean.
    """
    if unscannable not in ("flag", "skip"):
        raise ValueError("unscannable must be 'flag' or 'skip'")
    finder = _Finder(known_values)
    rows: list[tuple[str, str, str, str]] = []
    for path in _expand(paths):
        name = str(path)
        for kind, excerpt, _ in _scan_unit(path.name, finder):
            rows.append((name, "file name", kind, excerpt))
        seen: set[tuple[str, str]] = set()
        raw = False
        try:
            for location, text in _file_units(path):
                if location == _RAW:
                    raw = True
                    continue
                for kind, excerpt, value in _scan_unit(text, finder) if text else ():
                    # Raw fallback units only add what the structured reading missed (text boxes, footnotes, …).
                    if raw and (kind, value) in seen:
                        continue
                    seen.add((kind, value))
                    rows.append((name, location, kind, excerpt))
        except (UnicodeDecodeError, zipfile.BadZipFile, ValueError, KeyError, OSError, _DocxError) as exc:
            if unscannable == "flag":
                rows.append((name, "whole file", "unscannable", f"cannot be read as text: {type(exc).__name__}"))
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return out.drop_duplicates(ignore_index=True)


def assert_clean(paths: Iterable[str | Path] | str | Path, known_values: Iterable[str] = (), *,
                 unscannable: str = "flag") -> None:
    """Raise :class:`PersonalDataLeak` if :func:`scan_artefacts` finds anything; return None when clean."""
    findings = scan_artefacts(paths, known_values, unscannable=unscannable)
    if not findings.empty:
        raise PersonalDataLeak(findings)
