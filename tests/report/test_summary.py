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
    assert rows["Year-on-year change in real-estate petitions"] == (
        "-34.5%", "-57.7% to +0.3%", "small counts: the interval includes no change, so a fall cannot be claimed")
    assert rows["Activity attendance (person-times)"][0] == "73,000"
    assert "person-times, not people" in rows["Activity attendance (person-times)"][2]
    assert rows["Effect of the model on the on-time closure rate"][2].startswith("clear effect")
    # a difference of two rates is in percentage points, as the abstract writes it, never "+5.2%" (a relative change)
    assert rows["Effect of the model on the on-time closure rate"][:2] == ("+5.2 pp", "+3.3 to +7.1 pp")
    assert len(rows) == 3  # unrecorded figures are left out, not shown empty


def test_cell_is_bilingual_and_marks_synthetic_data():
    zh = summary_cell(RESULTS, "zh", synthetic=True, confidence=0.95).source
    assert zh.startswith("# 摘要") and "# 主要发现" in zh and "合成数据" in zh and "95%" in zh
    assert "涉地产信访件数同比变化" in zh
    en = summary_cell(RESULTS, "en", synthetic=False, confidence=0.9).source
    assert "Headline findings" in en and "Synthetic" not in en and "90%" in en


def test_every_headline_has_its_text():
    for h in HEADLINES:
        for lang in ("zh", "en"):
            summary_rows({h.key: {"value": 1, "ci_low": 0, "ci_high": 2}}, lang)


def _row(results, lang, key):
    from evaluation.report.summary import HEADLINES, caveat_for, label_for

    h = next(h for h in HEADLINES if h.key == key)
    return label_for(h, results, lang), caveat_for(h, results, lang)


PETITIONS = "petitions.real_estate.yoy_change"


def test_small_count_caveat_only_when_the_interval_includes_no_change():
    clear_fall = {PETITIONS: {"value": -0.6, "ci_low": -0.72, "ci_high": -0.45}}
    assert _row(clear_fall, "en", PETITIONS)[1] == ""
    assert _row(clear_fall, "zh", PETITIONS)[1] == ""
    fall = {PETITIONS: {"value": -0.3, "ci_low": -0.6, "ci_high": 0.05}}
    assert "a fall cannot be claimed" in _row(fall, "en", PETITIONS)[1]
    assert "不能据此断言下降" in _row(fall, "zh", PETITIONS)[1]
    rise = {PETITIONS: {"value": 0.3, "ci_low": -0.05, "ci_high": 0.6}}
    assert "a rise cannot be claimed" in _row(rise, "en", PETITIONS)[1]
    assert "不能据此断言上升" in _row(rise, "zh", PETITIONS)[1]
    assert _row({PETITIONS: {"value": -0.3}}, "en", PETITIONS)[1] == ""  # no interval: nothing to say about it


ATT = "impact.on_time_rate.att"


def _impact(conclusion, value=-0.05, lo=-0.07, hi=-0.03, bd=0.51, p_holm=0.001, role="primary"):
    out = {ATT: {"value": value, "ci_low": lo, "ci_high": hi},
           "impact.on_time_rate.breakdown_mbar": {"value": bd},
           "impact.on_time_rate.p_value": {"value": p_holm / 2, "p_holm": p_holm},
           "impact.on_time_rate.role": {"value": role}}
    if conclusion:
        out["impact.on_time_rate.conclusion"] = {"value": conclusion}
    return out


def test_impact_label_claims_an_effect_only_when_clear():
    assert _row(_impact("clear", bd=1.4), "en", ATT)[0] == "Effect of the model on the on-time closure rate"
    assert _row(_impact("clear", bd=1.4), "zh", ATT)[0] == "近邻模式对网格事件按期办结率的效应"
    for code in ("sensitive", "not_after_adjustment", "inconclusive", "not_identified", None):
        assert _row(_impact(code), "en", ATT)[0] == "DiD estimate (ATT): on-time closure rate"
        assert _row(_impact(code), "zh", ATT)[0].startswith("双重差分估计（ATT）")


def test_impact_caveats_follow_the_recorded_evidence():
    en = _row(_impact("clear", bd=1.37), "en", ATT)[1]
    assert en.startswith("clear effect") and "1.37 times" in en and "robust to departures" not in en
    assert "1.37 倍" in _row(_impact("clear", bd=1.37), "zh", ATT)[1]
    # a negative effect judged sensitive: the Chinese sentence states no direction at all
    for value, lo, hi in ((-0.05, -0.07, -0.03), (0.05, 0.03, 0.07)):
        zh = _row(_impact("sensitive", value, lo, hi, bd=0.51), "zh", ATT)[1]
        assert "正向" not in zh and "负向" not in zh and "0.51" in zh
    adj = _row(_impact("not_after_adjustment", p_holm=0.0666), "en", ATT)[1]
    assert "Holm p = 0.067" in adj
    assert _row(_impact("inconclusive", lo=-0.01), "en", ATT)[1] == "the interval includes zero; the data cannot tell"
    # a secondary outcome's verdict says it is exploratory, in both languages
    assert _row(_impact("sensitive", role="secondary"), "en", ATT)[1].startswith("exploratory outcome")
    assert _row(_impact("sensitive", role="secondary"), "zh", ATT)[1].startswith("探索性指标")
    assert not _row(_impact("sensitive"), "en", ATT)[1].startswith("exploratory")


