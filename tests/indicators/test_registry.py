"""The indicator registry: the generated table in docs/conventions.md is current, every declaration names a real
function and real keys, and each counting query gives the same counts from a DataFrame and from Parquet, equal to
what the computing function reports."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from evaluation.data import load_district
from evaluation.data.contract import table as contract_table
from evaluation.data.lazy import ParquetTable
from evaluation.indicators import engine
from evaluation.indicators.participation import activity_person_times
from evaluation.indicators.petitions import petition_counts
from evaluation.indicators.registry import INDICATORS, NO_CUTOFF, WHITE_SPACE, indicator

_spec = importlib.util.spec_from_file_location("gen_conventions", ROOT / "docs" / "gen_conventions.py")
gen_conventions = importlib.util.module_from_spec(_spec)
sys.modules["gen_conventions"] = gen_conventions
_spec.loader.exec_module(gen_conventions)

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
YEAR = 2024
CUT = pd.Timestamp("2024-12-31 23:59:59")


def test_conventions_table_is_generated_from_the_registry():
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    assert text == gen_conventions.page(text), "run `python docs/gen_conventions.py`"


def test_keys_are_unique_and_each_declaration_names_a_real_function():
    stems = [i.key for i in INDICATORS]
    assert len(stems) == len(set(stems))
    for i in INDICATORS:
        module, _, name = i.function.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), i.function
        assert i.en and i.zh and i.denominator and i.interval


def test_every_key_is_a_key_of_the_default_run():
    run = set((ROOT / "docs" / "results_keys.txt").read_text(encoding="utf-8").split())
    for i in INDICATORS:
        if i.key.startswith("impact."):
            assert f"{i.key}.att" in run, i.key
        else:
            # a key of an indicator broken down by group is recorded as <key>.<group> as well
            assert all(k in run for k in i.keys), i.key


def test_impact_and_grid_on_time_share_one_definition():
    grid, panel = indicator("grid.on_time_rate.share"), indicator("impact.on_time_rate")
    assert "status = 'closed'" in grid.query and "status = 'closed'" in panel.query
    assert indicator("impact.on_time_rate").table == grid.table == "grid_events"


def test_a_query_gets_only_the_parameters_it_names():
    assert engine.bound("SELECT $year", {"year": 2024, "cutoff": CUT}) == {"year": 2024}
    with pytest.raises(KeyError, match="cutoff"):
        engine.bound("SELECT $cutoff", {"year": 2024})


def _parquet(frame: pd.DataFrame, name: str, folder: Path) -> ParquetTable:
    """``frame`` written as Parquet and read back as the loader leaves a large table: its typed view."""
    path = folder / f"{name}.parquet"
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path)
    contract = contract_table(name)
    sources = tuple((c, c, table.schema.field(c).type) for c in frame.columns
                    if c in {col.name for col in contract.columns} and contract.column(c).kind != "text")
    return ParquetTable(contract, (path,), sources, len(frame))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    needed = ("petitions", "activities", "population", "community_lineage")
    eager = load_district(DATA, lazy_rows=None, tables=needed).tables
    folder = tmp_path_factory.mktemp("parquet")
    lazy = {**eager, **{n: _parquet(eager[n], n, folder) for n in ("petitions", "activities")}}
    assert isinstance(lazy["petitions"], ParquetTable) and isinstance(eager["petitions"], pd.DataFrame)
    return eager, lazy


def _count(tables, key: str, **extra) -> pd.DataFrame:
    i = indicator(key)
    params = {"year": YEAR, "cutoff": CUT, "space": WHITE_SPACE, "government_labels": ["government", "居委会"],
              **engine.community_params(None), **extra}
    out = engine.compute(tables[i.table], i.table, i.query, i.columns, params)
    return out.sort_values(list(out.columns)).reset_index(drop=True)


@pytest.mark.parametrize("key", ["petitions.received", "petitions.real_estate", "petitions.real_estate.yoy_change",
                                 "participation.activities", "participation.attendance",
                                 "participation.co_organised.share", "participation.co_organisers_listed.share"])
def test_same_counts_from_a_dataframe_and_from_parquet(both, key):
    eager, lazy = both
    a, b = _count(eager, key), _count(lazy, key)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_counts_are_the_functions_figures(both):
    eager, _ = both
    rows = petition_counts(eager["petitions"], eager["population"], [YEAR], by_category=False,
                           lineage=eager["community_lineage"])
    district = rows[rows["community_id"] == "district"].set_index("indicator")["value"]
    assert _count(eager, "petitions.received")["n"].sum() == district["petitions.received.count"]
    assert _count(eager, "petitions.real_estate")["n"].sum() == district["petitions.real_estate.count"] == 38
    act = activity_person_times(eager["activities"], eager["population"], YEAR, lineage=eager["community_lineage"])
    act = act[act["community_id"] == "district"].set_index("indicator")["value"]
    assert _count(eager, "participation.activities")["n"].sum() == act["participation.activities.count"] == 1119
    assert _count(eager, "participation.attendance")["n"].sum() == act["participation.attendance.person_times"]


def test_panel_queries_bind_the_no_cutoff_stamp(both):
    eager, lazy = both
    i = indicator("impact.activities_per_1k")
    for tables in (eager, lazy):
        out = engine.compute(tables["activities"], "activities", i.query, i.columns, {"cutoff": pd.Timestamp(NO_CUTOFF)})
        assert out["n"].sum() == len(tables["activities"])


def test_an_optional_column_the_export_lacks_reads_as_empty(both):
    eager, _ = both
    act = eager["activities"].drop(columns=["co_organisers"])
    i = indicator("participation.co_organisers_listed.share")
    params = {"year": YEAR, "cutoff": CUT, "space": WHITE_SPACE, **engine.community_params(None)}
    out = engine.compute(act, "activities", i.query, i.columns, params, optional=("co_organisers",))
    assert out["successes"].sum() == 0 and out["trials"].sum() == 1119
    with pytest.raises(KeyError, match="co_organisers"):
        engine.compute(act, "activities", i.query, i.columns, params)


def test_white_space_is_every_character_python_strips():
    assert WHITE_SPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert "\u3000" in WHITE_SPACE and "\t" in WHITE_SPACE
