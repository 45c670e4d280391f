"""`jinlin profiles` on the default district (every current community, 43 on the bundled one): a pool of 2 workers
against the same run with 1 worker, i.e. papermill executing the notebooks one after another.

Both runs do the same work otherwise (validation, Parquet snapshot, HTML per community, index page, privacy scan),
each in a fresh Python process writing to a temporary folder, so the ratio is what the process pool buys on this
machine. ``peak_mb`` is the largest resident set of any one process (a kernel or a worker), not their sum.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import sys
from evaluation.run.profiles import profiles

if __name__ == "__main__":
    result = profiles("params/default.yaml", workers=int(sys.argv[1]), out_root=sys.argv[2], progress=False)
    print(len(result.outcomes), len(result.failed))
    sys.exit(1 if result.failed else 0)
"""


def _timed(workers: int, out_root: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(workers), out_root], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - t0, int(done.stdout.split()[0])


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        ours, n = _timed(2, f"{tmp}/parallel")
        base, _ = _timed(1, f"{tmp}/sequential")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [{"benchmark": f"jinlin profiles, {n} communities, 2 workers", "ours_s": round(ours, 1),
             "baseline": "sequential papermill (1 worker)", "baseline_s": round(base, 1),
             "ratio": round(ours / base, 2), "peak_mb": round(peak)}]


if __name__ == "__main__":
    for row in run():
        print(row)
