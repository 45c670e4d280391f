"""Run a parameter set: validate, execute every notebook with papermill, and publish the report atomically.

The order of a run (issue: "A fresh clone runs the whole evaluation"):
1. validate the parameters and the district's data, before any kernel starts;
2. take a lock on the output folder so two runs cannot interleave;
3. execute the notebooks in order into a temporary folder (kernel ``python3``, explicit timeout, one retry of a
   failed kernel start), showing progress;
4. collect the recorded figures into ``results.json``, render the HTML report, write ``manifest.json``;
5. scan every artefact for personal data;
6. swap the temporary folder in for the old report. On any failure the old report stays as it was, and the failed
   notebook is kept in ``reports/<paramset>.failed/`` with its error visible.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from ..config import NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR, resolve
from ..data.loader import District, read_district
from ..errors import DataValidationError, JinlinError, RunFailed
from ..params import RunParams, load_params
from .docx import render_docx
from .html import render_html
from .summary import summary_cell
from .record import read_records, results_json

__all__ = ["RunResult", "run", "execute_notebooks", "notebook_parameters", "build_manifest", "output_lock",
           "publish_folder", "interruptible", "git_commit", "package_versions"]

KERNEL = "python3"
# Parameters the runner supplies itself (not from the parameter file): the figures recorded by earlier notebooks.
RUNNER_PARAMETERS = ("prior_results",)


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    results: dict[str, dict[str, Any]]
    timings: dict[str, float]


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell (exactly one such cell is required)."""
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise JinlinError(f"{path.name} must have exactly one cell tagged 'parameters' (found {len(tagged)})")
    return dict(pm.inspect_notebook(str(path)))


