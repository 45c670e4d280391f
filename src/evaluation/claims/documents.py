"""Reading a submission (Markdown, plain text or Word) into one normalised text, and splitting it into sentences.

Offsets are the point of this module: every claim carries ``start``/``end`` into the text that
:func:`read_submission` returns, and a reviewer must be able to find the figure again. So both normalisations here
preserve length, character for character:

* full-width forms become their ASCII twins (４０００ -> 4000, ％ -> %, ＋ -> +, Ｎ -> N, ideographic space -> space);
  Chinese sentence punctuation that has no ASCII twin in running Chinese text (，；：！？（）) is kept, except a
  full-width comma or point between two digits (１６，２９５ -> 16,295; ３４．４８ -> 34.48);
* Markdown syntax (headings, emphasis, links, images, list markers, block quotes, tables, HTML tags, code fences) is
  blanked to spaces rather than deleted, so for ``.md`` and ``.txt`` files the offsets are also offsets into the file.

For ``.docx`` the text is the document's paragraphs (and table rows, cells separated by tabs) joined by newlines, in
document order; offsets refer to that text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

__all__ = ["read_submission", "normalise_submission", "strip_markdown", "split_sentences", "SENTENCE_END"]

SENTENCE_END = "。！？；!?;"
_CLOSERS = "”’」』)）》\"'"

# Full-width ASCII block (U+FF01..U+FF5E) maps to U+0021..U+007E; these few stay Chinese unless between digits.
_KEEP_FULLWIDTH = set("，；：！？（）")


def normalise_submission(text: str) -> str:
    """Length-preserving normalisation of full-width digits, letters and symbols (see the module docstring)."""
    chars = list(text)
    n = len(chars)
    for i, ch in enumerate(chars):
        code = ord(ch)
        if ch == "\u3000":
            chars[i] = " "
        elif ch == "\r":
            chars[i] = "\n" if i + 1 >= n or text[i + 1] != "\n" else " "
        elif ch in ("\ufe6a",):  # small percent sign
            chars[i] = "%"
        elif 0xFF01 <= code <= 0xFF5E and ch not in _KEEP_FULLWIDTH:
            chars[i] = chr(code - 0xFEE0)
    for i, ch in enumerate(chars):
        if ch in ("，", "．", "。") and 0 < i < n - 1 and chars[i - 1].isdigit() and chars[i + 1].isdigit():
            # 16，295 and 34．48 are number punctuation; 。 between digits is an OCR slip for the decimal point.
            if ch == "，" and i + 3 < n + 1 and "".join(chars[i + 1:i + 4]).isdigit() and (
                    i + 4 >= n or not chars[i + 4].isdigit()):
                chars[i] = ","
            elif ch in ("．", "。"):
                chars[i] = "."
    return "".join(chars)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


_MD_LINE_PATTERNS = [
    re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.M),                       # ATX heading marker
    re.compile(r"[ \t]+#+[ \t]*$", re.M),                               # closing hashes of a heading
    re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M),                           # block quote
    re.compile(r"^[ \t]*[-*+][ \t]+(?:\[[ xX]\][ \t]+)?", re.M),        # bullet (and task box)
    re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+", re.M),                      # ordered-list number: not a figure
    re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M),                   # horizontal rule
    re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M),  # table rule
    re.compile(r"^[ \t]*(?:```|~~~).*$", re.M),                          # code fence line
    re.compile(r"^[=-]{3,}[ \t]*$", re.M),                              # setext underline
]


def strip_markdown(text: str) -> str:
    """Blank Markdown syntax to spaces, keeping the words and every character offset.

    Link and image targets are blanked and their text kept (``[文本](url)`` -> `` 文本      ``); emphasis markers,
    inline code ticks, table pipes, HTML tags and footnote references are blanked. Ordered-list numbers (``1. ``)
    are blanked too, so that they are never read as figures.
    """
    spans: list[tuple[int, int]] = []
    for pat in _MD_LINE_PATTERNS:
        spans += [m.span() for m in pat.finditer(text)]
    for m in re.finditer(r"(!?\[)([^\]\n]*)(\]\([^)\n]*\))", text):   # links and images
        spans.append(m.span(1))
        spans.append(m.span(3))
    for m in re.finditer(r"\[\^[^\]\n]+\](?::)?", text):                 # footnote refs
        spans.append(m.span())
    for m in re.finditer(r"<[A-Za-z/!][^<>\n]*>", text):                # HTML tags
        spans.append(m.span())
    for m in re.finditer(r"(\*\*|__|\*|_|~~|`)(?=\S)(.+?)(?<=\S)\1", text):  # emphasis / code spans
        spans.append((m.start(1), m.end(1)))
        spans.append((m.end(2), m.end()))
    for m in re.finditer(r"\|", text):                                   # table cell separators
        spans.append(m.span())
    return _blank(text, spans)


def read_submission(path: str | Path) -> str:
    """Read a submission (``.md``, ``.markdown``, ``.txt`` or ``.docx``) into normalised plain text.

    Parameters
    ----------
    path : str or Path
        The file. Text files are read as UTF-8 (with or without BOM), falling back to GB18030, which covers GBK
        files saved by Chinese Windows editors.

    Returns
    -------
    str
        Text with full-width digits and symbols normalised and Markdown syntax blanked, same length as the file's
        text for ``.md``/``.txt``.

    Raises
    ------
    evaluation.errors.JinlinError
        When the file is missing or its type is not supported.
    """
    from evaluation.errors import JinlinError

    p = Path(path)
    if not p.is_file():
        raise JinlinError(f"Submission not found: {p}", zh=f"找不到提交的材料：{p}")
    suffix = p.suffix.lower()
    if suffix == ".docx":
        import zipfile

        fix = "fix: open it in Word or WPS and save it again as .docx, or save it as .txt"
        fix_zh = "修改：用 Word 或 WPS 打开，重新另存为 .docx，或另存为 .txt"
        if not zipfile.is_zipfile(p):
            raise JinlinError(f"{p} is not a Word .docx file (a .docx is a zip archive; this one is not)\n{fix}",
                              zh=f"{p} 不是 Word .docx 文件（.docx 是 zip 压缩包，而这个文件不是）\n{fix_zh}")
        try:
            text = _read_docx(p)
        except Exception as e:  # noqa: BLE001 - python-docx raises many types on a damaged package
            raise JinlinError(f"{p} cannot be read as a Word document ({type(e).__name__}: {e})\n{fix}",
                              zh=f"{p} 无法作为 Word 文档读取（{type(e).__name__}：{e}）\n{fix_zh}") from None
        return normalise_submission(text)
    if suffix not in (".md", ".markdown", ".txt", ".text"):
        raise JinlinError(f"Unsupported submission type {suffix!r} for {p.name}: use .md, .txt or .docx "
                          "(save a .doc or .pdf as .docx first).",
                          zh=f"不支持 {p.name} 的提交材料类型 {suffix!r}：请用 .md、.txt 或 .docx"
                          "（.doc 或 .pdf 请先另存为 .docx）。")
    raw = p.read_bytes()
    def binary(where: str, where_zh: str) -> JinlinError:
        return JinlinError(f"{p} is not a text file (it holds binary data: {where})\n"
                           "fix: give the submission as UTF-8 or GBK text (.md/.txt) or as .docx",
                           zh=f"{p} 不是文本文件（其中有二进制数据：{where_zh}）\n"
                           "修改：以 UTF-8 或 GBK 文本（.md/.txt）或 .docx 提交材料")

    if b"\x00" in raw:
        raise binary(f"a NUL byte at offset {raw.index(bytes(1))}", f"偏移 {raw.index(bytes(1))} 处有 NUL 字节")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as e:
            raise binary(f"byte offset {e.start} is neither UTF-8 nor GB18030",
                         f"偏移 {e.start} 处的字节既不是 UTF-8 也不是 GB18030") from None
    text = normalise_submission(text)
    if suffix in (".md", ".markdown"):
        text = strip_markdown(text)
    return text


def _read_docx(path: Path) -> str:
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append("\t".join(cell.text.replace("\n", " ") for cell in row.cells))
    return "\n".join(lines)


def split_sentences(text: str) -> pd.DataFrame:
    """Split ``text`` into sentences at 。！？；!?; and at line breaks.

    A sentence keeps its terminator and any closing quotes or brackets right after it (……了。” stays whole);
    leading and trailing whitespace is trimmed and blank sentences are dropped.

    Returns
    -------
    pandas.DataFrame
        ``sentence_id`` (S001…), ``start``, ``end`` (offsets into ``text``; ``text[start:end] == sentence``) and
        ``sentence``.
    """
    rows = []
    i, n, begin = 0, len(text), 0

    def flush(a: int, b: int) -> None:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            rows.append((a, b))

    while i < n:
        ch = text[i]
        if ch == "\n":
            flush(begin, i)
            begin = i + 1
        elif ch in SENTENCE_END:
            j = i + 1
            while j < n and (text[j] in SENTENCE_END or text[j] in _CLOSERS):
                j += 1
            flush(begin, j)
            begin = j
            i = j
            continue
        i += 1
    flush(begin, n)
    return pd.DataFrame({
        "sentence_id": [f"S{k + 1:03d}" for k in range(len(rows))],
        "start": pd.Series([a for a, _ in rows], dtype="int64"),
        "end": pd.Series([b for _, b in rows], dtype="int64"),
        "sentence": pd.Series([text[a:b] for a, b in rows], dtype="string"),
    })
