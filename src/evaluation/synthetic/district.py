"""Assemble the synthetic district: every contract table, the truth of the planted effects, and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .comparison import ComparisonPanel, build_comparison, district_levels
from .config import HEADLINE_KEYS, SynthConfig
from .geography import build_geography
from .grid import build_grid_events, build_grid_staff
from .organisation import build_committee_members, build_community_workers, build_joint_meetings, build_pairings
from .participation import build_activities, build_organisations, build_service_hours, build_volunteers
from .petitions import build_petitions
from .pii import add_pii
from .population import build_population
from .rollout import build_rollout
from .stations import build_residential_points, build_stations
from .survey import build_latent, build_survey
from .truth import aggregate_dynamic, aggregate_simple, att_gt

__all__ = ["SyntheticDistrict", "generate_district", "headline_figures", "TABLE_ORDER", "DISTRICT_TABLES",
           "GENERATOR_VERSION", "NOTICE", "IMPACT_OUTCOMES"]

GENERATOR_VERSION = "1.0.0"
NOTICE = "合成数据 / SYNTHETIC DATA — not a real district"
TABLE_ORDER = (
    "communities", "community_lineage", "population", "population_margins", "programme_rollout", "survey_responses",
    "activities", "organisations", "volunteers", "service_hours", "grid_events", "petitions", "service_stations",
    "residential_points", "community_workers", "pairings", "committee_members", "joint_meetings", "grid_staff",
)
# Tables with one row per district and year, outside the community namespace (optional: a knob turns them off).
# Kept apart from TABLE_ORDER because the region generator stacks the community tables of many districts.
DISTRICT_TABLES = ("district_panel",)
# Independent random streams, one per table (spawned in this fixed order; append new ones at the end only).
_STREAMS = ("geography", "population", "rollout", "latent", "survey", "grid_events", "grid_staff", "petitions",
            "activities", "organisations", "volunteers", "service_hours", "pairings", "committee_members",
            "joint_meetings", "community_workers", "residential_points", "service_stations", "pii", "comparison")
IMPACT_OUTCOMES: dict[str, str] = {
    "satisfaction_index": "community-wave mean of the satisfaction index (0-100), respondents of the wave",
    "on_time_rate": "share of events due (deadline_at) in the year closed by the deadline, realised events",
    "log_time_to_close": "mean log hours from report to close, events reported in the year",
    "real_estate_petitions_per_10k": "real-estate-related petitions received in the year per 10,000 residents",
    "participation_rate": "share of respondents with q_participated_12m == 1",
    "volunteer_rate": "registered volunteers (registered <= year end) per 100 residents",
    "activities_per_1k": "activities dated in the year per 1,000 residents",
}


@dataclass(frozen=True)
class SyntheticDistrict:
    """A generated district: contract tables (English columns), truth (dotted key -> {"value": ...}) and metadata;
    ``comparison`` keeps the comparison districts' potential outcomes and true weights (None when switched off)."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)
    comparison: ComparisonPanel | None = None


def _active(start: pd.Series, end: pd.Series | None, year: int) -> pd.Series:
    """Active at the end of ``year``: start <= Y-12-31 and (end empty or end > Y-12-31) (docs/conventions.md)."""
    ye = pd.Timestamp(f"{year}-12-31")
    ok = pd.to_datetime(start) <= ye
    if end is not None:
        e = pd.to_datetime(end)
        ok &= e.isna() | (e > ye)
    return ok


