"""Synthetic petitions (信访), with a planted rate ratio on real-estate-related cases and exact report-year counts.

Real-estate-related cases arrive as a Poisson process per community-month with intensity
``rate_t x residents x season_m``. In an exposed community each case survives with probability equal to the planted
rate ratio (thinning), so ``Y(0)`` (all candidate cases) and ``Y(1)`` (survivors) come from the same draws. In the
report year and the year before, the pool is drawn larger and thinned uniformly at random to the exact published counts
(58 -> 38): thinning by a common factor leaves the rate ratio identifiable in a Poisson model with year effects. Monthly
seasonality (a mid-year delivery peak and a pre-Spring-Festival peak) makes an interrupted time series meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._util import fmt_date, prefix_hitting, year_start
from .config import SynthConfig
from .geography import Geography, label_community
from .population import PopulationModel
from .rollout import Rollout, is_treated

__all__ = ["PetitionResult", "build_petitions"]

_RE_CATEGORIES = ("property_delivery", "property_management", "land_compensation")
_RE_P = (0.5, 0.35, 0.15)
_OTHER_CATEGORIES = ("labour", "neighbour_dispute", "environment", "public_service", "other")
_OTHER_P = (0.30, 0.20, 0.15, 0.20, 0.15)
_CHANNELS = ("visit", "letter", "online", "hotline_12345")
_CHANNEL_P = (0.35, 0.10, 0.40, 0.15)
# Per 10,000 residents per year, before the programme; a rise with the housing boom, then a cooling market.
_RE_RATE = {2014: 1.6, 2015: 1.8, 2016: 2.0, 2017: 2.2, 2018: 2.4, 2019: 2.4, 2020: 2.3, 2021: 2.1, 2022: 1.9,
            2023: 1.75, 2024: 1.35}
_RE_SEASON = np.array([1.25, 0.9, 0.85, 0.9, 1.0, 1.2, 1.3, 1.2, 0.95, 0.85, 0.8, 1.0])
_OTHER_SEASON = np.array([1.5, 1.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.3])
_POOL_FACTOR = 1.4


@dataclass(frozen=True)
class PetitionResult:
    table: pd.DataFrame
    cell_effects: pd.DataFrame      # child, year, real_estate_petitions_per_10k (Y(1) - Y(0))


def _re_rate(year: int) -> float:
    return _RE_RATE.get(year, _RE_RATE[min(_RE_RATE, key=lambda y: abs(y - year))])


def build_petitions(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                    rollout: Rollout) -> PetitionResult:
    """All petitions of the population years, with potential outcomes of the real-estate-related counts."""
    comm = np.exp(rng.normal(0, 0.3, geo.n_children))
    y0 = int(pop.years[0])
    rr = config.real_estate_petition_rate_ratio
    recs = []            # (child, year, month, survives, real_estate)
    cells = []
    for year in pop.years:
        year = int(year)
        yi = year - y0
        lam = (_re_rate(year) * pop.resident[:, yi] / 1e4 * comm)[:, None] * (_RE_SEASON / _RE_SEASON.sum())[None, :]
        target = config.real_estate_petitions.get(year)
        factor = _POOL_FACTOR if target is not None else 1.0
        while True:
            counts = rng.poisson(lam * factor)
            child, month = np.nonzero(counts)
            reps = counts[child, month]
            child, month = np.repeat(child, reps), np.repeat(month, reps)
            exposed = is_treated(config, rollout.cohort[child], year)
            survives = ~exposed | (rng.random(len(child)) < rr)
            if target is None:
                break
            order = rng.permutation(len(child))
            child, month, exposed, survives = child[order], month[order], exposed[order], survives[order]
            if survives.sum() >= target:
                keep = prefix_hitting(survives.astype(int), target)
                child, month, exposed, survives = child[:keep], month[:keep], exposed[:keep], survives[:keep]
                break
            factor *= 1.2
        n0 = np.bincount(child, minlength=geo.n_children)
        n1 = np.bincount(child[survives], minlength=geo.n_children)
        cells.append(pd.DataFrame({"child": np.arange(geo.n_children), "year": year,
                                   "real_estate_petitions_per_10k": (n1 - n0) / pop.resident[:, yi] * 1e4}))
        recs.append((child[survives], np.full(survives.sum(), year), month[survives], np.ones(survives.sum(), int)))
        # Other categories: no planted effect, about three times the real-estate volume, labour peaks before 春节.
        lam_o = (3.2 * _re_rate(year) * pop.resident[:, yi] / 1e4 * comm)[:, None] * (_OTHER_SEASON / _OTHER_SEASON.sum())
        counts = rng.poisson(lam_o)
        c, m = np.nonzero(counts)
        reps = counts[c, m]
        recs.append((np.repeat(c, reps), np.full(reps.sum(), year), np.repeat(m, reps), np.zeros(reps.sum(), int)))

    child = np.concatenate([r[0] for r in recs])
    year = np.concatenate([r[1] for r in recs])
    month = np.concatenate([r[2] for r in recs])
    re_flag = np.concatenate([r[3] for r in recs])
    n = len(child)
    month_start = (year_start(year).astype("datetime64[M]") + month.astype("timedelta64[M]")).astype("datetime64[D]")
    month_len = ((month_start.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[D]")
                 - month_start).astype(int)
    received = month_start + (rng.random(n) * month_len).astype(int).astype("timedelta64[D]")
    cat = np.where(re_flag == 1, np.array(_RE_CATEGORIES)[rng.choice(3, n, p=_RE_P)],
                   np.array(_OTHER_CATEGORIES)[rng.choice(5, n, p=_OTHER_P)])
    concluded = received + np.rint(rng.gamma(2.0, 12.0, n) + 3).astype(int).astype("timedelta64[D]")
    cutoff = np.datetime64(f"{config.report_year}-12-31")
    concluded = np.where(concluded <= cutoff, concluded, np.datetime64("NaT"))
    group = rng.random(n) < np.where(re_flag == 1, 0.25, 0.08)
    persons = np.where(group, rng.integers(5, 31, n), rng.choice([1, 1, 1, 2, 3], n))
    order = np.lexsort((rng.random(n), received))
    recv = received[order]
    seq = pd.Series(recv.astype("datetime64[Y]")).groupby(recv.astype("datetime64[Y]")).cumcount().to_numpy() + 1
    yrs = recv.astype("datetime64[Y]").astype(int) + 1970
    table = pd.DataFrame({
        "case_id": [f"XF{y}{s:05d}" for y, s in zip(yrs, seq)],
        "community_id": label_community(geo, child[order], year[order], config.split_year),
        "received_date": fmt_date(recv),
        "category": cat[order],
        "real_estate_related": re_flag[order].astype(np.int64),
        "channel": np.array(_CHANNELS)[rng.choice(4, n, p=_CHANNEL_P)],
        "concluded_date": fmt_date(concluded[order]),
        "persons": persons[order].astype(np.int64),
    })
    table["concluded_date"] = table["concluded_date"].astype("string")
    cell_df = pd.concat(cells, ignore_index=True)
    return PetitionResult(table=table, cell_effects=cell_df[cell_df.year >= config.split_year].reset_index(drop=True))
