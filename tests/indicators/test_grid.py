"""Grid-event indicators on the conftest district (hand counts) and repeat events against a brute-force loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.grid import callback_outcomes, closure_rates, event_rates, events_closed, \
    grid_indicators, repeat_events, time_to_close
from evaluation.indicators.intervals import cluster_proportion, cluster_ratio, poisson_exact_interval, \
    wilson_interval
from evaluation.indicators.survival import km_quantiles


def _val(df, key, cid="district", group=""):
    row = df[(df["indicator"] == key) & (df["community_id"] == cid) & (df["group"] == group)]
    assert len(row) == 1, (key, cid, group)
    return row.iloc[0]


def test_events_closed_in_year(tables):
    out = events_closed(tables["grid_events"], 2024)
    # e6 was closed in 2025; e4, reported in 2023, was closed in 2024 and counts
    assert _val(out, "grid.events_closed.count")["value"] == 6
    assert _val(out, "grid.events_closed.count", "C02")["value"] == 2


def test_event_rates_per_10k_with_exact_ci(tables, population):
    out = event_rates(tables["grid_events"], population, 2024, interval="iid")
    r = _val(out, "grid.events_reported.per_10k")
    ref = poisson_exact_interval(7, 35000, per=10000).iloc[0]
    assert r["value"] == pytest.approx(7 / 3.5)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    assert _val(out, "grid.events_reported.count", group="env")["value"] == 4


def test_event_rates_district_interval_with_communities_as_clusters(tables, population):
    out = event_rates(tables["grid_events"], population, 2024)
    per_c = out[(out["indicator"] == "grid.events_reported.count") & (out["group"] == "")
                & (out["community_id"] != "district")].set_index("community_id")["value"]
    pops = out[(out["indicator"] == "grid.events_reported.per_10k") & (out["group"] == "")
               & (out["community_id"] != "district")].set_index("community_id")["denominator"]
    want = cluster_ratio(per_c.loc[pops.index], pops, per=10000)
    r = _val(out, "grid.events_reported.per_10k")
    assert r["value"] == pytest.approx(want["ratio"])
    assert (r["se"], r["ci_low"], r["ci_high"]) == pytest.approx((want["se"], want["ci_low"], want["ci_high"]))
    assert "communities as clusters" in r["note"]
    # community rows keep the exact Poisson interval
    c = _val(out, "grid.events_reported.count", "C01")
    assert c["ci_high"] == pytest.approx(poisson_exact_interval(c["value"]).iloc[0]["ci_high"])
    with pytest.raises(ValueError, match="interval must be one of"):
        event_rates(tables["grid_events"], population, 2024, interval="wilson")


def test_closure_and_on_time(tables):
    out = closure_rates(tables["grid_events"], 2024, interval="iid")
    c = _val(out, "grid.closure_rate.share")
    assert (c["n"], c["denominator"]) == (5, 7)   # e3 open; e6 closed after the cut-off
    o = _val(out, "grid.on_time_rate.share")
    assert (o["n"], o["denominator"]) == (4, 6)   # e2 late, e3 open; e4 and e6 not due in 2024
    w = wilson_interval(4, 6).iloc[0]
    assert (o["ci_low"], o["ci_high"]) == pytest.approx((w["ci_low"], w["ci_high"]))
    # a later cut-off lets e6 count as closed
    later = closure_rates(tables["grid_events"], 2024, data_cutoff="2025-01-31")
    assert _val(later, "grid.closure_rate.share")["n"] == 6


def test_time_to_close_uses_km_with_censoring(tables):
    out = time_to_close(tables["grid_events"], 2024)
    ev = tables["grid_events"]
    ev = ev[ev["reported_at"].dt.year == 2024]
    cut = pd.Timestamp("2024-12-31 23:59:59")
    closed = (ev["status"] == "closed") & (ev["closed_at"] <= cut)
    hours = (ev["closed_at"].where(closed, cut) - ev["reported_at"]).dt.total_seconds() / 3600
    q = km_quantiles(hours, closed.astype(int)).set_index("prob")
    m = _val(out, "grid.time_to_close.median_hours")
    assert m["value"] == pytest.approx(q.loc[0.5, "quantile"])
    assert (m["n"], m["denominator"]) == (7, 5)
    assert _val(out, "grid.time_to_close.p25_hours")["value"] == pytest.approx(q.loc[0.25, "quantile"])
    assert "grid.time_to_close.median_hours" in set(out.loc[out["group"] == "env", "indicator"])


def test_callbacks_show_non_response(tables):
    out = callback_outcomes(tables["grid_events"], 2024)
    s = _val(out, "grid.callback.satisfaction_rate")
    assert (s["n"], s["denominator"]) == (3, 4)
    assert _val(out, "grid.callback.not_reached.share")["value"] == pytest.approx(1 / 6)
    assert _val(out, "grid.callback.no_record.share")["value"] == pytest.approx(1 / 6)
    shares = out[(out["community_id"] == "district") & out["indicator"].str.endswith(".share")]
    assert shares["value"].sum() == pytest.approx(1.0)


def test_repeat_events_hand_count(tables):
    out = repeat_events(tables["grid_events"], 2024)
    r = _val(out, "grid.repeat_events.share")
    assert (r["n"], r["denominator"]) == (1, 7)   # only e2 (17 days after e1 closed, same grid and category)


def test_repeat_events_match_brute_force(rng):
    n = 400
    rep = pd.Timestamp("2023-10-01") + pd.to_timedelta(rng.integers(0, 450 * 24, n), unit="h")
    dur = pd.to_timedelta(rng.integers(1, 24 * 40, n), unit="h")
    closed = rng.random(n) < 0.85
    ev = pd.DataFrame({"event_id": [f"E{i}" for i in range(n)],
                       "community_id": rng.choice(["C01", "C02"], n),
                       "grid_id": rng.choice(["g1", "g2", "g3", "g4", "g5"], n),
                       "category": rng.choice(["a", "b"], n), "reported_at": rep,
                       "closed_at": (rep + dur).where(closed), "status": np.where(closed, "closed", "open")})
    cut = pd.Timestamp("2024-12-31 23:59:59")
    target = ev[ev["reported_at"].dt.year == 2024]
    flags = []
    ok = ((ev["status"] == "closed") & (ev["closed_at"] <= cut)).to_numpy()
    for e in target.itertuples():
        # every pair written out: an earlier closing in the same grid and category, at most 30 days before
        gap = e.reported_at - ev["closed_at"]
        hit = ok & (ev["grid_id"] == e.grid_id).to_numpy() & (ev["category"] == e.category).to_numpy() \
            & (gap > pd.Timedelta(0)).to_numpy() & (gap <= pd.Timedelta(days=30)).to_numpy()
        flags.append(bool(hit.any()))
    assert 0 < sum(flags) < len(target)
    out = repeat_events(ev, 2024)
    r = _val(out, "grid.repeat_events.share")
    assert (r["n"], r["denominator"]) == (sum(flags), len(target))


def test_grid_indicators_respects_community_subset(tables):
    out = grid_indicators(tables, 2024, communities=["C01"])
    assert set(out["community_id"]) <= {"C01", "district"}
    assert _val(out, "grid.events_closed.count")["value"] == 2


def test_time_to_close_curves_hand_kaplan_meier(tables):
    from evaluation.indicators.grid import time_to_close_curves

    cur = time_to_close_curves(tables["grid_events"], 2024)
    env = cur[cur["group"] == "env"].reset_index(drop=True)
    # env events reported in 2024: e1 48 h, e8 120 h, e2 240 h closed; e3 still open, censored at the cut-off
    assert env["hours"].tolist() == [0.0, 48.0, 120.0, 240.0]
    assert env["surv"].to_numpy() == pytest.approx([1.0, 3 / 4, 3 / 4 * 2 / 3, 3 / 4 * 2 / 3 * 1 / 2])
    assert env["n_risk"].tolist() == [4.0, 4.0, 3.0, 2.0]
    assert (env["n"] == 4).all()
    # Greenwood, log scale (R survfit's default): S·exp(±z·sqrt(Σ d/(n(n−d))))
    z = 1.959963984540054
    se = np.sqrt(1 / (4 * 3))
    assert env.loc[1, "ci_low"] == pytest.approx(0.75 * np.exp(-z * se))
    assert env.loc[1, "closed_ci_high"] == pytest.approx(1 - 0.75 * np.exp(-z * se))
    assert env["closed_share"].to_numpy() == pytest.approx(1 - env["surv"].to_numpy())
    # safety: e7 closed after 2 h; e6 closed in 2025, after the cut-off, so censored at the cut-off, not dropped
    safety = cur[cur["group"] == "safety"]
    assert safety["hours"].tolist() == [0.0, 2.0] and safety["surv"].tolist() == [1.0, 0.5]
    assert set(cur["group"]) == {"env", "dispute", "safety"}
    one = time_to_close_curves(tables["grid_events"], 2024, by=None)
    assert set(one["group"]) == {""} and one["n"].iloc[0] == 7


def test_time_to_close_curves_show_the_flat_the_median_splits(tables):
    # env's curve reaches a closed share of exactly 1/2 at 120 h and stays there until 240 h; R's quantile rule
    # (and km_quantiles) takes the midpoint of that flat, so the chart and the table tell the same story
    from evaluation.indicators.grid import time_to_close_curves

    q = time_to_close(tables["grid_events"], 2024, by=("category",))
    cur = time_to_close_curves(tables["grid_events"], 2024)
    env = cur[cur["group"] == "env"]
    first = env.loc[env["closed_share"] >= 0.5 - 1e-12, "hours"].iloc[0]
    assert first == 120.0
    assert _val(q, "grid.time_to_close.median_hours", group="env")["value"] == pytest.approx((120 + 240) / 2)


def _community_counts(out, key, group=""):
    rows = out[(out["indicator"] == key) & (out["group"] == group) & (out["community_id"] != "district")]
    return rows["n"].to_numpy(), rows["denominator"].to_numpy()


@pytest.mark.parametrize("fn, key", [
    (lambda ev: closure_rates(ev, 2024), "grid.closure_rate.share"),
    (lambda ev: closure_rates(ev, 2024), "grid.on_time_rate.share"),
    (lambda ev: callback_outcomes(ev, 2024), "grid.callback.satisfaction_rate"),
    (lambda ev: callback_outcomes(ev, 2024), "grid.callback.not_reached.share"),
])
def test_district_shares_take_communities_as_clusters(tables, fn, key):
    out = fn(tables["grid_events"])
    x, n = _community_counts(out, key)
    want = cluster_proportion(x, n)
    d = _val(out, key)
    assert d["value"] == pytest.approx(want["proportion"])
    assert d["se"] == pytest.approx(want["se"], nan_ok=True)
    assert (d["ci_low"], d["ci_high"]) == pytest.approx((want["ci_low"], want["ci_high"]), nan_ok=True)
    assert "Wilson" not in d["note"] and "communities as clusters" in d["note"]
    # a community keeps its Wilson interval
    c = out[(out["indicator"] == key) & (out["community_id"] == "C01")].iloc[0]
    w = wilson_interval(c["n"], c["denominator"]).iloc[0]
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((w["ci_low"], w["ci_high"]), nan_ok=True)


def test_district_category_share_clusters_within_the_category(grid_bigger):
    out = closure_rates(grid_bigger, 2024)
    ev = grid_bigger[grid_bigger["reported_at"].dt.year == 2024]
    ev = ev[ev["category"] == "a"]
    closed = ((ev["status"] == "closed") & (ev["closed_at"] <= pd.Timestamp("2024-12-31 23:59:59"))).astype(int)
    g = closed.groupby(ev["community_id"])
    want = cluster_proportion(g.sum(), g.size())
    d = _val(out, "grid.closure_rate.share", group="a")
    assert (d["se"], d["ci_low"], d["ci_high"]) == pytest.approx((want["se"], want["ci_low"], want["ci_high"]))
    iid = _val(closure_rates(grid_bigger, 2024, interval="iid"), "grid.closure_rate.share", group="a")
    assert iid["value"] == d["value"] and iid["se"] < d["se"]


def test_time_to_close_district_bootstrap_is_seeded_and_wider(grid_bigger):
    a = time_to_close(grid_bigger, 2024, by=("community_id", "category"), n_resamples=300, seed=7)
    b = time_to_close(grid_bigger, 2024, by=("community_id", "category"), n_resamples=300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    iid = time_to_close(grid_bigger, 2024, by=("community_id", "category"), interval="iid")
    m, g = _val(a, "grid.time_to_close.median_hours"), _val(iid, "grid.time_to_close.median_hours")
    assert m["value"] == g["value"]
    assert "bootstrap of the 12 communities" in m["note"] and "Greenwood" in g["note"]
    assert m["ci_high"] - m["ci_low"] > g["ci_high"] - g["ci_low"]
    # community rows are unchanged: Greenwood
    key = (a["community_id"] != "district")
    pd.testing.assert_frame_equal(a[key].reset_index(drop=True), iid[key].reset_index(drop=True))


@pytest.fixture
def grid_bigger(rng):
    """12 communities whose closing speed and closure share differ, so that events cluster."""
    rows = []
    for c in range(12):
        speed = rng.lognormal(np.log(30), 0.5)
        p_close = rng.uniform(0.6, 0.98)
        for i in range(rng.integers(20, 60)):
            rep = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=float(rng.integers(0, 360 * 24)))
            closed = rng.random() < p_close
            rows.append({"event_id": f"E{c}_{i}", "community_id": f"C{c:02d}", "grid_id": f"g{c}",
                         "category": rng.choice(["a", "b"]), "reported_at": rep,
                         "closed_at": rep + pd.Timedelta(hours=float(rng.exponential(speed))) if closed else pd.NaT,
                         "status": "closed" if closed else "open"})
    return pd.DataFrame(rows)
