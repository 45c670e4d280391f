"""Make tests/reference/impact/mpdta_reference.json: did-equivalent results on mpdta from the Python peers.

R's ``did`` cannot be installed on this machine (not in Debian, CRAN unreachable), so the 1e-6 references for
``evaluation.impact.staggered_did`` come from two independent Python ports of ``did``, run in a scratch venv
that the project never imports:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install csdid differences
    /tmp/peers/bin/python tests/reference/impact/make_mpdta_reference.py

* csdid (a line-by-line port of did 2.5.0's att_gt/aggte) gives the full grid: control group never / not-yet
  treated x est_method dr / ipw / reg x xformla ~1 / ~lpop (base_period = "varying"), plus four
  base_period = "universal" cases (keys ending in /universal); ATT(g,t) with analytic SEs (bstrap = FALSE), the
  four aggregations with analytic SEs, and the Wald pre-test.
* differences (an independent implementation) is run on the no-covariate cells as a cross-check; the largest
  absolute gap between the two peers is stored under ``cross_check``.

Before use, test_staggered_did.py also checks our numbers against the did README output printed on GitHub
(bcallaway11/did README.md; est_method = "reg", never-treated, xformla = ~1), so the peer is anchored to did.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "data" / "reference" / "mpdta.csv"


def _num(x):
    x = np.asarray(x, dtype=float).ravel()
    return [None if not np.isfinite(v) else float(v) for v in x]


def run_csdid(d: pd.DataFrame, control: str, method: str, xformla: str | None,
              base_period: str = "varying") -> dict:
    from csdid.att_gt import ATTgt

    m = ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=d,
              control_group=[{"never": "nevertreated", "notyet": "notyettreated"}[control]],
              xformla=xformla)
    with contextlib.redirect_stdout(io.StringIO()):
        m.fit(est_method=method, bstrap=False, base_period=base_period)
    mp = m.MP
    out = {
        "att_gt": {"group": _num(mp["group"]), "time": _num(mp["t"]), "estimate": _num(mp["att"]),
                   "se": _num(m.results["se"])},
        "pretest": {"W": None if mp["W"] is None else float(np.asarray(mp["W"]).ravel()[0]),
                    "p_value": None if mp["Wpval"] is None else float(mp["Wpval"])},
    }
    for typ in ("simple", "dynamic", "group", "calendar"):
        with contextlib.redirect_stdout(io.StringIO()):  # csdid prints its summary
            m.aggte(typec=typ, bstrap=False, cband=False)
        a = m.atte
        out[typ] = {"overall": float(a["overall_att"]), "overall_se": float(a["overall_se"])}
        if typ != "simple":
            out[typ].update(index=_num(a["egt"]), estimate=_num(a["att_egt"]), se=_num(a["se_egt"]))
    return out


def run_differences(d: pd.DataFrame, control: str) -> dict:
    from differences import ATTgt

    dd = d.rename(columns={"first.treat": "ft"}).copy()
    dd["ft"] = dd["ft"].where(dd["ft"] > 0)
    att = ATTgt(data=dd.set_index(["countyreal", "year"]), cohort_column="ft")
    res = att.fit(formula="lemp", est_method="reg",
                  control_group={"never": "never_treated", "notyet": "not_yet_treated"}[control],
                  progress_bar=False)
    tab = res.to_pandas().reset_index()
    tab.columns = ["_".join(str(c) for c in col if str(c)) if isinstance(col, tuple) else col for col in tab.columns]
    est_col = [c for c in tab.columns if c.endswith("ATT")][0]
    se_col = [c for c in tab.columns if c.endswith("std_error")][0]
    simple = att.aggregate("simple")
    return {"group": _num(tab.iloc[:, 0]), "time": _num(tab.iloc[:, 2]), "estimate": _num(tab[est_col]),
            "se": _num(tab[se_col]), "simple": float(simple.iloc[0, 0]), "simple_se": float(simple.iloc[0, 1])}


def main() -> None:
    warnings.simplefilter("ignore")
    d = pd.read_csv(DATA)
    ref = {"source": "csdid (port of R did 2.5.0) on mpdta; cross-check: differences",
           "versions": {"csdid": version("csdid"), "differences": version("differences"),
                        "drdid": version("drdid"), "numpy": np.__version__, "pandas": pd.__version__},
           "cases": {}, "cross_check": {}}
    for control in ("never", "notyet"):
        for method in ("dr", "ipw", "reg"):
            for cov, xf in (("none", None), ("lpop", "lemp ~ lpop")):
                ref["cases"][f"{control}/{method}/{cov}"] = run_csdid(d, control, method, xf)
        for method, cov, xf in (("reg", "none", None), ("dr", "lpop", "lemp ~ lpop")):
            ref["cases"][f"{control}/{method}/{cov}/universal"] = run_csdid(d, control, method, xf, "universal")
        diff = run_differences(d, control)
        cs = ref["cases"][f"{control}/reg/none"]
        key = {(g, t): (e, s) for g, t, e, s in zip(*(cs["att_gt"][k] for k in ("group", "time", "estimate", "se")))}
        gaps = [max(abs(e - key[(g, t)][0]), abs(s - key[(g, t)][1]))
                for g, t, e, s in zip(diff["group"], diff["time"], diff["estimate"], diff["se"])]
        gaps.append(abs(diff["simple"] - cs["simple"]["overall"]))
        gaps.append(abs(diff["simple_se"] - cs["simple"]["overall_se"]))
        ref["cross_check"][f"{control}/reg/none"] = {"max_abs_gap_csdid_vs_differences": max(gaps)}
    out = HERE / "mpdta_reference.json"
    out.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {out}; cross-check gaps: {ref['cross_check']}")


if __name__ == "__main__":
    main()
