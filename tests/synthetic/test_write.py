"""Writing: byte-determinism, file set, truth.json and dataset.yaml formats."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from evaluation.synthetic import DISTRICT_TABLES, TABLE_ORDER, generate_district, write_district

from .conftest import DEFAULT_SEED


def test_file_set(written):
    out, paths = written
    names = {p.name for p in paths}
    assert {"truth.json", "dataset.yaml", "README.md"} <= names
    assert {p.stem for p in paths if p.suffix in (".csv", ".parquet")} == {*TABLE_ORDER, *DISTRICT_TABLES}
    assert (out / "grid_events.parquet").exists() and (out / "service_hours.parquet").exists()
    assert sum(p.stat().st_size for p in paths) < 10_000_000          # a few MB


def test_same_seed_byte_identical(written, tmp_path):
    out_a, paths_a = written
    paths_b = write_district(generate_district(DEFAULT_SEED), tmp_path)
    assert [p.name for p in paths_a] == [p.name for p in paths_b]
    for a, b in zip(paths_a, paths_b):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory):
    out = tmp_path_factory.mktemp("district_other")
    return out, write_district(generate_district(DEFAULT_SEED + 1), out)


def test_other_seed_differs(written, other_seed):
    out_a, _ = written
    out_b, _ = other_seed
    for name in ("survey_responses.csv", "grid_events.parquet", "truth.json", "volunteers.csv"):
        assert (out_a / name).read_bytes() != (out_b / name).read_bytes(), name


def test_other_seed_still_hits_the_headlines(other_seed):
    truth = json.loads((other_seed[0] / "truth.json").read_text(encoding="utf-8"))
    assert truth["grid.events_closed.count"]["value"] == 16295
    assert truth["petitions.real_estate.count"]["value"] == 38
    assert truth["participation.activities.count"]["value"] == 1119


def test_truth_json_format(written, district):
    text = (written[0] / "truth.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    for key, entry in data.items():
        v = entry["value"]
        assert v == float(f"{district.truth[key]['value']:.10g}")
        digits = re.sub(r"[^0-9]", "", repr(v).split("e")[0]).lstrip("0")
        assert len(digits.rstrip("0")) <= 10


def test_dataset_yaml(written):
    meta = yaml.safe_load((written[0] / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["seed"] == DEFAULT_SEED
    assert meta["report_year"] == 2024 and meta["data_cutoff"] == "2024-12-31 23:59:59"
    assert meta["notice"] == "合成数据 / SYNTHETIC DATA — not a real district"
    assert meta["generator_version"] and meta["name"]
    readme = (written[0] / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "合成数据" in readme


def test_csv_round_trip(written, tables):
    out, _ = written
    back = pd.read_csv(out / "community_workers.csv", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(tables["community_workers"].columns)
    assert back["promoted_year"].str.match(r"^(\d{4})?$").all()       # no "2023.0"
    events = pd.read_parquet(out / "grid_events.parquet")
    assert len(events) == len(tables["grid_events"])
    assert events["reported_at"].str.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()


def test_formats_override_and_stale_files(district, tmp_path):
    write_district(district, tmp_path)
    write_district(district, tmp_path, formats={})
    assert (tmp_path / "grid_events.csv").exists() and not (tmp_path / "grid_events.parquet").exists()
    with pytest.raises(ValueError):
        write_district(district, tmp_path, formats={"nope": "csv"})


def test_bundled_folder_is_current(written):
    """data/synthetic/ is exactly what the generator writes for the default seed (regenerate after changes)."""
    from evaluation.config import SYNTHETIC_DIR

    if not (SYNTHETIC_DIR / "dataset.yaml").exists():
        pytest.skip("the bundled synthetic district has not been generated")
    out, paths = written
    for p in paths:
        bundled = SYNTHETIC_DIR / p.name
        assert bundled.exists(), p.name
        if p.suffix == ".parquet":  # the same data, whatever pandas version wrote it (its version is in the file)
            assert _parquet_content(bundled) == _parquet_content(p), f"{p.name} is stale: regenerate data/synthetic"
        else:
            assert bundled.read_bytes() == p.read_bytes(), f"{p.name} is stale: regenerate data/synthetic"


def _parquet_content(path):
    """A Parquet file's schema, rows and pandas metadata, without the writers' version strings."""
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}"))
    meta.pop("creator", None)
    meta.pop("pandas_version", None)
    return table.replace_schema_metadata(None), meta
