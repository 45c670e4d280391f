"""`jinlin run` end to end on the default district, against plain papermill over the same notebooks.

The baseline executes the same notebooks with the papermill CLI and the default parameter file, without validation,
results, HTML, manifest or privacy scan, so the ratio is the cost of everything the runner adds.

Where the wall time of `jinlin run` goes, traced 2026-12-07 16:20 (main) and 16:45 UTC (warm kernels) on the
2-core machine while other sessions loaded it (load average 6-8: every second is about 3 quiet ones; read the
shares). Main, 202 s in all, then warm kernels, 186 s:
- Python start and importing the runner: 2.9 s, then 3.0 s.
- Validating the district: 4.1 s, then 16.1 s (the two workers now start their kernels and import meanwhile; no
  notebook runs before validation ends).
- The Parquet snapshot: 2.5 s, then 3.9 s.
- From there to the first notebook's first cell (pool, kernel start, imports): 5.4 s, then 2.1 s.
- Notebooks 00-40 on 2 workers: 157 s with 40 started fifth (run order) and running last, alone; then 132 s with
  40 started first while the other worker ran 20, 30, 10 and 00 in one kernel. 40 was the critical path in both.
- Notebook 50, which waits for 00-40: 15 s (1.2 s to its first cell, 4.7 s reading the exports), then 8 s (0.2 s
  to its first cell, 7.5 s reading the exports: it reads them itself, for their hashes).
- After the last notebook: 14 s (HTML 3.5, Word by pandoc 7.7, workbook 0.3, privacy scan 2.3), then 19 s (HTML
  6.5; Word 10.7 while the workbook is written and the rest scanned; the Word file and manifest scanned 1.7).
What stays fixed is the validation and snapshot before any notebook, notebook 50 after all the others, and the
report after it, pandoc's conversion the longest step.
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
