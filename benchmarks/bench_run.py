"""`jinlin run` end to end on the default district, against plain papermill over the same notebooks.

The baseline executes the same notebooks with the papermill CLI and the default parameter file, without validation,
results, HTML, manifest or privacy scan, so the ratio is the cost of everything the runner adds.

Where the wall time of `jinlin run` goes, traced 2026-12-07 20:14 UTC on the quiet 2-core machine (27.5 s in all;
47 s of CPU: on 2 cores no run takes less than half its CPU):
- Before the first notebook, 5.8 s: the command line opens the notebook pool first, so the two workers (which
  import only evaluation.run.worker) start their kernels and import the page modules while the main process
  imports the runner, validates the district (1.05 s of CPU: every export is typed column-wise) and writes the
  Parquet snapshot with each file's SHA-256.
- Notebooks 00-40 on 2 workers, longest first: 40 alone on one worker for 17.6 s (the district synthetic
  control's 63 nested fits take 12-14 s of it), 20, 30, 10 and 00 on the other in 14.6 s. Each kernel reads the
  snapshot once without checking it again (loader.read_snapshot); the finished notebooks' HTML is rendered once a
  core is free.
- Notebook 50, 0.6 s: it reads the snapshot too (which carries the exports' hashes it cites).
- After it, 3 s: the rest of report.html (0.2 s), then pandoc's Word conversion (1.8 s with a 128 MB allocation
  area; the figures workbook and the privacy scan of the other files meanwhile), the official layout and the scan
  of the Word file.
The baseline (papermill, one fresh kernel per notebook) pays a kernel start, the imports and a parse of the
exports in every notebook, and no validation, HTML, Word or scan.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKERS = 2


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


def run() -> list[dict]:
    from evaluation.params import NOTEBOOK_ORDER

    with tempfile.TemporaryDirectory() as tmp:
        # the default worker count, named so the table says what was measured
        ours = _timed([str(BIN / "jinlin"), "run", "--params", "params/default.yaml", "--workers", str(WORKERS)])
        t0 = time.perf_counter()
        for nb in NOTEBOOK_ORDER:
            subprocess.run([str(BIN / "papermill"), f"notebooks/{nb}.ipynb", f"{tmp}/{nb}.ipynb", "-f",
                            "params/default.yaml", "-k", "python3", "--cwd", "notebooks"], cwd=ROOT, check=True,
                           capture_output=True)
        base = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [{"benchmark": f"jinlin run (default district, {WORKERS} workers)", "ours_s": round(ours, 2),
             "baseline": "papermill CLI, same notebooks", "baseline_s": round(base, 2),
             "ratio": round(ours / base, 2), "peak_mb": round(peak)}]


if __name__ == "__main__":
    for row in run():
        print(row)
