"""Comparison districts: panel shape, coherence with the district's own tables, truth of the planted district-wide
effect, the district inside the donors' convex hull, and the on/off knob."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from evaluation.synthetic import SynthConfig, generate_district
from evaluation.synthetic.comparison import DISTRICT_OUTCOMES, TREATED_ID, TREATED_NAME

from .conftest import DEFAULT_SEED


@pytest.fixture(scope="module")
def panel(tables):
    return tables["district_panel"]


def test_panel_shape_and_labels(panel, config):
    n_units = config.n_comparison_districts + 1
    years = list(config.years)
    assert len(panel) == n_units * len(years)
    assert not panel.duplicated(["district_id", "year"]).any()
    assert (panel.groupby("district_id")["year"].apply(list) == pd.Series([years] * n_units,
                                                                       index=sorted(panel.district_id.unique()))).all()
    first = panel[panel.district_id == TREATED_ID]
    assert (first["name_zh"] == TREATED_NAME).all()
    assert (first["programme_start_year"] == min(config.cohorts)).all()
    donors = panel[panel.district_id != TREATED_ID]
    assert donors["programme_start_year"].isna().all()
    assert donors["name_zh"].str.contains("合成").all()           # invented districts are labelled synthetic
    assert panel[list(DISTRICT_OUTCOMES)].notna().all().all()


def test_district_predictors_are_its_own_population(panel, tables):
    pop = tables["population"].groupby("year")[["resident_pop", "migrant_pop"]].sum()
    d = panel[panel.district_id == TREATED_ID].set_index("year")
    assert (d["resident_pop"] == pop["resident_pop"].reindex(d.index)).all()
    np.testing.assert_allclose(d["migrant_share"], pop["migrant_pop"] / pop["resident_pop"], atol=1e-6)


def test_planted_gap_is_treated_y1_minus_y0(district, panel, config):
    pot = district.comparison.potential
    d = panel[panel.district_id == TREATED_ID].set_index("year")
    start = min(config.cohorts)
    for name in DISTRICT_OUTCOMES:
        p = pot[pot.outcome == name].set_index("year")
        # the table holds Y(1) for the district (rounded to 6 decimals in the table)
        np.testing.assert_allclose(d[name], p["y1"], atol=1e-6)
        gap = d[name] - p["y0"]
        assert (gap[gap.index < start].abs() < 1e-6).all()
        post = gap[gap.index >= start]
        for year, g in post.items():
            assert district.truth[f"impact.district.{name}.gap_{year}"]["value"] == pytest.approx(g, abs=1e-6)
        assert district.truth[f"impact.district.{name}.att_post"]["value"] == pytest.approx(post.mean(), abs=1e-6)
        # the district-wide effect adds up the community effects, so it points the way the community ATT does
        assert np.sign(post.iloc[-1]) == np.sign(district.truth[f"impact.{name}.att"]["value"])


def test_district_in_convex_hull_before_programme(district, panel, config):
    w = district.comparison.true_weights
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all() and (w > 0).sum() == config.comparison_active_donors
    start = min(config.cohorts)
    pre = panel[panel.year < start]
    for name, (_, _, noise, _, _) in DISTRICT_OUTCOMES.items():
        wide = pre.pivot(index="year", columns="district_id", values=name)
        resid = wide[TREATED_ID] - wide[w.index] @ w
        # only noise is left: eps_0 - sum w* eps_j has SD noise * sqrt(1 + sum w*^2) < noise * sqrt(2)
        assert np.sqrt(np.mean(resid ** 2)) < 3 * noise * np.sqrt(2), name
        # and the donors' spread is far larger than that, so the fit is not trivial
        assert wide[w.index].std(axis=1).mean() > 5 * noise
    # the predictors too: log population, logit migrant share and log GDP per capita are the same w*-mix
    for col, f in (("resident_pop", np.log), ("migrant_share", logit), ("gdp_per_capita_cny", np.log)):
        wide = panel.pivot(index="year", columns="district_id", values=col).astype(float).apply(f)
        np.testing.assert_allclose(wide[w.index] @ w, wide[TREATED_ID], atol=1e-4)


def test_knob_off_leaves_other_tables_unchanged(district):
    off = generate_district(DEFAULT_SEED, SynthConfig().with_(n_comparison_districts=0))
    assert "district_panel" not in off.tables and off.comparison is None
    assert not any(k.startswith("impact.district.") for k in off.truth)
    assert set(off.tables) | {"district_panel"} == set(district.tables)
    for name, df in off.tables.items():
        pd.testing.assert_frame_equal(df, district.tables[name], obj=name)


def test_too_few_comparison_districts():
    with pytest.raises(ValueError, match="at least two"):
        generate_district(DEFAULT_SEED, SynthConfig().with_(n_comparison_districts=1))
