"""Survey model: graded-response items, reliability, non-response bias and the population truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.synthetic.survey import ITEMS, ItemModel, satisfaction_index


def cronbach_alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_satisfaction_index_hand_example():
    answers = np.array([[5, 5, 5, 5, 5, 5, 5, 5], [1, 1, 1, 1, 1, 1, 1, 1], [3, 4, 8, 9, 5, 5, 4, 3]])
    np.testing.assert_allclose(satisfaction_index(answers), [100.0, 0.0, 100 * (24 / 6 - 1) / 4])


def test_graded_response_draws_match_category_probabilities():
    """Inverse-CDF draws reproduce P(Y = k | theta) of Samejima's model (chi-square goodness of fit)."""
    m = ItemModel()
    rng = np.random.default_rng(7)
    theta = np.full(40_000, 0.4)
    y = m.draw(theta, rng.random((theta.size, 8)))[:, 3]
    p_ge = np.r_[1.0, m.p_at_least(np.array(0.4))[3], 0.0]
    probs = p_ge[:-1] - p_ge[1:]
    observed = np.bincount(y, minlength=6)[1:]
    assert stats.chisquare(observed, probs * theta.size).pvalue > 0.001


def test_expected_index_quadrature_matches_simulation():
    m = ItemModel()
    rng = np.random.default_rng(11)
    theta = 0.3 + 1.5 * rng.standard_normal(400_000)
    sim = satisfaction_index(m.draw(theta, rng.random((theta.size, 8)))).mean()
    assert m.expected_index(np.array(0.3), 1.5) == pytest.approx(sim, abs=0.1)


def test_discriminations_in_range():
    a = ItemModel().a
    assert a.min() >= 1.2 and a.max() <= 2.0


def test_cronbach_alpha_of_perception_items(tables):
    s = tables["survey_responses"]
    x = s[list(ITEMS[:4])].to_numpy()
    x = x[(x <= 5).all(axis=1)].astype(float)
    assert 0.80 <= cronbach_alpha(x) <= 0.90


def test_nonresponse_tilts_the_sample(tables):
    s = tables["survey_responses"].query("wave == 2024")
    m = tables["population_margins"].query("year == 2024")
    pop_mig = m.query("level == 'migrant'")["count"].sum() / m.query("dimension == 'hukou'")["count"].sum()
    pop_old = m.query("level == '60p'")["count"].sum() / m.query("dimension == 'age_group'")["count"].sum()
    assert (s["hukou"] == "migrant").mean() < pop_mig - 0.05
    assert (s["age"] >= 60).mean() > pop_old + 0.05


def test_unweighted_mean_further_from_truth_than_weighted(district):
    s = district.tables["survey_responses"].query("wave == 2024")
    idx = satisfaction_index(s[list(ITEMS)].to_numpy())
    ok = ~np.isnan(idx)
    truth = district.truth["survey.satisfaction_index.mean"]["value"]
    unweighted = idx[ok].mean()
    weighted = np.average(idx[ok], weights=s["base_weight"].to_numpy()[ok])
    assert abs(unweighted - truth) > abs(weighted - truth)
    assert unweighted - truth > 0.5          # visibly biased upwards (locals and older people answer more)


def _rake(frame, margins, dims=("sex", "age_group", "hukou"), sweeps=25):
    """Iterative proportional fitting of base weights to community margins (Deming & Stephan 1940)."""
    w = frame["base_weight"].to_numpy(float)
    for _ in range(sweeps):
        for dim in dims:
            codes, uniq = pd.factorize(pd.MultiIndex.from_arrays([frame["community_id"], frame[dim]]))
            target = margins.reindex([(c, dim, lv) for c, lv in uniq]).to_numpy(float)
            w = w * (target / np.bincount(codes, weights=w))[codes]
    return w


@pytest.mark.slow
def test_raking_removes_the_nonresponse_bias_on_average():
    """Over several seeds, raking to the published margins is unbiased for the population truth, while the unweighted
    mean is biased upwards; one seed alone is too noisy to show it (SD about 0.65 points)."""
    from evaluation.synthetic import district as D
    from evaluation.synthetic.config import SynthConfig

    cfg = SynthConfig()
    bias = []
    for seed in range(8):
        streams = np.random.SeedSequence(seed).spawn(len(D._STREAMS))
        rngs = {n: np.random.default_rng(s) for n, s in zip(D._STREAMS, streams)}
        geo = D.build_geography(rngs["geography"], cfg)
        pop = D.build_population(rngs["population"], cfg, geo)
        roll = D.build_rollout(rngs["rollout"], cfg, geo)
        lat = D.build_latent(rngs["latent"], cfg, geo, pop, roll)
        sv = D.build_survey(rngs["survey"], cfg, geo, pop, roll, lat)
        s = sv.table.query("wave == 2024").copy()
        s["idx"] = satisfaction_index(s[list(ITEMS)].to_numpy())
        s = s[s["idx"].notna()]
        s["age_group"] = np.select([s.age < 40, s.age < 60], ["18_39", "40_59"], "60p")
        m = pop.population_margins.query("year == 2024").set_index(["community_id", "dimension", "level"])["count"]
        w = _rake(s, m)
        bias.append((s["idx"].mean() - sv.population_mean, np.average(s["idx"], weights=w) - sv.population_mean))
    unweighted, raked = np.mean(bias, axis=0)
    assert unweighted > 1.0
    assert abs(raked) < 0.5
