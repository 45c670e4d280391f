"""Participation indicators: hand counts on the conftest district, the cluster bootstrap against the linearised
(delta-method) SE of a ratio of cluster totals, and attendance by type against the NB fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.counts import fit_negative_binomial, predict_group_means
from evaluation.indicators.participation import activity_person_times, attendance_by_type, \
    cluster_bootstrap_ratio, co_organised_share, organisations_active, participation_indicators, service_hours, \
    volunteer_rates


def _val(df, key, cid="district", group=""):
    row = df[(df["indicator"] == key) & (df["community_id"] == cid) & (df["group"] == group)]
    assert len(row) == 1, (key, cid, group)
    return row.iloc[0]


def test_volunteer_rates(tables, population):
    out = volunteer_rates(tables["volunteers"], tables["service_hours"], population, 2024)
    assert _val(out, "participation.volunteers_registered.count")["value"] == 7
    r = _val(out, "participation.volunteers_registered.per_100", "C03")
    assert r["value"] == pytest.approx(3 / 20000 * 100)
    a = _val(out, "participation.volunteers_active.share")
    assert (a["n"], a["denominator"]) == (3, 7)   # v2's only record is 2023-12-31, outside the 12 months
    assert _val(out, "participation.volunteers_active.share", "C03")["value"] == pytest.approx(1 / 3)
    assert a["ci_low"] < 3 / 7 < a["ci_high"]


def test_service_hours_point_values(tables, population):
    out = service_hours(tables["volunteers"], tables["service_hours"], population, 2024, n_resamples=500)
    assert _val(out, "participation.service_hours.total")["value"] == pytest.approx(11.5)
    assert _val(out, "participation.service_hours.per_capita")["value"] == pytest.approx(11.5 / 35000)
    assert _val(out, "participation.service_hours.per_volunteer")["value"] == pytest.approx(11.5 / 7)
    assert _val(out, "participation.service_hours.per_active_volunteer")["value"] == pytest.approx(11.5 / 3)
    assert _val(out, "participation.service_hours.per_volunteer", "C01")["value"] == pytest.approx(5 / 2)
    d = _val(out, "participation.service_hours.per_volunteer")
    assert d["ci_low"] <= d["value"] <= d["ci_high"] and "seed" in d["note"]


def test_cluster_bootstrap_agrees_with_linearised_se():
    rng = np.random.default_rng(11)
    x = rng.integers(2000, 20000, 40).astype(float)            # residents per community
    y = x * rng.gamma(20, 0.01, 40)                             # hours, ratio about 0.2 with cluster noise
    se, lo, hi = cluster_bootstrap_ratio(y, x, n_resamples=4000, seed=3)
    r = y.sum() / x.sum()
    se_lin = np.sqrt(np.sum((y - r * x) ** 2)) / x.sum()        # delta method for a ratio of sums, clusters iid
    assert se == pytest.approx(se_lin, rel=0.1)
    assert lo < r < hi
    assert (hi - lo) == pytest.approx(2 * 1.96 * se_lin, rel=0.15)
    assert cluster_bootstrap_ratio(y, x, n_resamples=4000, seed=3) == (se, lo, hi)   # seeded
    assert cluster_bootstrap_ratio(y, x, n_resamples=4000, seed=4) != (se, lo, hi)


def test_person_times_never_called_people(tables, population):
    out = activity_person_times(tables["activities"], population, 2024)
    assert _val(out, "participation.activities.count")["value"] == 5
    assert _val(out, "participation.attendance.person_times")["value"] == 220
    r = _val(out, "participation.attendance.person_times_per_100", "C02")
    assert r["value"] == pytest.approx(80 / 5000 * 100)
    assert not out["indicator"].str.contains("people|persons").any()


def test_co_organised_share(tables):
    out = co_organised_share(tables["activities"], 2024)
    d = _val(out, "participation.co_organised.share")
    assert (d["n"], d["denominator"]) == (2, 5)
    assert _val(out, "participation.co_organised.share", "C03")["value"] == 0  # missing organiser and 政府
    assert _val(out, "participation.co_organised.share", "C02")["value"] == 1
    listed = _val(out, "participation.co_organisers_listed.share")
    assert (listed["n"], listed["denominator"]) == (1, 5)    # only a2 names a co-organiser


def test_residents_committee_alone_is_not_co_organised(tables):
    act = tables["activities"].assign(organiser_type="residents_committee", co_organisers=None)
    assert _val(co_organised_share(act, 2024), "participation.co_organised.share")["value"] == 0
    # with only "government" on the government side, every such activity would count
    loose = co_organised_share(act, 2024, government_labels=("government",))
    assert _val(loose, "participation.co_organised.share")["value"] == 1


def test_blank_text_is_empty_whatever_the_white_space(tables):
    # a cell of full-width spaces (U+3000) or tabs is as empty as a missing one: not a co-organiser, not an organiser
    # outside the government side (the engine's trim strips what Python's str.isspace knows)
    base = tables["activities"].assign(organiser_type="government", co_organisers=None)
    blank = base.assign(organiser_type="\u3000", co_organisers=" \t\u3000 ")
    for act in (base, blank):
        out = co_organised_share(act, 2024)
        assert _val(out, "participation.co_organised.share")["value"] == 0
        assert _val(out, "participation.co_organisers_listed.share")["value"] == 0
    named = base.assign(organiser_type=" \u3000NGO ")
    assert _val(co_organised_share(named, 2024), "participation.co_organised.share")["value"] == 1
    spaced = base.assign(organiser_type="\u3000Government ")  # the label matches once trimmed and lower-cased
    assert _val(co_organised_share(spaced, 2024), "participation.co_organised.share")["value"] == 0


def test_export_without_the_optional_organiser_columns(tables):
    act = tables["activities"].drop(columns=["organiser_type", "co_organisers"])
    out = co_organised_share(act, 2024)
    assert _val(out, "participation.co_organised.share")["value"] == 0
    assert _val(out, "participation.co_organised.share")["denominator"] == 5
    with pytest.raises(KeyError, match="date"):
        co_organised_share(tables["activities"].drop(columns=["date"]), 2024)


def test_organisations_funds_and_leverage(tables, population):
    out = organisations_active(tables["organisations"], population, 2024)
    assert _val(out, "participation.csos_active.count")["value"] == 2
    assert _val(out, "participation.csos_active.per_10k", "C02")["value"] == pytest.approx(1 / 5000 * 1e4)
    assert _val(out, "participation.volunteer_teams_active.count")["value"] == 1
    assert _val(out, "participation.community_funds.count")["value"] == 2
    assert _val(out, "participation.fund_inflow_cny.total")["value"] == 80000
    assert _val(out, "participation.fund_leverage.ratio")["value"] == pytest.approx(4.0)


def test_attendance_by_type_is_the_nb_fit(ref_dir):
    """Communities as clusters by default (sandwich::vcovCL, t(G - 1): tests/indicators/test_counts.py checks the
    fit against R); the model-based intervals with interval="iid"."""
    act = pd.read_csv(ref_dir / "nb_activities.csv")
    for interval, cluster in (("cluster", "community_id"), ("iid", None)):
        out = attendance_by_type(act, report_year=None, interval=interval)
        means = predict_group_means(fit_negative_binomial(act, "attendance", ["activity_type"], cluster=cluster),
                                    "activity_type")
        got = out.set_index("group").loc[means["level"]]
        assert got["value"].to_numpy() == pytest.approx(means["mean"].to_numpy())
        assert got["ci_high"].to_numpy() == pytest.approx(means["ci_high"].to_numpy())
        assert got["se"].to_numpy() == pytest.approx(means["log_se"].to_numpy())
        assert got["n"].sum() == len(act)
        assert out["indicator"].eq("participation.attendance.mean_per_activity").all()
        assert out["note"].str.contains("CI with 12 communities as clusters", regex=False).all() == (cluster is not None)
        if cluster is not None:  # each type's own degrees of freedom: youth was held in 11 of the 12
            youth = out.set_index("group").loc["youth", "note"]
            assert "t(10) as the type was held in 11 of them" in youth


def test_attendance_of_a_type_seen_in_one_community_gets_no_cluster_interval(ref_dir):
    """Its scores sum to zero inside that community, so the sandwich would give it a variance of 0: an interval
    of zero width, the opposite of what one community can tell. Say less: no interval, and the note says why."""
    act = pd.read_csv(ref_dir / "nb_activities.csv")
    act.loc[act["activity_type"] == "youth", "community_id"] = "C01"
    out = attendance_by_type(act, report_year=None).set_index("group")
    assert np.isnan(out.loc["youth", ["se", "ci_low", "ci_high"]].astype(float)).all()
    assert "held in one community only" in out.loc["youth", "note"] and np.isfinite(out.loc["youth", "value"])
    assert "CI with 12 communities as clusters" in out.loc["youth", "note"]  # the report still names the method
    others = out.drop(index="youth")
    assert np.isfinite(others[["se", "ci_low", "ci_high"]].to_numpy(float)).all()
    # the reference level too: every contrast rests on it
    fit = fit_negative_binomial(act, "attendance", ["activity_type"], cluster="community_id",
                                reference={"activity_type": "youth"})
    assert fit.coefficients["se"].isna().all()
    # a single community's activities: no second cluster at all, so the model-based interval, and its note
    one = attendance_by_type(act[act["community_id"] == "C01"], report_year=None)
    assert one["note"].str.contains("activities taken as independent").all() and one["ci_low"].notna().all()


def test_participation_indicators_stacks_everything(tables):
    out = participation_indicators(tables, 2024, n_resamples=200)
    assert {"participation.volunteers_active.share", "participation.service_hours.per_capita",
            "participation.co_organised.share", "participation.attendance.mean_per_activity",
            "participation.csos_active.count"} <= set(out["indicator"])


def test_service_hours_carry_legacy_volunteers(tables, population):
    # v9 registered in legacy L01 (split 0.6 / 0.4 into C01 / C02) and served 10 h in 2024
    vols = pd.concat([tables["volunteers"], pd.DataFrame({"person_key": ["v9"], "community_id": ["L01"],
                                                          "registered": ["2018-01-01"], "returned_party_member": [0]})],
                     ignore_index=True)
    hours = pd.concat([tables["service_hours"], pd.DataFrame({"person_key": ["v9"], "date": ["2024-06-01"],
                                                              "hours": [10.0]})], ignore_index=True)
    lineage = pd.DataFrame({"from_id": ["L01", "L01"], "to_id": ["C01", "C02"], "effective_date": ["2020-01-01"] * 2,
                            "pop_share": [0.6, 0.4]})
    out = service_hours(vols, hours, population, 2024, n_resamples=300, lineage=lineage)
    assert _val(out, "participation.service_hours.total")["value"] == pytest.approx(21.5)
    assert _val(out, "participation.service_hours.per_capita")["value"] == pytest.approx(21.5 / 35000)
    assert _val(out, "participation.service_hours.per_volunteer")["value"] == pytest.approx(21.5 / 8)
    assert _val(out, "participation.service_hours.per_active_volunteer")["value"] == pytest.approx(21.5 / 4)
    c01 = _val(out, "participation.service_hours.per_volunteer", "C01")
    assert c01["value"] == pytest.approx((5 + 6) / (2 + 0.6)) and "pop_share" in c01["note"]
    assert not (out["community_id"] == "L01").any()
    # without the lineage the legacy hours sit in L01, which has no 2024 residents: the per-resident rate loses them
    plain = service_hours(vols, hours, population, 2024, n_resamples=300)
    assert _val(plain, "participation.service_hours.per_capita")["value"] == pytest.approx(11.5 / 35000)
    # a community subset keeps its share of the legacy volunteers
    sub = service_hours(vols, hours, population, 2024, communities=["C01"], n_resamples=300, lineage=lineage)
    assert _val(sub, "participation.service_hours.per_capita")["value"] == pytest.approx(11 / 10000)
    assert set(sub["community_id"]) == {"C01", "district"}


def test_district_shares_take_communities_as_clusters(tables, population):
    from evaluation.indicators.intervals import cluster_proportion, wilson_interval

    for out, key in ((co_organised_share(tables["activities"], 2024), "participation.co_organised.share"),
                     (volunteer_rates(tables["volunteers"], tables["service_hours"], population, 2024),
                      "participation.volunteers_active.share")):
        rows = out[(out["indicator"] == key) & (out["community_id"] != "district")]
        want = cluster_proportion(rows["n"], rows["denominator"])
        d = _val(out, key)
        assert (d["se"], d["ci_low"], d["ci_high"]) == pytest.approx(
            (want["se"], want["ci_low"], want["ci_high"]), nan_ok=True)
        assert "communities as clusters" in d["note"]
    iid = _val(co_organised_share(tables["activities"], 2024, interval="iid"), "participation.co_organised.share")
    w = wilson_interval(2, 5).iloc[0]
    assert (iid["ci_low"], iid["ci_high"]) == pytest.approx((w["ci_low"], w["ci_high"]))
