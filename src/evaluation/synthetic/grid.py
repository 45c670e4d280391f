"""Synthetic grid events (网格事件) and grid staff (网格员).

Volume. Events are reported at a rate per 1,000 residents that rises over time, times a community factor, times the
planted reporting rate ratio while exposed ("more eyes": more reports is not deterioration). The report year's pool is
drawn about 12 % larger and thinned uniformly at random to exactly the target of events closed in that year.

Handling. For each event one uniform ``u`` drives both whether it is closed by the deadline and its time to close, so
the two planted effects stay coherent: on-time closure is ``u < p_ct + delta_e`` (planted pp effect) and the time to
close is a lognormal accelerated-failure-time model, ``log T = mu + log m_e + sigma * Phi^-1(u)``, with ``mu`` set so
that ``P(T <= deadline) = p_ct`` without the programme (Kalbfleisch & Prentice 2002, ch. 2.3). Where the AFT time and
the on-time draw disagree (a thin band of ``u``), the event is closed just before (or just after) the deadline, the
deadline-chasing seen in real grid data. Callbacks use the planted log-odds for "satisfied" among reached residents.
Events still open at the data cut-off keep an empty ``closed_at`` (censored, not dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from ._util import fmt_date, fmt_datetime, hex_keys, prefix_hitting, random_datetimes, year_start
from .config import SynthConfig
from .geography import STREETS, Geography, label_community
from .population import PopulationModel
from .rollout import Rollout, is_treated, log_time_multiplier, on_time_effect, rate_ratio

__all__ = ["GridResult", "build_grid_events", "build_grid_staff", "DEPARTMENTS"]

_URGENCY = {  # P(urgent, general, complex) by category
    "dispute": (0.10, 0.60, 0.30), "safety": (0.50, 0.40, 0.10), "sanitation": (0.10, 0.85, 0.05),
    "municipal": (0.15, 0.70, 0.15), "property_mgmt": (0.05, 0.75, 0.20), "real_estate": (0.0, 0.30, 0.70),
    "labour": (0.05, 0.45, 0.50), "public_order": (0.40, 0.50, 0.10), "livelihood": (0.10, 0.70, 0.20),
    "other": (0.05, 0.85, 0.10),
}
_SOURCES = ("grid_patrol", "resident_report", "hotline_12345", "app", "department_transfer")
_SOURCE_P = (0.45, 0.20, 0.20, 0.10, 0.05)
DEPARTMENTS = (
    "区公安分局", "区住房和城乡建设局", "区城市管理和综合执法局", "区卫生健康局", "区教育局", "区民政局",
    "区人力资源和社会保障局", "区市场监督管理局", "区应急管理局", "区生态环境分局", "区交通运输局", "区司法局",
    "区自然资源分局", "区消防救援大队", "区信访局", "区退役军人事务局", "区文化广电旅游体育局", "区水务局",
)
_FORMER_DEPARTMENT = "区海洋与渔业局"   # appears only among staff who have left: the counting rule must skip it
_SIGMA = 0.8
_POOL_FACTOR = 1.12
_ONTIME_LEVEL = 0.0      # no level tied to the pilots here: with a common trend on the logit scale, a level would bend trends
_ONTIME_TREND = 0.06     # logit of the on-time probability drifts up everywhere
_STUCK = 0.15            # share of the late band that is escalated and drags on


@dataclass(frozen=True)
class GridResult:
    table: pd.DataFrame
    cell_effects: pd.DataFrame      # child, year, on_time_rate, log_time_to_close


def _draw_year(rng, config, geo, pop, rollout, comm_rate, year, factor):
    yi = year - int(pop.years[0])
    base = 28.9 * np.exp(0.035 * (year - config.report_year))
    rr = rate_ratio(config, rollout.cohort, year, config.events_reported_rate_ratio)
    lam = base * pop.resident[:, yi] / 1000 * comm_rate * rr
    n = rng.poisson(lam.sum() * factor)
    child = rng.choice(geo.n_children, size=n, p=lam / lam.sum())
    return child, np.full(n, year)


def build_grid_events(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                      rollout: Rollout) -> GridResult:
    """Every grid event of the event years, with potential outcomes of on-time closure and time to close."""
    years = np.arange(config.event_first_year, config.report_year + 1)
    comm_rate = np.exp(rng.normal(0, 0.2, geo.n_children))
    comm_ontime = rng.normal(0, 0.35, geo.n_children) + _ONTIME_LEVEL * rollout.level_z
    shock = rng.normal(0, 0.12, (geo.n_children, len(pop.years)))
    cats = np.array(list(config.grid_categories))
    cat_p = np.array(list(config.grid_categories.values()), float)
    dl_hours = np.array([config.deadline_hours[k] for k in ("urgent", "general", "complex")], float)
    cutoff = np.datetime64(config.data_cutoff.replace(" ", "T"), "s")

    def attributes(child, year):
        n = len(child)
        reported = random_datetimes(rng, year, season=0.15, peak_day=200)
        cat = rng.choice(len(cats), size=n, p=cat_p / cat_p.sum())
        urg_p = np.array([_URGENCY[c] for c in cats])[cat]
        urg = (rng.random(n)[:, None] > np.cumsum(urg_p, axis=1)).sum(axis=1)
        dl = dl_hours[urg]
        g = rollout.cohort[child]
        yi = year - int(pop.years[0])
        p = expit(1.6 + comm_ontime[child] + _ONTIME_TREND * (year - 2021) + shock[child, yi] - 0.3 * (urg == 0))
        delta = on_time_effect(config, g, year)
        logm = log_time_multiplier(config, g, year)
        u = np.clip(rng.random(n), 1e-6, 1 - 1e-6)
        jit = rng.random(n)
        mu = np.log(dl) - _SIGMA * ndtri(p)

        def closure(on_time, log_mult):
            t = np.exp(mu + log_mult + _SIGMA * ndtri(u))
            t = np.where(on_time & (t > dl), dl * (1 - 0.15 * jit), t)
            t = np.where(~on_time & (t <= dl), dl * (1 + 0.3 * jit), t)
            return np.maximum(t, 5 / 60)

        on0 = u < p
        on1 = u < np.minimum(p + delta, 0.995)
        t0, t1 = closure(on0, 0.0), closure(on1, logm)
        # The slowest cases (top of the late band, late with or without the programme) are escalated and drag on:
        # a heavy tail, some still open at the cut-off. Defined on u alone, so Y(0) does not depend on treatment.
        max_delta = max(config.on_time_pp_e0, config.on_time_pp_e1plus) / 100 + 0.005
        stuck = u > np.maximum(1 - _STUCK * (1 - p), p + max_delta)
        drag = np.where(stuck, rng.uniform(3, 12, n), 1.0)
        cap = 3000 + 1500 * rng.random(n)            # even escalated cases close within about half a year
        t0, t1 = np.minimum(t0 * drag, cap), np.minimum(t1 * drag, cap)
        secs = np.rint(t1 * 3600).astype(np.int64)
        closed = reported + secs.astype("timedelta64[s]")
        deadline = reported + (dl * 3600).astype(np.int64).astype("timedelta64[s]")
        return dict(child=child, year=year, reported=reported, cat=cat, deadline=deadline, closed=closed,
                    on0=on0, on1=on1, t0=t0, t1=t1, treated=is_treated(config, g, year),
                    u_cb=rng.random((n, 2)), src=rng.choice(len(_SOURCES), size=n, p=_SOURCE_P),
                    grid_u=rng.random(n), status_u=rng.random(n))

    parts = []
    for year in years[years < config.report_year]:
        parts.append(attributes(*_draw_year(rng, config, geo, pop, rollout, comm_rate, int(year), 1.0)))
    earlier = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ry_start = year_start(config.report_year)
    already = int(((earlier["closed"] >= ry_start) & (earlier["closed"] <= cutoff)).sum())
    need = config.grid_events_closed - already
    factor = _POOL_FACTOR
    while True:
        pool = attributes(*_draw_year(rng, config, geo, pop, rollout, comm_rate, config.report_year, factor))
        order = rng.permutation(len(pool["child"]))
        pool = {k: v[order] for k, v in pool.items()}
        closed_in = (pool["closed"] <= cutoff).astype(int)
        if closed_in.sum() >= need:
            keep = prefix_hitting(closed_in, need)
            pool = {k: v[:keep] for k, v in pool.items()}
            break
        factor *= 1.1
    ev = {k: np.concatenate([earlier[k], pool[k]]) for k in earlier}

    # Chronological order and ids (ties broken by the draw order, which is itself deterministic).
    order = np.argsort(ev["reported"], kind="stable")
    ev = {k: v[order] for k, v in ev.items()}
    is_closed = ev["closed"] <= cutoff
    late = ev["closed"] > ev["deadline"]
    ids = label_community(geo, ev["child"], ev["year"], config.split_year)
    seq = pd.Series(ev["year"]).groupby(ev["year"]).cumcount().to_numpy() + 1
    event_id = np.array([f"E{y}{s:06d}" for y, s in zip(ev["year"], seq)], dtype=object)
    popl = pop.population.set_index(["community_id", "year"])["resident_pop"]
    n_grids = np.maximum(3, np.rint(popl.reindex(pd.MultiIndex.from_arrays([ids, ev["year"]])).to_numpy() / 1100))
    grid_k = (ev["grid_u"] * n_grids).astype(int) + 1
    grid_id = np.array([f"{c}-G{k:02d}" for c, k in zip(ids, grid_k)], dtype=object)

    u1, u2 = ev["u_cb"][:, 0], ev["u_cb"][:, 1]
    p_sat = expit(0.9 + config.callback_satisfied_logodds * ev["treated"] - 0.8 * late)
    p_basic = (1 - p_sat) * np.where(late, 0.5, 0.7)
    callback = np.where(u1 < 0.10, "not_reached",
                        np.where(u2 < p_sat, "satisfied", np.where(u2 < p_sat + p_basic, "basically", "dissatisfied")))
    callback = np.where(is_closed, callback, None).astype(object)
    status = np.where(is_closed, "closed", np.where(ev["status_u"] < 0.7, "in_progress", "open"))
    closed_at = np.where(is_closed, ev["closed"], np.datetime64("NaT"))

    table = pd.DataFrame({
        "event_id": event_id,
        "community_id": ids,
        "grid_id": grid_id,
        "category": cats[ev["cat"]],
        "source": np.array(_SOURCES)[ev["src"]],
        "reported_at": fmt_datetime(ev["reported"]),
        "deadline_at": fmt_datetime(ev["deadline"]),
        "closed_at": fmt_datetime(closed_at),
        "status": status,
        "callback": callback,
    })
    for c in ("closed_at", "callback"):
        table[c] = table[c].astype("string")

    # Potential-outcome differences per child community and year (post-split years only; truth uses g <= t).
    due_year = ev["deadline"].astype("datetime64[Y]").astype(int) + 1970
    on = pd.DataFrame({"child": ev["child"], "year": due_year,
                       "on_time_rate": ev["on1"].astype(float) - ev["on0"].astype(float)})
    lt = pd.DataFrame({"child": ev["child"], "year": ev["year"],
                       "log_time_to_close": np.log(ev["t1"]) - np.log(ev["t0"])})
    cells = (on[on.year >= config.split_year].groupby(["child", "year"]).mean()
             .join(lt[lt.year >= config.split_year].groupby(["child", "year"]).mean(), how="outer").reset_index())
    return GridResult(table=table, cell_effects=cells)


def build_grid_staff(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel) -> pd.DataFrame:
    """Grid staff: exactly ``grid_staff`` active at the end of the report year, of whom the department specialists come
    from exactly ``departments_sent_down`` departments; staff who left (one from a since-merged department) are kept."""
    n_active = config.grid_staff
    n_left = int(round(0.12 * n_active))
    n = n_active + n_left
    active = np.r_[np.ones(n_active, bool), np.zeros(n_left, bool)]
    ry = config.report_year
    w = pop.resident[:, -1].astype(float)
    child = rng.choice(geo.n_children, size=n, p=w / w.sum())
    specialist = rng.random(n) < 0.26
    k_dep = config.departments_sent_down
    deps = np.array(DEPARTMENTS[:k_dep], dtype=object)
    dept = deps[rng.integers(0, k_dep, n)]
    act_spec = np.flatnonzero(active & specialist)
    dept[act_spec[:k_dep]] = deps                       # every department is represented among active specialists
    left_spec = np.flatnonzero(~active & specialist)
    dept[left_spec[: max(1, len(left_spec) // 4)]] = _FORMER_DEPARTMENT
    street_office = np.array([STREETS[s] + "街道办事处" for s in geo.street_of_parent[geo.parent_of]], dtype=object)
    dept = np.where(specialist, dept, street_office[child])
    start = np.datetime64(f"{config.split_year - 1}-03-01")
    span = (np.datetime64(f"{ry}-12-31") - start).astype(int)
    joined = start + (span * rng.beta(1.0, 1.8, n)).astype(int).astype("timedelta64[D]")
    left_gap = rng.integers(60, 1500, n).astype("timedelta64[D]")
    left = np.minimum(joined + left_gap, np.datetime64(f"{ry}-12-31"))
    joined = np.where(~active, np.minimum(joined, np.datetime64(f"{ry}-10-01")), joined)
    left = np.where(active, np.datetime64("NaT"), np.maximum(left, joined + np.timedelta64(30, "D")))
    jy = joined.astype("datetime64[Y]").astype(int) + 1970
    order = np.argsort(joined, kind="stable")
    table = pd.DataFrame({
        "staff_key": hex_keys(rng, n, "G", 8),
        "community_id": label_community(geo, child, jy, config.split_year),
        "staff_type": np.where(specialist, "department_specialist", "street_cadre"),
        "department": dept,
        "joined": fmt_date(joined),
        "left": fmt_date(left),
    }).iloc[order].reset_index(drop=True)
    table["left"] = table["left"].astype("string")
    return table
