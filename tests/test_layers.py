"""The import-linter contracts of pyproject.toml (``[tool.importlinter]``) hold for this checkout's source.

``lint-imports`` runs as CI's other linters would; its report names every import that breaks a layer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("importlinter",
                    reason="import-linter is not installed (it is in the dev extra: pip install -e .[dev])")


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is installed but its lint-imports command is not on the PATH"
    # this checkout's src first: an installed evaluation (e.g. another clone's editable install) must not be analysed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([exe, "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
