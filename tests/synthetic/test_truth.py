"""Truth: did::aggte-style aggregation, completeness of truth keys, and planted effects as configured."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evaluation.synthetic import HEADLINE_KEYS, IMPACT_OUTCOMES, SynthConfig, generate_district
from evaluation.synthetic.truth import aggregate_dynamic, aggregate_simple, att_gt


@pytest.fixture(scope="module")
def toy():
    """3 units: A (g=2020), B and C (g=2021); effects known by hand."""
    cells = pd.DataFrame({
        "unit": ["A", "A", "A", "B", "B", "C", "C"],
        "year": [2020, 2021, 2022, 2021, 2022, 2021, 2022],
        "eff": [1.0, 2.0, 9.0, 3.0, 9.0, 5.0, 9.0],
    })
    return att_gt(cells, pd.Series({"A": 2020, "B": 2021, "C": 2021}), "eff", last_year=2021)


def test_att_gt_hand_example(toy):
    got = toy.set_index(["cohort", "year"])["att"].to_dict()
    assert got == {(2020, 2020): 1.0, (2020, 2021): 2.0, (2021, 2021): 4.0}


def test_simple_aggregation_hand_example(toy):
    # did::aggte(type = "simple"): cells weighted by cohort size: (1*1 + 2*1 + 4*2) / (1 + 1 + 2) = 11/4
    assert aggregate_simple(toy) == pytest.approx(11 / 4)


def test_dynamic_aggregation_hand_example(toy):
    # e0: (1*1 + 4*2) / 3 = 3; e1: cohort 2020 only = 2
    assert aggregate_dynamic(toy) == pytest.approx({0: 3.0, 1: 2.0})


def test_truth_keys_present_and_finite(district, config):
    truth = district.truth
    last = config.last_identifiable_year
    for outcome in IMPACT_OUTCOMES:
        assert f"impact.{outcome}.att" in truth
        for e in range(0, last - min(config.cohorts) + 1):
            assert f"impact.{outcome}.dynamic.e{e}" in truth
    for key in (*HEADLINE_KEYS, "survey.satisfaction_index.mean"):
        assert key in truth
    for key, entry in truth.items():
        assert math.isfinite(entry["value"]), key
        assert key == key.lower() and key.split(".")[0] in {"data", "organisation", "participation", "grid",
                                                             "petitions", "service_circle", "survey", "impact",
                                                             "claims"}


def test_planted_effects_match_the_config(district, config):
    """The truth is computed from potential outcomes, so it should sit near the configured sizes."""
    t = {k: v["value"] for k, v in district.truth.items()}
    m = config.time_to_close_multiplier
    assert t["impact.log_time_to_close.dynamic.e0"] == pytest.approx(math.log(m[0]), abs=0.01)
    assert t["impact.log_time_to_close.dynamic.e1"] == pytest.approx(math.log(m[1]), abs=0.01)
    assert t["impact.log_time_to_close.dynamic.e2"] == pytest.approx(math.log(m[2]), abs=0.01)
    assert t["impact.on_time_rate.dynamic.e0"] == pytest.approx(config.on_time_pp_e0 / 100, abs=0.006)
    assert t["impact.on_time_rate.dynamic.e2"] == pytest.approx(config.on_time_pp_e1plus / 100, abs=0.006)
    assert t["impact.participation_rate.att"] == pytest.approx(config.participation_pp / 100, abs=0.015)
    # Registration stock: 1 pp a year, so about (e + 1) pp at event time e.
    for e in range(4):
        assert t[f"impact.volunteer_rate.dynamic.e{e}"] == pytest.approx(e + 1, rel=0.15)
    # Satisfaction grows with event time (dynamic effect) and exceeds the e0 size later on.
    dyn = [t[f"impact.satisfaction_index.dynamic.e{e}"] for e in range(4)]
    assert np.all(np.diff(dyn) > 0) and dyn[0] > config.satisfaction_e0
    # Rate ratios: effects have the planted sign and a plausible size.
    assert t["impact.real_estate_petitions_per_10k.att"] < 0
    assert t["impact.activities_per_1k.att"] > 0


def test_effect_is_large_relative_to_community_noise(district):
    """A CS-DiD on 43 communities can see the satisfaction effect: the truth is several times the SE of a
    community-wave mean (index SD / sqrt(50)) divided by sqrt of the treated cells."""
    from evaluation.synthetic.survey import ITEMS, satisfaction_index

    s = district.tables["survey_responses"]
    sd = np.nanstd(satisfaction_index(s[list(ITEMS)].to_numpy()))
    assert district.truth["impact.satisfaction_index.att"]["value"] > 3 * sd / np.sqrt(50) / np.sqrt(10)


@pytest.mark.slow
def test_static_homogeneous_switches():
    """With dynamic and heterogeneous effects off, every event time carries the e0 size of the config."""
    cfg = SynthConfig(dynamic_effects=False, heterogeneous_effects=False)
    d = generate_district(5, cfg)
    t = {k: v["value"] for k, v in d.truth.items()}
    for e in range(4):
        assert t[f"impact.satisfaction_index.dynamic.e{e}"] == pytest.approx(cfg.satisfaction_e0, abs=0.35)
        assert t[f"impact.log_time_to_close.dynamic.e{e}"] == pytest.approx(math.log(0.92), abs=0.01)
    assert d.metadata["switches"]["dynamic_effects"] is False


def test_config_validation():
    with pytest.raises(ValueError):
        SynthConfig(cohorts={2020: 6, 2021: 12})
    with pytest.raises(ValueError):
        SynthConfig(anticipation_years=-1)
    cfg = SynthConfig().with_(cohorts={2020: 10, 2021: 10, 2022: 10, 2023: 10, 2024: 3})
    assert cfg.cohorts[2020] == 10 and cfg.last_identifiable_year == 2023


def test_config_defaults_follow_the_spec(config):
    """Defaults equal shared/design/reference/synth_config.yaml (the spec)."""
    from pathlib import Path

    import yaml

    from evaluation.config import SHARED_DIR

    path = Path(SHARED_DIR) / "design" / "reference" / "synth_config.yaml"
    if not path.exists():
        pytest.skip("shared design folder not available")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert spec["report_year"] == config.report_year
    assert dict(config.cohorts) == spec["rollout"]["cohorts"]
    assert dict(config.population_totals) == spec["population"]["district_total"]
    assert dict(config.migrant_share) == spec["population"]["migrant_share"]
    pe = spec["planted_effects"]
    sat = pe["satisfaction_index_points"]
    assert (config.satisfaction_e0, config.satisfaction_slope_per_year, config.satisfaction_cohort_2020_extra,
            config.satisfaction_migrant_extra) == (sat["e0"], sat["slope_per_year"], sat["cohort_2020_extra"],
                                                   sat["migrant_extra"])
    assert (config.on_time_pp_e0, config.on_time_pp_e1plus) == (pe["on_time_closure_pp"]["e0"],
                                                                pe["on_time_closure_pp"]["e1plus"])
    ttc = pe["time_to_close_multiplier"]
    assert config.time_to_close_multiplier == (ttc["e0"], ttc["e1"], ttc["e2plus"])
    for knob in ("callback_satisfied_logodds", "events_reported_rate_ratio", "real_estate_petition_rate_ratio",
                 "activities_rate_ratio", "attendance_per_activity_ratio", "volunteer_registration_pp_per_year",
                 "co_organised_share_pp"):
        assert getattr(config, knob) == pe[knob]
    assert dict(config.grid_categories) == spec["grid_events"]["categories"]
    assert {k: v for k, v in config.deadline_hours.items()} == spec["grid_events"]["deadline_hours"]
    assert config.n_per_community == spec["survey"]["n_per_community"]
    assert list(config.survey_waves) == spec["survey"]["waves"]
    h = spec["headline_targets_report_year"]
    assert config.grid_events_closed == h["grid_events_closed"]["value"]
    assert dict(config.real_estate_petitions) == {2023: h["real_estate_petitions"][2023],
                                                  2024: h["real_estate_petitions"][2024]}
    assert dict(config.stations) == {"district": 1, "street": 3, "community": 43,
                                     "estate": h["facilities"]["estate_station"]}


def test_a_survey_in_the_report_year_only_writes_no_survey_estimand():
    """With one wave (the report year, after the last not-yet-treated year) no survey ATT is identifiable: the truth
    leaves those keys out instead of writing NaN, and every value it writes is finite."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        d = generate_district(3, SynthConfig().with_(survey_waves=(2024,), n_comparison_districts=0))
    assert not any(k.startswith("impact.satisfaction_index.") for k in d.truth)
    assert "impact.on_time_rate.att" in d.truth
    assert all(math.isfinite(v["value"]) for v in d.truth.values())
