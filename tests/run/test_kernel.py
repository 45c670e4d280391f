"""The notebook kernels start encrypted, so ipykernel's "running over TCP without encryption" warning (once per
kernel: 6 a run, 43 for the profiles) is gone without hiding anything else on stderr (issue 17)."""

from __future__ import annotations

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
