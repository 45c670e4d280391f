"""The summary page: headline figures with intervals and caveats, in the report's language, from results only."""

from __future__ import annotations

from evaluation.report.summary import HEADLINES, summary_cell, summary_rows

RESULTS = {
    "petitions.real_estate.yoy_change": {"value": -0.3448275862, "ci_low": -0.577, "ci_high": 0.003},
    "participation.attendance.person_times": {"value": 73000},
    "impact.on_time_rate.att": {"value": 0.0519, "ci_low": 0.0328, "ci_high": 0.0709},
    "impact.on_time_rate.conclusion": {"value": "clear"},
}


def test_rows_carry_intervals_and_caveats():
    rows = {r[0]: r[1:] for r in summary_rows(RESULTS, "en")}
    assert rows["Year-on-year change in property-related petitions"] == (
        "-34.5%", "-57.7% – +0.3%", "small counts: the interval includes no change, so a fall cannot be claimed")
    assert rows["Activity attendance (person-times)"][0] == "73,000"
    assert "person-times, not people" in rows["Activity attendance (person-times)"][2]
    assert rows["Effect of the model on the on-time closure rate"][2].startswith("clear effect")
    assert len(rows) == 3  # unrecorded figures are left out, not shown empty


def test_cell_is_bilingual_and_marks_synthetic_data():
    zh = summary_cell(RESULTS, "zh", synthetic=True, level=0.95).source
    assert zh.startswith("# 摘要") and "# 主要发现" in zh and "合成数据" in zh and "95%" in zh
    assert "涉房地产信访件数同比变化" in zh
    en = summary_cell(RESULTS, "en", synthetic=False, level=0.9).source
    assert "Headline findings" in en and "Synthetic" not in en and "90%" in en


def test_every_headline_has_its_text():
    for h in HEADLINES:
        for lang in ("zh", "en"):
            summary_rows({h.key: {"value": 1, "ci_low": 0, "ci_high": 2}}, lang)


def test_chinese_table_uses_percentage_points_and_verbs():
    rows = {r[0]: r[1:] for r in summary_rows(RESULTS, "zh")}
    assert rows["近邻模式对网格事件按期办结率的效应"][:2] == ("提高5.2个百分点", "提高3.3至7.1个百分点")
    assert rows["涉房地产信访件数同比变化"][:2] == ("下降34.5%", "下降57.7%至增加0.3%")
    assert rows["活动服务人次"][0] == "73000"
    big = {r[0]: r[1] for r in summary_rows({"participation.attendance.person_times": {"value": 515000}}, "zh")}
    assert big["活动服务人次"] == "51.5万"
