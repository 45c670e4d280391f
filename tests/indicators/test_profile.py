"""Community profile helpers, checked against figures computed here by hand from the textbook formulas: Garwood
(chi-square) Poisson limits, statsmodels' Wilson interval, and a stratified cluster linearisation written out in
numpy for the survey domain means (with-replacement PSUs, normal interval, as R ``svyby``/``confint``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evaluation.indicators._common import result_row, tidy
from evaluation.indicators.profile import (category_counts, community_trend,
                                           community_vs_district, current_communities, mask_small,
                                           source_community, suppressed_counts, survey_profile)
from evaluation.survey.indices import SERVICE_ITEMS

Z = stats.norm.ppf(0.975)


def lineage() -> pd.DataFrame:
    return pd.DataFrame({"from_id": ["L01", "L01", "L02", "L03"], "to_id": ["C01", "C02", "C03", "C03"],
                         "effective_date": pd.to_datetime(["2020-01-01"] * 4), "pop_share": [0.6, 0.4, 1.0, 1.0]})


def test_current_communities_keeps_those_without_an_end_date():
    reg = pd.DataFrame({"community_id": ["L01", "C02", "C01"], "name_zh": ["老", "新二", "新一"],
                        "valid_to": pd.to_datetime(["2019-12-31", None, None])})
    out = current_communities(reg)
    assert out.to_dict("list") == {"community_id": ["C01", "C02"], "name": ["新一", "新二"]}


def test_source_community_is_the_single_parent_before_the_split():
    lin = lineage()
    assert source_community(lin, "C01", 2019) == "L01"
    assert source_community(lin, "C01", 2020) == "C01"
    assert source_community(lin, "C03", 2019) is None  # formed from two communities: no single parent
    assert source_community(lin, "C09", 2015) == "C09"  # not in the lineage: always itself
    assert source_community(None, "C01", 2019) == "C01"


def _tidy_fixture() -> pd.DataFrame:
    rows = []
    # a rate: count n behind it; C01 is tied with C03 for the top value
    for cid, v, n in (("C01", 8.0, 4.0), ("C02", 2.0, 9.0), ("C03", 8.0, 20.0), ("L01", 99.0, 50.0)):
        rows.append(result_row("grid.events_reported.per_10k", cid, 2024, v, n=n, ci_low=v - 1, ci_high=v + 1))
    rows.append(result_row("grid.events_reported.per_10k", "district", 2024, 5.0, n=33.0, ci_low=4.5, ci_high=5.5))
    rows.append(result_row("grid.events_reported.per_10k", "district", 2024, 7.0, group="safety", n=3.0))
    # a share: the denominator is what it rests on; C01 has no row
    for cid, v, den in (("C02", 0.5, 12.0), ("C03", 0.9, 3.0), ("district", 0.7, 40.0)):
        rows.append(result_row("grid.on_time_rate.share", cid, 2024, v, n=v * den, denominator=den))
    return tidy(rows)


def test_community_vs_district_picks_rows_and_ranks_like_r():
    frame = _tidy_fixture()
    out = community_vs_district(frame, "C01", keys=["grid.on_time_rate.share", "grid.events_reported.per_10k",
                                                    "grid.no_such.count"], peers=["C01", "C02", "C03"])
    assert list(out["indicator"]) == ["grid.on_time_rate.share", "grid.events_reported.per_10k"]
    share, rate = out.iloc[0], out.iloc[1]
    # C01 has no on-time figure: nothing to rank, and no cases behind it
    assert np.isnan(share["community_value"]) and share["cases"] == 0 and np.isnan(share["rank"])
    assert share["district_value"] == 0.7 and share["n_peers"] == 2 and share["peers_median"] == pytest.approx(0.7)
    # R: rank(-c(8, 2, 8), ties.method = "min") = 1 3 1 -> C01 is 1st of 3; L01 is not a peer
    assert rate["rank"] == 1 and rate["n_peers"] == 3
    assert rate["community_value"] == 8.0 and rate["cases"] == 4.0
    assert (rate["community_ci_low"], rate["community_ci_high"]) == (7.0, 9.0)
    assert rate["district_value"] == 5.0 and rate["difference"] == 3.0 and rate["peers_median"] == 8.0
    # without a peer list every community row counts, the legacy one too
    assert community_vs_district(frame, "C02", keys=["grid.events_reported.per_10k"]).iloc[0]["rank"] == 4
    # a share rests on its denominator
    c03 = community_vs_district(frame, "C03", keys=["grid.on_time_rate.share"]).iloc[0]
    assert c03["cases"] == 3.0 and c03["rank"] == 1


def test_community_vs_district_gives_a_rank_set_never_a_bare_rank():
    frame = _tidy_fixture()
    # C01 (8 ± 1) and C03 (8 ± 1) tie and stand well above C02 (2 ± 1): C01 is 1st or 2nd of 3
    rate = community_vs_district(frame, "C01", keys=["grid.events_reported.per_10k"],
                                 peers=["C01", "C02", "C03"]).iloc[0]
    assert (rate["rank_low"], rate["rank"], rate["rank_high"]) == (1, 1, 2)
    c02 = community_vs_district(frame, "C02", keys=["grid.events_reported.per_10k"],
                                peers=["C01", "C02", "C03"]).iloc[0]
    assert (c02["rank_low"], c02["rank"], c02["rank_high"]) == (3, 3, 3)
    # census figures (no SE, no interval) rank exactly, ties aside
    rows = [result_row("organisation.community_workers.per_1k", cid, 2024, v)
            for cid, v in (("C01", 3.0), ("C02", 1.0), ("C03", 3.0), ("district", 2.0))]
    census = community_vs_district(tidy(rows), "C02", keys=["organisation.community_workers.per_1k"]).iloc[0]
    assert (census["rank_low"], census["rank_high"]) == (3, 3)
    tied = community_vs_district(tidy(rows), "C01", keys=["organisation.community_workers.per_1k"]).iloc[0]
    assert (tied["rank_low"], tied["rank_high"]) == (1, 2)
    # many close communities with wide intervals: the set spans several places
    rng = np.random.default_rng(0)
    rows = [result_row("grid.closure_rate.share", f"C{i:02d}", 2024, v, se=0.05, ci_low=v - 0.098, ci_high=v + 0.098)
            for i, v in enumerate(rng.uniform(0.80, 0.90, 20))]
    rows.append(result_row("grid.closure_rate.share", "district", 2024, 0.85))
    wide = community_vs_district(tidy(rows), "C05", keys=["grid.closure_rate.share"]).iloc[0]
    assert wide["rank_high"] - wide["rank_low"] >= 10 and wide["rank_low"] <= wide["rank"] <= wide["rank_high"]


def test_mask_small_blanks_figures_below_min_cell():
    f = pd.DataFrame({"value": [1.0, 2.0, 3.0], "ci_low": [0.5, 1.5, 2.5], "ci_high": [2.0, 3.0, 4.0],
                      "n": [4.0, 5.0, np.nan]})
    out = mask_small(f, 5)
    assert out["suppressed"].tolist() == [True, False, True]
    assert out["value"].isna().tolist() == [True, False, True]
    assert f["value"].notna().all()  # the input is not changed


# --- trend and survey on a small district made here ----------------------------------------------------------

def _survey(seed: int = 3) -> pd.DataFrame:
    """Two waves; stratified by community, 3 PSUs per stratum, unequal weights, some missing answers."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave, ids in ((2019, ["L01", "L02"]), (2024, ["C01", "C02", "C03"])):
        for cid in ids:
            for psu in range(3):
                for _ in range(int(rng.integers(3, 6))):
                    rec = {"wave": wave, "community_id": cid, "stratum": cid, "psu": f"{cid}-{psu}",
                           "base_weight": float(rng.uniform(20, 80))}
                    for item in SERVICE_ITEMS:
                        rec[item] = float(rng.integers(1, 6)) if rng.random() > 0.1 else np.nan
                    rec["q_overall"] = float(rng.integers(0, 11))
                    rec["q_participated_12m"] = float(rng.random() < 0.3)
                    rows.append(rec)
    return pd.DataFrame(rows)


