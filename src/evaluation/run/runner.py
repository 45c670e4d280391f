"""Run a parameter set: validate, execute every notebook with papermill, and publish the report atomically.

The order of a run (issue: "A fresh clone runs the whole evaluation"):
1. validate the parameters and the district's data, before any kernel starts;
2. take a lock on the output folder so two runs cannot interleave;
3. execute the notebooks in order into a temporary folder (kernel ``python3``, explicit timeout, one retry of a
   failed kernel start), showing progress;
4. collect the recorded figures into ``results.json``, render the HTML report, write ``manifest.json``;
5. scan every artefact for personal data;
6. swap the temporary folder in for the old report in one atomic step (:func:`publish_folder`). On any failure the
   old report stays as it was, and the failed notebook is kept in ``reports/<run>.failed/`` with its error visible,
   after the same privacy scan as a published report, with every personal value found masked
   (:func:`quarantine`).

A run with ``-p`` overrides publishes to its own folder, ``reports/<paramset>+<overrides>``
(:func:`evaluation.params.run_name`), never to ``reports/<paramset>``. The reports folder must be writable: that is
checked before the data are read, not after the notebooks ran. A run killed with SIGKILL leaves its temporary folder
``reports/.<run>.tmp-<pid>``; the next run removes it once it holds its lock (:func:`clean_stale`).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import tempfile
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from filelock import FileLock, Timeout, lock_descriptor, unlock_descriptor

from ..config import CHECKOUT, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR, resolve
from ..data.loader import District, read_district
from ..errors import DataValidationError, JinlinError, RunFailed
from ..params import RunParams, check_run_name, load_params, run_name
from ..report.docx import render_docx
from ..report.figures import write_figures_xlsx
from ..report.html import render_html
from ..report.summary import summary_cell
from ..report.record import read_records, results_json
from ..text.i18n import plain
from .worker import KERNEL, snapshot_environment, execute_notebook, notebook_pool

__all__ = ["KERNEL", "RunResult", "run", "execute_notebook", "execute_notebooks", "notebook_pool", "last_timings",
           "notebook_parameters", "build_manifest", "output_lock", "working_folder",
           "publish_folder", "interruptible", "git_commit", "package_versions", "manifest_checksum", "clean_stale",
           "check_writable", "quarantine", "mask_message"]

# Notebooks that read the export files themselves, not only the typed tables: 00 reports on the files (formats,
# encodings, recoded values, warnings, and the missing cells of free-text columns, which no snapshot holds). It loads
# the district folder; the others read the run's Parquet snapshot of it (see run()), which also carries the exports'
# names and hashes that 50 cites (evaluation.data.loader.with_source_files).
RAW_DATA_NOTEBOOKS = frozenset({"00_data_quality"})
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
        raise JinlinError(f"{path.name} must have exactly one cell tagged 'parameters' (found {len(tagged)})",
                          zh=f"{path.name} 必须恰有一个标记为 'parameters' 的单元格（现有 {len(tagged)} 个）")
    return dict(pm.inspect_notebook(str(path)))


# How long output_lock waits for the lock before saying another run holds it. Not 0: :func:`clean_stale` of a run of
# another name probes this lock for an instant (:func:`_lock_holder`), and a run starting at that instant must not be
# turned away; a run that really holds the lock holds it for minutes.
LOCK_WAIT = 0.5


@contextlib.contextmanager
def output_lock(out_root: Path, name: str) -> Iterator[Path]:
    """An exclusive lock on ``reports/<name>``, held through the file ``reports/.<name>.lock``.

    The lock is the operating system's (:class:`filelock.FileLock`, ``flock`` on Linux and macOS), not the file's
    existence: it goes with the process, so a run that is killed, even by SIGKILL, leaves no lock to take over, and a
    reused pid cannot make an old lock look alive. The holder writes its pid into the file, only for the message
    another run gives. The file is removed when the lock is released, so ``reports/`` lists only reports.
    """
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / f".{name}.lock"
    lock = FileLock(path, timeout=LOCK_WAIT, on_acquired=_write_pid)
    try:
        lock.acquire()
    except Timeout:
        pid = _read_pid(path)
        raise JinlinError(
            f"another run{f' (process {pid})' if pid else ''} is writing {out_root / name}.\n"
            f"fix: wait for it to finish, then run again",
            zh=f"另一个运行{f'（进程 {pid}）' if pid else ''}正在写出 {out_root / name}。\n"
            "修改：等它完成后再重新运行") from None
    try:
        clean_stale(out_root, name)
        yield path
    finally:
        # Unlinked while still held: a run waiting on the old file gets a file with no name once we let go, and
        # filelock then opens the path afresh (it checks st_nlink after each flock), so two runs never both hold it.
        path.unlink(missing_ok=True)
        lock.release()


@contextlib.contextmanager
def working_folder(out_root: Path, name: str) -> Iterator[Path]:
    """The private folder ``reports/.<name>.tmp-<pid>`` a run writes into, empty, while it holds
    :func:`output_lock` for ``name`` and a Ctrl-C or SIGTERM unwinds cleanly (:func:`interruptible`). The caller
    publishes it (:func:`publish_folder`) or moves it aside; what is left at a kill is removed by the next run's
    :func:`clean_stale`."""
    with output_lock(out_root, name), interruptible():
        tmp = out_root / f".{name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        yield tmp


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)


def _read_pid(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)")


def clean_stale(out_root: Path, name: str) -> list[Path]:
    """Remove what killed runs left in ``out_root``; return what was removed or restored.

    Call it only while holding :func:`output_lock` for ``name``: no other run of that name can then be writing, so
    every ``.<name>.tmp-<pid>`` of another process is left over from a run that died (SIGKILL, power cut), even if
    its pid has since been reused. A run holds its lock from before it creates its temporary folder until after the
    folder is gone, so the temporary folders of another run name are left over when no process holds that name's
    lock (:func:`_lock_holder`); while one does they are left alone. A ``.<run>.old-<pid>`` is a previous report
    moved aside by the non-atomic fallback of :func:`publish_folder`; if the kill came before the new report took
    its place, it is put back, else deleted.
    """
    done: list[Path] = []
    for entry in sorted(out_root.iterdir()) if out_root.is_dir() else ():
        m = _LEFTOVER.fullmatch(entry.name)
        if not m or int(m["pid"]) == os.getpid():
            continue
        if m["name"] != name and _lock_holder(out_root / f".{m['name']}.lock") is not None:
            continue  # another run at work
        final = out_root / m["name"]
        try:
            if m["kind"] == "old" and not os.path.lexists(final):
                entry.rename(final)
            else:
                _discard(entry)
        except OSError:  # another run cleaning the same leftover at the same moment
            continue
        done.append(entry)
    return done


def _lock_holder(lock: Path) -> int | None:
    """The process holding ``lock`` (its pid, or -1 when the file does not say), or None when no process holds it.

    Probed with a non-blocking ``flock`` that is let go at once; a lock file that no process holds (left by an older
    version of this module, which kept its lock in the file itself) counts as free.
    """
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError:
        return -1  # unreadable: assume someone holds it
    try:
        if lock_descriptor(fd, blocking=False):
            unlock_descriptor(fd)
            return None
    except OSError:
        return -1  # no flock on this file system: assume held, as for an unreadable file
    finally:
        os.close(fd)
    return _read_pid(lock) or -1


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
                      progress: Callable[[str], None] | None = None, workers: int = 1,
                      snapshot: Path | None = None, expected: dict[str, float] | None = None,
                      pool: Any = None, finished: Callable[[list[str]], None] | None = None) -> dict[str, float]:
    """Execute ``names`` into ``out_dir``; raise :class:`RunFailed` naming the failed notebook.

    A notebook that declares ``prior_results`` (50) needs the figures of every notebook before it, so it starts
    once they have all finished. The notebooks between two such barriers do not depend on each other (00–40):
    with ``workers`` > 1 they run at the same time in a process pool (:func:`notebook_pool`; ``pool`` is one the
    caller opened, else one is opened here), and every batch runs in that pool, so each worker's kernel serves all
    the notebooks the worker runs (:func:`execute_notebook`). Every notebook gets exactly the parameters a
    sequential run gives it and writes its own file, and the results are read back in run order, so
    ``results.json`` is the same byte for byte. When several fail, the first in run order is the one reported.

    ``expected`` (seconds by notebook, e.g. the last run's timings, :func:`last_timings`) orders the pool's queue:
    the longest notebook of a batch starts first, so the batch does not end with one long notebook running alone
    on one core (longest processing time first). Notebooks without a timing start first, in run order. Only the
    start order changes: progress, timings and results stay in run order.

    With ``snapshot`` (a Parquet snapshot of the district, :func:`evaluation.run.profiles.write_snapshot`), or
    one named in :data:`evaluation.data.loader.SNAPSHOT_ENV` as :func:`run` does, every notebook but
    :data:`RAW_DATA_NOTEBOOKS` loads it in place of ``data_dir`` (its parameters are unchanged).

    ``finished(names)`` is called with notebooks that ran to the end while a later batch is still to run, once a
    core is free (:func:`run` renders their HTML meanwhile, :class:`_RenderAhead`): in a pool, from the moment at
    most ``workers`` - 1 notebooks of the batch are still running, those that ended so far and then each as it ends
    (before, every core runs a notebook, and rendering would slow them); in this process, each as it ends.
    """
    if workers < 1:
        raise JinlinError(f"workers must be at least 1 (got {workers})", zh=f"workers 至少为 1（现为 {workers}）")
    if pool is None and workers > 1 and len(names) > 1:
        with notebook_pool(workers, names) as own:
            return execute_notebooks(names, params, out_dir, progress, workers, snapshot, expected, own, finished)
    values = params.model_dump()
    lang = params.language  # the progress lines follow the run's language, as its messages do (issue 17)
    timings: dict[str, float] = {}
    declared = {name: notebook_parameters(NOTEBOOKS_DIR / f"{name}.ipynb") for name in names}
    from ..data.loader import SNAPSHOT_ENV

    redirect = (f"{resolve(params.data_dir)}{os.pathsep}{snapshot}" if snapshot is not None
                else os.environ.get(SNAPSHOT_ENV) or None)

    def snap(name: str) -> str | None:
        return None if name in RAW_DATA_NOTEBOOKS else redirect

    def inject_for(i: int, name: str) -> dict[str, Any]:
        inject = {k: values[k] for k in declared[name] if k in values}
        if "prior_results" in declared[name]:
            done = [nbformat.read(out_dir / f"{n}.ipynb", as_version=4) for n in names[:i]]
            prior = out_dir / "_prior_results.json"
            prior.write_text(results_json(read_records(done)), encoding="utf-8")
            inject["prior_results"] = str(prior)
        return inject

    # batches of notebooks that may run together: a notebook reading prior results starts a batch of its own
    batches: list[list[int]] = []
    for i, name in enumerate(names):
        if not batches or "prior_results" in declared[name] or "prior_results" in declared[names[batches[-1][0]]]:
            batches.append([i])
        else:
            batches[-1].append(i)

    def report(i: int, res: dict[str, Any]) -> None:
        timings[names[i]] = res["seconds"]
        if progress and res["retried"]:
            progress(plain("run.progress.retried", lang, retried=res["retried"]))
        if res["status"] != "ok":
            if progress:
                progress(plain("run.progress.failed", lang))
            raise RunFailed(res["error"], res.get("error_zh", ""))
        if progress:
            progress(plain("run.progress.done", lang, seconds=res["seconds"]))

    def died(name: str, e: BaseException) -> dict[str, Any]:
        return {"name": name, "status": "failed", "seconds": float("nan"), "retried": None,
                "error": f"the worker running {name} died: {type(e).__name__}: {e}",
                "error_zh": f"运行 {name} 的进程意外退出：{type(e).__name__}: {e}"}

    known = expected or {}
    try:
        for b, batch in enumerate(batches):
            ahead = finished if b < len(batches) - 1 else None  # only while a later batch is still to run
            if pool is None:
                for i in batch:
                    if progress:
                        progress(f"[{i + 1}/{len(names)}] {names[i]} …")
                    report(i, execute_notebook(names[i], inject_for(i, names[i]), str(out_dir),
                                               params.execution_timeout, snap(names[i])))
                    if ahead is not None:
                        ahead([names[i]])
                continue
            from .pool import run_pool

            if progress and len(batch) > 1:
                progress(plain("run.progress.batch", lang, first=batch[0] + 1, last=batch[-1] + 1, n=len(names),
                               names=plain("punct.list", lang).join(names[i] for i in batch),
                               workers=min(workers, len(batch))))
            elif progress:
                progress(f"[{batch[0] + 1}/{len(names)}] {names[batch[0]]} …")
            first = sorted(batch, key=lambda i: -known.get(names[i], float("inf")))  # stable: ties keep run order
            jobs = [(names[i], inject_for(i, names[i]), str(out_dir), params.execution_timeout, snap(names[i]))
                    for i in first]
            done = run_pool(execute_notebook, jobs, lambda job: job[0], workers, died,
                            desc=plain("run.progress.bar", lang), unit_name=plain("run.progress.unit", lang),
                            in_process_when_single=False, executor=pool,
                            on_result=_when_a_core_is_free(len(jobs), workers, ahead) if ahead else None)
            for i in batch:  # in run order: the first failure in that order is the one reported
                if progress and len(batch) > 1:
                    progress(f"  {names[i]}:")
                report(i, done[names[i]])
    finally:
        if pool is None:
            from .kernel import close_warm_kernel

            close_warm_kernel()  # the kernel this process kept for the notebooks it ran itself
    return {n: timings[n] for n in names}


def _when_a_core_is_free(n_jobs: int, workers: int, finished: Callable[[list[str]], None]
                         ) -> Callable[[str, dict[str, Any]], None]:
    """``on_result`` for :func:`~evaluation.run.pool.run_pool`: hands the notebooks that ended well to ``finished``,
    held back until at most ``workers`` - 1 of the ``n_jobs`` are still running (see :func:`execute_notebooks`)."""
    ended: list[str] = []
    held: list[str] = []

    def on_result(name: str, res: dict[str, Any]) -> None:
        ended.append(name)
        if res.get("status") == "ok":
            held.append(name)
        if held and n_jobs - len(ended) < workers:
            finished(held.copy())
            held.clear()

    return on_result


def last_timings(folder: Path) -> dict[str, float]:
    """The seconds each notebook took in the report published in ``folder`` (its ``manifest.json``), or {} when
    there is none or it cannot be read: only a scheduling hint (:func:`execute_notebooks`), never trusted further."""
    try:
        timings = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("timings_s") or {}
        return {str(k): float(v) for k, v in timings.items() if isinstance(v, (int, float)) and v == v}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def git_commit() -> dict[str, Any]:
    if CHECKOUT is None:
        # An installed package has no commit (its version is in the manifest's versions); the git repository the
        # user happens to run in, if any, is not the code's.
        return {"commit": None, "dirty": None}
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=CHECKOUT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=CHECKOUT,
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


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where that is unavailable.

    Neither path is ever missing: a reader sees the old folder or the new one, and a kill at any instant leaves both.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc before 2.28, musl
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without exchange support
        return False
    raise OSError(err, os.strerror(err), str(b))


def _discard(path: Path) -> None:
    """Delete a replaced or left-over run folder (a separate function so a test can kill the process here)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def publish_folder(tmp: Path, final: Path) -> None:
    """Put ``tmp`` in place of ``final`` in one atomic step, then delete the old report.

    With no old report this is one ``rename``. Otherwise the two folders are exchanged with ``renameat2``
    (``RENAME_EXCHANGE``): ``final`` is the old report until that call and the new one after it, with no instant in
    between, and the old report, now at ``tmp``, is deleted afterwards (a kill before the deletion leaves it as a
    temporary folder that the next run removes). Where the file system cannot exchange (not Linux, or e.g. some
    network file systems), the old report is first renamed to ``.<name>.old-<pid>``; a kill between the two renames
    then leaves it there, and the next run of the same name puts it back (:func:`clean_stale`).
    """
    if not os.path.lexists(final):
        tmp.rename(final)
        return
    if _exchange(tmp, final):
        _discard(tmp)
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    final.rename(old)
    try:
        tmp.rename(final)
    except OSError:
        old.rename(final)
        raise
    _discard(old)


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what a re-run trusts in a manifest: ``paramset``, ``params`` and ``data``.

    Canonical: keys sorted, no spaces, UTF-8. This is tamper *evidence*, not authentication: it shows that the
    manifest was edited by hand after the run, but anyone who edits it can also recompute the hash.

    The digest is written in base32 (RFC 4648, upper case, no padding: 52 characters of A-Z and 2-7), not hex: about
    1 hex digest in 300 holds a run of digits that the privacy scan takes for a mobile number (and separators do not
    help, since phones written 138-1234-5678 are found too), which would block the run. Base32 has no 0, 1, 8 or 9,
    so it can hold no mobile or landline number.
    """
    body = {k: manifest.get(k) for k in ("paramset", "params", "data")}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return base64.b32encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii").rstrip("=")


def check_writable(out_root: Path) -> None:
    """Refuse, before any work, a reports folder that cannot be created or written."""
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".jinlin-write-check-", dir=out_root)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise JinlinError(f"the reports folder {out_root} cannot be written: {e.strerror or e}\n"
                          f"fix: make {out_root} writable (or free disk space), then run again; nothing was run",
                          zh=f"无法写入报告文件夹 {out_root}：{e.strerror or e}\n"
                          f"修改：使 {out_root} 可写（或腾出磁盘空间），然后重新运行；未运行任何笔记本") from None


def mask_message(text: str, known_values: frozenset[str] | set[str]) -> str:
    """``text`` with every personal value masked: phone, ID and e-mail shapes and the inputs' known values."""
    from ..privacy import mask_text
    from ..privacy.masking import names_pattern

    return mask_text(text, names_pattern(v for v in known_values if len(str(v).strip()) >= 2))


_TEXT_ARTEFACTS = frozenset({".ipynb", ".html", ".htm", ".json", ".md", ".txt", ".csv", ".tsv", ".svg", ".xml",
                             ".log", ".yaml", ".yml"})


def quarantine(tmp: Path, failed: Path, known_values: frozenset[str]) -> list[str]:
    """Move a failed run's folder to ``failed`` and mask the personal data in it, as publishing would scan it.

    Text artefacts (notebooks, HTML, JSON, Markdown, CSV) are rewritten with every phone, ID or e-mail shape and
    every known personal value of the inputs replaced by a placeholder (:func:`evaluation.privacy.mask_text`). The
    folder is then scanned (:func:`evaluation.privacy.scan_artefacts`); a file in which anything is still found
    (an image, a Word file, a file that cannot be read) is deleted. ``SCAN.txt`` lists what was masked or deleted,
    by file, place and kind, never the value. Returns the deleted files' names.
    """
    from ..privacy import mask_text, scan_artefacts
    from ..privacy.masking import names_pattern

    _discard(failed)
    if not tmp.exists():
        return []
    tmp.rename(failed)
    pattern = names_pattern(v for v in known_values if len(str(v).strip()) >= 2)
    masked: list[str] = []
    for f in sorted(p for p in failed.rglob("*") if p.is_file()):
        if f.suffix.lower() not in _TEXT_ARTEFACTS:
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # the scan below flags it as unscannable, and it is deleted
        out = mask_text(text, pattern)
        if out != text:
            f.write_text(out, encoding="utf-8")
            masked.append(f.relative_to(failed).as_posix())
    findings = scan_artefacts(failed, known_values)
    deleted: list[str] = []
    for name in sorted(set(findings["file"])):
        Path(name).unlink(missing_ok=True)
        deleted.append(Path(name).relative_to(failed).as_posix())
    lines = ["This folder is the work of a failed run, scanned for personal data like a published report.",
             "Masked (personal values replaced by placeholders): " + (", ".join(masked) or "none"),
             "Deleted (personal data that could not be masked):"]
    lines += [f"  {mask_message(r.file, known_values)} | {mask_message(r.location, known_values)} | {r.kind}"
              for r in findings.itertuples(index=False)] or ["  none"]
    (failed / "SCAN.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return deleted


def run(params_file: str | Path | None = None, overrides: dict[str, Any] | None = None,
        out_root: Path | None = None, progress: Callable[[str], None] | None = None,
        name: str | None = None, workers: int = 1, pool: Any = None) -> RunResult:
    """Run a parameter set end to end and publish ``reports/<run>/``; see the module docstring.

    ``<run>`` is ``name`` if given, else the parameter set's name with the overrides appended
    (:func:`evaluation.params.run_name`), so an override run never replaces the report of its parameter set.
    ``workers`` kernels run the independent notebooks at the same time (:func:`execute_notebooks`); the report is
    the same whatever their number. ``pool``: a :func:`notebook_pool` of ``workers`` the caller opened (and closes),
    e.g. before importing this module, as the command line does: its kernels then start sooner.
    """
    from datetime import datetime, timezone

    overrides = dict(overrides or {})
    if workers < 1:
        raise JinlinError(f"workers must be at least 1 (got {workers})", zh=f"workers 至少为 1（现为 {workers}）")
    params, paramset = load_params(params_file, overrides)
    folder_name = check_run_name(name, "report folder name", "报告文件夹名称") if name else run_name(paramset, overrides)
    out_root = out_root or REPORTS_DIR
    _preflight(params)
    check_writable(out_root)
    # the pool's kernels start and import while the district is read and validated (no notebook runs before)
    opened = contextlib.nullcontext(pool) if pool is not None else notebook_pool(workers, params.notebook_list())
    with interruptible(), opened as pool:
        data_dir = resolve(params.data_dir)
        district, problems = read_district(data_dir)
        if district is None:
            raise DataValidationError(problems, str(data_dir))
        _check_report_year(params, district)
        final = out_root / folder_name
        failed = out_root / f"{folder_name}.failed"
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with working_folder(out_root, folder_name) as tmp, _RenderAhead(tmp) as ahead:
            snapshot: Path | None = None
            try:
                # passed only when it matters, so a stand-in with the original four parameters still fits
                extra: dict[str, Any] = ({"workers": workers, "expected": last_timings(final), "pool": pool,
                                          "finished": ahead.submit} if workers != 1 else {})
                redirect = None
                if any(n not in RAW_DATA_NOTEBOOKS for n in params.notebook_list()):
                    snapshot = _write_run_snapshot(district)
                    redirect = f"{data_dir}{os.pathsep}{snapshot}"
                # the snapshot goes by the environment, which execute_notebooks hands on to its kernels
                with snapshot_environment(redirect):
                    timings = execute_notebooks(params.notebook_list(), params, tmp, progress, **extra)
                if pool is not None:  # its workers and their kernels go while the report is written
                    pool.shutdown(wait=False)
                (tmp / "_prior_results.json").unlink(missing_ok=True)
                nbs = [nbformat.read(tmp / f"{n}.ipynb", as_version=4) for n in params.notebook_list()]
                records = read_records(nbs)
                (tmp / "results.json").write_text(results_json(records), encoding="utf-8")
                title = plain("report.title", params.language)
                lead = [summary_cell(records, params.language, district.synthetic, params.confidence)]
                bodies = ahead.bodies(params.notebook_list())
                (tmp / "report.html").write_text(render_html(nbs, title, params.language, lead, bodies),
                                                 encoding="utf-8")
                # pandoc (a process of its own) converts while this one writes the figures and scans the rest;
                # leaving the block waits for it, so nothing is moved or masked while it writes
                with ThreadPoolExecutor(max_workers=1) as side:
                    docx = side.submit(render_docx, tmp / "report.html", tmp / "report.docx", params.language)
                    write_figures_xlsx(records, tmp / "figures.xlsx", params.language)
                    _scan(tmp, district.personal_values, skip={"report.docx"})
                    docx.result()
                finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
                # "paramset" names the run's folder (as a re-run's default name builds on it); params_file the file
                manifest = build_manifest(params, folder_name, Path(params_file or "params/default.yaml"), district,
                                          timings, started, finished)
                manifest["overrides"] = json.loads(json.dumps(overrides, default=str))
                if overrides:
                    manifest["command"] += "".join(f" -p {k}={v}" for k, v in sorted(manifest["overrides"].items()))
                manifest["params_sha256"] = manifest_checksum(manifest)
                (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                                                   + "\n", encoding="utf-8")
                _scan(tmp, district.personal_values, only={"report.docx", "manifest.json"})
            except BaseException as e:
                ahead.close()  # nothing reads the folder while it is moved or masked
                _quarantine_or_delete(tmp, failed, district.personal_values)
                kept = f"The previous report{' in ' + str(final) if final.exists() else ''} is unchanged."
                kept_zh = f"{'此前的报告 ' + str(final) if final.exists() else '此前的报告'}保持不变。"

                def masked(text: str) -> str:
                    return mask_message(text.replace(str(tmp), str(failed)), district.personal_values)

                if isinstance(e, RunFailed):
                    zh_text = e.zh and masked(e.zh) + "\n" + kept_zh
                    raise RunFailed(masked(str(e)) + "\n" + kept, zh_text) from None
                if isinstance(e, KeyboardInterrupt):
                    raise RunFailed(f"the run was interrupted; what had run is in {failed}.\n{kept}",
                                    f"运行被中断；已运行的部分在 {failed}。\n{kept_zh}") from None
                if isinstance(e, OSError):  # a full disk, a permission, a vanished folder
                    raise RunFailed(masked(f"writing the report failed: {e}\nwhat was written is in {failed}.\n{kept}\n"
                                           f"fix: free disk space or check the permissions of {out_root}, then run again"),
                                    masked(f"写出报告失败：{e}\n已写出的部分在 {failed}。\n{kept_zh}\n"
                                           f"修改：腾出磁盘空间或检查 {out_root} 的权限，然后重新运行")) from None
                raise
            finally:
                if snapshot is not None:
                    shutil.rmtree(snapshot, ignore_errors=True)
            publish_folder(tmp, final)
            _discard(failed)
    return RunResult(final, records, timings)


class _RenderAhead:
    """The HTML of the notebooks that have finished (:func:`evaluation.report.html.notebook_html`), rendered in a
    thread of this process while notebook 50 runs in its kernel, so that report.html is mostly written when 50 ends.

    A body is used only for the exact bytes it was rendered from: :meth:`bodies` gives None for a notebook whose file
    changed since (or whose rendering failed), and :func:`~evaluation.report.html.render_html` renders that one
    again, so report.html is what rendering every notebook at the end gives, byte for byte.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._jobs: dict[str, Any] = {}

    def __enter__(self) -> _RenderAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, names: list[str]) -> None:
        for name in names:
            self._jobs[name] = self._pool.submit(self._render, self.folder / f"{name}.ipynb")

    @staticmethod
    def _render(path: Path) -> tuple[bytes, str]:
        from ..report.html import notebook_html

        data = path.read_bytes()
        return hashlib.sha256(data).digest(), notebook_html(nbformat.reads(data.decode("utf-8"), as_version=4))

    def bodies(self, names: list[str]) -> list[str | None]:
        out: list[str | None] = []
        for name in names:
            job = self._jobs.get(name)
            try:
                digest, body = job.result() if job is not None else (None, None)
                same = digest == hashlib.sha256((self.folder / f"{name}.ipynb").read_bytes()).digest()
            except Exception:  # noqa: BLE001 - rendered again at the end, where an error is reported
                same = False
            out.append(body if same else None)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _write_run_snapshot(district: District) -> Path:
    """The district validated by this run as a Parquet snapshot in a private temporary folder (mode 700).

    The design of ``jinlin profiles``: typed, validated, pseudonymised tables without any personal or free-text
    column, outside ``reports/``, deleted at the end of the run (or by the next run when this one was killed).
    Each kernel then reads Parquet (about 2 s on the bundled district) instead of parsing the exports (about 6 s).
    """
    from .profiles import make_snapshot_dir, write_snapshot

    folder = make_snapshot_dir()
    try:
        return write_snapshot(district, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _preflight(params: RunParams) -> None:
    """Checks of the parameters that need the file system, before any kernel starts."""
    from ..errors import ParameterError

    if "50_award_claims" in params.notebook_list():
        sub = resolve(params.submission)
        if not sub.is_file():
            raise ParameterError(f"submission = {params.submission!r}: no such file ({sub})\n"
                                 f"fix: give the path of a .md, .txt or .docx submission, relative to the project root",
                                 f"submission = {params.submission!r}：没有这个文件（{sub}）\n"
                                 "修改：给出 .md、.txt 或 .docx 格式的申报材料路径，相对于项目根目录")
    for name in params.notebook_list():
        if not (NOTEBOOKS_DIR / f"{name}.ipynb").exists():
            raise ParameterError(f"notebook {name} is missing from {NOTEBOOKS_DIR}\n"
                                 "fix: reinstall the package or restore the notebook from git",
                                 f"{NOTEBOOKS_DIR} 中缺少笔记本 {name}\n修改：重新安装本软件包，或从 git 恢复该笔记本")


def _check_report_year(params: RunParams, district: District) -> None:
    """Refuse a report year after the data's last year, naming it, before any kernel starts (issue 17: a report year
    of 2030 stopped notebook 30 with "no population for the report or comparison year")."""
    from ..data.quality import table_overview
    from ..errors import ParameterError

    overview = table_overview(district.tables, district.files)
    years = overview.dropna(subset=["last"])
    if years.empty:
        return
    last = int(years["last"].max())
    if params.report_year > last:
        tables = years.loc[years["last"] == last, "table"].astype(str).tolist()
        where_zh = "、".join(tables[:3]) + ("等表" if len(tables) > 3 else "")
        where = ", ".join(tables[:3]) + (" and others" if len(tables) > 3 else "")
        raise ParameterError(f"report_year = {params.report_year} is beyond the data: their last year is {last} "
                             f"({where})\nfix: set report_year to {last} or earlier, e.g. -p report_year={last}",
                             f"报告年份 report_year = {params.report_year} 晚于数据的最后一年 {last}（{where_zh}）\n"
                             f"修改：把 report_year 设为 {last} 或更早，例如 -p report_year={last}")


def _quarantine_or_delete(tmp: Path, failed: Path, known_values: frozenset[str]) -> None:
    # If masking itself fails (or a second Ctrl-C lands in it), an unmasked folder must not stay on disk.
    try:
        quarantine(tmp, failed, known_values)
    except Exception:  # noqa: BLE001 - the run's own error is the one to report
        _discard(tmp)
        _discard(failed)
    except BaseException:
        _discard(tmp)
        _discard(failed)
        raise


def _scan(folder: Path, known_values: frozenset[str], skip: Collection[str] = frozenset(),
          only: Collection[str] | None = None) -> None:
    """Refuse to publish if any artefact holds a personal value from the inputs, or anything shaped like one.

    Every file of ``folder`` is scanned but those named in ``skip`` (paths relative to ``folder``), or, given
    ``only``, just those named there (:func:`run` scans in two steps, the Word file once pandoc has written it).

    The message names each finding by file, place and kind only. The scanner's excerpts are left out: they mask the
    values it found, but a neighbouring personal value it did not recognise would be printed in clear.
    """
    from ..privacy import PersonalDataLeak, assert_clean

    try:
        assert_clean(sorted(p for p in folder.rglob("*")
                            if p.is_file() and p.relative_to(folder).as_posix() not in skip
                            and (only is None or p.relative_to(folder).as_posix() in only)),
                     known_values=known_values)
    except PersonalDataLeak as e:
        f = e.findings
        lines = [f"  {Path(r.file).relative_to(folder).as_posix()} | {r.location} | {r.kind}"
                 for r in f.head(50).itertuples(index=False)]
        more = [f"  … and {len(f) - 50} more"] if len(f) > 50 else []
        more_zh = [f"  ……另有 {len(f) - 50} 处"] if len(f) > 50 else []
        raise RunFailed(
            f"personal data found in the outputs; nothing was published.\n{len(f)} finding(s) in "
            f"{f['file'].nunique()} file(s) (file | place | kind):\n" + "\n".join(lines + more)
            + f"\nfix: {folder}/SCAN.txt lists the same places, and the folder keeps the outputs with the values "
            "masked; remove the personal values from the input columns they come from (categories, types, unit or "
            "district names), or report the notebook that prints them",
            zh=f"输出中发现个人信息；没有发布任何内容。\n{f['file'].nunique()} 个文件中共 {len(f)} 处"
            "（文件 | 位置 | 类型）：\n" + "\n".join(lines + more_zh)
            + f"\n修改：{folder}/SCAN.txt 列出了同样的位置，该文件夹保留了已遮盖这些值的输出；请从这些值所在的输入列"
            "（类别、类型、单位或区的名称）中删去个人信息，或报告打印它们的笔记本") from None
