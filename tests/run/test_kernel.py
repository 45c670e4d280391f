"""The notebook kernels start encrypted, so ipykernel's "running over TCP without encryption" warning (once per
kernel: 6 a run, 43 for the profiles) is gone without hiding anything else on stderr (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

WARNING = "without encryption"

_SCRIPT = textwrap.dedent("""
    import sys
    import nbformat, papermill as pm
    from evaluation.run.kernel import kernel_config

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(6 * 7); print('kernel stderr', file=sys.stderr)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, sys.argv[1] + "/in.ipynb")
    kw = {"config": kernel_config()} if sys.argv[2] == "encrypted" else {}
    out = pm.execute_notebook(sys.argv[1] + "/in.ipynb", sys.argv[1] + "/out.ipynb", kernel_name="python3",
                              progress_bar=False, **kw)
    print("".join(o.get("text", "") for o in out.cells[0].outputs))
""")


def _start(tmp_path, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path), mode], capture_output=True, text=True,
                          check=False, timeout=120)


@pytest.mark.notebook
def test_kernels_start_encrypted_and_do_not_warn(tmp_path):
    from evaluation.run.kernel import _can_encrypt

    if not _can_encrypt():
        pytest.skip("this libzmq or jupyter_client cannot encrypt kernel connections")
    done = _start(tmp_path, "encrypted")
    assert done.returncode == 0, done.stderr
    assert "42" in done.stdout and "kernel stderr" in done.stdout  # the kernel ran and its outputs came back
    assert WARNING not in done.stderr
    # the check is not blind: the same start without the configuration warns
    plain = _start(tmp_path, "plain")
    assert plain.returncode == 0 and WARNING in plain.stderr


def _notebook(path, *cells: str):
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_a_reused_kernel_gives_the_next_notebook_the_state_of_a_fresh_one(tmp_path, monkeypatch):
    """Namespace, execution count, figures, working folder and the environment variables a run sets: nothing of
    the first notebook reaches the second; the imported modules do (that is the point)."""
    import papermill as pm

    from evaluation.run import kernel

    monkeypatch.setenv("JINLIN_TEST_VAR", "first")
    first = _notebook(tmp_path / "first.ipynb", "import os, sys, json\nleftover = 1\nos.chdir('/')",
                      "import matplotlib.pyplot as plt\nfig = plt.figure()\nsys.modules['json'].marker = 1\n"
                      "print(os.environ['JINLIN_TEST_VAR'])")
    second = _notebook(tmp_path / "second.ipynb",
                       "import os, sys\nprint('leftover' in dir(), os.environ.get('JINLIN_TEST_VAR'), os.getcwd())",
                       "import matplotlib.pyplot as plt\nprint(plt.get_fignums(), getattr(sys.modules['json'], "
                       "'marker', None))")
    try:
        km = kernel.warm_kernel(tmp_path, {"JINLIN_TEST_VAR": "first"})
        a = pm.execute_notebook(str(first), str(tmp_path / "a.ipynb"), km=km, cwd=str(tmp_path), progress_bar=False)
        km2 = kernel.warm_kernel(tmp_path, {"JINLIN_TEST_VAR": None})
        assert km2 is km and km.has_kernel  # the same kernel ran both
        b = pm.execute_notebook(str(second), str(tmp_path / "b.ipynb"), km=km2, cwd=str(tmp_path),
                                progress_bar=False)
    finally:
        kernel.close_warm_kernel()
    assert a.cells[1].outputs[0]["text"] == "first\n"
    assert b.cells[0].outputs[0]["text"] == f"False None {tmp_path}\n"
    assert b.cells[1].outputs[0]["text"] == "[] 1\n"  # figures closed; modules kept
    assert [c.execution_count for c in b.cells] == [1, 2]  # numbered as in a new kernel
    assert kernel._WARM.get("km") is None and not km.has_kernel


def test_kernel_environment_sets_one_blas_thread_and_restores(monkeypatch):
    from evaluation.run import kernel

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("JINLIN_GONE", "x")
    with kernel.kernel_environment({"JINLIN_GONE": None, "JINLIN_SET": "y"}):
        assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["OMP_NUM_THREADS"] == "1"
        assert "JINLIN_GONE" not in os.environ and os.environ["JINLIN_SET"] == "y"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "8" and "OMP_NUM_THREADS" not in os.environ
    assert os.environ["JINLIN_GONE"] == "x" and "JINLIN_SET" not in os.environ


@pytest.mark.notebook
def test_a_prestarted_kernel_runs_its_numerical_libraries_on_one_thread(tmp_path, monkeypatch):
    """The kernels a run starts while it validates have one BLAS thread (KERNEL_ENV), whatever this process has."""
    import papermill as pm

    from evaluation.run import kernel

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    nb = _notebook(tmp_path / "env.ipynb", "import os\nprint(os.environ.get('OPENBLAS_NUM_THREADS'), "
                                            "os.environ.get('MKL_NUM_THREADS'))")
    try:
        kernel.prestart_kernel(tmp_path)
        km = kernel.warm_kernel(tmp_path)
        out = pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), km=km, cwd=str(tmp_path), progress_bar=False)
    finally:
        kernel.close_warm_kernel()
    assert out.cells[0].outputs[0]["text"] == "1 1\n"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"


@pytest.mark.notebook
def test_kernels_listen_on_unix_sockets_in_a_private_folder_that_goes_with_them(tmp_path):
    """No TCP port to race for: a port picked by binding port 0 can be taken by another process before the kernel
    binds it (CI: a heartbeat "Address already in use" traceback under a refused run's message)."""
    import stat

    from evaluation.run import kernel

    if kernel._ipc_folder(os.getpid()) is None:
        pytest.skip("no Unix sockets here: the kernels use TCP")
    try:
        kernel.prestart_kernel(tmp_path)
        km = kernel._WARM["km"]
        info = km.get_connection_info()
        folder = os.path.dirname(info["ip"])
        assert info["transport"] == "ipc" and folder == kernel._ipc_folder(os.getpid())
        assert stat.S_IMODE(os.stat(folder).st_mode) & 0o777 == 0o700  # jupyter_client adds the sticky bit
        sockets = [f"{info['ip']}-{info[p]}" for p in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                                       "hb_port")]
        kernel.run_silent(km, "x = 6 * 7")  # it answers, so it has bound them
        assert all(stat.S_ISSOCK(os.stat(s).st_mode) for s in sockets)
    finally:
        kernel.close_warm_kernel()
    assert not any(os.path.exists(s) for s in sockets) and not os.path.exists(km.connection_file)


