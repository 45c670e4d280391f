"""Design-based survey analysis (Taylor linearisation, calibration, replicate weights), scales and indices.

The engine is written on numpy/scipy and checked against R ``survey`` 4.1.1; see :mod:`evaluation.survey.design`
for why it does not wrap ``svy``.
"""

from evaluation.survey.design import SurveyDesign
from evaluation.survey.indices import (SERVICE_ITEMS, importance_performance, recommendation_score,
                                      satisfaction_index, top2box)
from evaluation.survey.ordinal import ordinal_logit
from evaluation.survey.power import n_for_mean_change, n_for_proportion_change
from evaluation.survey.replicate import ReplicateDesign
from evaluation.survey.scales import omega, reliability
from evaluation.survey.wave import (domain_difference, pooled_trend, trend_verdict, wave_design, wave_differences,
                                    wave_estimates, weighted_design, weighting_summary, with_weights)

__all__ = ["SurveyDesign", "ReplicateDesign", "ordinal_logit", "reliability", "omega", "satisfaction_index",
           "top2box", "recommendation_score", "importance_performance", "SERVICE_ITEMS", "n_for_mean_change",
           "n_for_proportion_change",
           "wave_design", "weighted_design", "with_weights", "weighting_summary", "wave_estimates",
           "domain_difference", "wave_differences", "pooled_trend", "trend_verdict"]
