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
