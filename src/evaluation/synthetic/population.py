"""Synthetic population 2014-2024: residents, households, migrants, age groups and adult survey-weighting margins.

District totals run log-linearly through the anchors of the spec (148k in 2014, 360k in 2020, 515k in 2024). Community
shares start from a Dirichlet draw and drift with type-specific growth (new-build communities grow about twice as fast).
The adult population is held as a joint sex x age-group x hukou table per community-year, so the published margins, the
survey's sampling frame and the finite-population truth of the satisfaction index all describe the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import SynthConfig
from .geography import Geography, label_community

__all__ = ["PopulationModel", "build_population", "round_to_total", "SEXES", "AGE_GROUPS", "HUKOU"]

SEXES = ("male", "female")
AGE_GROUPS = ("18_39", "40_59", "60p")
HUKOU = ("local", "migrant")
_GROWTH = {"old_town": 0.05, "village_to_urban": 0.08, "industrial": 0.09, "new_build": 0.16}
_MIGRANT_OFFSET = {"old_town": -0.7, "village_to_urban": 0.0, "industrial": 0.6, "new_build": 0.3}
_OLD_OFFSET = {"old_town": 0.35, "village_to_urban": 0.1, "industrial": -0.3, "new_build": -0.15}


def round_to_total(x: np.ndarray, total: int | np.ndarray, axis: int = -1) -> np.ndarray:
    """Round non-negative reals to integers that sum exactly to ``total`` along ``axis`` (largest remainder)."""
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    total = np.asarray(total)
    scaled = x / x.sum(axis=-1, keepdims=True) * total[..., None]
    base = np.floor(scaled)
    short = (total - base.sum(axis=-1)).astype(int)
    # Ties are broken by position (stable sort), so the result is deterministic.
    order = np.argsort(-(scaled - base), axis=-1, kind="stable")
    ranks = np.argsort(order, axis=-1, kind="stable")
    base = base + (ranks < short[..., None])
    return np.moveaxis(base.astype(np.int64), -1, axis)


def _interp_log(anchors: dict[int, float], years: np.ndarray) -> np.ndarray:
    ys = np.array(sorted(anchors))
    return np.exp(np.interp(years, ys, np.log([anchors[y] for y in ys])))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _calibrate_shares(offsets: np.ndarray, weights: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Shares expit(logit(target) + offset + s_t) with s_t set by bisection so the weighted mean hits the target."""
    lo, hi = np.full(target.shape, -5.0), np.full(target.shape, 5.0)
    base = _logit(target)
    for _ in range(60):
        mid = (lo + hi) / 2
        mean = (weights * _expit(base + offsets + mid)).sum(axis=0) / weights.sum(axis=0)
        too_high = mean > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return _expit(base + offsets + (lo + hi) / 2)


@dataclass(frozen=True)
class PopulationModel:
    """Child-level (43 areas) population arrays, indexed [child, year index]."""

    years: np.ndarray
    resident: np.ndarray          # (43, Y)
    pop_0_14: np.ndarray
    migrant: np.ndarray
    households: np.ndarray
    adults: np.ndarray            # (43, Y, sex, age_group, hukou)
    population: pd.DataFrame
    population_margins: pd.DataFrame
    lineage: pd.DataFrame

    def year_index(self, year: int | np.ndarray) -> np.ndarray | int:
        return np.asarray(year) - int(self.years[0])


