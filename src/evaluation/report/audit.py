"""The claims audit shown outside the notebooks: the plain-text verdict table ``jinlin audit`` prints and the Word
evidence appendix a submission can carry.

:func:`format_verdicts` gives the verdicts as JSON or as a terminal table whose columns line up with Chinese text;
:func:`render_appendix_docx` writes the appendix: the verdict table, the consistency findings, the criteria
self-assessment, a short method note and the provenance of the data (file hashes), in Chinese by default, on the
report's A4 pages and in its fonts (:mod:`evaluation.report.docx`). The audit itself, which computes what these show,
is :mod:`evaluation.claims.audit`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..claims.verdict import claim_interval
from ..text.terminal import display_width, pad

if TYPE_CHECKING:
    from evaluation.claims.audit import AuditResult

__all__ = ["format_verdicts", "render_appendix_docx", "figure_shown", "ci_text", "indicator_label",
           "LANDSCAPE_TYPE_AREA_MM"]


def format_verdicts(result: AuditResult, fmt: str = "table", lang: str = "zh") -> str:
    """The verdicts as JSON (``fmt="json"``) or a plain-text table (``"table"``) for the terminal."""
    from evaluation.claims.audit import verdict_counts, verdicts_json

    if fmt == "json":
        return json.dumps(verdicts_json(result), ensure_ascii=False, indent=2)
    if fmt != "table":
        raise ValueError("fmt must be 'json' or 'table' (Word: render_appendix_docx)")
    from evaluation.text.i18n import t

    v = result.verdicts
    expl = f"explanation_{lang}"  # the rule table holds each text in both languages
    cols = ("claim_id", "raw", "indicator", "computed", "verdict", "explanation")
    header = [t(f"claims.col.{c}", lang) for c in cols]
    # the indicator by its name and the figure as the explanation writes it (14.8万, -34.48%), in either language
    rows = [[str(r.claim_id), _clip(str(r.raw), 24), indicator_label(r.indicator, lang),
             figure_shown(r.computed, r.unit, lang, claim_interval(r)), t(f"claims.verdict.{r.verdict}", lang),
             "" if pd.isna(getattr(r, expl)) else str(getattr(r, expl))]
            for r in v.itertuples(index=False)]
    counts = verdict_counts(v)
    head = t("claims.summary_all", lang, n=len(v), **counts)
    return head + "\n\n" + _aligned(header, rows, right={3}) + "\n"


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, with an ellipsis when cut (the full text is in the docx)."""
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _aligned(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A plain-text table whose columns line up in a terminal, Chinese counted two columns a character (pandas'
    ``to_string`` counts one, so the columns drift); the last column (the reason) is left unpadded."""
    widths = [max(display_width(x) for x in col) for col in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(c if i == len(cells) - 1 else pad(c, w, right=i in right))
        return "  ".join(out).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * display_width(header[-1]),
                      *[line(r) for r in rows]])


def figure_shown(x: float, unit: object, lang: str, iv: Any) -> str:
    """A recomputed figure as the explanations write it (14.8万, -34.48%: :data:`~evaluation.claims.verdict.SHOWN_DIGITS`
    significant digits, more where the claim's interval ``iv`` needs them:
    :func:`~evaluation.claims.verdict.figure_digits`), blank when there is none."""
    from evaluation.claims.verdict import figure_digits, figure_text

    if x is None or pd.isna(x):
        return ""
    return figure_text(x, str(unit), lang, significant=figure_digits(x, iv))


def ci_text(lo: float, hi: float, unit: object, lang: str, iv: Any) -> str:
    """A confidence interval in words (49%至62%), as the Chinese explanations write it (with the digits that
    ``iv``, the claim's interval, needs: :func:`~evaluation.claims.verdict.ci_digits`)."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return ""
    from evaluation.claims.verdict import ci_digits, figure_text
    from evaluation.text.i18n import plain

    digits = ci_digits(lo, hi, iv)
    return plain("claims.range.closed", lang, a=figure_text(lo, str(unit), lang, significant=digits),
                 b=figure_text(hi, str(unit), lang, significant=digits))


# --- Word appendix ------------------------------------------------------------------------------------------------
def _east_asian_styles(doc, font: str, lang: str) -> None:
    """Set ``w:eastAsia`` on the document defaults and every style, dropping theme attributes that override it."""
    from docx.oxml.ns import qn

    def fix(rpr) -> None:
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, rfonts)
        rfonts.attrib.pop(qn("w:eastAsiaTheme"), None)
        rfonts.set(qn("w:eastAsia"), font)
        if lang == "zh":
            rfonts.set(qn("w:hint"), "eastAsia")

    styles = doc.styles.element
    rpr = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is not None:
        fix(rpr)
    # Every run-property block of every style (paragraph, character, table, numbering): a theme attribute left on
    # any of them would win over the explicit font.
    for rfonts in list(styles.iter(qn("w:rFonts"))):
        fix(rfonts.getparent())


def indicator_label(key: Any, lang: str) -> str:
    """The indicator's Chinese name in a Chinese appendix (catalogue ``val.indicator.<key>``), else its key."""
    from evaluation.text.i18n import CATALOGUE

    if not isinstance(key, str) or not key or pd.isna(key):
        return ""
    entry = CATALOGUE.get(f"val.indicator.{key}")
    return entry["zh"] if lang == "zh" and entry else key


LANDSCAPE_TYPE_AREA_MM = 225  # 297 mm less the top and bottom margins of portrait A4, turned with the page


def _table(doc, header: list[str], rows: list[list[str]], weights: list[float] | None = None,
           width_mm: float = 156) -> None:
    """A gridded table over the type area (156 mm on portrait A4, 225 mm on a landscape page); ``weights`` share
    that width among the columns, so a short column such as the verdict is not squeezed to one character a line.
    Cells are in 五号 (10.5 pt), the size of tables in an official document, a size smaller than the body."""
    from docx.shared import Mm, Pt

    tbl = doc.add_table(rows=1, cols=len(header))
    tbl.style = "Table Grid"
    tbl.autofit = False
    weights = list(weights or [1.0] * len(header))
    for cell, h in zip(tbl.rows[0].cells, header):
        cell.text = h
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = tbl.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = str(v)
    from docx.oxml import OxmlElement

    # the header repeats on every page a long table runs to, and a row is not split across two pages
    for i, row in enumerate(tbl.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:tblHeader" if i == 0 else "w:cantSplit"))
    for row in tbl.rows:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.first_line_indent = Pt(0)
                for run in para.runs:
                    run.font.size = Pt(10.5)
    widths = [Mm(width_mm * w / sum(weights)) for w in weights]
    for col, w in zip(tbl.columns, widths):
        col.width = w
        for cell in col.cells:
            cell.width = w


def render_appendix_docx(result: AuditResult, out_path: str | Path, lang: str = "zh",
                         provenance: Mapping[str, Any] | None = None) -> Path:
    """Write the evidence appendix (Word) of an audit: verdicts, consistency, criteria, method, data provenance.

    Parameters
    ----------
    result : AuditResult
    out_path : path
        Where to write the .docx.
    lang : {"zh", "en"}
        Language of every heading, label and explanation (Chinese by default).
    provenance : dict, optional
        As :func:`audit_files` returns (``files`` with sha256 per table, ``submission_sha256`` …); without it the
        table hashes of the result are listed.

    Returns
    -------
    Path
        ``out_path``. The styles carry the East Asian font of the HTML report (``w:eastAsia``), so Word and WPS draw
        the Chinese text in it (see :mod:`evaluation.report.docx`).
    """
    import docx
    from docx.enum.section import WD_SECTION

    from evaluation.claims.audit import verdict_counts
    from evaluation.claims.verdict import interval_text
    from evaluation.report.docx import EAST_ASIA_FONT, page_setup
    from evaluation.text.i18n import plain, t

    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    doc = docx.Document()
    _east_asian_styles(doc, EAST_ASIA_FONT, lang)
    # python-docx's blank document is US Letter; the appendix is filed with the A4 report (GB/T 9704-2012). Eight
    # columns do not fit the 156 mm of portrait A4 (the explanation ran to a dozen lines a claim): the first
    # section, the summary and the verdict table, is landscape, and the pages after the table are portrait again.
    for section in doc.sections:
        page_setup(section, lang, landscape=True)
    prov = dict(provenance or {})
    v = result.verdicts
    doc.add_heading(t("claims.appendix.title", lang), level=1)
    if prov.get("synthetic"):
        # the same notice as the report's: a reader of the appendix alone must know the figures are not real
        notice = doc.add_paragraph()
        notice.add_run(t("synthetic_notice", lang, label=str(prov.get("data_label", prov.get("data_dir", ""))))
                       .replace("**", ""))
    doc.add_paragraph(t("claims.summary_all", lang, n=len(v), **verdict_counts(v)))
    doc.add_heading(t("claims.appendix.verdicts", lang), level=2)
    audited = v[v["verdict"] != "qualitative"]
    expl = f"explanation_{lang}"
    _table(doc, [t(f"claims.col.{c}", lang) for c in ("claim_id", "raw", "indicator", "computed", "interval", "ci",
                                                        "verdict", "explanation")],
           [[r.claim_id, r.raw, indicator_label(r.indicator, lang),
             figure_shown(r.computed, r.unit, lang, claim_interval(r)),
             interval_text(r.low, r.high, r.low_inclusive, r.high_inclusive, str(r.unit), lang, str(r.kind)),
             ci_text(r.ci_low, r.ci_high, r.unit, lang, claim_interval(r)), t(f"claims.verdict.{r.verdict}", lang),
             getattr(r, expl)]
            for r in audited.itertuples(index=False)],
           weights=[1.1, 1.5, 2.2, 1.5, 2.2, 2, 1.4, 5.5], width_mm=LANDSCAPE_TYPE_AREA_MM)
    n_qual = int((v["verdict"] == "qualitative").sum())
    if n_qual:
        doc.add_paragraph(t("claims.appendix.qualitative", lang, n=n_qual))
    page_setup(doc.add_section(WD_SECTION.NEW_PAGE), lang)
    doc.add_heading(t("claims.appendix.consistency", lang), level=2)
    finding = f"finding_{lang}"
    if len(result.consistency):
        for r in result.consistency.itertuples(index=False):
            doc.add_paragraph(plain("claims.appendix.finding", lang, id=r.claim_id, raw=r.raw,
                                    finding=getattr(r, finding)), style="List Bullet")
    else:
        doc.add_paragraph(t("claims.consistency_none", lang))
    doc.add_heading(t("claims.appendix.criteria", lang), level=2)
    c = result.criteria
    award, crit, stmt = (f"award_{lang}", f"criterion_{lang}", f"statement_{lang}")
    _table(doc, [t(f"claims.col.{k}", lang) for k in ("award", "criterion", "strength", "statement")],
           [[getattr(r, award), getattr(r, crit), t(f"claims.strength.{r.strength}", lang), getattr(r, stmt)]
            for r in c.itertuples(index=False)], weights=[2, 3, 1.4, 5])
    doc.add_heading(t("claims.appendix.method", lang), level=2)
    doc.add_paragraph(t("claims.method", lang))
    doc.add_paragraph(t("claims.sampling_note", lang))
    doc.add_heading(t("claims.appendix.provenance", lang), level=2)
    doc.add_paragraph(t("claims.appendix.provenance_note", lang, year=result.report_year,
                        submission=prov.get("submission", "—"), sha=str(prov.get("submission_sha256", "—"))[:16],
                        data=prov.get("data_dir", "—"), version=prov.get("version", "—")))
    files = prov.get("files") or {k: {"file": "", "sha256": h, "rows": ""} for k, h in result.data_hashes.items()}
    _table(doc, [t(f"claims.col.{k}", lang) for k in ("table", "file", "rows", "sha256")],
           [[name, f.get("file", ""), f.get("rows", ""), f.get("sha256", "")] for name, f in sorted(files.items())])
    out = Path(out_path)
    doc.save(out)
    return out
