"""District-wide synthetic control: the ADH (2010) permutation p-value on Prop 99, a planted toy effect, and recovery
of the planted district-wide effect of the synthetic district's comparison panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.district_scm import (PANEL_OUTCOMES, conformal_intervals, default_predictors,
                                           district_synthetic_control)
from evaluation.impact.synthetic_control import synthetic_control
from evaluation.synthetic import generate_district
from evaluation.synthetic.comparison import DISTRICT_OUTCOMES

from .test_synthetic_control import PREDICTORS, _toy

BUNDLED_SEED = 20241231


def _hull_toy(seed=1, effect=-2.0, noise=0.05):
    """Linear factor model (Abadie 2021, eq. 5) with u0's loadings the 50/50 mix of u1's and u2's, so that a
    synthetic control exists; ``effect`` is added to u0 from t = 14 on."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(3, 20)).cumsum(axis=1)
    load = rng.dirichlet(np.ones(3), size=8) * 3
    load[0] = 0.5 * load[1] + 0.5 * load[2]
    y = load @ f + rng.normal(scale=noise, size=(8, 20))
    y[0, 14:] += effect
    return pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(8)], 20), "t": np.tile(np.arange(20), 8),
                         "y": y.ravel()})


@pytest.fixture(scope="module")
def hull_fit():
    """The district synthetic control of :func:`_hull_toy`, fitted once for the tests that only read it (the result's
    methods compute from its frames and never change them)."""
    d = _hull_toy()
    return district_synthetic_control(d, "y", "u0", 14, [("y", t, t) for t in range(0, 14, 2)], unit="unit",
                                      time="t")


def test_toy_planted_effect_and_rank(hull_fit):
    # 8 units, so the smallest p-value is 1/8; the planted effect is -2.0 (noise SD 0.05)
    res = hull_fit
    assert res.att_post == pytest.approx(-2.0, abs=0.15)
    assert res.gap_last == pytest.approx(-2.0, abs=0.25) and res.last_year == 19
    assert res.rank == 1 and res.p_value == pytest.approx(1 / 8) and res.n_units == 8
    assert res.rmspe_ratio == pytest.approx(res.post_rmspe / res.pre_rmspe)
    assert res.weights["weight"].sum() == pytest.approx(1.0) and len(res.weights) == 7
    assert res.pre_rmspe < res.naive_pre_rmspe
    # with 8 units p cannot go below 0.125, so at the default 5 % level no effect can stand out
    assert res.conclusion() == "not_distinguishable" and res.conclusion(confidence=7 / 8) == "stands_out"
    assert res.n_smaller == 7  # larger than 7 of the 7 placebos
    # a Holm-adjusted p-value given by the caller decides instead of the unit's own
    assert res.conclusion(confidence=7 / 8, p_value=2 / 8) == "not_distinguishable"
    # leaving out every placebo that fits worse than the treated unit leaves only the better-fitting ones
    d = _toy()
    strict = district_synthetic_control(d, "y", "u0", 14, [("y", 0, 13), ("y", 13, 13), ("x", 0, 13)],
                                        unit="unit", time="t", exclude_pre_mspe_above=1.0)
    kept = strict.placebo[strict.placebo["kept"]]
    assert (kept["pre_rmspe"] <= strict.pre_rmspe + 1e-12).all()
    assert strict.p_value == pytest.approx(1 / len(kept))


def test_treated_unit_and_year_from_the_panel():
    d = _toy().rename(columns={"unit": "district_id", "t": "year"})
    d["programme_start_year"] = pd.array(np.where(d["district_id"] == "u0", 14, pd.NA), dtype="Int64")
    res = district_synthetic_control(d, "y", predictors=[("y", 0, 13), ("x", 0, 13)])
    assert res.treated == "u0" and res.treatment_year == 14
    d.loc[d["district_id"] == "u1", "programme_start_year"] = 15
    with pytest.raises(ValueError, match="one unit"):
        district_synthetic_control(d, "y", predictors=[("y", 0, 13)])


