"""setup(globals()): one line builds the run's parameters from the parameters cell, loads the district and opens the
page."""

from __future__ import annotations

import pytest
from conftest import ROOT

from evaluation.errors import ParameterError
from evaluation.report.notebook import run_params, setup


def test_run_params_reads_only_runparams_fields():
    ns = {"report_year": 2023, "language": "en", "min_cell": 7, "In": [], "plt": object(), "prior_results": None}
    p = run_params(ns)
    assert (p.report_year, p.language, p.min_cell) == (2023, "en", 7)
    assert p.confidence == 0.95  # not in the namespace: the default


def test_run_params_refuses_a_bad_value_as_the_cli_would():
    with pytest.raises((ParameterError, ValueError)):
        run_params({"confidence": 1.5})


def test_setup_loads_the_district_and_shows_title_and_notice(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    ns = {"data_dir": str(ROOT / "data" / "synthetic"), "language": "en"}
    P, district, L = setup(ns, "dq.title", tables=["communities"])
    assert L == "en" and P.data_dir == ns["data_dir"]
    assert list(district.tables) == ["communities"]
    assert len(shown) == 2 and "synthetic" in shown[1].lower()


def test_a_snapshot_is_read_once_per_kernel_and_each_notebook_gets_its_own_copy(tmp_path, monkeypatch):
    """A warm kernel runs several notebooks on one run's snapshot: the second setup() does not read it again,
    what one notebook changes in a frame does not reach the next, and a snapshot written again is read again."""
    import os

    from conftest import mini_tables, write_tables

    from evaluation.data import load_district
    from evaluation.data import loader
    from evaluation.data.loader import SNAPSHOT_ENV
    from evaluation.report import notebook
    from evaluation.run.profiles import write_snapshot

    folder = write_tables(tmp_path / "d", mini_tables())
    snap = write_snapshot(load_district(folder), tmp_path / "snap")
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    monkeypatch.setattr(notebook, "_SNAPSHOT", {})
    reads: list[str] = []
    real, real_snapshot = load_district, loader.read_snapshot

    def counting(path, **kw):
        reads.append(str(path))
        return real(path, **kw)

    def counting_snapshot(path, *a, **kw):
        reads.append(f"snapshot {path}")
        return real_snapshot(path, *a, **kw)

    monkeypatch.setattr("evaluation.data.load_district", counting)
    monkeypatch.setattr(loader, "read_snapshot", counting_snapshot)
    first = notebook.setup({"data_dir": str(folder)}, style=False)[1]
    first.tables["communities"].iloc[0, 0] = "changed"
    second = notebook.setup({"data_dir": str(folder)}, style=False)[1]
    # read once, from the snapshot's own bytes (not validated again: read_snapshot), and not again
    assert reads == [f"snapshot {snap}"] and second.folder == snap.resolve()
    assert second.tables["communities"].iloc[0, 0] != "changed"
    assert second.tables["communities"] is not first.tables["communities"]
    write_snapshot(first, snap)  # the same folder, written again
    notebook.setup({"data_dir": str(snap)}, style=False)  # profiles name the snapshot itself
    assert reads == [f"snapshot {snap}"] * 2
    monkeypatch.delenv(SNAPSHOT_ENV)
    notebook.setup({"data_dir": str(folder)}, style=False)  # not a snapshot: loaded as ever, not kept
    assert reads[-1] == str(folder) and len(notebook._SNAPSHOT) == 1