@contextlib.contextmanager
def output_lock(out_root: Path, name: str) -> Iterator[Path]:
    """An exclusive lock on ``reports/<name>``; a stale lock (its process gone) is taken over."""
    out_root.mkdir(parents=True, exist_ok=True)
    lock = out_root / f".{name}.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid):
                raise JinlinError(
                    f"another run (process {pid}) is writing {out_root / name}.\n"
                    f"fix: wait for it to finish; if no run is active, delete {lock}") from None
            lock.unlink(missing_ok=True)
    else:
        raise JinlinError(f"cannot take the lock {lock}\nfix: delete it if no run is active")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so clean-up runs and the old report stays intact."""
    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt(f"signal {signum}")
    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def execute_notebooks(names: list[str], params: RunParams, out_dir: Path,
                      progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Execute ``names`` in order into ``out_dir``; raise :class:`RunFailed` naming the failed notebook."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    values = params.model_dump()
    timings: dict[str, float] = {}
    for i, name in enumerate(names, 1):
        src = NOTEBOOKS_DIR / f"{name}.ipynb"
        declared = notebook_parameters(src)
        inject = {k: values[k] for k in declared if k in values}
        dst = out_dir / f"{name}.ipynb"
        if "prior_results" in declared:
            done = [nbformat.read(out_dir / f"{n}.ipynb", as_version=4) for n in names[: i - 1]]
            prior = out_dir / "_prior_results.json"
            prior.write_text(results_json(read_records(done)), encoding="utf-8")
            inject["prior_results"] = str(prior)
        if progress:
            progress(f"[{i}/{len(names)}] {name} …")
        t0 = time.perf_counter()
        for attempt in (1, 2):
            try:
                pm.execute_notebook(str(src), str(dst), parameters=inject, kernel_name=KERNEL,
                                    execution_timeout=params.execution_timeout, start_timeout=120,
                                    progress_bar=False, cwd=str(NOTEBOOKS_DIR), log_output=False)
                break
            except PapermillExecutionError as e:
                raise RunFailed(
                    f"notebook {name} failed in cell {e.exec_count}: {e.ename}: {e.evalue}\n"
                    f"the executed notebook, with the error marked, is {dst}") from None
            except (KeyboardInterrupt, JinlinError):
                raise
            except Exception as e:  # a kernel that did not start; papermill raises several types here
                if attempt == 2:
                    raise RunFailed(f"the kernel for {name} failed twice to start or died: {type(e).__name__}: {e}"
                                    f"\nthe partial notebook is {dst}") from None
                if progress:
                    progress(f"    kernel start failed ({type(e).__name__}); retrying once")
        timings[name] = round(time.perf_counter() - t0, 3)
        if progress:
            progress(f"    done in {timings[name]:.1f} s")
    return timings


def git_commit() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
        return {"commit": commit or None, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("jinlin", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib", "seaborn",
                "papermill", "nbconvert", "ipykernel", "pandera", "pydantic", "pyarrow", "openpyxl"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def build_manifest(params: RunParams, paramset: str, params_file: Path, district: District,
                   timings: dict[str, float], started: str, finished: str) -> dict[str, Any]:
    """Everything a reviewer needs to re-run: parameters, data hashes, versions, commit, seed and timings."""
    try:
        rel = str(params_file.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        rel = str(params_file.resolve())
    return {
        "paramset": paramset,
        "params_file": rel,
        "params": params.model_dump(),
        "seed": params.seed,
        "data": {
            "folder": params.data_dir,
            "synthetic": district.synthetic,
            "files": {k: {"file": f.file, "sha256": f.sha256, "rows": f.rows, "format": f.fmt,
                          "encoding": f.encoding} for k, f in sorted(district.files.items())},
        },
        "versions": package_versions(),
        "git": git_commit(),
        "notebooks": list(timings),
        "timings_s": timings,
        "started": started,
        "finished": finished,
        "command": f"jinlin run --params {rel}",
    }


def publish_folder(tmp: Path, final: Path) -> None:
    """Swap ``tmp`` in for ``final``; the old report is removed only once the new one is in place."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    try:
        tmp.rename(final)
    except OSError:
        if old.exists():
            old.rename(final)
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def run(params_file: str | Path | None = None, overrides: dict[str, Any] | None = None,
        out_root: Path | None = None, progress: Callable[[str], None] | None = None,
        name: str | None = None) -> RunResult:
    """Run a parameter set end to end and publish ``reports/<paramset>/``; see the module docstring."""
    import json
    from datetime import datetime, timezone

    params, paramset = load_params(params_file, overrides)
    paramset = name or paramset
    out_root = out_root or REPORTS_DIR
    _preflight(params)
    data_dir = resolve(params.data_dir)
    district, problems = read_district(data_dir)
    if district is None:
        raise DataValidationError(problems, str(data_dir))
    final = out_root / paramset
    failed = out_root / f"{paramset}.failed"
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with output_lock(out_root, paramset), interruptible():
        tmp = out_root / f".{paramset}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            timings = execute_notebooks(params.notebook_list(), params, tmp, progress)
            (tmp / "_prior_results.json").unlink(missing_ok=True)
            nbs = [nbformat.read(tmp / f"{n}.ipynb", as_version=4) for n in params.notebook_list()]
            records = read_records(nbs)
            (tmp / "results.json").write_text(results_json(records), encoding="utf-8")
            title = "近邻治理评估报告" if params.language == "zh" else "Neighbourhood governance evaluation"
            lead = [summary_cell(records, params.language, district.synthetic, params.confidence)]
            (tmp / "report.html").write_text(render_html(nbs, title, params.language, lead), encoding="utf-8")
            render_docx(tmp / "report.html", tmp / "report.docx", params.language)
            finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
            manifest = build_manifest(params, paramset, Path(params_file or "params/default.yaml"), district,
                                      timings, started, finished)
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                                               + "\n", encoding="utf-8")
            _scan(tmp, district.personal_values)
        except BaseException as e:
            shutil.rmtree(failed, ignore_errors=True)
            if tmp.exists():
                tmp.rename(failed)
            kept = f"The previous report{' in ' + str(final) if final.exists() else ''} is unchanged."
            if isinstance(e, RunFailed):
                raise RunFailed(str(e).replace(str(tmp), str(failed)) + "\n" + kept) from None
            if isinstance(e, KeyboardInterrupt):
                raise RunFailed(f"the run was interrupted; what had run is in {failed}.\n{kept}") from None
            if isinstance(e, OSError):  # a full disk, a permission, a vanished folder
                raise RunFailed(f"writing the report failed: {e}\nwhat was written is in {failed}.\n{kept}\n"
                                f"fix: free disk space or check the permissions of {out_root}, then run again") from None
            raise
        publish_folder(tmp, final)
        shutil.rmtree(failed, ignore_errors=True)
    return RunResult(final, records, timings)


def _preflight(params: RunParams) -> None:
    """Checks of the parameters that need the file system, before any kernel starts."""
    from ..errors import ParameterError

    if "50_award_claims" in params.notebook_list():
        sub = resolve(params.submission)
        if not sub.is_file():
            raise ParameterError(f"submission = {params.submission!r}: no such file ({sub})\n"
                                 f"fix: give the path of a .md, .txt or .docx submission, relative to the project root")
    for name in params.notebook_list():
        if not (NOTEBOOKS_DIR / f"{name}.ipynb").exists():
            raise ParameterError(f"notebook {name} is missing from {NOTEBOOKS_DIR}")


def _scan(folder: Path, known_values: frozenset[str]) -> None:
    """Refuse to publish if any artefact holds a personal value from the inputs, or anything shaped like one."""
    from ..privacy import PersonalDataLeak, assert_clean

    try:
        assert_clean(sorted(p for p in folder.rglob("*") if p.is_file()), known_values=known_values)
    except PersonalDataLeak as e:
        raise RunFailed(f"personal data found in the outputs; nothing was published.\n{e}") from None
