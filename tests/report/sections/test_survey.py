"""Notebook 20's sections (evaluation.report.sections.survey) on the bundled district, two waves to stay quick.

Expectations come from the survey engine's own results (recomputed here) or from definitions, not from the module
under test: the records are what the notebook published before its logic moved here (results.json unchanged).
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import ROOT, mini_tables, write_tables  # noqa: E402
from IPython.display import Markdown  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.data import load_district  # noqa: E402
from evaluation.params import RunParams  # noqa: E402
from evaluation.report.sections import survey as page  # noqa: E402
from evaluation.survey import trend_verdict, wave_differences, weighted_design, weighting_summary  # noqa: E402
from evaluation.text.i18n import t  # noqa: E402
from evaluation.text.numbers import p_text  # noqa: E402

BUNDLED = ROOT / "data" / "synthetic"
SECTIONS = [page.design, page.index, page.truth, page.perceptions, page.communities, page.migrant_gap,
            page.participation, page.reliability_scales, page.drivers, page.ipa, page.caveats]


@pytest.fixture(scope="module")
def district(bundled_district):
    return bundled_district


@pytest.fixture(scope="module")
def params() -> RunParams:
    return RunParams(data_dir=str(BUNDLED), survey_waves=[2023, 2024], n_boot=20)


@pytest.fixture(scope="module")
def s(district, params):
    return page.prepare(district, params)


def _texts(section: page.Section) -> list[str]:
    return [o.data for o in section.outputs if isinstance(o, Markdown)]


def test_prepare_selects_the_run_waves_and_this_year(s):
    assert s.waves == [2023, 2024] and s.wave_now == 2024
    assert set(s.designs) == {2023, 2024} and s.base_now.weighting == "none"
    assert s.perceptions == page.PERCEPTIONS and len(s.items) == 8
    assert set(s.whole["wave"]) == {2023, 2024} and s.truth  # the generator's truth.json is beside the data


def test_without_a_survey_every_section_is_empty_and_the_intro_says_so(tmp_path):
    folder = write_tables(tmp_path / "d", {"communities": mini_tables()["communities"]})
    p = RunParams(data_dir=str(folder))
    assert page.prepare(load_district(folder), p) is None
    assert all(f(None) == page.Section([], {}) for f in SECTIONS)
    assert _texts(page.intro(None, p))[-1] == t("survey.no_survey", "zh")


def test_no_selected_wave_is_no_survey(district):
    assert page.prepare(district, RunParams(data_dir=str(BUNDLED), survey_waves=[1999])) is None


def test_intro_names_an_earlier_wave_when_the_report_year_has_none(district, s):
    later = RunParams(data_dir=str(BUNDLED), report_year=2026, survey_waves=[2024], language="en", n_boot=0)
    texts = _texts(page.intro(page.prepare(district, later), later))
    assert texts[0].startswith(t("survey.intro", "en")) and "2026" in texts[0]
    assert texts[1] == t("survey.report_wave", "en", year=2026, wave=2024)
    assert len(_texts(page.intro(s, s.params))) == 1  # the report year has its wave: no notice


def test_design_records_this_year_of_the_weighting_summary(s):
    section = page.design(s)
    summary = weighting_summary([s.designs[w] for w in s.waves]).set_index("wave").loc[2024]
    assert section.records == {"survey.design.deff": {"value": summary["deff"]},
                               "survey.weighting.effect": {"value": summary["deff_weighting"]},
                               "survey.weighting.g_max": {"value": summary["g_max"], "g_min": summary["g_min"]}}
    assert _texts(section)[0] == t("survey.design_head", "zh")
    table = section.outputs[2].data
    assert list(table[t("survey.col.wave", "zh")]) == [2023, 2024]


def test_index_records_the_mean_the_trend_and_the_changes(s):
    section = page.index(s)
    rec = section.records
    m23, m24 = rec["survey.satisfaction_index.mean_2023"], rec["survey.satisfaction_index.mean_2024"]
    assert rec["survey.satisfaction_index.mean"] == m24 and m24["ci_low"] < m24["value"] < m24["ci_high"]
    assert m24["n"] == int(s.now.design.data["satisfaction_index"].notna().sum())
    change = rec["survey.satisfaction_index.change_2024"]
    assert change["value"] == pytest.approx(m24["value"] - m23["value"], rel=1e-8)
    assert change["se"] == pytest.approx(np.hypot(m23["se"], m24["se"]), rel=1e-8)
    expected = wave_differences([s.designs[w] for w in s.waves]).iloc[0]
    assert change["p_value"] == pytest.approx(expected["p_value"])
    trend = rec["survey.satisfaction_index.trend"]
    slope = pd.DataFrame([{"estimate": trend["value"], "p_value": trend["p_value"]}])
    assert trend["verdict"] == trend_verdict(pd.DataFrame([{"difference": change["value"],
                                                            "p_value": change["p_value"]}]), slope)
    assert t(f"survey.trend_claim.{trend['verdict']}", "zh", first=2023, last=2024, slope=trend["value"],
             lo=f"{trend['ci_low']:+.1f}", hi=f"{trend['ci_high']:+.1f}", level=0.95,
             p=p_text(trend["p_value"])) in _texts(section)
    # The unweighted mean is the plain sample mean of the wave's respondents.
    plain = s.base_now.design.data["satisfaction_index"].mean()
    assert rec["survey.satisfaction_index.unweighted"]["value"] == pytest.approx(plain, rel=1e-9)
    fig = section.outputs[-1]
    assert isinstance(fig, Figure) and fig.axes[0].get_title() == t("survey.fig.trend", "zh", level=0.95)


def test_a_single_wave_says_so_and_records_no_trend(district):
    p = RunParams(data_dir=str(BUNDLED), survey_waves=[2024], n_boot=0)
    section = page.index(page.prepare(district, p))
    assert t("survey.trend_claim.single_wave", "zh") in _texts(section)
    assert "survey.satisfaction_index.trend" not in section.records


def test_truth_beside_the_three_estimators_only_for_its_wave(s, district):
    section = page.truth(s)
    true_value = float(s.truth["survey.satisfaction_index.mean"]["value"])
    table = section.outputs[2].data
    assert list(table[t("survey.col.estimator", "zh")]) == [t(f"survey.est.{e}", "zh") for e in
                                                              ("weighted", "design", "unweighted", "truth")]
    assert table[t("survey.col.estimate", "zh")].iloc[3] == true_value
    weighted = page.index(s).records["survey.satisfaction_index.mean"]
    covered = weighted["ci_low"] <= true_value <= weighted["ci_high"]
    assert _texts(section)[-1].startswith(t("survey.truth_covered" if covered else "survey.truth_not_covered", "zh"))
    ax = section.outputs[-1].axes[0]
    assert [x.get_text() for x in ax.get_yticklabels()][-1] == t("survey.est.weighted", "zh")  # first row on top
    earlier = RunParams(data_dir=str(BUNDLED), report_year=2023, survey_waves=[2023], n_boot=0)
    assert page.truth(page.prepare(district, earlier)) == page.Section([], {})


def test_perceptions_record_mean_and_top2_of_each(s):
    rec = page.perceptions(s).records
    assert set(rec) == {f"survey.perception.{i.removeprefix('q_')}.{k}" for i in page.PERCEPTIONS
                        for k in ("mean", "top2")}
    for item in page.PERCEPTIONS:
        answers = s.now.design.data[item].dropna()
        top2 = rec[f"survey.perception.{item.removeprefix('q_')}.top2"]
        assert top2["n"] == len(answers) and 0 < top2["ci_low"] < top2["value"] < top2["ci_high"] < 1


def test_communities_withhold_and_count_small_cells(s, district):
    assert page.communities(s).records == {"survey.suppressed.cells": {"value": 0}}
    strict = RunParams(data_dir=str(BUNDLED), survey_waves=[2023, 2024], min_cell=1000, n_boot=0)
    section = page.communities(page.prepare(district, strict))
    current = district["communities"]["valid_to"].isna().sum()
    n_2024 = s.estimates.query("community_id != 'district' and wave == 2024")["community_id"].nunique()
    # Every community cell of this year's table and of the community × wave table is withheld.
    assert section.records["survey.suppressed.cells"]["value"] == n_2024 + 2 * current
    assert _texts(section)[-1] == t("survey.suppressed_count", "zh", n=n_2024 + 2 * current, min_cell=1000)


def test_migrant_gap_of_this_year_is_the_wave_record(s):
    rec = page.migrant_gap(s).records
    assert rec["survey.migrant_gap.index"] == rec["survey.migrant_gap.index_2024"]
    data = s.now.design.data
    assert rec["survey.migrant_gap.index"]["n"] == int(data["hukou"].isin(["local", "migrant"]).sum())
    assert rec["survey.migrant_gap.index"]["ci_high"] < 0  # the generator makes migrants less satisfied


def test_participation_shares_and_the_recommendation_score(s):
    rec = page.participation(s).records
    assert set(rec) == {"survey.participation_rate", "survey.volunteer_rate_12m", "survey.recommendation_score"}
    share = rec["survey.participation_rate"]
    assert share["n"] == int(s.now.design.data["q_participated_12m"].notna().sum())
    assert 0 < share["ci_low"] < share["value"] < share["ci_high"] < 1
    assert -100 <= rec["survey.recommendation_score"]["value"] <= 100


def test_reliability_alpha_from_its_definition(s):
    rec = page.reliability_scales(s).records
    c = s.base_now.design.data[page.PERCEPTIONS].astype(float).cov().to_numpy()
    assert rec["survey.reliability.alpha_4"]["value"] == pytest.approx(4 / 3 * (1 - np.trace(c) / c.sum()), rel=1e-8)
    assert set(rec) == {f"survey.reliability.{m}_{k}" for m in ("alpha", "omega") for k in ("4", "8")}


def test_drivers_odds_ratios_on_a_log_axis(s):
    section = page.drivers(s)
    table = section.outputs[2].data
    ratios = table[t("survey.col.odds_ratio", "zh")]
    assert len(ratios) == 8 and (ratios > 0).all()
    ax = section.outputs[-1].axes[0]
    assert ax.get_xscale() == "log"
    assert list(ax.lines[0].get_xdata()) == sorted(ratios)  # smallest at the bottom


def test_drivers_skipped_when_answers_are_too_few(s):
    responses = s.responses[s.responses["wave"] == 2024].head(60)  # 60 answers < 20 × (8 items + 9 cut points)
    few = replace(s, designs={2024: weighted_design(responses, None, 2024, "none", [])})
    assert _texts(page.drivers(few)) == [t("survey.drivers_head", "zh"), t("survey.drivers_skipped", "zh")]


def test_ipa_without_bootstrap_drops_the_stability_column(s, district):
    with_boot = page.ipa(s).outputs[2].data
    assert t("survey.col.stability", "zh") in with_boot.columns
    p = RunParams(data_dir=str(BUNDLED), survey_waves=[2024], n_boot=0, language="en")
    section = page.ipa(page.prepare(district, p))
    assert t("survey.col.stability", "en") not in section.outputs[2].data.columns
    assert _texts(section)[1].endswith(t("survey.ipa_no_bootstrap", "en"))
    assert {a.get_text() for a in section.outputs[-1].axes[0].texts} == {t(f"survey.item.{i}", "en")
                                                                        for i in s.items}


def test_caveats(s):
    assert _texts(page.caveats(s)) == [t("survey.caveats_head", "zh"), t("survey.caveats", "zh")]


def test_no_figure_is_left_open_for_the_inline_backend(s):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    page.perceptions(s)
    assert plt.get_fignums() == before


def test_a_catalogue_text_inside_another_is_escaped_once(s, monkeypatch):
    # the calibration margins are listed inside the method text, which goes inside the design text: each value is
    # escaped for Markdown once, where the text is shown, not again at every level
    from evaluation.text.i18n import CATALOGUE

    for d in ("sex", "age_group", "hukou"):
        monkeypatch.setitem(CATALOGUE, f"survey.dim.{d}", {"zh": "性别 & <年龄>", "en": "sex & <age>"})
    texts = "\n".join(_texts(page.design(s)))
    assert "性别 &amp; &lt;年龄&gt;" in texts and "&amp;amp;" not in texts and "&amp;lt;" not in texts
