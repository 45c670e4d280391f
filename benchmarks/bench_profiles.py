"""`jinlin profiles` on the default district (every current community, 43 on the bundled one) with 2 workers,
against the issue's baseline: the papermill CLI run once per community, one after another, each in a fresh kernel
with the run's parameters (``-f params/default.yaml -p community_id <id>``), as `bench_run` runs the evaluation.

Ours does more than the baseline (validation, a Parquet snapshot, an HTML page per community, the index page,
results and manifest, the privacy scan); the baseline only executes the notebooks, each reading the district's
exports. Both write to a temporary folder. ``peak_mb`` is the largest resident set of any one process (a kernel or a
worker), not their sum.
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

_SCRIPT = """
import sys
from evaluation.run.profiles import profiles

if __name__ == "__main__":
    result = profiles("params/default.yaml", workers=int(sys.argv[1]), out_root=sys.argv[2], progress=False)
    print(" ".join(o.community_id for o in result.outcomes), "|", len(result.failed))
    sys.exit(1 if result.failed else 0)
"""


def run() -> list[dict]:
    from evaluation.params import PROFILE_NOTEBOOK

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _SCRIPT, str(WORKERS), f"{tmp}/ours"], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        ours = time.perf_counter() - t0
        ids = done.stdout.split("|")[0].split()
        t0 = time.perf_counter()
        for cid in ids:  # the same communities, in the same order
            subprocess.run([str(BIN / "papermill"), f"notebooks/{PROFILE_NOTEBOOK}.ipynb", f"{tmp}/{cid}.ipynb",
                            "-f", "params/default.yaml", "-p", "community_id", cid, "-k", "python3",
                            "--cwd", "notebooks"], cwd=ROOT, check=True, capture_output=True)
        base = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [{"benchmark": f"jinlin profiles, {len(ids)} communities, {WORKERS} workers", "ours_s": round(ours, 1),
             "baseline": "papermill CLI, one fresh kernel per community, one after another", "baseline_s": round(base, 1),
             "ratio": round(ours / base, 2), "peak_mb": round(peak)}]


if __name__ == "__main__":
    for row in run():
        print(row)
