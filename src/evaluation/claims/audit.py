"""The claims audit end to end: extract, match, recompute, judge, check consistency, weigh against award criteria.

:func:`audit` is pure (text and tables in, an :class:`AuditResult` out). :func:`audit_files` is the thin reading
layer the command line uses (``jinlin audit SUBMISSION --data DIR``), :func:`verdicts_json` and
:func:`format_verdicts` render the verdicts, and :func:`render_appendix_docx` writes the evidence appendix a
submission can carry: the verdict table, the consistency findings, the criteria self-assessment, a short method
note and the provenance of the data (file hashes), in Chinese by default.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.claims.consistency import check_consistency
from evaluation.claims.criteria import self_assessment
from evaluation.claims.documents import read_submission
from evaluation.claims.extract import extract_claims
from evaluation.claims.match import load_overrides, match_claims
from evaluation.claims.verdict import (
    SHOWN_DIGITS,
    VERDICTS,
    audit_figures,
    figure_text,
    interval_text,
    verdict_claims,
)

__all__ = ["AuditResult", "audit", "audit_files", "verdicts_json", "format_verdicts", "render_appendix_docx",
           "table_hashes", "verdict_counts", "find_overrides"]


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found about one submission.

    ``claims``: every figure with its indicator (:func:`~evaluation.claims.match.match_claims`); ``verdicts``: one
    row per figure (:func:`~evaluation.claims.verdict.verdict_claims`); ``consistency``: internal-consistency
    findings (:func:`~evaluation.claims.consistency.check_consistency`) with the figure's text; ``criteria``: the
    award self-assessment (:func:`~evaluation.claims.criteria.self_assessment`); ``figures``: the recomputed values
    and other results used; ``data_hashes``: ``{table: sha256}``.
    """

    claims: pd.DataFrame
    verdicts: pd.DataFrame
    consistency: pd.DataFrame
    criteria: pd.DataFrame
    figures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data_hashes: Mapping[str, str] = field(default_factory=dict)
    report_year: int = 2024


def table_hashes(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """SHA-256 of each in-memory table (columns and cell contents), for tables that did not come from files.

    When the tables were loaded from a folder, use the files' own hashes (``District.files[t].sha256``) instead.
    """
    out = {}
    for name, df in tables.items():
        h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode("utf-8"))
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        out[str(name)] = h.hexdigest()
    return out


def audit(text: str, tables: Mapping[str, pd.DataFrame], report_year: int,
          data_hashes: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None, *,
          rules: pd.DataFrame | None = None, results: Mapping[str, Mapping[str, Any]] | None = None,
          criteria: pd.DataFrame | None = None, near_tolerance: float = 0.05, data_cutoff=None) -> AuditResult:
    """Audit the figures of a submission against a district's data.

    Notebook 50 records, from the :class:`AuditResult`, Keys:

    - ``claims.figures.count``: the figures extracted from the submission (rows of ``verdicts``);
    - ``claims.check.<indicator>``: for each figure matched to an indicator and not qualitative, its verdict
      (``value``) and the recomputed value (``computed``); ``<indicator>`` is the indicator's key with underscores
      for dots, ending in ``_from`` or ``_to`` for the two ends of a change;
    - ``claims.consistency.findings`` / ``.warnings``: the internal-consistency findings, and those of severity
      ``warning``;
    - ``claims.criteria.count`` / ``.weak_or_missing``: the award criteria assessed, and those whose evidence is
      ``weak`` or ``missing``.

    Parameters
    ----------
    text : str
        The submission (:func:`~evaluation.claims.documents.read_submission`).
    tables : dict of DataFrame
        The district's contract tables (``District.tables``).
    report_year : int
        今年.
    data_hashes : dict, optional
        ``{table: sha256}`` of the data files; default :func:`table_hashes` of the in-memory tables.
    overrides : dict, optional
        Hand pins and exclusions (:func:`~evaluation.claims.match.load_overrides`).
    rules, criteria : DataFrame, optional
        Matching rules and award criteria (default: the files under ``data/``).
    results : dict, optional
        Further results for the criteria (``survey.*``, ``impact.*`` from a run's ``results.json``); recomputed
        figures take precedence on shared keys.
    near_tolerance : float
        Width of 近 (see :func:`~evaluation.claims.extract.extract_claims`).
    data_cutoff : str or Timestamp, optional
        The run's data cut-off: the recomputed figures see the data as they stood then (default: the end of the
        report year), the same figures the other notebooks report.

    Returns
    -------
    AuditResult
    """
    claims = extract_claims(text, report_year=report_year, near_tolerance=near_tolerance)
    matched = match_claims(claims, rules, overrides)
    figures = audit_figures(tables, report_year, data_cutoff)
    hashes = dict(data_hashes) if data_hashes is not None else table_hashes(tables)
    verdicts = verdict_claims(matched, figures, hashes, report_year)
    consistency = check_consistency(claims)
    raw = dict(zip(claims["claim_id"], claims["raw"]))
    consistency.insert(consistency.columns.get_loc("claim_id") + 1, "raw",
                       pd.array([raw.get(c, "") for c in consistency["claim_id"]], dtype="string"))
    every = {**dict(results or {}), **figures}
    assessment = self_assessment(verdicts, every, criteria)
    return AuditResult(claims=matched, verdicts=verdicts, consistency=consistency, criteria=assessment,
                       figures=every, data_hashes=hashes, report_year=int(report_year))


