"""Petition counts, the year-on-year change (exact interval, plain words) and the ITS data (monthly series, adoption
share) with the ITS itself, through evaluation.impact.its, against R glm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.intervals import rate_ratio_exact
from evaluation.indicators.petitions import adoption_share, its_finding, its_frame, monthly_series, \
    petition_counts, real_estate_change, yoy_rate_ratio


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


def _its_fit(series, intervention, **kw):
    from evaluation.impact.its import interrupted_time_series

    frame = its_frame(series, np.zeros(len(series)), intervention)
    return interrupted_time_series(frame, "count", "time", intervention="break", offset="exposure",
                                   seasonality="fourier", season="calendar_month", slope_change=True, **kw)


@pytest.mark.parametrize("family", ["poisson", "quasipoisson"])
def test_its_through_impact_its_matches_r_glm(its_inputs, ref, family):
    # R's design counts t from 0 and tpost from 0 at the first post month; impact.its counts time from 1 and its
    # slope from 1 at the first post month (the tutorial's I(time - 36)), so R's post is level + slope, R's
    # intercept const + time, and the rate ratio at the first post month (effect_at_start) is R's exp(post)
    pet, pop = its_inputs
    r = ref["its"][family]
    rr = dict(zip(r["terms"], zip(r["estimate"], r["se"])))
    res = _its_fit(monthly_series(pet, pop, "2017-01", "2024-12"), "2021-01-01", family=family)
    c = res.coefficients.set_index("term")
    for ours, theirs in (("time", "t"), ("slope", "tpost"), ("sin1", "s1"), ("cos1", "c1"), ("sin2", "s2"),
                         ("cos2", "c2")):
        assert c.at[ours, "estimate"] == pytest.approx(rr[theirs][0], abs=1e-8), ours
        assert c.at[ours, "se"] == pytest.approx(rr[theirs][1], rel=1e-7), ours
    assert c.at["const", "estimate"] + c.at["time", "estimate"] == pytest.approx(rr["(Intercept)"][0], abs=1e-8)
    assert c.at["level", "estimate"] + c.at["slope", "estimate"] == pytest.approx(rr["post"][0], abs=1e-8)
    assert res.effect_at_start["estimate"] == pytest.approx(rr["post"][0], abs=1e-8)
    assert res.effect_at_start["se"] == pytest.approx(rr["post"][1], rel=1e-7)
    assert res.dispersion == pytest.approx(r["dispersion"], rel=1e-7)   # 1 for poisson, as R reports
    e = res.effect_at_start
    assert e["rr_ci_low"] < e["rate_ratio"] < e["rr_ci_high"]


def test_its_frame_lays_out_the_series():
    s = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=12, freq="MS"), "count": range(12),
                      "exposure": 1.0})
    with pytest.raises(ValueError, match="inside the series"):
        its_frame(s, np.zeros(12), "2022-01-01")
    f = its_frame(s, np.linspace(0, 1, 12), "2020-07-01")
    assert f["break"].tolist() == [0] * 6 + [1] * 6
    assert f["time"].tolist() == list(range(1, 13)) and f["calendar_month"].tolist() == list(range(1, 13))
    assert "break" not in its_frame(s, np.zeros(12)).columns


def test_adoption_share_matches_r(ref_dir):
    import json

    r = json.loads((ref_dir.parent / "its_dose" / "its_dose.json").read_text(encoding="utf-8"))
    rollout = pd.read_csv(ref_dir.parent / "its_dose" / "its_rollout.csv")
    comms = pd.read_csv(ref_dir.parent / "its_dose" / "its_communities.csv")
    months = pd.to_datetime([m + "-01" for m in r["months"]])
    share = adoption_share(rollout, comms, months)
    assert share.to_numpy() == pytest.approx(r["share"], abs=1e-15)
    # L01 (not current) adopted in 2018 and C38's 2018 row is another component: neither counts
    assert share.iloc[:17].eq(0).all()


def test_adoption_share_counts_the_adoption_month_and_the_cutoff():
    rollout = pd.DataFrame({"community_id": ["A", "B", "B", "C"], "component": ["jinlin_model"] * 3 + ["other"],
                            "start_date": ["2020-01-31", "2020-03-01", "2020-02-15", "2020-01-01"]})
    comms = pd.DataFrame({"community_id": ["A", "B", "C", "D"], "valid_to": [None, None, None, None]})
    months = pd.date_range("2019-12-01", periods=5, freq="MS")
    assert adoption_share(rollout, comms, months).tolist() == [0, 0.25, 0.5, 0.5, 0.5]
    assert adoption_share(rollout, comms, months, data_cutoff="2020-02-01").tolist() == [0, 0.25, 0.25, 0.25, 0.25]
    bad = rollout.assign(start_date=["2020-01-31", "soon", "2020-02-15", "2020-01-01"])
    with pytest.raises(ValueError, match="row 1, column start_date"):
        adoption_share(bad, comms, months)


@pytest.mark.parametrize("lo,hi,key", [(0.2, 0.9, "lower"), (1.1, 2.0, "higher"), (0.8, 1.3, "unclear"),
                                       (0.5, 1.0, "unclear")])
def test_its_finding_follows_the_interval(lo, hi, key):
    assert its_finding({"rr_ci_low": lo, "rr_ci_high": hi}) == key


def test_monthly_series_default_range_counts_empty_months(tables, population):
    s = monthly_series(tables["petitions"], population)
    assert s["month"].iloc[0] == pd.Timestamp("2022-05-01") and s["month"].iloc[-1] == pd.Timestamp("2024-12-01")
    assert s["count"].sum() == 9 and (s["count"] == 0).sum() == len(s) - 9   # 9 cases in 9 distinct months


def test_its_curves_match_r_predict(its_inputs, ref_dir):
    # fitted and counterfactual (post = t_post = 0) counts against R glm + predict (tests/reference/its_curves)
    import json

    with open(ref_dir.parent / "its_curves" / "its_curves.json", encoding="utf-8") as fh:
        r = json.load(fh)
    pet, pop = its_inputs
    series = monthly_series(pet, pop, "2017-01", "2024-12")
    curves = _its_fit(series, r["intervention"], family="quasipoisson").fitted
    assert series["month"].dt.strftime("%Y-%m").tolist() == r["months"]
    assert curves["fitted"].to_numpy() == pytest.approx(r["fitted"], rel=1e-8)
    assert curves["counterfactual"].to_numpy() == pytest.approx(r["counterfactual"], rel=1e-8)
    pre = curves["intervention"] == 0
    assert curves.loc[pre, "fitted"].to_numpy() == pytest.approx(curves.loc[pre, "counterfactual"].to_numpy())


def test_petitions_without_the_real_estate_column_are_counted_without_its_rows(tables, population):
    """The real-estate flag is optional in the contract: without it the received counts are the same and the
    real-estate rows are simply absent (only petitions.real_estate's query reads the column)."""
    full = petition_counts(tables["petitions"], population, [2023, 2024])
    bare = petition_counts(tables["petitions"].drop(columns="real_estate_related"), population, [2023, 2024])
    received = full[full["indicator"].str.startswith("petitions.received")].reset_index(drop=True)
    pd.testing.assert_frame_equal(bare.reset_index(drop=True), received)
    assert not bare["indicator"].str.startswith("petitions.real_estate").any()
