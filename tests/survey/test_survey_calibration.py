"""Post-stratification, raking and linear calibration against R survey 4.1.1 (apiclus1 and apiclus2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.survey.calibration import CalibrationWarning

TYPES = pd.Series({"E": 4421, "H": 755, "M": 1018})
SCHWIDE = pd.Series({"No": 1072, "Yes": 5122})
CAL_TOTALS = {"(Intercept)": 6194, "stype[T.H]": 755, "stype[T.M]": 1018, "api99": 3914069}


@pytest.fixture(scope="module")
def calibrated(designs):
    d = designs["clus1"]
    return {
        "poststratify": d.poststratify("stype", TYPES),
        "rake": d.rake({"stype": TYPES, "sch_wide": SCHWIDE}, tol=1e-12),
        "calibrate_linear": d.calibrate("~ stype + api99", CAL_TOTALS),
    }


@pytest.mark.parametrize("kind", ["poststratify", "rake", "calibrate_linear"])
def test_calibrated_weights_and_estimates(calibrated, ref, check, kind):
    d, e = calibrated[kind], ref["calibration"][kind]
    np.testing.assert_allclose(d.weights.to_numpy(), e["weights"], rtol=1e-8)
    check(d.mean("api00"), e["mean_api00"])
    check(d.total("enroll"), e["total_enroll"])
    check(d.ratio("api_stu", "enroll"), e["ratio_apistu_enroll"])
    check(d.by("api00", "stype"), e["by_mean_api00_stype"])
    check(d.mean("acs_k3", na_rm=True), e["mean_acsk3_narm"], cols=("estimate", "se", "ci_low", "ci_high"))
    check(d.glm("api00 ~ ell + meals + mobility"), e["glm_gaussian"], cols=("estimate", "se", "ci_low", "ci_high"))


def test_calibration_hits_the_totals(calibrated):
    ps = calibrated["poststratify"]
    got = ps.data.assign(w=ps.weights).groupby("stype").w.sum()
    np.testing.assert_allclose(got[TYPES.index].to_numpy(), TYPES.to_numpy(), rtol=1e-12)
    # Post-stratifying on stype makes stype totals exact: their SE must collapse to ~0, unlike fixed weights.
    assert calibrated["poststratify"].by("enroll", "stype", stat="total").shape[0] == 3
    tot = calibrated["poststratify"].proportion("stype")
    assert np.all(tot.se < 1e-10)


def test_poststratify_two_stage(designs, ref, check):
    d = designs["clus2"].poststratify("stype", TYPES)
    e = ref["calibration"]["poststratify_clus2"]
    np.testing.assert_allclose(d.weights.to_numpy(), e["weights"], rtol=1e-8)
    check(d.mean("api00"), e["mean_api00"])
    check(d.total("enroll"), e["total_enroll"])


def test_rake_warns_without_convergence(designs):
    with pytest.warns(CalibrationWarning):
        designs["clus1"].rake({"stype": TYPES, "sch_wide": SCHWIDE}, tol=1e-300, max_iter=2)


def test_population_mismatch_errors(designs):
    with pytest.raises(ValueError, match="absent from sample"):
        designs["clus1"].poststratify("stype", pd.Series({"E": 4421, "H": 755, "M": 1018, "X": 5}))
    with pytest.raises(ValueError, match="do not match"):
        designs["clus1"].calibrate("~ stype", {"Intercept": 6194})


# ---------------------------------------------------------------- generalised calibration, bounds, trimming (issue 15)
@pytest.fixture(scope="module")
def generalised(designs, api):
    from evaluation.survey import SurveyDesign

    d = designs["clus1"]
    strat = SurveyDesign(api["strat"], strata="stype", weights="pw", fpc="fpc")
    return {
        "linear_bounded": d.calibrate("~ stype + api99", CAL_TOTALS, bounds=(0.6, 1.6)),
        "raking": d.calibrate("~ stype + api99", CAL_TOTALS, calfun="raking"),
        "raking_bounded": d.calibrate("~ stype + api99", CAL_TOTALS, calfun="raking", bounds=(0.6, 1.6)),
        "logit": d.calibrate("~ stype + api99", CAL_TOTALS, calfun="logit", bounds=(0.5, 2.5)),
        "linear_trim": d.calibrate("~ stype + api99", CAL_TOTALS, bounds=(0.5, 2), trim=(0.8, 1.2)),
        "strat_raking": strat.calibrate("~ api99", {"Intercept": 6194, "api99": 3914069}, calfun="raking"),
    }


@pytest.mark.parametrize("kind", ["linear_bounded", "raking", "raking_bounded", "logit", "linear_trim",
                                  "strat_raking"])
def test_generalised_calibration_matches_r(generalised, ref15, check, kind):
    d, e = generalised[kind], ref15["calibrate"][kind]
    # R iterates (grake, epsilon 1e-7): the weights agree to the iteration's precision.
    np.testing.assert_allclose(d.weights.to_numpy(), e["weights"], rtol=1e-6)
    check(d.mean("api00"), e["mean_api00"], rtol=1e-6)
    check(d.total("enroll"), e["total_enroll"], rtol=1e-6)
    check(d.mean("api99"), e["mean_api99"], cols=("estimate", "se"), rtol=1e-6)


def test_bounds_hold_and_totals_are_met(generalised, designs):
    base = designs["clus1"].weights.to_numpy()
    for kind, (lo, hi) in {"linear_bounded": (0.6, 1.6), "raking_bounded": (0.6, 1.6), "logit": (0.5, 2.5)}.items():
        d = generalised[kind]
        g = d.weights.to_numpy() / base
        assert g.min() >= lo - 1e-9 and g.max() <= hi + 1e-9, kind
        assert d.weights.sum() == pytest.approx(6194, rel=1e-7)
        assert (d.weights * d.data["api99"]).sum() == pytest.approx(3914069, rel=1e-7)
    # Unbounded raking leaves g-weights wider than the bounded fits.
    g_rake = generalised["raking"].weights.to_numpy() / base
    assert g_rake.max() - g_rake.min() > 0


def test_calibration_that_cannot_meet_the_bounds_fails_or_warns(designs):
    d = designs["clus1"]
    with pytest.raises(ValueError, match="failed to converge"):
        d.calibrate("~ stype + api99", CAL_TOTALS, bounds=(0.99, 1.01))
    with pytest.warns(CalibrationWarning):
        forced = d.calibrate("~ stype + api99", CAL_TOTALS, bounds=(0.99, 1.01), force=True)
    assert np.isfinite(forced.weights).all()
    with pytest.raises(ValueError, match="finite bounds"):
        d.calibrate("~ stype + api99", CAL_TOTALS, calfun="logit")
    with pytest.raises(ValueError, match="calfun"):
        d.calibrate("~ stype + api99", CAL_TOTALS, calfun="probit")
    with pytest.raises(ValueError, match="L <= 1 <= U"):
        d.calibrate("~ stype + api99", CAL_TOTALS, bounds=(1.2, 2))


@pytest.mark.parametrize("kind", ["strat", "strat_strict", "calibrated"])
def test_trim_weights_matches_r(designs, api, generalised, ref15, check, kind):
    from evaluation.survey import SurveyDesign

    strat = SurveyDesign(api["strat"], strata="stype", weights="pw", fpc="fpc")
    d = {"strat": strat.trim_weights(upper=40, lower=12),
         "strat_strict": strat.trim_weights(upper=40, lower=12, strict=True),
         "calibrated": generalised["linear_bounded"].trim_weights(upper=40)}[kind]
    e = ref15["trim"][kind]
    np.testing.assert_allclose(d.weights.to_numpy(), e["weights"], rtol=1e-6 if kind == "calibrated" else 1e-10)
    rtol = 1e-6 if kind == "calibrated" else 1e-8
    check(d.mean("api00"), e["mean_api00"], rtol=rtol)
    check(d.total("enroll"), e["total_enroll"], rtol=rtol)
    assert d.weights.sum() == pytest.approx(strat.weights.sum() if kind != "calibrated" else 6194, rel=1e-7)


def test_trim_weights_refuses_impossible_bounds(designs):
    with pytest.raises(ValueError, match="above upper"):
        designs["clus1"].trim_weights(upper=1, lower=2)
    with pytest.raises(ValueError, match="every weight"):
        designs["clus1"].trim_weights(upper=1)
