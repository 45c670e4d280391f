"""Notebook 10 (participation and organisation) run with papermill; its recorded figures checked against the
generator's truth.json and against recounts from the raw tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_notebook


NB = ROOT / "notebooks" / "10_participation.ipynb"
DATA = ROOT / "data" / "synthetic"
OWN = ("organisation.", "participation.", "grid.staff.")


def _run(tmp: Path, name: str, **params) -> tuple[dict, str]:
    return run_notebook(NB, tmp / f"{name}.ipynb", **params)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, bundled_snapshot):
    # the bundled district read from the session's snapshot, as `jinlin run` gives it to this notebook
    return run_notebook(NB, tmp_path_factory.mktemp("nb10") / "default.ipynb", snapshot=bundled_snapshot)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DATA / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.notebook
def test_headline_keys_equal_truth(default_run, truth):
    rec, _ = default_run
    keys = [k for k in truth if k.startswith(OWN)]
    assert len(keys) == 16
    for k in keys:
        if k == "participation.attendance.person_times":
            assert rec[k]["value"] == pytest.approx(truth[k]["value"], rel=0.005), k
        else:
            assert rec[k]["value"] == pytest.approx(truth[k]["value"], rel=1e-9), k
    assert rec["organisation.workers_promoted.rate"]["n"] == 516        # the denominator is stated
    assert rec["organisation.workers_promoted.rate"]["numerator"] == 266


@pytest.mark.notebook
def test_intervals_where_there_is_uncertainty(default_run):
    rec, _ = default_run
    with_ci = ["organisation.workers_promoted.rate", "organisation.workers_certified.rate",
               "organisation.joint_meetings.count", "organisation.issues_resolved.share",
               "participation.volunteers_active.share", "participation.service_hours.per_capita",
               "participation.service_hours.per_volunteer", "participation.co_organised.share",
               "participation.co_organisers_listed.share"]
    with_ci += [k for k in rec if k.startswith("participation.attendance.mean_per_activity.")]
    assert len(with_ci) > 10
    for k in with_ci:
        r = rec[k]
        assert r["ci_low"] < r["value"] < r["ci_high"], k
    # census counts carry none
    assert "ci_low" not in rec["organisation.paired_units.count"]
    assert rec["participation.fund_leverage.computable"]["value"] is False


@pytest.mark.notebook
def test_recounts_from_the_raw_tables(default_run):
    rec, text = default_run
    act = pd.read_csv(DATA / "activities.csv")
    a24 = act[act["date"].str.startswith("2024")]
    listed = a24["co_organisers"].fillna("").str.strip().ne("").mean()
    assert rec["participation.co_organisers_listed.share"]["value"] == pytest.approx(listed)
    gov = {"government", "party_branch", "residents_committee"}
    co = (a24["co_organisers"].fillna("").str.strip().ne("") | ~a24["organiser_type"].isin(gov)).mean()
    assert rec["participation.co_organised.share"]["value"] == pytest.approx(co)
    # hours of every registered volunteer (legacy communities included) over every resident
    vol = pd.read_csv(DATA / "volunteers.csv")
    hrs = pd.read_parquet(DATA / "service_hours.parquet")
    d = pd.to_datetime(hrs["date"])
    h = hrs[(d > "2023-12-31") & (d <= "2024-12-31")]
    reg = vol[pd.to_datetime(vol["registered"]) <= "2024-12-31"]
    total = h[h["person_key"].isin(set(reg["person_key"]))]["hours"].sum()
    pop = pd.read_csv(DATA / "population.csv")
    residents = pop.loc[pop["year"] == 2024, "resident_pop"].sum()
    assert rec["participation.service_hours.per_capita"]["value"] == pytest.approx(total / residents)
    assert rec["participation.volunteers_registered.per_100"]["value"] == pytest.approx(len(reg) / residents * 100)
    assert "人次不是参与人数" in text and "无法计算" in text        # person-times caveat, leverage not computable


@pytest.mark.notebook
@pytest.mark.slow
def test_english_community_subset(tmp_path):
    subset = ["C01", "C02", "C03", "C07"]
    rec, text = _run(tmp_path, "en", language="en", communities=subset, min_cell=10)
    assert "Party-led organisation" in text and "党建引领" not in text
    act = pd.read_csv(DATA / "activities.csv")
    n = int((act["date"].str.startswith("2024") & act["community_id"].isin(subset)).sum())
    assert rec["participation.activities.count"]["value"] == n
    assert "organisation.workers_promoted.rate" in rec and "numerator" not in rec["organisation.workers_promoted.rate"]
    assert np.isfinite(rec["participation.service_hours.per_capita"]["value"])


@pytest.mark.notebook
def test_district_shares_take_communities_as_clusters(default_run):
    from scipy import stats

    rec, text = default_run
    assert "把社区作为整群" in text
    co = rec["participation.co_organised.share"]
    p = co["value"]
    n = co["n"] / p   # n is the count of co-organised activities
    iid_half = stats.norm.ppf(0.975) * np.sqrt(p * (1 - p) / n)
    # activities cluster within communities: wider than the iid (Wilson) interval, design effect above 1
    assert (co["ci_high"] - co["ci_low"]) / 2 > iid_half
