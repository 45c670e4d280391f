"""Extraction on our own test texts (tests/claims/texts/*.md): every hedge, numeral form, kind and period."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evaluation.claims import extract_claims, normalise_submission, read_submission
from evaluation.claims.extract import FIGURE_KINDS

TEXTS = Path(__file__).parent / "texts"
INF = math.inf


def _rows(name: str):
    text = read_submission(TEXTS / name)
    return text, extract_claims(text, report_year=2024).set_index("raw", drop=False)


# raw -> (value, unit, hedge, low, high, low_inclusive, high_inclusive, kind)
HEDGES = {
    "近4000名": (4000, "名", "near", 3800, 4000, True, False, "count"),
    "450余家": (450, "家", "plus", 450, 460, True, False, "count"),
    "100多支": (100, "支", "plus", 100, 200, True, False, "count"),
    "约7.3万人次": (73000, "人次", "about", 72500, 73500, True, False, "count"),
    "大约1200户": (1200, "户", "about", 1150, 1250, True, False, "count"),
    "80人左右": (80, "人", "about", 75, 85, True, False, "count"),
    "超过300名": (300, "名", "over", 300, INF, False, False, "count"),
    "逾5000名": (5000, "名", "over", 5000, INF, False, False, "count"),
    "60岁以上": (60, "岁", "at_least", 60, INF, True, False, "age"),
    "5人以上": (5, "人", "at_least", 5, INF, True, False, "count"),
    "不到15万人": (150000, "人", "under", 0, 150000, True, False, "count"),
    "不足20%": (20, "%", "under", 0, 20, True, False, "rate"),
    "低于30%": (30, "%", "under", 0, 30, True, False, "rate"),
    "3至5名": (3, "名", "range", 3, 5, True, True, "count"),
    "3-5人": (3, "人", "range", 3, 5, True, True, "count"),
    "51.6%": (51.6, "%", "rounded", 51.55, 51.65, True, False, "rate"),
    "96%": (96, "%", "rounded", 95.5, 96.5, True, False, "rate"),
    "不少于10个": (10, "个", "at_least", 10, INF, True, False, "count"),
    "不超过8个": (8, "个", "at_most", 0, 8, True, True, "count"),
    "30人以下": (30, "人", "at_most", 0, 30, True, True, "count"),
}


def test_hedges_text():
    _, df = _rows("hedges.md")
    assert sorted(df.index) == sorted(HEDGES)
    for raw, (value, unit, hedge, low, high, lo_in, hi_in, kind) in HEDGES.items():
        r = df.loc[raw]
        assert (r["value"], r["unit"], r["hedge"], r["kind"]) == (value, unit, hedge, kind), raw
        assert r["low"] == pytest.approx(low) and r["high"] == pytest.approx(high), raw
        assert (bool(r["low_inclusive"]), bool(r["high_inclusive"])) == (lo_in, hi_in), raw


NUMERALS = {
    "两千余名": (2000, "名", "plus", 2000, 3000, 1, "count"),
    "三十余年": (30, "年", "plus", 30, 40, 1, "duration"),
    "十八个": (18, "个", "exact", 18, 18, 1, "count"),
    "一千零五户": (1005, "户", "exact", 1005, 1005, 1, "count"),
    "二〇二三年": (2023, "date", "exact", 2023, 2023, 1, "date"),
    "15万元": (150000, "元", "rounded", 145000, 155000, 10000, "amount"),
    "1.2亿元": (120_000_000, "元", "rounded", 115_000_000, 125_000_000, 10**8, "amount"),
    "3,200人": (3200, "人", "exact", 3200, 3200, 1, "count"),          # written ３，２００人
    "98.5%": (98.5, "%", "rounded", 98.45, 98.55, 1, "rate"),          # written ９８．５％
    "1,234人": (1234, "人", "exact", 1234, 1234, 1, "count"),
    "16,295件": (16295, "件", "exact", 16295, 16295, 1, "count"),
    "五千件": (5000, "件", "exact", 5000, 5000, 1, "count"),
    "约3万5千元": (35000, "元", "about", 34500, 35500, 1, "amount"),
    "五十多万人": (500000, "人", "plus", 500000, 600000, 10000, "count"),
    "百分之三十四点五": (34.5, "%", "rounded", 34.45, 34.55, 1, "rate"),
    # A third, in %: the values nearer 1/3 than the neighbouring common fractions 1/4 and 2/5.
    "三分之一": (100 / 3, "%", "rounded", 100 * (1 / 4 + 1 / 3) / 2, 100 * (1 / 3 + 2 / 5) / 2, 1, "rate"),
}


def test_numerals_text():
    text, df = _rows("numerals.md")
    assert sorted(df.index) == sorted(NUMERALS)
    for raw, (value, unit, hedge, low, high, mult, kind) in NUMERALS.items():
        r = df.loc[raw]
        assert r["value"] == pytest.approx(value), raw
        assert (r["unit"], r["hedge"], r["multiplier"], r["kind"]) == (unit, hedge, mult, kind), raw
        assert r["low"] == pytest.approx(low) and r["high"] == pytest.approx(high), raw
    assert df.loc["两千余名", "period_year"] == 2024  # **本年** survives Markdown stripping


def test_kinds_and_periods_text():
    _, df = _rows("kinds.md")
    r = df.loc["12.5%"]
    assert (r["kind"], r["role"], r["value"], r["period"], r["compare_year"]) == (
        "change", "relative_change", 12.5, "2023 vs 2022", 2022)
    assert df.loc["16295件", "period_year"] == 2023
    r = df.loc["34.48%"]
    assert (r["value"], r["period_year"], r["compare_year"], r["detail"]) == (-34.48, 2024, 2023, "下降")
    assert df.loc["58件", "period_year"] == 2023  # 去年
    f, t = df.loc["10个"], df.loc["43个"]
    assert (f["role"], t["role"], f["linked_id"], t["linked_id"]) == ("from", "to", t["claim_id"], f["claim_id"])
    assert (f["from_value"], f["to_value"], t["from_value"], t["to_value"]) == (10, 43, 10, 43)
    assert (df.loc["不到15万人", "period_year"], df.loc["50多万人", "period_year"]) == (2014, 2024)
    assert df.loc["1+3+43+N", "kind"] == "structural" and math.isnan(df.loc["1+3+43+N", "value"])
    assert (df.loc["三岗", "kind"], df.loc["十八级", "value"]) == ("slogan", 18)
    assert not df["raw"].str.contains("一老一小|三沉").any()
    assert not df["raw"].isin(["一", "三"]).any()           # 一老一小 and the 《》 title
    assert (df.loc["第三届", "kind"], df.loc["第三届", "value"]) == ("ordinal", 3)
    assert (df.loc["一等奖", "kind"], df.loc["一等奖", "value"]) == ("ordinal", 1)
    assert df.loc["1批", "period"] == "annual"
    assert df.loc["86个", "period"] == "cumulative"
    r = df.loc["2000小时"]
    assert (r["kind"], r["role"], r["period"]) == ("change", "absolute_change", "last 3 years")
    r = df.loc["5个百分点"]
    assert (r["kind"], r["period"], r["compare_year"]) == ("change", "2024 vs 2023", 2023)
    assert (df.loc["1993年5月", "detail"], df.loc["2024-05-01", "detail"]) == ("1993-05", "2024-05-01")
    assert "10年" not in set(df["raw"]) and "3年" not in set(df["raw"])  # period words, not figures
    assert not df["raw"].isin(["1", "2", "3", "4", "5", "6", "7", "8"]).any()  # list markers


def test_offsets_survive_markdown():
    for name in ("hedges.md", "numerals.md", "kinds.md"):
        raw_file = (TEXTS / name).read_text(encoding="utf-8")
        text, df = _rows(name)
        assert len(text) == len(raw_file)
        for r in df.itertuples(index=False):
            # Same offsets in the file: the raw file shows the figure there (full-width in numerals.md).
            assert text[r.start:r.end] == r.raw
            assert len(raw_file[r.start:r.end]) == len(r.raw)


def test_change_verb_then_level_is_a_rate():
    df = extract_claims("持证率提升至近70%，比上年提高5个百分点，新增党员120名。").set_index("raw")
    assert df.loc["近70%", "kind"] == "rate"
    assert df.loc["5个百分点", "kind"] == "change"


def test_empty_text():
    df = extract_claims("")
    assert len(df) == 0 and "claim_id" in df.columns


def test_per_mille_and_fractions():
    df = extract_claims("发案率为千分之五，另一街道为3.2‰，三分之二的社区达标。").set_index("raw")
    assert (df.loc["千分之五", "value"], df.loc["千分之五", "unit"], df.loc["千分之五", "kind"]) == (5, "‰", "rate")
    r = df.loc["3.2‰"]
    assert (r["unit"], r["hedge"], r["low"], r["high"]) == ("‰", "rounded", pytest.approx(3.15), pytest.approx(3.25))
    assert df.loc["三分之二", "value"] == pytest.approx(200 / 3) and df.loc["三分之二", "detail"] == "2/3"
    assert df.loc["三分之二", "unit"] == "%"


def _one(sentence: str, raw: str):
    df = extract_claims(sentence)
    rows = df[df["raw"] == raw]
    assert len(rows) == 1, df[["raw", "kind"]].values.tolist()
    return rows.iloc[0]


def test_growth_by_a_multiple_against_a_multiple_of_the_base():
    r = _one("服务人次较上年增长1.5倍。", "1.5倍")
    assert (r["value"], r["unit"], r["role"], r["low"], r["high"]) == (150, "%", "relative_change",
                                                                       pytest.approx(145), pytest.approx(155))
    r = _one("服务人次是原来的1.5倍。", "1.5倍")
    assert (r["value"], r["unit"], r["role"], r["low"], r["high"]) == (1.5, "倍", "multiple",
                                                                       pytest.approx(1.45), pytest.approx(1.55))
    assert _one("社区基金规模翻了一番。", "翻了一番")["value"] == 2
    assert _one("志愿者人数翻两番。", "翻两番")["value"] == 4
    assert _one("投诉量减少了1倍。", "1倍")["kind"] == "unparsed"  # a decline by a multiple has no one reading


def test_vague_counts_are_intervals_never_a_single_number():
    r = _one("召开议事会数十场。", "数十场")
    assert (r["low"], r["high"], bool(r["high_inclusive"])) == (20, 100, False)
    r = _one("解决问题七八个。", "七八个")
    assert (r["value"], r["low"], r["high"]) == (7, 7, 8)
    r = _one("引入社会组织三五家。", "三五家")
    assert (r["low"], r["high"]) == (3, 5)
    assert _one("发现隐患七九个。", "七九个")["kind"] == "unparsed"   # not adjacent: never read as 79
    assert _one("发现隐患十来个。", "十来个")["kind"] == "unparsed"


@pytest.mark.parametrize("sentence, raw, low, high, lo_in, hi_in", [
    ("党员占比超过七成。", "超过七成", 70, INF, False, False),
    ("持证社工约占四成。", "约占四成", 35, 45, True, False),
    ("覆盖率仅为五成多。", "五成多", 50, 60, True, False),
    ("满意率为七成五。", "七成五", 74.5, 75.5, True, False),
    ("近半数居民参与。", "近半数", 45, 50, True, False),
    ("半数以上楼栋制定公约。", "半数以上", 50, INF, False, False),
    ("过半居民参与评选。", "过半", 50, INF, False, False),
    ("发案率控制在千分之三以内。", "千分之三以内", 0, 3, True, True),
    # Farey midpoints among fractions with denominator ≤ 5: 3/4 sits between 2/3 and 4/5.
    ("四分之三的居民。", "四分之三", 100 * (2 / 3 + 3 / 4) / 2, 100 * (3 / 4 + 4 / 5) / 2, True, False),
    ("十分之一的家庭。", "十分之一", 5, 100 * (1 / 10 + 1 / 9) / 2, True, False),  # 十分 the adverb is not read here
    ("发生率为万分之三。", "万分之三", 0.025, 0.035, True, False),  # a large denominator: the numerator to the unit
])
def test_shares_in_words(sentence, raw, low, high, lo_in, hi_in):
    r = _one(sentence, raw)
    assert r["unit"] in ("%", "‰") and r["kind"] == "rate"
    assert (r["low"], r["high"]) == (pytest.approx(low), pytest.approx(high))
    assert (bool(r["low_inclusive"]), bool(r["high_inclusive"])) == (lo_in, hi_in)


def test_a_decline_by_a_share_in_words():
    r = _one("受理诉求同比减少近四成。", "近四成")
    assert (r["kind"], r["value"], r["low"], r["high"]) == ("change", -40, -40, -35)


@pytest.mark.parametrize("sentence", [
    "依据区委办发〔2023〕15号文件。", "咨询电话0571-8601xxxx。", "联系人138xxxxxxxx。", "拨打12345市民服务热线。",
    "通过12345热线反映。", "1.基础数据", "(1)网格治理。", "每千名老人拥有床位。", "建设15分钟便民生活圈。",
    "坚持一核三治。", "落实十四五规划。", "八类严重暴力案件零发生。", "上世纪九十年代建成。", "上午9:30开会。",
    "1—10月份累计。",
])
def test_non_figures(sentence):
    df = extract_claims(sentence)
    assert not df["kind"].isin(FIGURE_KINDS).any(), df[["raw", "kind"]].values.tolist()


def test_per_capita_denominator_is_the_unit():
    r = _one("社区工作者配备不低于每万人18人。", "18人")
    assert (r["unit"], r["kind"], r["hedge"]) == ("人/万人", "rate", "at_least")
    r = _one("每千名老年人拥有养老床位35张。", "35张")
    assert (r["unit"], r["detail"]) == ("张/千名", "每千名")


def test_units_that_change_meaning():
    assert _one("走访困难家庭1,260户次。", "1,260户次")["unit"] == "户次"
    r = _one("60周岁及以上老年人。", "60周岁及以上")
    assert (r["kind"], r["hedge"], r["low"]) == ("age", "at_least", 60)
    assert _one("满意度测评得分93.6分。", "93.6分")["kind"] == "score"
    assert _one("提高10个百分点。", "10个百分点")["unit"] == "百分点"
    r = _one("社会资金与财政资金的比例为1:3。", "1:3")
    assert (r["kind"], r["value"]) == ("ratio", pytest.approx(1 / 3))


def test_ranges_are_one_figure():
    for sentence, raw, low, high in [("注册率20%～30%。", "20%~30%", 20, 30), ("奖补20万元至50万元。", "20万元至50万元",
                                      200000, 500000), ("每组5—8人。", "5—8人", 5, 8)]:
        df = extract_claims(normalise_submission(sentence))
        assert df["kind"].isin(FIGURE_KINDS).sum() == 1
        r = df[df["raw"] == raw].iloc[0]
        assert (r["low"], r["high"], r["hedge"]) == (low, high, "range")


def test_more_after_the_unit():
    r = _one("工作了3个多月。", "3个多月")
    assert (r["unit"], r["kind"], r["low"], r["high"]) == ("个月", "duration", 3, 4)
    r = _one("基金是去年的2倍多。", "2倍多")
    assert (r["value"], r["low"], r["high"], r["role"]) == (2, 2, 3, "multiple")
    assert _one("服务30多人。", "30多人")["high"] == 40
    r = _one("占常住人口的比例约为两成。", "约为两成")
    assert (r["value"], r["low"], r["high"]) == (20, 15, 25)


def test_hedge_before_the_noun_of_a_share():
    for sentence in ("60岁以上老人约占常住人口的14%。", "60岁以上老人约占常住人口14%。"):
        r = _one(sentence, "14%")
        assert (r["hedge"], r["hedge_word"], r["low"], r["high"]) == ("about", "约占", 13.5, 14.5)


def test_one_x_one_y_names_are_not_counts_but_one_of_a_classifier_is():
    df = extract_claims("实行一户一档管理，建成一个一站式服务中心。")
    assert df.loc[df["kind"].isin(FIGURE_KINDS), "raw"].tolist() == ["一个"]


def test_ratios_before_and_after_a_change():
    df = extract_claims("车位配比由原来的1:0.4提升到1:0.7。").set_index("raw")
    assert (df.loc["1:0.4", "role"], df.loc["1:0.7", "role"]) == ("from", "to")
    # The whole term is exact, the decimal one rounded: 1/0.45 … 1/0.35.
    assert (df.loc["1:0.4", "low"], df.loc["1:0.4", "high"]) == (pytest.approx(1 / 0.45), pytest.approx(1 / 0.35))
    assert _one("按1：2结对。", "1：2")["kind"] == "unparsed"       # a colon with no 比 in the clause
    assert len(extract_claims("上午9:30开会。")) == 0                # a clock time
