"""Kaplan–Meier curve, Greenwood intervals and quantiles against R survival::survfit / quantile.survfit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.grid import time_to_close_data
from evaluation.indicators.survival import kaplan_meier, km_quantiles, km_quantiles_counts, km_quantiles_grouped


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


def _by_group_and_time(d: pd.DataFrame) -> pd.DataFrame:
    return d.groupby(["category", "hours"])["event"].agg(n_event="sum", n_total="size").reset_index()


def test_grouped_quantiles_match_quantile_survfit_by_category(km_data, ref):
    counts = _by_group_and_time(km_data).sample(frac=1.0, random_state=3)  # any row order
    q = km_quantiles_grouped(counts["category"], counts["hours"], counts["n_event"], counts["n_total"])
    assert q["group"].tolist() == [g for g in sorted(km_data["category"].unique()) for _ in range(3)]
    for group in ("dispute", "environment", "safety", "flat"):
        r, got = ref["km"]["by_category"][group], q[q["group"] == group]
        np.testing.assert_allclose(got["quantile"], _nan(r["quantile"]), atol=1e-9)
        np.testing.assert_allclose(got["ci_low"], _nan(r["lower"]), atol=1e-9)
        np.testing.assert_allclose(got["ci_high"], _nan(r["upper"]), atol=1e-9)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_grouped_quantiles_are_those_of_each_group(km_data, conf_type):
    # bitwise the per-group function, so the DataFrame and DuckDB paths of the grid indicators agree exactly
    counts = _by_group_and_time(km_data)
    probs = (0.1, 0.25, 0.5, 0.75, 0.9)
    q = km_quantiles_grouped(counts["category"], counts["hours"], counts["n_event"], counts["n_total"], probs,
                             conf_type=conf_type)
    for group, g in counts.groupby("category"):
        one = km_quantiles_counts(g["hours"], g["n_event"], g["n_total"], probs, conf_type=conf_type)
        got = q[q["group"] == group].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, one, check_exact=True, check_dtype=False)


def test_grouped_quantiles_without_events_and_bad_input():
    q = km_quantiles_grouped(["a", "a", "b"], [1.0, 2.0, 5.0], [0, 0, 1], [1, 1, 1], probs=[0.5])
    assert np.isnan(q.loc[q["group"] == "a", "quantile"]).all() and q.loc[q["group"] == "a", "n"].item() == 2
    assert q.loc[q["group"] == "b", "quantile"].item() == 5.0
    with pytest.raises(ValueError, match="distinct within a group"):
        km_quantiles_grouped(["a", "a"], [1.0, 1.0], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="between 0 and n_total"):
        km_quantiles_grouped(["a"], [1.0], [2], [1])


def _clustered_sample(rng, g=30, mean_size=40, sd_log=0.6):
    """Exponential times to close whose scale varies by community (lognormal), censored at 400 h."""
    scale = np.exp(np.log(30.0) + sd_log * rng.standard_normal(g))
    size = rng.poisson(mean_size, g) + 5
    cl = np.repeat(np.arange(g), size)
    t = rng.exponential(scale[cl])
    ev = (t <= 400).astype(float)
    return cl, np.minimum(t, 400.0), ev


def _by_cluster_time(cl, t, ev):
    df = pd.DataFrame({"c": cl, "t": t, "e": ev}).groupby(["c", "t"])["e"].agg(["sum", "size"]).reset_index()
    return df["c"].to_numpy(), df["t"].to_numpy(), df["sum"].to_numpy(), df["size"].to_numpy()


def test_cluster_bootstrap_quantiles_are_the_km_quantiles_and_seeded():
    from evaluation.indicators.survival import km_quantiles_cluster_bootstrap

    rng = np.random.default_rng(11)
    cl, t, ev = _clustered_sample(rng)
    args = _by_cluster_time(cl, t, ev)
    a = km_quantiles_cluster_bootstrap(*args, n_resamples=200, seed=3)
    b = km_quantiles_cluster_bootstrap(*args, n_resamples=200, seed=3)
    pd.testing.assert_frame_equal(a, b)
    c = km_quantiles_cluster_bootstrap(*args, n_resamples=200, seed=4)
    assert not np.array_equal(a["ci_low"].to_numpy(), c["ci_low"].to_numpy())
    point = km_quantiles(t, ev)
    assert a["quantile"].to_numpy() == pytest.approx(point["quantile"].to_numpy(), rel=1e-12)
    assert (a["ci_low"] <= a["quantile"]).all() and (a["quantile"] <= a["ci_high"]).all()
    assert a["clusters"].iloc[0] == 30
    with pytest.raises(ValueError, match="same length"):
        km_quantiles_cluster_bootstrap([1], [1.0, 2.0], [1, 1], [1, 1])


def test_cluster_bootstrap_covers_the_median_where_greenwood_does_not():
    # 120 districts of 30 clustered communities: the cluster bootstrap should cover the population median about
    # 95% of the time; Greenwood, which takes the events as independent, covers far less
    from scipy import optimize

    from evaluation.indicators.survival import km_quantiles_cluster_bootstrap

    big = np.random.default_rng(99)
    scales = np.exp(np.log(30.0) + 0.6 * big.standard_normal(200_000))
    true_median = optimize.brentq(lambda x: np.mean(1 - np.exp(-x / scales)) - 0.5, 1, 400)
    rng = np.random.default_rng(2024)
    boot_hits = greenwood_hits = 0
    reps = 120
    for r in range(reps):
        cl, t, ev = _clustered_sample(rng)
        q = km_quantiles_cluster_bootstrap(*_by_cluster_time(cl, t, ev), probs=(0.5,), n_resamples=200, seed=r)
        boot_hits += bool(q["ci_low"].iloc[0] <= true_median <= q["ci_high"].iloc[0])
        g = km_quantiles(t, ev, probs=(0.5,))
        greenwood_hits += bool(g["ci_low"].iloc[0] <= true_median <= g["ci_high"].iloc[0])
    assert boot_hits / reps >= 0.85  # 0.875 with these seeds: the percentile bootstrap runs a little short at G = 30
    assert greenwood_hits / reps < 0.75


def test_bootstrap_draws_read_quantiles_by_rs_rule():
    # every resample's quantiles, computed together from the sparse product, equal km_quantiles_counts (R's
    # quantile.survfit rule, flats exactly at p included) on that resample's weighted counts
    from evaluation.indicators.survival import _draw_quantiles

    rng = np.random.default_rng(5)
    # the last case has a time before every event holding 2^23 censored units (of a community drawn up to twice):
    # its products reach 2^24, past the counts float32 holds exactly, so they are formed in float64 (that path too)
    for n, hours, big in ((40, 6, 0), (400, 48, 0), (12, 3, 0), (200, 24, 2**23)):
        cl = rng.integers(0, 4, n)
        t = rng.integers(1, hours, n).astype(float)     # whole hours: many ties and flats
        ev = (rng.random(n) < 0.8).astype(float)
        units = np.ones(n)
        if big:
            t[-1], ev[-1], units[-1] = 0.5, 0.0, big
        times, inv = np.unique(t, return_inverse=True)
        weights = np.column_stack([np.ones(4), [2, 0, 1, 1], [1, 1, 0, 2], rng.integers(0, 3, (4, 30))])
        probs = (0.25, 0.5, 0.75)
        got = _draw_quantiles(inv, cl, times, ev, units, 4, weights.astype(float), probs, chunk_cells=37)
        assert not np.isnan(got).all()
        for b in range(weights.shape[1]):
            wr = weights[cl, b].astype(float)
            dt = np.bincount(inv, weights=ev * wr, minlength=len(times))
            mt = np.bincount(inv, weights=units * wr, minlength=len(times))
            keep = mt > 0
            if dt.sum() == 0:
                assert np.isnan(got[b]).all()
                continue
            want = km_quantiles_counts(times[keep], dt[keep], mt[keep], probs)["quantile"].to_numpy()
            np.testing.assert_allclose(got[b], want, rtol=1e-12, equal_nan=True, err_msg=f"{n} {b}")


def test_bootstrap_draws_do_not_depend_on_the_blocks():
    # the pass runs a block of times and a chunk of resamples at a time, carrying S and the units seen across
    # blocks and stopping early once every resample is past the highest level: any block size gives the same bits
    from evaluation.indicators.survival import _draw_quantiles

    rng = np.random.default_rng(17)
    n, g = 3000, 25
    cl = rng.integers(0, g, n)
    t = np.round(rng.exponential(20 * np.exp(0.4 * rng.standard_normal(g))[cl]), 1)   # ties and flats
    ev = (rng.random(n) < 0.9).astype(float)
    df = pd.DataFrame({"c": cl, "t": t, "e": ev}).groupby(["c", "t"])["e"].agg(["sum", "size"]).reset_index()
    times, inv = np.unique(df["t"].to_numpy(), return_inverse=True)
    weights = np.stack([np.bincount(rng.integers(0, g, g), minlength=g) for _ in range(60)], axis=1).astype(float)
    args = (inv, df["c"].to_numpy(), times, df["sum"].to_numpy(float), df["size"].to_numpy(float), g, weights,
            (0.1, 0.5, 0.9, 0.0))
    runs = [_draw_quantiles(*args, chunk_cells=c) for c in (7, 60, 61 * 60, 10**7)]
    assert not np.isnan(runs[0]).all()
    for r in runs[1:]:
        np.testing.assert_array_equal(r, runs[0])


def test_grouped_times_of_a_region_move_the_limits_by_less_than_a_group():
    from evaluation.indicators.survival import km_quantiles_cluster_bootstrap

    rng = np.random.default_rng(8)
    n, g = 30_000, 60
    cl = rng.integers(0, g, n)
    t = rng.exponential(30 * np.exp(0.3 * rng.standard_normal(g))[cl])
    ev = (rng.random(n) < 0.95).astype(float)
    args = (cl, t, ev, np.ones(n))
    exact = km_quantiles_cluster_bootstrap(*args, n_resamples=200, seed=2)
    grouped = km_quantiles_cluster_bootstrap(*args, n_resamples=200, seed=2, max_times=1000)
    assert grouped["quantile"].tolist() == exact["quantile"].tolist()   # the estimate is never grouped
    # a group holds 30 units; near the quartiles that spans well under 0.1 h
    diff = np.abs(grouped[["ci_low", "ci_high"]].to_numpy() - exact[["ci_low", "ci_high"]].to_numpy())
    assert 0 < diff.max() < 0.1
    assert (grouped["ci_low"] <= grouped["quantile"]).all() and (grouped["quantile"] <= grouped["ci_high"]).all()