def test_default_predictors():
    panel = pd.DataFrame({"district_id": "a", "year": range(2014, 2025), "y": 0.0, "resident_pop": 1000,
                          "gdp_per_capita_cny": 1.0})
    assert default_predictors(panel, "y", 2020) == [
        ("y", 2014, 2014), ("y", 2016, 2016), ("y", 2019, 2019),
        ("log_resident_pop", 2014, 2019), ("log_gdp_per_capita", 2014, 2019)]
    assert PANEL_OUTCOMES == tuple(DISTRICT_OUTCOMES)


@pytest.mark.slow
def test_prop99_permutation_p_value():
    # ADH (2010) section 4: "the probability of obtaining a post/pre-Proposition 99 MSPE ratio as large as
    # California's is 1/39 = 0.026" (California ranks first of 39 states).
    smoking = pd.read_csv(REFERENCE_DATA_DIR / "smoking_prop99.csv")
    res = district_synthetic_control(smoking, "cigsale", "California", 1989, PREDICTORS, unit="state")
    assert res.rank == 1 and res.n_units == 39
    assert res.p_value == pytest.approx(1 / 39)
    assert res.gap_last == pytest.approx(-26, abs=1.5) and res.last_year == 2000   # ADH figure 3


@pytest.fixture(scope="module")
def bundled_panel():
    district = generate_district(BUNDLED_SEED)
    return district.tables["district_panel"], district.truth


@pytest.fixture(scope="module")
def bundled_fits(bundled_panel):
    """``district_synthetic_control(panel, outcome)`` with its defaults for each outcome of the bundled panel,
    fitted once (a fit and its 20 placebos) for the tests that only read the results."""
    panel, _ = bundled_panel
    return {outcome: district_synthetic_control(panel, outcome) for outcome in DISTRICT_OUTCOMES}


# Tolerances in units of the generator's noise SD of the outcome (DISTRICT_OUTCOMES): with the true weights the
# error of a gap would be about 1.1 SD; estimating the weights from six pre-period years raises the RMSE of the 2024
# gap to about 1.6 SD over seeds 1-8 (all three outcomes), so 4 SD for one year's gap and 3 SD for the mean of five.
# The fit is the one district_synthetic_control makes (same predictors, donors and starts), without its placebos.
@pytest.mark.parametrize("outcome", list(DISTRICT_OUTCOMES))
def test_recovers_planted_district_effect(bundled_panel, outcome):
    panel, truth = bundled_panel
    noise = DISTRICT_OUTCOMES[outcome][2]
    data = panel.assign(log_resident_pop=np.log(panel["resident_pop"].astype(float)),
                        log_gdp_per_capita=np.log(panel["gdp_per_capita_cny"]))
    fit = synthetic_control(data, outcome, "district_id", "year", "D00", 2020,
                            default_predictors(panel, outcome, 2020), n_random_starts=2)
    gaps = fit.gaps.set_index("time")["gap"]
    assert gaps[2024.0] == pytest.approx(truth[f"impact.district.{outcome}.gap_2024"]["value"], abs=4 * noise)
    assert gaps[gaps.index >= 2020].mean() == pytest.approx(truth[f"impact.district.{outcome}.att_post"]["value"],
                                                            abs=3 * noise)
    assert fit.pre_rmspe < 2 * noise


def test_placebo_p_value_small_on_bundled_seed(bundled_panel, bundled_fits):
    _, truth = bundled_panel
    res = bundled_fits["on_time_rate"]
    assert res.treated == "D00" and res.treatment_year == 2020
    assert res.n_units == 21 and res.p_value <= 0.10
    assert res.conclusion(confidence=0.90) == "stands_out"
    assert res.pre_rmspe < 0.5 * res.naive_pre_rmspe
    assert res.gap_last == pytest.approx(truth["impact.district.on_time_rate.gap_2024"]["value"],
                                         abs=4 * DISTRICT_OUTCOMES["on_time_rate"][2])


