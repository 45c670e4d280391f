"""Benchmark: Callaway-Sant'Anna on mpdta -- ATT(g,t), the four aggregations and 999 multiplier-bootstrap draws.

Compared, in the same run, with the Python peers csdid, differences and moderndid: :mod:`benchmarks.peers`
installs each in its own scratch venv on first use (pinned versions) and they run in a subprocess, so the project
never imports them. A peer that cannot be installed gets a row saying why.
"""

from __future__ import annotations

import json
import subprocess
import time
import tracemalloc

import pandas as pd

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.staggered_did import staggered_did

from .peers import PEERS, peer_python

__all__ = ["run"]

MPDTA = REFERENCE_DATA_DIR / "mpdta.csv"
REPEATS = 5

# One timing harness for every peer: read mpdta, prepare it as the peer wants it, then the best of n runs of the job
# (ATT(g,t) with 999 bootstrap draws and the four aggregations), printed with the process's peak resident set.
_HARNESS = """
import contextlib, io, resource, sys, time, warnings
import pandas as pd
{imports}
warnings.simplefilter("ignore")
d = pd.read_csv(sys.argv[1])
{prepare}
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
{job}
    best = min(best, time.perf_counter() - t0)
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

_PEER_JOB = {
    "csdid": ("from csdid.att_gt import ATTgt", "", """
m = ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=d, biters=999)
m.fit(est_method="dr", bstrap=True)
for typ in ("simple", "dynamic", "group", "calendar"):
    m.aggte(typec=typ, bstrap=True, biters=999)"""),
    "differences": ("from differences import ATTgt", """
d = d.rename(columns={"first.treat": "ft"})
d["ft"] = d["ft"].where(d["ft"] > 0)
d = d.set_index(["countyreal", "year"])""", """
att = ATTgt(data=d, cohort_column="ft")
att.fit(formula="lemp", est_method="dr", boot_iterations=999, random_state=0, progress_bar=False)
att.aggregate("simple", boot_iterations=999, random_state=0)
for typ in ("event", "cohort", "time"):
    att.aggregate(typ, overall=True, boot_iterations=999, random_state=0)"""),
    "moderndid": ("import moderndid", "", """
m = moderndid.att_gt(data=d, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                     est_method="dr", boot=True, biters=999, random_state=0)
for typ in ("simple", "dynamic", "group", "calendar"):
    moderndid.aggte(m, type=typ, boot=True, biters=999, random_state=0)"""),
}


def _peer_code(name: str) -> str:
    imports, prepare, job = _PEER_JOB[name]
    return _HARNESS.format(imports=imports, prepare=prepare.strip(),
                           job="\n".join(" " * 8 + line for line in job.strip().splitlines()))


def _ours(d: pd.DataFrame) -> float:
    t0 = time.perf_counter()
    res = staggered_did(d, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", method="dr",
                        se="bootstrap", n_boot=999, seed=0)
    for typ in ("simple", "dynamic", "group", "calendar"):
        res.aggregate(typ)
    return time.perf_counter() - t0


def _peer(name: str) -> tuple[float | None, str]:
    python, status = peer_python(name)
    if python is None:
        return None, status
    proc = subprocess.run([str(python), "-c", _peer_code(name), str(MPDTA), str(REPEATS)],
                          capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        return None, f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
    secs, _mb = proc.stdout.split()[-2:]
    return float(secs), "ok"


def run() -> list[dict]:
    """Time ours against each peer; rows {benchmark, ours_s, baseline, baseline_s, ratio, peak_mb}."""
    d = pd.read_csv(MPDTA)
    _ours(d)  # warm-up (imports, caches)
    ours = min(_ours(d) for _ in range(REPEATS))
    tracemalloc.start()
    _ours(d)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rows = []
    for peer in PEERS:
        secs, status = _peer(peer)
        rows.append({"benchmark": "did_mpdta_attgt_4agg_boot999", "ours_s": round(ours, 4),
                     "baseline": PEERS[peer] if status == "ok" else f"{PEERS[peer]} ({status})",
                     "baseline_s": None if secs is None else round(secs, 4),
                     "ratio": None if secs is None else round(ours / secs, 3), "peak_mb": round(peak_mb, 1)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
