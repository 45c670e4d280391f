"""Private by construction: a district with real-looking names, phone and ID numbers goes through `jinlin run` with
none of them in any output; a planted leak is caught and nothing is published; a killed run leaves the last good
report intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, mini_tables, write_tables

from evaluation.errors import RunFailed
from evaluation.privacy import collect_personal_values, scan_artefacts
from evaluation.run.runner import run


@pytest.fixture(scope="module")
def pii_district(tmp_path_factory) -> tuple[Path, set[str]]:
    from evaluation.synthetic import generate_district, write_district

    folder = tmp_path_factory.mktemp("pii") / "district"
    district = generate_district(seed=7, with_pii=True)
    write_district(district, folder, formats={})
    known: set[str] = set()
    for table in ("survey_responses", "grid_events"):
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert {"name", "phone", "id_number"} <= set(frame.columns)
        personal = frame[["name", "phone", "id_number"]]
        known |= collect_personal_values(personal)
        # Free text with a phone and an ID number in it, as real comments and event descriptions have.
        text_col = "comment" if table == "survey_responses" else "description"
        frame[text_col] = "请联系 " + personal["phone"] + "，证件 " + personal["id_number"]
        frame.to_csv(path, index=False)
    return folder, known


@pytest.fixture(scope="module")
def pii_read(pii_district):
    """What the module's run read and validated, as ``(folder, read_district(folder))``: the planted leak's run of
    the same folder is given it rather than parsing the district with personal data again (10 s)."""
    return []


@pytest.fixture(scope="module")
def pii_run(tmp_path_factory, pii_district, pii_read):
    """`jinlin run` of notebooks 00 and 50 on the district with personal data, once for the module: the first test
    scans what it published, the second plants a leak in its executed notebook 00."""
    import evaluation.run.runner as runner

    folder, _ = pii_district
    where = tmp_path_factory.mktemp("pii-run")
    params = where / "pii.yaml"
    params.write_text(f"data_dir: {folder}\nnotebooks: [00_data_quality, 50_award_claims]\n", encoding="utf-8")
    real_read = runner.read_district

    def reading(data_dir):
        pii_read.append((Path(data_dir), real_read(data_dir)))
        return pii_read[-1][1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "read_district", reading)
        return run(params, out_root=where / "reports", workers=2)


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """A real run of notebook 00 on the mini district (default language, two workers), once for the module: the
    report a killed run must leave alone, and the first of two runs that must give the same results.json."""
    where = tmp_path_factory.mktemp("mini-run")
    folder = write_tables(where / "one" / "d", mini_tables())
    params = where / "x.yaml"
    params.write_text(f"data_dir: {folder}\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    return folder, run(params, out_root=where / "reports-x", workers=2)


@pytest.mark.notebook
def test_no_personal_value_reaches_any_output(pii_district, pii_run):
    _, known = pii_district
    result = pii_run
    artefacts = sorted(p for p in result.out_dir.rglob("*") if p.is_file())
    assert {p.name for p in artefacts} >= {"report.html", "report.docx", "results.json", "manifest.json"}
    findings = scan_artefacts(artefacts, known_values=known)
    assert findings.empty, findings.to_string()
    assert len(known) > 1000  # the check had something to look for


@pytest.mark.notebook
def test_a_planted_leak_is_caught_and_nothing_is_published(tmp_path, pii_district, pii_run, pii_read, monkeypatch):
    import shutil

    import evaluation.run.runner as runner

    folder, known = pii_district
    [(read_folder, read)] = pii_read
    assert read_folder.resolve() == folder.resolve() and read[0] is not None and read[0].personal_values >= known

    def same_read(data_dir):
        # the folder the module's run read and validated: its district and problems, not a second parse
        assert Path(data_dir).resolve() == read_folder.resolve()
        return read
    leaked = sorted(v for v in known if v.isdigit() and len(v) == 11)[0]
    executed = json.loads((pii_run.out_dir / "manifest.json").read_text(encoding="utf-8"))["timings_s"]

    def leaky(names, params, out_dir, progress=None):
        # notebook 00 as the module's run executed it on this district (same data, same parameters but the
        # notebook list), with a phone number planted: what is tested is the scan of the outputs before publishing
        for name in names:
            shutil.copy(pii_run.out_dir / f"{name}.ipynb", out_dir / f"{name}.ipynb")
        timings = {name: executed[name] for name in names}
        nb = out_dir / f"{names[0]}.ipynb"
        data = json.loads(nb.read_text(encoding="utf-8"))
        data["cells"][0]["source"] = f"联系人电话 {leaked}"
        nb.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return timings

    monkeypatch.setattr(runner, "execute_notebooks", leaky)
    monkeypatch.setattr(runner, "read_district", same_read)
    params = tmp_path / "leak.yaml"
    params.write_text(f"data_dir: {folder}\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    with pytest.raises(RunFailed, match="personal data") as e:
        run(params, out_root=tmp_path / "reports")
    assert leaked not in str(e.value)  # the message names the place, never the value
    assert not (tmp_path / "reports" / "leak").exists()


@pytest.mark.notebook
def test_killed_run_leaves_the_previous_report(tmp_path, mini_run):
    import shutil

    folder, made = mini_run
    params = tmp_path / "kill.yaml"
    params.write_text(f"data_dir: {folder}\nlanguage: en\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n",
                      encoding="utf-8")
    out_root = tmp_path / "reports"
    # the previous report: a real one of the same data and notebook, published here under this run's name
    # (what is tested is that the killed run leaves it as it was, whatever it holds)
    previous = out_root / "kill"
    shutil.copytree(made.out_dir, previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    env = {**os.environ, "JINLIN_ROOT": str(ROOT)}
    code = ("import sys; from pathlib import Path; from evaluation.run.runner import run; "
            f"run({str(params)!r}, out_root=Path({str(out_root)!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not list(out_root.glob(".kill.tmp-*")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the kernel is starting or running
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert b"interrupted" in err
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before
    assert (out_root / "kill.failed").is_dir()
    assert not list(out_root.glob(".kill.tmp-*")) and not (out_root / ".kill.lock").exists()


@pytest.mark.notebook
def test_results_identical_in_another_folder_and_day(tmp_path, monkeypatch, mini_run):
    """Same data and parameters, another working copy of the data and another clock: byte-identical results.json."""
    import shutil

    a, first = mini_run  # run x: the module's run, in this process's own time zone and clock
    b = tmp_path / "two" / "elsewhere"
    shutil.copytree(a, b)
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    params = tmp_path / "y.yaml"
    params.write_text(f"data_dir: {b}\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    second = run(params, out_root=tmp_path / "reports-y", workers=2)
    assert (first.out_dir / "results.json").read_bytes() == (second.out_dir / "results.json").read_bytes()
