"""Verdicts on small texts and hand-built figure dicts; fragility against R poisson.test and statsmodels' Wilson."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from evaluation.claims import context_figures, extract_claims, match_claims, verdict_claims
from evaluation.claims.verdict import VERDICT_COLUMNS, format_interval, is_sampled

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "claims" / "poisson_rate_ratio.json")
                 .read_text(encoding="utf-8"))
HASH = {t: f"{i:02d}" * 32 for i, t in enumerate(
    ["grid_events", "petitions", "activities", "volunteers", "community_workers", "population", "communities",
     "community_lineage", "organisations", "committee_members", "joint_meetings", "grid_staff"])}


def _verdicts(text: str, figures: dict, hashes: dict | None = None, year: int = 2024, **kw) -> pd.DataFrame:
    m = match_claims(extract_claims(text, report_year=year))
    return verdict_claims(m, figures, HASH if hashes is None else hashes, year, **kw).set_index("raw")


def _yoy(before: int, after: int) -> dict:
    """The petition change as headline_figures gives it, with R's exact interval (poisson.test) minus 1."""
    pair = next(p for p in REF["pairs"] if p["before"] == before and p["after"] == after)
    return {"value": after / before - 1, "ci_low": pair["ci95"][0] - 1, "ci_high": pair["ci95"][1] - 1,
            "n": before + after}


def test_exact_count_supported_and_contradicted():
    v = _verdicts("今年办结网格事件16295件。", {"grid.events_closed.count": {"value": 16295}})
    row = v.loc["16295件"]
    assert row["verdict"] == "supported" and row["computed"] == 16295
    assert row["data_files"] == "grid_events:" + HASH["grid_events"][:12]
    v = _verdicts("今年办结网格事件18295件。", {"grid.events_closed.count": {"value": 16295}})
    row = v.loc["18295件"]
    assert row["verdict"] == "contradicted" and row["reason"] == "outside_interval"
    assert "18295件" in row["explanation_zh"] and "16295" in row["explanation_zh"]  # both values shown (no separators below 10万)
    assert "16,295" in row["explanation_en"] and "[18,295]" in row["explanation_en"]


@pytest.mark.parametrize("computed, verdict", [(3968, "supported"), (3800, "supported"), (4000, "contradicted"),
                                               (3799, "contradicted")])
def test_near_is_half_open(computed, verdict):
    # 近4000 admits [3800, 4000): the lower bound is in, 4000 itself is not.
    v = _verdicts("近4000名党员回到社区。", {"organisation.returned_party_members.count": {"value": computed}})
    assert v.loc["近4000名", "verdict"] == verdict


@pytest.mark.parametrize("computed, verdict", [(230, "supported"), (239, "supported"), (240, "contradicted"),
                                               (229, "contradicted")])
def test_plus_is_half_open(computed, verdict):
    v = _verdicts("今年召开党建联席会议230余场。", {"organisation.joint_meetings.count": {"value": computed}})
    assert v.loc["230余场", "verdict"] == verdict


@pytest.mark.parametrize("k, n, verdict", [(266, 516, "supported"), (0.5155, None, "supported"),
                                           (0.5165, None, "contradicted"), (0.5154, None, "contradicted")])
def test_percent_against_a_proportion(k, n, verdict):
    value = k / n if n else k
    v = _verdicts("51.6%的社区工作者获得岗位等级晋升。", {"organisation.workers_promoted.rate": {"value": value}})
    row = v.loc["51.6%"]
    assert row["verdict"] == verdict
    assert row["computed"] == pytest.approx(100 * value)  # compared on the claim's scale
    assert row["interval"] == "[51.55%, 51.65%)"


