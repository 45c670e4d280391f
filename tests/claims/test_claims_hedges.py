"""Hedge intervals: the worked examples of the issue, one per hedge."""

from __future__ import annotations

import math

import pytest

from evaluation.claims.hedges import Interval, hedge_interval, negate


@pytest.mark.parametrize("args, expected", [
    ((4000, "near"), Interval(3800, 4000, True, False)),
    ((450, "plus", {"nonzero_place": 10}), Interval(450, 460, True, False)),
    ((4000, "plus", {"nonzero_place": 1000}), Interval(4000, 5000, True, False)),
    ((100, "plus", {"nonzero_place": 100}), Interval(100, 200, True, False)),
    ((230, "plus", {"nonzero_place": 10}), Interval(230, 240, True, False)),
    ((73000, "about", {"nonzero_place": 1000}), Interval(72500, 73500, True, False)),
    ((51.6, "rounded", {"stated_place": 0.1}), Interval(51.55, 51.65, True, False)),
    ((16295, "exact"), Interval(16295, 16295, True, True)),
    ((100, "over"), Interval(100, math.inf, False, False)),
    ((60, "at_least"), Interval(60, math.inf, True, False)),
    ((150000, "under"), Interval(0, 150000, True, False)),
    ((30, "at_most"), Interval(0, 30, True, True)),
    ((3, "range", {"range_high": 5}), Interval(3, 5, True, True)),
])
def test_intervals(args, expected):
    value, hedge, *kw = args
    assert hedge_interval(value, hedge, **(kw[0] if kw else {})) == expected


def test_near_tolerance_is_a_parameter():
    assert hedge_interval(4000, "near", near_tolerance=0.1) == Interval(3600, 4000, True, False)
    with pytest.raises(ValueError):
        hedge_interval(4000, "near", near_tolerance=1.5)


def test_negate_swaps_ends_and_inclusivity():
    iv = negate(hedge_interval(34.48, "rounded", stated_place=0.01))
    assert (iv.low, iv.high, iv.low_inclusive, iv.high_inclusive) == (-34.485, -34.475, False, True)
    assert iv.contains(-34.48) and iv.contains(-34.475) and not iv.contains(-34.485)


def test_contains_honours_open_ends():
    iv = hedge_interval(4000, "near")
    assert iv.contains(3800) and iv.contains(3999.9) and not iv.contains(4000)
    assert not hedge_interval(100, "over").contains(100)
    assert hedge_interval(60, "at_least").contains(60)


def test_unknown_hedge():
    with pytest.raises(ValueError):
        hedge_interval(1, "roughly")
