"""Petitions and activities left on disk (ParquetTable) give the same figures as in memory.

A region of 2,000 communities keeps them below the loader's 1M-row threshold, so normally they are DataFrames; a
larger one leaves them on disk, and the indicator functions then read only the columns they need through DuckDB.
The bundled district is loaded once as usual and once with ``lazy_rows=1`` from a copy whose petitions and
activities are Parquet files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import copy_with_parquet

from evaluation.data import load_district
from evaluation.data.lazy import ParquetTable
from evaluation.indicators import headline, participation, petitions

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
YEAR = 2024


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = copy_with_parquet(DATA, tmp_path_factory.mktemp("district"), ("petitions", "activities"))
    needed = ("petitions", "activities", "population", "community_lineage")
    eager = load_district(folder, lazy_rows=None, tables=needed).tables
    lazy = load_district(folder, lazy_rows=1, tables=needed).tables
    assert isinstance(lazy["petitions"], ParquetTable) and isinstance(lazy["activities"], ParquetTable)
    return eager, lazy


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) and len(a) > 0
    for c in ("indicator", "community_id", "group", "denominator_label", "note"):
        assert a[c].tolist() == b[c].tolist(), c
    for c in ("value", "se", "ci_low", "ci_high", "n", "denominator"):
        np.testing.assert_allclose(a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float), rtol=1e-12, err_msg=c)


def test_petition_indicators_same_from_disk(both):
    eager, lazy = both
    pop = eager["population"]
    _same(petitions.petition_counts(eager["petitions"], pop, [2023, 2024]),
          petitions.petition_counts(lazy["petitions"], pop, [2023, 2024]))
    _same(petitions.real_estate_change(eager["petitions"], YEAR, population=pop),
          petitions.real_estate_change(lazy["petitions"], YEAR, population=pop))
    pd.testing.assert_frame_equal(petitions.monthly_series(eager["petitions"], pop),
                                  petitions.monthly_series(lazy["petitions"], pop))
    assert petitions.yoy_rate_ratio(lazy["petitions"], YEAR).count == 38  # the article's figure, planted


def test_activity_indicators_same_from_disk(both):
    eager, lazy = both
    _same(participation.participation_indicators({k: eager[k] for k in ("activities", "population")}, YEAR),
          participation.participation_indicators({k: lazy[k] for k in ("activities", "population")}, YEAR))
    _same(participation.attendance_by_type(eager["activities"], YEAR),
          participation.attendance_by_type(lazy["activities"], YEAR))
    a, b = headline.headline_figures(dict(eager), YEAR), headline.headline_figures(dict(lazy), YEAR)
    assert a == b and a["participation.activities.count"]["value"] == 1119
