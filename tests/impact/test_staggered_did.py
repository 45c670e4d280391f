"""Callaway-Sant'Anna staggered DiD against R did (published README output) and did's Python ports (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.staggered_did import staggered_did

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "impact"
MPDTA = REFERENCE_DATA_DIR / "mpdta.csv"
REF = json.loads((REF_DIR / "mpdta_reference.json").read_text())


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


def fit(d, control="never", method="reg", cov=None, **kw):
    return staggered_did(d, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         control=control, method=method, covariates=cov, **kw)


# --- (a) the published did README (github.com/bcallaway11/did, README.md, "A short example":
#     att_gt(yname="lemp", ..., xformla=~1, est_method="reg"), never-treated controls, did 2.x) ------------------
README_ATT_GT = [
    (2004, 2004, -0.0105), (2004, 2005, -0.0704), (2004, 2006, -0.1373), (2004, 2007, -0.1008),
    (2006, 2004, 0.0065), (2006, 2005, -0.0028), (2006, 2006, -0.0046), (2006, 2007, -0.0412),
    (2007, 2004, 0.0305), (2007, 2005, -0.0027), (2007, 2006, -0.0311), (2007, 2007, -0.0261),
]
README_DYNAMIC = {"overall": -0.0772, -3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510,
                  2: -0.1373, 3: -0.1008}
README_GROUP = {"overall": -0.031, 2004: -0.0797, 2006: -0.0229, 2007: -0.0261}


def test_readme_att_gt_and_pretest(mpdta):
    res = fit(mpdta)
    got = res.att_gt.set_index(["group", "time"])["estimate"]
    for g, t, v in README_ATT_GT:
        assert got[(g, t)] == pytest.approx(v, abs=5e-5)
    # the Wald pre-test uses the analytic covariance even when did bootstraps, so its p-value is exact
    assert res.pretest.p_value == pytest.approx(0.16812, abs=5e-6)
    assert res.pretest.df == 5


def test_readme_aggregations(mpdta):
    res = fit(mpdta)
    dyn = res.aggregate("dynamic").set_index("event_time")["estimate"]
    for k, v in README_DYNAMIC.items():
        assert dyn[k] == pytest.approx(v, abs=5e-5)
    grp = res.aggregate("group").set_index("group")["estimate"]
    for k, v in README_GROUP.items():
        assert grp[k] == pytest.approx(v, abs=5e-4 if k == "overall" else 5e-5)


def test_readme_bootstrap_se_close(mpdta):
    # README SEs come from did's multiplier bootstrap (biters=1000): random, so compare loosely
    res = fit(mpdta, se="bootstrap", n_boot=999, seed=1)
    readme_se = [0.0241, 0.0313, 0.0380, 0.0337, 0.0223, 0.0196, 0.0188, 0.0202, 0.0154, 0.0168, 0.0190, 0.0182]
    np.testing.assert_allclose(res.att_gt["se"], readme_se, rtol=0.15)
    # did's uniform band for 12 ATT(g,t) had a critical value near 2.7 (README: (0.0539+0.0749)/2/0.0241)
    assert 2.3 < res.critical_value < 3.1


# --- (b) full grid against csdid 0.4.3 (checked against differences 0.3.0 and the README above) ------------
CASES = sorted(REF["cases"])


@pytest.mark.parametrize("case", CASES)
def test_matches_did_port(mpdta, case):
    parts = case.split("/")
    control, method, cov = parts[:3]
    base = parts[3] if len(parts) > 3 else "varying"
    ref = REF["cases"][case]
    res = fit(mpdta, control=control, method=method, cov=None if cov == "none" else ["lpop"], base_period=base)
    tab = res.att_gt
    np.testing.assert_array_equal(tab["group"], ref["att_gt"]["group"])
    np.testing.assert_array_equal(tab["time"], ref["att_gt"]["time"])
    np.testing.assert_allclose(tab["estimate"], ref["att_gt"]["estimate"], rtol=0, atol=1e-6)
    ref_se = np.array([np.nan if v is None else v for v in ref["att_gt"]["se"]])
    np.testing.assert_allclose(tab["se"], ref_se, rtol=0, atol=1e-6)
    if ref["pretest"]["p_value"] is not None:
        assert res.pretest.statistic == pytest.approx(ref["pretest"]["W"], rel=1e-6)
        assert res.pretest.p_value == pytest.approx(ref["pretest"]["p_value"], abs=1e-5)  # did rounds to 5 dp
    for typ in ("simple", "dynamic", "group", "calendar"):
        agg = res.aggregate(typ)
        r = ref[typ]
        assert agg["estimate"].iloc[0] == pytest.approx(r["overall"], abs=1e-6)
        assert agg["se"].iloc[0] == pytest.approx(r["overall_se"], abs=1e-6)
        if typ != "simple":
            np.testing.assert_array_equal(agg.iloc[1:, 0].astype(float), r["index"])
            np.testing.assert_allclose(agg["estimate"].iloc[1:], r["estimate"], atol=1e-6)
            ref_se = np.array([np.nan if v is None else v for v in r["se"]])
            np.testing.assert_allclose(agg["se"].iloc[1:].to_numpy(float), ref_se, atol=1e-6)


def test_peers_agree_with_each_other():
    for v in REF["cross_check"].values():
        assert v["max_abs_gap_csdid_vs_differences"] < 1e-10


# --- behaviour ------------------------------------------------------------------------------------------
def test_output_columns_and_ci(mpdta):
    res = fit(mpdta, method="dr")
    assert list(res.att_gt.columns[:6]) == ["group", "time", "estimate", "se", "ci_low", "ci_high"]
    z = 1.959963984540054
    np.testing.assert_allclose(res.att_gt["ci_high"] - res.att_gt["estimate"], z * res.att_gt["se"])
    for typ, col in (("simple", "term"), ("dynamic", "event_time"), ("group", "group"), ("calendar", "time")):
        agg = res.aggregate(typ)
        assert agg.columns[0] == col and agg.iloc[0, 0] == "overall"
        assert list(agg.columns[1:]) == ["estimate", "se", "ci_low", "ci_high"]


def test_simple_weights_by_group_size(mpdta):
    res = fit(mpdta)
    tab = res.att_gt[res.att_gt["group"] <= res.att_gt["time"]]
    size = mpdta[mpdta.year == 2003].groupby("first.treat").size()
    w = tab["group"].map(size)
    assert res.aggregate("simple")["estimate"].iloc[0] == pytest.approx(np.average(tab["estimate"], weights=w))


def test_bootstrap_reproducible_and_uniform_band_wider(mpdta):
    a = fit(mpdta, se="bootstrap", seed=3)
    b = fit(mpdta, se="bootstrap", seed=3)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    dyn = a.aggregate("dynamic")
    assert dyn.attrs["critical_value"] > 1.96
    # bootstrap SEs estimate the analytic ones
    an = fit(mpdta)
    np.testing.assert_allclose(a.att_gt["se"], an.att_gt["se"], rtol=0.15)


def test_cluster_above_unit(mpdta):
    d = mpdta.assign(state=mpdta["countyreal"] // 1000)
    unclustered = fit(d, se="bootstrap", seed=0)
    clustered = fit(d, se="bootstrap", seed=0, cluster="state")
    assert clustered.multipliers.shape[0] == d["state"].nunique()
    an = fit(d, cluster="state")
    # clustered analytic SE equals the CR0 sandwich of the cluster-summed influence function
    f = an.influence[:, 0]
    s = pd.Series(f).groupby(an.cluster_codes).sum()
    assert an.att_gt["se"].iloc[0] == pytest.approx(np.sqrt((s**2).sum()) / len(f))
    assert not np.allclose(clustered.att_gt["se"], unclustered.att_gt["se"])


def test_never_treated_required(mpdta):
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(ValueError, match="never-treated"):
        fit(d, control="never")
    with pytest.warns(UserWarning, match="no never-treated units"):
        res = fit(d, control="notyet")  # cohorts 2004 and 2006 still have 2007 as not-yet-treated controls
    assert res.att_gt["estimate"].notna().any()


def test_no_never_treated_applies_dids_rule(mpdta):
    # did (pre_process_did): without never-treated units the periods from max(g) - anticipation on are dropped and
    # the last cohort is the comparison group; the same as doing it by hand
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(UserWarning, match="from 2007 on are dropped"):
        auto = fit(d, control="notyet", method="dr")
    by_hand = d[d["year"] < 2007].assign(
        **{"first.treat": lambda x: x["first.treat"].where(x["first.treat"] < 2007, 0)})
    manual = fit(by_hand, control="notyet", method="dr")
    pd.testing.assert_frame_equal(auto.att_gt, manual.att_gt)
    assert auto.att_gt["time"].max() == 2006 and set(auto.att_gt["group"]) == {2004, 2006}
    with pytest.warns(UserWarning, match="from 2006 on"):
        fit(d, control="notyet", anticipation=1)


def test_overlap_failure_blanks_the_cell_not_the_call(mpdta):
    # a covariate that all but determines membership of the 2004 cohort: its cells fail did's 0.999 overlap check
    rng = np.random.default_rng(0)
    units = mpdta.drop_duplicates("countyreal")[["countyreal", "first.treat"]]
    x = pd.Series(12.0 * (units["first.treat"] == 2004).to_numpy() + rng.normal(size=len(units)),
                  index=units["countyreal"].to_numpy())
    d = mpdta.assign(x=mpdta["countyreal"].map(x))
    with pytest.warns(UserWarning, match="overlap fails"):
        res = fit(d, control="never", method="dr", cov=["x"])
    tab = res.att_gt
    assert tab.loc[tab["group"] == 2004, "estimate"].isna().all()
    assert tab.loc[tab["group"] != 2004, "estimate"].notna().all()
    # the aggregation leaves the NA cells out: the simple ATT weights only the 2006 and 2007 cells
    post = tab[(tab["group"] <= tab["time"]) & tab["estimate"].notna()]
    sizes = d.drop_duplicates("countyreal")["first.treat"].value_counts()
    w = post["group"].map(sizes).to_numpy(dtype=float)
    simple = res.aggregate("simple").iloc[0]
    assert simple["estimate"] == pytest.approx(np.average(post["estimate"], weights=w))
    assert np.isfinite(simple["se"])


def test_collinear_covariates_clear_message(mpdta):
    d = mpdta.assign(lpop2=2 * mpdta["lpop"])
    with pytest.raises(ValueError, match="collinear"):
        fit(d, method="dr", cov=["lpop", "lpop2"])


def test_small_cohort_clear_message(mpdta):
    keep = mpdta[(mpdta["first.treat"] != 2004) | (mpdta["countyreal"].isin(
        mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()[:1]))]
    with pytest.raises(ValueError, match="cohort 2004.*too small"):
        fit(keep, method="dr", cov=["lpop"])
    # the outcome regression is fitted on comparison units only, so one treated unit is enough for "reg"
    assert fit(keep, method="reg", cov=["lpop"]).att_gt["estimate"].notna().all()


def test_nan_cohort_means_never_treated(mpdta):
    d = mpdta.copy()
    d["first.treat"] = d["first.treat"].where(d["first.treat"] > 0)
    pd.testing.assert_frame_equal(fit(d).att_gt, fit(mpdta).att_gt)


def test_unbalanced_panel_pairwise(mpdta):
    rng = np.random.default_rng(5)
    d = mpdta.drop(index=rng.choice(mpdta.index, 100, replace=False))
    res = fit(d, method="dr")
    assert res.att_gt["estimate"].notna().all()
    # a 2x2 cell only uses units seen in both of its periods: recompute one cell by hand
    g, t = 2006, 2007
    wide = d.pivot(index="countyreal", columns="year", values="lemp")
    ft = d.groupby("countyreal")["first.treat"].first()
    ok = wide[[2005, 2007]].notna().all(axis=1)
    dy = (wide[2007] - wide[2005])[ok]
    manual = dy[ft[ok] == g].mean() - dy[ft[ok] == 0].mean()
    got = res.att_gt.set_index(["group", "time"]).loc[(g, t), "estimate"]
    assert got == pytest.approx(manual, abs=1e-12)


def test_repeated_cross_section_no_covariates_equals_means(mpdta):
    res = staggered_did(mpdta, outcome="lemp", unit=None, time="year", cohort="first.treat", method="reg",
                        panel=False)
    g, t = 2004, 2006
    m = mpdta.groupby(["first.treat", "year"])["lemp"].mean()
    manual = (m[(g, t)] - m[(g, 2003)]) - (m[(0, t)] - m[(0, 2003)])
    got = res.att_gt.set_index(["group", "time"]).loc[(g, t), "estimate"]
    assert got == pytest.approx(manual, abs=1e-12)
    # with balanced data the RC point estimate equals the panel one; its SE ignores the panel correlation
    pan = fit(mpdta).att_gt
    np.testing.assert_allclose(res.att_gt["estimate"], pan["estimate"], atol=1e-12)
    assert (res.att_gt["se"] > pan["se"]).mean() > 0.5


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_repeated_cross_section_methods_agree_without_covariates(mpdta, method):
    res = staggered_did(mpdta, outcome="lemp", unit=None, time="year", cohort="first.treat", method=method,
                        panel=False)
    ref = staggered_did(mpdta, outcome="lemp", unit=None, time="year", cohort="first.treat", method="reg",
                        panel=False)
    np.testing.assert_allclose(res.att_gt["estimate"], ref.att_gt["estimate"], atol=1e-10)
    np.testing.assert_allclose(res.att_gt["se"], ref.att_gt["se"], rtol=1e-8)


def test_anticipation_shifts_base_period(mpdta):
    # with anticipation the 2004 cohort is effectively treated in 2003, the first period: did drops it
    with pytest.warns(UserWarning, match="already treated in the first period"):
        res = fit(mpdta, anticipation=1)
    tab = res.att_gt.set_index(["group", "time"])
    # with one period of anticipation cohort 2006's base is 2004
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    ft = mpdta.groupby("countyreal")["first.treat"].first()
    dy = wide[2006] - wide[2004]
    manual = dy[ft == 2006].mean() - dy[ft == 0].mean()
    assert tab.loc[(2006, 2006), "estimate"] == pytest.approx(manual, abs=1e-12)
    assert 2004 not in res.att_gt["group"].to_numpy()  # 2004 - 1 = 2003 is the first period: no base left


def _unequal_clusters(d):
    # about 70 clusters of 1 to 16 counties: the within-cluster mean would weight a county of a singleton
    # cluster 16 times as much as one of a 16-county cluster
    ids = np.sort(d["countyreal"].unique())
    sizes = []
    while sum(sizes) < len(ids):
        sizes.append([1, 4, 16][len(sizes) % 3])
    lab = np.repeat(np.arange(len(sizes)), sizes)[: len(ids)]
    return d.assign(cl=d["countyreal"].map(dict(zip(ids, lab))))


def test_cluster_bootstrap_perturbs_cluster_sums(mpdta):
    d = _unequal_clusters(mpdta)
    boot = fit(d, se="bootstrap", seed=5, n_boot=499, cluster="cl")
    # hand computation of the sum rule: one multiplier per cluster times the cluster's summed influence function
    n = boot.n_units
    sums = pd.DataFrame(boot.influence).groupby(boot.cluster_codes).sum().to_numpy()
    dev = boot.multipliers.T @ sums / n
    iqr = np.quantile(dev, 0.75, axis=0, method="inverted_cdf") - np.quantile(dev, 0.25, axis=0, method="inverted_cdf")
    hand = iqr / (2 * 0.6744897501960817)
    np.testing.assert_allclose(boot.att_gt["se"], hand, rtol=1e-12)


def test_cluster_bootstrap_estimates_clustered_analytic_se(mpdta):
    # with the sum rule the bootstrap variance is the CR0 sandwich (exactly so in expectation with Rademacher
    # weights); the within-cluster mean it replaces gave SEs 0.9 to 3 times the sandwich on these clusters
    d = _unequal_clusters(mpdta)
    an = fit(d, cluster="cl")
    boot = fit(d, se="bootstrap", seed=1, n_boot=20000, cluster="cl")
    sums = pd.DataFrame(boot.influence).groupby(boot.cluster_codes).sum().to_numpy()
    draws = boot.multipliers.T @ sums / boot.n_units
    np.testing.assert_allclose(draws.std(axis=0), an.att_gt["se"], rtol=0.03)
    # did's IQR-based scale of those draws runs a little above their SD with few, uneven clusters
    np.testing.assert_allclose(boot.att_gt["se"], an.att_gt["se"], rtol=0.12)


def test_small_sample_cluster_correction(mpdta):
    d = mpdta.assign(state=mpdta["countyreal"] // 1000)
    g = d["state"].nunique()
    cr0 = fit(d, cluster="state")
    cr1 = fit(d, cluster="state", small_sample=True)
    np.testing.assert_allclose(cr1.att_gt["se"], cr0.att_gt["se"] * np.sqrt(g / (g - 1)))
    from scipy import stats
    crit = stats.t.ppf(0.975, g - 1)
    assert cr1.critical_value == pytest.approx(crit)
    np.testing.assert_allclose(cr1.att_gt["ci_high"] - cr1.att_gt["estimate"], crit * cr1.att_gt["se"])
    simple = cr1.aggregate("simple").iloc[0]
    assert simple["ci_high"] - simple["estimate"] == pytest.approx(crit * simple["se"])
    # without clusters the option changes nothing
    pd.testing.assert_frame_equal(fit(d, small_sample=True).att_gt, fit(d).att_gt)


def test_simple_influence_matches_the_aggregation(mpdta):
    res = fit(mpdta, control="notyet", method="dr")
    est, f = res.simple_influence()
    simple = res.aggregate("simple").iloc[0]
    assert est == pytest.approx(simple["estimate"])
    assert np.sqrt(np.sum(f**2)) / res.n_units == pytest.approx(simple["se"])


def test_joint_band_across_outcomes(mpdta):
    from scipy import stats

    from evaluation.impact.staggered_did import joint_simple_band

    rng = np.random.default_rng(2)
    other = mpdta.assign(lemp=mpdta["lemp"] + rng.normal(scale=0.3, size=len(mpdta)))
    kw = dict(control="notyet", method="reg", se="bootstrap", n_boot=4999, seed=9)
    a, b = fit(mpdta, **kw), fit(other, **kw)
    # one outcome twice: the joint band is that outcome's own two-sided bootstrap band
    crit_same, se_same = joint_simple_band([a, a])
    _, f = a.simple_influence()
    dev = np.abs(a.multipliers.T @ f / np.sqrt(a.n_units))
    scale = (np.quantile(dev * np.sign(a.multipliers.T @ f), 0.75, method="inverted_cdf")
             - np.quantile(dev * np.sign(a.multipliers.T @ f), 0.25, method="inverted_cdf")) / 1.3489795003921634
    assert crit_same == pytest.approx(np.quantile(dev / scale, 0.95, method="inverted_cdf"))
    assert se_same[0] == pytest.approx(a.aggregate("simple")["se"].iloc[0])
    # two different outcomes: wider than one, narrower than Bonferroni's
    crit_two, _ = joint_simple_band([a, b])
    assert crit_same < crit_two < stats.norm.ppf(1 - 0.05 / 4) + 0.05
    with pytest.raises(ValueError, match="share units and multiplier draws"):
        joint_simple_band([a, fit(other, **{**kw, "seed": 10})])
