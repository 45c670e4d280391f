"""Reference values for evaluation.impact.honest from the `honestdid` port of R HonestDiD (Rambachan & Roth).

Two steps, so that the reference depends on our estimator only through a committed input:

1. With the project's environment, write the mpdta event study (Callaway-Sant'Anna, never-treated controls,
   outcome regression, universal base period, as in the HonestDiD README) to honest_mpdta_input.json:
       PYTHONPATH=src .venv/bin/python tests/reference/impact/make_honest_reference.py input
2. In a scratch environment with the port (it needs numpy < 2.4 and is never a runtime dependency):
       python3 -m venv /tmp/hd && /tmp/hd/bin/pip install honestdid==0.1.1 'numpy<2.4'
       /tmp/hd/bin/python tests/reference/impact/make_honest_reference.py reference
   which writes honest_mpdta_reference.json: C-LF sets under Delta^RM for Mbar in {0.5, 1, 2} and FLCIs under
   Delta^SD for M in {0, 0.01, 0.02, 0.05}, both for the first post period and for the average of the post periods,
   with the port's grid step (its interval ends are grid points); and C-LF sets for two sub-designs of the same
   input (the last pre-period with all post-periods: a single pre-period; all pre-periods with the first post-period:
   no nuisance parameter), first post period, Mbar in {0.5, 1, 2}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUT = HERE / "honest_mpdta_input.json"
OUTPUT = HERE / "honest_mpdta_reference.json"
MBARS = [0.5, 1.0, 2.0]
MS = [0.0, 0.01, 0.02, 0.05]
GRID_POINTS = 1000


def write_input() -> None:
    import pandas as pd

    from evaluation.config import REFERENCE_DATA_DIR
    from evaluation.impact.staggered_did import staggered_did

    d = pd.read_csv(REFERENCE_DATA_DIR / "mpdta.csv")
    res = staggered_did(d, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", control="never",
                        method="reg", base_period="universal")
    es, sigma = res.event_study_coefficients()
    num_pre = int((es["event_time"] < 0).sum())
    INPUT.write_text(json.dumps({
        "source": "mpdta (data/reference/mpdta.csv); staggered_did(control='never', method='reg', "
                  "base_period='universal').event_study_coefficients(); reference period e = -1 left out",
        "event_time": es["event_time"].tolist(), "betahat": es["estimate"].tolist(), "sigma": sigma.tolist(),
        "num_pre": num_pre, "num_post": len(es) - num_pre}, indent=1))


def write_reference() -> None:
    import importlib.metadata as md

    import numpy as np
    import honestdid as hd

    inp = json.loads(INPUT.read_text())
    b, s = np.array(inp["betahat"]), np.array(inp["sigma"])
    npre, npost = inp["num_pre"], inp["num_post"]
    targets = {"first": np.eye(npost)[0], "average": np.full(npost, 1 / npost)}
    cases = []
    for name, l in targets.items():
        sd_theta = float(np.sqrt(l @ s[npre:, npre:] @ l))
        for mbar in MBARS:
            ci = hd.computeConditionalCS_DeltaRM(b, s, npre, npost, l_vec=l, Mbar=mbar, alpha=0.05,
                                                 hybrid_flag="LF", gridPoints=GRID_POINTS, seed=0)
            acc = ci[ci["accept"] == 1]["grid"]
            step = float(ci["grid"].iloc[1] - ci["grid"].iloc[0])
            cases.append({"kind": "relative_magnitude", "target": name, "m": mbar, "method": "C-LF",
                          "lb": float(acc.min()), "ub": float(acc.max()), "grid_step": step,
                          "sd_theta": sd_theta})
        for m in MS:
            r = hd.find_optimal_flci(b, s, M=m, numPrePeriods=npre, numPostPeriods=npost, l_vec=l, alpha=0.05)
            cases.append({"kind": "smoothness", "target": name, "m": m, "method": "FLCI",
                          "lb": float(r["FLCI"][0]), "ub": float(r["FLCI"][1]), "grid_step": 0.0,
                          "sd_theta": sd_theta})
    # sub-designs: (pre indices, post indices) of the input
    for pre_idx, post_idx in (([npre - 1], list(range(npre, npre + npost))), (list(range(npre)), [npre])):
        idx = pre_idx + post_idx
        bs, ss = b[idx], s[np.ix_(idx, idx)]
        l = np.eye(len(post_idx))[0]
        sd_theta = float(np.sqrt(ss[len(pre_idx), len(pre_idx)]))
        for mbar in MBARS:
            ci = hd.computeConditionalCS_DeltaRM(bs, ss, len(pre_idx), len(post_idx), l_vec=l, Mbar=mbar,
                                                 alpha=0.05, hybrid_flag="LF", gridPoints=GRID_POINTS, seed=0)
            acc = ci[ci["accept"] == 1]["grid"]
            step = float(ci["grid"].iloc[1] - ci["grid"].iloc[0])
            cases.append({"kind": "relative_magnitude", "target": "first", "m": mbar, "method": "C-LF",
                          "lb": float(acc.min()), "ub": float(acc.max()), "grid_step": step, "sd_theta": sd_theta,
                          "pre_index": pre_idx, "post_index": post_idx})
    OUTPUT.write_text(json.dumps({
        "source": "honestdid " + md.version("honestdid") + " (Python port of R HonestDiD), "
                  "computeConditionalCS_DeltaRM(hybrid_flag='LF', gridPoints=1000, seed=0) and find_optimal_flci; "
                  "input honest_mpdta_input.json; alpha = 0.05",
        "cases": cases}, indent=1))


if __name__ == "__main__":
    {"input": write_input, "reference": write_reference}[sys.argv[1]]()
