"""The 15-minute party-and-mass service circle (15分钟党群服务圈): residents within walking distance of a station.

Coverage = Σ residents of residential points whose nearest open station lies within walking distance d / Σ
residents. Without a street network (OSMnx/pandana need an OSM extract that a district rarely supplies), the walking
distance is the great-circle distance × a detour (circuity) factor:

- great-circle distances come from a haversine ``sklearn.neighbors.BallTree`` on (lat, lon) in radians, times the
  mean Earth radius (6,371,008.8 m, IUGG);
- the detour factor defaults to 1.3, the fallback the project's design notes set (domain notes §3(b)). It sits in
  the range the literature reports for the ratio of network to straight-line distance: about 1.2 for urban road
  networks (Newell 1980; O'Sullivan & Morrall 1996 found 1.21–1.23 around rail stations) and up to about 1.5 for
  pedestrian route directness in poorly connected areas (Dill 2004). It is a parameter; report the sensitivity.
- d defaults to 1,000 m: GB 50180-2018 puts the 15-minute walk at about 800–1,000 m; :func:`coverage_sensitivity`
  adds 500 and 800 m.

Coverage is a census over residential points (no sampling error), but it depends on the detour factor, the distance
and on how residents were allocated to points: :func:`coverage_sensitivity` shows the first two.

References
----------
GB 50180-2018 《城市居住区规划设计标准》 (Standard for urban residential area planning and design).
Newell, G. F. (1980). *Traffic Flow on Transportation Networks*. MIT Press.
O'Sullivan, S. & Morrall, J. (1996). Walking distances to and from light-rail transit stations. Transportation
Research Record 1538, 19–26.
Dill, J. (2004). Measuring network connectivity for bicycling and walking. TRB 83rd Annual Meeting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import DISTRICT, active_at_year_end, as_number, cutoff_of, result_row, subset_communities, tidy

__all__ = [
    "EARTH_RADIUS_M",
    "DEFAULT_DETOUR_FACTOR",
    "SENSITIVITY_DISTANCES_M",
    "stations_open",
    "nearest_station",
    "service_coverage",
    "coverage_sensitivity",
    "uncovered_points",
]

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_DETOUR_FACTOR = 1.3
SENSITIVITY_DISTANCES_M = (500.0, 800.0, 1000.0)
LEVELS = ("district", "street", "community", "estate")


def stations_open(stations: pd.DataFrame, report_year: int, data_cutoff=None) -> pd.DataFrame:
    """Stations open at the end of ``report_year`` (or at the data cut-off when it comes first) by level (the
    "1+3+43+N" network).

    Keys: ``service_circle.stations.<level>.count`` and ``service_circle.stations.total.count``.
    """
    at = cutoff_of(report_year, data_cutoff)
    open_ = stations[active_at_year_end(stations, "opened", "closed", report_year, at)]
    counts = open_["level"].astype(str).value_counts()
    rows = [result_row(f"service_circle.stations.{lv}.count", DISTRICT, report_year, float(counts.get(lv, 0)),
                       group=lv, n=float(counts.get(lv, 0)), note="census of stations open at year end")
            for lv in [*LEVELS, *sorted(set(counts.index) - set(LEVELS))]]
    rows.append(result_row("service_circle.stations.total.count", DISTRICT, report_year, float(len(open_)),
                           n=float(len(open_)), note="census of stations open at year end"))
    return tidy(rows)


def nearest_station(points: pd.DataFrame, stations: pd.DataFrame, report_year: int,
                    detour_factor: float = DEFAULT_DETOUR_FACTOR, levels: Sequence[str] | None = None,
                    data_cutoff=None) -> pd.DataFrame:
    """For each residential point, the nearest station open at the end of ``report_year`` (or at the data cut-off
    when it comes first).

    Parameters
    ----------
    points : DataFrame
        ``residential_points`` (point_id, community_id, lat, lon, residents).
    stations : DataFrame
        ``service_stations``.
    report_year : int
    detour_factor : float
        Walking distance = great-circle distance × this factor (≥ 1).
    levels : sequence of str, optional
        Only stations of these levels.

    Returns
    -------
    DataFrame
        The point columns plus ``station_id``, ``station_level``, ``straight_m`` and ``walk_m``.
    """
    if detour_factor < 1:
        raise ValueError("the detour factor cannot be below 1: no walk is shorter than the straight line")
    at = cutoff_of(report_year, data_cutoff)
    st = stations[active_at_year_end(stations, "opened", "closed", report_year, at)]
    if levels is not None:
        st = st[st["level"].astype(str).isin(list(levels))]
    out = points[["point_id", "community_id", "lat", "lon", "residents"]].copy()
    out["community_id"] = out["community_id"].astype(str)
    out["residents"] = as_number(out["residents"]).fillna(0.0)
    if len(st) == 0:
        out["station_id"] = pd.NA
        out["station_level"] = pd.NA
        out["straight_m"] = np.inf
        out["walk_m"] = np.inf
        return out
    # imported here: sklearn.neighbors costs about 1.3 s of CPU, and only the coverage figures use it (a kernel running
    # notebooks 00, 10, 20 or 50 imports this module through evaluation.indicators without ever calling this)
    from sklearn.neighbors import BallTree

    tree = BallTree(np.radians(st[["lat", "lon"]].to_numpy(dtype="float64")), metric="haversine")
    dist, idx = tree.query(np.radians(out[["lat", "lon"]].to_numpy(dtype="float64")), k=1)
    out["station_id"] = st["station_id"].to_numpy()[idx[:, 0]]
    out["station_level"] = st["level"].astype(str).to_numpy()[idx[:, 0]]
    out["straight_m"] = dist[:, 0] * EARTH_RADIUS_M
    out["walk_m"] = out["straight_m"] * detour_factor
    return out


def _coverage_rows(near: pd.DataFrame, distance_m: float, year: int, group: str, note: str) -> list[dict]:
    near = near.assign(_cov=(near["walk_m"] <= distance_m).astype(float) * near["residents"])
    rows = []
    for cid, g in [(c, g) for c, g in near.groupby("community_id")] + [(DISTRICT, near)]:
        den = float(g["residents"].sum())
        rows.append(result_row("service_circle.coverage.share", cid, year,
                               float(g["_cov"].sum() / den) if den > 0 else np.nan, group=group,
                               n=float(g["_cov"].sum()), denominator=den,
                               denominator_label="residents of residential points", note=note))
    return rows


def service_coverage(points: pd.DataFrame, stations: pd.DataFrame, report_year: int, distance_m: float = 1000.0,
                     detour_factor: float = DEFAULT_DETOUR_FACTOR, by_level: bool = True,
                     communities: Sequence[str] | None = None, data_cutoff=None) -> pd.DataFrame:
    """Share of residents within walking distance ``distance_m`` of an open station, by community and level.

    Key: ``service_circle.coverage.share``; ``group`` is empty for any station and the level name for coverage by
    stations of that level alone. ``n`` = residents covered, ``denominator`` = residents.
    """
    pts = subset_communities(points, communities)
    note = f"walk = great-circle × {detour_factor:g}, within {distance_m:g} m; census of residential points"
    rows = _coverage_rows(nearest_station(pts, stations, report_year, detour_factor, data_cutoff=data_cutoff),
                          distance_m, report_year, "", note)
    if by_level:
        present_levels = stations["level"].astype(str).unique()
        for lv in [v for v in LEVELS if v in present_levels]:
            rows += _coverage_rows(nearest_station(pts, stations, report_year, detour_factor, levels=[lv],
                                                   data_cutoff=data_cutoff),
                                   distance_m, report_year, lv, note + f"; {lv} stations only")
    return tidy(rows)


def coverage_sensitivity(points: pd.DataFrame, stations: pd.DataFrame, report_year: int,
                         distances_m: Sequence[float] = SENSITIVITY_DISTANCES_M,
                         detour_factors: Sequence[float] = (1.0, 1.2, DEFAULT_DETOUR_FACTOR, 1.5),
                         communities: Sequence[str] | None = None, data_cutoff=None) -> pd.DataFrame:
    """District coverage over a grid of distances and detour factors.

    Key: ``service_circle.coverage.within_<d>m``: the share of residents within ``d`` metres' walk of an open
    station at the run's detour factor, for each distance of ``distance_sensitivity`` and ``distance_m``.

    Returns
    -------
    DataFrame
        ``distance_m``, ``detour_factor``, ``coverage`` (share of residents), ``residents_covered``, ``residents``.
    """
    pts = subset_communities(points, communities)
    base = nearest_station(pts, stations, report_year, 1.0, data_cutoff=data_cutoff)
    total = float(base["residents"].sum())
    rows = []
    for f in detour_factors:
        if f < 1:
            raise ValueError("detour factors must be at least 1")
        walk = base["straight_m"] * f
        for d in distances_m:
            cov = float(base.loc[walk <= d, "residents"].sum())
            rows.append({"distance_m": float(d), "detour_factor": float(f),
                         "coverage": cov / total if total > 0 else np.nan, "residents_covered": cov,
                         "residents": total})
    return pd.DataFrame(rows)


def uncovered_points(points: pd.DataFrame, stations: pd.DataFrame, report_year: int, distance_m: float = 1000.0,
                     detour_factor: float = DEFAULT_DETOUR_FACTOR,
                     communities: Sequence[str] | None = None, data_cutoff=None) -> pd.DataFrame:
    """Residential points beyond walking distance ``distance_m`` of every open station, farthest first (for a map).

    Key: ``service_circle.uncovered_points.count``: the number of these points (notebook 30).
    """
    near = nearest_station(subset_communities(points, communities), stations, report_year, detour_factor,
                           data_cutoff=data_cutoff)
    return near[near["walk_m"] > distance_m].sort_values("walk_m", ascending=False).reset_index(drop=True)
