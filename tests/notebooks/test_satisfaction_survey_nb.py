"""Notebook 20 (resident satisfaction survey) run with papermill on small generated districts.

The district is the generator's (seed 1) with stronger planted non-response than the bundled one (age 60+ and local
hukou respond more), so that the unweighted bias (about 3 index points) is far larger than the sampling error; only
the tables the notebook reads are kept, so the runs stay short. Expectations are independent of the notebook: the
generator's truth.json, and recounts from the CSV files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from evaluation.report.record import read_records

NOTEBOOK = ROOT / "notebooks" / "20_satisfaction_survey.ipynb"
KEEP = {"communities", "community_lineage", "population", "population_margins", "survey_responses"}
ITEMS = ["q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust", "q_belonging",
         "q_grid_service", "q_service_station"]

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def district_dir(tmp_path_factory) -> Path:
    from evaluation.synthetic import SynthConfig, generate_district, write_district

    cfg = SynthConfig().with_(nonresponse_coef={"intercept": -2.2, "age60p": 1.6, "local_hukou": 1.4,
                                                "renter": -0.4})
    folder = tmp_path_factory.mktemp("district")
    write_district(generate_district(1, cfg), folder)
    for p in folder.iterdir():
        if p.suffix in (".csv", ".parquet") and p.stem not in KEEP:
            p.unlink()
    return folder


def _run(tmp_path: Path, **parameters) -> tuple[dict, str]:
    import papermill as pm

    out = tmp_path / "20.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", parameters=parameters,
                        progress_bar=False, execution_timeout=600)
    nb = nbformat.read(out, as_version=4)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]  # the report, not the notes
    return read_records([nb]), json.dumps(shown, ensure_ascii=False)


def _wave(folder: Path, wave: int) -> pd.DataFrame:
    s = pd.read_csv(folder / "survey_responses.csv")
    s = s[s["wave"] == wave].copy()
    for c in ITEMS:
        s[c] = s[c].where(~s[c].isin([8, 9]))  # don't know / refused
    s["index"] = 100 * (s[ITEMS].mean(axis=1) - 1) / 4
    return s


def test_weighted_mean_recovers_the_truth(district_dir: Path, tmp_path: Path):
    rec, text = _run(tmp_path, data_dir=str(district_dir), survey_waves=[2022, 2023, 2024], n_boot=50)
    truth = json.loads((district_dir / "truth.json").read_text())["survey.satisfaction_index.mean"]["value"]
    m, u = rec["survey.satisfaction_index.mean"], rec["survey.satisfaction_index.unweighted"]
    assert m["ci_low"] <= truth <= m["ci_high"]
    assert abs(m["value"] - truth) < abs(u["value"] - truth)
    assert m["ci_high"] - m["ci_low"] == pytest.approx(2 * 1.959964 * m["se"], rel=1e-6)

    s = _wave(district_dir, 2024)
    assert u["value"] == pytest.approx(s["index"].mean(), rel=1e-9)  # the plain sample mean
    assert u["n"] == m["n"] == s["index"].notna().sum()
    assert rec["survey.satisfaction_index.mean_2024"]["value"] == m["value"]
    assert {"survey.satisfaction_index.mean_2022", "survey.satisfaction_index.mean_2023"} <= set(rec)
    assert "survey.satisfaction_index.mean_2021" not in rec  # survey_waves was honoured

    # Cronbach's alpha of the four perceptions from its definition, pairwise covariances as psych::alpha.
    c = s[ITEMS[:4]].cov().to_numpy()
    alpha = 4 / 3 * (1 - np.trace(c) / c.sum())
    assert rec["survey.reliability.alpha_4"]["value"] == pytest.approx(alpha, rel=1e-8)
    # Participation: the recorded n is the number answering; the share is a share.
    p = rec["survey.participation_rate"]
    assert p["n"] == s["q_participated_12m"].notna().sum() and 0 < p["ci_low"] < p["value"] < p["ci_high"] < 1
    # The generator makes migrants less satisfied (latent −0.30): the gap must be clearly negative.
    assert rec["survey.migrant_gap.index"]["ci_high"] < 0
    for item in ("committee", "infrastructure", "activities", "neighbours"):
        top2 = rec[f"survey.perception.{item}.top2"]
        assert 0 < top2["ci_low"] < top2["value"] < top2["ci_high"] < 1
    assert rec["survey.suppressed.cells"]["value"] == 0
    assert "居民满意度调查" in text and "总体真值" in text

    # "Keeps rising" is tested: the sentence shown is the one trend_verdict picks from the recorded tests.
    from evaluation.report.sections.survey import trend_claim
    from evaluation.survey.wave import trend_verdict

    tr = rec["survey.satisfaction_index.trend"]
    changes = pd.DataFrame([{"difference": rec[f"survey.satisfaction_index.change_{w}"]["value"],
                             "p_value": rec[f"survey.satisfaction_index.change_{w}"]["p_value"]} for w in (2023, 2024)])
    slope = pd.DataFrame([{"estimate": tr["value"], "p_value": tr["p_value"]}])
    assert tr["verdict"] == trend_verdict(changes, slope)
    assert tr["ci_low"] < tr["value"] < tr["ci_high"] and tr["df"] > 0
    sentence = trend_claim(tr["verdict"], 2022, 2024, tr["value"], tr["ci_low"], tr["ci_high"], tr["p_value"], 0.95,
                           "zh")
    assert sentence in text
    # Differences of independent waves: SE² adds up.
    m22, m23 = rec["survey.satisfaction_index.mean_2022"], rec["survey.satisfaction_index.mean_2023"]
    c23 = rec["survey.satisfaction_index.change_2023"]
    assert c23["value"] == pytest.approx(m23["value"] - m22["value"], rel=1e-8)
    assert c23["se"] == pytest.approx(np.hypot(m22["se"], m23["se"]), rel=1e-8)
    g = rec["survey.weighting.g_max"]
    assert 0 < g["g_min"] <= g["value"]


def test_design_weights_only_in_english(district_dir: Path, tmp_path: Path):
    rec, text = _run(tmp_path, data_dir=str(district_dir), survey_waves=[2024], weighting="none", language="en",
                     n_boot=0)
    s = _wave(district_dir, 2024).dropna(subset=["index"])
    expected = np.sum(s["base_weight"] * s["index"]) / s["base_weight"].sum()  # Hájek mean with design weights
    assert rec["survey.satisfaction_index.mean"]["value"] == pytest.approx(expected, rel=1e-9)
    assert "Resident satisfaction survey" in text and "居民满意度调查" not in text
    assert "survey.migrant_gap.index" in rec and "survey.recommendation_score" in rec


def test_small_cells_are_withheld(district_dir: Path, tmp_path: Path):
    folder = tmp_path / "tiny"
    shutil.copytree(district_dir, folder)
    s = pd.read_csv(folder / "survey_responses.csv")
    tiny = ((s["community_id"] == "C01") & (s["wave"] == 2024)) | ((s["community_id"] == "C02") & (s["wave"] == 2023))
    keep = ~tiny | (s.groupby(["community_id", "wave"]).cumcount() < 3)
    s[keep].to_csv(folder / "survey_responses.csv", index=False)
    rec, text = _run(tmp_path, data_dir=str(folder), survey_waves=[2023, 2024], min_cell=5, n_boot=20)
    # C01 in the report-year community table and in the community × wave table, C02 in the latter.
    assert rec["survey.suppressed.cells"]["value"] == 3
    assert "<5" in text


@pytest.mark.notebook
def test_a_district_without_a_survey_shows_the_notice(tmp_path: Path):
    """Issue 17: with communities.csv alone, validate passes, and the notebook stopped with NameError: items."""
    from conftest import mini_tables, write_tables

    folder = write_tables(tmp_path / "d", {"communities": mini_tables()["communities"]})
    rec, text = _run(tmp_path, data_dir=str(folder))
    assert "survey.satisfaction_index.mean" not in rec or rec["survey.satisfaction_index.mean"]["value"] is None
    assert "NameError" not in text
