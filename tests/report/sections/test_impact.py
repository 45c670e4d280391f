"""Notebook 40's page (evaluation.report.sections.impact) on the bundled district: what each part shows and records."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.config import SYNTHETIC_DIR  # noqa: E402
from evaluation.impact.district_scm import district_synthetic_controls  # noqa: E402
from evaluation.impact.summary import impact_summaries  # noqa: E402
from evaluation.params import RunParams  # noqa: E402
from evaluation.report.sections import impact as page  # noqa: E402
from evaluation.text.i18n import columns, t  # noqa: E402
from evaluation.text.numbers import three_sig  # noqa: E402

OUTCOMES = ["on_time_rate", "satisfaction_index"]


@pytest.fixture(scope="module")
def district(bundled_district):
    return bundled_district


@pytest.fixture(scope="module")
def truth(district):
    return page.planted_truth(str(SYNTHETIC_DIR), district)


@pytest.fixture(scope="module")
def run(district):
    return impact_summaries(district.tables, OUTCOMES, report_year=2024, n_boot=49, seed=7)


@pytest.fixture(scope="module")
def scm(district):
    panel = district.tables["district_panel"]
    results, p_holm = district_synthetic_controls(panel, ["on_time_rate"], seed=7)
    return panel, results, p_holm


def _texts(parts) -> list[str]:
    return [p.data for p in parts if hasattr(p, "data") and isinstance(p.data, str)]


def test_truth_and_planted_values(district, truth):
    assert "impact.on_time_rate.att" in truth
    eff = page.planted_effects(truth, "on_time_rate")
    assert eff["overall"] == truth["impact.on_time_rate.att"]["value"] and 0 in eff.index
    assert page.planted_effects({}, "on_time_rate").empty
    gaps = page.planted_gaps(truth, "on_time_rate")
    assert list(gaps.index) == sorted(gaps.index) and len(gaps) > 0
    assert page.planted_truth(str(SYNTHETIC_DIR), type("Real", (), {"synthetic": False})()) == {}


def test_opening_and_design(district, run):
    params = RunParams(language="en", covariates=None, n_boot=49)
    texts = _texts(page.opening(params, district, "en"))
    assert texts[0] == t("impact.title", "en") and "Synthetic data" in texts[1]
    assert "49 bootstrap draws" in texts[3] and "covariates none" in texts[3]
    parts = page.design(run[0], 0, "en")
    assert _texts(parts)[0] == t("impact.design", "en")
    table = next(p for p in parts if isinstance(p, pd.io.formats.style.Styler))
    names = columns(["impact_year", "impact_treated", "impact_not_yet", "impact_never"], "en")
    assert list(table.data.columns) == list(names.values())
    assert page.design({}, 0, "en") == []


def test_overview_table_and_joint_records(run, truth):
    summaries, crit = run
    parts = page.overview(summaries, truth, crit, 0.95, None, "en")
    table = next(p for p in parts if isinstance(p, pd.io.formats.style.Styler)).data
    assert len(table) == 2 and table.shape[1] == 11  # with the truth and the joint band columns
    s = summaries["on_time_rate"]
    ref = max(abs(s.att), abs(s.ci_low), abs(s.ci_high))
    assert table.iloc[0, 1] == three_sig(s.att, ref, 100)  # a share's effect in percentage points
    assert table.iloc[0, 0] == t("impact.outcome.on_time_rate", "en") + t("impact.unit.pp", "en")
    assert table.iloc[1, 0] == t("impact.outcome.satisfaction_index", "en")
    assert "critical value" in _texts(parts)[-1] and f"{crit:.2f}" in _texts(parts)[-1]
    rec = page.joint_records(summaries, crit)
    assert rec["impact.joint_band.critical_value"] == {"value": crit, "n": 2}
    j = rec["impact.on_time_rate.att_joint"]
    assert j["ci_low"] < s.ci_low and s.ci_high < j["ci_high"]
    assert page.joint_records(summaries, None) == {}
    # without truth and joint band, those columns go
    narrow = next(p for p in page.overview(summaries, {}, None, 0.95, ["on_time_rate"], "en")
                  if isinstance(p, pd.io.formats.style.Styler)).data
    assert narrow.shape[1] == 9


def test_one_outcome_section(run, truth):
    summaries, _ = run
    s = summaries["on_time_rate"]
    intro = _texts(page.outcome_intro("on_time_rate", s, "en"))
    assert intro[0] == "## " + t("impact.outcome.on_time_rate", "en") and len(intro) == 3  # with the pp note
    fig = page.event_study_figure("on_time_rate", s, truth, "en")
    assert isinstance(fig, Figure) and fig.axes[0].get_ylabel() == t("impact.axis.effect_pp", "en")
    lines = _texts(page.effect_lines("on_time_rate", s, truth, 0.95, "en"))
    assert len(lines) == 4 and "synthetic" in lines[2]  # the truth line
    assert len(page.effect_lines("on_time_rate", s, {}, 0.95, "en")) == 3
    bacon = page.bacon_parts("on_time_rate", s, "en")
    assert "%" in _texts(bacon)[0] and len(bacon) == 2
    checks = _texts(page.checks("on_time_rate", s, 0.95, "en"))
    assert len(checks) == 2 and f"{s.pretest.p_value:.3f}" in checks[0]
    ref = max(abs(s.att), abs(s.ci_low), abs(s.ci_high))
    verdict = page.conclusion("on_time_rate", s, "notyet", 0.95, "en").data
    assert verdict.startswith(t("impact.conclusion_heading", "en"))
    assert three_sig(abs(s.att), ref, 100) + t("impact.unit.pp_word", "en") in verdict
    # the event study's points are the post-period estimates the outcome records
    dyn = {k for k in s.records("impact.on_time_rate") if ".dynamic.e" in k}
    cs = [line for line in fig.axes[0].get_lines() if line.get_label() == t("impact.legend.cs", "en")][0]
    assert len(dyn) == sum(1 for x in cs.get_xdata() if x >= 0)


def test_secondary_and_not_identified(run):
    from dataclasses import replace

    s = run[0]["satisfaction_index"]
    assert page.conclusion("satisfaction_index", replace(s, primary=False), "notyet", 0.95, "en").data.startswith(
        t("impact.conclusion_heading", "en") + t("impact.exploratory", "en"))
    gone = replace(s, conclusion="not_identified")
    intro = _texts(page.outcome_intro("satisfaction_index", gone, "en"))
    assert len(intro) == 3 and intro[-1].endswith(t("impact.conclusion.not_identified", "en"))


def test_synthetic_control_section(scm, truth):
    panel, results, p_holm = scm
    r = results["on_time_rate"]
    assert page.scm_opening({}, None, "en") == []
    opening = _texts(page.scm_opening(results, panel, "en"))
    assert len(opening) == 2 and str(r.treatment_year) in opening[1]
    parts = page.scm_parts("on_time_rate", r, panel, p_holm["on_time_rate"], 1, truth, 0.95, "en")
    figs = [p for p in parts if isinstance(p, Figure)]
    assert len(figs) == 1 and len(figs[0].axes) == 2
    texts = _texts(parts)
    assert texts[-1].startswith(t("impact.conclusion_heading", "en")) and len(texts) == 8
    code = r.conclusion(0.95, p_value=p_holm["on_time_rate"])
    lead = t(f"impact.scm.conclusion.{code}", "en").split("{")[0]  # the verdict's words up to its first figure
    assert texts[-1].startswith(t("impact.conclusion_heading", "en") + lead)


def test_p_values_and_limits_beside_excludes_zero_never_read_zero(run):
    from dataclasses import replace

    s = run[0]["on_time_rate"]
    # the bundled district's participation effect: lower limit 0.04 percentage points, Holm p 0.097
    weak = replace(s, conclusion="not_after_adjustment", att=0.0581, ci_low=0.000399, ci_high=0.1158,
                   p_adjusted=0.0967, primary=True)
    text = page.conclusion("on_time_rate", weak, "notyet", 0.95, "en").data
    assert "(0.0399 to 11.6) excludes 0" in text and "(Holm) p = 0.097" in text
    zh = page.conclusion("on_time_rate", weak, "notyet", 0.95, "zh").data
    assert "（0.0399 至 11.6）不含 0" in zh and "Holm p = 0.097" in zh
    clear = page.conclusion("on_time_rate", replace(s, conclusion="clear", p_adjusted=4.6e-7), "notyet", 0.95,
                            "zh").data
    assert "Holm p &lt; 0.001" in clear and "0.000" not in clear
    checks = _texts(page.checks("on_time_rate", replace(s, pretest=replace(s.pretest, p_value=1e-6)), 0.95, "en"))
    assert "p &lt; 0.001" in checks[0] and "p = " not in checks[0]
    # the chapter's own effect line: the limit beside the conclusion's "excludes 0" does not read 0 either
    line = _texts(page.effect_lines("on_time_rate", weak, {}, 0.95, "en"))[1]
    assert "0.0399" in line and " 0.0 " not in line


def test_a_clear_effect_on_an_exploratory_outcome_is_a_lead_not_an_effect_of_the_model(run):
    """verdict_wording: only a pre-specified outcome's clear effect is attributed to the model, in the chapter's
    sentence and in the overview table's short verdict; an exploratory one is a lead to confirm on new data."""
    from dataclasses import replace

    s = replace(run[0]["on_time_rate"], conclusion="clear", p_adjusted=1e-6)
    for lang, cause in (("en", "Under that condition the change can be attributed"), ("zh", "在这一条件下，这一变化可以归因")):
        primary = page.conclusion("on_time_rate", replace(s, primary=True), "notyet", 0.95, lang).data
        lead = page.conclusion("on_time_rate", replace(s, primary=False), "notyet", 0.95, lang).data
        assert cause in primary and cause not in lead
        assert ("not a change that can be attributed" if lang == "en" else "不能据此把这一变化归因") in lead
        assert ("lead to confirm" if lang == "en" else "有待用新数据验证的线索") in lead
    table = next(p for p in page.overview({"on_time_rate": replace(s, primary=False)}, {}, None, 0.95,
                                          ["on_time_rate"], "en")
                 if isinstance(p, pd.io.formats.style.Styler)).data
    assert list(table[columns(["impact_conclusion"], "en")["impact_conclusion"]]) == \
        [t("impact.conclusion_short.clear_exploratory", "en")]