def _by_hand(df: pd.DataFrame, y: pd.Series, domain: pd.Series) -> tuple[float, float, int]:
    """Domain mean and its linearised SE (with-replacement PSUs within strata), written out from the formula."""
    ok = domain & y.notna()
    w = df["base_weight"].where(ok, 0.0)
    est = float((w * y.fillna(0)).sum() / w.sum())
    z = w * (y.fillna(0) - est) / w.sum()
    var = 0.0
    for _, g in z.groupby(df["stratum"]):
        totals = g.groupby(df.loc[g.index, "psu"]).sum()
        n_h = len(totals)
        var += n_h / (n_h - 1) * float(((totals - totals.mean()) ** 2).sum())
    return est, float(np.sqrt(var)), int(ok.sum())


def _t_domain(df: pd.DataFrame, domain: pd.Series) -> float:
    """Critical value of a community interval: t with the community's PSUs minus strata (R degf of the subset)."""
    sub = df[domain]
    return float(stats.t.ppf(0.975, sub["psu"].nunique() - sub["stratum"].nunique()))


def _index(df: pd.DataFrame) -> pd.Series:
    return 100 * (df[list(SERVICE_ITEMS)].mean(axis=1) - 1) / 4


def test_survey_profile_matches_the_linearisation_by_hand():
    s = _survey()
    out = survey_profile(s, "C02", 2024, items=("satisfaction_index", "q_committee", "q_participated_12m",
                                                 "q_not_asked"))
    assert list(out["item"]) == ["satisfaction_index", "q_committee", "q_participated_12m"]
    w24 = s[s["wave"] == 2024].reset_index(drop=True)
    for item, y in (("satisfaction_index", _index(w24)), ("q_committee", w24["q_committee"]),
                    ("q_participated_12m", w24["q_participated_12m"])):
        row = out[out["item"] == item].iloc[0]
        est, se, n = _by_hand(w24, y, w24["community_id"] == "C02")
        assert row["community_mean"] == pytest.approx(est, rel=1e-10)
        crit = _t_domain(w24, w24["community_id"] == "C02")
        assert row["community_ci_low"] == pytest.approx(est - crit * se, rel=1e-9)
        assert row["community_ci_high"] == pytest.approx(est + crit * se, rel=1e-9)
        assert row["respondents"] == n
        est_d, se_d, _ = _by_hand(w24, y, pd.Series(True, index=w24.index))
        assert row["district_mean"] == pytest.approx(est_d, rel=1e-10)
        assert row["district_ci_high"] - row["district_mean"] == pytest.approx(Z * se_d, rel=1e-9)


