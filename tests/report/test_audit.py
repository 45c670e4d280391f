"""The claims audit shown: the terminal table and the Word evidence appendix (:mod:`evaluation.report.audit`)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from evaluation.claims import AuditResult, audit, read_submission, verdicts_json
from evaluation.report.audit import ci_text, figure_shown, format_verdicts, indicator_label, render_appendix_docx

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "data" / "submissions" / "daya_bay_2024.md"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    """The shipped article audited against the generated district, with the generator's survey and impact truths for
    the criteria (as tests/claims/test_claims_audit.py)."""
    from evaluation.synthetic import generate_district

    district = generate_district()
    impact = {k: v for k, v in district.truth.items() if k.startswith(("impact.", "survey."))}
    return audit(read_submission(ARTICLE), district.tables, 2024, results=impact)


def test_json_and_table_formats(result):
    assert json.loads(format_verdicts(result, "json")) == verdicts_json(result)
    table = format_verdicts(result, "table", "en")
    assert "16295件" in table and "supported" in table and "contradicted" in table.splitlines()[0]
    with pytest.raises(ValueError):
        format_verdicts(result, "docx")


def test_figures_and_intervals_in_words():
    # four significant digits, as the explanations write a recomputed figure; 万 in Chinese only
    assert figure_shown(51.5504, "%", "zh", None) == "51.55%" and figure_shown(-34.4827, "%", "en", None) == "-34.48%"
    assert figure_shown(148000.0, "", "zh", None) == "14.8万" and figure_shown(148000.0, "", "en", None) == "148,000"
    assert figure_shown(float("nan"), "%", "zh", None) == "" and figure_shown(None, "%", "en", None) == ""
    assert ci_text(49, 62, "%", "zh", None) == "49%至62%" and ci_text(49, 62, "%", "en", None) == "49% to 62%"
    assert ci_text(None, 62, "%", "zh", None) == "" and ci_text(49, float("nan"), "%", "zh", None) == ""
    assert indicator_label("grid.events_closed.count", "zh") == "办结网格事件数"
    assert indicator_label("grid.events_closed.count", "en") == "grid.events_closed.count"
    assert indicator_label(float("nan"), "zh") == "" and indicator_label("", "zh") == ""


@pytest.mark.parametrize("lang, heading, absent", [("zh", "附录：申报材料数字核验", "Appendix"),
                                                   ("en", "Appendix: the submission", "附录")])
def test_appendix_docx(tmp_path, result, lang, heading, absent):
    import docx

    prov = {"submission": "data/submissions/daya_bay_2024.md", "submission_sha256": "ab" * 32,
            "data_dir": "data/synthetic", "version": "0.1.0", "synthetic": True, "data_label": "jinlin-synthetic",
            "files": {"grid_events": {"file": "grid_events.parquet", "sha256": "cd" * 32, "rows": 72699}}}
    out = render_appendix_docx(result, tmp_path / f"appendix_{lang}.docx", lang=lang, provenance=prov)
    doc = docx.Document(str(out))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for tbl in doc.tables for row in tbl.rows for c in row.cells)
    assert heading in body and absent not in body.split("\n")[0]
    assert "16295件" in cells and "34.48%" in cells
    if lang == "zh":  # indicators by their Chinese name, not their key, in the verdict table
        verdicts = "\n".join(c.text for row in doc.tables[0].rows for c in row.cells)
        assert "办结网格事件数" in verdicts and "grid.events_closed.count" not in verdicts
        # figures and intervals in words (issue 17): 50万至60万（不含60万）, no float repr, no interval notation
        assert "50万至60万（不含60万）" in verdicts and "少于15万" in verdicts
        assert not [c.text for row in doc.tables[0].rows for c in row.cells if c.text.startswith(("[", "("))]
        assert ".000000" not in cells
    assert ("不稳" if lang == "zh" else "fragile") in cells
    assert "cd" * 32 in cells  # the data file's hash is in the provenance table
    if lang == "zh":
        assert "与数据相符" in cells and "真实性" in cells
    assert ("在抽样误差内 0" if lang == "zh" else "0 within sampling error") in body  # the summary lists every verdict
    assert ("置信区间" if lang == "zh" else "confidence interval") in body        # the sampling rule is stated
    with zipfile.ZipFile(out) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles
    assert "w:eastAsiaTheme" not in styles
    assert ("合成数据" if lang == "zh" else "Synthetic data") in body  # the synthetic-data notice
    # A4 like the report, not python-docx's US Letter: the eight-column verdict table on a landscape page (its
    # explanation was a narrow column of a dozen lines a claim on portrait A4), the rest portrait again
    first, last = doc.sections[0], doc.sections[-1]
    assert len(doc.sections) == 2
    assert (round(first.page_width.mm), round(first.page_height.mm), round(first.top_margin.mm)) == (297, 210, 28)
    assert (round(last.page_width.mm), round(last.page_height.mm), round(last.left_margin.mm)) == (210, 297, 28)
    verdict_col, explanation_col = doc.tables[0].columns[6], doc.tables[0].columns[7]
    assert verdict_col.width.mm > 15  # the verdict is not squeezed to one character a line
    assert explanation_col.width.mm > 60
    assert sum(c.width.mm for c in doc.tables[0].columns) <= 297 - 37 - 35 + 0.5  # within the landscape type area
    # the landscape section ends after the verdict table, before the criteria table
    from docx.oxml.ns import qn

    children = list(doc.element.body.iterchildren())
    tables = [i for i, el in enumerate(children) if el.tag == qn("w:tbl")]
    breaks = [i for i, el in enumerate(children) if el.tag == qn("w:p") and el.find(f".//{qn('w:sectPr')}") is not None]
    assert len(breaks) == 1 and tables[0] < breaks[0] < tables[1]
    assert "w:tblHeader" in doc.tables[0].rows[0]._tr.xml  # the header repeats on the next page


def test_table_format_aligns_chinese_and_gives_the_reason(result):
    from evaluation.text.terminal import display_width as _width

    text = format_verdicts(result, "table", "zh")
    lines = text.splitlines()[2:]
    header = lines[0]
    assert header.split()[-1] == "说明"  # the reason column
    # the verdict column starts at the same terminal column on every row (汉字 counted as two)
    col = _width(header[:header.index("结论")])
    for ln in lines[2:]:
        for word in ("相符", "定性", "无法核验", "不稳"):
            if f"  {word}  " in ln:
                assert _width(ln[:ln.index(f"  {word}  ") + 2]) == col
                break
    assert "（slogan）" not in text and "（口号或名称）" in text and "（日期）" in text
    assert any(ln.split()[3].endswith("%") for ln in lines[2:] if "34.48" in ln)
    # indicators by name and figures as the explanations write them (issue 17)
    assert "办结网格事件数" in text and "grid.events_closed.count" not in text
    assert "grid.events_closed.count" in format_verdicts(result, "table", "en")


def test_english_explanations_use_the_chinese_precision(result):
    # a recomputed figure and its interval in the English explanation as in the Chinese one and the table's
    # "recomputed" column: four significant digits (51.55%), not four decimals (51.5504%)
    v = result.verdicts.set_index("indicator")
    row = v.loc["organisation.workers_promoted.rate"]
    for shown in (figure_shown(row["computed"], "%", "en", None), figure_shown(row["ci_low"], "%", "en", None),
                  figure_shown(row["ci_high"], "%", "en", None)):
        assert shown in row["explanation_en"] and shown in row["explanation_zh"]
    table = format_verdicts(result, "table", "en")
    assert "51.5504" not in table and "51.55%" in table


def test_every_table_of_figures_shows_them_with_the_digits_the_verdict_needs(tmp_path, result):
    """A claim of 51.6% admits [51.55%, 51.65%); a recomputed 51.5496% read at four digits would be 51.55%, inside it,
    beside "contradicted". The terminal table and the Word appendix take the claim's interval (claim_interval) as the
    report's table does; figure_shown and ci_text cannot be called without it."""
    from dataclasses import replace

    import docx

    v = result.verdicts.copy()
    i = v.index[(v["verdict"] != "qualitative") & (v["unit"] == "%")][0]
    v.loc[i, ["computed", "low", "high", "ci_low", "ci_high"]] = [51.5496, 51.55, 51.65, 40.0, 59.4996]
    v.loc[i, ["low_inclusive", "high_inclusive"]] = [True, False]
    shifted = replace(result, verdicts=v)
    assert "51.5496%" in format_verdicts(shifted, "table", "en")
    out = render_appendix_docx(shifted, tmp_path / "appendix.docx", lang="zh")
    cells = [c.text for row in docx.Document(str(out)).tables[0].rows for c in row.cells]
    assert "51.5496%" in cells and "51.55%" not in cells
    with pytest.raises(TypeError):
        figure_shown(51.5496, "%", "zh")  # noqa - the claim's interval is not optional
