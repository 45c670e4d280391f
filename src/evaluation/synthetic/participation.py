"""Synthetic participation: activities, organisations (CSOs, volunteer teams, community funds), volunteers, service hours.

Activities arrive per community-year at a rate per 1,000 residents times the planted rate ratio while exposed; each
candidate of an exposed community also exists without the programme with probability 1/RR (thinning), which gives the
potential outcome ``Y(0)`` from the same draws. The report year's pool is thinned uniformly to the exact count, and its
attendance is scaled to the published person-times. Volunteer registration has a base flow plus, while exposed,
programme-induced registrations of ``volunteer_registration_pp_per_year`` % of residents a year; the induced ones are
flagged internally, so the stock effect on the registration rate is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._util import fmt_date, hex_keys, prefix_hitting, random_datetimes
from .config import SynthConfig
from .geography import Geography, label_community
from .population import PopulationModel, round_to_total
from .rollout import Rollout, is_treated, rate_ratio, volunteer_pp_effect

__all__ = ["ParticipationResult", "build_activities", "build_organisations", "build_volunteers",
           "build_service_hours"]

_ACTIVITY_TYPES = ("convenience_service", "xinwan_tongxin_trip", "neighbourhood_festival", "culture_sports",
                   "consultation", "training", "care_support")
_ACTIVITY_P = (0.28, 0.10, 0.12, 0.20, 0.10, 0.10, 0.10)
_ORGANISERS = ("party_branch", "residents_committee", "cso", "volunteer_team", "paired_unit")  # first two: government
_TARGETS = ("all", "elderly", "children", "migrants", "families")
_TARGET_P = (0.45, 0.20, 0.15, 0.10, 0.10)
_VENUES = ("district", "street", "community", "estate")
_VENUE_P = (0.03, 0.07, 0.55, 0.35)
_CO_ORGANISERS = ("结对共建单位", "社区社会组织", "志愿服务队", "物业服务企业", "辖区学校")
_POOL_FACTOR = 1.15


@dataclass(frozen=True)
class ParticipationResult:
    table: pd.DataFrame
    child: np.ndarray                 # internal: the current-community index of every row
    cell_effects: pd.DataFrame | None = None


def build_activities(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                     rollout: Rollout) -> ParticipationResult:
    """Activities of the event years; cell effects are activities per 1,000 residents, Y(1) - Y(0)."""
    y0 = int(pop.years[0])
    comm = np.exp(rng.normal(0, 0.25, geo.n_children))
    ratio = config.activities_rate_ratio
    parts, cells = [], []
    for year in range(config.event_first_year, config.report_year + 1):
        yi = year - y0
        rr = rate_ratio(config, rollout.cohort, year, ratio)
        lam = 1.75 * np.exp(0.04 * (year - config.report_year)) * pop.resident[:, yi] / 1000 * comm * rr
        target = config.activities if year == config.report_year else None
        factor = _POOL_FACTOR if target is not None else 1.0
        while True:
            child = np.repeat(np.arange(geo.n_children), rng.poisson(lam * factor))
            child = child[rng.permutation(len(child))]
            if target is None or len(child) >= target:
                break
            factor *= 1.2
        if target is not None:
            child = child[:prefix_hitting(np.ones(len(child), int), target)]
        exposed = is_treated(config, rollout.cohort[child], year)
        in_control = ~exposed | (rng.random(len(child)) < 1 / ratio)
        n1 = np.bincount(child, minlength=geo.n_children)
        n0 = np.bincount(child[in_control], minlength=geo.n_children)
        cells.append(pd.DataFrame({"child": np.arange(geo.n_children), "year": year,
                                   "activities_per_1k": (n1 - n0) / pop.resident[:, yi] * 1000}))
        n = len(child)
        att = np.maximum(5, np.rint(rng.lognormal(np.log(50), 0.6, n)
                                    * np.where(exposed, config.attendance_per_activity_ratio, 1.0)))
        if target is not None:
            att = _scale_to_total(rng, att, config.attendance_person_times)
        # Co-organised (多元共治) = a non-government organiser or named co-organisers; the planted effect is on this
        # share. Activities that are not co-organised are run by the party branch or residents' committee alone.
        co = rng.random(n) < 0.30 + exposed * config.co_organised_share_pp / 100
        gov = np.array(_ORGANISERS[:2])[rng.integers(0, 2, n)]
        nongov = np.array(_ORGANISERS[2:])[rng.integers(0, 3, n)]
        how = rng.random(n)                      # < 0.4: non-government organiser only; < 0.7: both; else named only
        organiser = np.where(co & (how < 0.7), nongov, gov)
        named = co & (how >= 0.4)
        k_co = rng.integers(1, 3, n)
        co_names = np.array(_CO_ORGANISERS, dtype=object)
        first, second = rng.integers(0, len(co_names), n), rng.integers(1, len(co_names), n)
        names = np.where(k_co == 2, co_names[first] + "；" + co_names[(first + second) % len(co_names)],
                         co_names[first])
        parts.append(pd.DataFrame({
            "child": child, "year": year, "when": random_datetimes(rng, np.full(n, year), 0.2, 280),
            "activity_type": np.array(_ACTIVITY_TYPES)[rng.choice(7, n, p=_ACTIVITY_P)],
            "attendance": att.astype(np.int64),
            "organiser_type": organiser,
            "co_organisers": np.where(named, names, None),
            "target_group": np.array(_TARGETS)[rng.choice(5, n, p=_TARGET_P)],
            "venue_level": np.array(_VENUES)[rng.choice(4, n, p=_VENUE_P)],
        }))
    acts = pd.concat(parts, ignore_index=True)
    acts = acts.sort_values("when", kind="stable").reset_index(drop=True)
    acts["date"] = fmt_date(acts["when"].to_numpy())
    seq = acts.groupby("year").cumcount() + 1
    table = pd.DataFrame({
        "activity_id": [f"A{y}{s:05d}" for y, s in zip(acts["year"], seq)],
        "community_id": label_community(geo, acts["child"].to_numpy(), acts["year"].to_numpy(), config.split_year),
        "date": acts["date"],
        "activity_type": acts["activity_type"],
        "attendance": acts["attendance"],
        "organiser_type": acts["organiser_type"],
        "co_organisers": acts["co_organisers"].astype("string"),
        "target_group": acts["target_group"],
        "venue_level": acts["venue_level"],
    })
    cell_df = pd.concat(cells, ignore_index=True)
    return ParticipationResult(table=table, child=acts["child"].to_numpy(),
                               cell_effects=cell_df[cell_df.year >= config.split_year].reset_index(drop=True))


def _scale_to_total(rng: np.random.Generator, att: np.ndarray, total: int) -> np.ndarray:
    """Scale positive counts to an exact total, keeping each >= 1 (largest-remainder rounding)."""
    out = round_to_total(att.astype(float), total)
    low = out < 1
    if low.any():  # cannot happen for realistic totals; kept so the invariant is explicit
        raise ValueError("attendance total too small for the number of activities")
    return out


def build_organisations(rng: np.random.Generator, config: SynthConfig, geo: Geography,
                        pop: PopulationModel) -> ParticipationResult:
    """CSOs, volunteer teams and community funds: exact active counts at the end of the report year, plus dissolved
    ones; the active funds' ``funds_raised_cny`` sum exactly to the published inflow."""
    ry = config.report_year
    w = pop.resident[:, -1].astype(float)
    rows = []
    spec = (("cso", "SO", config.csos_active, 70, 2012), ("volunteer_team", "VT", config.volunteer_teams_active, 90, 2012),
            ("community_fund", "CF", config.community_funds, 1, 2021))
    for org_type, prefix, n_active, n_gone, first in spec:
        n = n_active + n_gone
        active = np.r_[np.ones(n_active, bool), np.zeros(n_gone, bool)]
        if org_type == "community_fund":
            child = np.r_[rng.choice(geo.n_children, n_active, replace=False, p=w / w.sum()),
                          rng.choice(geo.n_children, n_gone)]
        else:
            child = rng.choice(geo.n_children, n, p=w / w.sum())
        span = (np.datetime64(f"{ry}-12-31") - np.datetime64(f"{first}-01-01")).astype(int)
        founded = np.datetime64(f"{first}-01-01") + (span * rng.beta(1.8, 1.0, n)).astype(int).astype("timedelta64[D]")
        founded = np.where(active, founded, np.minimum(founded, np.datetime64(f"{ry - 1}-06-30")))
        life = rng.integers(300, 2500, n).astype("timedelta64[D]")
        dissolved = np.minimum(founded + life, np.datetime64(f"{ry}-12-31"))
        dissolved = np.where(active, np.datetime64("NaT"), dissolved)
        members = np.where(org_type == "community_fund", rng.integers(5, 16, n),
                           np.maximum(5, np.rint(rng.lognormal(np.log(25 if org_type == "cso" else 35), 0.5, n))))
        if org_type == "community_fund":
            units = round_to_total(rng.dirichlet(np.full(n_active, 3.0)), config.fund_inflow_cny // 100)
            funds = np.r_[units * 100 + 0.0, np.rint(rng.uniform(200, 600, n_gone)) * 100.0]
            extra = config.fund_inflow_cny - int(units.sum()) * 100          # sub-100 remainder, if any
            funds[0] += extra
        else:
            funds = np.full(n, np.nan)
        fy = founded.astype("datetime64[Y]").astype(int) + 1970
        order = np.argsort(founded, kind="stable")
        for i, k in enumerate(order):
            rows.append((f"{prefix}{i + 1:04d}", int(child[k]), int(fy[k]), org_type, founded[k], dissolved[k],
                         int(members[k]), funds[k]))
    orgs = pd.DataFrame(rows, columns=["org_id", "child", "fy", "org_type", "founded", "dissolved", "members",
                                       "funds_raised_cny"])
    table = pd.DataFrame({
        "org_id": orgs["org_id"],
        "community_id": label_community(geo, orgs["child"].to_numpy(), orgs["fy"].to_numpy(), config.split_year),
        "org_type": orgs["org_type"],
        "founded": fmt_date(orgs["founded"].to_numpy()),
        "dissolved": fmt_date(orgs["dissolved"].to_numpy().astype("datetime64[D]")),
        "members": orgs["members"].astype(np.int64),
        "funds_raised_cny": orgs["funds_raised_cny"],
    })
    table["dissolved"] = table["dissolved"].astype("string")
    return ParticipationResult(table=table, child=orgs["child"].to_numpy())


def build_volunteers(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                     rollout: Rollout, organisations: ParticipationResult) -> ParticipationResult:
    """Registered volunteers with returned party members (exact count) and the planted registration effect."""
    y0 = int(pop.years[0])
    child_l, year_l, induced_l = [], [], []
    for year in pop.years:
        yi = int(year) - y0
        base = rng.poisson(0.0035 * (1 + 0.06 * (year - y0)) * pop.resident[:, yi])
        extra = rng.poisson(volunteer_pp_effect(config, rollout.cohort, int(year)) * pop.resident[:, yi])
        for counts, flag in ((base, False), (extra, True)):
            child_l.append(np.repeat(np.arange(geo.n_children), counts))
            year_l.append(np.full(counts.sum(), int(year)))
            induced_l.append(np.full(counts.sum(), flag))
    child, year, induced = np.concatenate(child_l), np.concatenate(year_l), np.concatenate(induced_l)
    n = len(child)
    registered = random_datetimes(rng, year, 0.1, 60).astype("datetime64[D]")

    # Returned party members (回社区报到): exactly the published number, mostly registered after the campaign began.
    eligible = np.flatnonzero(year >= config.split_year - 1)
    weight = np.where(year[eligible] >= config.split_year, 1.0, 0.4)
    returned = np.zeros(n, bool)
    returned[rng.choice(eligible, config.returned_party_members, replace=False, p=weight / weight.sum())] = True
    party = returned | (rng.random(n) < 0.06)

    # Team membership: a volunteer team of the same area that existed when the volunteer registered.
    teams = organisations.table.assign(child=organisations.child)
    teams = teams[teams.org_type == "volunteer_team"]
    t_found = pd.to_datetime(teams["founded"]).to_numpy().astype("datetime64[D]")
    t_diss = pd.to_datetime(teams["dissolved"]).to_numpy().astype("datetime64[D]")
    team_id = np.full(n, None, dtype=object)
    join = rng.random(n) < 0.6
    pick = rng.random(n)
    for c in range(geo.n_children):
        mine = np.flatnonzero(teams["child"].to_numpy() == c)
        who = np.flatnonzero((child == c) & join)
        if len(mine) == 0 or len(who) == 0:
            continue
        ok = (t_found[mine][None, :] <= registered[who][:, None]) & (
            np.isnat(t_diss[mine])[None, :] | (t_diss[mine][None, :] > registered[who][:, None]))
        k_ok = ok.sum(axis=1)
        choice = np.minimum((pick[who] * k_ok).astype(int), np.maximum(k_ok - 1, 0))
        idx = np.argmax(np.cumsum(ok, axis=1) > choice[:, None], axis=1)
        team_id[who[k_ok > 0]] = teams["org_id"].to_numpy()[mine][idx[k_ok > 0]]

    order = np.argsort(registered, kind="stable")
    table = pd.DataFrame({
        "person_key": hex_keys(rng, n, "P", 10),
        "community_id": label_community(geo, child, year, config.split_year),
        "registered": fmt_date(registered),
        "is_party_member": party.astype(np.int64),
        "returned_party_member": returned.astype(np.int64),
        "team_id": team_id,
    }).iloc[order].reset_index(drop=True)
    table["team_id"] = table["team_id"].astype("string")

    # Stock effect: programme-induced registrations up to the end of year t, per 100 residents.
    cells = []
    for t in range(config.split_year, config.report_year + 1):
        k = np.bincount(child[induced & (year <= t)], minlength=geo.n_children)
        cells.append(pd.DataFrame({"child": np.arange(geo.n_children), "year": t,
                                   "volunteer_rate": k / pop.resident[:, t - y0] * 100}))
    return ParticipationResult(table=table, child=child[order], cell_effects=pd.concat(cells, ignore_index=True))


def build_service_hours(rng: np.random.Generator, config: SynthConfig, volunteer_result: ParticipationResult,
                        activity_result: ParticipationResult) -> pd.DataFrame:
    """Service records of the report year and the year before; half are tied to an activity of the same area."""
    volunteers, activities = volunteer_result.table, activity_result.table
    v_child = volunteer_result.child
    reg = pd.to_datetime(volunteers["registered"]).to_numpy().astype("datetime64[D]")
    a_child = activity_result.child
    a_date = pd.to_datetime(activities["date"]).to_numpy().astype("datetime64[D]")
    a_year = a_date.astype("datetime64[Y]").astype(int) + 1970
    frames = []
    for year in (config.report_year - 1, config.report_year):
        end = np.datetime64(f"{year}-12-31")
        start = np.datetime64(f"{year}-01-01")
        who = np.flatnonzero(reg <= end)
        active = rng.random(len(who)) < np.where(volunteers["returned_party_member"].to_numpy()[who] == 1, 0.7, 0.35)
        who = who[active]
        k = np.maximum(1, rng.poisson(3.0, len(who)))
        person = np.repeat(who, k)
        m = len(person)
        lo = np.maximum(reg[person], start)
        span = (end - lo).astype(int) + 1
        date = lo + (rng.random(m) * span).astype(int).astype("timedelta64[D]")
        hours = rng.choice([1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0], m)
        act = np.full(m, None, dtype=object)
        link = rng.random(m) < 0.5
        pick = rng.random(m)
        ids = activities["activity_id"].to_numpy()
        for c in np.unique(v_child[person]):
            pool = np.flatnonzero((a_child == c) & (a_year == year))
            rows = np.flatnonzero((v_child[person] == c) & link)
            if len(pool) == 0 or len(rows) == 0:
                continue
            j = pool[(pick[rows] * len(pool)).astype(int)]
            ok = a_date[j] >= reg[person[rows]]
            act[rows[ok]] = ids[j[ok]]
            date[rows[ok]] = a_date[j[ok]]
        frames.append(pd.DataFrame({"person_key": volunteers["person_key"].to_numpy()[person], "date": fmt_date(date),
                                    "hours": hours, "activity_id": act}))
    table = pd.concat(frames, ignore_index=True).sort_values(["date", "person_key"], kind="stable")
    table = table.reset_index(drop=True)
    table["activity_id"] = table["activity_id"].astype("string")
    return table