def test_wide_wilson_interval_makes_a_rate_fragile():
    # 16/31 rounds to 51.6% too (consistency notes), but a Wilson interval on 31 workers is about ±17 points.
    def fig(k, n):
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        return {"organisation.workers_promoted.rate": {"value": k / n, "n": n, "ci_low": lo, "ci_high": hi}}

    small = _verdicts("51.6%的社区工作者获得岗位等级晋升。", fig(16, 31)).loc["51.6%"]
    assert small["verdict"] == "fragile" and small["reason"] == "wide_ci" and small["n"] == 31
    lo, hi = proportion_confint(16, 31, method="wilson")
    assert (small["ci_low"], small["ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    big = _verdicts("51.6%的社区工作者获得岗位等级晋升。", fig(266, 516)).loc["51.6%"]
    assert big["verdict"] == "supported" and "95%" in big["explanation_zh"]


@pytest.mark.parametrize("before, after, verdict", [(58, 38, "fragile"), (29, 19, "fragile"),
                                                    (87, 57, "supported")])
def test_year_on_year_change_fragility_from_r_intervals(before, after, verdict):
    # R poisson.test: 58→38 has 95% CI for the ratio [0.423, 1.003] — the change may be +0.3%; 87→57 stays
    # below −7%, clear of the ±5% band of negligible change.
    v = _verdicts("今年涉地产业务信访事件同比下降34.48%。", {"petitions.real_estate.yoy_change": _yoy(before, after)})
    row = v.loc["34.48%"]
    assert row["verdict"] == verdict
    assert row["computed"] == pytest.approx(100 * (after / before - 1))
    if verdict == "fragile":
        assert row["reason"] == "ci_includes_negligible_change" and row["ci_high"] > -5


def test_negligible_band_is_a_parameter():
    fig = {"petitions.real_estate.yoy_change": _yoy(87, 57)}
    v = _verdicts("今年涉地产业务信访事件同比下降34.48%。", fig, negligible_change=0.10)
    assert v.loc["34.48%", "verdict"] == "fragile"  # 87→57 reaches −7.5%, inside ±10%


def test_missing_table_is_named():
    v = _verdicts("推动27个机关企事业单位与社区党组织结对共建。", {})
    row = v.loc["27个"]
    assert row["verdict"] == "not_checkable" and row["reason"] == "missing_data"
    assert "pairings" in row["explanation_zh"] and "pairings" in row["explanation_en"]


def test_missing_columns_are_named_when_the_table_is_there():
    v = _verdicts("推动27个机关企事业单位与社区党组织结对共建。", {}, {**HASH, "pairings": "ff" * 32})
    row = v.loc["27个"]
    assert row["verdict"] == "not_checkable"
    assert "unit_name" in row["explanation_en"] and row["data_files"].startswith("pairings:ffffffff")


def test_no_indicator_and_qualitative():
    v = _verdicts("经历三十余年的发展，推动组织、资源、力量的“三融合”，构建“1+3+43+N”党群阵地体系，获评第三届精品案例。", {})
    assert v.loc["三十余年", ["verdict", "reason"]].tolist() == ["not_checkable", "no_indicator"]
    assert v.loc["三", "verdict"] == "qualitative"
    assert v.loc["1+3+43+N", "verdict"] == "qualitative"
    assert v.loc["第三届", "verdict"] == "qualitative"


def test_ignored_figures_are_not_audited():
    m = match_claims(extract_claims("今年办结网格事件18295件。"), overrides={"ignore": ["18295件"]})
    v = verdict_claims(m, {"grid.events_closed.count": {"value": 16295}}, HASH, 2024)
    assert v.loc[0, ["verdict", "reason"]].tolist() == ["qualitative", "ignored"]


def test_each_end_of_a_change_at_its_own_period():
    fig = {"data.population.resident": {"value": 515000, "by_year": {2014: 148000, 2024: 515000}}}
    v = _verdicts("常住人口从10年前不到15万人增长到了50多万人。", fig)
    assert v.loc["不到15万人", ["figure_year", "computed", "verdict"]].tolist() == [2014, 148000, "supported"]
    assert v.loc["50多万人", ["figure_year", "computed", "verdict"]].tolist() == [2024, 515000, "supported"]
    assert "起点" in v.loc["不到15万人", "explanation_zh"]
    fig = {"data.population.resident": {"value": 515000, "by_year": {2014: 152000, 2024: 515000}}}
    v = _verdicts("常住人口从10年前不到15万人增长到了50多万人。", fig)
    assert v.loc["不到15万人", "verdict"] == "contradicted" and v.loc["50多万人", "verdict"] == "supported"


def test_a_period_the_data_do_not_cover_is_not_checkable():
    v = _verdicts("2022年办结网格事件16295件。", {"grid.events_closed.count": {"value": 16295}})
    assert v.loc["16295件", ["verdict", "reason"]].tolist() == ["not_checkable", "period"]


def test_columns_and_types():
    m = match_claims(extract_claims("今年办结网格事件16295件。"))
    v = verdict_claims(m, {"grid.events_closed.count": {"value": 16295}}, HASH, 2024)
    assert list(v.columns) == list(VERDICT_COLUMNS)
    assert str(v["n"].dtype) == "Int64" and v["computed"].dtype == np.float64


def test_interval_and_figure_in_words():
    """Issue 17: the audit table and its Chinese sentences read 50万至60万（不含60万）, not [500,000, 600,000), and a
    year reads 1993, not 1993.000000."""
    from evaluation.claims.verdict import figure_text, interval_text

    assert interval_text(500000, 600000, True, False, "人") == "50万至60万（不含60万）"
    assert interval_text(500000, 600000, True, False, "人", "en") == "500,000 to under 600,000"
    assert interval_text(0, 150000, True, False, "人") == "少于15万"
    assert interval_text(3, np.inf, True, False, "项") == "不少于3" and interval_text(3, np.inf, False, False) == "多于3"
    assert interval_text(0, 5, True, True, "%") == "0%至5%"  # 0% is a bound, not "no bound"
    assert interval_text(-34.485, -34.475, False, True, "%") == "-34.485%至-34.475%（不含-34.485%）"
    assert interval_text(1993, 1993, True, True, "", "en", kind="date") == "1993"
    assert interval_text(np.nan, 1, True, True) == ""
    assert figure_text(1993.0, kind="date") == "1993" and figure_text(515000.0) == "51.5万"
    assert figure_text(-34.48, "%") == "-34.48%" and figure_text(3968.0, lang="en") == "3,968"
    assert figure_text(np.nan) == "—"
    # a recomputed figure is shown to four significant digits, a count whole
    assert figure_text(51.550387, "%", significant=4) == "51.55%" and figure_text(-34.482759, "%", significant=4) == "-34.48%"
    assert figure_text(16295.0, significant=4) == "16295" and figure_text(515004.7, significant=4) == "51.5万"


def test_format_interval():
    assert format_interval(3800, 4000, True, False) == "[3,800, 4,000)"
    assert format_interval(-34.485, -34.475, False, True, "%") == "(-34.485%, -34.475%]"
    assert format_interval(100, np.inf, False, False) == "(100, ∞)"
    assert format_interval(16295, 16295, True, True) == "[16,295]"


def test_context_figures_on_hand_made_tables():
    communities = pd.DataFrame({
        "community_id": ["L01", "L02", "C01", "C02", "C03", "C04"],
        "valid_from": ["2014-01-01", "2014-01-01", "2020-01-01", "2020-01-01", "2020-01-01", "2025-01-01"],
        "valid_to": ["2019-12-31", "2019-12-31", None, None, "2023-06-30", None],
    })
    lineage = pd.DataFrame({"from_id": ["L01", "L02"], "to_id": ["C01", "C02"],
                            "effective_date": ["2020-01-01", "2020-01-01"], "pop_share": [1.0, 1.0]})
    population = pd.DataFrame({"community_id": ["L01", "L02", "C01", "C02"], "year": [2014, 2014, 2024, 2024],
                               "resident_pop": [60000, 80000, 200000, 310000]})
    fig = context_figures({"communities": communities, "community_lineage": lineage, "population": population},
                          2024)
    assert fig["data.communities.legacy"]["value"] == 2       # valid on 2019-12-31
    assert fig["data.communities.current"]["value"] == 2      # C03 closed in 2023, C04 opens in 2025
    assert fig["data.population.resident"]["value"] == 510000
    assert fig["data.population.resident"]["by_year"] == {2014: 140000.0, 2024: 510000.0}
    assert "data.communities.legacy" not in context_figures({"communities": communities}, 2024)


# --- the confidence interval of the recomputed figure (issue 16) ---------------------------------------------------
def _certified(value: float, lo: float, hi: float, n: int = 120, sampled: bool | None = True) -> dict:
    # The rate stands in for an estimate from a sample (``sampled``); from the register itself it is exact.
    fig = {"value": value, "ci_low": lo, "ci_high": hi, "n": n}
    if sampled is not None:
        fig["sampled"] = sampled
    return {"organisation.workers_certified.rate": fig}


def test_claim_off_the_estimate_but_inside_the_ci_is_within_sampling_error():
    # The example: 60% claimed, 55.5% estimated with 95% CI [49%, 62%].
    row = _verdicts("社区工作者持证率为60%。", _certified(0.555, 0.49, 0.62)).loc["60%"]
    assert (row["verdict"], row["reason"]) == ("within_sampling_error", "inside_ci")
    assert row["computed"] == pytest.approx(55.5)
    en, zh = row["explanation_en"], row["explanation_zh"]
    assert "55.5%" in en and "[49%, 62%]" in en and "[59.5%, 60.5%)" in en
    # Chinese in words, not interval notation (issue 17)
    assert "55.5%" in zh and "（49%至62%，n = 120）" in zh and "59.5%至60.5%（不含60.5%）" in zh and "[" not in zh
    assert "抽样误差" in row["explanation_zh"] and "规则" in row["explanation_zh"]
    assert "sampling error" in row["explanation_en"] and "Rule" in row["explanation_en"]


@pytest.mark.parametrize("value, lo, hi, verdict, reason", [
    # 60% admits [59.5, 60.5): the closed low end meets a CI that ends at 59.5 …
    (0.50, 0.40, 0.595, "within_sampling_error", "inside_ci"),
    (0.50, 0.40, 0.5949, "contradicted", "outside_ci"),
    # … the open high end does not meet a CI that starts at 60.5.
    (0.70, 0.605, 0.80, "contradicted", "outside_ci"),
    (0.70, 0.6049, 0.80, "within_sampling_error", "inside_ci"),
    # Inside the claim's interval the earlier rules hold.
    (0.60, 0.58, 0.62, "supported", "inside_interval"),
    (0.60, 0.40, 0.80, "fragile", "wide_ci"),
])
def test_ci_boundaries_for_a_rounded_rate(value, lo, hi, verdict, reason):
    row = _verdicts("社区工作者持证率为60%。", _certified(value, lo, hi)).loc["60%"]
    assert (row["verdict"], row["reason"]) == (verdict, reason)


@pytest.mark.parametrize("hi, verdict", [(0.70, "contradicted"), (0.7001, "within_sampling_error")])
def test_ci_boundary_against_an_open_claim(hi, verdict):
    # 超过七成 admits (70, ∞): a CI closing at exactly 70% does not meet it.
    row = _verdicts("持证社区工作者超过七成。", _certified(0.66, 0.60, hi)).loc["超过七成"]
    assert row["verdict"] == verdict


def test_register_counts_keep_the_strict_rule():
    # An exact count has no CI: 4000 is outside 近4000 = [3800, 4000), however close.
    row = _verdicts("近4000名党员回到社区。", {"organisation.returned_party_members.count": {"value": 4000}}
                    ).loc["近4000名"]
    assert (row["verdict"], row["reason"]) == ("contradicted", "outside_interval")
    assert "没有抽样误差" in row["explanation_zh"] and "strict rule" in row["explanation_en"]
    assert "3800至4000（不含4000）" in row["explanation_zh"] and "[3,800, 4,000)" in row["explanation_en"]


def test_a_change_inside_the_poisson_interval_is_within_sampling_error_only_for_an_estimate():
    # 58 → 38 is −34.5%, exact 95% interval ≈ [−57.7%, +0.3%]: a claimed fall of 50% meets it, one of 60% does not.
    fig = {"petitions.real_estate.yoy_change": {**_yoy(58, 38), "sampled": True}}
    assert _verdicts("今年涉地产信访同比下降50%。", fig).loc["50%", "verdict"] == "within_sampling_error"
    assert _verdicts("今年涉地产信访同比下降60%。", fig).loc["60%", "verdict"] == "contradicted"
    # The petition register is complete: the fall was exactly 34.48%, so a claimed 50% is contradicted.
    row = _verdicts("今年涉地产信访同比下降50%。", {"petitions.real_estate.yoy_change": _yoy(58, 38)}).loc["50%"]
    assert (row["verdict"], row["reason"]) == ("contradicted", "outside_interval")


@pytest.mark.parametrize("sampled", [None, False])
def test_register_rates_keep_the_strict_rule_despite_their_interval(sampled):
    # 55.5% of the whole worker register is exact: a claimed 60% is false, whatever the Wilson interval says.
    row = _verdicts("社区工作者持证率为60%。", _certified(0.555, 0.49, 0.62, sampled=sampled)).loc["60%"]
    assert (row["verdict"], row["reason"]) == ("contradicted", "outside_interval")


@pytest.mark.parametrize("key, sampled", [("survey.satisfaction_index.mean", True), ("impact.on_time_rate.att", True),
                                          ("grid.on_time_rate.share", False),
                                          ("organisation.workers_promoted.rate", False)])
def test_which_sections_are_estimates(key, sampled):
    assert is_sampled(key, {}) is sampled
    assert is_sampled(key, {"sampled": not sampled}) is (not sampled)


def test_unparsed_figures_are_never_judged():
    m = match_claims(extract_claims("今年办结网格事件十来件。"),
                     overrides={"pins": [{"raw": "十来件", "indicator": "grid.events_closed.count"}]})
    v = verdict_claims(m, {"grid.events_closed.count": {"value": 10}}, HASH, 2024)
    row = v[v["raw"] == "十来件"].iloc[0]
    assert (row["verdict"], row["reason"]) == ("not_checkable", "unparsed")


def test_a_figure_is_never_shown_on_the_other_side_of_the_claims_bound():
    """51.6% admits [51.55%, 51.65%); a recomputed 51.5496% is outside it, and at four significant digits it would
    read 51.55%, inside: the sentences and the tables show it with the digits the verdict needs (51.5496%)."""
    from evaluation.claims.hedges import Interval
    from evaluation.claims.verdict import ci_digits, figure_digits
    from evaluation.report.sections.claims import readable

    row = _verdicts("社区工作者持证率为51.6%。", _certified(0.515496, 0.5, 0.53, sampled=False)).loc["51.6%"]
    assert (row["verdict"], row["reason"]) == ("contradicted", "outside_interval")
    assert "51.5496%" in row["explanation_en"] and "51.5496%" in row["explanation_zh"]
    assert "is 51.55%" not in row["explanation_en"] and "复算值为51.55%" not in row["explanation_zh"]
    shown = readable(row.to_frame().T.reset_index(), "zh")
    assert shown["computed"].tolist() == ["51.5496%"]
    # a figure well inside or outside keeps four digits
    iv = Interval(51.55, 51.65, True, False)
    assert figure_digits(51.5504, iv) == 4 and figure_digits(52.3456, iv) == 4 and figure_digits(51.5496, iv) == 6
    # a CI whose upper limit is just short of the claim's closed lower bound: 59.4996% must not read 59.5%
    iv60 = Interval(59.5, 60.5, True, False)
    assert ci_digits(40.0, 59.4996, iv60) == 6 and ci_digits(40.0, 59.49, iv60) == 4
    row = _verdicts("社区工作者持证率为60%。", _certified(0.50, 0.40, 0.594996)).loc["60%"]
    assert (row["verdict"], row["reason"]) == ("contradicted", "outside_ci")
    assert "59.4996%" in row["explanation_en"] and "59.4996%" in row["explanation_zh"]
