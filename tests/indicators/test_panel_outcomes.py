"""The impact outcomes' declarations: which are shares, and so written in percentage points."""

from evaluation.indicators.panel_outcomes import OUTCOMES, SHARE_OUTCOMES, display_scale


def test_shares_are_outcomes_and_shown_in_percentage_points():
    assert SHARE_OUTCOMES <= set(OUTCOMES)
    assert display_scale("on_time_rate") == 100.0 and display_scale("participation_rate") == 100.0
    # an index, a count rate and log hours keep their own units
    assert {display_scale(o) for o in set(OUTCOMES) - SHARE_OUTCOMES} == {1.0}
