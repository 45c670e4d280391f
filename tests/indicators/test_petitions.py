"""Petition counts, the year-on-year change (exact interval, plain words) and the ITS against R glm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.intervals import rate_ratio_exact
from evaluation.indicators.petitions import fit_its, its_design, monthly_series, petition_counts, \
    real_estate_change, yoy_rate_ratio


def _val(df, key, cid="district", group="", year=None):
    row = df[(df["indicator"] == key) & (df["community_id"] == cid) & (df["group"] == group)]
    if year is not None:
        row = row[row["year"] == year]
    assert len(row) == 1, (key, cid, group, year)
    return row.iloc[0]


def test_counts_and_rates_by_year_and_category(tables, population):
    out = petition_counts(tables["petitions"], population, [2023, 2024])
    assert _val(out, "petitions.real_estate.count", year=2024)["value"] == 3
    assert _val(out, "petitions.real_estate.count", year=2023)["value"] == 5
    assert _val(out, "petitions.received.count", year=2024)["value"] == 4
    assert _val(out, "petitions.received.count", group="land", year=2023)["value"] == 2
    r = _val(out, "petitions.real_estate.per_10k", year=2023)
    assert r["value"] == pytest.approx(5 / 32000 * 1e4) and r["ci_low"] < r["value"] < r["ci_high"]


def test_yoy_change_rows(tables, population):
    out = real_estate_change(tables["petitions"], 2024, population=population)
    ch = _val(out, "petitions.real_estate.yoy_change")
    rr = rate_ratio_exact(3, 5)
    assert ch["value"] == pytest.approx(3 / 5 - 1)
    assert (ch["ci_low"], ch["ci_high"]) == pytest.approx((rr.ci_low - 1, rr.ci_high - 1))
    assert "cannot be told apart" in ch["note"]
    per = _val(out, "petitions.real_estate.rate_ratio_per_resident")
    assert per["value"] == pytest.approx((3 / 35000) / (5 / 32000))
    zh = real_estate_change(tables["petitions"], 2024, language="zh")
    assert "涉地产信访件" in _val(zh, "petitions.real_estate.yoy_change")["note"]


def test_yoy_community_subset_and_comparison_year(tables):
    rr = yoy_rate_ratio(tables["petitions"], 2024, 2022, communities=["C03"])
    assert (rr.count, rr.count_ref) == (1, 1)


@pytest.fixture(scope="module")
def its_inputs(ref_dir):
    return (pd.read_csv(ref_dir / "its_petitions.csv"), pd.read_csv(ref_dir / "its_population.csv"))


def test_monthly_series_matches_r(its_inputs, ref):
    pet, pop = its_inputs
    s = monthly_series(pet, pop, "2017-01", "2024-12")
    assert s["month"].dt.strftime("%Y-%m").tolist() == ref["its"]["months"]
    assert s["count"].tolist() == ref["its"]["count"]         # the 50 labour petitions are left out
    assert s["exposure"].to_numpy() == pytest.approx(ref["its"]["exposure"], rel=1e-12)


@pytest.mark.parametrize("family", ["poisson", "quasipoisson"])
def test_its_matches_r_glm(its_inputs, ref, family):
    pet, pop = its_inputs
    r = ref["its"][family]
    fit = fit_its(monthly_series(pet, pop, "2017-01", "2024-12"), "2021-01-01", family=family)
    terms = {"(Intercept)": "const", "t": "t", "post": "post", "tpost": "t_post", "s1": "sin1", "c1": "cos1",
             "s2": "sin2", "c2": "cos2"}
    coef = fit.coefficients.set_index("term").loc[[terms[t] for t in r["terms"]]]
    assert coef["estimate"].to_numpy() == pytest.approx(r["estimate"], abs=1e-8)
    assert coef["se"].to_numpy() == pytest.approx(r["se"], rel=1e-7)
    assert fit.dispersion == pytest.approx(r["dispersion"], rel=1e-7)
    assert fit.level_change == pytest.approx(np.exp(r["estimate"][2]))
    assert fit.level_change_ci[0] < fit.level_change < fit.level_change_ci[1]


def test_its_design_rejects_intervention_outside_series():
    s = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=12, freq="MS")})
    with pytest.raises(ValueError):
        its_design(s, "2022-01-01")
    X = its_design(s, "2020-07-01", harmonics=1)
    assert X["t_post"].tolist() == [0] * 6 + [0, 1, 2, 3, 4, 5] and X["post"].sum() == 6


def test_monthly_series_default_range_counts_empty_months(tables, population):
    s = monthly_series(tables["petitions"], population)
    assert s["month"].iloc[0] == pd.Timestamp("2022-05-01") and s["month"].iloc[-1] == pd.Timestamp("2024-12-01")
    assert s["count"].sum() == 9 and (s["count"] == 0).sum() == len(s) - 9   # 9 cases in 9 distinct months


def test_its_curves_match_r_predict(its_inputs, ref_dir):
    # fitted and counterfactual (post = t_post = 0) counts against R glm + predict (tests/reference/its_curves)
    import json

    from evaluation.indicators.petitions import its_curves

    with open(ref_dir.parent / "its_curves" / "its_curves.json", encoding="utf-8") as fh:
        r = json.load(fh)
    pet, pop = its_inputs
    series = monthly_series(pet, pop, "2017-01", "2024-12")
    curves = its_curves(series, fit_its(series, r["intervention"], family="quasipoisson"), per=10000.0)
    assert curves["month"].dt.strftime("%Y-%m").tolist() == r["months"]
    assert curves["fitted"].to_numpy() == pytest.approx(r["fitted"], rel=1e-8)
    assert curves["counterfactual"].to_numpy() == pytest.approx(r["counterfactual"], rel=1e-8)
    pre = curves["post"] == 0
    assert curves.loc[pre, "fitted"].to_numpy() == pytest.approx(curves.loc[pre, "counterfactual"].to_numpy())
    assert curves["observed_rate"].to_numpy() == pytest.approx(series["count"] / series["exposure"] * 1e4)


def test_its_curves_read_the_harmonics_off_the_fit(its_inputs):
    import dataclasses

    from evaluation.indicators.petitions import its_curves

    pet, pop = its_inputs
    series = monthly_series(pet, pop, "2017-01", "2024-12")
    one = fit_its(series, "2021-01-01", harmonics=1)
    two = fit_its(series, "2021-01-01", harmonics=2)
    assert not np.allclose(its_curves(series, one)["fitted"], its_curves(series, two)["fitted"])
    renamed = one.coefficients.assign(term=one.coefficients["term"].replace({"t_post": "slope"}))
    with pytest.raises(ValueError, match="terms"):
        its_curves(series, dataclasses.replace(one, coefficients=renamed))
