"""The Examples sections of the package's docstrings run as doctests (issue 18), so they cannot go stale.

Every module with a ``>>>`` in its source is run, so a new example is tested without being listed here. The central
functions below must keep theirs: they are where a newcomer starts reading.
"""

from __future__ import annotations

import doctest
import importlib
import io

import pytest
from conftest import ROOT

SRC = ROOT / "src"
MODULES = sorted(".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
                 for p in (SRC / "evaluation").rglob("*.py") if ">>> " in p.read_text(encoding="utf-8"))

CENTRAL = [
    "evaluation.indicators.intervals.wilson_interval",
    "evaluation.indicators.intervals.poisson_exact_interval",
    "evaluation.indicators.intervals.rate_ratio_exact",
    "evaluation.indicators.grid.closure_rates",
    "evaluation.survey.design.SurveyDesign",
    "evaluation.survey.indices.satisfaction_index",
    "evaluation.privacy.suppression.suppression_pattern",
    "evaluation.claims.extract.extract_claims",
]

FLAGS = doctest.NORMALIZE_WHITESPACE


def _run(tests: list[doctest.DocTest]) -> tuple[doctest.TestResults, str]:
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test, out=out.write)
    return runner.summarize(verbose=False), out.getvalue()


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings_run(name):
    module = importlib.import_module(name)
    result, report = _run(doctest.DocTestFinder().find(module))
    assert result.attempted > 0, f"{name} has '>>> ' in its source but no example doctest finds"
    assert result.failed == 0, report


@pytest.mark.parametrize("dotted", CENTRAL)
def test_central_functions_show_an_example(dotted):
    module_name, name = dotted.rsplit(".", 1)
    obj = getattr(importlib.import_module(module_name), name)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(obj, name) if t.examples]
    assert tests, f"{dotted} has no Examples section that runs"
    result, report = _run(tests)
    assert result.failed == 0, report
