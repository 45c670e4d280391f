"""What a notebook worker runs: a notebook in this process's warm kernel, and the pool of such workers.

Kept apart from :mod:`evaluation.run.runner` so that a worker process imports only this module, papermill and the
kernel helpers (about 0.3 s), not the report layer, the loader and their libraries (about 1.2 s): a run's two
workers start their kernels while the main process imports and validates, on the same two cores, and every second
of CPU they do not spend there reaches the first notebook sooner. The runner re-exports every public name.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..config import KERNEL_CWD, NOTEBOOKS_DIR, SNAPSHOT_ENV
from ..errors import JinlinError

__all__ = ["KERNEL", "WARM_MODULES", "WARM_CODE", "execute_notebook", "notebook_pool", "snapshot_environment"]

KERNEL = "python3"


def execute_notebook(name: str, inject: dict[str, Any], out_dir: str, execution_timeout: int,
                     snapshot: str | None = None) -> dict[str, Any]:
    """Execute one notebook into ``out_dir`` in this process's warm kernel (one retry, in a new kernel, of a kernel
    that failed to start or died); never raises but for an interruption or a :class:`JinlinError`.

    The unit of work of :func:`execute_notebooks`, in this process or in a worker of its pool. Returns ``name``,
    ``status`` (``ok`` | ``failed``), ``seconds``, ``error`` (the message :class:`RunFailed` will carry) and
    ``retried`` (whether the kernel start was retried). ``snapshot`` (the value of
    :data:`evaluation.config.SNAPSHOT_ENV`) is put in the kernel's environment, and only in this one's.

    The kernel is the one this process ran its previous notebook in, reset to the state of a fresh kernel
    (:func:`evaluation.run.kernel.warm_kernel`), so a worker pays the kernel start and the imports once, not once
    per notebook. A kernel in which a notebook failed, timed out or died is shut down, never reused.
    """
    with snapshot_environment(snapshot):
        return _execute_one(name, inject, out_dir, execution_timeout, snapshot)


def snapshot_environment(snapshot: str | None) -> contextlib.AbstractContextManager[None]:
    """The kernel's environment (:func:`evaluation.run.kernel.kernel_environment`) with the run's snapshot named, or
    none named."""
    from .kernel import kernel_environment

    return kernel_environment({SNAPSHOT_ENV: snapshot or None})


def _execute_one(name: str, inject: dict[str, Any], out_dir: str, execution_timeout: int,
                 snapshot: str | None = None) -> dict[str, Any]:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .kernel import close_warm_kernel, warm_kernel

    src = NOTEBOOKS_DIR / f"{name}.ipynb"
    dst = Path(out_dir) / f"{name}.ipynb"
    t0 = time.perf_counter()
    retried = None
    for attempt in (1, 2):
        try:
            # a reused kernel gets the variable a new one would inherit from snapshot_environment
            km = warm_kernel(KERNEL_CWD, {SNAPSHOT_ENV: snapshot or None})
            pm.execute_notebook(str(src), str(dst), parameters=inject, kernel_name=KERNEL,
                                execution_timeout=execution_timeout, start_timeout=120,
                                progress_bar=False, cwd=str(KERNEL_CWD), log_output=False, km=km)
            break
        except PapermillExecutionError as e:
            close_warm_kernel()  # only a kernel that ran its notebook to the end is reused
            return {"name": name, "status": "failed", "seconds": round(time.perf_counter() - t0, 3),
                    "retried": retried,
                    "error": f"notebook {name} failed in cell {e.exec_count}: {e.ename}: {e.evalue}\n"
                             f"the executed notebook, with the error marked, is {dst}",
                    "error_zh": f"笔记本 {name} 在第 {e.exec_count} 个单元格出错：{e.ename}: {e.evalue}\n"
                                f"已执行的笔记本（出错处已标出）在 {dst}"}
        except (KeyboardInterrupt, JinlinError):
            close_warm_kernel()
            raise
        except Exception as e:  # a kernel that did not start, timed out or died; papermill raises several types
            close_warm_kernel()  # it may still be busy: the retry gets a new one
            if attempt == 2:
                return {"name": name, "status": "failed", "seconds": round(time.perf_counter() - t0, 3),
                        "retried": retried,
                        "error": f"the kernel for {name} failed twice to start or died: {type(e).__name__}: {e}"
                                 f"\nthe partial notebook is {dst}",
                        "error_zh": f"{name} 的内核两次启动失败或中途退出：{type(e).__name__}: {e}"
                                    f"\n未完成的笔记本在 {dst}"}
            retried = type(e).__name__
    return {"name": name, "status": "ok", "seconds": round(time.perf_counter() - t0, 3), "error": None,
            "retried": retried}


# What a pool worker's kernel imports while the run validates its data: the report layer and every notebook's page
# module with the statistics under it (2-5 s of a kernel's first notebook; the sections package imports a page only
# when asked, so each is named). A worker may run any notebook, so it imports them all, on a core the validation
# leaves idle. Binds no name: the notebook's namespace is a fresh one.
WARM_MODULES = ("IPython.display", "evaluation.report",
                *(f"evaluation.report.sections.{page}"
                  for page in ("quality", "participation", "survey", "services", "impact", "claims")))
WARM_CODE = f"for __m in {WARM_MODULES!r}:\n    __import__(__m)\ndel __m\n"


def _warm_worker(cwd: str) -> None:
    """Initializer of a notebook pool worker: start its warm kernel in ``cwd`` and import :data:`WARM_CODE` in it,
    while the main process validates the district. No notebook runs before :func:`run` has validated."""
    from .kernel import prestart_kernel

    prestart_kernel(cwd, WARM_CODE)


def _ready() -> None:
    """The no-op job that makes a pool start a worker (see :func:`notebook_pool`)."""


@contextlib.contextmanager
def notebook_pool(workers: int, names: Sequence[str] | int) -> Iterator[Any]:
    """A process pool of ``workers`` notebook workers, each starting its warm kernel at once (:func:`_warm_worker`),
    or None when the run has no two notebooks to run at the same time (``names``: the run's notebooks, or how many
    there may be). :func:`run` (or the command line, before it imports the runner) enters it before the district is
    read, so the kernels start and import while it is validated; :func:`execute_notebooks` runs every batch in it,
    so each worker's kernel serves all the notebooks the worker runs. Shut down on leaving; on an error (a refused
    district) or an interruption without waiting for running work, each worker killing its kernel as it goes
    (:func:`evaluation.run.pool.stop_pool`)."""
    count = names if isinstance(names, int) else len(names)
    if workers < 2 or count < 2:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .pool import stop_pool

    n = min(workers, count)
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_warm_worker, initargs=(str(KERNEL_CWD),))
    try:
        # a spawn pool starts a worker only when a job comes and none is idle: one no-op job each starts them now
        for _ in range(n):
            pool.submit(_ready)
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown()