def headline_figures(tables: dict[str, pd.DataFrame], year: int) -> dict[str, float]:
    """Recount the headline figures of ``docs/conventions.md`` from the tables for report year ``year``."""
    t = tables
    y = str(year)
    out: dict[str, float] = {}
    p = t["pairings"]
    out["organisation.paired_units.count"] = p.loc[_active(p.start_date, p.end_date, year), "unit_name"].nunique()
    v = t["volunteers"]
    out["organisation.returned_party_members.count"] = int(
        ((v.returned_party_member == 1) & _active(v.registered, None, year)).sum())
    c = t["committee_members"]
    out["organisation.part_time_committee_members.count"] = int(_active(c.appointed, c["left"], year).sum())
    j = t["joint_meetings"]
    in_y = j.date.str.startswith(y)
    out["organisation.joint_meetings.count"] = int(in_y.sum())
    out["organisation.issues_resolved.count"] = int(j.loc[in_y, "issues_resolved"].sum())
    w = t["community_workers"]
    act = _active(w.hired, w["left"], year)
    n_w = int(act.sum())
    out["organisation.community_workers.count"] = n_w
    out["organisation.workers_promoted.rate"] = float(w.loc[act, "promoted_year"].between(year - 2, year).sum()) / n_w
    out["organisation.workers_certified.rate"] = float((w.loc[act, "certified"] == 1).sum()) / n_w
    g = t["grid_staff"]
    ga = _active(g.joined, g["left"], year)
    out["organisation.departments_sent_down.count"] = g.loc[ga & (g.staff_type == "department_specialist"),
                                                            "department"].nunique()
    out["grid.staff.count"] = int(ga.sum())
    o = t["organisations"]
    oa = _active(o.founded, o.dissolved, year)
    out["participation.csos_active.count"] = int((oa & (o.org_type == "cso")).sum())
    out["participation.volunteer_teams_active.count"] = int((oa & (o.org_type == "volunteer_team")).sum())
    out["participation.community_funds.count"] = int((oa & (o.org_type == "community_fund")).sum())
    out["participation.fund_inflow_cny.total"] = float(o.loc[oa & (o.org_type == "community_fund"),
                                                             "funds_raised_cny"].sum())
    a = t["activities"]
    a_in = a.date.str.startswith(y)
    out["participation.activities.count"] = int(a_in.sum())
    out["participation.attendance.person_times"] = int(a.loc[a_in, "attendance"].sum())
    e = t["grid_events"]
    out["grid.events_closed.count"] = int(((e.status == "closed") & e.closed_at.str.startswith(y).fillna(False)).sum())
    pt = t["petitions"]
    re_ = pt.real_estate_related == 1
    cur = int((re_ & pt.received_date.str.startswith(y)).sum())
    prev = int((re_ & pt.received_date.str.startswith(str(year - 1))).sum())
    out["petitions.real_estate.count"] = cur
    out["petitions.real_estate.count_prev"] = prev
    out["petitions.real_estate.yoy_change"] = cur / prev - 1 if prev else float("nan")
    s = t["service_stations"]
    sa = _active(s.opened, s.closed, year)
    for level in ("district", "street", "community", "estate"):
        out[f"service_circle.stations.{level}.count"] = int((sa & (s.level == level)).sum())
    return {k: float(out[k]) for k in HEADLINE_KEYS}


