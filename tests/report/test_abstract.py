"""The prose 摘要 and the Chinese number conventions it is written with."""

from __future__ import annotations

import pytest

from evaluation.report.abstract import abstract_markdown, abstract_paragraphs
from evaluation.text.i18n import latin_codes
from evaluation.text.numbers import zh_change, zh_change_interval, zh_count, zh_number, zh_percent, zh_pp_change

RESULTS = {
    "survey.satisfaction_index.mean": {"value": 69.898, "ci_low": 68.638, "ci_high": 71.159, "n": 2150},
    "survey.migrant_gap.index": {"value": -11.827, "ci_low": -14.181, "ci_high": -9.473},
    "impact.on_time_rate.att": {"value": 0.0519, "ci_low": 0.0328, "ci_high": 0.0709},
    "impact.on_time_rate.conclusion": {"value": "clear"},
    "impact.satisfaction_index.att": {"value": 1.1, "ci_low": -0.86, "ci_high": 3.06},
    "petitions.real_estate.yoy_change": {"value": -0.3448275862, "ci_low": -0.5766, "ci_high": 0.0033},
    "grid.events_closed.count": {"value": 16295},
    "grid.on_time_rate.share": {"value": 0.895, "ci_low": 0.891, "ci_high": 0.90},
    "grid.time_to_close.median_hours": {"value": 26.31},
    "participation.activities.count": {"value": 1119},
    "participation.attendance.person_times": {"value": 515000},
}


def test_number_conventions():
    assert [zh_number(x) for x in (515000, 16295, 123456789, 2.5, -250000)] == ["51.5万", "16295", "1.23亿", "2.5",
                                                                              "-25万"]
    assert zh_count(515000, "人") == "51.5万人" and zh_count(16295, "件") == "16295件"
    assert zh_pp_change(0.0519) == "提高5.2个百分点" and zh_pp_change(-0.013) == "下降1.3个百分点"
    assert zh_pp_change(0.0001) == "持平"
    assert zh_change(-34.48, "%", 1, "增加", "下降") == "下降34.5%"
    assert zh_percent(0.8996) == "90.0%"
    assert zh_change_interval(-21.3, -11.0, "%") == "下降11.0至21.3%"
    assert zh_change_interval(-57.7, 0.3, "%", 1, "增加", "下降") == "下降57.7%至增加0.3%"
    with pytest.raises(ValueError):
        zh_number(float("nan"))


def test_abstract_sentences_with_intervals_and_caveats():
    text = abstract_markdown(RESULTS, "zh", 0.95)
    assert text.startswith("# 摘要")
    assert "居民满意度指数为69.9分（95%置信区间68.6至71.2分" in text
    assert "比本地居民低11.8分（区间9.5至14.2分）" in text
    assert "网格事件按期办结率提高5.2个百分点（区间提高3.3至7.1个百分点），效应明确" in text
    # no conclusion recorded for the satisfaction effect: the generic caveat, and an interval through zero
    assert "居民满意度指数提高1.10分（区间下降0.86分至提高3.06分）" in text
    assert "涉地产信访件数比上年下降34.5%（区间为下降57.7%至增加0.3%）" in text and "不能据此断言已经下降" in text
    assert "全年办结网格事件16295件" in text and "参与51.5万人次" in text
    assert latin_codes(text) == []
    en = abstract_markdown(RESULTS, "en", 0.95)
    assert "+5.2 percentage points" in en and "摘要" not in en


def test_unrecorded_figures_leave_their_sentences_out():
    assert abstract_paragraphs({}, "zh", 0.95) == [] and abstract_markdown({}, "zh", 0.95) == ""
    paras = abstract_paragraphs({"grid.events_closed.count": {"value": 5}}, "zh", 0.95)
    assert paras == []  # the grid sentence needs its three figures


def test_units_and_ranges_come_from_the_catalogue_and_limits_never_read_zero():
    from evaluation.text.i18n import plain

    results = {"impact.participation_rate.att": {"value": 0.0581, "ci_low": 0.000399, "ci_high": 0.1158},
               "impact.participation_rate.conclusion": {"value": "not_after_adjustment"},
               "impact.participation_rate.p_value": {"value": 1e-10, "p_holm": 1e-9},
               "impact.satisfaction_index.att": {"value": 2.7, "ci_low": 0.39, "ci_high": 5.02}}
    en = "\n".join(abstract_paragraphs(results, "en", 0.95))
    assert plain("abs.pp", "en", value="+5.8") + " (interval +0.0399 to +11.6)" in en
    assert plain("abs.points", "en", value="+2.70") + " (interval +0.39 to +5.02)" in en
    # the conclusion is Markdown already: its "<" is escaped once, not again by the sentence around it
    assert "Holm p &lt; 0.001" in en and "&amp;lt;" not in en
    zh = "\n".join(abstract_paragraphs(results, "zh", 0.95))
    assert "提高5.8个百分点（区间提高0.0399至11.6个百分点）" in zh and "&amp;lt;" not in zh


def test_every_english_interval_reads_lo_to_hi():
    """One range style in the prose: "68.6 to 71.2", as the impact sentences and the summary table write it; an
    en dash between two limits that may be negative ("-14.2–-9.5") reads as a minus sign."""
    import re

    en = abstract_markdown(RESULTS, "en", 0.95)
    assert "68.6 to 71.2" in en and "(interval 89.1% to 90.0%)" in en
    assert not re.search(r"\d%?–[-+]?\d", en)


def test_the_abstract_reports_every_impact_outcome_primary_first_whatever_its_verdict():
    from evaluation.report.abstract import impact_outcomes

    r = {**RESULTS,
         "impact.real_estate_petitions_per_10k.att": {"value": -0.0093, "ci_low": -0.76, "ci_high": 0.74},
         "impact.real_estate_petitions_per_10k.conclusion": {"value": "inconclusive"},
         "impact.real_estate_petitions_per_10k.role": {"value": "primary"},
         "impact.volunteer_rate.att": {"value": 1.67, "ci_low": 1.49, "ci_high": 1.84},
         "impact.volunteer_rate.conclusion": {"value": "clear"},
         "impact.volunteer_rate.role": {"value": "secondary"},
         "impact.on_time_rate.role": {"value": "primary"}, "impact.satisfaction_index.role": {"value": "primary"}}
    assert impact_outcomes(r) == ["satisfaction_index", "on_time_rate", "real_estate_petitions_per_10k",
                                  "volunteer_rate"]
    en = abstract_markdown(r, "en", 0.95)
    assert "real-estate petitions per 10,000 residents -0.01 (interval -0.76 to +0.74)" in en
    assert "registered volunteers per 100 residents +1.67 (interval +1.49 to +1.84): exploratory outcome" in en
    zh = abstract_markdown(r, "zh", 0.95)
    assert "每万人涉地产信访件数减少0.01件/万人" in zh and "每百人注册志愿者数增加1.67人/百人" in zh


def test_the_claims_sentence_says_how_many_checked_figures_are_not_confirmed():
    r = {"claims.figures.checked": {"value": 24}, "claims.verdict.contradicted": {"value": 0},
         "claims.verdict.fragile": {"value": 1}, "claims.verdict.within_sampling_error": {"value": 0}}
    en = abstract_markdown(r, "en", 0.95)
    assert "0 are contradicted by it, and 1 agree only within sampling error or are fragile" in en
    assert "另有1处只在抽样误差范围内相符或结论不稳" in abstract_markdown(r, "zh", 0.95)
    r["claims.verdict.fragile"] = {"value": 0}
    assert "0 are contradicted by it." in abstract_markdown(r, "en", 0.95)
