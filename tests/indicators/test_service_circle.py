"""Service-circle coverage against a brute-force haversine over every point-station pair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.service_circle import EARTH_RADIUS_M, coverage_sensitivity, nearest_station, \
    service_coverage, stations_open, uncovered_points


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


@pytest.fixture()
def geo(rng):
    n_pts, n_st = 300, 25
    pts = pd.DataFrame({"point_id": [f"R{i}" for i in range(n_pts)],
                        "community_id": rng.choice(["C01", "C02", "C03"], n_pts),
                        "lat": 22.70 + rng.random(n_pts) * 0.08, "lon": 114.50 + rng.random(n_pts) * 0.08,
                        "residents": rng.integers(10, 2000, n_pts)})
    st = pd.DataFrame({"station_id": [f"S{i}" for i in range(n_st)],
                       "level": rng.choice(["community", "estate", "street"], n_st),
                       "community_id": "C01", "lat": 22.70 + rng.random(n_st) * 0.08,
                       "lon": 114.50 + rng.random(n_st) * 0.08,
                       "opened": rng.choice(["2019-01-01", "2024-06-01", "2025-03-01"], n_st),
                       "closed": rng.choice([None, None, None, "2024-03-01"], n_st)})
    return pts, st


def _brute(pts, st, year, factor, levels=None):
    ok = (pd.to_datetime(st["opened"]) <= f"{year}-12-31") & (
        st["closed"].isna() | (pd.to_datetime(st["closed"]) > f"{year}-12-31"))
    if levels is not None:
        ok &= st["level"].isin(levels)
    s = st[ok]
    d = _haversine(pts["lat"].to_numpy()[:, None], pts["lon"].to_numpy()[:, None],
                   s["lat"].to_numpy()[None, :], s["lon"].to_numpy()[None, :])
    return d.min(axis=1) * factor


def test_nearest_distance_matches_brute_force(geo):
    pts, st = geo
    near = nearest_station(pts, st, 2024, detour_factor=1.3)
    assert near["walk_m"].to_numpy() == pytest.approx(_brute(pts, st, 2024, 1.3), rel=1e-9)


@pytest.mark.parametrize("d", [500.0, 800.0, 1000.0])
def test_coverage_matches_brute_force(geo, d):
    pts, st = geo
    walk = _brute(pts, st, 2024, 1.3)
    out = service_coverage(pts, st, 2024, distance_m=d)
    row = out[(out["community_id"] == "district") & (out["group"] == "")].iloc[0]
    want = pts["residents"][walk <= d].sum() / pts["residents"].sum()
    assert row["value"] == pytest.approx(want)
    c2 = out[(out["community_id"] == "C02") & (out["group"] == "")].iloc[0]
    m = (pts["community_id"] == "C02").to_numpy()
    assert c2["value"] == pytest.approx(pts["residents"][m & (walk <= d)].sum() / pts["residents"][m].sum())
    lvl = out[(out["community_id"] == "district") & (out["group"] == "estate")].iloc[0]
    walk_e = _brute(pts, st, 2024, 1.3, levels=["estate"])
    assert lvl["value"] == pytest.approx(pts["residents"][walk_e <= d].sum() / pts["residents"].sum())


def test_sensitivity_is_monotone_and_matches_coverage(geo):
    pts, st = geo
    sens = coverage_sensitivity(pts, st, 2024)
    for _, g in sens.groupby("detour_factor"):
        assert g.sort_values("distance_m")["coverage"].is_monotonic_increasing
    for _, g in sens.groupby("distance_m"):
        assert g.sort_values("detour_factor")["coverage"].is_monotonic_decreasing
    base = sens[(sens["distance_m"] == 1000) & (sens["detour_factor"] == 1.3)]["coverage"].iloc[0]
    cov = service_coverage(pts, st, 2024, by_level=False)
    assert cov[cov["community_id"] == "district"]["value"].iloc[0] == pytest.approx(base)


def test_uncovered_points_listed(geo):
    pts, st = geo
    unc = uncovered_points(pts, st, 2024, distance_m=800)
    walk = _brute(pts, st, 2024, 1.3)
    assert set(unc["point_id"]) == set(pts["point_id"][walk > 800])
    assert unc["walk_m"].is_monotonic_decreasing


def test_stations_open_by_level(tables):
    out = stations_open(tables["service_stations"], 2024).set_index("indicator")["value"]
    assert out["service_circle.stations.district.count"] == 1
    assert out["service_circle.stations.street.count"] == 1
    assert out["service_circle.stations.community.count"] == 1   # S3 closed mid-2024
    assert out["service_circle.stations.estate.count"] == 0      # S4 opens 2025


def test_detour_below_one_rejected(geo):
    pts, st = geo
    with pytest.raises(ValueError):
        nearest_station(pts, st, 2024, detour_factor=0.9)
