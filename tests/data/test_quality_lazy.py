"""Data-quality summaries give the same tables from grid events in memory and left on disk for DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.data import load_district
from evaluation.data import quality as dq
from evaluation.data.lazy import ParquetTable

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"


@pytest.fixture(scope="module")
def both():
    eager = load_district(DATA, lazy_rows=None)
    lazy = load_district(DATA, lazy_rows=1)
    assert isinstance(lazy.tables["grid_events"], ParquetTable)
    return eager, lazy


def test_overview_same(both):
    eager, lazy = both
    a = dq.table_overview(eager.tables, eager.files).set_index("table")
    b = dq.table_overview(lazy.tables, lazy.files).set_index("table")
    pd.testing.assert_frame_equal(a.astype(str), b.astype(str))
    assert a.loc["grid_events", "rows"] > 70_000


def test_records_by_community_year_same(both):
    eager, lazy = both
    a = dq.records_by_community_year(eager["grid_events"], "reported_at")
    b = dq.records_by_community_year(lazy["grid_events"], "reported_at")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_names=False)
    assert int(b.to_numpy().sum()) == len(eager["grid_events"])


def test_missingness_same(both):
    eager, lazy = both
    a = dq.missingness({"grid_events": eager["grid_events"]}).set_index("column")
    b = dq.missingness({"grid_events": lazy["grid_events"]}).set_index("column")
    common = a.index.intersection(b.index)  # the free-text column is not exposed on disk
    assert len(common) >= len(a) - 1
    pd.testing.assert_series_equal(a.loc[common, "missing_share"], b.loc[common, "missing_share"], rtol=0, atol=1e-15)
    assert b["missing_share"].max() > 0  # open events have no closing time
