"""The runner: a run publishes atomically, keeps the old report on failure, and is reproducible byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import mini_tables, write_tables

from evaluation.errors import DataValidationError, JinlinError, RunFailed
import nbformat

from evaluation.run import runner
from evaluation.run.runner import output_lock, run


def _params(tmp_path: Path, folder: Path, **extra) -> Path:
    p = tmp_path / "mini.yaml"
    lines = [f"data_dir: {folder}", "language: en", "survey_planned_n: 3"] + [f"{k}: {v}" for k, v in extra.items()]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The mini district through every notebook, run once for the module one notebook at a time (``a``) and once
    with two workers (``b``); the data folder, and the two results. The failure tests publish a copy of ``a`` as the
    report a failed run must leave alone."""
    where = tmp_path_factory.mktemp("published")
    folder = write_tables(where / "d", mini_tables())
    params = _params(where, folder)
    a = run(params, out_root=where / "a")
    # the second run executes notebooks 00–40 at the same time: the report must not depend on it
    b = run(params, out_root=where / "b", workers=2)
    return folder, a, b


def _previous_report(published, out_root: Path) -> Path:
    """A copy of the module's published report as ``out_root``/mini, the report of the failure tests' parameters."""
    import shutil

    _, a, _ = published
    shutil.copytree(a.out_dir, out_root / "mini")
    return out_root / "mini"


@pytest.mark.notebook
def test_run_publishes_report_and_is_byte_identical(published):
    _, a, b = published
    for name in ("report.html", "results.json", "manifest.json", "00_data_quality.ipynb"):
        assert (a.out_dir / name).exists()
    assert (a.out_dir / "results.json").read_bytes() == (b.out_dir / "results.json").read_bytes()
    manifest = json.loads((a.out_dir / "manifest.json").read_text())
    assert manifest["data"]["files"]["grid_events"]["sha256"]
    assert manifest["params"]["language"] == "en" and manifest["seed"] == 20241231
    assert "pandas" in manifest["versions"] and "00_data_quality" in manifest["timings_s"]
    html = (a.out_dir / "report.html").read_text()
    assert "<nav class=\"toc\">" in html and "http" not in html.split("<body>")[0]


