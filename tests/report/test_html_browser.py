"""The HTML report in a real browser: it renders offline, its table-of-contents links resolve, its charts are
visible, and a screenshot is kept (reports/screenshots/). Uses Debian's headless Chromium, which `.ci/run` installs;
elsewhere the browser part is skipped with the reason."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, mini_tables, write_tables

from evaluation.run.runner import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    folder = write_tables(tmp / "d", mini_tables())
    params = tmp / "browser.yaml"
    params.write_text(f"data_dir: {folder}\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    return run(params, out_root=tmp / "reports").out_dir / "report.html"


@pytest.mark.notebook
def test_self_contained_and_toc_links_resolve(report):
    html = report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not load anything from the network"
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = re.findall(r'<nav class="toc">.*?</nav>', html, flags=re.S)[0]
    targets = re.findall(r'href="#([^"]+)"', links)
    assert len(targets) >= 5 and set(targets) <= ids
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 2
    assert '<html lang="zh">' in html and "数据质量报告" in html


@pytest.mark.notebook
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_renders_offline_in_chromium(report, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *OFFLINE, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,2400",
                    f"--screenshot={shot}", report.as_uri()], check=True, capture_output=True, timeout=120)
    img = mpimg.imread(shot)[..., :3]
    ink = (img < 0.9).any(axis=2)
    colour = (np.ptp(img, axis=2) > 0.25)  # charts and the table-of-contents border are coloured, text is grey
    assert ink.mean() > 0.02, "the page looks blank"
    assert colour.sum() > 2000, "no chart is visible"
    keep = ROOT / "reports" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "report.png")
    dom = subprocess.run([CHROMIUM, *OFFLINE, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom",
                          report.as_uri()], check=True, capture_output=True, timeout=120, text=True).stdout
    assert "数据质量报告" in dom and 'class="toc"' in dom
