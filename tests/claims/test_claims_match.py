"""Matching figures to indicators: keyword rules on small texts, the shipped rules against the conventions, pins."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.claims import extract_claims, load_overrides, load_rules, match_claims
from evaluation.claims.match import RULE_COLUMNS, parse_requires, segments
from evaluation.indicators import HEADLINE_KEYS


def _ind(text: str, **kw) -> dict[str, str]:
    m = match_claims(extract_claims(text), **kw)
    return dict(zip(m["raw"], m["indicator"]))


def test_organisation_sentence():
    got = _ind("推动27个机关企事业单位与社区党组织结对共建，近4000名党员回到社区，吸纳247名党员担任社区兼职委员，"
               "今年召开党建联席会议230余场，商讨解决社区治理难题100多个。")
    assert got == {
        "27个": "organisation.paired_units.count",
        "近4000名": "organisation.returned_party_members.count",
        "247名": "organisation.part_time_committee_members.count",
        "230余场": "organisation.joint_meetings.count",
        "100多个": "organisation.issues_resolved.count",
    }


def test_enumeration_comma_separates_neighbouring_figures():
    # One clause, two figures: the 、 boundary keeps the organisations apart from the volunteer teams.
    got = _ind("引领培育450余家社区社会组织、560余支志愿者队伍参与社区治理，成立11个社区基金撬动慈善资金近百万元。")
    assert got == {
        "450余家": "participation.csos_active.count",
        "560余支": "participation.volunteer_teams_active.count",
        "11个": "participation.community_funds.count",
        "近百万元": "participation.fund_inflow_cny.total",
    }


def test_anchored_keywords_tell_station_levels_from_communities():
    got = _ind("构建1个区级、3个街道级、43个社区级以及N个小区党群服务站的“1+3+43+N”党群阵地体系。")
    assert got["1个"] == "service_circle.stations.district.count"
    assert got["3个"] == "service_circle.stations.street.count"
    assert got["43个"] == "service_circle.stations.community.count"
    assert got["1+3+43+N"] == ""  # a structural formula is never matched as a count


def test_two_ends_of_a_change():
    m = match_claims(extract_claims("将原来的10个社区优化为43个社区。大亚湾开发区常住人口从10年前不到15万人增长到了50多万人。"))
    by_raw = m.set_index("raw")
    assert by_raw.loc["10个", "indicator"] == "data.communities.legacy"
    assert by_raw.loc["43个", "indicator"] == "data.communities.current"
    # The topic 常住人口 is written once, before the first end; the second end takes it through the link.
    assert by_raw.loc["不到15万人", "indicator"] == by_raw.loc["50多万人", "indicator"] == "data.population.resident"
    assert by_raw.loc["50多万人", "match_rule"] == "population (linked)"


def test_rates_grid_and_petitions():
    got = _ind("51.6%的社区工作者获得岗位等级晋升，社会工作职业资格持证率提升至近70%。统筹协调18个部门下沉街道社区，"
               "2000余名部门专业网格员、街道党员干部入网入格，今年办结网格事件16295件，涉地产业务信访事件同比下降34.48%。"
               "今年开展活动1119场，服务党员群众约7.3万人次。")
    assert got == {
        "51.6%": "organisation.workers_promoted.rate",
        "近70%": "organisation.workers_certified.rate",
        "18个": "organisation.departments_sent_down.count",
        "2000余名": "grid.staff.count",
        "16295件": "grid.events_closed.count",
        "34.48%": "petitions.real_estate.yoy_change",
        "1119场": "participation.activities.count",
        "约7.3万人次": "participation.attendance.person_times",
    }


def test_unrelated_figures_stay_unmatched():
    got = _ind("1993年5月经国务院批准成立，形成“15分钟党群服务圈”，小区绿化面积300平方米，每年培育1批书记项目。")
    assert set(got.values()) == {""}


def test_segments_stop_at_clause_marks_and_figures():
    c = extract_claims("今年召开党建联席会议230余场，商讨解决社区治理难题100多个。")
    seg = segments(c).set_index("claim_id")
    assert seg.loc["F001", "before"] == "今年召开党建联席会议" and seg.loc["F001", "after"] == ""
    assert seg.loc["F002", "before"] == "商讨解决社区治理难题"


def test_priority_decides_and_ties_go_to_the_earlier_rule():
    base = dict(kinds="count", units="", role="", keywords_all="", keywords_none="", scale="", requires="",
                note_zh="")
    rules = pd.DataFrame([
        {**base, "rule_id": "low", "indicator": "a.low.count", "keywords_any": "活动", "priority": "1"},
        {**base, "rule_id": "high", "indicator": "a.high.count", "keywords_any": "活动", "priority": "5"},
        {**base, "rule_id": "tie", "indicator": "a.tie.count", "keywords_any": "活动", "priority": "5"},
    ])
    m = match_claims(extract_claims("开展活动1119场。"), rules)
    assert m.loc[0, ["indicator", "match_rule"]].tolist() == ["a.high.count", "high"]


def test_shipped_rules_name_known_keys():
    rules = load_rules()
    assert list(rules.columns[:len(RULE_COLUMNS)]) == list(RULE_COLUMNS)
    context = {"data.population.resident", "data.communities.current", "data.communities.legacy"}
    assert set(rules["indicator"]) <= set(HEADLINE_KEYS) | context
    for spec in rules["requires"]:
        assert parse_requires(spec), "every rule names the data it needs"


def test_parse_requires():
    assert parse_requires("pairings:unit_name,start_date;community_lineage") == {
        "pairings": ["unit_name", "start_date"], "community_lineage": []}


def test_bad_rules_are_refused():
    rules = load_rules()
    with pytest.raises(ValueError, match="dotted"):
        match_claims(extract_claims("开展活动3场。"), rules.assign(indicator="Not A Key"))
    with pytest.raises(ValueError, match="duplicate"):
        match_claims(extract_claims("开展活动3场。"), pd.concat([rules, rules.iloc[:1]]))


def test_pins_and_ignores(tmp_path):
    text = "2000余名部门专业人员入格，打造了一批党建特色品牌，开展活动1119场。"
    plain = match_claims(extract_claims(text)).set_index("raw")
    assert plain.loc["2000余名", "indicator"] == "grid.staff.count"  # 入格
    (tmp_path / "claims.yaml").write_text(
        "pins:\n  - {raw: 2000余名, indicator: organisation.community_workers.count}\n"
        "  - {claim: F003, contains: 活动, indicator: participation.activities.count}\n"
        "ignore:\n  - 一批\n", encoding="utf-8")
    ov = load_overrides(tmp_path / "claims.yaml")
    assert ov["ignore"] == [{"raw": "一批"}]
    m = match_claims(extract_claims(text), overrides=ov).set_index("raw")
    assert m.loc["2000余名", ["indicator", "match_rule"]].tolist() == ["organisation.community_workers.count", "pin"]
    assert m.loc["1119场", "match_rule"] == "pin"
    assert m.loc["1119场", "scale"] == "" and "activities" in m.loc["1119场", "requires"]
    assert bool(m.loc["一批", "ignored"]) and m.loc["一批", "match_rule"] == "ignore"


def test_overrides_that_select_nothing_or_are_malformed_fail(tmp_path):
    c = extract_claims("开展活动1119场。")
    with pytest.raises(ValueError, match="selects no figure"):
        match_claims(c, overrides={"pins": [{"raw": "1319场", "indicator": "participation.activities.count"}]})
    with pytest.raises(ValueError, match="selects no figure"):
        match_claims(c, overrides={"ignore": ["F009"]})
    with pytest.raises(ValueError, match="indicator"):
        match_claims(c, overrides={"pins": [{"raw": "1119场"}]})
    (tmp_path / "claims.yaml").write_text("pin: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown section"):
        load_overrides(tmp_path / "claims.yaml")
    (tmp_path / "claims.yaml").write_text("ignore: [F001]\nignore: [F002]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: the key 'ignore' is given twice"):
        load_overrides(tmp_path / "claims.yaml")
