"""The region generator: proportional shapes, unique region-wide ids, chunked = in-memory output, loads, deterministic.

The test region has 45 communities (one full block of 43 and a partial block of 2) with two draws of grid events per
block, so that pooling, renumbering and truncation are all exercised. Its truth.json counts are checked against
DuckDB SQL over the written Parquet files, an engine independent of the pandas code that produced them.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from evaluation.cli import main
from evaluation.data import contract, read_district
from evaluation.synthetic import TABLE_ORDER, SynthConfig, generate_district
from evaluation.synthetic.region import BLOCK_SIZE, region_blocks, region_tables, write_region

SEED = 20250101
N = 45
KNOBS = {"events_replicates": 2, "survey_per_community": 50}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("region_45")
    return write_region(out, N, SEED, blocks_per_row_group=1, **KNOBS)


@pytest.fixture(scope="module")
def read_back(written):
    return {name: pd.read_parquet(written.folder / f"{name}.parquet") for name in TABLE_ORDER}


@pytest.fixture(scope="module")
def in_memory():
    return region_tables(N, SEED, **KNOBS)


def _current(communities: pd.DataFrame) -> pd.Series:
    return communities.loc[communities["valid_to"].isna(), "community_id"]


def test_every_contract_table_is_written_with_metadata(written):
    names = {p.stem for p in written.folder.glob("*.parquet")}
    assert names == set(TABLE_ORDER)
    assert {t.name for t in contract.TABLES if t.required} <= names
    meta = yaml.safe_load((written.folder / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["scale"] == N and meta["seed"] == SEED
    assert meta["blocks"] == 2 and meta["events_replicates"] == 2
    assert meta["rows"] == written.rows


def test_chunked_output_equals_the_in_memory_region(read_back, in_memory, written):
    # One row group per block in the files; the same rows as the whole region concatenated in memory (which was
    # generated a second time, so this is also the determinism check).
    assert pq.ParquetFile(written.folder / "grid_events.parquet").num_row_groups == 2
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(read_back[name], in_memory[name], check_dtype=False, obj=name)


def test_another_seed_gives_another_region(in_memory):
    other = next(region_blocks(N, SEED + 1, **KNOBS))
    assert not other.tables["grid_events"]["reported_at"].head(100).equals(
        in_memory["grid_events"]["reported_at"].head(100))


def test_a_smaller_region_is_a_prefix_of_a_larger_one(in_memory):
    first = next(region_blocks(200, SEED, **KNOBS))
    got = first.tables["grid_events"].reset_index(drop=True)
    want = in_memory["grid_events"][in_memory["grid_events"]["event_id"].str.startswith("D001-")]
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)


def test_current_and_legacy_communities(read_back):
    com = read_back["communities"]
    current = _current(com)
    assert len(current) == N
    assert current.tolist() == [f"C{i:04d}" for i in range(1, N + 1)]
    legacy = com.loc[com["valid_to"].notna(), "community_id"]
    assert legacy.str.fullmatch(r"L\d{4}").all()
    # The 2 communities of the partial block are 2 of the 5 children of its first legacy community.
    assert len(legacy) == 10 + 1
    lin = read_back["community_lineage"]
    assert len(lin) == N and set(lin["to_id"]) == set(current)
    np.testing.assert_allclose(lin.groupby("from_id")["pop_share"].sum().to_numpy(), 1.0, atol=1e-12)
    assert com["street"].nunique() == 3 + 1      # the partial block's communities lie in one street


def test_ids_are_unique_and_references_resolve(read_back):
    com_ids = set(read_back["communities"]["community_id"])
    for t in contract.TABLES:
        if t.name not in read_back:
            continue
        df = read_back[t.name]
        if t.key:
            assert not df.duplicated(list(t.key)).any(), t.name
        for col in t.columns:
            if col.foreign_key == contract.COMMUNITY_FK and col.name in df.columns:
                assert df[col.name].isin(com_ids).all(), (t.name, col.name)
    assert read_back["service_hours"]["person_key"].isin(set(read_back["volunteers"]["person_key"])).all()
    ev = read_back["grid_events"]
    # grid ids carry the event's own community code, so a repeat event can only match within its community
    assert (ev["grid_id"].str.partition("-")[0] == ev["community_id"]).all()
    sv = read_back["survey_responses"]
    assert (sv["stratum"] == sv["community_id"]).all()
    assert (sv["psu"].str.partition("-")[0] == sv["community_id"]).all()


def test_shapes_scale_in_proportion_to_the_district(read_back):
    district = generate_district(SEED, SynthConfig().with_(n_per_community=KNOBS["survey_per_community"]))
    base = district.metadata["rows"]
    ratio = N / BLOCK_SIZE
    for name in ("population", "population_margins", "programme_rollout", "survey_responses", "activities",
                 "organisations", "volunteers", "service_hours", "petitions", "residential_points",
                 "community_workers", "grid_staff", "joint_meetings"):
        got = len(read_back[name]) / (base[name] * ratio)
        assert 0.8 < got < 1.25, (name, got)
    events = len(read_back["grid_events"]) / (base["grid_events"] * ratio * KNOBS["events_replicates"])
    assert 0.8 < events < 1.25
    # survey: every community has respondents in every wave after it exists
    waves = read_back["survey_responses"].groupby("community_id")["wave"].nunique()
    assert set(_current(read_back["communities"])) <= set(waves.index)


def test_truth_counts_match_duckdb_over_the_files(written):
    truth = json.loads((written.folder / "truth.json").read_text(encoding="utf-8"))
    f = {name: str(written.folder / f"{name}.parquet") for name in TABLE_ORDER}
    con = duckdb.connect()

    def one(sql: str) -> float:
        return float(con.execute(sql).fetchone()[0])

    expect = {
        "grid.events_closed.count": one(f"select count(*) from '{f['grid_events']}' "
                                        "where status = 'closed' and closed_at like '2024%'"),
        "grid.events_reported.count": one(f"select count(*) from '{f['grid_events']}' where reported_at like '2024%'"),
        "participation.activities.count": one(f"select count(*) from '{f['activities']}' where date like '2024%'"),
        "participation.attendance.person_times": one(
            f"select sum(attendance) from '{f['activities']}' where date like '2024%'"),
        "petitions.real_estate.count": one(f"select count(*) from '{f['petitions']}' "
                                           "where real_estate_related = 1 and received_date like '2024%'"),
        "petitions.real_estate.count_prev": one(f"select count(*) from '{f['petitions']}' "
                                                "where real_estate_related = 1 and received_date like '2023%'"),
        "organisation.joint_meetings.count": one(f"select count(*) from '{f['joint_meetings']}' "
                                                 "where date like '2024%'"),
    }
    for level in ("district", "street", "community", "estate"):
        expect[f"service_circle.stations.{level}.count"] = one(
            f"select count(*) from '{f['service_stations']}' where level = '{level}' and opened <= '2024-12-31' "
            "and (closed is null or closed > '2024-12-31')")
    for key, value in expect.items():
        assert truth[key]["value"] == value, key
    assert truth["service_circle.stations.community.count"]["value"] == N
    assert "organisation.paired_units.count" not in truth        # distinct names repeat across blocks


def test_the_folder_loads_and_validates(written):
    district, problems = read_district(written.folder)
    errors = [p for p in problems if p.severity == "error"]
    assert district is not None and not errors, errors[:5]
    assert len(district.tables["grid_events"]) == written.rows["grid_events"]
    assert district.synthetic


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError):
        next(region_blocks(0))
    with pytest.raises(ValueError):
        next(region_blocks(5, events_replicates=0))
    with pytest.raises(ValueError):
        write_region(tmp_path, 5, blocks_per_row_group=0)


def test_cli_generate_scale(tmp_path, capsys):
    out = tmp_path / "region"
    assert main(["generate", str(out), "--scale", "5", "--seed", "3"]) == 0
    assert "5 communities" in capsys.readouterr().out
    meta = yaml.safe_load((out / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["scale"] == 5 and meta["seed"] == 3
    com = pd.read_parquet(out / "communities.parquet")
    assert len(_current(com)) == 5
    assert main(["generate", str(out), "--scale", "0"]) == 1


@pytest.mark.slow
def test_the_scale_benchmark_baseline_agrees_with_the_package(written):
    # The DuckDB SQL of benchmarks/bench_scale.py recomputes the grid figures from the files; on this small region
    # every one of them must equal the package's (the benchmark asserts the same at N = 2,000).
    import importlib
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    bench = importlib.import_module("benchmarks.bench_scale")
    base = bench.sql_figures(written.folder)
    ours = bench.package_figures(written.folder)
    assert len(base) > 1000
    assert bench.compare_figures(ours, base) == []
    # a changed figure is caught
    key = ("grid.time_to_close.median_hours", "district", "")
    assert bench.compare_figures({**ours, key: ours[key] * (1 + 1e-6)}, base)
