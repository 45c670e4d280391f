"""Benchmark of the survey engine: a design-based mean plus 43 domain means, 1,000,000 respondents.

The design is stratified (43 strata, one per community) with about 8 PSUs per stratum and a first-stage fpc, the
shape of the Jinlin resident survey at district scale. Three timings:

* ours: building :class:`~evaluation.survey.SurveyDesign`, the overall mean and ``by`` over the 43 communities;
* "pandas groupby": the same means with naive SEs (s/√n), the floor any design-based code pays on top of;
* "R survey <version>": ``svydesign`` + ``svymean`` + ``svyby`` inside ``system.time`` (reading the CSV is not
  timed). :func:`benchmarks.peers.r_survey` installs Debian's R and survey when it can, else the row says why.
  R's numbers are compared with ours (relative 1e-8) before reporting.

``run()`` returns rows ``{benchmark, ours_s, baseline, baseline_s, ratio, peak_mb}``, ``ratio`` being how many times
faster ours is; ``python -m benchmarks.bench_survey`` prints them.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.survey import SurveyDesign

from .peers import r_survey

__all__ = ["make_data", "run"]

N_ROWS = 1_000_000
N_STRATA = 43
PSU_PER_STRATUM = 8


def make_data(n: int = N_ROWS, seed: int = 20240601) -> pd.DataFrame:
    """Synthetic stratified cluster sample: community strata, PSUs with random effects, a 0–100 score."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, N_STRATA, n)
    n_psu = PSU_PER_STRATUM + rng.integers(-1, 2, N_STRATA)  # 7–9 PSUs per stratum
    psu_in = (rng.random(n) * n_psu[stratum]).astype(np.int64)
    psu = stratum * 16 + psu_in
    psu_effect = rng.normal(0, 5, N_STRATA * 16)
    score = 60 + stratum * 0.3 + psu_effect[psu] + rng.normal(0, 15, n)
    weight = rng.uniform(50, 150, n)
    fpc = (n_psu * 6)[stratum].astype(float)
    return pd.DataFrame(
        {"community": stratum + 1, "psu": psu, "pw": weight, "fpc": fpc, "score": score}
    )


def _ours(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = SurveyDesign(df, ids="psu", strata="community", weights="pw", fpc="fpc")
    return d.mean("score"), d.by("score", "community")


def _pandas(df: pd.DataFrame) -> pd.DataFrame:
    overall = pd.DataFrame({"mean": [df.score.mean()], "se": [df.score.std() / np.sqrt(len(df))]})
    g = df.groupby("community").score.agg(["mean", "std", "count"])
    g["se"] = g["std"] / np.sqrt(g["count"])
    return pd.concat([overall, g[["mean", "se"]]])


_R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
tm <- system.time({
  d <- svydesign(id = ~psu, strata = ~community, weights = ~pw, fpc = ~fpc, data = df)
  m <- svymean(~score, d)
  b <- svyby(~score, ~community, d, svymean)
})
cat(jsonlite::toJSON(list(seconds = unname(tm["elapsed"]), version = as.character(packageVersion("survey")),
  mean = unname(coef(m)), se = unname(SE(m)), by_mean = unname(coef(b)), by_se = unname(SE(b))), digits = NA))
"""


def _best_of(fn, repeats: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(n: int = N_ROWS) -> list[dict]:
    """Time ours against pandas (and R when available); see the module docstring."""
    df = make_data(n)
    tracemalloc.start()
    _ours(df)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    ours_s, (mean, by) = _best_of(lambda: _ours(df))
    pandas_s, _ = _best_of(lambda: _pandas(df))
    label = f"mean + {N_STRATA} domain means, {n:,} respondents"
    rows = [
        {"benchmark": label, "ours_s": ours_s, "baseline": "pandas groupby", "baseline_s": pandas_s,
         "ratio": pandas_s / ours_s, "peak_mb": peak_mb}
    ]
    rscript, status = r_survey()
    if rscript is None:
        rows.append({"benchmark": label, "ours_s": ours_s, "baseline": f"R survey ({status})", "baseline_s": None,
                     "ratio": None, "peak_mb": peak_mb})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            csv, script = Path(tmp) / "bench.csv", Path(tmp) / "bench.R"
            df.to_csv(csv, index=False)
            script.write_text(_R_SCRIPT)
            res = subprocess.run([rscript, str(script), str(csv)], capture_output=True, text=True, check=True)
        r = json.loads(res.stdout)
        ours_vals = np.concatenate([mean.estimate, mean.se, by.estimate, by.se])
        r_vals = np.concatenate([np.ravel(r["mean"]), np.ravel(r["se"]), np.ravel(r["by_mean"]), np.ravel(r["by_se"])])
        np.testing.assert_allclose(ours_vals, r_vals, rtol=1e-8)
        r_s = float(np.ravel(r["seconds"])[0])
        rows.append({"benchmark": label, "ours_s": ours_s, "baseline": f"R survey {np.ravel(r['version'])[0]}",
                     "baseline_s": r_s, "ratio": r_s / ours_s, "peak_mb": peak_mb})
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['benchmark']}: ours {row['ours_s']:.3f} s vs {row['baseline']} {row['baseline_s']:.3f} s "
            f"→ {row['ratio']:.1f}× (peak {row['peak_mb']:.0f} MB)"
        )
