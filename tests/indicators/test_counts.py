"""NB2 regression against R MASS::glm.nb on the committed fixture (tests/reference/indicators/nb_activities.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.counts import design_matrix, fit_negative_binomial, predict_group_means


@pytest.fixture(scope="module")
def nb_data(ref_dir):
    return pd.read_csv(ref_dir / "nb_activities.csv")


def test_matches_mass_glm_nb(nb_data, ref):
    r = ref["nb"]
    fit = fit_negative_binomial(nb_data, "attendance", ["activity_type"])
    assert list(fit.coefficients["term"]) == r["terms"]
    assert fit.coefficients["estimate"].to_numpy() == pytest.approx(r["estimate"], abs=1e-6)
    assert fit.coefficients["se"].to_numpy() == pytest.approx(r["se"], rel=1e-6)
    assert fit.theta == pytest.approx(r["theta"], rel=1e-6)
    # MASS evaluates the information at the last-but-one Newton iterate of theta, hence the looser tolerance
    assert fit.theta_se == pytest.approx(r["theta_se"], rel=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"], rel=1e-9)
    assert fit.n == r["n"] and fit.converged


def test_group_means_are_the_sample_means_for_a_single_factor(nb_data):
    # with one factor the NB2 ML means equal the group means; the interval must contain them
    fit = fit_negative_binomial(nb_data, "attendance", ["activity_type"])
    means = predict_group_means(fit, "activity_type").set_index("level")
    sample = nb_data.groupby("activity_type")["attendance"].mean()
    assert means["mean"].to_numpy() == pytest.approx(sample.loc[means.index].to_numpy(), rel=1e-6)
    assert (means["ci_low"] < means["mean"]).all() and (means["mean"] < means["ci_high"]).all()


def test_reference_level_changes_coding_not_fit(nb_data):
    a = fit_negative_binomial(nb_data, "attendance", ["activity_type"])
    b = fit_negative_binomial(nb_data, "attendance", ["activity_type"], reference={"activity_type": "sports"})
    assert b.coefficients["term"].iloc[1] == "activity_typeculture"
    assert a.loglik == pytest.approx(b.loglik, rel=1e-10)
    assert a.theta == pytest.approx(b.theta, rel=1e-6)


def test_design_matrix_names_like_r():
    X, lv = design_matrix(pd.DataFrame({"f": ["b", "a", "c"]}), ["f"])
    assert list(X.columns) == ["(Intercept)", "fb", "fc"] and lv["f"] == ("a", "b", "c")


def test_rejects_non_counts():
    with pytest.raises(ValueError):
        fit_negative_binomial(pd.DataFrame({"y": [1.5, 2, 3, 4], "f": list("aabb")}), "y", ["f"])


def test_community_clusters_match_sandwich_vcovcl(nb_data, ref_dir):
    """The cluster-robust fit against R: sandwich::vcovCL(glm.nb(...), cluster = ~community_id), t with the
    degrees of freedom of the communities each figure rests on (tests/reference/indicators/make_nb_cluster_reference.R)."""
    import json

    import numpy as np

    r = json.loads((ref_dir / "nb_cluster_reference.json").read_text(encoding="utf-8"))
    fit = fit_negative_binomial(nb_data, "attendance", ["activity_type"], cluster="community_id")
    assert list(fit.coefficients["term"]) == r["terms"]
    assert (fit.clusters, fit.df) == (r["clusters"], r["df"])
    assert fit.coefficients["estimate"].to_numpy() == pytest.approx(r["estimate"], abs=1e-6)
    assert fit.cov.to_numpy() == pytest.approx(np.array(r["cov"]), rel=1e-6)
    assert fit.coefficients["se"].to_numpy() == pytest.approx(r["se"], rel=1e-6)
    # the degrees of freedom of the clusters each figure rests on: youth was held in 11 of the 12 communities
    assert fit.coefficients["df"].tolist() == r["df_term"]
    assert fit.coefficients["p_value"].to_numpy() == pytest.approx(r["p_value"], rel=1e-5)
    means = predict_group_means(fit, "activity_type")
    assert list(means["level"]) == r["means"]["level"]
    assert means["df"].tolist() == r["means"]["df"] == [11, 11, 11, 11, 10]
    assert means["log_se"].to_numpy() == pytest.approx(r["means"]["log_se"], rel=1e-6)
    ci = np.array(r["means"]["ci95"])
    assert means["ci_low"].to_numpy() == pytest.approx(ci[:, 0], rel=1e-6)
    assert means["ci_high"].to_numpy() == pytest.approx(ci[:, 1], rel=1e-6)
    # and the model-based fit is still glm.nb's, whose standard errors differ from the sandwich's
    iid = fit_negative_binomial(nb_data, "attendance", ["activity_type"])
    assert iid.coefficients["se"].to_numpy() == pytest.approx(r["iid_se"], rel=1e-6)
    assert iid.df is None and not np.allclose(iid.coefficients["se"], r["se"], rtol=1e-3)


def test_a_cluster_robust_fit_needs_two_clusters(nb_data):
    with pytest.raises(ValueError, match="at least two clusters"):
        fit_negative_binomial(nb_data.assign(one="C01"), "attendance", ["activity_type"], cluster="one")


def test_a_type_held_in_few_communities_gets_their_degrees_of_freedom_not_the_districts(nb_data):
    """Its mean's sandwich variance is a sum over the communities that held it, of terms that sum to zero: with two
    of them it has one degree of freedom, whatever G is. t(G - 1) would make its interval several times too narrow."""
    from scipy import stats

    d = nb_data.copy()
    d.loc[d["activity_type"] == "youth", "community_id"] = d.loc[d["activity_type"] == "youth", "community_id"].map(
        lambda c: "C01" if c < "C07" else "C02")
    fit = fit_negative_binomial(d, "attendance", ["activity_type"], cluster="community_id")
    means = predict_group_means(fit, "activity_type").set_index("level")
    assert fit.df == 11 and means.loc["youth", "df"] == 1 and means.loc["culture", "df"] == 11
    half = means.loc["youth", "log_se"] * stats.t.ppf(0.975, 1)
    assert means.loc["youth", "ci_high"] == pytest.approx(means.loc["youth", "mean"] * np.exp(half), rel=1e-12)
    coef = fit.coefficients.set_index("term")
    assert coef.loc["activity_typeyouth", "df"] == 1 and coef.loc["(Intercept)", "df"] == 11
