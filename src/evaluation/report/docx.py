"""Word (.docx) version of the HTML report, for policy writers who edit in Word or WPS.

The conversion is pandoc's (through ``pypandoc-binary``, so pip alone brings it): HTML to Word keeps tables and the
charts, which the HTML carries as base64 ``<img>``; Markdown to Word breaks the tables (style notes).

Chinese text needs an East Asian font in the styles: pandoc's default reference document leaves it to the theme
(``w:eastAsiaTheme``), which Word resolves to whatever the machine's theme says and LibreOffice often to a Latin font.
:func:`reference_docx` therefore starts from pandoc's own reference document (so every style pandoc uses exists),
and with python-docx sets ``w:eastAsia="Noto Sans CJK SC"`` (the font of the HTML report and the charts) on the
document defaults and on every style, removing the theme attribute that would override it. Fallbacks for machines
without that font: the font table lists it with ``w:altName`` 宋体 and the GB2312 charset, so Word substitutes SimSun,
and the theme's Simplified Chinese (``Hans``) fonts are 宋体 for body and 黑体 for headings. The reference document is
built on each call (about 50 ms), so no binary file is committed.

Body text is in the serif face and headings in the sans face (the 宋体/仿宋 and 黑体 roles of GB/T 9704-2012), and
:func:`official_layout` then gives the document A4 pages, numbered headings and captions, page numbers and a Word table
of contents. To render a PDF with LibreOffice, point fontconfig at the ``mplfonts`` fonts folder (README).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import warnings
import zipfile
from pathlib import Path

from lxml import etree

__all__ = ["render_docx", "reference_docx", "official_layout", "page_setup", "chinese_ordinal", "body_font_path",
           "EAST_ASIA_FONT", "HEADING_FONT", "FALLBACK_FONT"]

# Body text in a serif face (the 宋体/仿宋 role of GB/T 9704-2012), headings in a sans face (黑体). Both files come with
# the ``mplfonts`` wheel (SIL Open Font License), a dependency already, so no system font is needed to render them.
EAST_ASIA_FONT = "Noto Serif CJK SC"
HEADING_FONT = "Noto Sans CJK SC"
FALLBACK_FONT = "宋体"  # SimSun: on every Chinese Windows and in WPS
HEADING_FALLBACK_FONT = "黑体"  # SimHei: the customary face for headings in Chinese official documents
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _q(tag: str, ns: str = _W) -> str:
    return f"{{{ns}}}{tag}"


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


# pandoc's garbage collector, for the conversion of a report: a 128 MB allocation area and a 512 MB suggested heap.
# With the defaults (1 MB and none) it spent more time collecting than converting: the charts come as base64 text
# inside the HTML, megabytes of one attribute (2.45 -> 1.8 s CPU on the default report, the same document byte for
# byte). A GHCRTS the user set is theirs.
PANDOC_RTS = "-A128m -H512m"


def _pandoc_environment() -> dict[str, str]:
    return {**os.environ, "GHCRTS": os.environ.get("GHCRTS") or PANDOC_RTS}


def _pandoc_reference() -> bytes:
    """pandoc's default reference.docx, which defines every style its docx writer uses."""
    out = subprocess.run([_pandoc(), "--print-default-data-file", "reference.docx"], capture_output=True,
                         check=True, timeout=60)
    return out.stdout


def _set_styles(doc, lang: str) -> None:
    styles = doc.styles.element
    rpr_default = styles.find(f"{_q('docDefaults')}/{_q('rPrDefault')}/{_q('rPr')}")
    if rpr_default is None:  # pragma: no cover - pandoc's reference always has it
        raise RuntimeError("pandoc's reference.docx has no w:docDefaults/w:rPrDefault")
    if rpr_default.find(_q("rFonts")) is None:
        rpr_default.insert(0, rpr_default.makeelement(_q("rFonts"), {}))
    for rfonts in styles.iter(_q("rFonts")):
        # A theme attribute wins over the explicit font, so it has to go.
        rfonts.attrib.pop(_q("eastAsiaTheme"), None)
        style = rfonts.getparent().getparent()
        sid = style.get(_q("styleId"), "") if style.tag == _q("style") else ""
        heading = sid.startswith("Heading") or sid in ("Title", "TOCHeading")
        rfonts.set(_q("eastAsia"), HEADING_FONT if heading else EAST_ASIA_FONT)
        if lang == "zh":
            # Ambiguous-width characters (“”, ……, ——) are then drawn with the Chinese font.
            rfonts.set(_q("hint"), "eastAsia")
    lang_el = rpr_default.find(_q("lang"))
    if lang_el is None:
        lang_el = etree.SubElement(rpr_default, _q("lang"))
    # Chinese is the East Asian language; the Latin runs of a Chinese report (numbers, Holm p, method names) are
    # marked en-US, as Word's own Chinese documents do: marked zh-CN, LibreOffice breaks them anywhere, 0.06 / 7 and
    # Hol / m across lines (issue 17, PDF check).
    lang_el.set(_q("val"), "en-US" if lang == "zh" else "en-GB")
    lang_el.set(_q("eastAsia"), "zh-CN")


