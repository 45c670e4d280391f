"""Publishing and faults without a kernel: the notebooks are replaced by a stand-in that writes a one-cell notebook,
so a run takes a second and can be killed (SIGKILL) at a chosen step in a subprocess.

- a kill during the notebooks, between the two folders' exchange and the old one's deletion, and between the two
  renames of the fallback (file systems without an atomic exchange): the user-visible report is always whole, and
  the next run removes what the killed one left;
- an override run writes its own folder; a read-only reports folder is refused before anything runs;
- a blocked run (personal data) leaves a masked ``.failed/`` folder and a message that quotes no personal value.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from conftest import ROOT, mini_tables, write_tables

import evaluation.run.runner as runner
from evaluation.errors import JinlinError, RunFailed
from evaluation.run.runner import clean_stale, publish_folder, run

# The stand-in for execute_notebooks, shared by the in-process tests and the subprocess script. MARK is a value
# written into the notebook so that two runs' reports can be told apart.
_FAKE = '''
import nbformat, os, time
from pathlib import Path

def fake_execute(names, params, out_dir, progress=None):
    for n in names:
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell("MARK " + os.environ.get("MARK", "")))
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(Path(out_dir) / f"{n}.ipynb"))
        if os.environ.get("PAUSE_IN_NOTEBOOKS"):
            Path(os.environ["PAUSE_IN_NOTEBOOKS"]).write_text("running")
            time.sleep(60)
    return {n: 0.0 for n in names}
'''
_ns: dict = {}
exec(_FAKE, _ns)  # noqa: S102 - test code, the same text the subprocess runs
fake_execute = _ns["fake_execute"]


def _docx(html, out, lang):
    import docx  # pandoc is not what these tests are about: an empty Word file stands in

    docx.Document().save(str(out))


@pytest.fixture
def setup(tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "d", mini_tables())
    params = tmp_path / "mini.yaml"
    params.write_text(f"data_dir: {folder}\nlanguage: en\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    monkeypatch.setattr(runner, "execute_notebooks", fake_execute)
    monkeypatch.setattr(runner, "render_docx", _docx)
    return params, tmp_path / "reports"


def _published(out_root: Path, name: str = "mini") -> str:
    text = (out_root / name / "00_data_quality.ipynb").read_text(encoding="utf-8")
    assert (out_root / name / "manifest.json").is_file() and (out_root / name / "results.json").is_file()
    return text.split("MARK ")[1].split('"')[0]


_SCRIPT = _FAKE + '''
import signal, sys
from pathlib import Path
import evaluation.run.runner as runner

runner.execute_notebooks = fake_execute
runner.render_docx = lambda html, out, lang: __import__("docx").Document().save(str(out))
stage = os.environ.get("KILL_AT", "")

def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)

if stage == "after_exchange":  # the new report is in place, the old one not yet deleted
    real_discard = runner._discard
    def _discard(path):
        if ".tmp-" in path.name:
            kill_self()
        real_discard(path)
    runner._discard = _discard
if stage == "between_renames":  # the fallback: old report moved aside, new one not yet in place
    runner._exchange = lambda a, b: False
    real_rename = os.rename
    def rename(src, dst, *a, **k):
        if ".tmp-" in str(src):
            kill_self()
        return real_rename(src, dst, *a, **k)
    os.rename = rename
runner.run(sys.argv[1], out_root=Path(sys.argv[2]))
'''


def _run_killed(params: Path, out_root: Path, tmp_path: Path, **env) -> None:
    script = tmp_path / "killed_run.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MARK": "second", **env}
    proc = subprocess.Popen([sys.executable, str(script), str(params), str(out_root)], env=full_env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pause = env.get("PAUSE_IN_NOTEBOOKS")
    if pause:
        deadline = time.time() + 120
        while not Path(pause).exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]


def test_kill_during_the_notebooks_keeps_the_report_and_the_next_run_cleans_up(setup, tmp_path, monkeypatch):
    params, out_root = setup
    monkeypatch.setenv("MARK", "first")
    run(params, out_root=out_root)
    before = {p.name: p.read_bytes() for p in (out_root / "mini").iterdir()}
    _run_killed(params, out_root, tmp_path, PAUSE_IN_NOTEBOOKS=str(tmp_path / "running"))
    assert {p.name: p.read_bytes() for p in (out_root / "mini").iterdir()} == before
    left = list(out_root.glob(".mini.tmp-*"))
    assert left and (left[0] / "00_data_quality.ipynb").exists()  # what SIGKILL leaves
    monkeypatch.setenv("MARK", "third")
    run(params, out_root=out_root)
    assert _published(out_root) == "third"
    assert sorted(p.name for p in out_root.iterdir()) == ["mini"]  # no temp folder, no lock, no .failed


def test_kill_after_the_exchange_leaves_the_new_report_whole(setup, tmp_path, monkeypatch):
    params, out_root = setup
    monkeypatch.setenv("MARK", "first")
    run(params, out_root=out_root)
    _run_killed(params, out_root, tmp_path, KILL_AT="after_exchange")
    assert _published(out_root) == "second"
    left = list(out_root.glob(".mini.tmp-*"))
    assert len(left) == 1 and "MARK first" in (left[0] / "00_data_quality.ipynb").read_text()  # the old one
    monkeypatch.setenv("MARK", "third")
    run(params, out_root=out_root)
    assert _published(out_root) == "third" and sorted(p.name for p in out_root.iterdir()) == ["mini"]


def test_kill_between_the_fallback_renames_is_repaired_by_the_next_run(setup, tmp_path, monkeypatch):
    params, out_root = setup
    monkeypatch.setenv("MARK", "first")
    run(params, out_root=out_root)
    before = {p.name: p.read_bytes() for p in (out_root / "mini").iterdir()}
    _run_killed(params, out_root, tmp_path, KILL_AT="between_renames")
    # Without an atomic exchange the old report sits aside, whole, until the next run puts it back.
    aside = list(out_root.glob(".mini.old-*"))
    assert not (out_root / "mini").exists() and len(aside) == 1
    assert {p.name: p.read_bytes() for p in aside[0].iterdir()} == before
    restored = clean_stale(out_root, "mini")
    assert aside[0] in restored and {p.name: p.read_bytes() for p in (out_root / "mini").iterdir()} == before
    assert not list(out_root.glob(".mini.tmp-*")) and not list(out_root.glob(".mini.old-*"))
    monkeypatch.setenv("MARK", "third")
    run(params, out_root=out_root)  # takes over the killed run's lock
    assert _published(out_root) == "third" and sorted(p.name for p in out_root.iterdir()) == ["mini"]


def test_clean_stale_spares_runs_of_other_names_that_hold_their_lock(tmp_path):
    live = os.getppid()
    for n in (".other.tmp-11", f".busy.tmp-{live}", f".mine.tmp-{live}", ".gone.old-12", "mine", ".kept.old-13",
              "kept", "x.tmp-1", ".dead.tmp-999999999"):
        (tmp_path / n).mkdir()
    (tmp_path / ".dead.lock").write_text(str(live))  # left by a killed run: its file remains, naming any pid
    # a run of the name "busy" at work: it holds the flock of its lock file (a file descriptor of its own)
    with FileLock(tmp_path / ".busy.lock"):
        removed = {p.name for p in clean_stale(tmp_path, "mine")}
        # of its own name, any other pid is left over (this run holds the lock); of other names, those whose lock no
        # process holds
        assert removed == {".other.tmp-11", f".mine.tmp-{live}", ".gone.old-12", ".kept.old-13",
                           ".dead.tmp-999999999"}
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f".busy.tmp-{live}", ".busy.lock", ".dead.lock",
                                                                     "gone", "kept", "mine", "x.tmp-1"])


def test_publish_exchanges_in_one_step(tmp_path, monkeypatch):
    final, new = tmp_path / "r", tmp_path / ".r.tmp-1"
    final.mkdir()
    (final / "report.html").write_text("old")
    new.mkdir()
    (new / "report.html").write_text("new")
    renames = []
    real = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append((a, b)), real(a, b)))
    publish_folder(new, final)
    assert (final / "report.html").read_text() == "new" and not new.exists()
    assert renames == []  # one renameat2 exchange, no rename that leaves final missing


def test_exchange_failure_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(OSError):
        runner._exchange(tmp_path / "missing-a", tmp_path / "missing-b")


def test_override_run_writes_its_own_folder(setup, monkeypatch):
    params, out_root = setup
    monkeypatch.setenv("MARK", "base")
    run(params, out_root=out_root)
    monkeypatch.setenv("MARK", "override")
    r = run(params, {"data_cutoff": "2024-06-30"}, out_root=out_root)
    assert r.out_dir == out_root / "mini+data_cutoff=2024-06-30"
    assert _published(out_root) == "base" and _published(out_root, r.out_dir.name) == "override"
    manifest = json.loads((r.out_dir / "manifest.json").read_text())
    assert manifest["overrides"] == {"data_cutoff": "2024-06-30"} and manifest["paramset"] == r.out_dir.name
    assert manifest["params_file"].endswith("mini.yaml")
    assert manifest["command"].endswith("-p data_cutoff=2024-06-30")
    assert manifest["params_sha256"] == runner.manifest_checksum(manifest)
    # a re-run of the override run gets its own folder too, and may not take the parameter set's
    from evaluation.run.rerun import rerun

    again = rerun(r.out_dir, {"language": "zh"})
    assert again.out_dir.name.startswith("mini+data_cutoff=2024-06-30-rerun-")
    with pytest.raises(JinlinError, match="would replace"):
        rerun(r.out_dir, {"language": "zh"}, name="mini")
    assert _published(out_root) == "base"


def test_unwritable_reports_folder_is_refused_before_the_run(setup, monkeypatch):
    params, _ = setup
    blocker = params.parent / "a-file"
    blocker.write_text("")
    called = []
    monkeypatch.setattr(runner, "read_district", lambda *a: called.append(1))
    with pytest.raises(JinlinError, match="cannot be written") as e:
        run(params, out_root=blocker / "reports")
    assert "fix:" in str(e.value) and not called


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_reports_folder_is_refused_before_the_run(setup, monkeypatch):
    params, out_root = setup
    out_root.mkdir()
    out_root.chmod(0o555)
    try:
        with pytest.raises(JinlinError, match="cannot be written"):
            run(params, out_root=out_root)
    finally:
        out_root.chmod(0o755)


def test_blocked_run_masks_failed_folder_and_message(setup, monkeypatch):
    params, out_root = setup
    phone, name, neighbour = "13812345678", "王建国", "李秀英"
    known = frozenset({phone, name, neighbour})

    real_read = runner.read_district

    def read_with_known(folder):
        district, problems = real_read(folder)
        object.__setattr__(district, "personal_values", known)
        return district, problems

    def leaky(names, p, out_dir, progress=None):
        fake_execute(names, p, out_dir)
        nb = out_dir / f"{names[0]}.ipynb"
        data = json.loads(nb.read_text(encoding="utf-8"))
        data["cells"][0]["source"] = f"联系人 {name}，电话 {phone}，邻居 {neighbour}，另有 赵铁柱"
        data["cells"][0]["metadata"] = {name: "key"}  # a personal value in a JSON key, shown in the place
        nb.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return {n: 0.0 for n in names}

    monkeypatch.setattr(runner, "read_district", read_with_known)
    monkeypatch.setattr(runner, "execute_notebooks", leaky)
    with pytest.raises(RunFailed, match="personal data") as e:
        run(params, out_root=out_root)
    msg = str(e.value)
    for v in known | {"赵铁柱"}:  # nor a neighbouring name the scanner does not know: no excerpt is quoted
        assert v not in msg
    failed = out_root / "mini.failed"
    assert failed.is_dir() and not (out_root / "mini").exists()
    assert str(failed) in msg and "SCAN.txt" in msg
    from evaluation.privacy import scan_artefacts

    assert scan_artefacts(failed, known).empty
    for f in failed.rglob("*"):
        for v in known:
            assert v.encode() not in f.read_bytes() if f.is_file() else True, f
    nb = json.loads((failed / "00_data_quality.ipynb").read_text(encoding="utf-8"))
    assert "[手机号]" in nb["cells"][0]["source"] and "[姓名]" in nb["cells"][0]["source"]
    assert "00_data_quality.ipynb" in (failed / "SCAN.txt").read_text(encoding="utf-8")


def test_failed_notebook_message_masks_what_it_quotes(setup, monkeypatch):
    params, out_root = setup
    real_read = runner.read_district

    def read_with_known(folder):
        district, problems = real_read(folder)
        object.__setattr__(district, "personal_values", frozenset({"张桂兰"}))
        return district, problems

    def failing(names, p, out_dir, progress=None):
        fake_execute(names, p, out_dir)
        raise RunFailed(f"notebook {names[0]} failed in cell 3: KeyError: '张桂兰' (phone 13912345678)\n"
                        f"the executed notebook is {out_dir / names[0]}.ipynb")

    monkeypatch.setattr(runner, "read_district", read_with_known)
    monkeypatch.setattr(runner, "execute_notebooks", failing)
    with pytest.raises(RunFailed) as e:
        run(params, out_root=out_root)
    msg = str(e.value)
    assert "张桂兰" not in msg and "13912345678" not in msg and "[姓名]" in msg
    assert str(out_root / "mini.failed") in msg and "unchanged" in msg


@pytest.mark.notebook
def test_sigkill_of_a_real_jinlin_run_keeps_the_report_and_the_next_run_cleans_up(tmp_path):
    """`jinlin run` of one notebook, killed with SIGKILL (with its kernel) while the notebook runs."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    folder = write_tables(tmp_path / "d", mini_tables())
    params = root / "kill.yaml"
    params.write_text(f"data_dir: {folder}\nlanguage: en\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n",
                      encoding="utf-8")
    previous = root / "reports" / "kill"
    previous.mkdir(parents=True)
    for name in ("report.html", "results.json", "manifest.json"):
        (previous / name).write_text(f"previous {name}", encoding="utf-8")
    env = {**os.environ, "JINLIN_ROOT": str(root), "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "evaluation.cli", "run", "--params", str(params)]
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 120
    while not list((root / "reports").glob(".kill.tmp-*/00_data_quality.ipynb")) and time.time() < deadline:
        time.sleep(0.1)  # papermill writes the notebook as soon as the kernel runs it
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its kernel, as kill -9 of the process group
    proc.communicate(timeout=60)
    assert {p.name: p.read_text() for p in previous.iterdir()} == {
        n: f"previous {n}" for n in ("report.html", "results.json", "manifest.json")}
    assert len(list((root / "reports").glob(".kill.tmp-*"))) == 1
    r = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["kill"]
    assert json.loads((previous / "results.json").read_text())["results"]["data.rows.grid_events"]["value"] == 3
