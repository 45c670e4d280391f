"""impact_summaries: every outcome of a run analysed as one family (panels, staggered DiD, Holm, joint band)."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.impact.panels import outcome_panel
from evaluation.impact.staggered_did import joint_simple_band
from evaluation.impact.summary import adjust_multiplicity, impact_summaries, impact_summary, verdict_wording

OUTCOMES = ["on_time_rate", "satisfaction_index"]
ARGS = dict(report_year=2024, n_boot=49, seed=7, confidence=0.9)


@pytest.fixture(scope="module")
def tables(bundled_district):
    return bundled_district.tables


@pytest.fixture(scope="module")
def family(tables):
    return impact_summaries(tables, OUTCOMES, primary=["on_time_rate"], **ARGS)


def test_the_family_is_the_outcomes_one_by_one_then_holm(tables, family):
    summaries, crit = family
    assert list(summaries) == OUTCOMES
    one = {o: impact_summary(outcome_panel(tables, o, years=range(2000, 2025)), o, n_boot=49, seed=7,
                             confidence=0.9) for o in OUTCOMES}
    expected = adjust_multiplicity(one, ["on_time_rate"])
    for o in OUTCOMES:
        s, e = summaries[o], expected[o]
        assert s.att == e.att and s.se == e.se and s.p_adjusted == e.p_adjusted and s.conclusion == e.conclusion
        assert s.n_tests == 2 and s.alpha == pytest.approx(0.1)
    assert summaries["on_time_rate"].primary and not summaries["satisfaction_index"].primary
    assert max(s.p_value for s in summaries.values()) <= max(s.p_adjusted for s in summaries.values())
    # the joint band is the sup-t band of the identified outcomes, wider than one interval's
    assert crit == pytest.approx(joint_simple_band([summaries[o].did for o in OUTCOMES], confidence=0.9)[0])
    assert crit > 1.645


def test_missing_tables_and_single_outcomes(tables, family):
    # without the roll-out no outcome can be analysed; without an outcome's source table that outcome is skipped
    assert impact_summaries({k: v for k, v in tables.items() if k != "programme_rollout"}, OUTCOMES, **ARGS) == ({},
                                                                                                              None)
    no_events = {k: v for k, v in tables.items() if k != "grid_events"}
    summaries, crit = impact_summaries(no_events, OUTCOMES, **ARGS)
    assert list(summaries) == ["satisfaction_index"] and crit is None  # one outcome: no joint band
    assert summaries["satisfaction_index"].att == family[0]["satisfaction_index"].att
    assert summaries["satisfaction_index"].n_tests == 1 and np.isfinite(summaries["satisfaction_index"].p_value)


def test_verdict_wording_attributes_only_a_prespecified_clear_effect():
    from evaluation.impact.summary import CONCLUSIONS

    assert verdict_wording("clear", True) == "clear"
    assert verdict_wording("clear", False) == "clear_exploratory"
    for code in CONCLUSIONS[1:]:  # the weaker verdicts say the same for either role
        assert verdict_wording(code, False) == verdict_wording(code, True) == code