def test_workers_below_one_are_refused_before_anything_runs(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    with pytest.raises(JinlinError, match="workers must be at least 1"):
        run(_params(tmp_path, folder), out_root=tmp_path / "r", workers=0)
    assert not (tmp_path / "r").exists()


@pytest.mark.notebook
def test_failed_run_keeps_the_previous_report(tmp_path, monkeypatch, published):
    folder, _, _ = published
    # the previous report is the module's run of every notebook (a real report of the same data and name); one
    # notebook fails as well as all of them: what is tested is what a failure leaves
    params = _params(tmp_path, folder, notebooks=["00_data_quality"])
    good = _previous_report(published, tmp_path / "r")
    before = (good / "results.json").read_bytes()
    # A notebook failure: the survey's planned sample size parameter is valid, but break the data after validation
    from evaluation.run import runner

    real = runner.execute_notebooks

    def broken(names, p, out_dir, progress=None):
        (out_dir / "partial.txt").write_text("half")
        raise RunFailed(f"notebook 00_data_quality failed; see {out_dir}")

    monkeypatch.setattr(runner, "execute_notebooks", broken)
    with pytest.raises(RunFailed) as e:
        run(params, out_root=tmp_path / "r")
    assert "r/mini.failed" in str(e.value) and "unchanged" in str(e.value)
    assert (good / "results.json").read_bytes() == before
    assert (tmp_path / "r" / "mini.failed" / "partial.txt").exists()
    monkeypatch.setattr(runner, "execute_notebooks", real)


def test_progress_lines_follow_the_run_language(monkeypatch, tmp_path):
    """Issue 17: a Chinese run says 完成/失败 under each notebook, not "done in"/"failed"; the failure is in
    Chinese too, beside the English message."""
    from evaluation.params import RunParams
    from evaluation.run import runner

    def fake(name, inject, out_dir, timeout, snapshot=None):
        if name != "20_satisfaction_survey":
            return {"name": name, "status": "ok", "seconds": 1.25, "error": None, "retried": None}
        return {"name": name, "status": "failed", "seconds": 0.5, "retried": None,
                "error": f"notebook {name} failed in cell 3", "error_zh": f"笔记本 {name} 在第 3 个单元格出错"}

    monkeypatch.setattr(runner, "execute_notebook", fake)
    names = ["00_data_quality", "10_participation", "20_satisfaction_survey"]
    for lang, done, failed, error in (("zh", "    完成，用时 1.2 秒", "    失败", "笔记本 20_satisfaction_survey 在第 3"),
                                      ("en", "    done in 1.2 s", "    failed", "20_satisfaction_survey failed in")):
        lines: list[str] = []
        with pytest.raises(RunFailed) as e:
            runner.execute_notebooks(names, RunParams(language=lang), tmp_path, lines.append)
        assert lines == ["[1/3] 00_data_quality …", done, "[2/3] 10_participation …", done,
                         "[3/3] 20_satisfaction_survey …", failed]
        assert error in e.value.text(lang)


def test_bad_data_stops_before_any_kernel(tmp_path):
    t = mini_tables()
    t["population"].loc[0, "community_id"] = "X1"
    folder = write_tables(tmp_path / "d", t)
    with pytest.raises(DataValidationError, match="not in the community register"):
        run(_params(tmp_path, folder), out_root=tmp_path / "r")
    assert not (tmp_path / "r" / "mini").exists()


def test_a_report_year_beyond_the_data_is_refused_before_any_kernel(tmp_path, monkeypatch):
    """Issue 17: report_year 2030 on data ending in 2024 stopped notebook 30; it is refused, the last year named."""
    from evaluation.errors import ParameterError
    from evaluation.run import runner

    monkeypatch.setattr(runner, "execute_notebooks", lambda *a, **k: pytest.fail("a kernel was started"))
    folder = write_tables(tmp_path / "d", mini_tables())
    with pytest.raises(ParameterError, match=r"report_year = 2030 is beyond the data: their last year is 2024"):
        run(_params(tmp_path, folder, report_year=2030), out_root=tmp_path / "r")
    zh = tmp_path / "zh.yaml"
    zh.write_text(f"data_dir: {folder}\nlanguage: zh\nsurvey_planned_n: 3\nreport_year: 2030\n", encoding="utf-8")
    with pytest.raises(ParameterError) as e:
        run(zh, out_root=tmp_path / "r")
    assert "晚于数据的最后一年 2024" in e.value.text("zh")  # the CLI prints this in a Chinese run
    assert not (tmp_path / "r" / "mini").exists() and not (tmp_path / "r" / "zh").exists()


def test_lock_refuses_a_second_run(tmp_path):
    with output_lock(tmp_path, "x") as lock:
        assert lock == tmp_path / ".x.lock" and lock.read_text() == str(os.getpid())
        with pytest.raises(JinlinError, match=f"another run \\(process {os.getpid()}\\) is writing .*x\\.\nfix: wait"):
            with output_lock(tmp_path, "x"):
                pass
    assert list(tmp_path.iterdir()) == []  # released, and no lock file left among the reports
    with output_lock(tmp_path, "x"):
        pass


def test_stale_lock_is_taken_over(tmp_path):
    (tmp_path / ".x.lock").write_text("999999999")
    with output_lock(tmp_path, "x"):
        pass
    # A file naming a live process is not a lock either (an older version kept its lock in the file, and a pid can be
    # reused): only a process holding the file's flock holds the lock.
    (tmp_path / ".x.lock").write_text(str(os.getppid()))
    with output_lock(tmp_path, "x"):
        pass


_HOLD = """
import sys, time
from pathlib import Path
from evaluation.run.runner import output_lock
with output_lock(Path(sys.argv[1]), "x"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_lock_of_another_process_refuses_then_dies_with_it(tmp_path):
    """The lock goes with the process holding it: refused while it lives, free the moment it is killed (SIGKILL, no
    clean-up), although its lock file is still there."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(JinlinError) as e:
            with output_lock(tmp_path, "x"):
                pass
        assert f"another run (process {proc.pid}) is writing {tmp_path / 'x'}." in str(e.value)
        assert "fix: wait for it to finish, then run again" in str(e.value)
    finally:
        proc.kill()
        proc.wait()
    assert (tmp_path / ".x.lock").read_text() == str(proc.pid)  # left behind by the kill
    with output_lock(tmp_path, "x") as lock:
        assert lock.read_text() == str(os.getpid())


@pytest.mark.notebook
def test_full_disk_keeps_the_previous_report(tmp_path, monkeypatch, published):
    import errno

    from evaluation.run import runner

    folder, _, _ = published
    # the previous report is the module's run of every notebook; the failing run executes notebook 00 for real
    # and fails writing the Word file: what is tested is what a failure leaves
    params = _params(tmp_path, folder, notebooks=["00_data_quality"])
    good = _previous_report(published, tmp_path / "r")
    before = (good / "report.html").read_bytes()

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "render_docx", no_space)
    with pytest.raises(RunFailed, match="No space left on device") as e:
        run(params, out_root=tmp_path / "r")
    assert "unchanged" in str(e.value) and "free disk space" in str(e.value)
    assert (good / "report.html").read_bytes() == before


