"""Relative-magnitude bounds (hand-computed cases) and pre-period placebo / anticipation checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.impact.sensitivity import (anticipation_sensitivity, pre_max_level_breakdown, pre_period_placebo,
                                           pre_max_level_bounds)

Z = 1.959963984540054


def es_table():
    return pd.DataFrame({"event_time": ["overall", -3, -2, -1, 0, 1],
                         "estimate": [0.0, 0.01, -0.03, 0.02, 0.10, 0.20],
                         "se": [0.0, 0.01, 0.01, 0.01, 0.02, 0.05]})


def test_hand_case_bounds():
    out = pre_max_level_bounds(es_table(), mbar=[0.0, 2.0])
    r = out[(out.mbar == 2.0) & (out.event_time == 0)].iloc[0]
    assert r.max_pre_violation == pytest.approx(0.03)
    assert r.bound == pytest.approx(0.06)
    assert (r.set_low, r.set_high) == pytest.approx((0.04, 0.16))
    assert (r.ci_low, r.ci_high) == pytest.approx((0.04 - Z * 0.02, 0.16 + Z * 0.02))
    r0 = out[(out.mbar == 0.0) & (out.event_time == 1)].iloc[0]
    assert (r0.ci_low, r0.ci_high) == pytest.approx((0.20 - Z * 0.05, 0.20 + Z * 0.05))


def test_hand_case_breakdown():
    b = pre_max_level_breakdown(es_table()).set_index("event_time")["breakdown_mbar"]
    assert b[0] == pytest.approx((0.10 - Z * 0.02) / 0.03)
    assert b[1] == pytest.approx((0.20 - Z * 0.05) / 0.03)
    # at the breakdown value the robust CI just reaches zero
    m = b[0]
    r = pre_max_level_bounds(es_table(), mbar=m)
    assert r.loc[r.event_time == 0, "ci_low"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_accumulate_and_insignificant():
    es = es_table()
    es.loc[es.event_time == 1, "estimate"] = 0.05  # |0.05| < z * 0.05: already insignificant
    out = pre_max_level_bounds(es, mbar=1.0, accumulate=True).set_index("event_time")
    assert out.loc[1, "bound"] == pytest.approx(0.03 * 2)
    assert out.loc[1, "breakdown_mbar"] == 0.0


def test_needs_pre_periods():
    with pytest.raises(ValueError, match="pre-treatment"):
        pre_max_level_bounds(es_table().iloc[[0, 4, 5]])


def _panel(seed=1, pretrend=0.0, n=200):
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6], n)
    rows = []
    for i in range(n):
        a = rng.normal()
        for t in range(1, 8):
            trend = pretrend * t * (g[i] > 0)
            eff = 1.0 if g[i] and t >= g[i] else 0.0
            rows.append((i, t, g[i], a + 0.2 * t + trend + eff + rng.normal(scale=0.5)))
    return pd.DataFrame(rows, columns=["id", "t", "g", "y"])


def test_placebo_zero_without_pretrend_and_detects_one():
    kw = dict(outcome="y", unit="id", time="t", cohort="g", control="never", method="reg")
    clean = pre_period_placebo(_panel(), shift=1, **kw).iloc[0]
    assert abs(clean.estimate) < 3 * clean.se
    trended = pre_period_placebo(_panel(pretrend=0.5), shift=1, **kw).iloc[0]
    assert trended.estimate == pytest.approx(0.5, abs=0.15)
    assert trended.ci_low > 0


def test_anticipation_sensitivity_rows():
    out = anticipation_sensitivity(_panel(), anticipations=(0, 1), outcome="y", unit="id", time="t", cohort="g")
    assert out["anticipation"].tolist() == [0, 1]
    assert out["estimate"].iloc[0] == pytest.approx(1.0, abs=0.15)