def test_placebos_get_the_same_optimisation(monkeypatch):
    import importlib

    # the package re-exports a function under the module's name
    sc = importlib.import_module("evaluation.impact.synthetic_control")
    dscm = importlib.import_module("evaluation.impact.district_scm")
    calls = []
    real = sc.synthetic_control

    def spy(*args, **kwargs):
        calls.append((kwargs.get("n_random_starts"), kwargs.get("seed")))
        return real(*args, **kwargs)

    monkeypatch.setattr(sc, "synthetic_control", spy)
    monkeypatch.setattr(dscm, "synthetic_control", spy)
    d = _hull_toy()
    district_synthetic_control(d, "y", "u0", 14, [("y", t, t) for t in range(0, 14, 2)], unit="unit", time="t",
                               n_random_starts=3, seed=11)
    assert len(calls) == 8 and set(calls) == {(3, 11)}  # the treated unit and its 7 placebos alike


def test_intervals_invert_the_placebo_test(hull_fit):
    # 8 units: 7 placebos; at alpha = 0.25 the district's rank p-value must exceed 0.25, i.e. at least one placebo
    # at least as large (k = floor(8 * 0.25 - 1) + 1 = 2 -> the second largest placebo |gap|)
    res = hull_fit
    pg = res.placebo_gaps[res.placebo_gaps["unit"] != "u0"]
    out = res.intervals(confidence=0.75).set_index("term")
    for year in range(14, 20):
        c = np.sort(np.abs(pg.loc[pg["year"] == year, "gap"].to_numpy()))[::-1][1]
        g = res.gaps.set_index("year").loc[year, "gap"]
        assert out.loc[year, "ci_low"] == pytest.approx(g - c) and out.loc[year, "ci_high"] == pytest.approx(g + c)
        # the ends are exactly where the test flips: just inside, p > alpha; just outside, p <= alpha
        for theta, accepted in ((g - c + 1e-9, True), (g - c - 1e-9, False)):
            stat = abs(g - theta)
            p = (1 + np.sum(np.abs(pg.loc[pg["year"] == year, "gap"].to_numpy()) >= stat)) / 8
            assert bool(p > 0.25) is accepted
    means = pg[pg["year"] >= 14].groupby("unit")["gap"].mean().abs().sort_values(ascending=False)
    assert out.loc["att_post", "ci_high"] - res.att_post == pytest.approx(means.iloc[1])
    # the planted effect (-2.0) lies inside, and at alpha = 0.05 one more placebo than exist would be needed
    assert out.loc["att_post", "ci_low"] <= -2.0 <= out.loc["att_post", "ci_high"]
    assert np.isinf(res.intervals(confidence=0.95)["ci_low"]).all()


def test_bundled_district_gap_intervals_cover_the_planted_truth(bundled_panel, bundled_fits):
    _, truth = bundled_panel
    inside, total = 0, 0
    for outcome in DISTRICT_OUTCOMES:
        res = bundled_fits[outcome]
        for r in res.intervals(0.95).itertuples():
            key = f"impact.district.{outcome}." + ("att_post" if r.term == "att_post" else f"gap_{r.term}")
            total += 1
            inside += r.ci_low <= truth[key]["value"] <= r.ci_high
            assert np.isfinite(r.ci_low) and r.ci_low < r.estimate < r.ci_high
    assert total == 18 and inside / total >= 0.9


def _cwz_p_reference(y1, y0, t0, i, theta):
    """CWZ (2021) p-value for one post period written independently: SLSQP on the simplex, and for T* = 1 the
    moving-block p-value is the share of the T0 + 1 absolute residuals at least as large as period i's."""
    from scipy import optimize

    rows = list(range(t0)) + [i]
    y = y1[rows].copy()
    y[-1] -= theta
    x = y0[rows]
    k = x.shape[1]
    res = optimize.minimize(lambda w: np.sum((y - x @ w) ** 2), np.full(k, 1 / k), method="SLSQP",
                            bounds=[(0, 1)] * k, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                            options={"ftol": 1e-14, "maxiter": 1000})
    u = np.abs(y - x @ res.x)
    return np.mean(u >= u[-1] - 1e-9)


