"""Replicate-weight designs against R's as.svrepdesign (JK1 with fpc, and bootstrap with R's own replicates)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.survey.replicate import ReplicateDesign

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "survey"


def _check_all(r, e, check):
    cols = ("estimate", "se", "ci_low", "ci_high")
    check(r.mean("api00"), e["mean_api00"], cols=cols)
    check(r.total("enroll"), e["total_enroll"], cols=cols)
    check(r.ratio("api_stu", "enroll"), e["ratio_apistu_enroll"], cols=cols)
    check(r.by("api00", "stype"), e["by_mean_api00_stype"], cols=cols)
    check(r.mean("acs_k3", na_rm=True), e["mean_acsk3_narm"], cols=cols)


@pytest.mark.parametrize(("design", "key"), [("clus1", "jk1_clus1"), ("clus1_nofpc", "jk1_clus1_nofpc")])
def test_jk1_carries_fpc(designs, ref, check, design, key):
    r = designs[design].replicate("JK1")
    e = ref["replicate"][key]
    assert r.scale == pytest.approx(e["scale"], rel=1e-12)
    _check_all(r, e, check)


def test_bootstrap_with_r_replicates(api, ref, check):
    e = ref["replicate"]["boot_strat"]
    factors = pd.read_csv(REF_DIR / "boot_repweights_strat.csv").to_numpy()
    r = ReplicateDesign(api["strat"], "pw", factors, scale=e["scale"], rscales=np.array(e["rscales"]))
    _check_all(r, e, check)


def test_bootstrap_scale_and_agreement(designs, ref):
    # Our draws are not R's, but the scale formula is, and with many replicates the bootstrap SE must approach
    # the linearisation SE (Monte Carlo error of an SE from 2000 replicates is about 1.6%).
    r = designs["strat"].replicate("bootstrap", n_reps=50, seed=3)
    assert r.scale == pytest.approx(ref["replicate"]["boot_strat"]["scale"], rel=1e-12)
    big = designs["clus1"].replicate("bootstrap", n_reps=2000, seed=11)
    lin = designs["clus1"].mean("api00").se[0]
    assert big.mean("api00").se[0] == pytest.approx(lin, rel=0.08)


def test_jk1_refuses_stratified(designs):
    with pytest.raises(ValueError, match="stratified"):
        designs["strat"].replicate("JK1")


def test_replicates_where_a_domain_is_empty_are_dropped_with_a_warning(designs, ref15):
    r = designs["clus1"].replicate("JK1")
    e = ref15["replicate_domain"]
    with pytest.warns(UserWarning, match="replicates gave NA results and were discarded"):
        got = r.by("api00", "dnum")
    assert got["dnum"].astype(str).tolist() == e["level"]
    np.testing.assert_allclose(got["estimate"], e["estimate"], rtol=1e-12)
    # Each district is one PSU: the only replicate without it is dropped, the rest agree exactly (R: SE 0, not NA).
    np.testing.assert_allclose(got["se"], e["se"], atol=1e-9)
    assert np.isfinite(got["ci_low"]).all()


@pytest.mark.parametrize("key", ["strat", "strat_mse", "stratclus", "clus1_jk1_mse"])
def test_jkn_and_mse_match_r(designs, api, ref15, check, key):
    from evaluation.survey import SurveyDesign

    if key.startswith("strat"):
        design = designs["strat"] if key != "stratclus" else SurveyDesign(
            api["strat"], ids="dnum", strata="stype", weights="pw", nest=True)
        r = design.replicate("JKn", mse=key.endswith("mse"))
    else:
        r = designs["clus1"].replicate("JK1", mse=True)
    e = ref15["jkn"][key]
    assert r.scale == pytest.approx(e["scale"], rel=1e-12)
    np.testing.assert_allclose(r.rscales, e["rscales"], rtol=1e-12)
    cols = ("estimate", "se", "ci_low", "ci_high")
    check(r.mean("api00"), e["mean_api00"], cols=cols)
    check(r.total("enroll"), e["total_enroll"], cols=cols)
    check(r.by("api00", "awards"), e["by_awards"], cols=cols)


def test_jackknife_types_follow_the_stratification(designs, api):
    from evaluation.survey.replicate import jkn_factors

    with pytest.raises(ValueError, match="unstratified"):
        designs["clus1"].replicate("JKn")
    with pytest.raises(ValueError, match="JK1 for a stratified"):
        designs["strat"].replicate("JK1")
    strata = np.array([1, 1, 2, 3, 3])
    psu = np.array([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="only one PSU"):
        jkn_factors(strata, psu)
    f, rs, scale = jkn_factors(strata, psu, lonely_psu="average")
    assert f.shape == (5, 4) and scale == pytest.approx(5 / 4)
    f, rs, scale = jkn_factors(strata, psu, lonely_psu="adjust")
    assert f.shape == (5, 5) and rs[2] == pytest.approx(2 / 3) and list(f[:, 2]) == [1.5, 1.5, 0, 1.5, 1.5]


@pytest.mark.parametrize(("key", "method", "rho", "mse"), [("brr", "BRR", 0.0, False), ("fay", "Fay", 0.3, False),
                                                           ("fay_mse", "Fay", 0.5, True)])
def test_brr_and_fay_match_r(ref15, check, key, method, rho, mse):
    from evaluation.survey import SurveyDesign

    d = SurveyDesign(pd.read_csv(REF_DIR / "apistrat_paired.csv"), ids="psu_id", strata="pair", weights="pw")
    r = d.replicate(method, fay_rho=rho, mse=mse)  # default Hadamard: Sylvester, as the R script passes
    e = ref15["brr"][key]
    assert r.scale == pytest.approx(e["scale"], rel=1e-12) and r.n_replicates == len(e["rscales"])
    cols = ("estimate", "se", "ci_low", "ci_high")
    check(r.mean("api00"), e["mean_api00"], cols=cols)
    check(r.total("enroll"), e["total_enroll"], cols=cols)
    check(r.by("api00", "awards"), e["by_awards"], cols=cols)


def test_brr_needs_two_psus_per_stratum(designs):
    with pytest.raises(ValueError, match="exactly two PSUs"):
        designs["strat"].replicate("BRR")
    with pytest.raises(ValueError, match="0 < fay_rho < 1"):
        designs["strat"].replicate("Fay", fay_rho=0.0)
    with pytest.raises(ValueError, match="unstratified"):
        designs["clus1"].replicate("BRR")


@pytest.mark.parametrize("key", ["jk1_clus1", "jkn_strat"])
def test_proportion_ciprop_glm_and_degf_on_replicate_designs_match_r(designs, ref15, check, key):
    r = designs["clus1"].replicate("JK1") if key == "jk1_clus1" else designs["strat"].replicate("JKn")
    e = ref15["replicate_more"][key]
    cols = ("estimate", "se", "ci_low", "ci_high")
    assert r.degf() == e["degf"]
    got = r.proportion("stype")
    assert got["level"].tolist() == ["E", "H", "M"]
    check(got, e["prop_stype"], cols=cols)
    for method in ("logit", "xlogit", "mean"):
        # R's logit goes through glm.fit on every replicate (relative convergence 1e-8): 1e-6 there.
        check(r.ciprop("sch_wide_yes", method=method), e["ciprop"][method], cols=cols,
              rtol=1e-6 if method == "logit" else 1e-8)
    fit = r.glm("api00 ~ ell + meals")
    check(fit, e["glm"], cols=cols)
    assert fit["df"].iloc[0] == e["glm"]["df"]
    check(r.glm("sch_wide_yes ~ api99", family="binomial"), e["glm_binomial"], cols=cols, rtol=1e-6)


def _replicate_designs(designs, api, ref) -> dict[str, ReplicateDesign]:
    """The replicate designs of make_issue15_more_reference.R (bootstrap: R's own replicates)."""
    from evaluation.survey import SurveyDesign

    paired = SurveyDesign(pd.read_csv(REF_DIR / "apistrat_paired.csv"), ids="psu_id", strata="pair", weights="pw")
    e = ref["replicate"]["boot_strat"]
    return {
        "jk1_clus1": designs["clus1"].replicate("JK1"),
        "jkn_strat": designs["strat"].replicate("JKn"),
        "jkn_strat_mse": designs["strat"].replicate("JKn", mse=True),
        "brr_paired": paired.replicate("BRR"),
        "fay_paired": paired.replicate("Fay", fay_rho=0.3),
        "boot_strat": ReplicateDesign(api["strat"], "pw", pd.read_csv(REF_DIR / "boot_repweights_strat.csv").to_numpy(),
                                      scale=e["scale"], rscales=np.array(e["rscales"]), method="bootstrap"),
    }


REP_KEYS = ["jk1_clus1", "jkn_strat", "jkn_strat_mse", "brr_paired", "fay_paired", "boot_strat"]


@pytest.mark.parametrize("key", REP_KEYS)
def test_quantiles_on_replicate_designs_match_r(designs, api, ref, ref15b, check, key):
    r = _replicate_designs(designs, api, ref)[key]
    e = ref15b["replicate_quantile"][key]
    cols = ("estimate", "se", "ci_low", "ci_high")
    assert r.degf() == e["degf"]
    for interval in ("mean", "beta", "xlogit", "asin", "quantile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the jackknife warning for interval "quantile"
            got = r.quantile("api00", [0.1, 0.5, 0.9], interval_type=interval)
        check(got, e[interval], cols=cols)
    check(r.quantile("api00", [0.25, 0.75], rule="hf7"), e["hf7_mean"], cols=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(r.quantile("api00", [0.25, 0.75], rule="hf7", interval_type="quantile"), e["hf7_quantile"], cols=cols)


def test_replicate_quantile_drops_missing_rows_and_warns_for_the_jackknife(designs, ref15b, check):
    r = designs["clus1"].replicate("JK1")
    e = ref15b["replicate_quantile"]["jk1_clus1"]
    cols = ("estimate", "se", "ci_low", "ci_high")
    check(r.quantile("acs_k3", 0.5, na_rm=True), e["narm_mean"], cols=cols)
    check(r.quantile("acs_k3", 0.5, interval_type="beta", na_rm=True), e["narm_beta"], cols=cols)
    with pytest.warns(UserWarning, match="Jackknife"):
        check(r.quantile("acs_k3", 0.5, interval_type="quantile", na_rm=True), e["narm_quantile"], cols=cols)
    assert r.quantile("acs_k3", 0.5)[["estimate", "se", "ci_low", "ci_high"]].isna().all(axis=None)
    with pytest.raises(ValueError, match="interval_type"):
        r.quantile("api00", 0.5, interval_type="score")


@pytest.mark.parametrize("key", REP_KEYS)
def test_deff_on_replicate_designs_matches_r(designs, api, ref, ref15b, check, key):
    r = _replicate_designs(designs, api, ref)[key]
    e = ref15b["replicate_deff"][key]
    check(r.mean("api00", deff=True), e["mean_api00"])
    check(r.total("enroll", deff=True), e["total_enroll"])
    check(r.mean("api00", deff="replace"), e["mean_api00_replace"])
    got = r.proportion("stype", deff=True)
    if key in ("jkn_strat", "jkn_strat_mse", "boot_strat"):
        # Stratified by stype: the shares do not vary across replicates; R's deff is rounding noise (~1e-27).
        np.testing.assert_allclose(got["deff"], np.asarray(e["mean_stype"]["deff"], dtype=float), atol=1e-20)
        check(got, e["mean_stype"], cols=("estimate", "se", "ci_low", "ci_high"))
    else:
        check(got, e["mean_stype"])
    assert "deff" not in r.mean("api00").columns
    if key == "jk1_clus1":
        check(r.mean("acs_k3", na_rm=True, deff=True), e["mean_acsk3_narm"])


def test_replicate_deff_is_nan_when_the_weights_sum_below_n(api):
    df = api["srs"].copy()
    df["w_small"] = 0.5  # Σw < n: no without-replacement SRS reference, as SurveyDesign.mean
    r = ReplicateDesign(df, "w_small", np.ones((len(df), 3)) + np.eye(len(df), 3), scale=1.0)
    assert np.isnan(r.mean("api00", deff=True)["deff"][0])
    assert np.isfinite(r.mean("api00", deff="replace")["deff"][0])  # with replacement: no (N − n)/N, defined


def test_jk1_over_a_stratified_sample_as_user_supplied_replicates_matches_r(api, ref15b, check):
    """R refuses as.svrepdesign(type = "JK1") on a stratified design (so does ``replicate("JK1")``), but takes
    delete-one-unit weights that ignore the strata through svrepdesign(type = "JK1"); so does ReplicateDesign."""
    from evaluation.survey.replicate import jk1_factors

    strat = api["strat"]
    e = ref15b["jk1_stratified"]
    n = len(strat)
    r = ReplicateDesign(strat, "pw", jk1_factors(np.arange(n)), scale=(n - 1) / n, method="JK1")
    assert r.scale == pytest.approx(e["scale"], rel=1e-15) and r.degf() == e["degf"]
    check(r.mean("api00", deff=True), e["mean_api00"])
    check(r.proportion("awards"), e["prop_awards"], cols=("estimate", "se", "ci_low", "ci_high"))
    check(r.quantile("api00", 0.5), e["quantile"], cols=("estimate", "se", "ci_low", "ci_high"))


def test_qrule_hf3_on_a_replicate_design_matches_r(designs, ref15b, check):
    e = ref15b["qrule_hf3"]["jk1_clus1_quantile"]
    with pytest.warns(UserWarning, match="Jackknife"):
        got = designs["clus1"].replicate("JK1").quantile("api00", [0.25, 0.5], rule="hf3", interval_type="quantile")
    check(got, e, cols=("estimate", "se", "ci_low", "ci_high"))


@pytest.mark.parametrize("key", REP_KEYS)
def test_ciprop_asin_and_beta_on_replicate_designs_match_r(designs, api, ref, ref15b, check, key):
    reps = _replicate_designs(designs, api, ref)
    r = reps[key]
    high = (r.data["api00"] > 700).astype(float)
    r = ReplicateDesign(r.data.assign(high=high), r._w, r._factors, scale=r.scale, rscales=r.rscales, mse=r.mse,
                        method=r.method)
    for method in ("asin", "beta"):
        check(r.ciprop("high", method=method), ref15b["replicate_ciprop"][key][method],
              cols=("estimate", "se", "ci_low", "ci_high"))
    if key == "jk1_clus1":
        with pytest.raises(ValueError, match="not available on replicate designs"):
            r.ciprop("high", method="likelihood")
        with pytest.raises(ValueError, match="method must be"):
            r.ciprop("high", method="wilson")
