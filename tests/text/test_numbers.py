"""How figures are written in report text: one precision shared by an estimate and its interval."""

from __future__ import annotations

import numpy as np

from evaluation.text.numbers import magnitude, three_sig


def test_three_sig_gives_three_significant_digits_to_the_reference():
    assert three_sig(2.7) == "2.70"
    assert three_sig(0.01234) == "0.0123"
    assert three_sig(123.456) == "123"
    assert three_sig(12345.6) == "12346"  # never fewer than 0 decimals
    assert three_sig(-0.5) == "-0.500"
    # an estimate and its interval limits share the precision of the largest
    assert [three_sig(v, 5.02) for v in (2.7, 0.387, 5.02)] == ["2.70", "0.39", "5.02"]
    assert three_sig(0.0004, 12.0) == "0.0"


def test_three_sig_scales_and_falls_back():
    # a share's effect in percentage points: the reference is scaled with the figure
    assert three_sig(0.0581, k=100) == "5.81"
    assert three_sig(0.004, 0.05, k=100) == "0.40"
    # missing, infinite, zero or unusable references
    assert three_sig(None) == three_sig(np.nan) == three_sig(np.inf) == "—"
    assert three_sig(0.0) == "0.00"
    assert three_sig(1.5, 0.0) == three_sig(1.5, np.nan) == three_sig(1.5, None) == "1.50"


def test_magnitude_is_the_largest_finite_absolute_value():
    assert magnitude(2.7, -5.02, 0.387) == 5.02
    assert magnitude(1.0, np.nan, None, -np.inf) == 1.0
    assert magnitude(np.nan, None) is None
    assert magnitude() is None
