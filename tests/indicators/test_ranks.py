"""Rank confidence sets (Mogstad, Romano, Shaikh & Wilhelm 2024) on cases whose answer is known, and their coverage
in a small simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.indicators.ranks import rank_intervals, se_from_interval


@pytest.mark.parametrize("method", ["maxt", "holm"])
@pytest.mark.parametrize("simultaneous", [False, True])
def test_well_separated_units_get_their_rank_alone(method, simultaneous):
    est = np.array([3.0, 50.0, 20.0, 40.0, 10.0])
    out = rank_intervals(est, np.full(5, 0.5), method=method, simultaneous=simultaneous, n_draws=4000)
    assert out["rank"].tolist() == [5, 1, 3, 2, 4]
    assert (out["rank_low"] == out["rank"]).all() and (out["rank_high"] == out["rank"]).all()


@pytest.mark.parametrize("method", ["maxt", "holm"])
def test_identical_units_get_the_full_range(method):
    out = rank_intervals(np.full(6, 0.7), np.full(6, 0.05), method=method, n_draws=4000)
    assert (out["rank"] == 1).all()
    assert (out["rank_low"] == 1).all() and (out["rank_high"] == 6).all()


def test_two_tiers_and_a_missing_se():
    # two tight groups far apart: each unit is ranked within its group, and the unit without an SE, which can be
    # anywhere, widens the top group's sets by one place
    est = [10.0, 10.1, 9.9, 0.0, 0.1, 5.0, np.nan]
    se = [0.2, 0.2, 0.2, 0.2, 0.2, np.nan, 0.2]
    out = rank_intervals(est, se, n_draws=4000)
    assert out.loc[:2, ["rank_low", "rank_high"]].to_numpy().tolist() == [[1, 4]] * 3
    assert out.loc[3:4, ["rank_low", "rank_high"]].to_numpy().tolist() == [[4, 6]] * 2
    assert out.loc[5, ["rank_low", "rank_high"]].tolist() == [1, 6]
    assert np.isnan(out.loc[6, "rank"]) and (out["n"] == 6).all()


def test_seeded_and_validated():
    rng = np.random.default_rng(1)
    est, se = rng.normal(0, 1, 20), np.full(20, 0.5)
    a = rank_intervals(est, se, seed=5)
    pd.testing.assert_frame_equal(a, rank_intervals(est, se, seed=5))
    with pytest.raises(ValueError, match="method"):
        rank_intervals(est, se, method="bonferroni")
    with pytest.raises(ValueError, match="one value per unit"):
        rank_intervals(est, se[:3])
    assert se_from_interval([0.0], [2 * stats.norm.ppf(0.975)])[0] == pytest.approx(1.0)


def test_simultaneous_sets_contain_the_marginal_ones():
    rng = np.random.default_rng(3)
    est, se = rng.normal(0, 1, 15), rng.uniform(0.2, 0.6, 15)
    m = rank_intervals(est, se, n_draws=4000)
    s = rank_intervals(est, se, simultaneous=True, n_draws=4000)
    assert (s["rank_low"] <= m["rank_low"]).all() and (s["rank_high"] >= m["rank_high"]).all()
    assert (m["rank_low"] <= m["rank"]).all() and (m["rank"] <= m["rank_high"]).all()


@pytest.mark.parametrize("method", ["maxt", "holm"])
def test_coverage_in_a_small_simulation(method):
    # 12 units whose true values are close enough for the ranks to be uncertain; 90% sets
    theta = np.linspace(0, 3, 12)
    se = np.full(12, 0.6)
    true_rank = stats.rankdata(-theta, method="min")
    rng = np.random.default_rng(2024)
    reps, marginal_hits, joint_hits, width = 300, np.zeros(12), 0, 0.0
    for r in range(reps):
        est = theta + se * rng.standard_normal(12)
        m = rank_intervals(est, se, confidence=0.9, method=method, n_draws=1000, seed=r)
        inside = (m["rank_low"] <= true_rank) & (true_rank <= m["rank_high"])
        marginal_hits += inside.to_numpy()
        s = rank_intervals(est, se, confidence=0.9, simultaneous=True, method=method, n_draws=1000, seed=r)
        joint_hits += bool(((s["rank_low"] <= true_rank) & (true_rank <= s["rank_high"])).all())
        width += float((m["rank_high"] - m["rank_low"]).mean())
    assert marginal_hits.min() / reps >= 0.86  # each unit's own set covers it at least 90% (less MC error)
    assert joint_hits / reps >= 0.86
    assert 1 < width / reps < 11  # informative: neither the bare rank nor the full range


def test_peer_se_prefers_the_se_column_over_a_t_interval():
    from scipy import stats

    from evaluation.indicators.profile import _peer_se

    # A community survey mean: SE 2, interval on t(9), as the survey engine gives it.
    half = stats.t.ppf(0.975, 9) * 2.0
    rows = pd.DataFrame({"value": [70.0, 0.5, 10.0, 3.0], "se": [2.0, np.nan, np.nan, np.nan],
                         "ci_low": [70 - half, 0.4, np.nan, 1.0], "ci_high": [70 + half, 0.6, np.nan, np.nan]})
    se = _peer_se(rows, 0.95)
    assert se[0] == 2.0                                         # not 2.26 / 1.96 × 2
    assert se[1] == pytest.approx(0.1 / stats.norm.ppf(0.975))  # no SE: from the (normal) interval
    assert se[2] == 0.0 and np.isnan(se[3])                     # census figure; a one-sided interval
