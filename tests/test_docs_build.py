"""The API reference builds offline with ``mkdocs build --strict`` (issue 18), and every public module is in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src" / "evaluation"


def _public_modules() -> set[str]:
    """Every module and subpackage of ``evaluation`` whose name does not start with an underscore (the root package
    has no API of its own)."""
    out = set()
    for f in SRC.rglob("*.py"):
        rel = f.relative_to(SRC.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        if len(parts) == 1 or "resources" in parts or any(p.startswith("_") for p in parts):
            continue
        out.add(".".join(parts))
    return out


def test_every_public_module_has_a_place_in_the_reference():
    """A new module fails here until it is added to the family page it belongs to (docs/api/<family>.md)."""
    listed = set()
    for page in (ROOT / "docs" / "api").glob("*.md"):
        listed |= set(re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), flags=re.M))
    assert listed == _public_modules()


def test_mkdocs_build_strict(tmp_path: Path):
    site = tmp_path / "site"
    # strict: a docstring mkdocstrings cannot parse, a broken link or a page missing from the nav fails the build
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    for family in ("data", "survey", "indicators", "impact", "claims", "report", "synthetic", "cli"):
        assert (site / "api" / family / "index.html").is_file(), family
    indicators = (site / "api" / "indicators" / "index.html").read_text(encoding="utf-8")
    # a function's own anchor, its signature and its docstring are rendered
    assert 'id="evaluation.indicators.intervals.wilson_interval"' in indicators
    assert "Wilson score interval" in indicators
    # the keys page links each key's function to its reference (an unresolved link would have failed the build)
    keys = (site / "keys" / "index.html").read_text(encoding="utf-8")
    assert 'href="../api/indicators/#evaluation.indicators.grid.closure_rates"' in keys
    assert "<code>grid.on_time_rate.share.sanitation</code>" in keys
