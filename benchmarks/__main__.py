"""Run every benchmark (``benchmarks/bench_*.py``) and print one table; ``make bench`` calls this.

Each module exposes ``run() -> list[dict]`` with rows ``benchmark, ours_s, baseline, baseline_s, ratio, peak_mb``
(ratio = ours_s / baseline_s: below 1 means faster than the baseline). The table is written to
``benchmarks/results.csv`` with the machine it ran on.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["benchmark", "ours_s", "baseline", "baseline_s", "ratio", "peak_mb"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}{mem}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("names", nargs="*", help="only these benchmark modules (e.g. bench_survey)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m in args.names]
    rows: list[dict] = []
    for name in modules:
        print(f"running {name} …", file=sys.stderr, flush=True)
        mod = importlib.import_module(f"benchmarks.{name}")
        try:
            got = mod.run()
            for r in got:  # one definition of ratio for every module: ours / baseline, below 1 = faster
                if r.get("ours_s") and r.get("baseline_s"):
                    r["ratio"] = round(r["ours_s"] / r["baseline_s"], 4)
            rows += got
        except Exception as e:  # one broken benchmark must not hide the others
            rows.append({"benchmark": name, "ours_s": None, "baseline": f"failed: {type(e).__name__}: {e}",
                         "baseline_s": None, "ratio": None, "peak_mb": None})
    out = HERE / "results.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        f.write(f"# machine: {machine()}\n")
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"machine: {machine()}")
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) if rows else len(c) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in COLUMNS))
    print(f"written to {out}")
    return 0


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
