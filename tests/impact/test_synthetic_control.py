"""Synthetic control: reproduce Abadie, Diamond & Hainmueller (2010) on the Proposition 99 data."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.synthetic_control import placebo_test, synthetic_control

SMOKING = REFERENCE_DATA_DIR / "smoking_prop99.csv"
# ADH (2010) Table 1 predictor set: lnincome, retprice, age15to24 averaged 1980-88, beer 1984-88, cigsale 1975,
# 1980 and 1988
PREDICTORS = [("lnincome", 1980, 1988), ("retprice", 1980, 1988), ("age15to24", 1980, 1988),
              ("beer", 1984, 1988), ("cigsale", 1975, 1975), ("cigsale", 1980, 1980), ("cigsale", 1988, 1988)]
# ADH (2010) Table 2, "State weights in the synthetic California"
PUBLISHED_W = {"Utah": 0.334, "Nevada": 0.234, "Montana": 0.199, "Colorado": 0.164, "Connecticut": 0.069}


@pytest.fixture(scope="module")
def smoking():
    return pd.read_csv(SMOKING)


@pytest.fixture(scope="module")
def prop99(smoking):
    return synthetic_control(smoking, "cigsale", "state", "year", "California", 1989, PREDICTORS)


def test_adh_donor_weights(prop99):
    w = prop99.weights.set_index("unit")["weight"]
    for state, published in PUBLISHED_W.items():
        assert w[state] == pytest.approx(published, abs=0.01)
    assert w.drop(list(PUBLISHED_W)).max() < 0.005
    assert w.sum() == pytest.approx(1.0, abs=1e-9) and (w >= 0).all()


def test_adh_gap_2000(prop99):
    # ADH (2010) section 3.3 / Figure 3: about -26 packs per capita by 2000; tight pre-period fit (Table 1)
    gap2000 = prop99.gaps.set_index("time").loc[2000.0, "gap"]
    assert gap2000 == pytest.approx(-26, abs=1.5)
    assert prop99.pre_rmspe < 2.5
    bal = prop99.balance.set_index("predictor")
    # ADH Table 1 "Synthetic California": retail price 89.41, cigsale 1975 127.10
    assert bal.loc["retprice_1980_1988", "synthetic"] == pytest.approx(89.41, abs=0.5)
    assert bal.loc["cigsale_1975", "synthetic"] == pytest.approx(127.10, abs=0.5)


def test_lowest_loss_is_kept(prop99):
    assert prop99.loss == pytest.approx(prop99.searches["loss"].min())
    assert prop99.predictor_weights["weight"].sum() == pytest.approx(1.0)


def _toy(seed=0):
    rng = np.random.default_rng(seed)
    units = [f"u{i}" for i in range(8)]
    rows = []
    f = rng.normal(size=(3, 20)).cumsum(axis=1)
    load = rng.dirichlet(np.ones(3), size=8)
    for i, u in enumerate(units):
        for t in range(20):
            y = load[i] @ f[:, t] + rng.normal(scale=0.05) + (-2.0 if (u == "u0" and t >= 14) else 0)
            rows.append((u, t, y, load[i, 0]))
    return pd.DataFrame(rows, columns=["unit", "t", "y", "x"])


def test_toy_effect_and_placebo_rank():
    d = _toy()
    preds = [("y", 0, 13), ("y", 13, 13), ("x", 0, 13)]
    res = synthetic_control(d, "y", "unit", "t", "u0", 14, preds)
    post = res.gaps[res.gaps.time >= 14]
    assert post["gap"].mean() < -1.0
    pl = placebo_test(d, "y", "unit", "t", "u0", 14, preds, fit=res)
    tab = pl.table
    assert len(tab) == 8 and tab.loc[tab.is_treated, "rank"].iloc[0] == 1
    assert pl.p_value == pytest.approx(1 / 8)
    np.testing.assert_allclose(tab["ratio"], tab["post_rmspe"] / tab["pre_rmspe"])


def test_errors(smoking):
    with pytest.raises(ValueError, match="no data"):
        synthetic_control(smoking, "cigsale", "state", "year", "California", 1989, [("beer", 1970, 1975)])


@pytest.mark.slow
def test_adh_placebo_california_most_extreme(smoking, prop99):
    # ADH (2010) Figure 8: California has the largest post/pre RMSPE ratio of the 39 states, p = 1/39
    pl = placebo_test(smoking, "cigsale", "state", "year", "California", 1989, PREDICTORS, fit=prop99)
    assert pl.p_value == pytest.approx(1 / 39)


def _reference_simplex_ls(a, b):
    """The inner solve as it was written before the fast path: vstack/append and the public scipy.optimize.nnls."""
    from scipy import optimize

    scale = max(1.0, float(np.abs(a).max()), float(np.abs(b).max())) * 1e4
    w, _ = optimize.nnls(np.vstack([a, np.full((1, a.shape[1]), scale)]), np.append(b, scale),
                         maxiter=50 * a.shape[1])
    s = w.sum()
    return w / s if s > 0 else np.full(a.shape[1], 1.0 / a.shape[1])


@pytest.mark.parametrize("use_raw", [True, False])
def test_inner_fast_path_is_bitwise_the_public_solver(monkeypatch, use_raw):
    # the V-search's inner solve skips scipy's wrapper and rebuilds the system in place: it must give the same bits
    # (the figures of notebook 40 depend on the optimiser's exact path), with and without scipy's private routine
    sc = sys.modules["evaluation.impact.synthetic_control"]  # the package re-exports a function of that name
    if use_raw:
        assert sc._RAW_NNLS is not None  # the installed scipy (1.17) has it; a change here means the slow path
    else:
        monkeypatch.setattr(sc, "_RAW_NNLS", None)
    rng = np.random.default_rng(7)
    for k, n in ((6, 20), (6, 19), (3, 5), (8, 2)):
        x = rng.normal(size=(k, n + 1)) * rng.uniform(0.1, 30, size=(k, 1))
        x0, x1 = x[:, 1:], x[:, 0]  # strided views, as in _fit
        solve = sc._simplex_ls_scaled(x0, x1)
        for _ in range(50):
            v = rng.dirichlet(np.ones(k)) * rng.choice([1.0, 1e-9])
            v[rng.integers(k)] = 0.0
            sv = np.sqrt(v)
            expected = _reference_simplex_ls(x0 * sv[:, None], x1 * sv)
            assert solve(v).tobytes() == expected.tobytes()
            assert sc._simplex_ls(x0 * sv[:, None], x1 * sv).tobytes() == expected.tobytes()
    with pytest.raises(ValueError):  # non-finite V still fails as scipy's nnls does
        sc._simplex_ls_scaled(x0, x1)(np.full(8, np.nan))
