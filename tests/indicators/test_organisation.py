"""Organisation indicators on the hand-made district of conftest.py (every number counted by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators._common import RESULT_COLUMNS
from evaluation.indicators.intervals import wilson_interval
from evaluation.indicators.organisation import community_workers, committee_members, grid_staff, joint_meetings, \
    organisation_indicators, paired_units, returned_party_members


def _val(df, key, cid="district", group=""):
    row = df[(df["indicator"] == key) & (df["community_id"] == cid) & (df["group"] == group)]
    assert len(row) == 1, (key, cid, group)
    return row.iloc[0]


def test_paired_units_distinct_for_district(tables, population):
    out = paired_units(tables["pairings"], 2024, population)
    assert list(out.columns) == list(RESULT_COLUMNS)
    # unit A pairs with C01 and C02 (counted once for the district); B ended 2024-06-30; C starts 2025
    assert _val(out, "organisation.paired_units.count")["value"] == 2
    assert [_val(out, "organisation.paired_units.count", c)["value"] for c in ("C01", "C02", "C03")] == [1, 1, 1]
    r = _val(out, "organisation.paired_units.per_1k", "C02")
    assert r["value"] == pytest.approx(1 / 5000 * 1000) and r["denominator"] == 5000
    assert "resident_pop 2024" in r["denominator_label"]
    assert _val(out, "organisation.paired_units.per_1k")["value"] == pytest.approx(2 / 35000 * 1000)


def test_returned_party_members(tables, population):
    out = returned_party_members(tables["volunteers"], 2024, population)
    assert _val(out, "organisation.returned_party_members.count")["value"] == 3
    assert _val(out, "organisation.returned_party_members.count", "C01")["value"] == 2
    assert _val(out, "organisation.returned_party_members.count", "C03")["value"] == 0


def test_committee_members_active_at_year_end(tables, population):
    out = committee_members(tables["committee_members"], 2024, population, min_per_community=2)
    assert _val(out, "organisation.part_time_committee_members.count")["value"] == 3
    assert _val(out, "organisation.part_time_committee_members.count", "C02")["value"] == 0  # left on 12-31
    assert _val(out, "organisation.part_time_committee_members.per_community")["value"] == pytest.approx(1.0)
    share = _val(out, "organisation.part_time_committee_members.share_communities_ge2")
    assert share["value"] == pytest.approx(1 / 3) and share["denominator"] == 3


def test_joint_meetings_with_poisson_interval(tables, population):
    out = joint_meetings(tables["joint_meetings"], 2024, population)
    r = _val(out, "organisation.joint_meetings.count")
    assert r["value"] == 3 and r["ci_low"] < 3 < r["ci_high"]
    assert _val(out, "organisation.issues_resolved.count")["value"] == 3
    s = _val(out, "organisation.issues_resolved.share")
    assert s["value"] == pytest.approx(3 / 8) and s["denominator"] == 8


def test_worker_rates_state_denominator_and_wilson(tables, population):
    out = community_workers(tables["community_workers"], 2024, population, interval="iid")
    assert _val(out, "organisation.community_workers.count")["value"] == 5
    p = _val(out, "organisation.workers_promoted.rate")
    assert (p["n"], p["denominator"]) == (3, 5)
    w = wilson_interval(3, 5).iloc[0]
    assert (p["ci_low"], p["ci_high"]) == pytest.approx((w["ci_low"], w["ci_high"]))
    assert "active at the end of 2024" in p["denominator_label"]
    c = _val(out, "organisation.workers_certified.rate")
    assert (c["n"], c["denominator"]) == (3, 5)
    assert _val(out, "organisation.workers_certified.rate", "C02")["value"] == pytest.approx(0.5)
    # a one-year window only counts promotions in 2024
    one = community_workers(tables["community_workers"], 2024, promotion_window=1)
    assert _val(one, "organisation.workers_promoted.rate")["n"] == 1


def test_grid_staff_and_departments(tables, population):
    out = grid_staff(tables["grid_staff"], 2024, population)
    assert _val(out, "grid.staff.count")["value"] == 4
    assert _val(out, "organisation.departments_sent_down.count")["value"] == 2


def test_community_subset(tables, population):
    out = organisation_indicators(tables, 2024, communities=["C01"])
    assert set(out["community_id"]) == {"C01", "district"}
    assert _val(out, "organisation.community_workers.count")["value"] == 1
    assert _val(out, "organisation.paired_units.count")["value"] == 1


def test_legacy_register_rows_are_split_by_lineage(tables, population):
    lineage = pd.DataFrame({"from_id": ["L01", "L01"], "to_id": ["C01", "C02"], "effective_date": "2020-01-01",
                            "pop_share": [0.75, 0.25]})
    members = pd.concat([tables["committee_members"], pd.DataFrame(
        {"member_key": ["m9", "m10"], "community_id": ["L01", "L01"], "appointed": ["2018-01-01", "2019-01-01"],
         "left": [np.nan, np.nan]})], ignore_index=True)
    plain = committee_members(members, 2024, population)
    assert _val(plain, "organisation.part_time_committee_members.count", "L01")["value"] == 2
    out = committee_members(members, 2024, population, lineage=lineage)
    assert "L01" not in set(out["community_id"])
    c01 = _val(out, "organisation.part_time_committee_members.count", "C01")
    assert c01["value"] == pytest.approx(2 + 1.5) and "pop_share" in c01["note"]
    assert _val(out, "organisation.part_time_committee_members.count", "C02")["value"] == pytest.approx(0.5)
    assert _val(out, "organisation.part_time_committee_members.count")["value"] == 5
    # per community divides by the communities with a population, not by legacy ids
    assert _val(out, "organisation.part_time_committee_members.per_community")["denominator"] == 3


def test_district_shares_and_meetings_take_communities_as_clusters(tables, population):
    from evaluation.indicators.intervals import cluster_proportion, cluster_ratio

    out = community_workers(tables["community_workers"], 2024, population)
    rows = out[(out["indicator"] == "organisation.workers_promoted.rate") & (out["community_id"] != "district")]
    want = cluster_proportion(rows["n"], rows["denominator"])
    p = _val(out, "organisation.workers_promoted.rate")
    assert (p["se"], p["ci_low"], p["ci_high"]) == pytest.approx((want["se"], want["ci_low"], want["ci_high"]))
    assert "communities as clusters" in p["note"]
    m = joint_meetings(tables["joint_meetings"], 2024, population)
    rates = m[(m["indicator"] == "organisation.joint_meetings.per_1k") & (m["community_id"] != "district")]
    rate = cluster_ratio(rates["n"], rates["denominator"], per=1000)
    r1k = _val(m, "organisation.joint_meetings.per_1k")
    assert (r1k["se"], r1k["ci_low"], r1k["ci_high"]) == pytest.approx((rate["se"], rate["ci_low"], rate["ci_high"]))
    # the count: the ratio estimate of a total over the 35,000 residents; the mean per community: that over 3
    r = _val(m, "organisation.joint_meetings.count")
    assert (r["se"], r["ci_high"]) == pytest.approx((rate["se"] * 35, rate["ci_high"] * 35))
    per_c = _val(m, "organisation.joint_meetings.per_community")
    assert per_c["value"] == pytest.approx(1.0) and per_c["ci_high"] == pytest.approx(rate["ci_high"] * 35 / 3)
    iid = _val(joint_meetings(tables["joint_meetings"], 2024, population, interval="iid"),
               "organisation.joint_meetings.count")
    assert iid["value"] == r["value"] and "Poisson exact" in iid["note"]
