"""Rambachan-Roth sensitivity (evaluation.impact.honest) against the honestdid port of R HonestDiD on mpdta, and
hand cases whose answer is known without any optimisation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation.impact.honest import breakdown_m, honest_did

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "impact"
INPUT = json.loads((REF_DIR / "honest_mpdta_input.json").read_text())
CASES = json.loads((REF_DIR / "honest_mpdta_reference.json").read_text())["cases"]
B, S = np.array(INPUT["betahat"]), np.array(INPUT["sigma"])
NPRE, NPOST = INPUT["num_pre"], INPUT["num_post"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{c['target']}-{c['m']}"
                         + (f"-pre{len(c['pre_index'])}-post{len(c['post_index'])}" if "pre_index" in c else ""))
def test_matches_honestdid_port_on_mpdta(case):
    if "pre_index" in case:  # a sub-design of the same event study (one pre-period, or one post-period)
        idx = case["pre_index"] + case["post_index"]
        b, s, npre, npost = B[idx], S[np.ix_(idx, idx)], len(case["pre_index"]), len(case["post_index"])
    else:
        b, s, npre, npost = B, S, NPRE, NPOST
    got = honest_did(b, s, npre, npost, case["kind"], [case["m"]], case["target"]).iloc[0]
    assert got["method"] == case["method"]
    # the port reports grid points and simulates its critical values: a few grid steps or 1 % of the width
    tol = max(3 * case["grid_step"], 0.01 * (case["ub"] - case["lb"]))
    assert got["lb"] == pytest.approx(case["lb"], abs=tol)
    assert got["ub"] == pytest.approx(case["ub"], abs=tol)


def test_input_is_the_universal_base_event_study():
    # the committed input is what staggered_did gives today (so the reference stays tied to our estimator)
    import pandas as pd

    from evaluation.config import REFERENCE_DATA_DIR
    from evaluation.impact.staggered_did import staggered_did

    d = pd.read_csv(REFERENCE_DATA_DIR / "mpdta.csv")
    res = staggered_did(d, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", control="never",
                        method="reg", base_period="universal")
    es, sigma = res.event_study_coefficients()
    assert es["event_time"].tolist() == INPUT["event_time"] == [-4, -3, -2, 0, 1, 2, 3]
    np.testing.assert_allclose(es["estimate"], B, rtol=1e-10)
    np.testing.assert_allclose(sigma, S, rtol=1e-10)
    # the diagonal gives the SEs of the dynamic aggregation
    dyn = res.aggregate("dynamic").set_index("event_time")
    np.testing.assert_allclose(np.sqrt(np.diag(sigma)), dyn.loc[INPUT["event_time"], "se"], rtol=1e-10)


def test_hand_case_relative_magnitudes_tends_to_identified_set():
    # one pre and one post period, almost no noise: |delta_1| <= Mbar |delta_-1|, so theta in beta_1 +- Mbar |beta_-1|
    b = np.array([0.2, 1.0])
    out = honest_did(b, np.eye(2) * 1e-12, 1, 1, "relative_magnitude", [0.0, 0.5, 2.0])
    np.testing.assert_allclose(out["lb"], [1.0, 0.9, 0.6], atol=1e-4)
    np.testing.assert_allclose(out["ub"], [1.0, 1.1, 1.4], atol=1e-4)
    assert (out["method"] == "C-LF").all()


def test_hand_case_smoothness_m0_is_linear_extrapolation():
    # Delta^SD(0): linear trends through the reference period; with one pre-period delta_1 = -delta_-1, so
    # theta = beta_1 + beta_-1; with independent SEs s the FLCI is that +- 1.96 sqrt(2) s
    b = np.array([-0.3, 1.0])
    s = 0.1
    out = honest_did(b, np.eye(2) * s**2, 1, 1, "smoothness", [0.0]).iloc[0]
    assert (out["lb"] + out["ub"]) / 2 == pytest.approx(0.7, abs=1e-9)
    assert (out["ub"] - out["lb"]) / 2 == pytest.approx(1.959963985 * np.sqrt(2) * s, rel=1e-6)


def test_no_departure_allowed_gives_the_ordinary_interval_for_relative_magnitudes():
    # Mbar = 0 forces delta_post = 0 (with the pre-periods' own noise the C-LF set is at least as wide as the
    # ordinary CI at the small hybrid cost): compare with the ordinary 95 % CI of the first post period
    out = honest_did(B, S, NPRE, NPOST, "relative_magnitude", [0.0]).iloc[0]
    se = np.sqrt(S[NPRE, NPRE])
    assert out["lb"] <= B[NPRE] - 1.9 * se and out["ub"] >= B[NPRE] + 1.9 * se
    assert out["ub"] - out["lb"] < 2 * 2.2 * se


def test_breakdown_is_where_the_set_reaches_zero():
    # the first-period effect (-0.020, SE 0.012) is not significant even under parallel trends: breakdown 0
    assert breakdown_m(B, S, NPRE, NPOST, "relative_magnitude", "first") == 0.0
    for kind, target in (("relative_magnitude", "average"), ("smoothness", "average")):
        bd = breakdown_m(B, S, NPRE, NPOST, kind, target)
        assert 0 < bd < np.inf
        step = 0.01 if kind == "relative_magnitude" else 0.01 * np.sqrt(S.diagonal().max())
        below = honest_did(B, S, NPRE, NPOST, kind, [max(bd - step, 0)], target).iloc[0]
        above = honest_did(B, S, NPRE, NPOST, kind, [bd + step], target).iloc[0]
        assert not (below["lb"] <= 0 <= below["ub"])
        assert above["lb"] <= 0 <= above["ub"]
    # the average-target set at Mbar = 0.5 already reaches 0 in the port's reference (ub = 0.0004)
    assert breakdown_m(B, S, NPRE, NPOST, "relative_magnitude", "average") < 0.5


def test_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        honest_did(B, S, NPRE, NPOST, kind="wiggle")
    with pytest.raises(ValueError, match="entries"):
        honest_did(B[:-1], S, NPRE, NPOST)
    with pytest.raises(ValueError, match="target"):
        honest_did(B, S, NPRE, NPOST, target="last")
    with pytest.raises(ValueError, match="at least 1"):
        honest_did(B[NPRE:], S[NPRE:, NPRE:], 0, NPOST)


def test_kept_normal_draws_give_numpys_multivariate_normal_bitwise():
    # the least-favourable critical values reuse standard normal draws between calls; they must stay the very
    # numbers of numpy's multivariate_normal (method="eigh"), singular covariances included
    from evaluation.impact.honest import _mvn_draws

    rng = np.random.default_rng(3)
    for m in (1, 4, 8):
        for rank in (m, max(1, m - 2)):
            x = rng.standard_normal((m, rank))
            cov = x @ x.T
            for _ in range(2):  # the second call reads the kept draws
                ours = _mvn_draws(cov, 5000, 11)
                numpys = np.random.default_rng(11).multivariate_normal(np.zeros(m), cov, size=5000, method="eigh")
                assert ours.tobytes() == numpys.tobytes()
