"""Interrupted time series against R glm / MASS::glm.nb (tests/reference/impact/make_r_reference.R) and the
published Sicily smoking-ban tutorial (Lopez Bernal, Cummins & Gasparrini 2017, IJE 46(1):348-355)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.its import fourier_terms, interrupted_time_series

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "impact" / "its_sicily_r.json").read_text())
SICILY = REFERENCE_DATA_DIR / "sicily.csv"

CASES = {
    "model1_poisson": dict(family="poisson"),
    "model2_quasipoisson": dict(family="quasipoisson"),
    "model3_quasipoisson_harmonic": dict(family="quasipoisson", seasonality="fourier", season="month"),
    "model4_quasipoisson_slope": dict(family="quasipoisson", seasonality="fourier", season="month",
                                      slope_change=True),
    "model5_negbin_harmonic": dict(family="negbin", seasonality="fourier", season="month"),
}


@pytest.fixture(scope="module")
def sicily():
    return pd.read_csv(SICILY)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_r_glm(sicily, case):
    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop", **CASES[case])
    ref = REF[case]
    got = res.coefficients.set_index("term").loc[ref["term"]]
    if case.startswith("model5"):
        # glm.nb stops its theta/beta alternation early on this nearly-Poisson series (theta ~ 840, flat
        # likelihood), so R's own answer is only that precise
        np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=0, atol=1e-8)
        np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-6)
        assert res.theta == pytest.approx(ref["theta"], rel=1e-5)
    else:
        np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=0, atol=1e-8)
        np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-8)
        assert res.dispersion == pytest.approx(ref["dispersion"], rel=1e-8)


def test_published_seasonally_adjusted_rr(sicily):
    # Lopez Bernal et al. (2017), Step 5c: quasi-Poisson with harmonic(month, 2, 12):
    # RR of the ban 0.885 (95% CI 0.838-0.934), t-based interval on 52 residual df
    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop",
                                  family="quasipoisson", seasonality="fourier", season="month")
    lc = res.level_change
    assert round(lc["rate_ratio"], 3) == 0.885
    assert round(lc["rr_ci_low"], 3) == 0.838
    assert round(lc["rr_ci_high"], 3) == 0.934


def test_fourier_matches_definition():
    f = fourier_terms(np.array([3.0]), 2, 12)
    assert f["sin1"].iloc[0] == pytest.approx(1.0)
    assert f["cos2"].iloc[0] == pytest.approx(-1.0)
    assert list(f.columns) == ["sin1", "sin2", "cos1", "cos2"]


def test_month_dummies_and_counterfactual(sicily):
    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop",
                                  family="poisson", seasonality="dummies", season="month")
    assert res.coefficients["term"].str.startswith("season_").sum() == 11
    fit = res.fitted
    pre = fit["time"] < 37
    np.testing.assert_allclose(fit.loc[pre, "fitted"], fit.loc[pre, "counterfactual"], rtol=1e-10)
    ratio = fit.loc[~pre, "fitted"] / fit.loc[~pre, "counterfactual"]
    np.testing.assert_allclose(ratio, res.level_change["rate_ratio"], rtol=1e-10)


def test_intervention_column_equivalent(sicily):
    a = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop")
    b = interrupted_time_series(sicily, "aces", "time", intervention="smokban", offset="stdpop")
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)


def test_needs_pre_and_post(sicily):
    with pytest.raises(ValueError, match="no pre- or no post"):
        interrupted_time_series(sicily, "aces", "time", intervention_start=100, offset="stdpop")


def test_ljung_box_matches_statsmodels(sicily):
    from statsmodels.stats.diagnostic import acorr_ljungbox

    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop",
                                  family="quasipoisson", seasonality="fourier", season="month")
    f = res.fitted
    pearson = (f["observed"] - f["fitted"]) / np.sqrt(f["fitted"])
    ref = acorr_ljungbox(pearson.to_numpy(), lags=[11])
    assert res.autocorrelation["lags"] == 11  # min(2 * 12, 59 // 5)
    assert res.autocorrelation["statistic"] == pytest.approx(float(ref["lb_stat"].iloc[0]), rel=1e-10)
    assert res.autocorrelation["p_value"] == pytest.approx(float(ref["lb_pvalue"].iloc[0]), rel=1e-8)


def test_newey_west_matches_statsmodels_hac(sicily):
    import statsmodels.api as sm

    kw = dict(offset="stdpop", family="poisson", seasonality="fourier", season="month", slope_change=True)
    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, cov_type="newey_west", nw_lags=3,
                                  **kw)
    plain = interrupted_time_series(sicily, "aces", "time", intervention_start=37, **kw)
    x = pd.concat([pd.DataFrame({"const": 1.0, "time": sicily["time"], "level": (sicily["time"] >= 37) * 1.0,
                                 "slope": (sicily["time"] - 36).clip(lower=0) * 1.0}),
                   fourier_terms(sicily["month"], 2, 12)], axis=1)
    ref = sm.GLM(sicily["aces"], x, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])) \
        .fit(cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": False}, tol=1e-13)
    np.testing.assert_allclose(res.coefficients["se"], ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.coefficients["estimate"], plain.coefficients["estimate"])
    assert res.cov_type == "newey_west" and res.nw_lags == 3
    assert interrupted_time_series(sicily, "aces", "time", intervention_start=37, cov_type="newey_west",
                                   **kw).nw_lags == 3   # floor(4 (59/100)^(2/9)) = floor(3.56)
    with pytest.raises(ValueError, match="cov_type"):
        interrupted_time_series(sicily, "aces", "time", intervention_start=37, cov_type="hc1")


def test_counterfactual_band_by_delta_method(sicily):
    from scipy import stats

    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, offset="stdpop",
                                  family="quasipoisson", slope_change=True)
    f = res.fitted.set_index("time")
    coef = res.coefficients.set_index("term")
    # before the intervention the counterfactual is the fit itself; its band is the fit's
    np.testing.assert_allclose(f.loc[:36, "counterfactual"], f.loc[:36, "fitted"], rtol=1e-10)
    assert (f["cf_low"] < f["counterfactual"]).all() and (f["counterfactual"] < f["cf_high"]).all()
    # the band widens with the distance extrapolated
    width = np.log(f["cf_high"] / f["cf_low"])
    assert width.loc[59] > width.loc[37] > width.loc[20]
    # hand delta method at t = 59 with intercept and time only (level and slope set to zero)
    q = stats.t.ppf(0.975, 59 - 4)
    lin = coef.loc["const", "estimate"] + 59 * coef.loc["time", "estimate"] \
        + np.log(sicily.set_index("time").loc[59, "stdpop"])
    var_c, var_t = coef.loc["const", "se"] ** 2, coef.loc["time", "se"] ** 2
    assert np.exp(lin) == pytest.approx(f.loc[59, "counterfactual"])
    half = np.log(f.loc[59, "cf_high"]) - lin
    # the covariance of const and time is not in the table: check the half-width sits between the bounds it allows
    lo_b, hi_b = abs(np.sqrt(var_c) - 59 * np.sqrt(var_t)), np.sqrt(var_c) + 59 * np.sqrt(var_t)
    assert q * lo_b <= half <= q * hi_b


DOSE = json.loads((Path(__file__).resolve().parents[1] / "reference" / "its_dose" / "its_dose.json").read_text())


@pytest.fixture(scope="module")
def dose_series():
    # the monthly petitions series of tests/reference/indicators with the adopted share R computed
    # (tests/reference/its_dose/make_reference.R)
    src = json.loads((Path(__file__).resolve().parents[1] / "reference" / "indicators"
                      / "indicators_reference.json").read_text())["its"]
    return pd.DataFrame({"count": src["count"], "time": np.arange(1, len(src["count"]) + 1, dtype=float),
                         "share": DOSE["share"], "expo": src["exposure"],
                         "month": [int(m[5:]) for m in src["months"]]})


DOSE_KW = dict(offset="expo", seasonality="fourier", season="month", dose="share")
DOSE_TERMS = {"(Intercept)": "const", "time": "time", "share": "dose", "sin1": "sin1", "sin2": "sin2",
              "cos1": "cos1", "cos2": "cos2"}


@pytest.mark.parametrize("family", ["quasipoisson", "negbin"])
def test_dose_design_matches_r_glm(dose_series, family):
    r = DOSE[family]
    res = interrupted_time_series(dose_series, "count", "time", family=family, **DOSE_KW)
    got = res.coefficients.set_index("term").loc[[DOSE_TERMS[t] for t in r["terms"]]]
    # glm.nb reached its alternation limit (theta ~ 15): R's own answer is only that precise
    tol = dict(abs=1e-8, rel=1e-7) if family == "quasipoisson" else dict(abs=1e-5, rel=1e-4)
    np.testing.assert_allclose(got["estimate"], r["estimate"], rtol=0, atol=tol["abs"])
    np.testing.assert_allclose(got["se"], r["se"], rtol=tol["rel"])
    if family == "negbin":
        assert res.theta == pytest.approx(r["theta"], rel=1e-4)
    else:
        assert res.dispersion == pytest.approx(r["dispersion"], rel=1e-8)
    # the counterfactual (share 0 throughout) and its band, against predict(se.fit = TRUE) on the link scale
    for col in ("counterfactual", "cf_low", "cf_high"):
        np.testing.assert_allclose(res.fitted[col], r[col], rtol=tol["rel"] * 10)
    assert res.design == "dose" and res.level_change is None and res.effect_at_start is None
    assert res.dose_effect["rate_ratio"] == pytest.approx(np.exp(r["estimate"][2]), rel=tol["rel"])


def test_dose_design_newey_west_matches_sandwich(dose_series):
    res = interrupted_time_series(dose_series, "count", "time", family="quasipoisson", cov_type="newey_west",
                                  nw_lags=DOSE["newey_west_poisson"]["lag"], **DOSE_KW)
    ref = dict(zip(DOSE["quasipoisson"]["terms"], DOSE["newey_west_poisson"]["se"]))
    got = res.coefficients.set_index("term")["se"]
    for r_term, ours in DOSE_TERMS.items():
        assert got[ours] == pytest.approx(ref[r_term], rel=1e-6), ours


def test_dose_design_with_a_0_1_dose_is_the_level_model(sicily):
    # a dose that jumps from 0 to 1 is the break: the same fit, the same counterfactual band
    kw = dict(offset="stdpop", family="quasipoisson", seasonality="fourier", season="month")
    a = interrupted_time_series(sicily, "aces", "time", intervention="smokban", **kw)
    b = interrupted_time_series(sicily, "aces", "time", dose="smokban", **kw)
    np.testing.assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"])
    assert b.dose_effect["rate_ratio"] == pytest.approx(a.level_change["rate_ratio"])
    np.testing.assert_allclose(a.fitted["cf_high"], b.fitted["cf_high"])


def test_dose_design_refuses_bad_doses(sicily):
    with pytest.raises(ValueError, match="dose replaces the break"):
        interrupted_time_series(sicily, "aces", "time", dose="smokban", slope_change=True)
    with pytest.raises(ValueError, match=r"row 3: .* not a share in \[0, 1\]"):
        interrupted_time_series(sicily.assign(d=np.r_[0, 0, 0, 1.5, np.zeros(55)]), "aces", "time", dose="d")
    with pytest.raises(ValueError, match="exposure 0 and periods above 0"):
        interrupted_time_series(sicily.assign(d=0.5), "aces", "time", dose="d")


def test_effect_at_start_is_level_plus_slope(sicily):
    from scipy import stats

    kw = dict(offset="stdpop", family="poisson", seasonality="fourier", season="month")
    res = interrupted_time_series(sicily, "aces", "time", intervention_start=37, slope_change=True, **kw)
    c = res.coefficients.set_index("term")
    e = res.effect_at_start
    assert e["estimate"] == pytest.approx(c.at["level", "estimate"] + c.at["slope", "estimate"])
    # the slope term is 1 at time 37, so the fitted / counterfactual ratio there is exp(b2 + b3)
    f = res.fitted.set_index("time")
    assert f.at[37, "fitted"] / f.at[37, "counterfactual"] == pytest.approx(e["rate_ratio"])
    assert (e["rr_ci_low"], e["rr_ci_high"]) == pytest.approx(
        tuple(np.exp(e["estimate"] + np.array([-1, 1]) * stats.norm.ppf(0.975) * e["se"])))
    # its SE lies between the bounds the two coefficient SEs allow
    sl, ss = c.at["level", "se"], c.at["slope", "se"]
    assert abs(sl - ss) <= e["se"] <= sl + ss
    # without a slope term it is the level change itself
    plain = interrupted_time_series(sicily, "aces", "time", intervention_start=37, **kw)
    assert plain.effect_at_start["rate_ratio"] == pytest.approx(plain.level_change["rate_ratio"])
    assert plain.effect_at_start["se"] == pytest.approx(plain.level_change["se"])
