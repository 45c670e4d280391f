"""Participation, organisation and service-outcome indicators with honest uncertainty.

Every indicator function takes contract tables (English column names) and plain parameters and returns a tidy
DataFrame (columns: indicator, community_id, group, year, value, se, ci_low, ci_high, n, denominator,
denominator_label, note) or a small frozen result. :func:`headline_figures` returns the headline keys of
``docs/conventions.md``.

Modules: :mod:`.intervals` (Wilson, Garwood, exact rate ratio, community-cluster shares and ratios),
:mod:`.counts` (NB2 regression), :mod:`.survival` (Kaplan–Meier as R ``survfit``, community-cluster bootstrap),
:mod:`.ranks` (confidence sets for ranks), :mod:`.organisation`, :mod:`.participation`, :mod:`.grid`, :mod:`.petitions`,
:mod:`.service_circle`, :mod:`.lineage`, :mod:`.headline`.
"""

from . import profile
from ._common import RESULT_COLUMNS, active_at_year_end, as_datetime, in_memory
from .counts import NBFit, fit_negative_binomial, predict_group_means
from .grid import (callback_outcomes, closure_rates, event_rates, events_closed, grid_indicators, repeat_events,
                   time_to_close, time_to_close_curves)
from .headline import HEADLINE_KEYS, headline_figures
from .intervals import RateRatio, cluster_proportion, cluster_ratio, describe_change, poisson_exact_interval, \
    rate_ratio_exact, wilson_interval
from .lineage import carry_to_current
from .organisation import organisation_indicators
from .participation import participation_indicators
from .petitions import (adoption_share, comparison_cutoff, its_finding, its_frame, monthly_series, petition_counts,
                        real_estate_change, yoy_rate_ratio)
from .service_circle import coverage_sensitivity, nearest_station, service_coverage, stations_open, uncovered_points
from .ranks import rank_intervals
from .survival import kaplan_meier, km_quantiles, km_quantiles_cluster_bootstrap
from .tables import (carried_indicators, community_table, cross_table, district_rows, estimate_text, group_table,
                     year_table)

__all__ = [
    "RESULT_COLUMNS", "HEADLINE_KEYS", "headline_figures",
    "wilson_interval", "poisson_exact_interval", "RateRatio", "rate_ratio_exact", "describe_change",
    "cluster_proportion", "cluster_ratio", "rank_intervals",
    "NBFit", "fit_negative_binomial", "predict_group_means", "kaplan_meier", "km_quantiles",
    "km_quantiles_cluster_bootstrap",
    "organisation_indicators", "participation_indicators", "grid_indicators",
    "events_closed", "event_rates", "closure_rates", "time_to_close", "callback_outcomes", "repeat_events",
    "petition_counts", "yoy_rate_ratio", "real_estate_change", "monthly_series", "adoption_share",
    "stations_open", "service_coverage", "coverage_sensitivity", "uncovered_points", "carry_to_current",
    "time_to_close_curves", "comparison_cutoff", "its_frame", "its_finding", "nearest_station",
    # the definitions of docs/conventions.md that a notebook applies to a table it draws itself
    "active_at_year_end", "as_datetime", "in_memory",
    # display tables of tidy results, with small-cell suppression
    "community_table", "group_table", "year_table", "cross_table", "district_rows", "estimate_text",
    "carried_indicators",
    # exported as a module: notebook 60 reads the community profile's helpers as ``pr.<name>``
    "profile",
]
