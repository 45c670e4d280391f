"""Sample sizes against statsmodels NormalIndPower (means) and R power.prop.test (proportions)."""

from __future__ import annotations

import pytest
from statsmodels.stats.power import NormalIndPower

from evaluation.survey.power import n_for_mean_change, n_for_proportion_change


def test_mean_matches_statsmodels():
    # Our formula, like most texts, ignores the far tail of the two-sided test: one-sided at alpha/2 is exact.
    want = NormalIndPower().solve_power(effect_size=3 / 15, alpha=0.025, power=0.8, ratio=1.0, alternative="larger")
    got = n_for_mean_change(delta=3, sd=15, alpha=0.05, power=0.8)
    assert got.n_srs == pytest.approx(want, rel=1e-6)
    assert n_for_mean_change(3, 15, deff=1.8).n == pytest.approx(1.8 * want, rel=1e-6)


def test_proportion_matches_r(ref):
    e = ref["power"]
    got = n_for_proportion_change(e["prop_p1"], e["prop_p2"], alpha=e["alpha"], power=e["power"], deff=2.0)
    assert got.n_srs == pytest.approx(e["prop_n"], rel=1e-6)  # R solves with uniroot
    assert got.n_required == int(-(-2 * e["prop_n"] // 1))
