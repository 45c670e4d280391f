"""Notebook 30 (service outcomes) run with papermill; headline figures against truth.json, the petition caveat,
and the service-circle coverage against an independent haversine recount."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_notebook


NB = ROOT / "notebooks" / "30_service_outcomes.ipynb"
DATA = ROOT / "data" / "synthetic"
OWN = ("grid.", "petitions.", "service_circle.")


def _run(tmp: Path, name: str, **params) -> tuple[dict, str]:
    return run_notebook(NB, tmp / f"{name}.ipynb", **params)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, bundled_snapshot):
    # the bundled district read from the session's snapshot, as `jinlin run` gives it to this notebook
    return run_notebook(NB, tmp_path_factory.mktemp("nb30") / "default.ipynb", snapshot=bundled_snapshot)


@pytest.mark.notebook
def test_headline_keys_equal_truth(default_run):
    rec, _ = default_run
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    keys = [k for k in truth if k.startswith(OWN) and k != "grid.staff.count"]   # grid staff: notebook 10
    assert len(keys) == 8
    for k in keys:
        assert rec[k]["value"] == pytest.approx(truth[k]["value"], rel=1e-9), k


@pytest.mark.notebook
def test_petition_change_has_its_interval_and_caveat(default_run):
    rec, text = default_run
    ch = rec["petitions.real_estate.yoy_change"]
    assert ch["ci_low"] < ch["value"] < ch["ci_high"]
    assert ch["ci_low"] == pytest.approx(-0.577, abs=1e-3) and ch["ci_high"] > 0   # 58 → 38 includes no change
    assert rec["petitions.real_estate.yoy_distinguishable"]["value"] is False
    assert "无法与“没有变化”区分开" in text
    for k in ("petitions.its.level_change", "petitions.its.slope_change"):
        assert rec[k]["ci_low"] < rec[k]["value"] < rec[k]["ci_high"]
        assert rec[k]["n"] == 132                                   # 2014-01 … 2024-12


@pytest.mark.notebook
def test_grid_intervals_and_recounts(default_run):
    rec, _ = default_run
    for k in ("grid.closure_rate.share", "grid.on_time_rate.share", "grid.callback.satisfaction_rate",
              "grid.repeat_events.share", "grid.time_to_close.median_hours", "grid.events_reported.per_10k",
              "grid.time_to_close.median_hours.real_estate"):
        assert rec[k]["ci_low"] < rec[k]["value"] < rec[k]["ci_high"], k
    ev = pd.read_parquet(DATA / "grid_events.parquet")
    rep = ev[pd.to_datetime(ev["reported_at"]).dt.year == 2024]
    assert rec["grid.events_reported.count"]["value"] == len(rep)
    due = ev[pd.to_datetime(ev["deadline_at"]).dt.year == 2024]
    closed = pd.to_datetime(due["closed_at"])
    on_time = ((due["status"] == "closed") & (closed <= pd.to_datetime(due["deadline_at"]))
               & (closed <= "2024-12-31 23:59:59")).mean()
    assert rec["grid.on_time_rate.share"]["value"] == pytest.approx(on_time)
    closed24 = ev[(ev["status"] == "closed") & (pd.to_datetime(ev["closed_at"]).dt.year == 2024)]
    assert rec["grid.callback.not_reached.share"]["value"] == pytest.approx((closed24["callback"] == "not_reached").mean())


@pytest.mark.notebook
def test_coverage_against_a_haversine_recount(default_run):
    rec, _ = default_run
    pts = pd.read_csv(DATA / "residential_points.csv")
    st = pd.read_csv(DATA / "service_stations.csv")
    st = st[(pd.to_datetime(st["opened"]) <= "2024-12-31")
            & (st["closed"].isna() | (pd.to_datetime(st["closed"]) > "2024-12-31"))]
    lat1, lon1 = np.radians(pts[["lat"]].to_numpy()), np.radians(pts[["lon"]].to_numpy())
    lat2, lon2 = np.radians(st["lat"].to_numpy())[None, :], np.radians(st["lon"].to_numpy())[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    walk = (2 * 6_371_008.8 * np.arcsin(np.sqrt(a))).min(axis=1) * 1.3
    for d, key in ((1000, "service_circle.coverage.share"), (500, "service_circle.coverage.within_500m"),
                   (800, "service_circle.coverage.within_800m")):
        share = pts.loc[walk <= d, "residents"].sum() / pts["residents"].sum()
        assert rec[key]["value"] == pytest.approx(share, rel=1e-9), key
    assert rec["service_circle.uncovered_points.count"]["value"] == int((walk > 1000).sum())


@pytest.mark.notebook
@pytest.mark.slow
def test_english_community_subset(tmp_path):
    subset = ["C05", "C10", "C21"]
    rec, text = _run(tmp_path, "en", language="en", communities=subset, distance_m=800.0,
                     distance_sensitivity=[500.0], detour_factor=1.2)
    assert "Service outcomes" in text and "服务成效" not in text
    ev = pd.read_parquet(DATA / "grid_events.parquet")
    n = int(((pd.to_datetime(ev["reported_at"]).dt.year == 2024) & ev["community_id"].isin(subset)).sum())
    assert rec["grid.events_reported.count"]["value"] == n
    ch = rec["petitions.real_estate.yoy_change"]
    assert "value" in ch and "p_value" not in ch          # the district headline is not recorded for a subset
    assert "service_circle.coverage.within_800m" in rec and "service_circle.coverage.within_500m" in rec
