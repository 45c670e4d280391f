"""The grid indicators give the same figures from a DataFrame and from the same events left on disk for DuckDB.

The bundled district's grid events are loaded once the ordinary way (DataFrames) and once with ``lazy_rows=1`` (the
events stay a :class:`~evaluation.data.lazy.ParquetTable`, counted by DuckDB). Counts must agree exactly, shares and
intervals to 1e-12, Kaplan–Meier quantiles exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.data import load_district
from evaluation.data.lazy import ParquetTable
from evaluation.indicators import grid

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
YEAR = 2024


@pytest.fixture(scope="module")
def both():
    needed = ("grid_events", "population", "community_lineage")  # what the grid indicators read
    eager = load_district(DATA, lazy_rows=None, tables=needed)
    lazy = load_district(DATA, lazy_rows=1, tables=needed)
    assert isinstance(lazy.tables["grid_events"], ParquetTable)
    assert isinstance(eager.tables["grid_events"], pd.DataFrame)
    return eager.tables, lazy.tables


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) and len(a) > 0
    for c in ("indicator", "community_id", "group", "year", "denominator_label", "note"):
        assert a[c].tolist() == b[c].tolist(), c
    counts = a["indicator"].str.endswith((".count", "_hours")).to_numpy()
    for c in ("value", "se", "ci_low", "ci_high", "n", "denominator"):
        x, y = a[c].to_numpy(dtype="float64"), b[c].to_numpy(dtype="float64")
        assert np.array_equal(np.isnan(x), np.isnan(y)), c
        ok = ~np.isnan(x)
        # counts and Kaplan–Meier quantiles exactly, shares and intervals to 1e-12
        assert np.array_equal(x[ok & counts], y[ok & counts]), c
        np.testing.assert_allclose(x[ok], y[ok], rtol=0, atol=1e-12, err_msg=c)


def test_grid_indicators_same_from_duckdb(both):
    eager, lazy = both
    _same(grid.grid_indicators(dict(eager), YEAR), grid.grid_indicators(dict(lazy), YEAR))


@pytest.mark.parametrize("cutoff", ["2024-06-30 12:00:00"])
def test_subset_and_cutoff_same_from_duckdb(both, cutoff):
    eager, lazy = both
    subset = ["C01", "C07", "C30"]
    _same(grid.grid_indicators(dict(eager), YEAR, cutoff, subset), grid.grid_indicators(dict(lazy), YEAR, cutoff,
                                                                                     subset))


@pytest.mark.parametrize("cutoff", ["2024-06-30", "2024-01-15 08:00:00"])
def test_district_cutoff_same_from_duckdb(both, cutoff):
    # every figure as of a cut-off inside the year (reported, closed, due, callbacks, repeats): both paths agree
    eager, lazy = both
    a, b = grid.grid_indicators(dict(eager), YEAR, cutoff), grid.grid_indicators(dict(lazy), YEAR, cutoff)
    _same(a, b)
    for f in (grid.events_closed, grid.callback_outcomes):
        _same(f(eager["grid_events"], YEAR, data_cutoff=cutoff), f(lazy["grid_events"], YEAR, data_cutoff=cutoff))
    _same(grid.event_rates(eager["grid_events"], eager["population"], YEAR, data_cutoff=cutoff),
          grid.event_rates(lazy["grid_events"], lazy["population"], YEAR, data_cutoff=cutoff))
    # and the cut-off did move them: fewer events than in the whole year
    key = (a["indicator"] == "grid.events_reported.count") & (a["community_id"] == "district") & (a["group"] == "")
    assert 0 < a.loc[key, "value"].item() < (eager["grid_events"]["reported_at"].dt.year == YEAR).sum()


def test_curves_same_from_duckdb(both):
    eager, lazy = both
    a = grid.time_to_close_curves(eager["grid_events"], YEAR)
    b = grid.time_to_close_curves(lazy["grid_events"], YEAR)
    assert a["group"].tolist() == b["group"].tolist()
    for c in ("hours", "n_risk", "n_event", "n"):
        assert np.array_equal(a[c].to_numpy(dtype="float64"), b[c].to_numpy(dtype="float64")), c
    for c in ("surv", "ci_low", "ci_high"):
        np.testing.assert_allclose(a[c].to_numpy(dtype="float64"), b[c].to_numpy(dtype="float64"), atol=1e-12)


def test_events_closed_headline_from_duckdb(both):
    _, lazy = both
    ec = grid.events_closed(lazy["grid_events"], YEAR)
    assert ec.loc[(ec["indicator"] == "grid.events_closed.count") & (ec["community_id"] == "district"),
                  "value"].item() == 16295


def test_kept_code_lineage_same_from_duckdb(both):
    """A split where C01 keeps its code (C44 takes 40 % from 2024-07-01): events of C01 before it are shared out,
    later ones stay, and DuckDB's counts by era agree with the DataFrame path."""
    eager, lazy = both
    extra = pd.DataFrame({"from_id": ["C01", "C01"], "to_id": ["C01", "C44"], "effective_date": "2024-07-01",
                          "pop_share": [0.6, 0.4]})
    lin = pd.concat([eager["community_lineage"].astype(object), extra], ignore_index=True)
    e, z = {**eager, "community_lineage": lin}, {**lazy, "community_lineage": lin}
    a, b = grid.grid_indicators(e, YEAR), grid.grid_indicators(z, YEAR)
    _same(a, b)
    ev = eager["grid_events"]
    own = ev[(ev["community_id"] == "C01") & (ev["reported_at"].dt.year == YEAR)]
    before = int((own["reported_at"] < pd.Timestamp("2024-07-01")).sum())
    rep = a[(a["indicator"] == "grid.events_reported.count") & (a["group"] == "")].set_index("community_id")["value"]
    assert rep["C01"] == pytest.approx(len(own) - before + 0.6 * before, abs=1e-9)
    assert rep["C44"] == pytest.approx(0.4 * before, abs=1e-9)
    assert rep["district"] == (ev["reported_at"].dt.year == YEAR).sum()
