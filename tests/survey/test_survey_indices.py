"""Indices: the conventions.md satisfaction index by hand, and design SEs against SRS hand formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.survey import SurveyDesign
from evaluation.survey.indices import (
    SERVICE_ITEMS,
    importance_performance,
    recommendation_score,
    satisfaction_index,
    top2box,
)


def test_satisfaction_index_by_hand():
    df = pd.DataFrame({c: [5, 1, np.nan] for c in SERVICE_ITEMS})
    df.loc[0, "q_trust"] = 3  # mean of seven 5s and one 3 = 4.75 -> 93.75
    df.loc[1, SERVICE_ITEMS[1:]] = np.nan  # one answer of 1 -> 0
    got = satisfaction_index(df)
    assert got[0] == pytest.approx(93.75) and got[1] == 0 and np.isnan(got[2])
    with pytest.raises(ValueError):
        satisfaction_index(df.assign(q_trust=9))


@pytest.fixture(scope="module")
def srs():
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame({"q_recommend": rng.integers(0, 11, n).astype(float), "q_trust": rng.integers(1, 6, n)})
    df.loc[:9, "q_recommend"] = np.nan
    return SurveyDesign(df)  # one unit per row, no weights: SRS with replacement


def test_top2box_is_srs_proportion(srs):
    x = srs.data.q_trust
    p = x.isin([4, 5]).mean()
    got = top2box(srs, ["q_trust"])
    assert got.estimate[0] == pytest.approx(p, rel=1e-12)
    assert got.se[0] == pytest.approx(np.sqrt(p * (1 - p) / (len(x) - 1)), rel=1e-12)


def test_recommendation_score_se_is_difference_of_proportions(srs):
    # Non-respondents stay in the design as a domain (their PSUs count), so the textbook SRS formula applies to
    # the answering sample taken as the design.
    answered = SurveyDesign(srs.data.dropna(subset=["q_recommend"]))
    x = answered.data.q_recommend
    pp, pd_ = (x >= 9).mean(), (x <= 6).mean()
    got = recommendation_score(answered)
    assert got.estimate[0] == pytest.approx(100 * (pp - pd_), rel=1e-12)
    # linearised variance of p_P - p_D under SRS: (p_P + p_D - (p_P - p_D)^2) / (n - 1)
    assert got.se[0] == pytest.approx(100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / (len(x) - 1)), rel=1e-12)
    assert got.promoters[0] == pytest.approx(pp) and got.detractors[0] == pytest.approx(pd_)


def test_recommendation_score_keeps_nonrespondents_in_the_design(srs):
    got = recommendation_score(srs)
    x = srs.data.q_recommend
    assert got.estimate[0] == pytest.approx(100 * ((x >= 9).sum() - (x <= 6).sum()) / x.notna().sum(), rel=1e-12)


def test_importance_performance_quadrants():
    rng = np.random.default_rng(1)
    n = 600
    means = {"a": (4.5, 4.5), "b": (2.0, 4.6), "c": (2.0, 1.5), "d": (4.6, 1.4)}  # (performance, importance)
    df = pd.DataFrame({"w": rng.uniform(1, 3, n)})
    for k, (p, i) in means.items():
        df[f"q_{k}"] = np.clip(np.round(rng.normal(p, 0.5, n)), 1, 5)
        df[f"imp_{k}"] = np.clip(np.round(rng.normal(i, 0.5, n)), 1, 5)
    d = SurveyDesign(df, weights="w")
    got = importance_performance(d, [f"q_{k}" for k in means], [f"imp_{k}" for k in means], n_boot=50, seed=2)
    assert got.quadrant.tolist() == ["keep up the good work", "concentrate here", "low priority",
                                     "possible overkill"]
    assert got.performance[0] == pytest.approx(np.average(df.q_a, weights=df.w), rel=1e-12)
    assert (got.stability == 1).all()
