"""How the notebook kernels are started (:func:`kernel_manager`: over Unix sockets in a private folder, else over
TCP with CurveZMQ encryption where the kernel offers it) and kept warm between the notebooks one process runs
(:func:`warm_kernel`: the run's notebooks and the profiles).

Unix sockets (ZeroMQ's ``ipc`` transport), where the platform has them. Over TCP, jupyter_client picks each port by
binding port 0 and letting it go, and the kernel binds it a moment later: another process starting at the same
moment (the run's other worker, a test in parallel, anything on the machine) can take it in between. The kernel then
loses its heartbeat with a ZeroMQ "Address already in use" traceback on stderr, or fails to start (CI, stop 24: the
traceback reached the message of a refused run). Sockets named after the kernel, in a folder of this process's own
(mode 700), cannot collide, and no other user of the machine can connect to them.

Elsewhere, TCP. ipykernel 7 warns "Kernel is running over TCP without encryption" on every start over plain TCP
(issue 17: six times a run, 43 times for the profiles), on stderr, where no option of papermill reaches. The warning
names its cures, "Use IPC transport or launch with kernel manager-provisioned CurveZMQ keys", and jupyter_client
(8.10 and later) provisions the keys when asked (``KernelManager.transport_encryption``) and the kernelspec declares
``supported_encryption: curve``, as ipykernel's does. So the kernels are encrypted instead of the message being
hidden: nothing else on stderr is lost, and a kernel whose spec or libzmq cannot do it still starts, unencrypted, and
still warns.

A pool worker stopped by SIGTERM (:func:`evaluation.run.pool.stop_pool`: a refused or interrupted run) kills its
kernel before it exits (:func:`_on_terminate`). Left alone, the kernel would notice a second later that its parent
is gone and say so on stderr, under the refusal the user is reading.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["kernel_config", "kernel_manager", "warm_kernel", "prestart_kernel", "close_warm_kernel", "run_silent",
           "run_sync", "KERNEL_ENV", "kernel_environment"]


@lru_cache(maxsize=1)
def _can_encrypt() -> bool:
    import zmq
    from jupyter_client.manager import KernelManager

    # "auto" is refused outright (a TraitError at start) by a libzmq without CurveZMQ, and an older jupyter_client
    # has no such option; both keep the plain TCP start.
    return bool(zmq.has("curve")) and "transport_encryption" in KernelManager.class_trait_names()


def kernel_config() -> Any:
    """A traitlets ``Config`` for the kernel managers of papermill (``pm.execute_notebook(config=…)``) and of the
    warm profile kernels: transport encryption ``auto`` where it can work, else empty."""
    from traitlets.config import Config

    if not _can_encrypt():
        return Config()
    return Config({"KernelManager": {"transport_encryption": "auto"}})


# The environment every notebook kernel starts with: one thread for the numerical libraries. The runner already runs
# notebooks side by side, one kernel per core; a BLAS that also starts a thread per core makes every small matrix
# product (thousands per notebook: survey variances, model fits) wake, spin and wait on the other kernel's core, which
# cost about a tenth of a run's CPU. One thread also makes the figures independent of the machine's core count: a
# multi-threaded product may sum in another order on another machine. (The default district's results.json is the
# same bytes either way.)
KERNEL_ENV: dict[str, str] = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


@contextlib.contextmanager
def kernel_environment(extra: Mapping[str, str | None] | None = None) -> Iterator[None]:
    """This process's environment, while a kernel starts in it, with :data:`KERNEL_ENV` and ``extra`` (``None``
    removes a variable); restored afterwards. A kernel inherits the environment when it starts, and a process
    starts one kernel at a time."""
    change = {**KERNEL_ENV, **(extra or {})}
    before = {k: os.environ.get(k) for k in change}
    try:
        _set_environment(change)
        yield
    finally:
        _set_environment(before)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


# This process's warm kernel: {"km": manager, "cwd": folder it runs in}, kept between the notebooks this process
# runs (the profiles of a worker, the notebooks of a run). One per process: a process runs one notebook at a time.
_WARM: dict[str, Any] = {}
# Run in the warm kernel before each further notebook, silently (no execution count, no history, no output). It
# leaves the kernel as a fresh one would be for the next notebook: the namespace is emptied and the execution count
# and input history start again at 1 (a new history session, ``reset(new_session=True)``, as a new kernel starts
# one), figures are closed, warnings already shown will be shown again, the working folder is the kernel's, and the
# environment has the variables given (a kernel inherits them when it starts; a warm one was started before they
# were known). Imported modules stay, which is the point.
_RESET = """\
def __jinlin_reset(cwd, env):
    import gc, os, warnings
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    os.chdir(cwd)
    getattr(warnings, "_filters_mutated", lambda: None)()
    warnings.onceregistry.clear()
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    get_ipython().reset(new_session=True)
    gc.collect()
