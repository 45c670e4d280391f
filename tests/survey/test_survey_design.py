"""SurveyDesign estimators against R survey 4.1.1 on the api data (tests/reference/survey)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scipy import stats

from evaluation.survey import SurveyDesign

from .conftest import REF_DIR, assert_matches

LONELY_CSV = Path(__file__).resolve().parents[1] / "reference" / "survey" / "apiclus1_lonely.csv"
DESIGNS = ["strat", "clus1", "clus1_nofpc", "clus2", "clus2_w", "srs"]


@pytest.mark.parametrize("name", DESIGNS)
def test_degf(designs, ref, name):
    assert designs[name].degf() == ref["estimates"][name]["degf"]


@pytest.mark.parametrize("name", DESIGNS)
def test_mean_total_ratio_proportion(designs, ref, check, name):
    d, e = designs[name], ref["estimates"][name]
    check(d.mean("api00"), e["mean_api00"])
    check(d.total("enroll"), e["total_enroll"])  # NA in apiclus2 without na_rm, as in R
    check(d.ratio("api_stu", "enroll"), e["ratio_apistu_enroll"])
    check(d.proportion("stype"), e["prop_stype"])


@pytest.mark.parametrize("name", DESIGNS)
def test_na_rm_is_a_domain(designs, ref, check, name):
    d, e = designs[name], ref["estimates"][name]
    check(d.mean("acs_k3", na_rm=True), e["mean_acsk3_narm"])
    check(d.total("acs_k3", na_rm=True), e["total_acsk3_narm"])
    assert np.isnan(d.mean("acs_k3").estimate[0])


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("rule", ["math", "hf7"])
def test_quantile_woodruff(designs, ref, check, name, rule):
    got = designs[name].quantile("api00", [0.25, 0.5, 0.9], rule=rule)
    check(got, ref["estimates"][name][f"quantile_{rule}"], cols=("estimate", "se", "ci_low", "ci_high"))


@pytest.mark.parametrize("name", DESIGNS)
def test_quantile_na_rm(designs, ref, check, name):
    got = designs[name].quantile("acs_k3", 0.5, na_rm=True)
    check(got, ref["estimates"][name]["quantile_acsk3_narm"], cols=("estimate", "se", "ci_low", "ci_high"))


@pytest.mark.parametrize("name", DESIGNS)
def test_ciprop_logit(designs, ref, check, name):
    cols = ("estimate", "se", "ci_low", "ci_high")
    # R fits the logit through glm() (convergence 1e-8 on the deviance), hence 1e-6.
    check(designs[name].ciprop("sch_wide_yes"), ref["estimates"][name]["ciprop_logit"], cols=cols, rtol=1e-6)
    if name != "srs":  # apisrs has no year-round school: R's GLM does not converge there
        check(designs[name].ciprop("yr_rnd_yes"), ref["estimates"][name]["ciprop_logit_yr"], cols=cols, rtol=1e-6)


def test_ciprop_degenerate_is_the_point(designs):
    got = designs["srs"].ciprop("yr_rnd_yes")
    assert got.estimate[0] == 0 and got.ci_low[0] == 0 and got.ci_high[0] == 0


@pytest.mark.parametrize("name", DESIGNS)
def test_by_domains(designs, ref, check, name):
    d, e = designs[name], ref["estimates"][name]
    got = d.by("api00", "stype")
    assert list(got.stype) == e["by_mean_api00_stype"]["level"]
    check(got, e["by_mean_api00_stype"])
    check(d.by("enroll", "stype", stat="total"), e["by_total_enroll_stype"])
    check(d.by("api_stu", "stype", stat="ratio", denominator="enroll"), e["by_ratio_stype"], cols=(
        "estimate", "se", "ci_low", "ci_high"))
    prop = d.by("sch_wide", "stype", stat="proportion").sort_values(["level", "stype"])  # R: statistic-major
    check(prop, e["by_prop_schwide_stype"])


def test_by_matches_mean_of_each_domain(designs):
    d = designs["clus2"]
    by = d.by("api00", "stype")
    for _, row in by.iterrows():
        sub = d.data.assign(x=np.where(d.data.stype == row.stype, d.data.api00, np.nan))
        dd = SurveyDesign(sub, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
        one = dd.mean("x", na_rm=True)
        assert one.estimate[0] == pytest.approx(row.estimate, rel=1e-12)
        assert one.se[0] == pytest.approx(row.se, rel=1e-12)


@pytest.mark.parametrize("policy", ["remove", "adjust", "certainty", "average"])
def test_lonely_psu_policies(ref, check, policy):
    lon = pd.read_csv(LONELY_CSV)
    d = SurveyDesign(lon, ids="dnum", strata="str", weights="pw", lonely_psu=policy)
    e = ref["lonely_psu"][policy]
    check(d.mean("api00"), e["mean_api00"], cols=("estimate", "se", "ci_low", "ci_high"))
    check(d.total("enroll"), e["total_enroll"], cols=("estimate", "se", "ci_low", "ci_high"))


def test_lonely_psu_fail_raises():
    lon = pd.read_csv(LONELY_CSV)
    with pytest.raises(ValueError, match="only one PSU"):
        SurveyDesign(lon, ids="dnum", strata="str", weights="pw").mean("api00")


def test_fpc_as_fraction_equals_population_size(api):
    df = api["strat"].assign(frac=lambda x: x.groupby("stype").pw.transform("size") / x.fpc)
    a = SurveyDesign(df, strata="stype", weights="pw", fpc="fpc").mean("api00")
    b = SurveyDesign(df, strata="stype", weights="pw", fpc="frac").mean("api00")
    assert a.se[0] == pytest.approx(b.se[0], rel=1e-12)


def test_weights_default_from_fpc(api, designs):
    # apiclus2 ships pw = (N1/n1)(N2/n2); without weights= the design must rebuild it from the fpcs.
    np.testing.assert_allclose(designs["clus2"].weights.to_numpy(), api["clus2"]["pw"].to_numpy(), rtol=1e-6)


def test_design_errors(api):
    with pytest.raises(ValueError, match="not nested"):
        SurveyDesign(api["clus1"].assign(s=np.arange(len(api["clus1"])) % 2), ids="dnum", strata="s")
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyDesign(api["srs"], lonely_psu="nope")
    with pytest.raises(ValueError, match="only one primary"):
        SurveyDesign(api["srs"].assign(one=1), ids="one")


# ------------------------------------------------------------------------------------- issue 15: agree with R
@pytest.mark.parametrize("name", ["clus1", "strat", "clus2_w"])
def test_domain_intervals_use_t_with_the_domain_degrees_of_freedom(designs, ref15, check, name):
    key = {"clus1": "clus1_stype", "strat": "strat_stype", "clus2_w": "clus2_stype"}[name]
    e = ref15["domain_t"][key]
    got = designs[name].by("api00", "stype", df="domain")
    assert got["stype"].tolist() == e["level"]
    assert got["df"].tolist() == e["df"]
    check(got, e, cols=("estimate", "se", "ci_low", "ci_high"))
    # The default stays R's confint(svyby(...)): normal quantiles, no df column.
    z = designs[name].by("api00", "stype")
    assert "df" not in z and np.all(z["ci_high"] - z["ci_low"] < got["ci_high"] - got["ci_low"])


def test_domain_intervals_with_the_whole_design_degrees_of_freedom(designs, ref15):
    got = designs["clus1"].by("api00", "stype", df="design")
    assert (got["df"] == ref15["domain_t"]["clus1_design_df"]["degf"]).all()
    crit = stats.t.ppf(0.975, 14)
    np.testing.assert_allclose(got["ci_high"] - got["estimate"], crit * got["se"], rtol=1e-12)
    with pytest.raises(ValueError, match="df must be"):
        designs["clus1"].by("api00", "stype", df="t")


def test_domain_of_one_psu_has_no_t_interval(designs):
    got = designs["clus1"].by("api00", "dnum", df="domain")
    assert (got["df"] == 0).all() and got["ci_low"].isna().all()


def test_ciprop_with_missing_values_uses_the_whole_design_df(ref15):
    df = pd.read_csv(REF_DIR / "apiclus1_na.csv")
    d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    e = ref15["ciprop_na"]
    assert d.degf() == e["degf"]
    for method in ("logit", "mean"):
        got = d.ciprop("sch_wide_yes", method=method, na_rm=True)
        assert_matches(got, e[method], cols=("estimate", "se", "ci_low", "ci_high"))


def test_deff_is_missing_when_weights_sum_below_n_or_one_unit(api, ref15):
    small = api["strat"].assign(w=api["strat"]["pw"] / 100)
    d = SurveyDesign(small, strata="stype", weights="w")
    got = d.mean("api00")
    assert_matches(got, ref15["deff"]["weights_below_n"], cols=("estimate", "se", "ci_low", "ci_high"))
    assert np.isnan(got["deff"].iloc[0]) and ref15["deff"]["weights_below_n"]["deff"] == "NA"
    assert np.isnan(d.total("api00")["deff"].iloc[0]) and np.isnan(d.proportion("stype")["deff"]).all()
    # One unit in a domain: its SRS variance is undefined, so is the design effect (not 0).
    one = api["strat"].assign(dom=np.where(np.arange(len(api["strat"])) == 0, "single", "rest"))
    by = SurveyDesign(one, strata="stype", weights="pw", fpc="fpc").by("api00", "dom")
    assert np.isnan(by.loc[by["dom"] == "single", "deff"]).all()
    assert np.isfinite(by.loc[by["dom"] == "rest", "deff"]).all()


def test_fewer_fpc_columns_than_stages_is_refused(api):
    with pytest.raises(ValueError, match="1 column\\(s\\) for a 2-stage design"):
        SurveyDesign(api["clus2"], ids=["dnum", "snum"], fpc="fpc1")


# ------------------------------------------------------------ svyciprop methods, svyvar, total of a factor
@pytest.mark.parametrize("method", ["xlogit", "asin", "beta", "mean", "logit"])
def test_ciprop_methods_match_r(api, designs, ref15, method):
    e = ref15["ciprop_methods"][method]
    clus1 = designs["clus1"]
    strat = designs["strat"].with_columns(awards_yes=(api["strat"]["awards"] == "Yes").astype(float))
    na = SurveyDesign(pd.read_csv(REF_DIR / "apiclus1_na.csv"), ids="dnum", weights="pw", fpc="fpc")
    cols = ("estimate", "se", "ci_low", "ci_high")
    assert_matches(clus1.ciprop("sch_wide_yes", method=method), e["clus1"], cols=cols)
    assert_matches(strat.ciprop("awards_yes", method=method), e["strat"], cols=cols)
    assert_matches(na.ciprop("sch_wide_yes", method=method, na_rm=True), e["na"], cols=cols)


def test_ciprop_refuses_an_unknown_method(designs):
    with pytest.raises(ValueError, match="method must be"):
        designs["clus1"].ciprop("sch_wide_yes", method="wilson")


def test_ciprop_likelihood_matches_r(api, designs, ref15b):
    """R's profile-likelihood interval (svyciprop(method = "likelihood")): clustered, stratified, two-stage, a
    rare outcome, missing values with equal and unequal weights, a 90% level and two domains (subset designs)."""
    e = ref15b["ciprop_likelihood"]
    cols = ("estimate", "se", "ci_low", "ci_high")
    strat = designs["strat"].with_columns(awards_yes=(api["strat"]["awards"] == "Yes").astype(float),
                                          rare=(api["strat"]["api00"] > 850).astype(float))
    clus2 = SurveyDesign(api["clus2"].assign(both_yes=(api["clus2"]["both"] == "Yes").astype(float)),
                         ids=["dnum", "snum"], weights="pw")
    na = SurveyDesign(pd.read_csv(REF_DIR / "apiclus1_na.csv"), ids="dnum", weights="pw", fpc="fpc")
    sna = api["strat"].assign(awards_yes=(api["strat"]["awards"] == "Yes").astype(float))
    sna.loc[sna.index[1::9], "awards_yes"] = np.nan  # R: seq(2, nrow, by = 9)
    sna_design = SurveyDesign(sna, strata="stype", weights="pw", fpc="fpc")
    clus1 = designs["clus1"]
    got = {
        "clus1": clus1.ciprop("sch_wide_yes", method="likelihood"),
        "clus1_90": clus1.ciprop("sch_wide_yes", method="likelihood", level=0.9),
        "strat": strat.ciprop("awards_yes", method="likelihood"),
        "clus2": clus2.ciprop("both_yes", method="likelihood"),
        "rare": strat.ciprop("rare", method="likelihood"),
        "na": na.ciprop("sch_wide_yes", method="likelihood", na_rm=True),
        "strat_na": sna_design.ciprop("awards_yes", method="likelihood", na_rm=True),
        "domain_H": clus1.subset(api["clus1"]["stype"] == "H").ciprop("sch_wide_yes", method="likelihood"),
        "domain_strat_M": strat.subset(api["strat"]["stype"] == "M").ciprop("awards_yes", method="likelihood"),
    }
    for key, res in got.items():
        # R fits the GLM by IRLS (relative deviance change 1e-8); we repeat its iterations, so 1e-8 holds.
        assert_matches(res, e[key], cols=cols, rtol=1e-8)
    # The profile interval is not the Wald-logit one, and it is by domain through by_subset too.
    assert abs(got["clus1"]["ci_low"][0] - clus1.ciprop("sch_wide_yes")["ci_low"][0]) > 2e-3
    by = clus1.by_subset("sch_wide_yes", "stype", "ciprop", method="likelihood")
    assert_matches(by[by["stype"] == "H"], e["domain_H"], cols=cols)


@pytest.mark.parametrize("name", ["clus1", "strat", "clus2_w"])
def test_svyvar_matches_r(designs, ref15, name):
    key = {"clus1": "clus1", "strat": "strat", "clus2_w": "clus2"}[name]
    assert_matches(designs[name].variance("api00"), ref15["svyvar"][key], cols=("estimate", "se", "ci_low", "ci_high"))


def test_svyvar_with_missing_values_matches_r(ref15):
    na = SurveyDesign(pd.read_csv(REF_DIR / "apiclus1_na.csv"), ids="dnum", weights="pw", fpc="fpc")
    assert_matches(na.variance("sch_wide_yes", na_rm=True), ref15["svyvar"]["na"],
                   cols=("estimate", "se", "ci_low", "ci_high"))
    assert np.isnan(na.variance("sch_wide_yes")["estimate"].iloc[0])


def test_total_of_a_factor_matches_r(designs, ref15):
    got = designs["clus1"].total("stype")
    assert got["level"].tolist() == ["E", "H", "M"]
    assert_matches(got, ref15["total_factor"]["clus1_stype"])
    got = designs["strat"].total("awards")
    assert got["level"].tolist() == ["No", "Yes"]
    assert_matches(got, ref15["total_factor"]["strat_awards"])


# ------------------------------------------------------------------ domains as subset designs (quantile, ciprop, GLM)
def test_quantile_and_ciprop_by_domain_match_r(designs, ref15):
    e = ref15["domains"]
    q = designs["clus1"].by_subset("api00", "stype", "quantile", q=[0.25, 0.5])
    for lev in ("E", "H", "M"):
        assert_matches(q[q["stype"] == lev], e["quantile"][lev], cols=("estimate", "se", "ci_low", "ci_high"))
    p = designs["clus1"].by_subset("sch_wide_yes", "stype", "ciprop")
    for lev in ("E", "H", "M"):
        assert_matches(p[p["stype"] == lev], e["ciprop"][lev], cols=("estimate", "se", "ci_low", "ci_high"))
    with pytest.raises(ValueError, match="stat must be"):
        designs["clus1"].by_subset("api00", "stype", "mean")


def test_glm_on_a_domain_is_the_subset_design(designs, api, ref15):
    e = ref15["domains"]
    clus1, strat = designs["clus1"], designs["strat"]
    cols = ("estimate", "se", "ci_low", "ci_high")
    fit = clus1.subset(api["clus1"]["stype"] == "E").glm("api00 ~ ell + meals")
    assert_matches(fit, e["glm_E"], cols=cols)
    assert fit["df"].iloc[0] == e["glm_E"]["df"]
    assert_matches(strat.subset(api["strat"]["stype"] == "H").glm("api00 ~ ell + meals"), e["glm_strat_H"], cols=cols)
    fit = strat.subset(api["strat"]["stype"] != "M").glm("sch_wide_yes ~ api99", family="binomial")
    assert_matches(fit, e["glm_binomial_M"], cols=cols, rtol=1e-6)  # R's IRLS stops at a relative 1e-8 deviance
    with pytest.raises(ValueError, match="empty"):
        clus1.subset(np.zeros(len(clus1.data), dtype=bool))
    with pytest.raises(ValueError, match="one value per row"):
        clus1.subset(np.ones(3, dtype=bool))


@pytest.mark.parametrize("rule", ["school", "hf2", "hf4", "hf5", "hf6", "hf8", "hf9", "shahvaish"])
def test_quantile_rules_match_r(designs, ref15, rule):
    e = ref15["qrules"][rule]
    cols = ("estimate", "se", "ci_low", "ci_high")
    assert_matches(designs["strat"].quantile("api00", [0.1, 0.5, 0.9], rule=rule), e["strat"], cols=cols)
    assert_matches(designs["clus1"].quantile("enroll", [0.25, 0.5], rule=rule), e["clus1"], cols=cols)


def test_quantile_rule_hf3_matches_r(designs, ref15b):
    e = ref15b["qrule_hf3"]
    cols = ("estimate", "se", "ci_low", "ci_high")
    assert_matches(designs["strat"].quantile("api00", [0.1, 0.5, 0.9], rule="hf3"), e["strat"], cols=cols)
    assert_matches(designs["clus1"].quantile("enroll", [0.25, 0.5], rule="hf3"), e["clus1"], cols=cols)
    # Tied x and p on a jump of the weighted CDF, where hf3 differs from "math" (R's qrule_hf3 on a toy sample).
    from evaluation.survey.estimators import qrule_hf3, qrule_math

    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], dtype=float)
    w = np.array([1, 1, 1, 1, 1, 1, 1, 0, 0, 1], dtype=float)
    got = [qrule_hf3(x, w, p) for p in e["toy_p"]]
    assert got == e["toy"]
    assert got != [qrule_math(x, w, p) for p in e["toy_p"]]
