"""Programme-impact estimators: staggered DiD (Callaway & Sant'Anna), naive TWFE benchmarks and the
Goodman-Bacon decomposition, Rambachan-Roth parallel-trends sensitivity, synthetic control and interrupted time
series."""

from evaluation.impact.bacon import bacon_decomposition
from evaluation.impact.district_scm import (PANEL_OUTCOMES, DistrictSCMResult, conformal_intervals, default_predictors,
                                           district_synthetic_control, district_synthetic_controls)
from evaluation.impact.drdid import TwoByTwo, did_panel, did_repeated_cross_section
from evaluation.impact.its import ITSResult, fourier_terms, interrupted_time_series
from evaluation.impact.honest import breakdown_m, honest_did
from evaluation.impact.sensitivity import (anticipation_sensitivity, pre_max_level_bounds, pre_max_level_breakdown,
                                           pre_period_placebo)
from evaluation.impact.panels import OUTCOMES, SHARE_OUTCOMES, attach_covariates, display_scale, outcome_panel
from evaluation.impact.staggered_did import PretestResult, StaggeredDiDResult, joint_simple_band, staggered_did
from evaluation.impact.summary import (FEW_CONTROLS, PRIMARY_OUTCOMES, ImpactSummary, adjust_multiplicity, holm,
                                       impact_summaries, impact_summary, truth_frame)
from evaluation.impact.synthetic_control import (PlaceboResult, SyntheticControlResult, placebo_test,
                                                 synthetic_control)
from evaluation.impact.twfe import TWFEResult, treatment_indicator, twfe, twfe_event_study

__all__ = [
    "OUTCOMES", "SHARE_OUTCOMES", "display_scale", "outcome_panel", "attach_covariates",
    "staggered_did", "StaggeredDiDResult", "PretestResult", "joint_simple_band",
    "did_panel", "did_repeated_cross_section", "TwoByTwo",
    "twfe", "twfe_event_study", "treatment_indicator", "TWFEResult",
    "bacon_decomposition",
    "honest_did", "breakdown_m",
    "pre_max_level_bounds", "pre_max_level_breakdown", "pre_period_placebo", "anticipation_sensitivity",
    "synthetic_control", "placebo_test", "SyntheticControlResult", "PlaceboResult",
    "district_synthetic_control", "district_synthetic_controls", "default_predictors", "DistrictSCMResult", "conformal_intervals", "PANEL_OUTCOMES",
    "interrupted_time_series", "fourier_terms", "ITSResult",
    "impact_summary", "impact_summaries", "ImpactSummary", "adjust_multiplicity", "holm", "truth_frame", "PRIMARY_OUTCOMES", "FEW_CONTROLS",
]
