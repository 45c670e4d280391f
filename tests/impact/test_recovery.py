"""On the bundled district the panels measure what the generator planted (definitions recounted independently) and the
impact bundle (evaluation.impact.summary) recovers the planted effects; each step of the bundle is also checked
against an independent reference (the did README's pre-test, did's window rule, hand counts)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.panels import OUTCOMES, outcome_panel
from evaluation.impact.staggered_did import staggered_did
from evaluation.impact.summary import (controls_by_year, generalised_pretest, identification_window, impact_summary,
                                       mask_pre_cells, truth_frame)

ROOT = Path(__file__).resolve().parents[2]
SYNTH = ROOT / "data" / "synthetic"
MAIN = ("satisfaction_index", "on_time_rate", "log_time_to_close")


@pytest.fixture(scope="module")
def district(bundled_district):
    return bundled_district


@pytest.fixture(scope="module")
def truth():
    return json.loads((SYNTH / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DATA_DIR / "mpdta.csv")


@pytest.mark.parametrize("outcome", MAIN)
def test_planted_effect_recovered(district, truth, outcome):
    s = impact_summary(outcome_panel(district.tables, outcome), outcome, n_boot=199, seed=20241231)
    planted = truth[f"impact.{outcome}.att"]["value"]
    assert s.ci_low <= planted <= s.ci_high or abs(s.att - planted) <= 2 * s.se
    # the generator's estimand ends in 2023, the year before the last wave: so must the estimator's window
    assert s.last_year == 2023 and "window_truncated" in s.flags
    # the event-time effects e0..e3 of truth.json are the ones estimated, each inside its simultaneous band
    tf = truth_frame(truth, outcome)
    es = s.event_study.set_index("event_time")
    ks = [k for k in tf["term"] if k != "overall"]
    assert ks == [0, 1, 2, 3]
    inside = [es.loc[k, "ci_low"] <= v <= es.loc[k, "ci_high"] for k, v in zip(ks, tf["truth"].iloc[1:])]
    assert sum(inside) >= 3


def test_twfe_contrast_biased_toward_zero_when_effects_grow(district, truth):
    # time to close: the planted effect deepens with exposure (multiplier 0.92 -> 0.85 -> 0.80), the textbook case
    # in which TWFE's late-vs-early comparisons pull the coefficient toward zero (Goodman-Bacon 2021)
    s = impact_summary(outcome_panel(district.tables, "log_time_to_close"), "log_time_to_close", n_boot=0)
    assert s.twfe.estimate > s.att
    b = s.bacon
    assert b["weight"].sum() == pytest.approx(1.0)
    assert float((b["weight"] * b["estimate"]).sum()) == pytest.approx(s.twfe.estimate, abs=1e-10)


def test_controls_by_year_on_the_bundled_district(district):
    s = impact_summary(outcome_panel(district.tables, "on_time_rate"), "on_time_rate", n_boot=0)
    ctrl = s.controls.set_index("year")
    # cohorts 6, 12, 12, 9 (+4 in 2024): not yet treated = 43 - cumulative adopters
    assert ctrl.loc[[2020, 2021, 2022, 2023], "not_yet_treated"].tolist() == [37, 25, 13, 4]
    assert ctrl.loc[[2020, 2021, 2022, 2023], "treated"].tolist() == [6, 18, 30, 39]
    assert "few_controls" in s.flags and "single_cohort_tail" in s.flags


def test_generalised_pretest_equals_did_readme(mpdta):
    res = staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                        control="never", method="reg")
    w = generalised_pretest(res)
    # did README ("A short example"): P-value for pre-test of parallel trends assumption: 0.16812
    assert w.df == 5
    assert w.p_value == pytest.approx(0.16812, abs=5e-6)


def test_generalised_pretest_ignores_a_redundant_cell(mpdta):
    res = staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                        control="never", method="reg")
    tab = res.att_gt
    k = int(np.flatnonzero((tab["group"] > tab["time"]).to_numpy())[0])
    # a mirror image of one pre cell (as when two cohorts are each other's only comparison): singular covariance
    dup = pd.concat([tab, tab.iloc[[k]].assign(estimate=-tab["estimate"].iloc[k])], ignore_index=True)
    twin = replace(res, att_gt=dup, influence=np.column_stack([res.influence, -res.influence[:, k]]))
    w0, w1 = generalised_pretest(res), generalised_pretest(twin)
    assert w1.df == w0.df
    assert w1.statistic == pytest.approx(w0.statistic, rel=1e-8)


def test_identification_window_is_dids_rule():
    # did (pre_process_did): without never-treated units, drop t >= max(g) - anticipation; the last cohort then only
    # serves as a comparison
    panel = pd.DataFrame({"community_id": np.repeat(["a", "b", "c"], 5), "year": np.tile(range(2019, 2024), 3),
                          "first_treat": np.repeat([2021, 2022, 2023], 5), "y": 0.0})
    out, cut = identification_window(panel)
    assert cut and out["year"].max() == 2022
    assert out.drop_duplicates("community_id")["first_treat"].tolist() == [2021, 2022, 0]
    out1, _ = identification_window(panel, anticipation=1)
    assert out1["year"].max() == 2021
    with_never = panel.assign(first_treat=np.repeat([2021, 2022, 0], 5))
    same, cut = identification_window(with_never)
    assert not cut and len(same) == len(panel)


def test_mask_only_pre_cells_in_legacy_years(mpdta):
    res = staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                        control="never", method="reg")
    masked, n = mask_pre_cells(res, [2003, 2004, 2005, 2006, 2007], drop_years=[2003, 2004])
    tab, old = masked.att_gt, res.att_gt
    gone = old["estimate"].notna() & tab["estimate"].isna()
    # varying base: a pre cell (g, t) compares t with t - 1; those touching 2003 or 2004 are set aside,
    # (2007, 2006) [base 2005] is kept
    assert sorted(zip(old.loc[gone, "group"], old.loc[gone, "time"])) == [(2006, 2004), (2006, 2005), (2007, 2004),
                                                                         (2007, 2005)]
    assert n == 4
    assert tab.set_index(["group", "time"]).loc[(2007, 2006), "estimate"] == pytest.approx(
        old.set_index(["group", "time"]).loc[(2007, 2006), "estimate"])
    assert (tab.loc[tab["group"] <= tab["time"], "estimate"] == old.loc[old["group"] <= old["time"], "estimate"]).all()


def test_conclusion_codes_follow_the_evidence():
    rng = np.random.default_rng(5)
    units, years = 60, range(2015, 2022)
    g = np.repeat([2018, 2019, 2020, 0], 15)
    rows = []
    for i in range(units):
        for t in years:
            effect = 3.0 if (g[i] and t >= g[i]) else 0.0
            rows.append((f"u{i}", t, g[i], effect + 0.1 * t + rng.normal(0, 0.5)))
    panel = pd.DataFrame(rows, columns=["community_id", "year", "first_treat", "y"])
    s = impact_summary(panel, "toy", n_boot=0)
    assert s.conclusion == "clear" and s.att == pytest.approx(3.0, abs=0.3)
    assert "window_truncated" not in s.flags  # there are never-treated units
    null = impact_summary(panel.assign(y=0.1 * panel["year"] + rng.normal(0, 0.5, len(panel))), "toy", n_boot=0)
    assert null.conclusion == "inconclusive"
    # a trend only in the adopting units before adoption: the pre-test sees it, and reports it without deciding
    trend = impact_summary(panel.assign(y=panel["y"] + np.where(panel["first_treat"] > 0,
                                                                1.0 * (panel["year"] - 2015), 0.0)), "toy", n_boot=0)
    assert trend.pretest.p_value < 0.05
    assert trend.pretest_power_slopes[0.5] < trend.pretest_power_slopes[0.8] < 1.0


def test_controls_by_year_counts():
    panel = pd.DataFrame({"community_id": np.repeat(list("abcd"), 3), "year": np.tile([2020, 2021, 2022], 4),
                          "first_treat": np.repeat([2021, 2022, 0, 0], 3)})
    out = controls_by_year(panel).set_index("year")
    assert out["treated"].tolist() == [0, 1, 2]
    assert out["not_yet_treated"].tolist() == [2, 1, 0]
    assert out["never_treated"].tolist() == [2, 2, 2]


def cell(panel: pd.DataFrame, cid: str, year: int) -> pd.Series:
    row = panel[(panel["community_id"] == cid) & (panel["year"] == year)]
    assert len(row) == 1, f"no single row for {cid} {year}"
    return row.iloc[0]


def test_definitions_are_the_generators(district):
    """truth.json states the generator's definition of each estimand; the panel must measure the same thing."""
    truth = json.loads((SYNTH / "truth.json").read_text(encoding="utf-8"))
    defs = {o: truth[f"impact.{o}.att"]["definition"] for o in OUTCOMES}
    assert "due (deadline_at) in the year" in defs["on_time_rate"]
    assert "events reported in the year" in defs["log_time_to_close"]
    assert "registered <= year end" in defs["volunteer_rate"]
    assert "per 1,000 residents" in defs["activities_per_1k"]
    assert "per 10,000 residents" in defs["real_estate_petitions_per_10k"]
    assert set(defs) == set(OUTCOMES)

    tb = district.tables
    e = tb["grid_events"]
    cid, year = "C05", 2022
    # on time: events due in the year, closed by the deadline (recount written from the definition's words)
    mine = e[(e["community_id"] == cid) & (e["deadline_at"].dt.year == year)]
    expected = float(((mine["closed_at"] <= mine["deadline_at"]) & mine["closed_at"].notna()).mean())
    assert cell(outcome_panel(tb, "on_time_rate"), cid, year)["y"] == pytest.approx(expected, rel=1e-12)
    # log time: events reported in the year and closed
    mine = e[(e["community_id"] == cid) & (e["reported_at"].dt.year == year) & e["closed_at"].notna()]
    expected = float(np.log((mine["closed_at"] - mine["reported_at"]).dt.total_seconds() / 3600).mean())
    assert cell(outcome_panel(tb, "log_time_to_close"), cid, year)["y"] == pytest.approx(expected, rel=1e-12)
    # satisfaction: respondents' mean of the index (weights are constant within a community and wave)
    s = tb["survey_responses"]
    items = ["q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust", "q_belonging",
             "q_grid_service", "q_service_station"]
    mine = s[(s["community_id"] == cid) & (s["wave"] == year)]
    expected = float((100 * (mine[items].astype(float).mean(axis=1) - 1) / 4).mean())
    assert cell(outcome_panel(tb, "satisfaction_index"), cid, year)["y"] == pytest.approx(expected, rel=1e-9)
    # activities per 1,000 residents of the same year
    pop = tb["population"].set_index(["community_id", "year"])["resident_pop"]
    n_act = int(((tb["activities"]["community_id"] == cid) & (tb["activities"]["date"].dt.year == year)).sum())
    assert cell(outcome_panel(tb, "activities_per_1k"), cid, year)["y"] == pytest.approx(
        1000 * n_act / pop[(cid, year)], rel=1e-12)


def test_bundled_panels_balanced_and_cohorts(district):
    cohorts = outcome_panel(district.tables, "satisfaction_index").drop_duplicates("community_id")["first_treat"]
    # the roll-out of the generator: 6, 12, 12, 9 and the last 4 in 2024, no never-treated community
    assert cohorts.value_counts().sort_index().to_dict() == {2020: 6, 2021: 12, 2022: 12, 2023: 9, 2024: 4}
    for o in OUTCOMES:
        p = outcome_panel(district.tables, o)
        per_year = p.groupby("year")["community_id"].nunique()
        assert (per_year == 43).all(), o
        assert p["year"].max() <= 2024
        assert p["y"].notna().all()
        pre = p[p["year"] < 2020]
        assert (pre["carried_share"] == 1).all() and (p.loc[p["year"] >= 2021, "carried_share"] == 0).all()