def generate_district(seed: int = 20241231, config: SynthConfig | None = None, *,
                      with_pii: bool | None = None) -> SyntheticDistrict:
    """Generate the synthetic district (deterministic in ``seed`` and ``config``).

    Parameters
    ----------
    seed : root seed; each table draws from its own child of ``numpy.random.SeedSequence(seed)``.
    config : knobs (defaults: ``synth_config.yaml`` and the conventions' headline targets).
    with_pii : add fake ``name``/``phone``/``id_number`` columns to survey_responses and grid_events
        (overrides ``config.with_pii``).
    """
    cfg = config or SynthConfig()
    if with_pii is not None:
        cfg = cfg.with_(with_pii=with_pii)
    rngs = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)))}

    geo = build_geography(rngs["geography"], cfg)
    pop = build_population(rngs["population"], cfg, geo)
    roll = build_rollout(rngs["rollout"], cfg, geo)
    latent = build_latent(rngs["latent"], cfg, geo, pop, roll)
    survey = build_survey(rngs["survey"], cfg, geo, pop, roll, latent)
    grid = build_grid_events(rngs["grid_events"], cfg, geo, pop, roll)
    staff = build_grid_staff(rngs["grid_staff"], cfg, geo, pop)
    pet = build_petitions(rngs["petitions"], cfg, geo, pop, roll)
    acts = build_activities(rngs["activities"], cfg, geo, pop, roll)
    orgs = build_organisations(rngs["organisations"], cfg, geo, pop)
    vols = build_volunteers(rngs["volunteers"], cfg, geo, pop, roll, orgs)
    hours = build_service_hours(rngs["service_hours"], cfg, vols, acts)
    points = build_residential_points(rngs["residential_points"], cfg, geo, pop)
    stations = build_stations(rngs["service_stations"], cfg, geo, points)

    survey_table, events_table = survey.table, grid.table
    if cfg.with_pii:
        r = rngs["pii"]
        survey_table = add_pii(r, survey_table, survey_table["wave"].to_numpy() - survey_table["age"].to_numpy(),
                               survey_table["sex"].to_numpy() == "male")
        n_ev = len(events_table)
        events_table = add_pii(r, events_table, r.integers(1950, 2003, n_ev), r.random(n_ev) < 0.5)

    tables = {
        "communities": geo.communities,
        "community_lineage": pop.lineage,
        "population": pop.population,
        "population_margins": pop.population_margins,
        "programme_rollout": roll.table,
        "survey_responses": survey_table,
        "activities": acts.table,
        "organisations": orgs.table,
        "volunteers": vols.table,
        "service_hours": hours,
        "grid_events": events_table,
        "petitions": pet.table,
        "service_stations": stations,
        "residential_points": points.drop(columns="_dist"),
        "community_workers": build_community_workers(rngs["community_workers"], cfg, geo, pop),
        "pairings": build_pairings(rngs["pairings"], cfg, geo),
        "committee_members": build_committee_members(rngs["committee_members"], cfg, geo),
        "joint_meetings": build_joint_meetings(rngs["joint_meetings"], cfg, geo),
        "grid_staff": staff,
    }
    tables = {k: tables[k] for k in TABLE_ORDER}

    cohort = pd.Series(roll.cohort, index=geo.child_ids)
    cell_frames = [survey.cell_effects, grid.cell_effects, pet.cell_effects, acts.cell_effects, vols.cell_effects]
    comparison = None
    if cfg.n_comparison_districts > 0:
        comparison = build_comparison(rngs["comparison"], cfg, pop, cell_frames,
                                      district_levels(tables, min(cfg.cohorts) - 1))
        tables["district_panel"] = comparison.table
    last = cfg.last_identifiable_year
    truth: dict[str, dict[str, Any]] = {}
    for outcome, definition in IMPACT_OUTCOMES.items():
        frame = next(f for f in cell_frames if outcome in f.columns)
        cells = frame[["child", "year", outcome]].dropna().assign(unit=lambda d: geo.child_ids[d["child"]])
        gt = att_gt(cells, cohort, outcome, last)
        if gt.empty:  # e.g. a survey only in the report year: no identifiable cell, so no estimand to write
            continue
        truth[f"impact.{outcome}.att"] = {"value": aggregate_simple(gt), "definition": definition,
                                          "estimand": f"CS-DiD simple aggregation over g <= t <= {last}"}
        for e, v in aggregate_dynamic(gt).items():
            truth[f"impact.{outcome}.dynamic.e{e}"] = {"value": v, "definition": definition}
    truth["survey.satisfaction_index.mean"] = {
        "value": survey.population_mean,
        "definition": f"finite-population mean of the expected index over all adults, {cfg.report_year}"}
    if comparison is not None:
        truth.update(comparison.truth)
    for key, val in headline_figures(tables, cfg.report_year).items():
        truth[key] = {"value": val}

    metadata = {
        "name": "jinlin-synthetic-district",
        "synthetic": True,
        "notice": NOTICE,
        "seed": int(seed),
        "generator": "evaluation.synthetic",
        "generator_version": GENERATOR_VERSION,
        "report_year": cfg.report_year,
        "data_cutoff": cfg.data_cutoff,
        "cohorts": {int(k): int(v) for k, v in cfg.cohorts.items()},
        "cohort_of": {str(k): int(v) for k, v in cohort.items()},
        "switches": {"selection_on_trend": cfg.selection_on_trend, "anticipation_years": cfg.anticipation_years,
                     "dynamic_effects": cfg.dynamic_effects, "heterogeneous_effects": cfg.heterogeneous_effects,
                     "with_pii": cfg.with_pii},
        "comparison_districts": int(cfg.n_comparison_districts),
        "rows": {k: int(len(v)) for k, v in tables.items()},
        "satisfaction_kappa": latent.kappa,
    }
    return SyntheticDistrict(tables=tables, truth=truth, metadata=metadata, comparison=comparison)
