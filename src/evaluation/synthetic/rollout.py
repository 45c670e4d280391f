"""Staggered roll-out of the 近邻 model and the planted effect path of every outcome.

Cohorts (first year of ``jinlin_model``) follow the spec: 6 pilots in 2020, then 12, 12, 9 and the last 4 in 2024,
which are the not-yet-treated controls through 2023; there is no never-treated group. Pilots are chosen on a higher
*level* of a legacy-area quality score. The level premium lives at the legacy-parent level on purpose: the series
before the split are recorded per legacy community and carried to the 43 communities by population share, so a premium
tied to the child itself would leak into the first post-period differences of the pilots and bias any DiD.

The functions ``*_effect`` give the planted effect of each outcome for arrays of cohort ``g`` and calendar year ``t``
(event time ``e = t - g``), honouring the switches ``dynamic_effects``, ``heterogeneous_effects`` and
``anticipation_years``. Every module that generates an outcome asks here, so the planted path lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import SynthConfig
from .geography import Geography

__all__ = ["Rollout", "build_rollout", "is_treated", "satisfaction_effect_points", "on_time_effect",
           "log_time_multiplier", "rate_ratio", "volunteer_pp_effect"]

_OTHER_COMPONENTS = ("party_service_station", "community_partner", "xinwan_plan")


@dataclass(frozen=True)
class Rollout:
    cohort: np.ndarray           # first year of the model, per child community
    quality: np.ndarray          # legacy-parent quality score (drives the pilots' higher level), per child
    level_z: np.ndarray          # per child: parent quality, rescaled so pilots minus others = 1 (premium units)
    table: pd.DataFrame


def build_rollout(rng: np.random.Generator, config: SynthConfig, geo: Geography) -> Rollout:
    """Assign cohorts (pilots on a higher parent-level quality) and write ``programme_rollout``."""
    q_parent = rng.normal(0, 1, geo.n_parents)
    quality = q_parent[geo.parent_of]
    score = quality + 0.6 * rng.normal(0, 1, geo.n_children)
    order = np.argsort(-score, kind="stable")
    cohort = np.empty(geo.n_children, dtype=np.int64)
    pos = 0
    for g in sorted(config.cohorts):
        k = config.cohorts[g]
        cohort[order[pos:pos + k]] = g
        pos += k
    pilots = cohort == min(config.cohorts)
    gap = quality[pilots].mean() - quality[~pilots].mean()
    level_z = (quality - quality.mean()) / max(gap, 0.3)

    rows = []
    start_doy = rng.integers(0, 80, geo.n_children)
    for c in range(geo.n_children):
        g = int(cohort[c])
        start = pd.Timestamp(f"{g}-01-02") + pd.Timedelta(days=int(start_doy[c]))
        rows.append((geo.child_ids[c], "jinlin_model", start.strftime("%Y-%m-%d"), None))
    # Components without a planted effect: they exist so that only `jinlin_model` defines the cohort.
    station_lag = rng.integers(60, 400, geo.n_children)
    partner = rng.random(geo.n_children) < 0.6
    partner_day = rng.integers(0, 330, geo.n_children)
    for c in range(geo.n_children):
        g = int(cohort[c])
        s = pd.Timestamp(f"{g}-01-02") + pd.Timedelta(days=int(start_doy[c] + station_lag[c]))
        s = min(s, pd.Timestamp(f"{config.report_year}-12-01"))
        rows.append((geo.child_ids[c], _OTHER_COMPONENTS[0], s.strftime("%Y-%m-%d"), None))
        if partner[c]:
            s = pd.Timestamp("2022-01-10") + pd.Timedelta(days=int(partner_day[c]))
            rows.append((geo.child_ids[c], _OTHER_COMPONENTS[1], s.strftime("%Y-%m-%d"), None))
        rows.append((geo.child_ids[c], _OTHER_COMPONENTS[2], "2021-03-01", "2023-12-31"))
    table = pd.DataFrame(rows, columns=["community_id", "component", "start_date", "end_date"])
    table = table.sort_values(["community_id", "component", "start_date"], kind="stable").reset_index(drop=True)
    table["end_date"] = table["end_date"].astype("string")
    return Rollout(cohort=cohort, quality=quality, level_z=level_z, table=table)


def is_treated(config: SynthConfig, g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Exposed to the programme (including anticipation years, if that violation is switched on)."""
    return np.asarray(t) >= np.asarray(g) - config.anticipation_years


def _e(g, t):
    return np.asarray(t) - np.asarray(g)


def satisfaction_effect_points(config: SynthConfig, g, t, migrant) -> np.ndarray:
    """Planted shift of the satisfaction index (points) for a person of hukou ``migrant`` (0/1)."""
    e = _e(g, t)
    eff = np.full(np.broadcast(e, np.asarray(migrant)).shape, config.satisfaction_e0, dtype=float)
    post = e >= 0
    if config.dynamic_effects:
        eff = eff + config.satisfaction_slope_per_year * np.where(post, e, 0)
    if config.heterogeneous_effects:
        first = min(config.cohorts)
        eff = eff + np.where(post, config.satisfaction_cohort_2020_extra * (np.asarray(g) == first)
                             + config.satisfaction_migrant_extra * np.asarray(migrant), 0.0)
    return np.where(is_treated(config, g, t), eff, 0.0)


def on_time_effect(config: SynthConfig, g, t) -> np.ndarray:
    """Planted change of the probability of closing by the deadline (a share, not pp)."""
    e = _e(g, t)
    pp = np.where((e >= 1) & config.dynamic_effects, config.on_time_pp_e1plus, config.on_time_pp_e0)
    return np.where(is_treated(config, g, t), pp / 100.0, 0.0)


def log_time_multiplier(config: SynthConfig, g, t) -> np.ndarray:
    """Planted log of the accelerated-failure-time multiplier of the time to close."""
    e = _e(g, t)
    m = np.log(np.asarray(config.time_to_close_multiplier, dtype=float))
    idx = np.clip(e, 0, 2) if config.dynamic_effects else np.zeros_like(e)
    return np.where(is_treated(config, g, t), m[idx], 0.0)


def rate_ratio(config: SynthConfig, g, t, ratio: float) -> np.ndarray:
    """A constant rate ratio while exposed, 1 otherwise."""
    return np.where(is_treated(config, g, t), ratio, 1.0)


def volunteer_pp_effect(config: SynthConfig, g, t) -> np.ndarray:
    """Extra registrations in year t, as a share of residents (the stock effect cumulates over exposed years)."""
    return np.where(is_treated(config, g, t), config.volunteer_registration_pp_per_year / 100.0, 0.0)