__jinlin_reset({cwd!r}, {env!r})
"""


def warm_kernel(cwd: str | Path, env: Mapping[str, str | None] | None = None) -> Any:
    """The kernel manager of this process's warm kernel, reset for the next notebook; pass it to papermill
    (``pm.execute_notebook(km=…)``: given a manager it does not own, papermill leaves the kernel running).

    Starting a kernel and importing the analysis modules costs 2–6 s of every notebook and profile run in a kernel
    of its own. The first notebook of a process gets a manager whose kernel is not started yet (papermill starts
    it in ``cwd``, with this process's environment); each later one gets the same kernel after :data:`_RESET`,
    which gives it exactly the state a fresh kernel would have for the notebook's own cells, with ``env`` set in
    the kernel's environment (``None`` removes a variable). A kernel that died, or runs in another folder, is
    replaced. The caller discards the kernel (:func:`close_warm_kernel`) when a notebook fails or times out in it:
    only a kernel that ran its notebook to the end is reused. Closed at the latest when the (worker) process exits.
    """
    km = _WARM.get("km")
    if km is not None and _WARM.get("cwd") == str(cwd):
        try:
            alive = km.has_kernel and bool(run_sync(km.is_alive))
        except Exception:  # noqa: BLE001 - a manager in a bad state is replaced like a dead kernel
            alive = False
        if alive:
            try:
                run_silent(km, _RESET.format(cwd=str(cwd), env=dict(env or {})), timeout=60)
                return km
            except Exception:  # noqa: BLE001 - a kernel that cannot be reset is not reused
                pass
    close_warm_kernel()
    km = kernel_manager()
    _WARM.update(km=km, cwd=str(cwd))
    return km  # not started yet: papermill starts it, in cwd, with this process's environment


def prestart_kernel(cwd: str | Path, warm_code: str = "") -> None:
    """Start this process's warm kernel in ``cwd`` now and run ``warm_code`` (imports) in it silently, so that the
    first notebook given to :func:`warm_kernel` does not wait for either. For a pool worker started while the run
    validates its data; a kernel that fails to start here is no failure (the notebook then starts its own).

    ``warm_code`` should bind no name (``__import__`` rather than ``import``); it is meant for the modules the
    notebooks import anyway, which the notebook then imports again at no cost.
    """
    close_warm_kernel()
    km = kernel_manager()
    _WARM.update(km=km, cwd=str(cwd))  # from now on, so that _on_terminate finds a kernel still starting
    try:
        with kernel_environment():
            run_sync(km.start_kernel, cwd=str(cwd))
        if warm_code:
            run_silent(km, warm_code)
    except Exception:  # noqa: BLE001 - the cold start remains, with its retry
        close_warm_kernel()


def close_warm_kernel() -> None:
    """Shut down this process's warm kernel, if any (idempotent; never raises)."""
    _stop(_WARM.get("km"))  # forgotten only once it is down: a SIGTERM meanwhile (_on_terminate) still finds it
    _WARM.pop("cwd", None)
    _WARM.pop("km", None)


def kernel_manager() -> Any:
    """A new, unstarted kernel manager for a notebook kernel: its sockets and connection file in this process's
    private folder (:func:`_ipc_folder`) where Unix sockets can be had, else TCP configured by :func:`kernel_config`.
    Registers, once per process, the clean-up of the warm kernel and of the folder at exit and, in a worker process,
    :func:`_on_terminate` for SIGTERM."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    folder = _ipc_folder(os.getpid())
    if not _WARM.get("finalizer"):
        import multiprocessing
        import multiprocessing.util
        import signal
        import threading

        # a pool worker runs these finalizers on exit (atexit handlers do not run there)
        _WARM["finalizer"] = multiprocessing.util.Finalize(None, close_warm_kernel, exitpriority=10)
        # Only where SIGTERM would end the process anyway (a worker whose owner set no handler): the handler does
        # what the default does, exit at once, and takes the kernel along. Installed once the folder exists, so
        # that the handler only reads what is set (a handler that built it could wait on a lock the code it
        # interrupted holds).
        if (multiprocessing.parent_process() is not None and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL):
            signal.signal(signal.SIGTERM, _on_terminate)
    if folder is None:
        return AsyncKernelManager(kernel_name="python3", config=kernel_config())
    name = os.path.join(folder, uuid.uuid4().hex[:12])
    return AsyncKernelManager(kernel_name="python3", transport="ipc", ip=name, connection_file=f"{name}.json")


# The longest socket path the platforms allow, less a margin: 108 bytes with the final NUL on Linux, 104 on macOS.
_SOCKET_PATH_MAX = 100


@lru_cache(maxsize=None)
def _ipc_folder(pid: int) -> str | None:
    """This process's folder (``pid``: a forked child gets one of its own) for its kernels' Unix sockets and
    connection files, mode 700, named with the pid and removed at exit (or, after a kill, by the next process that
    makes one: :func:`_sweep_folders_of_gone_processes`); None where ZeroMQ has no Unix sockets, the temporary
    folder's path is too long for one or its file system refuses them (the kernels then use TCP)."""
    import zmq

    if os.name != "posix" or not zmq.has("ipc"):
        return None
    import multiprocessing.util
    import shutil
    import tempfile

    _sweep_folders_of_gone_processes()
    folder = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{pid}-")
    # a kernel's socket is <folder>/<12 hex digits>-<port number 1-5>
    if len(os.fsencode(folder)) + 16 > _SOCKET_PATH_MAX or not _can_bind(folder):
        shutil.rmtree(folder, ignore_errors=True)
        return None
    # after close_warm_kernel (priority 10): the kernel's own files go with it
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                                  exitpriority=5)
    _WARM["folder"] = (pid, folder)  # for _on_terminate, which must not call this function
    return folder


