"""Bad input, clearly refused: every case of the corpus gets its error (file, row, column, fix) and exit code 1, with
no traceback and before any notebook runs; what can be read safely is read."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, mini_tables, write_tables

from evaluation.data import read_district

from .cases import BAD, BAD_PARAMS, READ_OK, READ_OK_PARAMS


def _district(tmp_path, case):
    tables = mini_tables()
    case.breaks(tables)
    folder = write_tables(tmp_path / "d", tables)
    case.after_write(folder)
    return folder


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_bad_input_gets_its_error(tmp_path, case):
    district, problems = read_district(_district(tmp_path, case))
    assert district is None
    hits = [p for p in problems if p.rule == case.rule and p.severity == "error"]
    assert hits, f"expected {case.rule}, got {[(p.rule, p.file, p.row, p.column) for p in problems]}"
    p = hits[0]
    assert p.file == case.file
    if case.row is not None:
        assert p.row == case.row
    if case.column is not None:
        assert p.column == case.column
    assert p.fix and p.message
    if case.contains:
        assert case.contains in p.message + p.fix


@pytest.mark.parametrize("case", [BAD[0], BAD[3], BAD[7], BAD[10]], ids=lambda c: c.name)
def test_cli_refuses_with_exit_1_and_no_traceback(tmp_path, case):
    folder = _district(tmp_path, case)
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "validate", str(folder)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1
    assert case.file in r.stdout and "fix:" in r.stdout and "Traceback" not in r.stdout + r.stderr
    params = tmp_path / "p.yaml"
    params.write_text(f"data_dir: {folder}\n", encoding="utf-8")
    out = tmp_path / "reports"
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "run", "--params", str(params)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120, env={**__import__("os").environ, "JINLIN_ROOT": str(ROOT)})
    assert r.returncode == 1 and "Nothing was run" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("case", READ_OK, ids=lambda c: c.name)
def test_readable_inputs_are_read(tmp_path, case):
    district, problems = read_district(_district(tmp_path, case))
    assert district is not None, [p.render() for p in problems if p.severity == "error"]
    assert district["grid_events"]["status"].tolist() == ["closed", "closed", "open"]
    assert district["communities"]["name_zh"].iloc[0] == "老一社区"


@pytest.mark.parametrize("name", sorted(BAD_PARAMS))
def test_bad_parameter_files(tmp_path, name):
    text, expected = BAD_PARAMS[name]
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "run", "--params", str(p)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and expected in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", sorted(READ_OK_PARAMS))
def test_yaml_traps_are_read_as_written(tmp_path, name):
    from evaluation.params import load_params

    text, key, value = READ_OK_PARAMS[name]
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, encoding="utf-8")
    params, _ = load_params(p)
    assert getattr(params, key) == value
