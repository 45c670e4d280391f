"""The check behind district_scm's note on scpi-pkg: not a test, never a runtime dependency.

scpi-pkg 4.0.0 (Cattaneo, Feng, Palomba & Titiunik) installs next to the project's pins but its ``scdata`` fails under
pandas 3. To see both halves:

    python3 -m venv /tmp/scpi && /tmp/scpi/bin/pip install scpi-pkg==4.0.0             # resolves pandas 3.1.1
    /tmp/scpi/bin/python tests/reference/impact/check_scpi_district.py                  # ValueError in scdata
    python3 -m venv /tmp/scpi2 && /tmp/scpi2/bin/pip install scpi-pkg==4.0.0 'pandas<3'  # pandas 2.3.3
    /tmp/scpi2/bin/python tests/reference/impact/check_scpi_district.py                 # intervals and coverage

It prints, per outcome of the bundled district, scpi's prediction interval for each post-year gap (simplex weights,
the outcome as the only feature, u_alpha = e_alpha = 0.05, so 90 % nominal, 200 simulations, e_method "gaussian")
and for the mean post-period gap (``scdataMulti`` with effect="unit"), whether the planted truth lies inside, and the
run time. Figures on 2026-12-07: 15 of 18 inside (on_time_rate's 2020, 2021 and 2023 gaps outside), about 5 s for
the three outcomes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scpi_pkg.scdata import scdata
from scpi_pkg.scdataMulti import scdataMulti
from scpi_pkg.scpi import scpi

DATA = Path(__file__).resolve().parents[3] / "data" / "synthetic"
OUTCOMES = ("satisfaction_index", "on_time_rate", "real_estate_petitions_per_10k")


def main() -> None:
    panel = pd.read_csv(DATA / "district_panel.csv")
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    donors = sorted(u for u in panel["district_id"].unique() if u != "D00")
    panel["treat"] = ((panel["district_id"] == "D00") & (panel["year"] >= 2020)).astype(int)
    inside = total = 0
    start = time.time()
    for outcome in OUTCOMES:
        d = scdata(panel, id_var="district_id", time_var="year", outcome_var=outcome,
                   period_pre=np.arange(2014, 2020), period_post=np.arange(2020, 2025), unit_tr="D00", unit_co=donors)
        np.random.seed(8894)
        r = scpi(d, w_constr={"name": "simplex"}, sims=200, e_method="gaussian", cores=1, verbose=False)
        actual = r.Y_post.to_numpy(float).ravel()
        ci = r.CI_all_gaussian  # interval for the synthetic (counterfactual) outcome
        for (_, year), act, lo_cf, hi_cf in zip(ci.index, actual, ci["Lower"], ci["Upper"]):
            lo, hi = act - hi_cf, act - lo_cf
            value = truth[f"impact.district.{outcome}.gap_{int(year)}"]["value"]
            total += 1
            inside += lo <= value <= hi
            print(f"{outcome} {int(year)}: [{lo:+.4f}, {hi:+.4f}] width {hi - lo:.4f} truth {value:+.4f}")
        dm = scdataMulti(panel, id_var="district_id", time_var="year", outcome_var=outcome, treatment_var="treat",
                         effect="unit", verbose=False)
        np.random.seed(8894)
        rm = scpi(dm, w_constr={"name": "simplex"}, sims=200, cores=1, verbose=False)
        mean_actual = float(np.mean(rm.Y_post.to_numpy(float)))
        lo, hi = mean_actual - rm.CI_all_gaussian.iloc[0, 1], mean_actual - rm.CI_all_gaussian.iloc[0, 0]
        value = truth[f"impact.district.{outcome}.att_post"]["value"]
        total += 1
        inside += lo <= value <= hi
        print(f"{outcome} att_post: [{lo:+.4f}, {hi:+.4f}] truth {value:+.4f}")
    print(f"planted value inside {inside} of {total}; {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
