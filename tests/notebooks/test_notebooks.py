"""Every notebook: one parameters cell whose names the run parameters know, and a papermill run on small data whose
recorded values are checked. (nbval runs each notebook with its defaults: see pyproject's pytest options.)"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, mini_tables, write_tables

from evaluation.params import NOTEBOOK_ORDER, PROFILE_NOTEBOOK, RunParams
from evaluation.report.record import read_records
from evaluation.run.runner import RUNNER_PARAMETERS, notebook_parameters

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_is_in_the_run_order():
    assert sorted(p.stem for p in NOTEBOOKS if p.stem != PROFILE_NOTEBOOK) == sorted(NOTEBOOK_ORDER)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_with_known_names(path: Path):
    declared = notebook_parameters(path)
    unknown = set(declared) - set(RunParams.model_fields) - set(RUNNER_PARAMETERS)
    assert not unknown, f"{path.name} declares parameters the run does not know: {unknown}"
    assert {"data_dir", "language"} <= set(declared)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.notebook
def test_data_quality_on_small_district(tmp_path: Path):
    import papermill as pm

    folder = write_tables(tmp_path / "d", mini_tables())
    out = tmp_path / "00.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "00_data_quality.ipynb"), str(out), kernel_name="python3",
                        parameters={"data_dir": str(folder), "language": "en", "survey_planned_n": 3},
                        progress_bar=False, execution_timeout=300)
    rec = read_records([nbformat.read(out, as_version=4)])
    assert rec["data.rows.grid_events"]["value"] == 3
    assert rec["data.communities.current"]["value"] == 3
    assert rec["data.lineage.from_communities"]["value"] == 2
    assert rec["data.lineage.to_communities"]["value"] == 3
    assert rec["data.survey.respondents"]["value"] == 6
    assert rec["data.survey.completion_median"]["value"] == pytest.approx(2 / 3)
    assert rec["data.survey.missing_codes_recoded"]["value"] == 2
    text = json.dumps(nbformat.read(out, as_version=4))
    assert "Data quality" in text and "数据质量报告" not in text  # the language parameter switched the text
