"""``ruff check`` passes with the configuration of pyproject.toml (``[tool.ruff]``), as the pre-commit hook demands."""

from __future__ import annotations

import subprocess

import pytest
from conftest import ROOT

pytest.importorskip("ruff", reason="ruff is not installed (it is in the dev extra: pip install -e .[dev])")


def test_ruff_check_passes():
    from ruff.__main__ import find_ruff_bin  # the binary of the installed ruff package, wherever the PATH points

    exe = find_ruff_bin()
    # --no-cache: nothing written into the checkout. Every Python file of the project, the notebooks' cells included
    run = subprocess.run([exe, "check", "--no-cache", "--output-format", "concise", "src", "tests", "benchmarks",
                          "notebooks"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
