"""count_by_community: the vectorised exact Poisson intervals of many communities against R ``poisson.test``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators.counting import count_by_community


def test_every_community_gets_r_poisson_test_interval(ref):
    # one community per R case: x records and exposure t as its population (per = 1, so rate = x / t)
    cases = ref["poisson"]
    ids = [f"C{i:02d}" for i in range(len(cases))]
    records = pd.DataFrame({"community_id": [c for c, case in zip(ids, cases) for _ in range(int(case["x"]))]})
    population = pd.DataFrame({"community_id": ids, "year": 2024, "resident_pop": [case["t"] for case in cases]})
    out = count_by_community(records, "grid.events_reported", 2024, population, per=1.0, poisson_ci=True)
    rates = out[out["indicator"] == "grid.events_reported.per_capita"].set_index("community_id")
    counts = out[out["indicator"] == "grid.events_reported.count"].set_index("community_id")
    for cid, case in zip(ids, cases):
        assert counts.at[cid, "value"] == case["x"]
        assert rates.at[cid, "value"] == pytest.approx(case["x"] / case["t"], rel=1e-12)
        np.testing.assert_allclose(rates.loc[cid, ["ci_low", "ci_high"]].to_numpy(dtype=float), case["ci95"],
                                   rtol=1e-9, atol=1e-12)
        # the count's own interval is poisson.test(x) with T = 1
        np.testing.assert_allclose(counts.loc[cid, ["ci_low", "ci_high"]].to_numpy(dtype=float),
                                   np.asarray(case["ci95"]) * case["t"], rtol=1e-9, atol=1e-12)
    total = sum(int(c["x"]) for c in cases)
    district = out[out["community_id"] == "district"].set_index("indicator")
    assert district.at["grid.events_reported.count", "value"] == total
    assert district.at["grid.events_reported.per_community", "value"] == pytest.approx(total / len(cases))


def test_census_counts_have_no_interval_and_skip_rates_without_population():
    records = pd.DataFrame({"community_id": ["C01", "C01", "C02"]})
    population = pd.DataFrame({"community_id": ["C01"], "year": [2024], "resident_pop": [2000]})
    out = count_by_community(records, "organisation.paired_units", 2024, population, per=1000.0)
    assert out["ci_low"].isna().all() and out["se"].isna().all()
    rate = out[out["indicator"] == "organisation.paired_units.per_1k"]
    assert rate["community_id"].tolist() == ["C01", "district"]  # C02 has no population row: no rate
    assert rate["value"].tolist() == [1.0, 1.5]  # the district rate counts every record


def test_district_count_without_residents_is_the_cluster_total():
    from evaluation.indicators.counting import count_by_community
    from evaluation.indicators.intervals import cluster_ratio, poisson_exact_interval

    recs = pd.DataFrame({"community_id": ["A"] * 2 + ["B"] * 9 + ["C"] * 4 + ["D"] * 5})
    out = count_by_community(recs, "x.events", 2024, poisson_ci=True)
    d = out[(out["indicator"] == "x.events.count") & (out["community_id"] == "district")].iloc[0]
    want = cluster_ratio([2, 9, 4, 5], [0.25] * 4)   # R svytotal(~y, svydesign(ids = ~community))
    assert d["value"] == 20 and (d["se"], d["ci_low"], d["ci_high"]) == pytest.approx(
        (want["se"], want["ci_low"], want["ci_high"]))
    m = out[out["indicator"] == "x.events.per_community"].iloc[0]
    assert m["value"] == 5 and m["ci_high"] == pytest.approx(want["ci_high"] / 4)
    iid = count_by_community(recs, "x.events", 2024, poisson_ci=True, interval="iid")
    d = iid[(iid["indicator"] == "x.events.count") & (iid["community_id"] == "district")].iloc[0]
    assert d["ci_high"] == pytest.approx(poisson_exact_interval(20).iloc[0]["ci_high"])
