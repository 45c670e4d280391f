"""Internal codes in display tables become Chinese labels; the checker that a Chinese document carries no code."""

from __future__ import annotations

import pandas as pd

from evaluation.report import table_view
from evaluation.report.i18n import display_values, latin_codes


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


def test_columns_renamed_before_display_are_known_by_their_label():
    from evaluation.report.i18n import t

    claims = pd.DataFrame({"kind": ["slogan", "count"], "period": ["unspecified", "2024"],
                           "severity": ["info", "info"], "unit": ["items", "人次"]})
    shown = claims.rename(columns={c: t(f"claims.col.{c}", "zh") for c in claims.columns})
    out = display_values(shown, "zh")
    assert out.iloc[0].tolist() == ["口号或名称", "未说明", "提示", "项（列举）"]
    assert out.iloc[1].tolist() == ["计数", "2024年", "提示", "人次"]


def test_claim_indicators_named_in_chinese():
    from evaluation.report.i18n import t

    v = pd.DataFrame({"indicator": ["grid.events_closed.count", "organisation.workers_promoted.rate", None]})
    shown = v.rename(columns={"indicator": t("claims.col.indicator", "zh")})
    assert display_values(shown, "zh").iloc[:, 0].tolist()[:2] == ["办结网格事件数", "社区工作者晋升率"]
    assert display_values(v, "en").equals(v)
