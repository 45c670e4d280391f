"""svyglm and svyolr against R survey 4.1.1."""

from __future__ import annotations

import numpy as np
import pytest

DESIGNS = ["strat", "clus1", "clus1_nofpc", "clus2", "clus2_w", "srs"]
COLS = ("estimate", "se", "ci_low", "ci_high")


@pytest.mark.parametrize("name", DESIGNS)
def test_glm_gaussian(designs, ref, check, name):
    got = designs[name].glm("api00 ~ ell + meals + mobility")
    e = ref["estimates"][name]["glm_gaussian"]
    assert got.df[0] == e["df_residual"]
    check(got, e, cols=COLS)


@pytest.mark.parametrize("name", DESIGNS)
def test_glm_binomial(designs, ref, check, name):
    got = designs[name].glm("sch_wide_yes ~ ell + meals", family="binomial")
    # R was run with glm.control(epsilon = 1e-14); both sides iterate, hence 1e-6.
    check(got, ref["estimates"][name]["glm_binomial"], cols=COLS, rtol=1e-6)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_svyolr(designs, ref, check, link):
    got = designs["clus1"].ordinal("mealcat ~ avg_ed + mobility", link=link)
    e = ref["svyolr"][f"clus1_{link}"]
    assert list(got.term) == ["avg_ed", "mobility", "1|2", "2|3", "3|4"]
    check(got, e, cols=("estimate", "se"), rtol=1e-6)


def test_cumulative_link_nll_without_hessian_same_value_and_scores():
    from evaluation.survey.models import cumulative_link_nll

    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 2))
    y = rng.integers(0, 4, 40)
    w = rng.uniform(0.5, 2.0, 40)
    params = np.array([0.3, -0.2, -1.0, 0.1, 1.2])
    for link in ("logit", "probit"):
        nll, scores, hess = cumulative_link_nll(params, x, y, w, 4, link)
        nll2, scores2, none = cumulative_link_nll(params, x, y, w, 4, link, hessian=False)
        assert nll2 == nll and np.array_equal(scores2, scores) and none is None and hess.shape == (5, 5)