_FOLDER_PREFIX = "jinlin-kernels-"


def _sweep_folders_of_gone_processes() -> None:
    """Remove the kernel folders (:func:`_ipc_folder`) of this user's processes that no longer run: a process killed
    outright (SIGKILL, out of memory) cannot remove its own. A folder whose process still runs is left alone."""
    import shutil
    import tempfile

    root = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(root) if n.startswith(_FOLDER_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(_FOLDER_PREFIX):].split("-", 1)[0]
        path = os.path.join(root, name)
        try:
            if not pid.isdigit() or os.stat(path).st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # gone meanwhile, or a process of another user: not ours to judge
            continue


def _can_bind(folder: str) -> bool:
    """Whether a Unix socket can be bound in ``folder``: some file systems (mounted shares, some container and
    WSL mounts) refuse them, and a kernel that cannot bind would fail to start where TCP works."""
    import zmq

    probe = os.path.join(folder, "probe")
    sock = zmq.Context.instance().socket(zmq.PAIR)
    try:
        sock.bind(f"ipc://{probe}")
        return True
    except zmq.ZMQError:
        return False
    finally:
        sock.close(linger=0)
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _on_terminate(signum: int, frame: Any) -> None:
    """SIGTERM in a worker process: kill this process's kernel (started, or being started) with its process group,
    remove its files and exit. Synchronous on purpose: the signal may come while the kernel manager's event loop
    runs. Left open: a SIGTERM in the microseconds between the kernel's launch and the provisioner noting its
    process; that kernel still exits on its own a second later (ipykernel polls its parent)."""
    import signal

    km = _WARM.get("km")
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is not None:
        try:  # jupyter_client starts a kernel in a session of its own: its group holds anything it started
            os.killpg(getattr(provisioner, "pgid", None) or process.pid, signal.SIGKILL)
        except OSError:
            try:
                process.kill()
            except OSError:  # already gone
                pass
    try:  # over TCP the connection file (with its key) is in jupyter's runtime folder, not in ours
        km.cleanup_connection_file()
    except Exception:  # noqa: BLE001 - no manager, or nothing to remove; the process is going anyway
        pass
    pid, folder = _WARM.get("folder") or (None, None)
    if folder is not None and pid == os.getpid():
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    os._exit(128 + signum)


def _stop(km: Any) -> None:
    try:
        if km is not None and km.has_kernel:
            run_sync(km.shutdown_kernel, now=True)
    except Exception:  # noqa: BLE001 - already gone; nothing is left to stop
        pass


def run_silent(km: Any, code: str, timeout: float = 120) -> None:
    """Execute ``code`` in ``km``'s kernel without a trace in its history, numbering or outputs; raise if it
    fails or takes longer than ``timeout`` seconds.

    Over the shell channel only: the execute reply comes once the code has run, so no IOPub subscription is
    needed, nor the wait for the kernel to be ready that guards one (jupyter_client's ``wait_for_ready`` listens to
    IOPub for a fixed 0.2 s; that was most of the time a reset took).
    """
    import time
    from queue import Empty

    from jupyter_client.blocking import BlockingKernelClient

    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    try:
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"code in a warm kernel did not finish in {timeout} s")
            try:
                reply = kc.get_shell_msg(timeout=left)
            except Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"code in a warm kernel failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()


def run_sync(method: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a jupyter_client method that may be a coroutine function, and wait for its result."""
    import inspect

    from jupyter_core.utils import run_sync as _run_sync

    if inspect.iscoroutinefunction(method):
        return _run_sync(method)(*args, **kwargs)
    return method(*args, **kwargs)