def test_conformal_intervals_invert_the_cwz_test():
    # 14 pre-period periods: the smallest p-value is 1/15 < 0.10, so a 90 % interval exists
    d = _hull_toy()
    out = conformal_intervals(d, "y", "u0", 14, confidence=0.9, unit="unit", time="t").set_index("term")
    wide = d.pivot(index="t", columns="unit", values="y")
    y1, y0 = wide["u0"].to_numpy(), wide.drop(columns="u0").to_numpy()
    assert list(out.index) == list(range(14, 20)) and np.allclose(out["p_min"], 1 / 15)
    for i in range(14, 20):
        lo, hi = out.loc[i, "ci_low"], out.loc[i, "ci_high"]
        assert np.isfinite(lo) and lo < out.loc[i, "estimate"] < hi
        # the planted effect (-2.0, noise SD 0.05) lies inside
        assert lo <= -2.0 <= hi
        # the ends are where the independently computed test flips (a relative step of 1e-3 of the width)
        eps = 1e-3 * (hi - lo)
        assert _cwz_p_reference(y1, y0, 14, i, lo + eps) > 0.1 >= _cwz_p_reference(y1, y0, 14, i, lo - eps)
        assert _cwz_p_reference(y1, y0, 14, i, hi - eps) > 0.1 >= _cwz_p_reference(y1, y0, 14, i, hi + eps)


def test_conformal_intervals_on_bundled_district(bundled_panel):
    # six pre-period years: p cannot go below 1/7, so at 90 % nothing can be rejected (both ends infinite) ...
    panel, truth = bundled_panel
    wide_open = conformal_intervals(panel, "on_time_rate", "D00", 2020, confidence=0.90)
    assert np.allclose(wide_open["p_min"], 1 / 7)
    assert np.isinf(wide_open[["ci_low", "ci_high"]].to_numpy()).all()
    # ... while the 80 % intervals are finite and hold the planted gaps (15 of 15 on this seed)
    inside, total = 0, 0
    for outcome in DISTRICT_OUTCOMES:
        for r in conformal_intervals(panel, outcome, "D00", 2020, confidence=0.8).itertuples():
            assert np.isfinite(r.ci_low) and r.ci_low < r.estimate < r.ci_high
            total += 1
            inside += r.ci_low <= truth[f"impact.district.{outcome}.gap_{r.term}"]["value"] <= r.ci_high
    assert total == 15 and inside / total >= 0.9


def test_conformal_intervals_refuse_an_incomplete_series():
    d = _hull_toy()
    d.loc[(d["unit"] == "u0") & (d["t"] == 3), "y"] = np.nan
    with pytest.raises(ValueError, match="complete series"):
        conformal_intervals(d, "y", "u0", 14, unit="unit", time="t")


def test_district_synthetic_controls_one_family_holm(bundled_panel):
    from evaluation.impact.district_scm import district_synthetic_controls
    from evaluation.impact.summary import holm

    panel, _ = bundled_panel
    outcomes = list(DISTRICT_OUTCOMES)[:2]
    results, p_holm = district_synthetic_controls(panel, outcomes + ["no_such_outcome"], seed=3)
    assert list(results) == list(p_holm) == outcomes  # an outcome the panel lacks is skipped
    one = district_synthetic_control(panel, outcomes[0], seed=3)
    assert results[outcomes[0]].p_value == one.p_value and results[outcomes[0]].att_post == one.att_post
    assert list(p_holm.values()) == list(holm([r.p_value for r in results.values()]))
    assert all(p_holm[o] >= results[o].p_value for o in outcomes)
    assert district_synthetic_controls(None) == ({}, {})
