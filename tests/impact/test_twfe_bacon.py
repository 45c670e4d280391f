"""TWFE benchmarks against R lm + sandwich (make_r_reference.R) and the Goodman-Bacon identity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.config import REFERENCE_DATA_DIR
from evaluation.impact.bacon import bacon_decomposition
from evaluation.impact.twfe import treatment_indicator, twfe, twfe_event_study

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "impact" / "twfe_mpdta_r.json").read_text())
MPDTA = REFERENCE_DATA_DIR / "mpdta.csv"
ARGS = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def mpdta():
    return pd.read_csv(MPDTA)


def test_twfe_matches_r(mpdta):
    res = twfe(mpdta, **ARGS)
    assert res.estimate == pytest.approx(REF["static"]["estimate"], abs=1e-10)
    assert res.se == pytest.approx(REF["static"]["se"], rel=1e-8)
    assert res.n_clusters == 500


def test_event_study_matches_r(mpdta):
    es = twfe_event_study(mpdta, **ARGS)
    est = es[es["event_time"] != -1]
    np.testing.assert_array_equal(est["event_time"], REF["event_study"]["event_time"])
    np.testing.assert_allclose(est["estimate"], REF["event_study"]["estimate"], atol=1e-10)
    np.testing.assert_allclose(est["se"], REF["event_study"]["se"], rtol=1e-8)
    ref_row = es[es["event_time"] == -1]
    assert ref_row["estimate"].iloc[0] == 0 and np.isnan(ref_row["se"].iloc[0])


def _staggered_panel(seed=0, always=False):
    rng = np.random.default_rng(seed)
    n, periods = 90, np.arange(2010, 2020)
    g = rng.choice([0, 2012, 2014, 2017] + ([2010] if always else []), n)
    rows = []
    for i in range(n):
        a = rng.normal()
        for t in periods:
            eff = (1 + 0.5 * (t - g[i])) if g[i] and t >= g[i] else 0.0
            rows.append((i, t, g[i], a + 0.1 * (t - 2010) + eff + rng.normal()))
    return pd.DataFrame(rows, columns=["id", "t", "g", "y"])


@pytest.mark.parametrize("always", [False, True])
def test_bacon_weights_sum_to_one_and_reproduce_twfe(always):
    d = _staggered_panel(always=always)
    b = bacon_decomposition(d, "y", "id", "t", "g")
    tw = twfe(d, "y", "id", "t", "g")
    assert b["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (b["weight"] * b["estimate"]).sum() == pytest.approx(tw.estimate, abs=1e-10)
    assert (b["weight"] > 0).all()
    assert set(b["type"]) == {"treated vs never", "early vs late", "late vs early"}


def test_bacon_on_mpdta(mpdta):
    b = bacon_decomposition(mpdta, **ARGS)
    assert (b["weight"] * b["estimate"]).sum() == pytest.approx(REF["static"]["estimate"], abs=1e-10)
    # 2x2 "treated vs never" for 2004 is the plain DiD of means, periods >= 2004 vs 2003
    m = mpdta.groupby(["first.treat", mpdta["year"] >= 2004])["lemp"].mean()
    manual = (m[(2004, True)] - m[(2004, False)]) - (m[(0, True)] - m[(0, False)])
    row = b[(b["treated"] == 2004) & (b["control"] == "never")]
    assert row["estimate"].iloc[0] == pytest.approx(manual, abs=1e-12)


def test_bacon_rejects_unbalanced(mpdta):
    with pytest.raises(ValueError, match="balanced"):
        bacon_decomposition(mpdta.iloc[1:], **ARGS)


def test_treatment_indicator_handles_never():
    d = pd.DataFrame({"t": [1, 2, 3, 1, 2, 3], "g": [2, 2, 2, np.nan, np.nan, np.nan]})
    assert treatment_indicator(d, "t", "g").tolist() == [0, 1, 1, 0, 0, 0]
