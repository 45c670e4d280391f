"""environment.yml and pyproject.toml list the same dependencies with the same lower bounds."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_norm(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for s in dep["pip"]:
                if not s.startswith("-e"):
                    listed.update([_norm(s)])
        elif _norm(dep)[0] not in ("python", "pip"):
            listed.update([_norm(dep)])
    assert listed == wanted
