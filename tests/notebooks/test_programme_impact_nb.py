"""Notebook 40 (programme impact) run by papermill on the bundled district with small parameters; the recorded
figures are checked against the generator's truth.json and against the definitions of the record keys."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import reading_snapshot

from evaluation.impact.summary import decide
from evaluation.report.record import read_records

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "40_programme_impact.ipynb"
OUTCOMES = ["satisfaction_index", "on_time_rate"]
SYNTH_OUTCOMES = ["satisfaction_index", "on_time_rate"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory, bundled_snapshot) -> nbformat.NotebookNode:
    import papermill as pm

    out = tmp_path_factory.mktemp("nb40") / "40.ipynb"
    with reading_snapshot(bundled_snapshot):  # as `jinlin run` gives this notebook the district
        pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                            execution_timeout=600, cwd=str(ROOT),
                            parameters={"language": "en", "n_boot": 99, "outcomes": OUTCOMES, "seed": 7,
                                        "synth_outcomes": SYNTH_OUTCOMES})
    return nbformat.read(out, as_version=4)


@pytest.mark.notebook
def test_recorded_keys_and_truth_inside_ci(executed):
    rec = read_records([executed])
    truth = json.loads((ROOT / "data" / "synthetic" / "truth.json").read_text(encoding="utf-8"))
    for o in OUTCOMES:
        att = rec[f"impact.{o}.att"]
        assert set(att) == {"value", "se", "ci_low", "ci_high", "n"}
        assert att["n"] == 43
        assert att["ci_low"] < att["value"] < att["ci_high"]
        planted = truth[f"impact.{o}.att"]["value"]
        assert att["ci_low"] <= planted <= att["ci_high"]
        # the dynamic keys are the event times truth.json knows (identified through 2023: e0..e3)
        dyn = sorted(k for k in rec if k.startswith(f"impact.{o}.dynamic."))
        assert dyn == sorted(k for k in truth if k.startswith(f"impact.{o}.dynamic."))
        for k in ("twfe", "pretest_p", "breakdown_mbar", "conclusion", "p_value", "role"):
            assert f"impact.{o}.{k}" in rec
        assert 0 <= rec[f"impact.{o}.pretest_p"]["value"] <= 1
        assert 0 < rec[f"impact.{o}.pretest_p"]["mdt50"] < rec[f"impact.{o}.pretest_p"]["mdt80"]
        # the verdict follows from the recorded evidence by the documented rules (the pre-test is no input)
        p = rec[f"impact.{o}.p_value"]
        assert p["n_tests"] == len(OUTCOMES) and p["value"] <= p["p_holm"] <= 1
        bd = rec[f"impact.{o}.breakdown_mbar"]
        assert bd["method"].startswith("Rambachan-Roth") and bd["mbar"] == 1.0
        assert rec[f"impact.{o}.conclusion"]["value"] == decide(att["ci_low"], att["ci_high"], p["p_holm"], 0.95,
                                                                 bd["value"], 1.0)
        assert rec[f"impact.{o}.role"]["value"] == "primary"  # both are primary outcomes by default
    # the joint band across the two outcomes is wider than each one's own interval
    crit = rec["impact.joint_band.critical_value"]
    assert crit["n"] == len(OUTCOMES) and crit["value"] > 1.96
    for o in OUTCOMES:
        joint, att = rec[f"impact.{o}.att_joint"], rec[f"impact.{o}.att"]
        assert joint["ci_low"] < att["ci_low"] and att["ci_high"] < joint["ci_high"]
    # only the outcomes asked for
    assert not any(k.startswith("impact.volunteer_rate") for k in rec)


@pytest.mark.notebook
def test_english_text_truth_shown_and_no_raw_rows(executed):
    text = json.dumps(executed)
    assert "Programme impact" in text and "项目成效评估：" not in text
    assert "known only because the data are synthetic" in text
    assert "Synthetic data" in text
    assert "respondent_id" not in text  # no person-level rows are shown


@pytest.mark.notebook
def test_district_synthetic_control_section(executed):
    from evaluation.synthetic.comparison import DISTRICT_OUTCOMES

    rec = read_records([executed])
    truth = json.loads((ROOT / "data" / "synthetic" / "truth.json").read_text(encoding="utf-8"))
    for o in SYNTH_OUTCOMES:
        noise = DISTRICT_OUTCOMES[o][2]
        keys = sorted(k for k in truth if k.startswith(f"impact.district.{o}."))
        assert keys and all(k in rec for k in keys)           # every planted key is estimated
        # tolerances in noise SDs of the generator, as in tests/impact/test_district_scm.py
        for k in keys:
            tol = 3 * noise if k.endswith("att_post") else 4 * noise
            assert rec[k]["value"] == pytest.approx(truth[k]["value"], abs=tol), k
            assert rec[k]["n"] == 21
            # every gap carries an interval (inverted placebo test) and the planted truth is inside it
            assert rec[k]["ci_low"] < rec[k]["value"] < rec[k]["ci_high"], k
            assert rec[k]["ci_low"] <= truth[k]["value"] <= rec[k]["ci_high"], k
        assert 0 < rec[f"impact.district.{o}.p_value"]["value"] <= 1
        assert rec[f"impact.district.{o}.conclusion"]["value"] in ("stands_out", "not_distinguishable", "poor_fit")
        pv = rec[f"impact.district.{o}.p_value"]
        assert pv["value"] <= pv["p_holm"] <= 1 and 0 <= pv["n_smaller"] <= pv["n"] - 1
        # 21 districts and 2 outcomes: a Holm-adjusted p-value cannot go below 2/21 > 0.05, so at the run's 95 %
        # nothing can stand out, whatever the gap
        if rec[f"impact.district.{o}.conclusion"]["value"] != "poor_fit":
            assert rec[f"impact.district.{o}.conclusion"]["value"] == "not_distinguishable"
    assert rec["impact.district.on_time_rate.p_value"]["value"] <= 0.10
    assert not any(k.startswith("impact.district.real_estate") for k in rec)
    text = json.dumps(executed, ensure_ascii=False)
    assert "District-wide: synthetic control" in text and "大亚湾区" in text
    assert "Placebo test" in text and "placebo districts'" in text and "cannot go below 0.095" in text


@pytest.mark.notebook
def test_few_controls_flag_states_weight_and_att_without(executed):
    rec = read_records([executed])
    text = json.dumps(executed)
    for o in OUTCOMES:
        wo = rec[f"impact.{o}.att_without_few_controls"]
        # the 2023 cells are compared with 4 not-yet-treated communities only: a real share of the headline weight
        assert 0 < wo["weight_share"] < 1 and wo["threshold"] == 10
        assert wo["ci_low"] < wo["value"] < wo["ci_high"]
        assert f"{wo['weight_share']:.0%} of the overall effect's weight" in text