_TERMINATED = textwrap.dedent("""
    import json, multiprocessing, sys, time
    from concurrent.futures import ProcessPoolExecutor

    def start(cwd):
        from evaluation.run import kernel
        kernel.prestart_kernel(cwd)

    def kernel_pid():
        from evaluation.run import kernel
        return kernel._WARM["km"].provisioner.pid

    def gone(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] in "ZX"  # a zombie nobody reaped is gone too
        except FileNotFoundError:
            return True

    if __name__ == "__main__":
        from evaluation.run.pool import stop_pool
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=start,
                                   initargs=(sys.argv[1],))
        pid = pool.submit(kernel_pid).result(timeout=120)
        stop_pool(pool)
        deadline = time.monotonic() + 20
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # for anything it had still to say
        print(json.dumps({"gone": gone(pid)}))
""")


@pytest.mark.notebook
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_terminated_worker_takes_its_kernel_with_it_and_nothing_reaches_stderr(tmp_path):
    """A refused or interrupted run stops its workers (stop_pool: SIGTERM). Their kernels die with them, at once;
    before, each lived until it noticed its parent was gone and wrote "[IPKernelApp] WARNING | Parent appears to have
    exited, shutting down." under the refusal."""
    import json

    script = tmp_path / "terminate.py"
    script.write_text(_TERMINATED, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"gone": True}
    assert "IPKernelApp" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_where_no_unix_socket_can_be_bound_the_kernels_use_tcp(tmp_path, monkeypatch):
    """A temporary folder on a file system that refuses Unix sockets must not stop every kernel from starting: the
    kernel starts over TCP and answers."""
    from evaluation.run import kernel

    monkeypatch.setattr(kernel, "_can_bind", lambda folder: False)
    kernel._ipc_folder.cache_clear()
    try:
        assert kernel._ipc_folder(os.getpid()) is None
        kernel.prestart_kernel(tmp_path)
        km = kernel._WARM["km"]
        assert km.transport == "tcp"
        kernel.run_silent(km, "x = 6 * 7")
    finally:
        kernel.close_warm_kernel()
        kernel._ipc_folder.cache_clear()


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets")
def test_the_folder_of_a_killed_process_is_removed_by_the_next_one_and_no_other():
    """A process killed outright cannot remove its kernel folder; the next process that makes one removes the
    folders of processes that no longer run, and leaves those of running ones."""
    import tempfile

    from evaluation.run import kernel

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead = tempfile.mkdtemp(prefix=f"{kernel._FOLDER_PREFIX}{gone.stdout.strip()}-")
    alive = tempfile.mkdtemp(prefix=f"{kernel._FOLDER_PREFIX}{os.getppid()}-")
    try:
        kernel._sweep_folders_of_gone_processes()
        assert not os.path.exists(dead) and os.path.isdir(alive)
    finally:
        for path in (dead, alive):
            if os.path.isdir(path):
                os.rmdir(path)
