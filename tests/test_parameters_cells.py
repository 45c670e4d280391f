"""Every notebook's ``parameters`` cell states the defaults of :class:`evaluation.params.RunParams`.

A notebook opened in JupyterLab, or run by nbval, uses its parameters cell as written; ``jinlin run`` injects
RunParams's values after it. If the two disagreed, the same notebook would show different figures in the two places.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import ROOT

from evaluation.params import RunParams
from evaluation.run.runner import RUNNER_PARAMETERS

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cell_defaults(source: str) -> dict[str, Any]:
    """``name = literal`` lines of a parameters cell as a dict; anything else in the cell is refused, because papermill
    could not override it and this test could not read it."""
    out = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"line {node.lineno}: a parameters cell holds only `name = literal` lines")
        out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def mismatches(declared: dict[str, Any]) -> list[str]:
    defaults = RunParams().model_dump()
    problems = []
    for name, value in declared.items():
        if name in RUNNER_PARAMETERS:  # set by the runner itself (prior_results), not a run parameter
            continue
        if name not in defaults:
            problems.append(f"{name}: not a field of RunParams")
        elif value != defaults[name] or type(value) is not type(defaults[name]):
            problems.append(f"{name} = {value!r}, RunParams's default is {defaults[name]!r}")
    return problems


def _parameters_cell(path: Path) -> str:
    cells = [c for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'"
    return cells[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell_defaults_are_runparams_defaults(path):
    declared = cell_defaults(_parameters_cell(path))
    assert {"data_dir", "language"} <= set(declared)
    problems = mismatches(declared)
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_check_catches_a_wrong_default_or_an_unknown_name():
    declared = cell_defaults('data_dir = "data/synthetic"\nconfidence = 0.9  # was 0.95\ndistance_m = 1000\n'
                             "level = 0.95\nprior_results = None\n")
    assert mismatches(declared) == ["confidence = 0.9, RunParams's default is 0.95",
                                    "distance_m = 1000, RunParams's default is 1000.0",
                                    "level: not a field of RunParams"]
    with pytest.raises(ValueError, match="line 2"):
        cell_defaults("report_year = 2024\nif True:\n    report_year = 2023\n")
