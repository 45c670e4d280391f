"""Verdict rules of the impact summary: Holm adjustment, the conclusion codes, the pre-test's power."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.impact.staggered_did import StaggeredDiDResult
from evaluation.impact.summary import (PRIMARY_OUTCOMES, DOMAINS, adjust_multiplicity, decide, holm,
                                       impact_summary, pretrend_power_slopes)
from evaluation.impact.panels import OUTCOMES


def test_holm_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    # R: p.adjust(c(0.5, NA, 0.01), "holm") -> 0.5 NA 0.02 (NA outside the family)
    out = holm([0.5, np.nan, 0.01])
    assert out[0] == pytest.approx(0.5) and np.isnan(out[1]) and out[2] == pytest.approx(0.02)
    assert holm([0.6, 0.7]).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("lo, hi, p_adj, bd, code", [
    (np.nan, np.nan, np.nan, np.nan, "not_identified"),
    (-0.1, 0.3, 0.4, 0.0, "inconclusive"),
    (0.1, 0.3, 0.067, 2.0, "not_after_adjustment"),   # excludes 0, but not after Holm
    (0.1, 0.3, 0.001, 0.83, "sensitive"),             # breakdown below the Mbar set
    (0.1, 0.3, 0.001, np.nan, "sensitive"),           # nothing to bound departures by: not shown robust
    (-0.72, -0.45, 0.001, 1.0, "clear"),              # a negative effect can be clear too
])
def test_decide(lo, hi, p_adj, bd, code):
    assert decide(lo, hi, p_adj, 0.95, bd, 1.0) == code


def test_primary_outcomes_one_per_domain():
    assert set(DOMAINS) == set(OUTCOMES)
    domains = [DOMAINS[o] for o in PRIMARY_OUTCOMES]
    assert sorted(domains) == sorted(set(DOMAINS.values()))  # each domain exactly once


def _toy(seed=5, effect=3.0, pretrend=0.0):
    rng = np.random.default_rng(seed)
    g = np.repeat([2018, 2019, 2020, 0], 15)
    rows = []
    for i in range(60):
        for t in range(2015, 2022):
            eff = effect if (g[i] and t >= g[i]) else 0.0
            trend = pretrend * (t - 2015) * (g[i] > 0)
            rows.append((f"u{i}", t, g[i], eff + trend + 0.1 * t + rng.normal(0, 0.5)))
    return pd.DataFrame(rows, columns=["community_id", "year", "first_treat", "y"])


def test_pretest_no_longer_gates_the_verdict():
    # a pre-trend the pre-test sees: the verdict still comes from the interval and the sensitivity analysis
    s = impact_summary(_toy(pretrend=1.0), "toy", n_boot=0)
    assert s.pretest.p_value < 0.05
    assert s.conclusion in ("clear", "sensitive", "inconclusive")
    assert s.conclusion == decide(s.ci_low, s.ci_high, s.p_value, 0.95, s.breakdown_mbar, s.mbar)


def test_adjust_multiplicity_redecides_with_holm():
    a = impact_summary(_toy(effect=3.0), "a", n_boot=0)
    b = impact_summary(_toy(seed=6, effect=0.0), "b", n_boot=0)
    assert a.p_value < 0.001
    assert b.p_value > 0.03
    # a summary whose raw p-value (0.03) passes alone but not as the second smallest of three (Holm: 2 x 0.03)
    c = replace(a, outcome="c", p_value=0.03, p_adjusted=0.03)
    out = adjust_multiplicity({"a": a, "b": b, "c": c}, primary=["a"])
    assert out["c"].p_adjusted == pytest.approx(0.06)
    assert out["a"].p_adjusted == pytest.approx(3 * a.p_value)
    assert out["c"].conclusion == "not_after_adjustment"
    assert out["a"].conclusion == a.conclusion and out["a"].n_tests == 3
    assert out["a"].primary and not out["b"].primary and not out["c"].primary


def test_pretrend_power_slopes_hand_case():
    # one pre-treatment cell with SE sigma and a one-period base gap: the Wald test is a two-sided z test, so the
    # slope seen with power p solves P(|Z + g/sigma| > z) = p
    n, sigma = 400, 0.05
    rng = np.random.default_rng(0)
    f = rng.normal(size=n)
    f = (f - f.mean()) / f.std() * sigma * np.sqrt(n)   # influence function with SE exactly sigma
    tab = pd.DataFrame({"group": [2021, 2021], "time": [2020, 2021], "estimate": [0.01, 0.2], "se": [sigma, 0.1],
                        "ci_low": 0.0, "ci_high": 0.0, "post": [0, 1]})
    res = StaggeredDiDResult(att_gt=tab, pretest=None, critical_value=1.96,
                             influence=np.column_stack([f, f]), unit_cohort=np.zeros(n), unit_weight=np.ones(n),
                             cluster_codes=None, multipliers=None, alpha=0.05)
    out = pretrend_power_slopes(res, [2019, 2020, 2021])
    z = stats.norm.ppf(0.975)
    for p, slope in out.items():
        power = stats.norm.sf(z - slope / sigma) + stats.norm.cdf(-z - slope / sigma)
        assert power == pytest.approx(p, abs=1e-6)
    assert out[0.5] == pytest.approx(z * sigma, rel=1e-3)


def test_few_controls_share_and_att_without_those_cells():
    from evaluation.impact.staggered_did import staggered_did
    from evaluation.impact.summary import few_controls_share

    panel = _toy()
    res = staggered_did(panel, "y", "community_id", "year", "first_treat", control="notyet", method="reg")
    tab = res.att_gt
    post = tab[tab["group"] <= tab["time"]]
    # hand rule: say 2020 and 2021 have too few comparison units; cohorts are equal-sized, so the share is the
    # number of post cells in those years over all post cells
    n_ctrl = {t: (5 if t >= 2020 else 30) for t in range(2015, 2022)}
    share, (est, lo, hi) = few_controls_share(res, n_ctrl, 10)
    assert share == pytest.approx((post["time"] >= 2020).mean())
    keep = post[post["time"] < 2020]
    assert est == pytest.approx(keep["estimate"].mean())   # equal cohorts: a plain mean of the kept cells
    assert lo < est < hi
    none_share, headline = few_controls_share(res, {t: 30 for t in range(2015, 2022)}, 10)
    assert none_share == 0 and headline[0] == pytest.approx(res.aggregate("simple")["estimate"].iloc[0])
    all_share, nothing = few_controls_share(res, {t: 1 for t in range(2015, 2022)}, 10)
    assert all_share == 1 and np.isnan(nothing[0])


def test_rr_sensitivity_reference_moves_with_anticipation():
    from evaluation.impact.staggered_did import staggered_did
    from evaluation.impact.summary import headline_weights, rr_sensitivity

    panel = _toy()
    for a in (0, 1):
        res = staggered_did(panel, "y", "community_id", "year", "first_treat", control="notyet", method="reg",
                            base_period="universal", anticipation=a)
        table, bd, robust = rr_sensitivity(res, 1.0, 0.95, anticipation=a)
        assert table["num_pre"].iloc[0] >= 1 and np.isfinite(bd) and robust[0] < robust[1]
        # anticipation periods are post-periods of the sensitivity analysis, with no weight in the headline
        assert table["num_post"].iloc[0] == 4 + a
        w = headline_weights(res, list(range(-a, 4)))
        assert w[:a].sum() == 0 and w.sum() == pytest.approx(1.0)
    # the weights rebuild the simple ATT from the event-study coefficients
    es, _ = res.event_study_coefficients()
    post = es[es["event_time"] >= 0]
    w = headline_weights(res, post["event_time"].tolist())
    assert float(w @ post["estimate"]) == pytest.approx(res.aggregate("simple")["estimate"].iloc[0])
