"""One worker pool for every job list the report layer runs in parallel (profiles, sweep variants, notebooks).

Each job is a tuple of arguments for ``unit``, a top-level function (it crosses to a ``spawn`` process: kernels, ZMQ
sockets and threads do not survive ``fork`` reliably). A job whose worker died (killed, out of memory) or raised
is turned into a result by ``on_error``, so one job never takes the others down. Results are keyed, never ordered
by completion: the callers sort them, which keeps their outputs independent of which worker finished first.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

__all__ = ["run_pool", "stop_pool"]


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` now, its running jobs with it: after an interruption (Ctrl-C, SIGTERM made KeyboardInterrupt)
    nobody should wait minutes for them to end. Each worker is sent SIGTERM, on which a notebook worker kills its
    kernel before it exits (:func:`evaluation.run.kernel._on_terminate`)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()


def run_pool(unit: Callable[..., dict[str, Any]], jobs: Sequence[tuple], key: Callable[[tuple], str],
             workers: int, on_error: Callable[[str, BaseException], dict[str, Any]], *, desc: str, unit_name: str,
             progress: bool = False, in_process_when_single: bool = True,
             submit: Callable[[Callable[[str, Callable[[], dict[str, Any]]], None]], None] | None = None,
             executor: ProcessPoolExecutor | None = None,
             on_result: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run ``unit(*job)`` for every job; return ``{key(job): result}``.

    ``workers`` processes of a ``spawn`` pool (never more than there are jobs); with one worker or one job and
    ``in_process_when_single`` the jobs run in this process, one after the other (no process start-up, and a test's
    stand-in for ``unit`` need not be importable). ``submit``, when given, replaces the local pool: it is called
    with ``collect(key, get)`` and must call it once per job (the sweep's Dask scheduler). ``on_error(key, exc)``
    builds the result of a job whose ``get`` raised. A tqdm bar named ``desc`` counts ``unit_name``s on stderr
    when ``progress``. A result needs a ``status`` entry, shown on the bar. ``executor``, a running process pool
    (the runner's, whose workers keep their kernels between batches), is used in place of a new one and left
    running for the caller to shut down, except on an interruption, when it is stopped like a pool of its own.
    ``on_result(key, result)`` is called as each job ends, in the order they end.
    """
    from tqdm.auto import tqdm

    out: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(jobs), desc=desc, unit=unit_name, disable=not progress)

    def collect(name: str, get: Callable[[], dict[str, Any]]) -> None:
        try:
            res = get()
        except Exception as e:  # noqa: BLE001 - a worker process that died (killed, out of memory)
            res = on_error(name, e)
        out[name] = res
        bar.set_postfix_str(f"{name}: {res.get('status')}", refresh=False)
        bar.update(1)
        if on_result is not None:
            on_result(name, res)

    try:
        if submit is not None:
            submit(collect)
        elif in_process_when_single and (workers <= 1 or len(jobs) <= 1):
            for job in jobs:
                collect(key(job), lambda job=job: unit(*job))
        elif jobs:
            ctx = multiprocessing.get_context("spawn")
            pool = executor or ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=ctx)
            try:
                futures = {pool.submit(unit, *job): key(job) for job in jobs}
                for fut in as_completed(futures):
                    collect(futures[fut], fut.result)
            except BaseException:
                stop_pool(pool)
                raise
            if executor is None:
                pool.shutdown()
    finally:
        bar.close()
    return out