def test_catalogue_texts_inside_texts_are_escaped_once(run, scm, truth, monkeypatch):
    from evaluation.text.i18n import CATALOGUE

    monkeypatch.setitem(CATALOGUE, "impact.outcome.on_time_rate", {"zh": "按期 <办结> & 率", "en": "on-time <closure> & rate"})
    once = "on-time &lt;closure&gt; &amp; rate"
    s = run[0]["on_time_rate"]
    texts = _texts(page.outcome_intro("on_time_rate", s, "en")) + [
        page.conclusion("on_time_rate", s, "notyet", 0.95, "en").data]
    texts += _texts(page.overview(run[0], truth, None, 0.95, ["on_time_rate"], "en"))
    panel, results, p_holm = scm
    texts += _texts(page.scm_parts("on_time_rate", results["on_time_rate"], panel, p_holm["on_time_rate"], 1, truth,
                                   0.95, "en"))
    joined = "\n".join(texts)
    assert once in texts[0] and once in texts[-1]
    assert "&amp;amp;" not in joined and "&amp;lt;" not in joined
    table = next(p for p in page.overview(run[0], truth, None, 0.95, None, "en")
                 if isinstance(p, pd.io.formats.style.Styler))
    assert "on-time &lt;closure&gt; &amp; rate" in table.to_html() and "&amp;amp;" not in table.to_html()