def test_the_longest_notebook_of_a_batch_is_queued_first(monkeypatch, tmp_path):
    """The last run's timings order the pool's queue (longest first; untimed ones first, in run order); the
    progress lines and the timings returned stay in run order."""
    from evaluation.params import RunParams
    from evaluation.run import pool, runner

    queued: list[str] = []

    def fake_pool(unit, jobs, key, workers, on_error, **kwargs):
        assert kwargs["executor"] is sentinel  # every batch runs in the caller's pool
        queued.extend(key(job) for job in jobs)
        return {key(job): {"name": key(job), "status": "ok", "seconds": 1.0, "error": None, "retried": None}
                for job in jobs}

    monkeypatch.setattr(pool, "run_pool", fake_pool)
    sentinel = object()
    names = ["00_data_quality", "10_participation", "20_satisfaction_survey", "40_programme_impact"]
    expected = {"00_data_quality": 9.0, "10_participation": 9.5, "40_programme_impact": 31.0}
    timings = runner.execute_notebooks(names, RunParams(language="en"), tmp_path, workers=2, expected=expected,
                                       pool=sentinel)
    assert queued == ["20_satisfaction_survey", "40_programme_impact", "10_participation", "00_data_quality"]
    assert list(timings) == names


def test_last_timings_are_a_hint_that_never_fails(tmp_path):
    from evaluation.run.runner import last_timings

    assert last_timings(tmp_path / "none") == {}
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert last_timings(tmp_path) == {}
    (tmp_path / "manifest.json").write_text(json.dumps({"timings_s": {"a": 1.5, "b": "x", "c": None}}),
                                            encoding="utf-8")
    assert last_timings(tmp_path) == {"a": 1.5}
    (tmp_path / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    assert last_timings(tmp_path) == {}


def test_html_rendered_ahead_is_used_only_for_the_bytes_it_came_from(tmp_path):
    """run() renders the notebooks of 00-40 while 50 runs; a notebook file that changed after its rendering (or
    one never rendered) is rendered again at the end, so report.html never shows a stale body."""
    from evaluation.report.html import notebook_html

    for name in ("a", "b"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}")]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    with runner._RenderAhead(tmp_path) as ahead:
        ahead.submit(["a", "b"])
        ahead.bodies(["a"])  # waits for the first
        changed = nbformat.read(tmp_path / "b.ipynb", as_version=4)
        changed.cells[0].source = "# b, changed"
        ahead._jobs["b"].result()
        nbformat.write(changed, tmp_path / "b.ipynb")
        got = ahead.bodies(["a", "b", "c"])
    assert got[0] == notebook_html(nbformat.read(tmp_path / "a.ipynb", as_version=4))
    assert got[1:] == [None, None]


def test_finished_notebooks_are_handed_on_once_a_core_is_free():
    """While every worker runs a notebook, rendering would slow them: the notebooks that ended well are held back
    until at most workers - 1 are still running, then handed on together, and each later one as it ends."""
    calls: list[list[str]] = []
    on_result = runner._when_a_core_is_free(5, 2, calls.append)
    for name, status in [("a", "ok"), ("b", "ok"), ("c", "failed")]:
        on_result(name, {"status": status})
    assert calls == []
    on_result("d", {"status": "ok"})
    assert calls == [["a", "b", "d"]]
    on_result("e", {"status": "ok"})
    assert calls == [["a", "b", "d"], ["e"]]


@pytest.mark.notebook
def test_warm_kernels_and_the_snapshot_give_what_fresh_kernels_on_the_exports_give(published, tmp_path, monkeypatch):
    """An independent reference for the published run: every notebook in a kernel of its own that reads the export
    files itself (no kernel reused, no snapshot), as a notebook run by hand would. A state left in a warm kernel
    (an option, a module cache) or a snapshot that differs from the exports would show here."""
    from evaluation.params import NOTEBOOK_ORDER
    from evaluation.run import kernel

    folder, a, _ = published
    real = kernel.warm_kernel
    fresh_starts: list[str] = []

    def fresh(cwd, env=None):
        kernel.close_warm_kernel()
        fresh_starts.append(str(cwd))
        return real(cwd, env)

    monkeypatch.setattr(kernel, "warm_kernel", fresh)
    monkeypatch.setattr(runner, "RAW_DATA_NOTEBOOKS", frozenset(NOTEBOOK_ORDER))
    monkeypatch.setattr(runner, "_write_run_snapshot", lambda d: pytest.fail("no snapshot is written"))
    c = run(_params(tmp_path, folder), out_root=tmp_path / "c")
    assert len(fresh_starts) == len(NOTEBOOK_ORDER) == len(c.timings)  # one new kernel per notebook
    assert (c.out_dir / "results.json").read_bytes() == (a.out_dir / "results.json").read_bytes()
