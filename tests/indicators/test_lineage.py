"""Carrying legacy-community series to current communities by pop_share."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.indicators.lineage import carry_to_current


@pytest.fixture()
def lineage():
    return pd.DataFrame({"from_id": ["L01", "L01", "L01", "L02", "L02"],
                         "to_id": ["C01", "C02", "C03", "C04", "C05"],
                         "effective_date": "2020-01-01", "pop_share": [0.5, 0.3, 0.2, 0.6, 0.4]})


def test_counts_split_rates_copied(lineage):
    series = pd.DataFrame({"community_id": ["L01", "L02", "C01"], "year": [2019, 2019, 2020],
                           "events": [100.0, 50.0, 7.0], "rate": [0.8, 0.4, 0.9]})
    out = carry_to_current(series, lineage, counts=["events"], rates=["rate"])
    got = out.set_index(["community_id", "year"])
    assert got.loc[("C02", 2019), "events"] == pytest.approx(30.0)
    assert got.loc[("C05", 2019), "events"] == pytest.approx(20.0)
    assert got.loc[("C03", 2019), "rate"] == 0.8
    assert got.loc[("C01", 2020), "events"] == 7.0 and not got.loc[("C01", 2020), "carried"]
    assert got.loc[("C01", 2019), "carried"] and got.loc[("C01", 2019), "from_id"] == "L01"
    # counts are preserved in total
    assert out.loc[out["year"] == 2019, "events"].sum() == pytest.approx(150.0)
    assert len(out) == 6


def test_shares_must_sum_to_one(lineage):
    bad = lineage.assign(pop_share=[0.5, 0.3, 0.1, 0.6, 0.4])
    with pytest.raises(ValueError, match="L01"):
        carry_to_current(pd.DataFrame({"community_id": ["L01"], "n": [1]}), bad, counts=["n"])


def test_column_cannot_be_both(lineage):
    with pytest.raises(ValueError):
        carry_to_current(pd.DataFrame({"community_id": ["L01"], "n": [1]}), lineage, counts=["n"], rates=["n"])
