"""Word output: the report HTML becomes a .docx with its Chinese headings, tables, charts and an East Asian font."""

from __future__ import annotations

import base64
import io
import zipfile

import docx
import nbformat
import pytest

from evaluation.errors import JinlinError
from evaluation.report.docx import (EAST_ASIA_FONT, FALLBACK_FONT, HEADING_FONT, chinese_ordinal, reference_docx,
                                   render_docx)
from evaluation.report.html import render_html

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _png() -> str:
    from matplotlib.figure import Figure

    from evaluation.report.style import use_style

    use_style()
    fig = Figure(figsize=(3, 2))
    fig.subplots().bar(["澳头", "西区", "霞涌"], [3, 5, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode()


def _report_html(tmp_path, lang: str = "zh"):
    """An HTML report as the runner writes it (render_html of executed notebooks), without running a kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# 数据质量报告\n\n本节检查各数据表的行数。"))
    table = nbformat.v4.new_code_cell("table_view(df)")
    table.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": "<table><thead><tr><th>数据表</th><th>行数</th></tr></thead>"
                     "<tbody><tr><td>grid_events</td><td>16295</td></tr><tr><td>petitions</td><td>38</td></tr>"
                     "</tbody></table>",
        "text/plain": "table"})]
    chart = nbformat.v4.new_code_cell("plot()")
    chart.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]
    nb.cells += [nbformat.v4.new_markdown_cell("## 社区调整沿革：10 个社区优化为 43 个"),
                 nbformat.v4.new_markdown_cell("下表为各数据表的行数。"), table,
                 nbformat.v4.new_markdown_cell("图中每格为记录数。"), chart]
    path = tmp_path / "report.html"
    path.write_text(render_html([nb], "近邻治理评估报告", lang), encoding="utf-8")
    return path


def test_docx_holds_heading_table_image_and_east_asian_font(tmp_path):
    html = _report_html(tmp_path)
    assert "data:image/png;base64," in html.read_text(encoding="utf-8")
    out = render_docx(html, tmp_path / "out" / "report.docx", "zh")
    assert out == tmp_path / "out" / "report.docx"
    doc = docx.Document(out)
    headings = {p.text: p.style.name for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert headings.get("一、数据质量报告") == "Heading 1"
    assert headings.get("（一）社区调整沿革：10 个社区优化为 43 个") == "Heading 2"
    assert len(doc.tables) >= 1
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "数据表" in cells and "16295" in cells
    assert len(doc.inline_shapes) == 1
    with zipfile.ZipFile(out) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and z.read(media[0]).startswith(b"\x89PNG")
        fonts = z.read("word/fontTable.xml").decode("utf-8")
    # the styles name the East Asian font, on the defaults and on the headings
    styles = doc.styles.element
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(f"{W}eastAsia") == EAST_ASIA_FONT and defaults.get(f"{W}eastAsiaTheme") is None
    h1 = doc.styles["Heading 1"].element.find(f"{W}rPr/{W}rFonts")
    assert h1.get(f"{W}eastAsia") == HEADING_FONT
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    # Chinese for the East Asian text; the Latin runs en-US, so that a renderer keeps 0.067 and Holm whole
    assert lang.get(f"{W}eastAsia") == "zh-CN" and lang.get(f"{W}val") == "en-US"
    # 宋体 as the substitute where Noto Sans CJK SC is not installed
    assert f'w:name="{EAST_ASIA_FONT}"' in fonts and f'w:altName w:val="{FALLBACK_FONT}"' in fonts


def test_english_report_keeps_the_east_asian_font(tmp_path):
    out = render_docx(_report_html(tmp_path, "en"), tmp_path / "en.docx", "en")
    doc = docx.Document(out)
    lang = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang.get(f"{W}val") == "en-GB"
    rfonts = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert rfonts.get(f"{W}eastAsia") == EAST_ASIA_FONT and rfonts.get(f"{W}hint") is None


def test_reference_doc_replaces_every_theme_east_asian_font(tmp_path):
    ref = reference_docx(tmp_path / "ref.docx", "zh")
    with zipfile.ZipFile(ref) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
        theme = z.read("word/theme/theme1.xml").decode("utf-8")
    assert "eastAsiaTheme" not in styles
    assert (styles.count(f'w:eastAsia="{EAST_ASIA_FONT}"') + styles.count(f'w:eastAsia="{HEADING_FONT}"')
            == styles.count("<w:rFonts"))
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles
    assert 'script="Hans" typeface="宋体"' in theme
    with pytest.raises(ValueError):
        reference_docx(tmp_path / "x.docx", "fr")


def test_a_lost_image_is_an_error_not_a_hole(tmp_path):
    html = tmp_path / "report.html"
    html.write_text('<html lang="zh"><body><h1>图表</h1><img src="missing_chart.png"></body></html>',
                    encoding="utf-8")
    with pytest.raises(JinlinError, match="missing_chart.png"):
        render_docx(html, tmp_path / "r.docx")
    assert not (tmp_path / "r.docx").exists()
    with pytest.raises(JinlinError, match="does not exist"):
        render_docx(tmp_path / "nope.html", tmp_path / "r.docx")


def test_official_layout_a4_numbering_captions_toc_and_page_number(tmp_path):
    """GB/T 9704-2012: A4 with 37/35/28/26 mm margins, a PAGE field in the footer, headings 一、（一）, captions 表1
    above the table and 图1 below the chart (SEQ fields), the chart described by its caption, a Word TOC field in
    place of the HTML link list."""
    out = render_docx(_report_html(tmp_path), tmp_path / "report.docx", "zh")
    doc = docx.Document(out)
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == \
        [37, 35, 28, 26]
    footer = sec.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    texts = [p.text for p in doc.paragraphs]
    assert "表1　社区调整沿革：10 个社区优化为 43 个" in texts and "图1　社区调整沿革：10 个社区优化为 43 个" in texts
    i_cap = texts.index("表1　社区调整沿革：10 个社区优化为 43 个")
    # the caption sits right before the table in the body
    nxt = doc.paragraphs[i_cap]._p.getnext()
    assert nxt.tag == f"{W}tbl"
    with zipfile.ZipFile(out) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        settings = z.read("word/settings.xml").decode("utf-8")
    assert 'TOC \\o "1-2"' in xml and "SEQ 表" in xml and "SEQ 图" in xml
    assert "updateFields" in settings
    # the text names the numbered table and figure it introduces
    assert "表1为各数据表的行数。" in texts and "图1中每格为记录数。" in texts
    assert "No description has been provided" not in xml and 'descr="data:' not in xml
    assert 'descr="图1　社区调整沿革' in xml
    # the HTML's own link list is gone: each heading text appears once in the TOC and once as the heading
    assert texts.count("一、数据质量报告") == 2
    body = doc.styles["Body Text"]
    assert body.font.size.pt == 16


def test_chinese_ordinals():
    assert [chinese_ordinal(n) for n in (1, 9, 10, 11, 20, 21, 99)] == ["一", "九", "十", "十一", "二十", "二十一",
                                                                        "九十九"]
    with pytest.raises(ValueError):
        chinese_ordinal(0)


def test_chinese_docx_has_no_internal_codes(tmp_path):
    """The Chinese Word file of a report built as the runner builds it (summary cell with the 摘要, tables through
    table_view) carries no Latin-letter code outside the allow-list: no dotted keys, no `unspecified`, `slogan`,
    `info`, no table or column names of the exports."""
    import pandas as pd

    from evaluation.report import table_view
    from evaluation.text.i18n import latin_codes, t
    from evaluation.report.summary import summary_cell

    results = {"survey.satisfaction_index.mean": {"value": 69.9, "ci_low": 68.6, "ci_high": 71.2},
               "impact.on_time_rate.att": {"value": 0.0519, "ci_low": 0.0328, "ci_high": 0.0709},
               "impact.on_time_rate.conclusion": {"value": "clear"},
               "petitions.real_estate.yoy_change": {"value": -0.345, "ci_low": -0.577, "ci_high": 0.003},
               "participation.attendance.person_times": {"value": 515000}}
    claims = pd.DataFrame({"claim_id": ["F001", "F002"], "raw": ["三融合", "230余场"], "kind": ["slogan", "count"],
                           "period": ["unspecified", "since 2019"], "severity": ["info", "warning"]})
    missing = pd.DataFrame({"table": ["survey_responses"], "column": ["q_belonging"], "format": ["csv"],
                            "missing_share": [0.032]})
    nb = nbformat.v4.new_notebook()
    # as notebook 50 shows it: columns renamed to their claims.col.* labels first
    claims = claims.rename(columns={c: t(f"claims.col.{c}", "zh") for c in claims.columns})
    for frame in (claims, missing):
        cell = nbformat.v4.new_code_cell("table_view(x)")
        cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
            "text/html": table_view(frame, "zh").to_html(), "text/plain": "t"})]
        nb.cells += [nbformat.v4.new_markdown_cell("## 申报材料中的数字"), cell]
    html = tmp_path / "report.html"
    html.write_text(render_html([nb], "近邻治理评估报告", "zh", [summary_cell(results, "zh", True, 0.95)]),
                    encoding="utf-8")
    doc = docx.Document(render_docx(html, tmp_path / "report.docx", "zh"))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for tbl in doc.tables for row in tbl.rows for c in row.cells])
    assert "摘要" in text and "提高5.2个百分点" in text and "51.5万" in text
    assert latin_codes(text) == []
    # the check is not blind: the same table in an English run keeps its codes
    raw = pd.DataFrame({"period": ["unspecified"], "kind": ["slogan"]})
    assert {"unspecified", "slogan"} <= set(latin_codes(table_view(raw, "en").to_html()))


def test_narrow_columns_keep_their_words_whole():
    """The audit table's verdict column got one character a line and 1119 split into 111 / 9 (issue 17, PDF check):
    each column first gets what its unbreakable text needs, the long notes share the rest."""
    from evaluation.report.docx import _column_widths, _unbreakable

    assert _unbreakable("相符") == 5 and _unbreakable("无法核验") == 5 and _unbreakable("72500至73500（不含73500）") == 6
    assert _unbreakable("0.067") == 6 and _unbreakable("") == 1
    longest = [10, 30, 20, 10, 30, 20, 10, 30]  # 编号 原文 指标 复算值 允许区间 置信区间 结论 说明
    need = [5, 7, 5, 7, 6, 6, 5, 5]
    total = round(156 / 25.4 * 1440)
    widths = _column_widths(longest, need, total)
    assert abs(sum(widths) - total) <= len(widths)
    assert all(w >= n * 125 + 230 for w, n in zip(widths, need))  # 相符 on one line, numbers whole
    assert widths[7] > widths[6] and widths[1] > widths[0]  # long text still gets the most room
    # needs wider than the page: proportions of the needs
    assert abs(sum(_column_widths([30] * 20, [20] * 20, total)) - total) <= 20


def test_pandoc_takes_the_memory_settings_and_gives_the_same_document(tmp_path, monkeypatch):
    """pandoc runs with PANDOC_RTS in GHCRTS (a user's own GHCRTS wins) and accepts it without a warning; the Word
    file is the same, part for part, as with the runtime's defaults."""
    import warnings

    from evaluation.report import docx as docx_mod

    monkeypatch.delenv("GHCRTS", raising=False)
    assert docx_mod._pandoc_environment()["GHCRTS"] == docx_mod.PANDOC_RTS
    html = _report_html(tmp_path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        tuned = render_docx(html, tmp_path / "tuned.docx", "zh")
    assert not [w for w in seen if "RTS" in str(w.message) or "GHC" in str(w.message)]
    monkeypatch.setenv("GHCRTS", "-A1m")
    assert docx_mod._pandoc_environment()["GHCRTS"] == "-A1m"
    plain_gc = render_docx(html, tmp_path / "plain.docx", "zh")
    with zipfile.ZipFile(tuned) as a, zipfile.ZipFile(plain_gc) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(n) == b.read(n) for n in a.namelist())