def build_population(rng: np.random.Generator, config: SynthConfig, geo: Geography) -> PopulationModel:
    """Draw the population of every community-year and build the population, margins and lineage tables."""
    years = np.array(config.years)
    n, ny = geo.n_children, len(years)
    t = (years - years[0])[None, :]
    totals = np.rint(_interp_log(dict(config.population_totals), years)).astype(np.int64)

    growth = np.array([_GROWTH[k] for k in geo.child_type]) + rng.normal(0, 0.015, n)
    start = rng.dirichlet(np.full(n, config.community_share_alpha))
    drift = np.cumsum(rng.normal(0, 0.02, (n, ny)), axis=1)
    raw = start[:, None] * np.exp(growth[:, None] * t + drift)
    resident = round_to_total(raw, totals, axis=0)

    # Migrant share by community: type offset plus noise, calibrated to the district path of the spec.
    ms = dict(config.migrant_share)
    m_target = np.interp(years, sorted(ms), [ms[k] for k in sorted(ms)])
    m_off = np.array([_MIGRANT_OFFSET[k] for k in geo.child_type]) + rng.normal(0, 0.2, n)
    m_share = _calibrate_shares(np.repeat(m_off[:, None], ny, 1), resident, m_target)

    # Age: 0-14 and 60+ shares move linearly to the report-year shares; old towns are older.
    age = dict(config.age_shares_report_year)
    kid_path = np.interp(years, [years[0], years[-1]], [age["0_14"] - 0.03, age["0_14"]])
    old_path = np.interp(years, [years[0], years[-1]], [age["60p"] + 0.02, age["60p"]])
    kid_share = np.clip(kid_path[None, :] + rng.normal(0, 0.015, (n, 1)), 0.08, 0.35)
    old_off = np.array([_OLD_OFFSET[k] for k in geo.child_type]) + rng.normal(0, 0.1, n)
    old_share = _calibrate_shares(np.repeat(old_off[:, None], ny, 1), resident, old_path)
    teen_share = 0.03

    kids = np.rint(resident * kid_share).astype(np.int64)
    teens = np.rint(resident * teen_share).astype(np.int64)
    adults_total = resident - kids - teens
    n_old = np.rint(resident * old_share).astype(np.int64)

    # Joint adult table: migrants are younger and more often male; locals hold most of the 60+.
    mig_adult = m_share
    q_old = n_old / adults_total
    q_old_mig = q_old / (mig_adult + 2.2 * (1 - mig_adult))
    q_old_loc = 2.2 * q_old_mig
    young_share = {"local": 0.50, "migrant": 0.70}
    male_share = {"local": 0.50, "migrant": 0.54}
    probs = np.zeros((n, ny, 2, 3, 2))
    for h, (hk, p_h, q60) in enumerate((("local", 1 - mig_adult, q_old_loc), ("migrant", mig_adult, q_old_mig))):
        for s, sex in enumerate(SEXES):
            p_s = male_share[hk] if sex == "male" else 1 - male_share[hk]
            probs[:, :, s, 0, h] = p_h * p_s * (1 - q60) * young_share[hk]
            probs[:, :, s, 1, h] = p_h * p_s * (1 - q60) * (1 - young_share[hk])
            probs[:, :, s, 2, h] = p_h * p_s * q60
    flat = round_to_total(probs.reshape(n, ny, -1), adults_total, axis=-1)
    adults = flat.reshape(n, ny, 2, 3, 2)

    child_migrants = np.rint((kids + teens) * m_share).astype(np.int64)
    migrant = adults[..., 1].sum(axis=(2, 3)) + child_migrants
    pop_60p = adults[:, :, :, 2, :].sum(axis=(2, 3))
    households = np.rint((resident - migrant) / 2.9 + migrant / 2.1).astype(np.int64)

    population, margins = _tables(config, geo, years, resident, households, migrant, pop_60p, kids, adults)
    lineage = _lineage(config, geo, resident[:, config.split_year - 1 - years[0]])
    return PopulationModel(years=years, resident=resident, pop_0_14=kids, migrant=migrant, households=households,
                           adults=adults, population=population, population_margins=margins, lineage=lineage)


def _by_label(config: SynthConfig, geo: Geography, years: np.ndarray, arr: np.ndarray) -> pd.DataFrame:
    """Sum child-level arrays [child, year, ...] to the community ids the tables record for each year."""
    n, ny = arr.shape[:2]
    child = np.repeat(np.arange(n), ny)
    yr = np.tile(years, n)
    ids = label_community(geo, child, yr, config.split_year)
    frame = pd.DataFrame(arr.reshape(n * ny, -1))
    frame.insert(0, "year", yr)
    frame.insert(0, "community_id", ids)
    out = frame.groupby(["community_id", "year"], sort=True).sum().reset_index()
    return out


def _tables(config, geo, years, resident, households, migrant, pop_60p, kids, adults):
    stacked = np.stack([resident, households, migrant, pop_60p, kids], axis=-1)
    pop = _by_label(config, geo, years, stacked)
    pop.columns = ["community_id", "year", "resident_pop", "households", "migrant_pop", "pop_60p", "pop_0_14"]
    n, ny = resident.shape
    margins = np.concatenate([
        adults.sum(axis=(3, 4)),                 # sex
        adults.sum(axis=(2, 4)),                 # age_group
        adults.sum(axis=(2, 3)),                 # hukou
    ], axis=-1)
    m = _by_label(config, geo, years, margins)
    levels = [("sex", s) for s in SEXES] + [("age_group", a) for a in AGE_GROUPS] + [("hukou", h) for h in HUKOU]
    m.columns = ["community_id", "year"] + [f"{d}|{lv}" for d, lv in levels]
    long = m.melt(id_vars=["community_id", "year"], var_name="key", value_name="count")
    long[["dimension", "level"]] = long["key"].str.split("|", expand=True)
    order = {f"{d}|{lv}": i for i, (d, lv) in enumerate(levels)}
    long["_o"] = long["key"].map(order)
    long = long.sort_values(["community_id", "year", "_o"], kind="stable")
    margins_df = long[["community_id", "year", "dimension", "level", "count"]].reset_index(drop=True)
    for df in (pop, margins_df):
        df["year"] = df["year"].astype("int64")
    return pop.reset_index(drop=True), margins_df


def _lineage(config: SynthConfig, geo: Geography, pop_before: np.ndarray) -> pd.DataFrame:
    """Lineage shares = each child's share of its parent's population on the eve of the split (6 decimals, sum 1)."""
    rows = []
    for p in range(geo.n_parents):
        kids = np.flatnonzero(geo.parent_of == p)
        units = round_to_total(pop_before[kids].astype(float), 1_000_000)  # millionths sum exactly to 1
        for k, u in zip(kids, units):
            rows.append((geo.parent_ids[p], geo.child_ids[k], f"{config.split_year}-01-01", u / 1_000_000))
    return pd.DataFrame(rows, columns=["from_id", "to_id", "effective_date", "pop_share"])