def test_no_conclusion_sentence_claims_robustness_or_a_direction():
    from evaluation.text.i18n import CATALOGUE

    for key, entry in CATALOGUE.items():
        if key.startswith("sum.conclusion."):
            assert "robust" not in entry["en"] and "不敏感" not in entry["zh"], key
            assert "正向" not in entry["zh"] and "positive" not in entry["en"], key


def test_chinese_table_uses_percentage_points_and_verbs():
    rows = {r[0]: r[1:] for r in summary_rows(RESULTS, "zh")}
    assert rows["近邻模式对网格事件按期办结率的效应"][:2] == ("提高5.2个百分点", "提高3.3至7.1个百分点")
    assert rows["涉地产信访件数同比变化"][:2] == ("下降34.5%", "下降57.7%至增加0.3%")
    assert rows["活动服务人次"][0] == "73000"
    big = {r[0]: r[1] for r in summary_rows({"participation.attendance.person_times": {"value": 515000}}, "zh")}
    assert big["活动服务人次"] == "51.5万"


def test_p_values_and_interval_limits_never_read_zero():
    # the participation effect of the bundled district: its lower limit is 0.04 percentage points, not 0.0, and a
    # Holm p-value of 1e-9 is "< 0.001", not "0.000"
    results = {"impact.participation_rate.att": {"value": 0.0581, "ci_low": 0.000399, "ci_high": 0.1158},
               "impact.participation_rate.conclusion": {"value": "not_after_adjustment"},
               "impact.participation_rate.p_value": {"value": 1e-10, "p_holm": 1e-9}}
    (en,) = summary_rows(results, "en")
    assert en[1:3] == ("+5.8 pp", "+0.0399 to +11.6 pp")
    assert "Holm p &lt; 0.001" in en[3] and "0.000" not in en[3]  # "<" once escaped for Markdown, not twice
    (zh,) = summary_rows(results, "zh")
    assert zh[2] == "提高0.0399至11.6个百分点" and "Holm p &lt; 0.001" in zh[3]
    results["impact.participation_rate.p_value"]["p_holm"] = 0.0967
    assert "Holm p = 0.097" in summary_rows(results, "en")[0][3]


def test_a_range_reads_as_the_catalogue_writes_it():
    results = {"survey.satisfaction_index.mean": {"value": 69.9, "ci_low": 68.64, "ci_high": 71.16}}
    assert summary_rows(results, "zh")[0][2] == "68.6 至 71.2"
    assert summary_rows(results, "en")[0][2] == "68.6 to 71.2"


def test_an_exploratory_clear_effect_is_not_labelled_an_effect_of_the_model():
    from evaluation.report.summary import HEADLINES, label_for

    base = {"impact.on_time_rate.att": {"value": 0.052, "ci_low": 0.033, "ci_high": 0.071},
            "impact.on_time_rate.conclusion": {"value": "clear"}, "impact.on_time_rate.breakdown_mbar": {"value": 1.4}}
    h = next(h for h in HEADLINES if h.key == "impact.on_time_rate.att")
    primary = {**base, "impact.on_time_rate.role": {"value": "primary"}}
    secondary = {**base, "impact.on_time_rate.role": {"value": "secondary"}}
    assert label_for(h, primary, "en") == "Effect of the model on the on-time closure rate"
    assert label_for(h, secondary, "en") == "DiD estimate (ATT): on-time closure rate"
    (row,) = summary_rows(secondary, "en")
    assert row[3].startswith("exploratory outcome") and "a lead to confirm" in row[3] and "clear effect" not in row[3]


def test_every_prespecified_outcome_has_a_headline():
    """The headline table reports each primary outcome whatever its verdict: one left out because the data cannot
    tell would make the table a selection."""
    from evaluation.impact.summary import PRIMARY_OUTCOMES

    keys = {h.key for h in HEADLINES}
    assert {f"impact.{o}.att" for o in PRIMARY_OUTCOMES} <= keys
    r = {"impact.real_estate_petitions_per_10k.att": {"value": -0.0093, "ci_low": -0.76, "ci_high": 0.74},
         "impact.real_estate_petitions_per_10k.conclusion": {"value": "inconclusive"},
         "impact.real_estate_petitions_per_10k.role": {"value": "primary"}}
    (row,) = summary_rows(r, "en")
    assert row[:3] == ("DiD estimate (ATT): real-estate petitions (per 10,000 residents)", "-0.01", "-0.76 to +0.74")
    assert "cannot tell" in row[3]
