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
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import warnings
import zipfile
from pathlib import Path

from lxml import etree

__all__ = ["render_docx", "reference_docx", "EAST_ASIA_FONT", "FALLBACK_FONT"]

EAST_ASIA_FONT = "Noto Sans CJK SC"
FALLBACK_FONT = "宋体"  # SimSun: on every Chinese Windows and in WPS
HEADING_FALLBACK_FONT = "黑体"  # SimHei: the customary face for headings in Chinese official documents
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _q(tag: str, ns: str = _W) -> str:
    return f"{{{ns}}}{tag}"


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


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
        rfonts.set(_q("eastAsia"), EAST_ASIA_FONT)
        if lang == "zh":
            # Ambiguous-width characters (“”, ……, ——) are then drawn with the Chinese font.
            rfonts.set(_q("hint"), "eastAsia")
    lang_el = rpr_default.find(_q("lang"))
    if lang_el is None:
        lang_el = etree.SubElement(rpr_default, _q("lang"))
    lang_el.set(_q("val"), "zh-CN" if lang == "zh" else "en-GB")
    lang_el.set(_q("eastAsia"), "zh-CN")


def _font_table(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for name, alt in ((EAST_ASIA_FONT, FALLBACK_FONT), (FALLBACK_FONT, "SimSun"),
                      (HEADING_FALLBACK_FONT, "SimHei")):
        for old in root.findall(_q("font")):
            if old.get(_q("name")) == name:
                root.remove(old)
        font = etree.SubElement(root, _q("font"), {_q("name"): name})
        etree.SubElement(font, _q("altName"), {_q("val"): alt})
        etree.SubElement(font, _q("charset"), {_q("val"): "86"})  # GB2312: Word substitutes a Chinese font
        etree.SubElement(font, _q("family"), {_q("val"): "swiss" if name != FALLBACK_FONT else "roman"})
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
    is never fetched (issue 13, point 6: a remote image is a beacon that tells a third party who opened the data). pandoc's warnings that it has no Chinese translation of "Table"/"Abstract" are expected
    (it ships zh-Hans only, and ``zh-Hans`` is not a language tag Word knows) and are dropped.

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
        raise JinlinError(f"{html_path} does not exist\nfix: give reports/<run>/report.html of a finished run")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    n_img = html_path.read_text(encoding="utf-8").count("<img")
    with tempfile.TemporaryDirectory(prefix="jinlin-docx-") as tmp:
        ref = reference_docx(Path(tmp) / "reference.docx", lang)
        partial = Path(tmp) / "report.docx"
        cmd = [_pandoc(), "--sandbox", "--from", "html", "--to", "docx", "--reference-doc", str(ref),
               "--metadata", f"lang={'zh-CN' if lang == 'zh' else 'en-GB'}",
               "--resource-path", str(html_path.parent), "--output", str(partial), str(html_path)]
        done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=600)
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
                              + "\n".join(kept[-20:]))
        fetch = [ln for ln in kept if "fetch" in ln.lower() or "could not" in ln.lower()]
        if fetch:
            raise JinlinError(f"pandoc lost content converting {html_path}:\n" + "\n".join(fetch)
                              + "\nfix: re-run the report so every chart is embedded in report.html")
        got = _images_in(partial)
        if got < n_img:
            raise JinlinError(f"{html_path} has {n_img} image(s) but the Word file only {got}\n"
                              "fix: re-run the report so every chart is embedded (base64) in report.html")
        for ln in kept:
            warnings.warn(f"pandoc: {ln}", stacklevel=2)
        shutil.move(partial, out_path)
    return out_path