def find_overrides(submission: str | Path, data_dir: str | Path | None = None) -> Path | None:
    """The ``claims.yaml`` to use: beside the submission, else in the data folder, else none."""
    for folder in (Path(submission).parent, Path(data_dir) if data_dir is not None else None):
        if folder is not None and (folder / "claims.yaml").is_file():
            return folder / "claims.yaml"
    return None


def audit_files(submission: str | Path, data_dir: str | Path, report_year: int = 2024,
                overrides: str | Path | None = None, results: str | Path | None = None
                ) -> tuple[AuditResult, dict[str, Any]]:
    """Read a submission file and a district folder, audit, and return the result with its provenance.

    ``overrides`` defaults to :func:`find_overrides`; ``results`` may name a run's ``results.json`` whose figures
    (survey, impact) feed the criteria. The provenance dict holds the submission's path and SHA-256, the data folder,
    each table's file, SHA-256 and rows, the report year and the package version.
    """
    from evaluation import __version__
    from evaluation.config import bundled
    from evaluation.data import load_district

    sub = Path(submission)
    if not sub.exists():  # data/submissions/daya_bay_2024.md outside a checkout: the copy the package ships
        sub = bundled(sub) or sub
    text = read_submission(sub)
    district = load_district(data_dir)
    hashes = {t: f.sha256 for t, f in district.files.items()}
    ov_path = Path(overrides) if overrides is not None else find_overrides(sub, data_dir)
    ov = load_overrides(ov_path) if ov_path is not None else None
    extra = None
    if results is not None:
        body = json.loads(Path(results).read_text(encoding="utf-8"))
        extra = body.get("results", body)
    result = audit(text, district.tables, report_year, hashes, ov, results=extra)
    provenance = {
        "submission": str(sub), "submission_sha256": hashlib.sha256(sub.read_bytes()).hexdigest(),
        "overrides": str(ov_path) if ov_path is not None else "",
        "data_dir": str(data_dir), "data_label": district.label, "synthetic": district.synthetic,
        "files": {t: {"file": f.file, "sha256": f.sha256, "rows": f.rows} for t, f in district.files.items()},
        "report_year": int(report_year), "version": __version__,
    }
    return result, provenance


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return _plain(v.item())
    return v


def verdicts_json(result: AuditResult) -> list[dict[str, Any]]:
    """One JSON-ready object per figure: claim_id, sentence, raw, value, unit, indicator, computed, interval, ci,
    n, verdict, reason, explanations and the data files used (what ``jinlin audit --format json`` prints)."""
    keys = ("claim_id", "sentence", "raw", "value", "unit", "kind", "indicator", "computed", "interval", "ci", "n",
            "figure_year", "verdict", "reason", "explanation_zh", "explanation_en", "data_files")
    out = []
    for r in result.verdicts.itertuples(index=False):
        out.append({k: _plain(getattr(r, k)) for k in keys})
    return out


def verdict_counts(verdicts: pd.DataFrame) -> dict[str, int]:
    """Figures per verdict, every verdict listed (zeros included).

    Keys (notebook 50): ``claims.verdict.<verdict>`` (figures with each verdict) and ``claims.figures.checked``
    (supported + fragile + within_sampling_error + contradicted: the figures the data could check).
    """
    counts = verdicts["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def format_verdicts(result: AuditResult, fmt: str = "table", lang: str = "zh") -> str:
    """The verdicts as JSON (``fmt="json"``) or a plain-text table (``"table"``) for the terminal."""
    if fmt == "json":
        return json.dumps(verdicts_json(result), ensure_ascii=False, indent=2)
    if fmt != "table":
        raise ValueError("fmt must be 'json' or 'table' (Word: render_appendix_docx)")
    from evaluation.text.i18n import t

    v = result.verdicts
    expl = "explanation_zh" if lang == "zh" else "explanation_en"
    cols = ("claim_id", "raw", "indicator", "computed", "verdict", "explanation")
    header = [t(f"claims.col.{c}", lang) for c in cols]
    # the indicator by its name and the figure as the explanation writes it (14.8万, -34.48%), in either language
    rows = [[str(r.claim_id), _clip(str(r.raw), 24), _indicator_label(r.indicator, lang),
             _figure(r.computed, r.unit, lang), t(f"claims.verdict.{r.verdict}", lang),
             "" if pd.isna(getattr(r, expl)) else str(getattr(r, expl))]
            for r in v.itertuples(index=False)]
    counts = verdict_counts(v)
    head = t("claims.summary_all", lang, n=len(v), **counts)
    return head + "\n\n" + _aligned(header, rows, right={3}) + "\n"


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, with an ellipsis when cut (the full text is in the docx)."""
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters (汉字, full-width punctuation) take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _aligned(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A plain-text table whose columns line up in a terminal, Chinese counted two columns a character (pandas'
    ``to_string`` counts one, so the columns drift); the last column (the reason) is left unpadded."""
    widths = [max(_width(x) for x in col) for col in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            gap = " " * (w - _width(c))
            out.append(c if i == len(cells) - 1 else (gap + c if i in right else c + gap))
        return "  ".join(out).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * _width(header[-1]),
                      *[line(r) for r in rows]])


