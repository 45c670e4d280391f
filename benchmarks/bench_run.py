"""`jinlin run` end to end on the default district, against plain papermill over the same notebooks.

The baseline executes the same notebooks with the papermill CLI and the default parameter file, without validation,
results, HTML, manifest or privacy scan, so the ratio is the cost of everything the runner adds.
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
