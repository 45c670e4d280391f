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
    for k in ("petitions.its.adoption_rate_ratio", "petitions.its.break.level_change",
              "petitions.its.break.slope_change"):
        assert rec[k]["ci_low"] < rec[k]["value"] < rec[k]["ci_high"]
        assert rec[k]["n"] == 132                                   # 2014-01 … 2024-12


def _its_inputs(tables):
    from evaluation.indicators.petitions import adoption_share, its_frame, monthly_series

    series = monthly_series(tables["petitions"], tables["population"], end="2024-12")
    share = adoption_share(tables["programme_rollout"], tables["communities"], series["month"])
    return its_frame(series, share, "2020-01-01")


@pytest.mark.notebook
def test_its_wording_follows_the_fitted_result(default_run, bundled_district):
    from evaluation.impact.its import interrupted_time_series
    from evaluation.indicators.petitions import its_finding
    from evaluation.text.i18n import t

    rec, text = default_run
    frame = _its_inputs(bundled_district.tables)
    # 6 of the 43 current communities had adopted in the break month, all 43 by 2024-03
    assert frame.loc[frame["month"] == "2020-01-01", "share"].iloc[0] == pytest.approx(6 / 43)
    assert frame["share"].iloc[-1] == 1.0 and frame.loc[frame["month"] < "2020-01-01", "share"].eq(0).all()
    kw = dict(time="time", offset="exposure", family="quasipoisson", seasonality="fourier", season="calendar_month")
    res = interrupted_time_series(frame, "count", dose="share", **kw)
    eff = res.dose_effect
    got = rec["petitions.its.adoption_rate_ratio"]
    assert got["value"] == pytest.approx(eff["rate_ratio"], rel=1e-9)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((eff["rr_ci_low"], eff["rr_ci_high"]), rel=1e-9)
    nw = interrupted_time_series(frame, "count", dose="share", cov_type="newey_west", **kw).dose_effect
    assert got["ci_low_newey_west"] == pytest.approx(nw["rr_ci_low"], rel=1e-9)
    finding = its_finding(eff)
    assert got["finding"] == finding
    # the sentence shown is the one the interval supports, with its figures, and no other finding's sentence
    shown = t(f"svc.its_finding.{finding}", "zh", rr=f"{eff['rate_ratio']:.3f}", level="95%",
              lo=f"{eff['rr_ci_low']:.3f}", hi=f"{eff['rr_ci_high']:.3f}")
    assert shown in text
    tails = {"lower": "区间整体低于 1", "higher": "区间整体高于 1", "unclear": "区间包含 1"}
    assert tails[finding] in text
    assert not any(tails[o] in text for o in set(tails) - {finding})
    lb = res.autocorrelation
    assert rec["petitions.its.ljung_box"]["value"] == pytest.approx(lb["p_value"], rel=1e-9)
    assert ("残差存在自相关" in text) == (lb["p_value"] < 0.05)
    # the caveat names the 2020 reorganisation (10 -> 43 communities) and COVID-19, and the break is a sensitivity
    assert "2020-01-01 的社区调整（10 个社区调整为 43 个）" in text and "新冠疫情" in text
    assert "敏感性分析：若按 2020-01-01 全区一次性中断（当月 6/43 个社区已推行）" in text
    brk = interrupted_time_series(frame, "count", intervention="break", slope_change=True, **kw).effect_at_start
    assert rec["petitions.its.break.level_change"]["value"] == pytest.approx(brk["rate_ratio"], rel=1e-9)


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


@pytest.mark.notebook
def test_district_intervals_take_communities_as_clusters(default_run):
    rec, text = default_run
    # issue 15: SE 0.0024 iid, about 0.0087 with the 43 communities as clusters; the text says which is shown
    assert rec["grid.on_time_rate.share"]["se"] == pytest.approx(0.0087, abs=2e-4)
    med = rec["grid.time_to_close.median_hours"]
    assert med["ci_high"] - med["ci_low"] > 2.0      # Greenwood gave 25.8-26.8 h, the cluster bootstrap ~25.0-27.7 h
    assert "把社区作为整群" in text
