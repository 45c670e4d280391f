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


def test_a_p_value_never_reads_zero():
    from evaluation.text.numbers import p_cell, p_text

    # a sentence writes "p {p}": the formatter gives the relation, "=" or "<"
    assert [p_text(x) for x in (0.0123, 0.0004, 1e-9, 0.0499, 1.0)] == [
        "= 0.012", "< 0.001", "< 0.001", "= 0.050", "= 1.000"]
    assert [p_cell(x) for x in (0.0123, 0.0004, 0.0)] == ["0.012", "<0.001", "<0.001"]
    assert p_cell(float("nan")) == "—" and p_cell(None) == "—" and p_text(None) == "= —"
    assert p_cell("<5") == "<5"  # a withheld cell's marker stays as it is


def test_an_interval_limit_that_is_not_zero_never_reads_zero():
    from evaluation.text.numbers import nonzero_fixed, nonzero_sig, zh_change_interval

    # the participation effect of the bundled district: 0.0399 to 11.6 percentage points, not "0.0 to 11.6"
    assert three_sig(0.000399, 0.116, k=100) == "0.0"
    assert nonzero_sig(0.000399, 0.116, k=100) == "0.0399" and nonzero_sig(0.116, 0.116, k=100) == "11.6"
    assert nonzero_sig(-0.000399, 0.116, k=100) == "-0.0399" and nonzero_sig(0.0, 0.116, k=100) == "0.0"
    assert nonzero_sig(float("nan")) == "—"
    assert nonzero_fixed(0.0399, 1) == "0.0399" and nonzero_fixed(0.0399, 1, sign=True) == "+0.0399"
    assert nonzero_fixed(-0.0399, 1, sign=True) == "-0.0399" and nonzero_fixed(1.14, 1, sign=True) == "+1.1"
    assert zh_change_interval(0.0399, 11.58, "个百分点") == "提高0.0399至11.6个百分点"
    assert zh_change_interval(-57.7, 0.3, "%", 1, "增加", "下降") == "下降57.7%至增加0.3%"
