"""The command line: readable help, exit codes, and no traceback on bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

from conftest import ROOT, mini_tables, write_tables

from evaluation.cli import main


def _jinlin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluation.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_help_lists_commands():
    r = _jinlin("--help")
    assert r.returncode == 0
    for cmd in ("validate", "generate", "run", "audit", "profiles", "rerun", "diff", "sweep", "docx", "dictionary"):
        assert cmd in r.stdout
    assert "examples:" in r.stdout


def test_validate_clean_folder(mini_district, capsys):
    assert main(["validate", str(mini_district)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_bad_folder_exit_1_without_traceback(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[1, "closed_at"] = "2024-01-01 00:00:00"
    folder = write_tables(tmp_path / "d", t)
    r = _jinlin("validate", str(folder))
    assert r.returncode == 1
    assert "grid_events.csv, row 3, column closed_at" in r.stdout and "fix:" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_run_with_bad_parameters_exit_1(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("language: NO\n")
    r = _jinlin("run", "--params", str(p))
    assert r.returncode == 1 and "language" in r.stderr and "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("language: NO\n")
    r = _jinlin("run", "--params", str(p), "--debug")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_generate_writes_the_bundled_district_again(tmp_path):
    r = _jinlin("generate", str(tmp_path / "g"), "--seed", "20241231")
    assert r.returncode == 0 and "synthetic district" in r.stdout
    for name in ("petitions.csv", "truth.json", "dataset.yaml"):
        assert (tmp_path / "g" / name).read_bytes() == (ROOT / "data" / "synthetic" / name).read_bytes()


def test_plain_papermill_with_the_default_parameter_file(tmp_path):
    """Notebooks run under plain papermill with params/default.yaml, outside jinlin."""
    papermill = Path(sys.executable).parent / "papermill"
    out = tmp_path / "00.ipynb"
    r = subprocess.run([str(papermill), "notebooks/00_data_quality.ipynb", str(out), "-f", "params/default.yaml",
                        "-k", "python3", "--no-progress-bar"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "data.rows.grid_events" in out.read_text(encoding="utf-8")
