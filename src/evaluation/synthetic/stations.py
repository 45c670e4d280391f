"""Synthetic "1+3+43+N" service stations (党群服务阵地) and residential points for the 15-minute service circle.

Residential points cluster within about 700 m of their community's centre, where the community station stands; in
village-to-urban and industrial communities a minority of points lies 1.6-3 km out, so that a 1 km (GB 50180-2018 15-min
walk) coverage measure finds a visible uncovered minority. Estate stations sit at large central points and so do not
cover the outskirts. Residents of the points sum exactly to each community's report-year population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._util import fmt_date
from .config import SynthConfig
from .geography import Geography, _offset
from .population import PopulationModel

__all__ = ["build_stations", "build_residential_points"]


def build_residential_points(rng: np.random.Generator, config: SynthConfig, geo: Geography,
                             pop: PopulationModel) -> pd.DataFrame:
    """A few thousand residential points per current community, residents summing to its report-year population."""
    resident = pop.resident[:, config.report_year - int(pop.years[0])]
    frames = []
    for c in range(geo.n_children):
        k = max(12, int(round(resident[c] / 200)))
        far_share = 0.35 if geo.child_type[c] in ("village_to_urban", "industrial") else 0.02
        far = rng.random(k) < far_share
        dist = np.where(far, rng.uniform(1600, 3000, k), 700 * np.sqrt(rng.random(k)))
        # Outlying points come in one or two hamlets, not scattered around the compass.
        hamlet = rng.uniform(0, 2 * np.pi, 2)
        bearing = np.where(far, hamlet[rng.integers(0, 2, k)] + rng.normal(0, 0.15, k), rng.uniform(0, 2 * np.pi, k))
        lat, lon = _offset(np.full(k, geo.child_lat[c]), np.full(k, geo.child_lon[c]), dist, bearing)
        size = rng.lognormal(0, 0.8, k) * np.where(far, 0.8, 1.0)
        people = 1 + rng.multinomial(int(resident[c]) - k, size / size.sum())
        frames.append(pd.DataFrame({"community_id": geo.child_ids[c], "lat": np.round(lat, 6), "lon": np.round(lon, 6),
                                    "residents": people.astype(np.int64), "_dist": dist}))
    pts = pd.concat(frames, ignore_index=True)
    pts.insert(0, "point_id", [f"RP{i + 1:05d}" for i in range(len(pts))])
    return pts


def build_stations(rng: np.random.Generator, config: SynthConfig, geo: Geography, points: pd.DataFrame) -> pd.DataFrame:
    """District, street, community and estate stations open at the end of the report year (exact counts), plus the
    legacy communities' stations closed at the split and a few estate stations closed since."""
    ry = config.report_year
    want = dict(config.stations)
    rows = []

    def opened(start: str, end: str) -> np.datetime64:
        s, e = np.datetime64(start), np.datetime64(end)
        return s + np.timedelta64(int(rng.integers(0, (e - s).astype(int) + 1)), "D")

    split = f"{config.split_year}-01-01"
    for i in range(want["district"]):
        c = 0
        lat, lon = _offset(geo.child_lat[c], geo.child_lon[c], 150.0, 1.0)
        rows.append((f"ST-D{i + 1:02d}", "district", geo.child_ids[c], lat, lon, opened(split, f"{config.split_year}-12-31"),
                     None, 2400.0))
    streets = sorted(set(geo.street_of_parent))
    for i in range(want["street"]):
        s = streets[i % len(streets)]
        kids = np.flatnonzero(geo.street_of_parent[geo.parent_of] == s)
        c = int(kids[0])
        lat, lon = _offset(geo.child_lat[c], geo.child_lon[c], 200.0, 2.5)
        rows.append((f"ST-S{i + 1:02d}", "street", geo.child_ids[c], lat, lon,
                     opened(split, f"{config.split_year + 1}-06-30"), None, float(rng.integers(800, 1300))))
    for c in range(want["community"]):
        rows.append((f"ST-C{c + 1:02d}", "community", geo.child_ids[c], geo.child_lat[c], geo.child_lon[c],
                     opened(split, f"{config.split_year + 1}-12-31"), None, float(rng.integers(300, 650))))
    # Estate stations at large central points (within 500 m of the centre), spread over communities by size.
    central = points[points["_dist"] < 500]
    n_est, n_closed_est = want["estate"], 5
    wts = np.sqrt(central["residents"].to_numpy(float))
    pick = central.iloc[rng.choice(len(central), n_est + n_closed_est, replace=False, p=wts / wts.sum())]
    for i, (_, p) in enumerate(pick.iterrows()):
        open_ = opened(split, f"{ry}-10-31")
        closed = None
        if i >= n_est:
            open_ = opened(split, f"{ry - 2}-12-31")
            closed = opened(str(open_ + np.timedelta64(200, "D")), f"{ry}-11-30")
        lat, lon = _offset(p["lat"], p["lon"], 30.0, 0.5)
        rows.append((f"ST-E{i + 1:03d}", "estate", p["community_id"], lat, lon, open_, closed,
                     float(rng.integers(60, 220))))
    for p in range(geo.n_parents):
        rows.append((f"ST-L{p + 1:02d}", "community", geo.parent_ids[p], geo.parent_lat[p], geo.parent_lon[p],
                     opened("2012-01-01", "2016-12-31"), np.datetime64(f"{config.split_year - 1}-12-31"),
                     float(rng.integers(150, 300))))
    opened_at = np.array([r[5] for r in rows], dtype="datetime64[D]")
    closed_at = np.array([np.datetime64("NaT") if r[6] is None else r[6] for r in rows], dtype="datetime64[D]")
    df = pd.DataFrame([r[:5] + (r[7],) for r in rows],
                      columns=["station_id", "level", "community_id", "lat", "lon", "floor_area_m2"])
    df["lat"], df["lon"] = df["lat"].astype(float).round(6), df["lon"].astype(float).round(6)
    df.insert(5, "opened", fmt_date(opened_at))
    df.insert(6, "closed", pd.Series(fmt_date(closed_at), dtype="string"))
    return df
