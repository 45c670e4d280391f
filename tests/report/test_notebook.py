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