def _figure(x: float, unit: object, lang: str) -> str:
    return "" if x is None or pd.isna(x) else figure_text(x, str(unit), lang, significant=SHOWN_DIGITS)


def _ci_text(lo: float, hi: float, unit: object, lang: str) -> str:
    """A confidence interval in words (49%至62%), as the Chinese explanations write it."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return ""
    return f"{_figure(lo, unit, lang)}{'至' if lang == 'zh' else ' to '}{_figure(hi, unit, lang)}"


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


def _indicator_label(key: Any, lang: str) -> str:
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

    from evaluation.report.docx import EAST_ASIA_FONT, page_setup
    from evaluation.text.i18n import t

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
    expl = "explanation_zh" if lang == "zh" else "explanation_en"
    _table(doc, [t(f"claims.col.{c}", lang) for c in ("claim_id", "raw", "indicator", "computed", "interval", "ci",
                                                        "verdict", "explanation")],
           [[r.claim_id, r.raw, _indicator_label(r.indicator, lang), _figure(r.computed, r.unit, lang),
             interval_text(r.low, r.high, r.low_inclusive, r.high_inclusive, str(r.unit), lang, str(r.kind)),
             _ci_text(r.ci_low, r.ci_high, r.unit, lang), t(f"claims.verdict.{r.verdict}", lang), getattr(r, expl)]
            for r in audited.itertuples(index=False)],
           weights=[1.1, 1.5, 2.2, 1.5, 2.2, 2, 1.4, 5.5], width_mm=LANDSCAPE_TYPE_AREA_MM)
    n_qual = int((v["verdict"] == "qualitative").sum())
    if n_qual:
        doc.add_paragraph(t("claims.appendix.qualitative", lang, n=n_qual))
    page_setup(doc.add_section(WD_SECTION.NEW_PAGE), lang)
    doc.add_heading(t("claims.appendix.consistency", lang), level=2)
    finding = "finding_zh" if lang == "zh" else "finding_en"
    if len(result.consistency):
        for r in result.consistency.itertuples(index=False):
            doc.add_paragraph(f"{r.claim_id}（{r.raw}）：{getattr(r, finding)}" if lang == "zh"
                              else f"{r.claim_id} ({r.raw}): {getattr(r, finding)}", style="List Bullet")
    else:
        doc.add_paragraph(t("claims.consistency_none", lang))
    doc.add_heading(t("claims.appendix.criteria", lang), level=2)
    c = result.criteria
    award, crit, stmt = (("award_zh", "criterion_zh", "statement_zh") if lang == "zh"
                         else ("award_en", "criterion_en", "statement_en"))
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


def latest_results(data_dir: str | Path, reports_dir: str | Path | None = None) -> Path | None:
    """The ``results.json`` of the newest finished run on ``data_dir`` (by its manifest's ``finished`` time), or None.

    An audit without ``--results`` reads it so the award criteria that rest on the survey and impact figures are not
    all "evidence missing"; the caller says which file was used. Only runs whose manifest names the same data folder
    count, and folders being written or quarantined (``.tmp``, ``.failed``) are skipped.
    """
    from evaluation.config import REPORTS_DIR, resolve

    root = Path(reports_dir) if reports_dir is not None else REPORTS_DIR
    if not root.is_dir():
        return None
    want = resolve(data_dir).resolve()
    best: tuple[str, Path] | None = None
    for manifest in root.glob("*/manifest.json"):
        folder = manifest.parent
        if folder.name.startswith(".") or folder.name.endswith(".failed") or not (folder / "results.json").is_file():
            continue
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
            same = resolve(m["params"]["data_dir"]).resolve() == want
            finished = str(m.get("finished") or "")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if same and (best is None or (finished, str(folder)) > (best[0], str(best[1]))):
            best = (finished, folder / "results.json")
    return best[1] if best else None
