"""Community-cluster intervals against R ``survey`` and the central rate-ratio p-value against its definition in R
(tests/reference/indicators/make_cluster_reference.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.indicators.intervals import binomial_central_p, check_interval, cluster_proportion, \
    cluster_ratio, rate_ratio_exact, wilson_interval

from .conftest import REF_DIR


@pytest.fixture(scope="module")
def cref() -> dict:
    with open(REF_DIR / "cluster_reference.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "cluster_events.csv", dtype={"community_id": str})


@pytest.fixture(scope="module")
def communities() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "cluster_communities.csv", dtype={"community_id": str})


def _se(v) -> float:
    return float(np.ravel(v)[0])


def test_cluster_proportion_matches_svyciprop(cref, events):
    g = events.groupby("community_id")["y"]
    for level, key in ((0.95, "ci95"), (0.90, "ci90")):
        got = cluster_proportion(g.sum(), g.size(), level)
        assert got["proportion"] == pytest.approx(cref["share"]["estimate"], rel=1e-12)
        assert got["se"] == pytest.approx(_se(cref["share"]["se"]), rel=1e-9)
        assert [got["ci_low"], got["ci_high"]] == pytest.approx(cref["share"][key], rel=1e-9)
        assert got["df"] == cref["share"]["df"]


def test_cluster_se_is_wider_than_iid_for_clustered_events(cref, events):
    g = events.groupby("community_id")["y"]
    iid = wilson_interval(int(events["y"].sum()), len(events)).iloc[0]
    assert iid["se"] == pytest.approx(cref["share"]["iid_se"], rel=1e-12)
    assert cluster_proportion(g.sum(), g.size())["se"] > 2 * iid["se"]


def test_cluster_ratio_matches_svyratio_svymean_svytotal(cref, communities):
    y, x = communities["events"], communities["residents"]
    r = cluster_ratio(y, x, per=10000)
    assert r["ratio"] == pytest.approx(cref["rate"]["per_10k"], rel=1e-12)
    assert r["se"] == pytest.approx(_se(cref["rate"]["se"]), rel=1e-9)
    assert [r["ci_low"], r["ci_high"]] == pytest.approx(cref["rate"]["ci95"], rel=1e-9)
    m = cluster_ratio(y, np.ones(len(y)))
    assert [m["ratio"], m["se"], m["ci_low"], m["ci_high"]] == pytest.approx(
        [cref["mean"]["estimate"], _se(cref["mean"]["se"]), *cref["mean"]["ci95"]], rel=1e-9)
    t = cluster_ratio(y, np.full(len(y), 1 / len(y)))
    assert [t["ratio"], t["se"], t["ci_low"], t["ci_high"]] == pytest.approx(
        [cref["total"]["estimate"], _se(cref["total"]["se"]), *cref["total"]["ci95"]], rel=1e-9)


def test_cluster_edge_cases():
    one = cluster_proportion([3], [10])
    assert one["proportion"] == 0.3 and np.isnan(one["se"]) and np.isnan(one["ci_low"])
    none = cluster_proportion([0, 0], [0, 0])
    assert np.isnan(none["proportion"]) and none["clusters"] == 0
    full = cluster_proportion([5, 7], [5, 7])  # p = 1: no logit interval, no zero-width one either
    assert full["proportion"] == 1 and full["se"] == 0 and np.isnan(full["ci_high"])
    # communities without records do not count as clusters
    assert cluster_proportion([9, 5, 0], [10, 10, 0])["df"] == 1
    with pytest.raises(ValueError, match="between 0 and trials"):
        cluster_proportion([4], [3])
    with pytest.raises(ValueError, match="interval must be one of"):
        check_interval("bootstrap")
    assert cluster_ratio([1, 50], [1, 1])["ci_low"] == 0.0  # a negative lower limit of a count is cut at 0


def test_central_p_matches_r_definition_and_cp_interval(cref):
    for case in cref["rate_ratio"]:
        rr = rate_ratio_exact(case["x"], case["y"], case["tx"], case["ty"])
        assert rr.p_value == pytest.approx(case["p_central"], rel=1e-9, abs=1e-15)
        lo, hi = (np.inf if v == "Inf" else v for v in case["ci95"])
        assert rr.ci_low == pytest.approx(lo, rel=1e-9)
        if np.isfinite(hi):
            assert rr.ci_high == pytest.approx(hi, rel=1e-9)
    # at least one reference case where R's minlike p differs from the central one
    assert any(abs(c["p_minlike"] - c["p_central"]) > 1e-6 for c in cref["rate_ratio"])


def test_central_p_agrees_with_the_interval_everywhere():
    # the consistency rule: p < alpha exactly when the Clopper-Pearson interval excludes a ratio of 1
    minlike_disagrees = 0
    for tx, ty in ((1, 1), (1, 3), (2, 1), (51.5, 47.0)):
        for x in range(0, 31):
            for y in range(0, 31):
                if x + y == 0:
                    continue
                rr = rate_ratio_exact(x, y, tx, ty)
                excluded = rr.ci_low > 1 or rr.ci_high < 1
                assert (rr.p_value < 0.05) == excluded, (x, y, tx, ty)
                minlike = stats.binomtest(x, x + y, tx / (tx + ty)).pvalue
                minlike_disagrees += (minlike < 0.05) != excluded
    assert minlike_disagrees > 0  # the defect this p-value removes is real on this grid


def test_binomial_central_p_bounds():
    assert binomial_central_p(5, 10, 0.5) == 1.0
    assert binomial_central_p(0, 5, 0.5) == pytest.approx(2 * 0.5 ** 5)
    with pytest.raises(ValueError):
        binomial_central_p(6, 5, 0.5)


def test_cluster_proportion_equals_the_survey_engine_with_communities_as_psus(events):
    # the same design through evaluation.survey.SurveyDesign (ids = community, no weights), from record-level data
    from evaluation.survey import SurveyDesign

    d = SurveyDesign(events.assign(w=1.0), ids="community_id", weights="w")
    ci = d.ciprop("y").iloc[0]
    g = events.groupby("community_id")["y"]
    got = cluster_proportion(g.sum(), g.size())
    assert got["proportion"] == pytest.approx(float(ci["estimate"]), rel=1e-12)
    assert got["se"] == pytest.approx(float(ci["se"]), rel=1e-9)
    assert [got["ci_low"], got["ci_high"]] == pytest.approx([float(ci["ci_low"]), float(ci["ci_high"])], rel=1e-9)
