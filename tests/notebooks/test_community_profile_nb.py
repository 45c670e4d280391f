"""Notebook 60 (community profile) run with papermill: its recorded figures against a recount from the raw files of
the bundled district (read with pandas directly, not through the loader), and on the tiny district, where the small
cells must come out withheld."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, mini_tables, write_tables
from scipy import stats

from evaluation.report.record import read_records

NOTEBOOK = ROOT / "notebooks" / "60_community_profile.ipynb"
BUNDLED = ROOT / "data" / "synthetic"
ITEMS = ["q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust", "q_belonging",
         "q_grid_service", "q_service_station"]


def _run(tmp_path: Path, parameters: dict) -> tuple[dict, str]:
    """Execute the notebook; return its records and the text of its outputs."""
    import papermill as pm

    out = tmp_path / "60.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", parameters=parameters, progress_bar=False,
                        execution_timeout=600, cwd=str(NOTEBOOK.parent))
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return read_records([nb]), json.dumps(outputs, ensure_ascii=False)


def test_parameters_cell_declares_community_id():
    import papermill as pm

    declared = pm.inspect_notebook(str(NOTEBOOK))
    assert "community_id" in declared and declared["community_id"]["default"] == "None"
    assert declared["data_dir"]["default"] == '"data/synthetic"'


@pytest.mark.notebook
def test_profile_of_one_bundled_community_matches_a_recount(tmp_path, bundled_snapshot):
    cid, year = "C05", 2024
    # on the snapshot, as `jinlin profiles` runs it; the recount below reads the raw files
    rec, text = _run(tmp_path, {"community_id": cid, "language": "en", "data_dir": str(bundled_snapshot)})
    assert rec["profile.community_id"]["value"] == cid
    ev = pd.read_parquet(BUNDLED / "grid_events.parquet")
    for c in ("reported_at", "deadline_at", "closed_at"):
        ev[c] = pd.to_datetime(ev[c])
    pop = pd.read_csv(BUNDLED / "population.csv")
    residents = float(pop.loc[(pop["community_id"] == cid) & (pop["year"] == year), "resident_pop"].iloc[0])
    mine = ev[ev["community_id"] == cid]
    x = int((mine["reported_at"].dt.year == year).sum())
    assert rec["profile.events_reported.count"]["value"] == x
    r = rec["profile.events_reported.per_10k"]
    assert r["value"] == pytest.approx(x / residents * 1e4, rel=1e-9) and r["n"] == x
    assert r["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 2 * x) / 2 / residents * 1e4, rel=1e-8)
    due = mine[mine["deadline_at"].dt.year == year]
    on_time = (due["status"] == "closed") & due["closed_at"].notna() & (due["closed_at"] <= due["deadline_at"])
    assert rec["profile.on_time_rate.share"]["value"] == pytest.approx(on_time.mean(), rel=1e-9)
    assert rec["profile.on_time_rate.share"]["n"] == len(due)
    # satisfaction index: 8/9 are "don't know / refused"; design-weighted mean over respondents with an answer
    s = pd.read_csv(BUNDLED / "survey_responses.csv")
    s = s[(s["wave"] == year) & (s["community_id"] == cid)]
    answers = s[ITEMS].where((s[ITEMS] >= 1) & (s[ITEMS] <= 5))
    index = 100 * (answers.mean(axis=1) - 1) / 4
    ok = index.notna()
    expected = float(np.average(index[ok], weights=s.loc[ok, "base_weight"]))
    sat = rec["profile.satisfaction_index.mean"]
    assert sat["value"] == pytest.approx(expected, rel=1e-9) and sat["n"] == int(ok.sum())
    assert sat["ci_low"] < sat["value"] < sat["ci_high"]
    pet = pd.read_csv(BUNDLED / "petitions.csv")
    n_pet = int(((pet["community_id"] == cid) & (pd.to_datetime(pet["received_date"]).dt.year == year)).sum())
    assert rec["profile.petitions.count"]["value"] == (n_pet if n_pet >= 5 else None)
    assert "Community profile" in text and "社区画像" not in text  # language switched every heading
    # ranks come with their confidence set (Mogstad et al. 2024), never bare
    for key in ("profile.events_reported.per_10k", "profile.on_time_rate.share"):
        r = rec[key]
        assert r["rank_low"] <= r["rank"] <= r["rank_high"] <= 43, key
    assert rec["profile.on_time_rate.share"]["rank_high"] > rec["profile.on_time_rate.share"]["rank_low"]
    assert "confidence set" in text and "communities as clusters" in text


@pytest.mark.notebook
def test_small_district_withholds_small_cells(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    rec, text = _run(tmp_path, {"data_dir": str(folder)})
    assert rec["profile.community_id"]["value"] == "C01"  # the first current community by default
    # one event and two respondents in C01: below min_cell, so nothing is published
    assert rec["profile.events_reported.count"]["value"] is None
    assert rec["profile.events_reported.per_10k"]["value"] is None
    assert rec["profile.satisfaction_index.mean"]["value"] is None
    assert "profile.petitions.count" not in rec  # no petitions table
    assert "社区画像" in text and "<5" in text