def _events() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    rows = []
    for year, ids in ((2019, ["L01", "L02", "L03"]), (2024, ["C01", "C02", "C03"])):
        for cid in ids:
            for k in range(int(rng.integers(6, 30))):
                rep = pd.Timestamp(f"{year}-03-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
                due = rep + pd.Timedelta(days=5)
                closed = rep + pd.Timedelta(days=int(rng.integers(1, 9))) if rng.random() > 0.1 else pd.NaT
                rows.append({"event_id": f"{cid}-{year}-{k}", "community_id": cid, "category": "safety",
                             "reported_at": rep, "deadline_at": due, "closed_at": closed,
                             "status": "closed" if pd.notna(closed) else "open"})
    pop = pd.DataFrame({"community_id": ["L01", "L02", "L03", "C01", "C02", "C03"],
                        "year": [2019, 2019, 2019, 2024, 2024, 2024],
                        "resident_pop": [12000, 9000, 4000, 7000, 5000, 9000]})
    return pd.DataFrame(rows), pop


def test_community_trend_against_garwood_and_wilson_and_the_parent_before_the_split():
    ev, pop = _events()
    s = _survey()
    tables = {"grid_events": ev, "population": pop, "survey_responses": s, "community_lineage": lineage()}
    out = community_trend(tables, "C01", 2024, first_year=2019)
    assert set(out["measure"]) == {"events_per_10k", "on_time_rate", "satisfaction_index"}
    assert set(out["year"]) == {2019, 2024}  # years without data give no rows
    for year, src in ((2019, "L01"), (2024, "C01")):
        mine = out[(out["year"] == year) & (out["area"] == "community")]
        assert set(mine["source_id"]) == {src} and mine["carried"].tolist() == [src != "C01"] * len(mine)
        # events per 10,000 with Garwood limits
        e = ev[(ev["community_id"] == src) & (ev["reported_at"].dt.year == year)]
        p = float(pop.loc[(pop["community_id"] == src) & (pop["year"] == year), "resident_pop"].iloc[0])
        x = len(e)
        r = mine[mine["measure"] == "events_per_10k"].iloc[0]
        assert r["value"] == pytest.approx(x / p * 1e4, rel=1e-12) and r["n"] == x
        assert r["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 2 * x) / 2 / p * 1e4, rel=1e-9)
        assert r["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 2 * x + 2) / 2 / p * 1e4, rel=1e-9)
        # on-time rate with Wilson limits (events due in the year, closed by the deadline)
        due = ev[(ev["community_id"] == src) & (ev["deadline_at"].dt.year == year)]
        k = int((due["closed_at"].notna() & (due["closed_at"] <= due["deadline_at"])).sum())
        lo, hi = proportion_confint(k, len(due), alpha=0.05, method="wilson")
        r = mine[mine["measure"] == "on_time_rate"].iloc[0]
        assert r["value"] == pytest.approx(k / len(due)) and r["n"] == len(due)
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
        # satisfaction index: the wave's design-based domain mean
        w = s[s["wave"] == year].reset_index(drop=True)
        est, se, n = _by_hand(w, _index(w), w["community_id"] == src)
        r = mine[mine["measure"] == "satisfaction_index"].iloc[0]
        assert r["value"] == pytest.approx(est, rel=1e-10) and r["n"] == n
        assert r["ci_high"] - r["value"] == pytest.approx(_t_domain(w, w["community_id"] == src) * se, rel=1e-9)
    dist = out[(out["area"] == "district") & (out["measure"] == "events_per_10k") & (out["year"] == 2019)].iloc[0]
    assert dist["value"] == pytest.approx((ev["reported_at"].dt.year == 2019).sum() / 25000 * 1e4)
    # C03 came from two legacy communities: no figure of its own before 2020
    c03 = community_trend(tables, "C03", 2024, first_year=2019)
    assert not ((c03["area"] == "community") & (c03["year"] == 2019)).any()


def test_category_counts_recount_with_crosstab_and_suppression():
    rec = pd.DataFrame({
        "community_id": ["C01"] * 9 + ["C02"] * 8,
        "received_date": pd.to_datetime(["2024-02-01"] * 7 + ["2023-05-01"] * 2 + ["2024-03-01"] * 8),
        "category": ["labour"] * 6 + ["other", "labour", "dispute"] + ["dispute"] * 8,
    })
    out = category_counts(rec, "C01", "received_date", 2024)
    xt = pd.crosstab(rec["category"], [rec["community_id"], rec["received_date"].dt.year])
    assert list(out["category"]) == ["dispute", "labour", "other", "All"]
    assert out["community_report"].tolist() == [0, xt[("C01", 2024)]["labour"], 1, 7]
    assert out["community_comparison"].tolist() == [1, 1, 0, 2]
    assert out["district_report"].tolist() == [8, 6, 1, 15]
    shown = suppressed_counts(out, 5)
    # zeros and small cells are withheld, and further cells until every "<5" can be anything in 0..4 given the
    # rest (issue 13.8): with 6 and 7 published, the two small cells would sum to 1 (each 0..1); in the district
    # column, 8 published beside 15 would leave the 1 and a "—" of at least 5 summing to 7 (the 1 at most 2).
    # The LP audit itself is tested in tests/privacy/test_suppression_audit.py.
    assert shown["community_report"].tolist() == ["<5", "—", "<5", "—"]
    assert shown["community_comparison"].tolist() == ["<5", "<5", "<5", "<5"]
    assert shown["district_report"].tolist() == ["—", "—", "<5", 15]
    assert list(shown["category"]) == ["dispute", "labour", "other", "All"]


@pytest.fixture(scope="module")
def bundled_both():
    from pathlib import Path

    from evaluation.data import load_district
    from evaluation.data.lazy import ParquetTable

    data = Path(__file__).resolve().parents[2] / "data" / "synthetic"
    need = ("grid_events", "population", "community_lineage", "survey_responses")
    eager, lazy = load_district(data, lazy_rows=None, tables=need), load_district(data, lazy_rows=1, tables=need)
    assert isinstance(lazy.tables["grid_events"], ParquetTable)
    return dict(eager.tables), dict(lazy.tables)


def test_profile_helpers_same_with_events_left_on_disk(bundled_both):
    """A region's events stay on disk (issue 9): the profile's event figures are the same as from memory."""
    from evaluation.indicators.profile import profile_indicators

    eager, lazy = bundled_both
    pd.testing.assert_frame_equal(category_counts(eager["grid_events"], "C07", "reported_at", 2024),
                                  category_counts(lazy["grid_events"], "C07", "reported_at", 2024))
    a, b = community_trend(eager, "C07", 2024), community_trend(lazy, "C07", 2024)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    grid_rows = lambda f: f[f["indicator"].str.startswith("grid.")].reset_index(drop=True)  # noqa: E731
    ea = {k: v for k, v in eager.items() if k != "survey_responses"}
    la = {k: v for k, v in lazy.items() if k != "survey_responses"}
    pa, pb = grid_rows(profile_indicators(ea, 2024)), grid_rows(profile_indicators(la, 2024))
    assert len(pa) > 100
    pd.testing.assert_frame_equal(pa, pb, check_exact=False, rtol=1e-12)


def test_district_wide_figures_are_shared_between_profiles_but_never_stale(monkeypatch):
    import evaluation.indicators.profile as pr

    ev, pop = _events()
    tables = {"grid_events": ev, "population": pop, "survey_responses": _survey(), "community_lineage": lineage()}
    calls = []
    real = pr._district_years
    monkeypatch.setattr(pr, "_district_years", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(pr, "_SHARED", pr.OrderedDict())
    first = community_trend(tables, "C01", 2024, first_year=2019)
    other = community_trend({k: v.copy() for k, v in tables.items()}, "C02", 2024, first_year=2019)
    assert len(calls) == 1  # a second community on equal tables (copies, as each notebook gets) reuses the years
    assert set(other.loc[other["area"] == "community", "source_id"]) == {"L01", "C02"}
    first.loc[:, "value"] = -1.0  # a profile changing its frame does not reach the next one
    again = community_trend(tables, "C01", 2024, first_year=2019)
    assert len(calls) == 1 and (again["value"] > 0).all()
    # one event fewer: the figures are computed afresh, and they differ
    changed = community_trend({**tables, "grid_events": ev.iloc[1:]}, "C01", 2024, first_year=2019)
    assert len(calls) == 2 and not changed["n"].equals(again["n"])
    # and a different parameter is a different figure
    community_trend(tables, "C01", 2024, first_year=2019, confidence=0.9)
    assert len(calls) == 3


def test_a_table_without_a_fingerprint_is_never_reused(monkeypatch):
    import evaluation.indicators.profile as pr

    monkeypatch.setattr(pr, "_SHARED", pr.OrderedDict())
    odd = pd.DataFrame({"community_id": ["C01"], "tags": [["a", "b"]]})  # a list cell: pandas cannot hash it
    calls = []
    for _ in range(2):
        assert pr._shared("x", {"t": odd}, (), lambda: calls.append(1) or pd.DataFrame({"v": [1]}))["v"].tolist() == [1]
    assert len(calls) == 2 and not pr._SHARED
    assert pr._shared("x", {"t": odd.drop(columns="tags")}, (), lambda: calls.append(1) or pd.DataFrame()).empty
    assert pr._shared("x", {"t": odd.drop(columns="tags")}, (), lambda: calls.append(1) or pd.DataFrame()).empty
    assert len(calls) == 3  # a hashable frame is computed once
