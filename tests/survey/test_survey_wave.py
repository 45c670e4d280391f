"""One survey wave: design from the data, weighting to population margins, the wave's estimates.

Reference values: tests/reference/survey/make_wave_reference.R (R survey 4.1.1 ``svydesign``, ``rake``,
``postStratify``, ``svymean``, ``svyby``, ``svyglm``) on the 2024 wave of communities C01–C08 of the bundled synthetic
district, with the over-60s of C05 removed so that its 60p margin must be collapsed with 40_59.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.survey.calibration import CalibrationWarning
from evaluation.survey.wave import (
    age_band,
    domain_difference,
    margin_targets,
    wave_design,
    wave_estimates,
    weighted_design,
    pooled_trend,
    trend_verdict,
    wave_differences,
    weighting_summary,
    with_weights,
)

from .conftest import REF_DIR

RTOL = 1e-8


@pytest.fixture(scope="module")
def wave_ref() -> dict:
    return json.loads((REF_DIR / "wave_reference.json").read_text())


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "wave_sample.csv")


@pytest.fixture(scope="module")
def margins() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "wave_margins.csv")


@pytest.fixture(scope="module")
def raked(sample, margins):
    # min_respondents=1: the R script collapses only the empty cell (C05 60p).
    return weighted_design(sample, margins, 2024, "rake", min_respondents=1)


def _stat(frame: pd.DataFrame, ref: dict, cols=("estimate", "se", "ci_low", "ci_high", "deff")) -> None:
    for col in cols:
        np.testing.assert_allclose(np.asarray(frame[col], dtype=float), np.atleast_1d(ref[col]), rtol=RTOL,
                                   err_msg=col)


# ----------------------------------------------------------------------------------------------------- age bands
def test_age_band_maps_bands_and_leaves_the_rest_missing():
    ages = pd.Series([18, 39, 39.7, 40, 59, 60, 94, 17, None], dtype="Float64")
    got = age_band(ages, ["60p", "18_39", "40-59"])
    assert got.tolist()[:7] == ["18_39", "18_39", "18_39", "40-59", "40-59", "60p", "60p"]
    assert got.iloc[7:].isna().all()
    with pytest.raises(ValueError, match="not a band"):
        age_band(ages, ["young"])


# ----------------------------------------------------------------------------------------------------- designs
def test_wave_design_reads_the_design_columns_or_falls_back_to_srs(sample):
    wd = wave_design(sample, 2024)
    assert wd.kind == "stratified" and wd.weighting == "none" and wd.n_respondents == len(sample)
    assert wd.design.data["stratum"].nunique() == 8
    no_weights = sample.drop(columns=["base_weight"])
    srs = wave_design(no_weights, 2024)
    assert srs.kind == "srs"
    assert np.all(srs.design.weights.to_numpy() == 1.0)
    with pytest.raises(ValueError, match="no respondents"):
        wave_design(sample, 1999)


def test_satisfaction_index_uses_the_items_present(sample):
    sub = sample[["wave", "community_id", "q_committee", "q_trust"]].head(5)
    idx = wave_design(sub, 2024).design.data["satisfaction_index"]
    expected = 100 * (sub[["q_committee", "q_trust"]].mean(axis=1) - 1) / 4
    np.testing.assert_allclose(idx.to_numpy(), expected.to_numpy())


def test_unweighted_and_base_designs_match_r(sample, wave_ref):
    base = wave_design(sample, 2024).design
    _stat(base.mean("satisfaction_index", na_rm=True), wave_ref["base"]["mean_index"])
    # R's deff is Inf here: with weights of 1 the "population" is the sample itself.
    _stat(with_weights(base).mean("satisfaction_index", na_rm=True), wave_ref["unweighted"]["mean_index"],
          cols=("estimate", "se", "ci_low", "ci_high"))


# ----------------------------------------------------------------------------------------------------- weighting
def test_rake_matches_r_including_the_collapsed_cell(raked, wave_ref):
    assert raked.weighting == "rake" and raked.dimensions == ("sex", "age_group", "hukou")
    assert raked.n_dropped == 0
    np.testing.assert_allclose(raked.design.weights.to_numpy(), wave_ref["rake"]["weights"], rtol=RTOL)
    assert set(map(tuple, raked.collapsed[["community_id", "dimension", "level"]].to_numpy())) == {
        ("C05", "age_group", "40_59"), ("C05", "age_group", "60p")}
    _stat(raked.design.mean("satisfaction_index", na_rm=True), wave_ref["rake"]["mean_index"])


def test_raked_weights_hit_every_margin(raked, margins):
    d = raked.design.data.assign(w=raked.design.weights.to_numpy())
    for dim, col in (("sex", "sex"), ("hukou", "hukou")):
        got = d.groupby(["community_id", col])["w"].sum()
        want = margins[margins.dimension == dim].set_index(["community_id", "level"])["count"]
        np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9)
    got = d.groupby("community_id")["w"].sum()
    want = margins[margins.dimension == "age_group"].groupby("community_id")["count"].sum()
    np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9)


def test_poststratify_matches_r(sample, margins, wave_ref):
    ps = weighted_design(sample, margins, 2024, "poststratify")
    assert ps.weighting == "poststratify"
    np.testing.assert_allclose(ps.design.weights.to_numpy(), wave_ref["poststratify"]["weights"], rtol=RTOL)
    _stat(ps.design.mean("satisfaction_index", na_rm=True), wave_ref["poststratify"]["mean_index"])


def test_no_margins_for_the_year_or_none_leaves_design_weights(sample, margins):
    for wd in (weighted_design(sample, margins.assign(year=2023), 2024, "rake"),
               weighted_design(sample, None, 2024, "rake"),
               weighted_design(sample, margins, 2024, "none")):
        assert wd.weighting == "none" and not wd.design.is_calibrated
        np.testing.assert_array_equal(wd.design.weights.to_numpy(), sample["base_weight"].to_numpy())


def test_respondents_without_a_margin_cell_are_dropped_and_counted(sample, margins):
    s = sample.assign(age=sample["age"].astype(float))
    s.loc[:2, "age"] = [15, np.nan, 16]
    wd = weighted_design(s, margins, 2024, "rake")
    assert wd.n_dropped == 3 and len(wd.design.data) == len(s) - 3
    assert wd.design.data["stratum"].nunique() == 8


def test_unreachable_margins_give_up_a_dimension_in_that_community(sample, margins):
    # C01 keeps no male migrants; with the local population set below the male one, no weights can meet both.
    s = sample[~((sample.community_id == "C01") & (sample.sex == "male") & (sample.hukou == "migrant"))]
    m = margins.copy()
    male = m.loc[(m.community_id == "C01") & (m.dimension == "sex") & (m.level == "male"), "count"].iloc[0]
    total = m.loc[(m.community_id == "C01") & (m.dimension == "sex"), "count"].sum()
    local = m.index[(m.community_id == "C01") & (m.dimension == "hukou") & (m.level == "local")]
    migrant = m.index[(m.community_id == "C01") & (m.dimension == "hukou") & (m.level == "migrant")]
    m.loc[local, "count"] = male // 2
    m.loc[migrant, "count"] = total - male // 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        wd = weighted_design(s, m, 2024, "rake")
    gave_up = wd.collapsed[(wd.collapsed.community_id == "C01") & (wd.collapsed.dimension == "hukou")]
    assert set(gave_up["level"]) == {"local", "migrant"}
    w = wd.design.weights.to_numpy()
    assert np.all(w > 0)
    d = wd.design.data.assign(w=w)
    got = d[d.community_id == "C01"].groupby("sex")["w"].sum()
    want = m[(m.community_id == "C01") & (m.dimension == "sex")].set_index("level")["count"]
    np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9)


def test_margin_targets_keys(margins):
    t = margin_targets(margins, 2024, ["sex", "hukou"], communities=["C02"])
    assert set(t) == {"m_sex", "m_hukou"}
    assert set(t["m_sex"].index) == {"C02|male", "C02|female"}
    with pytest.raises(ValueError, match="no rows"):
        margin_targets(margins, 2000)


# ----------------------------------------------------------------------------------------------------- estimates
def test_wave_estimates_match_r_by_community(raked, wave_ref, ref15):
    est = wave_estimates(raked, ["satisfaction_index"], top2=["q_committee"])
    assert set(est["statistic"]) == {"mean", "top2"}
    idx = est[(est.variable == "satisfaction_index") & (est.statistic == "mean")]
    _stat(idx[idx.community_id == "district"], wave_ref["rake"]["mean_index"])
    dom = idx[idx.community_id != "district"]
    ref = wave_ref["rake"]["by_index_community"]
    assert dom["community_id"].tolist() == ref["level"]
    _stat(dom, ref, cols=("estimate", "se", "deff"))
    # Community intervals: t with the community's degf (10 buildings, 1 stratum: 9), R confint(df = degf(subset)).
    _stat(dom, ref15["wave_domain_t"]["index"], cols=("estimate", "se", "ci_low", "ci_high"))
    assert ref15["wave_domain_t"]["index"]["df"] == [9] * len(dom)
    t2 = est[(est.variable == "q_committee") & (est.statistic == "top2")]
    _stat(t2[t2.community_id == "district"], wave_ref["rake"]["mean_top2_committee"])
    _stat(t2[t2.community_id != "district"], wave_ref["rake"]["by_top2_community"], cols=("estimate", "se", "deff"))
    _stat(t2[t2.community_id != "district"], ref15["wave_domain_t"]["top2_committee"],
          cols=("estimate", "se", "ci_low", "ci_high"))
    n = raked.design.data.groupby("community_id")["q_committee"].count()
    assert t2.set_index("community_id")["n"].drop("district").to_dict() == n.to_dict()


def test_domain_difference_matches_svyglm(raked, wave_ref):
    gap = domain_difference(raked.design, "satisfaction_index", "hukou", "local")
    ref = wave_ref["rake"]["glm_index_hukou"]
    assert gap["level"].tolist() == ["migrant"]
    for mine, theirs in (("difference", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        np.testing.assert_allclose(gap[mine].iloc[0], ref[theirs][1], rtol=RTOL)
    assert gap["df"].iloc[0] == ref["df"]
    np.testing.assert_allclose(gap["mean_reference"].iloc[0], ref["estimate"][0], rtol=RTOL)
    # Independent check of the point estimate: the difference of the two weighted domain means.
    by = raked.design.by("satisfaction_index", "hukou", na_rm=True).set_index("hukou")["estimate"]
    np.testing.assert_allclose(gap["difference"].iloc[0], by["migrant"] - by["local"], rtol=1e-10)


def test_domain_difference_errors(raked):
    with pytest.raises(ValueError, match="reference"):
        domain_difference(raked.design, "satisfaction_index", "hukou", "nobody")


def test_weighting_summary(raked, sample, margins):
    s = weighting_summary([raked, wave_design(sample, 2024)])
    w = raked.design.weights.to_numpy()
    row = s.iloc[0]
    assert (row["strata"], row["psus"], row["respondents"], row["analysed"]) == (8, 80, len(sample), len(sample))
    np.testing.assert_allclose(row["population"], margins[margins.dimension == "sex"]["count"].sum(), rtol=1e-9)
    np.testing.assert_allclose(row["deff_weighting"], 1 + (np.std(w) / np.mean(w)) ** 2, rtol=1e-12)
    assert row["collapsed_cells"] == 1
    assert s.iloc[1]["weighting"] == "none"


# ----------------------------------------------------------------------------------------------------- Monte Carlo
@pytest.mark.slow
def test_raking_removes_the_nonresponse_bias_over_generated_districts():
    """Over districts generated with other seeds, the raked 2024 mean centres on the finite-population truth
    (the generator's non-response depends on age and hukou only), while the unweighted mean is biased upwards."""
    from evaluation.synthetic import SynthConfig, generate_district

    cfg = SynthConfig()
    errors = []
    for seed in range(1, 7):
        dist = generate_district(seed, cfg)
        s = dist.tables["survey_responses"].copy()
        items = [c for c in s.columns if c.startswith("q_") and not c.endswith("12m")]
        for c in items:
            s[c] = s[c].astype(float).where(~s[c].isin([98, 99] if c in ("q_overall", "q_recommend")
                                                        else [8, 9]))
        wd = weighted_design(s, dist.tables["population_margins"], 2024, "rake")
        truth = dist.truth["survey.satisfaction_index.mean"]["value"]
        raked_mean = wd.design.mean("satisfaction_index", na_rm=True)
        errors.append((float(raked_mean["estimate"].iloc[0]) - truth, float(raked_mean["se"].iloc[0]),
                       float(wd.design.data["satisfaction_index"].mean()) - truth))
    e = np.array(errors)
    # Mean error of the raked estimate within 3 standard errors of its average; unweighted clearly biased.
    assert abs(e[:, 0].mean()) < 3 * e[:, 1].mean() / np.sqrt(len(e))
    assert e[:, 2].mean() > 3 * e[:, 1].mean() / np.sqrt(len(e))


# ------------------------------------------------------------------------------------------- the bundled district
def test_bundled_district_raked_mean_covers_the_truth_and_unweighted_does_not(bundled_district):
    """On the bundled synthetic district (issue 3: show both), the raked 2024 satisfaction index has the
    generator's finite-population mean inside its 95% interval, while the unweighted mean (older and local residents
    answer more, and are more satisfied) lies above it, its interval excluding the truth."""
    from evaluation.config import SYNTHETIC_DIR
    from evaluation.survey.indices import SERVICE_ITEMS, satisfaction_index

    dist = bundled_district
    s = dist["survey_responses"].copy()
    for c in SERVICE_ITEMS:
        s[c] = s[c].where(~s[c].isin([8, 9]))
    s["satisfaction_index"] = satisfaction_index(s)
    truth = json.loads((SYNTHETIC_DIR / "truth.json").read_text())["survey.satisfaction_index.mean"]["value"]
    raked = weighted_design(s, dist["population_margins"], 2024, "rake").design.mean("satisfaction_index", na_rm=True)
    unweighted = with_weights(wave_design(s, 2024).design).mean("satisfaction_index", na_rm=True)
    r, u = raked.iloc[0], unweighted.iloc[0]
    assert r["ci_low"] <= truth <= r["ci_high"]
    assert u["ci_low"] > truth
    assert u["estimate"] - truth > 1.5 * abs(r["estimate"] - truth)


# ------------------------------------------------------------------------------- trend: "keeps rising" (issue 15)
@pytest.fixture(scope="module")
def trend_waves():
    s = pd.read_csv(REF_DIR / "wave_trend_sample.csv")
    return [wave_design(s, w) for w in (2022, 2023, 2024)]


def test_wave_differences_match_r(trend_waves, ref15):
    e = ref15["trend"]
    got = wave_differences(list(reversed(trend_waves)))  # order of the input does not matter
    assert got[["wave_from", "wave_to"]].values.tolist() == [[2022, 2023], [2023, 2024]]
    for i, want in enumerate(e["differences"]):
        for col in ("difference", "se", "p_value"):
            assert got[col].iloc[i] == pytest.approx(want[col], rel=RTOL), col
    np.testing.assert_allclose(got["mean_from"], [m["estimate"] for m in e["means"][:2]], rtol=RTOL)
    np.testing.assert_allclose(got["ci_high"] - got["difference"], 1.959963984540054 * got["se"], rtol=1e-12)


def test_pooled_trend_matches_svyglm_on_the_stacked_waves(trend_waves, ref15):
    e = ref15["trend"]["slope"]
    got = pooled_trend(trend_waves).iloc[0]
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert got[col] == pytest.approx(e[col], rel=RTOL), col
    assert got["df"] == e["df"] and got["n_waves"] == 3 and (got["first_wave"], got["last_wave"]) == (2022, 2024)
    with pytest.raises(ValueError, match="two waves"):
        pooled_trend(trend_waves[:1])


def _diffs(*rows):
    return pd.DataFrame(rows, columns=["difference", "p_value"])


def _slope(estimate, p):
    return pd.DataFrame([{"estimate": estimate, "p_value": p}])


@pytest.mark.parametrize("diffs, slope, verdict", [
    (_diffs(), None, "single_wave"),
    (_diffs((2.0, 0.01), (1.5, 0.03)), _slope(1.7, 0.001), "rising_every_wave"),
    (_diffs((2.0, 0.01), (0.3, 0.60)), _slope(1.1, 0.01), "rising"),
    (_diffs((4.0, 0.001), (-2.0, 0.02)), _slope(0.9, 0.04), "rising_with_setback"),
    (_diffs((2.0, 0.01), (1.5, 0.03)), _slope(1.7, 0.06), "no_change"),
    (_diffs((-2.0, 0.01), (-1.5, 0.03)), _slope(-1.7, 0.001), "falling"),
])
def test_trend_verdict_follows_the_tests(diffs, slope, verdict):
    assert trend_verdict(diffs, slope) == verdict


def test_trend_verdict_on_the_reference_waves_is_no_change(trend_waves):
    diffs = wave_differences(trend_waves)
    assert trend_verdict(diffs, pooled_trend(trend_waves)) == "no_change"


def test_every_trend_verdict_has_a_sentence_in_both_languages():
    from typing import get_args

    from evaluation.report import t
    from evaluation.survey.wave import TrendVerdict

    for verdict in get_args(TrendVerdict):
        for lang in ("zh", "en"):
            text = t(f"survey.trend_claim.{verdict}", lang, first=2018, last=2024, slope=1.2, lo=0.5, hi=1.9,
                     level=0.95, p=0.01)
            assert text and "survey.trend_claim" not in text


# ------------------------------------------------------------------- minimum cell, bounded weighting (issue 15)
def test_default_minimum_cell_collapses_small_cells(sample, margins):
    from evaluation.survey.wave import MIN_CELL

    assert MIN_CELL == 10
    wd = weighted_design(sample, margins, 2024)
    levels = wd.design.data
    for dim in wd.dimensions:
        counts = levels[f"m_{dim}"].value_counts()
        # Every cell has at least MIN_CELL respondents unless its dimension was reduced to the community total.
        small = counts[counts < MIN_CELL]
        assert all("+" in cell.split("|")[1] or levels["community_id"].eq(cell.split("|")[0]).sum() < MIN_CELL
                   for cell in small.index), small
    strict = weighted_design(sample, margins, 2024, min_respondents=25)
    assert len(strict.collapsed) > len(wd.collapsed)
    assert (strict.design.data["m_sex"].value_counts() >= 25).all()


def test_bounded_weighting_keeps_g_inside_and_meets_the_margins(sample, margins):
    free = weighted_design(sample, margins, 2024)
    bounded = weighted_design(sample, margins, 2024, bounds=(0.3, 3.0))
    g = bounded.design.weights.to_numpy() / bounded.design.data["base_weight"].to_numpy()
    assert g.min() > 0.3 - 1e-9 and g.max() < 3.0 + 1e-9
    for dim in bounded.dimensions:
        col = f"m_{dim}"
        got = bounded.design.weights.groupby(bounded.design.data[col].to_numpy()).sum()
        want = free.design.weights.groupby(free.design.data[col].to_numpy()).sum()
        np.testing.assert_allclose(got.sort_index(), want.sort_index(), rtol=1e-6)
    summary = weighting_summary([free, bounded])
    assert summary["g_min"].iloc[1] >= 0.3 - 1e-9 and summary["g_max"].iloc[1] <= 3.0 + 1e-9
    assert summary["g_max"].iloc[0] > summary["g_max"].iloc[1]
    with pytest.raises(ValueError, match="wave 2024: the margins cannot be met"):
        weighted_design(sample, margins, 2024, bounds=(0.97, 1.03))
