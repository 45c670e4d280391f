"""Intervals against R (prop.test without correction = Wilson; poisson.test) and Newcombe's published example."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.indicators.intervals import describe_change, poisson_exact_interval, rate_ratio_exact, \
    wilson_interval


def test_wilson_matches_r(ref):
    for case in ref["wilson"]:
        for level, key in ((0.95, "ci95"), (0.90, "ci90")):
            got = wilson_interval(case["x"], case["n"], level).iloc[0]
            assert got[["ci_low", "ci_high"]].to_numpy() == pytest.approx(case[key], abs=1e-10)


def test_wilson_published_newcombe_1998():
    # Newcombe (1998), Stat. Med. 17, Table I: 81/263 -> Wilson 0.2553 to 0.3662
    got = wilson_interval(81, 263).iloc[0]
    assert round(got["ci_low"], 4) == 0.2553 and round(got["ci_high"], 4) == 0.3662


def test_wilson_vectorised_and_empty():
    out = wilson_interval([1, 0], [4, 0])
    assert out.loc[0, "proportion"] == 0.25
    assert np.isnan(out.loc[1, ["proportion", "ci_low", "ci_high"]].astype(float)).all()
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_garwood_matches_r(ref):
    for case in ref["poisson"]:
        got = poisson_exact_interval(case["x"], case["t"]).iloc[0]
        assert got[["ci_low", "ci_high"]].to_numpy() == pytest.approx(case["ci95"], rel=1e-9, abs=1e-12)
        got99 = poisson_exact_interval(case["x"], case["t"], confidence=0.99).iloc[0]
        assert got99[["ci_low", "ci_high"]].to_numpy() == pytest.approx(case["ci99"], rel=1e-9, abs=1e-12)


def test_garwood_scales_to_rate_per_10k():
    got = poisson_exact_interval(38, 515000, per=10000).iloc[0]
    raw = poisson_exact_interval(38).iloc[0]
    assert got["rate"] == pytest.approx(38 / 51.5)
    assert got["ci_high"] == pytest.approx(raw["ci_high"] / 51.5)


def test_rate_ratio_matches_r_poisson_test(ref):
    for case in ref["rate_ratio"]:
        rr = rate_ratio_exact(case["x"], case["y"], case["tx"], case["ty"])
        if case["y"] == 0:
            assert np.isinf(rr.ratio) and np.isinf(rr.ci_high)
            assert rr.ci_low == pytest.approx(case["ci95"][0], rel=1e-9)
        else:
            assert rr.ratio == pytest.approx(case["estimate"], rel=1e-12)
            assert [rr.ci_low, rr.ci_high] == pytest.approx(case["ci95"], rel=1e-9)
        # the p-value is the central one (tests/indicators/test_cluster_intervals.py), not poisson.test's minlike
        assert rr.p_value >= case["p_value"] - 1e-12


def test_58_to_38_is_not_distinguishable_from_no_change():
    rr = rate_ratio_exact(38, 58)
    assert rr.change == pytest.approx(-0.3448, abs=5e-5)
    assert rr.ci_low < 1 < rr.ci_high
    assert not rr.distinguishable
    en = describe_change(rr, what="real-estate petitions")
    assert "58 to 38" in en and "34.5%" in en and "cannot be told apart" in en
    zh = describe_change(rr, what="涉地产信访件", language="zh")
    assert "无法" in zh and "34.5%" in zh


def test_large_change_is_distinguishable():
    rr = rate_ratio_exact(200, 400)
    assert rr.distinguishable
    assert "is distinguishable" in describe_change(rr)


def test_bad_inputs():
    with pytest.raises(ValueError):
        rate_ratio_exact(3, 4, exposure=0)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.5)
