"""A notebook in the worker's warm kernel: reused by the next notebook, never after a failure."""

from __future__ import annotations

import pytest


@pytest.mark.notebook
def test_a_kernel_is_reused_by_the_next_notebook_but_never_after_a_failure(tmp_path, monkeypatch):
    import nbformat

    from evaluation.run import kernel, worker

    def notebook(name: str, code: str) -> None:
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")

    notebook("ok", "x = 1")
    notebook("bad", "raise ValueError('broken')")
    monkeypatch.setattr(worker, "NOTEBOOKS_DIR", tmp_path)
    monkeypatch.setattr(worker, "KERNEL_CWD", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    try:
        assert worker.execute_notebook("ok", {}, str(out), 60)["status"] == "ok"
        km = kernel._WARM["km"]
        assert worker.execute_notebook("ok", {}, str(out), 60)["status"] == "ok"
        assert kernel._WARM["km"] is km and km.has_kernel
        failed = worker.execute_notebook("bad", {}, str(out), 60)
        assert failed["status"] == "failed" and "ValueError: broken" in failed["error"]
        assert kernel._WARM.get("km") is None and not km.has_kernel  # discarded, not kept for the next notebook
    finally:
        kernel.close_warm_kernel()


def test_a_worker_imports_no_loader_no_report_layer_and_no_data_library():
    """A run's workers start their kernels while the main process imports and validates, on the same cores: the
    module a worker process imports must stay light (it did import the whole runner, about 1.2 s of CPU each)."""
    import subprocess
    import sys

    heavy = ("pandas", "pyarrow", "pandera", "nbconvert", "docx", "openpyxl", "evaluation.data", "evaluation.report",
             "evaluation.run.runner")
    code = ("import sys, evaluation.run.worker, evaluation.run.kernel\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m.startswith({heavy!r})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_the_warm_imports_are_the_pages_the_run_notebooks_import():
    """WARM_MODULES names the report pages by hand (deriving them would import the report layer into the light
    worker module): every page a run notebook imports must be warm, and nothing else named there."""
    import re

    import nbformat

    from evaluation.config import NOTEBOOKS_DIR
    from evaluation.params import NOTEBOOK_ORDER
    from evaluation.run.worker import WARM_MODULES

    pages = set()
    for name in NOTEBOOK_ORDER:
        source = "\n".join(c.source for c in nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4).cells)
        pages |= {f"evaluation.report.sections.{m}"
                  for m in re.findall(r"from evaluation\.report\.sections import (\w+)", source)}
    assert pages and pages == {m for m in WARM_MODULES if m.startswith("evaluation.report.sections.")}
