"""Knobs of the synthetic district: calibration targets and planted programme effects.

The defaults are the values of ``shared/design/reference/synth_config.yaml`` (the spec) and the headline table of
``docs/conventions.md``. Two knobs are additions of the generator, because the conventions list survey participation as
an impact outcome but the spec plants no effect on it: ``participation_pp`` and ``volunteered_pp``.

The spec's ``survey_latent_sd: {main: 0.30, migrants_extra: 0.15}`` (the satisfaction effect in latent SD units) is not a
separate knob: the satisfaction effect is planted in index points (``satisfaction_*``), which is the scale of the
estimand, and converted to the latent scale by the slope of the expected index (see :mod:`.survey`). The latent gaps of
the groups that answer more (``satisfaction_age60p_latent``, ``satisfaction_migrant_latent``) are the generator's own:
the spec fixes who answers, not how much more satisfied they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

# Dotted keys of the headline figures (docs/conventions.md): one list, shared with the indicator code.
from ..indicators.headline import HEADLINE_KEYS

__all__ = ["SynthConfig", "HEADLINE_KEYS"]


def _frozen(d: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(d))



@dataclass(frozen=True)
class SynthConfig:
    """Every knob of :func:`evaluation.synthetic.generate_district` (defaults = ``synth_config.yaml``).

    Mapping-valued fields are read-only mappings; build a variant with :meth:`with_` (``dataclasses.replace``).
    """

    # --- time -------------------------------------------------------------------------------------------------
    report_year: int = 2024
    first_year: int = 2014           # "10年前"
    split_year: int = 2020           # 10 legacy communities -> 43 on <split_year>-01-01
    survey_waves: tuple[int, ...] = (2018, 2019, 2020, 2021, 2022, 2023, 2024)
    event_first_year: int = 2018     # grid events and activities start here
    # --- population -------------------------------------------------------------------------------------------
    population_totals: Mapping[int, int] = field(
        default_factory=lambda: _frozen({2014: 148_000, 2020: 360_000, 2024: 515_000}))
    migrant_share: Mapping[int, float] = field(default_factory=lambda: _frozen({2014: 0.55, 2024: 0.72}))
    age_shares_report_year: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"0_14": 0.20, "15_59": 0.71, "60p": 0.09}))
    community_share_alpha: float = 8.0
    # --- rollout ----------------------------------------------------------------------------------------------
    cohorts: Mapping[int, int] = field(
        default_factory=lambda: _frozen({2020: 6, 2021: 12, 2022: 12, 2023: 9, 2024: 4}))
    pilot_level_premium_points: float = 3.0   # pilots are chosen on a higher baseline *level* (DiD-safe)
    selection_on_trend: bool = False          # violation switch: earlier cohorts were on steeper trends
    trend_violation_points_per_year: float = 0.8
    anticipation_years: int = 0               # violation switch: effects start this many years before adoption
    dynamic_effects: bool = True              # False: every outcome keeps its e=0 effect for all e >= 0
    heterogeneous_effects: bool = True        # False: no cohort_2020_extra and no migrant_extra
    # --- planted effects (event time e = year - cohort) --------------------------------------------------------
    satisfaction_e0: float = 2.0              # index points
    satisfaction_slope_per_year: float = 1.5
    satisfaction_cohort_2020_extra: float = 1.5
    satisfaction_migrant_extra: float = 1.0
    on_time_pp_e0: float = 3.0
    on_time_pp_e1plus: float = 5.0
    time_to_close_multiplier: tuple[float, float, float] = (0.92, 0.85, 0.80)   # e0, e1, e2+
    callback_satisfied_logodds: float = 0.30
    events_reported_rate_ratio: float = 1.10
    real_estate_petition_rate_ratio: float = 0.70
    activities_rate_ratio: float = 1.35
    attendance_per_activity_ratio: float = 1.10
    volunteer_registration_pp_per_year: float = 1.0
    co_organised_share_pp: float = 12.0
    participation_pp: float = 5.0             # generator's addition (see module docstring)
    volunteered_pp: float = 2.0               # generator's addition
    # --- survey -----------------------------------------------------------------------------------------------
    n_per_community: int = 50
    psu_size: int = 5
    nonresponse_coef: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"intercept": -2.2, "age60p": 0.8, "local_hukou": 0.6, "renter": -0.4}))
    dont_know_share: float = 0.03
    # Latent satisfaction of the groups that answer more (generator's addition). With gaps of 0.25/-0.30 the unweighted
    # bias was about 2 index points on average and within sampling error on the bundled seed; these give about 3
    # points (4-5 standard errors), so that weighting visibly matters.
    satisfaction_age60p_latent: float = 0.40
    satisfaction_migrant_latent: float = -0.60
    # --- grid events ------------------------------------------------------------------------------------------
    grid_categories: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "dispute": .14, "safety": .16, "sanitation": .24, "municipal": .14, "property_mgmt": .12,
        "real_estate": .04, "labour": .03, "public_order": .05, "livelihood": .05, "other": .03}))
    deadline_hours: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"urgent": 24, "general": 72, "complex": 360}))
    # --- headline figures of the report year (docs/conventions.md) ---------------------------------------------
    paired_units: int = 27
    returned_party_members: int = 3968
    part_time_committee_members: int = 247
    joint_meetings: int = 234
    issues_resolved: int = 106
    community_workers: int = 516
    workers_promoted: int = 266
    workers_certified: int = 358
    csos_active: int = 452
    volunteer_teams_active: int = 563
    community_funds: int = 11
    fund_inflow_cny: int = 968_000
    stations: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"district": 1, "street": 3, "community": 43, "estate": 86}))
    activities: int = 1119
    attendance_person_times: int = 73_000
    departments_sent_down: int = 18
    grid_staff: int = 2046
    grid_events_closed: int = 16_295
    real_estate_petitions: Mapping[int, int] = field(default_factory=lambda: _frozen({2023: 58, 2024: 38}))
    # --- personal data ----------------------------------------------------------------------------------------
    with_pii: bool = False
    # --- comparison districts (district-wide synthetic control, :mod:`.comparison`) -----------------------------
    n_comparison_districts: int = 20          # 0: no district_panel table
    comparison_active_donors: int = 4         # the district is a mix of this many comparison districts

    def __post_init__(self) -> None:
        if sum(self.cohorts.values()) != 43:
            raise ValueError(f"cohorts must cover the 43 communities, got {sum(self.cohorts.values())}")
        if min(self.cohorts) < self.split_year:
            raise ValueError("the programme cannot start before the split into 43 communities")
        if max(self.cohorts) > self.report_year:
            raise ValueError("every cohort must have started by the report year")
        if self.report_year not in self.real_estate_petitions or self.report_year - 1 not in self.real_estate_petitions:
            raise ValueError("real_estate_petitions needs the report year and the year before")
        if self.anticipation_years < 0:
            raise ValueError("anticipation_years must be >= 0")
        if not 0 < self.workers_promoted <= self.community_workers or not 0 < self.workers_certified <= self.community_workers:
            raise ValueError("promoted/certified workers must be a subset of the active workers")

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.report_year + 1))

    @property
    def last_identifiable_year(self) -> int:
        """Last year in which a not-yet-treated cohort remains (the CS-DiD window ends here)."""
        return max(self.cohorts) - 1

    @property
    def data_cutoff(self) -> str:
        return f"{self.report_year}-12-31 23:59:59"

    def with_(self, **changes: Any) -> "SynthConfig":
        """A copy with some knobs changed (mappings may be given as plain dicts)."""
        changes = {k: _frozen(v) if isinstance(v, dict) else v for k, v in changes.items()}
        return replace(self, **changes)