def _font_table(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for name, alt in ((EAST_ASIA_FONT, FALLBACK_FONT), (HEADING_FONT, HEADING_FALLBACK_FONT),
                      (FALLBACK_FONT, "SimSun"), (HEADING_FALLBACK_FONT, "SimHei")):
        for old in root.findall(_q("font")):
            if old.get(_q("name")) == name:
                root.remove(old)
        font = etree.SubElement(root, _q("font"), {_q("name"): name})
        etree.SubElement(font, _q("altName"), {_q("val"): alt})
        etree.SubElement(font, _q("charset"), {_q("val"): "86"})  # GB2312: Word substitutes a Chinese font
        serif = name in (EAST_ASIA_FONT, FALLBACK_FONT)
        etree.SubElement(font, _q("family"), {_q("val"): "roman" if serif else "swiss"})
        etree.SubElement(font, _q("pitch"), {_q("val"): "variable"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _theme(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for kind, face in (("majorFont", HEADING_FALLBACK_FONT), ("minorFont", FALLBACK_FONT)):
        for group in root.iter(_q(kind, _A)):
            hans = [f for f in group.findall(_q("font", _A)) if f.get("script") == "Hans"]
            for f in hans:
                f.set("typeface", face)
            if not hans:
                etree.SubElement(group, _q("font", _A), {"script": "Hans", "typeface": face})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def reference_docx(path: str | Path, lang: str = "zh") -> Path:
    """Write the reference document (styles with the East Asian font, see the module docstring) to ``path``."""
    import docx

    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    doc = docx.Document(io.BytesIO(_pandoc_reference()))
    _set_styles(doc, lang)
    buf = io.BytesIO()
    doc.save(buf)
    # python-docx exposes no API for the font table or the theme; rewrite those two parts in the package.
    path = Path(path)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/fontTable.xml":
                data = _font_table(data)
            elif item.filename.startswith("word/theme/") and item.filename.endswith(".xml"):
                data = _theme(data)
            dst.writestr(item, data)
    return path


def _images_in(docx_path: Path) -> int:
    with zipfile.ZipFile(docx_path) as z:
        return z.read("word/document.xml").count(b"<pic:pic")


def render_docx(html_path: str | Path, out_path: str | Path, lang: str = "zh") -> Path:
    """Convert the HTML report to Word with pandoc, using :func:`reference_docx` for the styles.

    pandoc is the binary that ``pypandoc-binary`` installs, called directly so that its warnings can be read: a chart
    pandoc could not fetch raises instead of silently leaving a hole, and the document must hold as many pictures as
    the HTML has ``<img>``. pandoc runs with ``--sandbox`` (pandoc >= 2.15: no file but those on the command line, no
    network) and ``--resource-path`` set to the report's folder, so an ``<img src="http://…">`` that reached the HTML
    is never fetched (issue 13, point 6: a remote image is a beacon that tells a third party who opened the data).
    pandoc's warnings that it has no Chinese translation of "Table"/"Abstract" are expected (it ships zh-Hans only,
    and ``zh-Hans`` is not a language tag Word knows) and are dropped.

    Parameters
    ----------
    html_path
        ``report.html`` of a run (self-contained: charts as base64 ``<img>``, which pandoc embeds).
    out_path
        The .docx to write; written to a temporary name first, so a failed conversion leaves no half file.
    lang
        ``"zh"`` or ``"en"``: the document language (and the East Asian hint for Chinese punctuation).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    JinlinError
        If the HTML is missing, pandoc fails, or an image did not make it into the document.
    """
    from ..errors import JinlinError

    html_path, out_path = Path(html_path), Path(out_path)
    if not html_path.is_file():
        raise JinlinError(f"{html_path} does not exist\nfix: give reports/<run>/report.html of a finished run",
                          zh=f"{html_path} 不存在\n修改：给出已完成运行的 reports/<运行>/report.html")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    n_img = html_path.read_text(encoding="utf-8").count("<img")
    with tempfile.TemporaryDirectory(prefix="jinlin-docx-") as tmp:
        ref = reference_docx(Path(tmp) / "reference.docx", lang)
        partial = Path(tmp) / "report.docx"
        cmd = [_pandoc(), "--sandbox", "--from", "html", "--to", "docx", "--reference-doc", str(ref),
               "--metadata", f"lang={'zh-CN' if lang == 'zh' else 'en-GB'}",
               "--resource-path", str(html_path.parent), "--output", str(partial), str(html_path)]
        done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=600,
                              env=_pandoc_environment())
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        # Drop the translation warnings (each may carry an indented continuation line).
        kept, skip = [], False
        for ln in lines:
            if ln.startswith("[WARNING]"):
                skip = "translation" in ln
            if not skip:
                kept.append(ln)
        if done.returncode != 0:
            raise JinlinError(f"pandoc could not convert {html_path} (exit {done.returncode}):\n"
                              + "\n".join(kept[-20:]),
                              zh=f"pandoc 无法转换 {html_path}（退出码 {done.returncode}）：\n" + "\n".join(kept[-20:]))
        fetch = [ln for ln in kept if "fetch" in ln.lower() or "could not" in ln.lower()]
        if fetch:
            raise JinlinError(f"pandoc lost content converting {html_path}:\n" + "\n".join(fetch)
                              + "\nfix: re-run the report so every chart is embedded in report.html",
                              zh=f"pandoc 转换 {html_path} 时丢失了内容：\n" + "\n".join(fetch)
                              + "\n修改：重新运行报告，使每张图表都嵌入 report.html")
        got = _images_in(partial)
        if got < n_img:
            raise JinlinError(f"{html_path} has {n_img} image(s) but the Word file only {got}\n"
                              "fix: re-run the report so every chart is embedded (base64) in report.html",
                              zh=f"{html_path} 有 {n_img} 张图片，但 Word 文件中只有 {got} 张\n"
                              "修改：重新运行报告，使每张图表都（以 base64）嵌入 report.html")
        for ln in kept:
            warnings.warn(f"pandoc: {ln}", stacklevel=2)
        official_layout(partial, lang)
        shutil.move(partial, out_path)
    return out_path


# --- Layout close to GB/T 9704-2012 (党政机关公文格式) ------------------------------------------------------------
# A4; 天头 (top) 37 mm, 订口 (left) 28 mm, type area 156 x 225 mm, hence right 26 mm and bottom 35 mm (GB/T 9704 §5.2).
A4_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
_DIGITS = "零一二三四五六七八九"
_UNNUMBERED = frozenset({"摘要", "Summary"})  # the abstract stands before the numbered chapters


def body_font_path() -> Path:
    """The Noto Serif CJK SC file installed with ``mplfonts`` (the body face named in the Word styles)."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSerifCJKsc-Regular.otf"
    if not path.is_file():  # pragma: no cover - part of the mplfonts wheel
        raise FileNotFoundError(f"{path} is missing: reinstall mplfonts (pip install mplfonts)")
    return path


def chinese_ordinal(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 99 -> 九十九: the numerals of headings 一、 and （一）."""
    if not 1 <= n <= 99:
        raise ValueError(f"heading number {n} is outside 1..99")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _heading_prefix(level: int, counters: list[int], lang: str) -> str:
    n = counters[level - 1]
    if lang != "zh":
        return ".".join(str(c) for c in counters[:level]) + " "
    return {1: f"{chinese_ordinal(n)}、", 2: f"（{chinese_ordinal(n)}）", 3: f"{n}.", 4: f"（{n}）"}[level]


def _field(paragraph, instr: str, cached: str):
    """Append a complex field (``w:fldChar`` begin/separate/end) with its cached result to ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(child):
        r = OxmlElement("w:r")
        r.append(child)
        paragraph._p.append(r)
        return r

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run_with(it)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    paragraph.add_run(cached)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def page_setup(section, lang: str = "zh", landscape: bool = False) -> None:
    """A4 portrait with the GB/T 9704 margins and a centred page number "— 1 —" in the footer (a PAGE field).

    ``landscape`` turns the page for a wide table: the margins turn with it, so the printed sheet keeps its binding
    edge and the type area is 225 × 156 mm instead of 156 × 225 mm.
    """
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    m = MARGINS_MM
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(A4_MM[1]), Mm(A4_MM[0])
        section.top_margin, section.bottom_margin = Mm(m["left"]), Mm(m["right"])
        section.left_margin, section.right_margin = Mm(m["top"]), Mm(m["bottom"])
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
        section.top_margin, section.bottom_margin = Mm(m["top"]), Mm(m["bottom"])
        section.left_margin, section.right_margin = Mm(m["left"]), Mm(m["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    for r in list(p.runs):
        r._r.getparent().remove(r._r)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("— ")
    _field(p, "PAGE", "1")
    p.add_run(" —")
    for r in p.runs:
        r.font.size = Pt(14)  # 4号


def _style(doc, name: str):
    try:
        return doc.styles[name]
    except KeyError:
        return None


def _style_fonts(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    for name in ("Normal", "Body Text", "First Paragraph"):
        st = _style(doc, name)
        if st is not None:
            st.font.size = Pt(16)  # 3号: GB/T 9704's body size, 28 characters a line in the 156 mm type area
            st.paragraph_format.first_line_indent = Pt(32)
            st.paragraph_format.line_spacing = 1.25
    sizes = {"Title": 22, "Heading 1": 16, "Heading 2": 16, "Heading 3": 16, "Heading 4": 16}
    for name, size in sizes.items():
        st = _style(doc, name)
        if st is None:
            continue
        st.font.size = Pt(size)
        st.font.color.rgb = RGBColor(0, 0, 0)
        st.font.bold = name in ("Title", "Heading 2", "Heading 3")
        st.font.italic = False
        if name == "Title":
            st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name in ("Table Caption", "Image Caption"):
        st = _style(doc, name)
        if st is not None:
            st.font.size, st.font.italic, st.font.bold = Pt(12), False, True
            st.font.color.rgb = RGBColor(0, 0, 0)
            st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            st.paragraph_format.first_line_indent = Pt(0)


def _grid(tbl) -> None:
    """Full single-line borders on a table (pandoc's "Table" style draws almost none)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tblpr = tbl._tbl.tblPr
    for old in tblpr.findall(qn("w:tblBorders")):
        tblpr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tblpr.append(borders)


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _unbreakable(text: str) -> int:
    """The width a cell needs so that nothing in it breaks badly: at least two Chinese characters a line (a verdict
    such as 相符 whole, 无法核验 on two lines at most), and its longest number or Latin word whole (72500, 0.067).
    Proportional widths alone gave the audit table's verdict column one character a line and split 1119 into
    111 / 9 (issue 17, PDF check)."""
    import re

    latin = max((len(w) for w in re.findall(r"[^\s\u2e80-\uffff]+", text)), default=0)
    return max(min(_text_width(text), 4), latin) + 1


def _full_width(tbl) -> None:
    """Spread a table over the type area (156 mm), columns in proportion to their longest cell text."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    total = round(156 / 25.4 * 1440)  # twips
    tblpr = tbl._tbl.tblPr
    for old in tblpr.findall(qn("w:tblW")):
        tblpr.remove(old)
    w = OxmlElement("w:tblW")
    w.set(qn("w:w"), "5000")
    w.set(qn("w:type"), "pct")
    tblpr.append(w)
    grid = tbl._tbl.tblGrid
    cols = grid.findall(qn("w:gridCol"))
    if not cols:
        return
    longest = [10] * len(cols)
    need = [0] * len(cols)
    for row in tbl._tbl.tr_lst:
        for k, tc in enumerate(row.tc_lst[:len(cols)]):
            text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
            # a CJK character is about twice as wide as a Latin one; capped so that one long note cannot take all
            # the room (the other columns keep at least what their unbreakable words need: _column_widths)
            longest[k] = max(longest[k], min(_text_width(text), 80))
            need[k] = max(need[k], _unbreakable(text))
    widths = _column_widths(longest, need, total)
    for col, w in zip(cols, widths):
        col.set(qn("w:w"), str(w))
    for row in tbl._tbl.tr_lst:
        for k, tc in enumerate(row.tc_lst[:len(cols)]):
            tcpr = tc.get_or_add_tcPr()
            for old in tcpr.findall(qn("w:tcW")):
                tcpr.remove(old)
            tcw = OxmlElement("w:tcW")
            tcw.set(qn("w:w"), str(widths[k]))
            tcw.set(qn("w:type"), "dxa")
            tcpr.insert(0, tcw)


# One unit of _text_width at the tables' 10.5 pt (a Latin character of the fallback Latin face, DejaVu Sans, is
# about 6 pt wide; half a CJK character 5.25 pt), and a cell's left and right margins, in twips.
_UNIT_TWIPS, _PAD_TWIPS = 125, 230


def _column_widths(longest: list[int], need: list[int], total: int) -> list[int]:
    """Column widths (twips) summing to ``total``: first what each column's unbreakable text needs, then the rest in
    proportion to how much more its longest text would like; plain proportions when even the needs do not fit."""
    floor = [n * _UNIT_TWIPS + _PAD_TWIPS for n in need]
    spare = total - sum(floor)
    if spare <= 0:
        return [round(total * f / sum(floor)) for f in floor]
    extra = [max(0, want * _UNIT_TWIPS + _PAD_TWIPS - f) for want, f in zip(longest, floor)]
    if sum(extra) == 0:
        return [round(f + spare / len(floor)) for f in floor]
    return [round(f + spare * e / sum(extra)) for f, e in zip(floor, extra)]


def _refer(anchor, words: tuple[str, ...], label: str, doc) -> bool:
    """Name the caption in the text: in the (up to three) paragraphs before ``anchor`` in the same section, the first
    run holding one of ``words`` (下表, 下图, 图中) gets ``label`` (表3, 图2) in its place (图中 -> 图2中)."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    el = anchor.getprevious()
    seen = 0
    while seen < 3:
        if el is not None and el.tag in (qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
            el = el.getprevious()  # pandoc's section anchors stand between the blocks
            continue
        seen += 1
        if el is None or el.tag != qn("w:p"):
            return False
        para = Paragraph(el, doc)
        if para.style is not None and para.style.name.startswith("Heading"):
            return False
        for run in para.runs:
            for w in words:
                if w in run.text:
                    run.text = run.text.replace(w, label + ("中" if w.endswith("中") else ""), 1)
                    return True
        el = el.getprevious()
    return False


def official_layout(path: str | Path, lang: str = "zh") -> dict[str, int]:
    """Give pandoc's Word file the layout of an official report, in place; return counts of what was numbered.

    Method: python-docx post-processing, after GB/T 9704-2012 (党政机关公文格式): A4 with its margins and a page number
    field in the footer (:func:`page_setup`); the body in 16 pt serif (3号, the 仿宋/宋体 role, Noto Serif CJK SC),
    headings in the sans face; headings numbered 一、（一）1.（1） by level (``1``, ``1.1`` in English); every table
    captioned 表N above and every chart 图N below, the number a ``SEQ`` field and the text the heading it stands
    under, which also becomes the picture's description (instead of nbconvert's "No description has been provided"
    or the base64 data pandoc copies there); the HTML's link list replaced by a Word ``TOC`` field (its cached result
    lists the headings, so the table of contents shows before Word refreshes the page numbers, which
    ``w:updateFields`` asks it to do on opening).
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from ..text.i18n import CATALOGUE, plain

    zh = lang == "zh"  # the Chinese references 下表/下图 become 表N/图N (_refer)
    doc = docx.Document(str(path))
    for section in doc.sections:
        page_setup(section, lang)
    _style_fonts(doc)
    body = doc.element.body

    # The HTML report's own table of contents (a list of links) goes; a TOC field takes its place. Its title is
    # looked for in either language, so a report rendered in one language can be laid out in the other.
    toc_titles = set(CATALOGUE["report.toc"].values())
    toc_at = None
    children = list(body.iterchildren())
    for i, el in enumerate(children):
        if el.tag == qn("w:p") and Paragraph(el, doc).text.strip() in toc_titles:
            toc_at = el
            for nxt in children[i + 1:]:
                if nxt.tag != qn("w:p") or Paragraph(nxt, doc).style.name.startswith("Heading"):
                    break
                body.remove(nxt)
            break

    counters = [0, 0, 0, 0]
    n_tab = n_fig = 0
    current = ""
    toc_entries: list[tuple[int, str]] = []
    first_heading = None
    for el in list(body.iterchildren()):
        if el.tag == qn("w:tbl"):
            n_tab += 1
            if zh:
                _refer(el, ("下表",), f"表{n_tab}", doc)
            cap = Paragraph(el.makeelement(qn("w:p"), {}), doc)
            el.addprevious(cap._p)
            cap.style = _style(doc, "Table Caption") or doc.styles["Normal"]
            cap.add_run(plain("docx.table", lang))
            _field(cap, plain("docx.table_seq", lang), str(n_tab))
            cap.add_run(plain("docx.caption_gap", lang) + current)
            cap.paragraph_format.keep_with_next = True
            tbl = Table(el, doc)
            _grid(tbl)
            _full_width(tbl)
            for row in tbl.rows:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        p.paragraph_format.first_line_indent = Pt(0)
                        for r in p.runs:
                            r.font.size = Pt(10.5)  # 5号
            continue
        if el.tag != qn("w:p"):
            continue
        p = Paragraph(el, doc)
        style = p.style.name if p.style is not None else ""
        if style.startswith("Heading ") and p.text.strip() in _UNNUMBERED:
            toc_entries.append((1, p.text.strip()))
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if first_heading is None:
                first_heading = p
            continue
        if style.startswith("Heading ") and style[-1].isdigit() and int(style[-1]) <= 4 and p.runs:
            level = int(style[-1])
            counters[level - 1] += 1
            for k in range(level, 4):
                counters[k] = 0
            current = p.text.strip()
            prefix = _heading_prefix(level, counters, lang)
            p.runs[0].text = prefix + p.runs[0].text
            if level <= 2:
                toc_entries.append((level, prefix + current))
            if first_heading is None:
                first_heading = p
            continue
        drawings = el.findall(".//" + qn("w:drawing"))
        if drawings:
            if zh:
                _refer(el, ("下图", "图中"), f"图{n_fig + 1}", doc)
            for d in drawings:
                n_fig += 1
                label = plain("docx.figure_description", lang, n=n_fig, title=current)
                for pr in [*d.iter(qn("wp:docPr")), *d.iter(qn("pic:cNvPr"))]:
                    pr.set("descr", label)
                    pr.set("title", "")
            p.paragraph_format.first_line_indent = Pt(0)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.keep_with_next = True
            cap = Paragraph(el.makeelement(qn("w:p"), {}), doc)
            el.addnext(cap._p)
            cap.style = _style(doc, "Image Caption") or doc.styles["Normal"]
            cap.add_run(plain("docx.figure", lang))
            _field(cap, plain("docx.figure_seq", lang), str(n_fig))
            cap.add_run(plain("docx.caption_gap", lang) + current)

    if toc_at is not None:
        head = Paragraph(toc_at, doc)
        for r in list(head.runs):
            r._r.getparent().remove(r._r)
        head.add_run(plain("docx.toc", lang)).bold = True
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        head.paragraph_format.first_line_indent = Pt(0)
        anchor = toc_at
        entries = toc_entries or [(1, "")]
        paras = []
        for level, text in entries:
            para = Paragraph(anchor.makeelement(qn("w:p"), {}), doc)
            anchor.addnext(para._p)
            anchor = para._p
            para.style = doc.styles["Normal"]
            para.paragraph_format.first_line_indent = Pt(0)
            para.paragraph_format.line_spacing = 1.0
            para.paragraph_format.space_after = Pt(2)
            para.paragraph_format.left_indent = Pt(16 * (level - 1))
            paras.append((para, text))
        first, last = paras[0][0], paras[-1][0]
        # One field across the entry paragraphs: begin and instruction in the first, end in the last.
        for tag, where in (("begin", first), ("instr", first), ("separate", first)):
            r = OxmlElement("w:r")
            if tag == "instr":
                it = OxmlElement("w:instrText")
                it.set(qn("xml:space"), "preserve")
                it.text = ' TOC \\o "1-2" \\h \\z \\u '
                r.append(it)
            else:
                fc = OxmlElement("w:fldChar")
                fc.set(qn("w:fldCharType"), tag)
                r.append(fc)
            where._p.append(r)
        for para, text in paras:
            para.add_run(text).font.size = Pt(14)
        r = OxmlElement("w:r")
        fc = OxmlElement("w:fldChar")
        fc.set(qn("w:fldCharType"), "end")
        r.append(fc)
        last._p.append(r)
        if first_heading is not None:
            first_heading.paragraph_format.page_break_before = True
        settings = doc.settings.element
        if settings.find(qn("w:updateFields")) is None:
            upd = OxmlElement("w:updateFields")
            upd.set(qn("w:val"), "true")
            settings.append(upd)
    doc.save(str(path))
    return {"headings": sum(1 for _ in toc_entries), "tables": n_tab, "figures": n_fig}
