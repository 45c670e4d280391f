"""Internal codes in display tables become Chinese labels; the checker that a Chinese document carries no code."""

from __future__ import annotations

import pandas as pd

from evaluation.report import table_view
from evaluation.text.i18n import display_values, latin_codes


def test_codes_in_cells_become_labels():
    claims = pd.DataFrame({"claim_id": ["F001", "F002", "F003", "F004"], "kind": ["slogan", "enumeration", "count",
                                                                                      "rate"],
                           "period": ["unspecified", "since 2019", "2024 vs 2023", "last 3 years"],
                           "severity": ["info", "warning", "info", "warning"]})
    out = display_values(claims, "zh")
    assert out["kind"].tolist() == ["口号或名称", "列举", "计数", "比率"]
    assert out["period"].tolist() == ["未说明", "2019年以来", "2024年与2023年相比", "近3年"]
    assert out["severity"].tolist() == ["提示", "警示", "提示", "警示"]
    assert out["claim_id"].tolist() == ["F001", "F002", "F003", "F004"]
    assert display_values(claims, "en").equals(claims)  # English keeps the (English) codes
    assert claims["kind"].tolist()[0] == "slogan"  # the input is not changed


def test_data_quality_table_and_column_names_in_chinese():
    miss = pd.DataFrame({"table": ["survey_responses", "grid_events", "not_a_table"],
                         "column": ["q_belonging", "closed_at", "x"], "format": ["csv", "parquet", "csv"]})
    out = display_values(miss, "zh")
    assert out["table"].tolist()[:2] == ["居民调查", "网格事件"]  # the contract's Chinese table names
    assert out["column"].tolist()[:2] == ["归属感", "办结时间"]
    assert out["table"].tolist()[2] == "not_a_table" and out["column"].tolist()[2] == "x"  # unknown: left alone
    assert out["format"].tolist() == ["CSV", "Parquet", "CSV"]
    html = table_view(miss, "zh").to_html()
    assert "survey_responses" not in html and "q_belonging" not in html


def test_latin_code_checker():
    text = ("效果（TWFE 为对照，95% CI，p 值）。说明：impact.real_estate_petitions_per_10k.att 的置信区间包含0；"
            "估计方法 dr；基期 varying；社区 C01、D12，数字 F001；Kaplan–Meier；period unspecified")
    assert latin_codes(text) == ["impact.real_estate_petitions_per_10k.att", "dr", "varying", "period",
                                 "unspecified"]
    assert latin_codes("居民满意度指数提高5.2个百分点（R 4.3）") == []
    # file names are what the office has on disk; a dotted key that merely ends like one is not
    assert latin_codes("申报文本：daya_bay_2024.md；数据表 communities.csv、grid_events.parquet") == []
    assert latin_codes("见 claims.yaml；impact.x.att") == ["impact.x.att"]


def test_result_keys_are_named_in_chinese():
    from evaluation.text.i18n import result_label

    assert result_label("survey.satisfaction_index.mean", "zh") == "居民满意度指数"
    assert result_label("organisation.*", "zh") == "组织建设各项指标"
    assert result_label("impact.activities_per_1k.att", "zh") == "每千人社区活动场次的推行效果"
    assert result_label("impact.on_time_rate.dynamic.e0", "zh") == "网格事件按期办结率推行当年的效果"
    assert result_label("impact.on_time_rate.dynamic.e3", "zh") == "网格事件按期办结率推行后第3年的效果"
    assert result_label("impact.on_time_rate.dynamic.e*", "zh") == "网格事件按期办结率推行后各年的效果"
    # English keeps the key; a key without a name stays visible (the Latin-code check then finds it)
    assert result_label("impact.on_time_rate.att", "en") == "impact.on_time_rate.att"
    assert result_label("impact.unknown_outcome.att", "zh") == "impact.unknown_outcome.att"


def test_columns_renamed_before_display_are_known_by_their_label():
    from evaluation.text.i18n import t

    claims = pd.DataFrame({"kind": ["slogan", "count"], "period": ["unspecified", "2024"],
                           "severity": ["info", "info"], "unit": ["items", "人次"]})
    shown = claims.rename(columns={c: t(f"claims.col.{c}", "zh") for c in claims.columns})
    out = display_values(shown, "zh")
    assert out.iloc[0].tolist() == ["口号或名称", "未说明", "提示", "项（列举）"]
    assert out.iloc[1].tolist() == ["计数", "2024年", "提示", "人次"]


def test_claim_indicators_named_in_chinese():
    from evaluation.text.i18n import t

    v = pd.DataFrame({"indicator": ["grid.events_closed.count", "organisation.workers_promoted.rate", None]})
    shown = v.rename(columns={"indicator": t("claims.col.indicator", "zh")})
    assert display_values(shown, "zh").iloc[:, 0].tolist()[:2] == ["办结网格事件数", "社区工作者晋升率"]
    assert display_values(v, "en").equals(v)


def test_one_chinese_name_for_the_real_estate_topic():
    """Issue 17: 涉地产, 涉房产, 涉房地产 and 房地产类 named one topic. The article writes 涉地产; so do all texts."""
    import re

    from evaluation.data.contract import TABLES
    from evaluation.text.i18n import CATALOGUE

    texts = [e["zh"] for e in CATALOGUE.values()] + [c.zh for tab in TABLES for c in tab.columns]
    others = {m for s in texts for m in re.findall(r"涉房地产|涉房产|房地产类|房产类", s)}
    assert others == set()
    assert CATALOGUE["svc.cat.real_estate"]["zh"] == CATALOGUE["profile.cat.real_estate"]["zh"] == "涉地产"
    assert any("涉地产" in s for s in texts)