def test_overview_interval_cells_never_read_0_for_a_limit_that_is_not(run):
    """The table beside "(0.0399 to 11.6) excludes 0" must not print that interval as "0.0 – 11.6"."""
    import dataclasses

    summaries, _ = run
    s = summaries["on_time_rate"]
    tiny = {**summaries, "on_time_rate": dataclasses.replace(s, ci_low=0.000399, ci_high=0.116)}
    table = next(p for p in page.overview(tiny, {}, None, 0.95, None, "en")
                 if isinstance(p, pd.io.formats.style.Styler)).data
    cell = table.iloc[0, 2]
    assert cell.startswith("0.0399 – ") and not cell.startswith("0.0 ")


def test_a_synthetic_control_interval_that_excludes_0_beside_a_chance_verdict_is_explained(scm, truth, monkeypatch):
    """The gap's interval inverts the placebo test for one outcome and one year; the verdict uses the RMSPE-ratio
    test adjusted across outcomes. When they disagree the text says which to go by, and only then."""
    panel, results, _ = scm
    r = results["on_time_rate"]
    phrase = t("impact.scm.interval_vs_test", "en", m=3).split("{")[0][:60]
    real = type(r).intervals

    def text(p_adj: float, clear_of_0: bool) -> tuple[str, str]:
        def intervals(self, confidence):
            ci = real(self, confidence)
            if clear_of_0:  # the interval of the average gap wholly above 0, as on the bundled satisfaction gap
                at = ci["term"] == "att_post"
                ci.loc[at, "ci_low"], ci.loc[at, "ci_high"] = 0.002, 0.1
            return ci
        monkeypatch.setattr(type(r), "intervals", intervals)
        parts = _texts(page.scm_parts("on_time_rate", r, panel, p_adj, 3, truth, 0.95, "en"))
        return r.conclusion(0.95, p_value=p_adj), parts[-1]

    code, chance = text(0.9, True)
    assert code == "not_distinguishable" and phrase in chance
    assert phrase not in text(0.9, False)[1]  # the bundled on-time gap's intervals include 0: nothing to explain
    code, other = text(0.001, True)
    assert code != "not_distinguishable" and phrase not in other
