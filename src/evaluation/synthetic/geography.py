"""Synthetic geography: 3 streets, 10 legacy communities split into 43 on the split date, with lineage shares.

Internally every record is generated at the level of the 43 current communities (the "child" areas also exist
before the split, as parts of their legacy parent); :func:`label_community` turns a child index and a year into the
id that the tables record (``Lxx`` before the split, ``Cxx`` from it), as ``docs/conventions.md`` requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import SynthConfig

__all__ = ["Geography", "build_geography", "label_community", "haversine_m", "STREETS"]

# Street codes are what the tables carry (docs/conventions.md); the names are for labels.
STREETS: dict[str, str] = {"S01": "澳头", "S02": "西区", "S03": "霞涌"}
_STREET_CENTRE = {"S01": (22.70, 114.55), "S02": (22.78, 114.51), "S03": (22.69, 114.64)}
# (legacy id, street, name stem, number of children, dominant type) -- names are invented
_LEGACY = (
    ("L01", "S01", "海湾", 5, "old_town"),
    ("L02", "S01", "渔港", 4, "old_town"),
    ("L03", "S01", "东升", 6, "new_build"),
    ("L04", "S01", "金沙", 3, "village_to_urban"),
    ("L05", "S02", "西湖", 4, "new_build"),
    ("L06", "S02", "翠岭", 5, "industrial"),
    ("L07", "S02", "龙山", 4, "new_build"),
    ("L08", "S03", "霞光", 5, "village_to_urban"),
    ("L09", "S03", "云海", 3, "old_town"),
    ("L10", "S03", "湾畔", 4, "industrial"),
)
_TYPES = ("old_town", "new_build", "village_to_urban", "industrial")
_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Geography:
    """Who is who: the 43 children, their legacy parents, streets, types and centres."""

    child_ids: np.ndarray        # "C01".."C43"
    parent_ids: np.ndarray       # "L01".."L10"
    parent_of: np.ndarray        # child index -> parent index
    street_of_parent: np.ndarray  # parent index -> "S0x"
    child_type: np.ndarray       # community_type of each child
    child_lat: np.ndarray
    child_lon: np.ndarray
    parent_lat: np.ndarray
    parent_lon: np.ndarray
    communities: pd.DataFrame

    @property
    def n_children(self) -> int:
        return len(self.child_ids)

    @property
    def n_parents(self) -> int:
        return len(self.parent_ids)


def label_community(geo: Geography, child: np.ndarray, year: np.ndarray | int, split_year: int) -> np.ndarray:
    """The community id a record carries: the legacy parent before ``split_year``, the child from it."""
    child = np.asarray(child)
    year = np.broadcast_to(np.asarray(year), child.shape)
    return np.where(year < split_year, geo.parent_ids[geo.parent_of[child]], geo.child_ids[child])


def haversine_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (spherical Earth, R = 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _offset(lat: np.ndarray, lon: np.ndarray, dist_m: np.ndarray, bearing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point at ``dist_m`` metres and ``bearing`` radians from (lat, lon); flat-Earth is enough at these scales."""
    dlat = dist_m * np.cos(bearing) / 111_320.0
    dlon = dist_m * np.sin(bearing) / (111_320.0 * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def build_geography(rng: np.random.Generator, config: SynthConfig) -> Geography:
    """Streets, legacy and current communities with names, types and centres inside the district's bounding box."""
    split = f"{config.split_year}-01-01"
    last_legacy_day = f"{config.split_year - 1}-12-31"
    parent_ids = np.array([p[0] for p in _LEGACY])
    street_of_parent = np.array([p[1] for p in _LEGACY])
    n_kids = np.array([p[3] for p in _LEGACY])
    parent_of = np.repeat(np.arange(len(_LEGACY)), n_kids)
    n = len(parent_of)
    child_ids = np.array([f"C{i + 1:02d}" for i in range(n)])

    # Legacy centres scatter about 3 km around their street's centre, children 1.5-3.5 km around their parent.
    s_lat = np.array([_STREET_CENTRE[s][0] for s in street_of_parent])
    s_lon = np.array([_STREET_CENTRE[s][1] for s in street_of_parent])
    p_lat, p_lon = _offset(s_lat, s_lon, rng.uniform(1500, 5000, len(_LEGACY)), rng.uniform(0, 2 * np.pi, len(_LEGACY)))
    bearings = np.concatenate([
        (np.arange(k) / k) * 2 * np.pi + rng.uniform(0, 2 * np.pi) for k in n_kids])
    c_lat, c_lon = _offset(p_lat[parent_of], p_lon[parent_of], rng.uniform(1500, 3500, n), bearings)

    # A child mostly shares its parent's type; a minority differs (old towns have new estates on their edge, ...).
    dominant = np.array([p[4] for p in _LEGACY])[parent_of]
    other = np.array(_TYPES)[rng.integers(0, len(_TYPES), n)]
    child_type = np.where(rng.random(n) < 0.7, dominant, other)

    numeral = np.concatenate([np.arange(k) for k in n_kids])
    stems = np.array([p[2] for p in _LEGACY])
    names_c = [f"{stems[parent_of[i]]}{_NUMERALS[numeral[i]]}社区" for i in range(n)]
    legacy = pd.DataFrame({
        "community_id": parent_ids,
        "name_zh": [f"{p[2]}社区" for p in _LEGACY],
        "street": street_of_parent,
        "valid_from": "2005-01-01",
        "valid_to": last_legacy_day,
        "community_type": [p[4] for p in _LEGACY],
        "lat": np.round(p_lat, 6),
        "lon": np.round(p_lon, 6),
    })
    current = pd.DataFrame({
        "community_id": child_ids,
        "name_zh": names_c,
        "street": street_of_parent[parent_of],
        "valid_from": split,
        "valid_to": pd.Series([pd.NA] * n, dtype="string"),
        "community_type": child_type,
        "lat": np.round(c_lat, 6),
        "lon": np.round(c_lon, 6),
    })
    communities = pd.concat([legacy, current], ignore_index=True)
    return Geography(child_ids=child_ids, parent_ids=parent_ids, parent_of=parent_of,
                     street_of_parent=street_of_parent, child_type=child_type, child_lat=c_lat, child_lon=c_lon,
                     parent_lat=p_lat, parent_lon=p_lon, communities=communities)
