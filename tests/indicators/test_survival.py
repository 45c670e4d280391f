"""Kaplan–Meier curve, Greenwood intervals and quantiles against R survival::survfit / quantile.survfit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.grid import time_to_close_data
from evaluation.indicators.survival import kaplan_meier, km_quantiles


@pytest.fixture(scope="module")
def km_data(ref_dir):
    ev = pd.read_csv(ref_dir / "km_grid_events.csv", keep_default_na=False, na_values=[""])
    return time_to_close_data(ev, "2024-12-31 23:59:59")


def _nan(v):
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def test_curve_matches_survfit(km_data, ref):
    r = ref["km"]["all"]
    km = kaplan_meier(km_data["hours"], km_data["event"])
    assert km["time"].to_numpy() == pytest.approx(r["time"], abs=1e-9)
    assert km["n_risk"].to_numpy() == pytest.approx(r["n_risk"])
    assert km["surv"].to_numpy() == pytest.approx(r["surv"], abs=1e-12)
    np.testing.assert_allclose(km["std_err"], _nan(r["std_err"]), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(km["ci_low"], _nan(r["ci_low"]), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(km["ci_high"], _nan(r["ci_high"]), rtol=1e-9, atol=1e-14)
    assert r["n"] == len(km_data) and r["n_event"] == km_data["event"].sum()


@pytest.mark.parametrize("group", ["all", "dispute", "environment", "safety", "flat"])
def test_quantiles_match_quantile_survfit(km_data, ref, group):
    r = ref["km"]["all"] if group == "all" else ref["km"]["by_category"][group]
    d = km_data if group == "all" else km_data[km_data["category"] == group]
    q = km_quantiles(d["hours"], d["event"])
    np.testing.assert_allclose(q["quantile"], _nan(r["quantile"]), atol=1e-9)
    np.testing.assert_allclose(q["ci_low"], _nan(r["lower"]), atol=1e-9)
    np.testing.assert_allclose(q["ci_high"], _nan(r["upper"]), atol=1e-9)


def test_flat_spot_takes_midpoint():
    # S = 0.75, 0.5, 0.25, 0 at 1, 2, 4, 8 h: R's median is the middle of the flat at 0.5, (2 + 4) / 2
    q = km_quantiles([1, 2, 4, 8], [1, 1, 1, 1], probs=[0.5])
    assert q["quantile"].iloc[0] == 3.0


def test_loglog_median_matches_r(km_data, ref):
    q = km_quantiles(km_data["hours"], km_data["event"], probs=[0.5], conf_type="log-log").iloc[0]
    r = ref["km"]["loglog_median"]
    assert [q["quantile"], q["ci_low"], q["ci_high"]] == pytest.approx([r["quantile"], r["lower"], r["upper"]])


def test_heavy_censoring_leaves_median_undefined():
    q = km_quantiles([1, 2, 3, 4], [1, 0, 0, 0], probs=[0.5]).iloc[0]
    assert np.isnan(q["quantile"])


def test_open_events_are_censored_not_dropped(ref_dir):
    ev = pd.read_csv(ref_dir / "km_grid_events.csv", keep_default_na=False, na_values=[""])
    d = time_to_close_data(ev, "2024-12-31 23:59:59")
    assert len(d) == len(ev)
    open_rows = d[ev["status"].to_numpy() != "closed"]
    assert (open_rows["event"] == 0).all() and (open_rows["hours"] > 0).all()
