"""The run's Parquet snapshot: load_district reads it in place of exactly the folder it was made from, and it never
holds a personal or free-text column."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import mini_tables, write_tables

from evaluation.data import contract
from evaluation.data.loader import (METADATA_FILE, SNAPSHOT_DIGESTS_KEY, SNAPSHOT_ENV, SOURCE_FILES_KEY, load_district,
                                   load_snapshot, snapshot_folder,
                                   read_snapshot, with_source_files)
from evaluation.errors import DataValidationError
from evaluation.run.profiles import write_snapshot


@pytest.fixture
def district_and_snapshot(tmp_path: Path) -> tuple[Path, Path]:
    t = mini_tables()
    t["survey_responses"]["comment"] = ["很好", "", "", "一般", "", ""]
    t["survey_responses"]["phone"] = ["13812345678", "", "", "", "", ""]
    folder = write_tables(tmp_path / "d", t)
    snap = write_snapshot(load_district(folder), tmp_path / "snap")
    return folder, snap


def test_the_named_folder_is_read_from_its_snapshot(district_and_snapshot, monkeypatch):
    folder, snap = district_and_snapshot
    direct = load_district(folder)
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    via = load_district(folder)
    assert via.folder == snap.resolve() and direct.folder == folder.resolve()
    assert via.label == direct.label and via.synthetic == direct.synthetic
    for name, frame in direct.tables.items():
        kept = [c for c in frame.columns if c in via.tables[name].columns]
        pd.testing.assert_frame_equal(via.tables[name][kept], frame[kept], check_dtype=True)
    # what a notebook reading the snapshot lacks is exactly the personal and free-text columns
    survey = contract.table("survey_responses")
    dropped = set(direct.tables["survey_responses"].columns) - set(via.tables["survey_responses"].columns)
    assert dropped and all(c.personal or c.kind == "text" for c in survey.columns if c.name in dropped)


def test_no_personal_or_free_text_column_is_written(district_and_snapshot):
    _, snap = district_and_snapshot
    for f in snap.glob("*.parquet"):
        spec = {c.name: c for c in contract.table(f.stem).columns}
        for col in pd.read_parquet(f).columns:
            assert col in spec and not spec[col].personal and spec[col].kind != "text", (f.name, col)


def test_other_folders_and_a_vanished_snapshot_read_the_folder(district_and_snapshot, tmp_path, monkeypatch):
    folder, snap = district_and_snapshot
    other = write_tables(tmp_path / "other", mini_tables())
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    assert load_district(other).folder == other.resolve()
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{tmp_path / 'gone'}")
    assert load_district(folder).folder == folder.resolve()
    monkeypatch.delenv(SNAPSHOT_ENV)
    assert load_district(folder).folder == folder.resolve()


def test_a_snapshot_reports_the_exports_it_was_made_from(district_and_snapshot, monkeypatch):
    """The award audit cites each data file's SHA-256: read through the snapshot, the district names the exports
    (file, format, encoding, hash, rows), not the temporary Parquet files, and the carrier key leaves its metadata."""
    folder, snap = district_and_snapshot
    direct = load_district(folder)
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    via = load_district(folder)
    assert dict(via.files) == dict(direct.files)
    assert {f.fmt for f in via.files.values()} == {"csv"}
    assert SOURCE_FILES_KEY not in via.metadata and via.metadata["snapshot_of"] == str(folder.resolve())
    # read as a folder of its own (as `jinlin profiles` names it), a snapshot still reports its exports
    assert dict(with_source_files(load_district(snap)).files) == dict(direct.files)


def test_a_table_whose_rows_differ_from_its_export_keeps_the_snapshots_own_provenance(district_and_snapshot):
    folder, snap = district_and_snapshot
    meta_path = snap / METADATA_FILE
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta[SOURCE_FILES_KEY]["communities"]["rows"] += 1
    meta[SOURCE_FILES_KEY]["population"] = "not a table file"
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    via = with_source_files(load_district(snap))
    direct = load_district(folder)
    assert via.files["communities"].file == "communities.parquet" and via.files["communities"].fmt == "parquet"
    assert via.files["population"].file == "population.parquet"
    assert via.files["survey_responses"] == direct.files["survey_responses"]


def test_a_folder_that_is_no_snapshot_keeps_its_files_whatever_its_metadata_says(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    meta_path = folder / METADATA_FILE
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta[SOURCE_FILES_KEY] = {"communities": {"table": "communities", "file": "x.csv", "fmt": "csv", "encoding": None,
                                              "sha256": "0" * 64, "rows": 3, "first_data_row": 2}}
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    district = load_district(folder)
    assert with_source_files(district) is district
    assert district.files["communities"].sha256 != "0" * 64


def _same_district(a, b) -> None:
    assert a.folder == b.folder and list(a.tables) == list(b.tables)
    for name, frame in b.tables.items():
        pd.testing.assert_frame_equal(a.tables[name], frame, check_exact=True)
    assert dict(a.files) == dict(b.files) and dict(a.metadata) == dict(b.metadata)
    assert (a.warnings, dict(a.recoded_missing), dict(a.personal_columns_dropped), a.personal_values) == \
        (b.warnings, dict(b.recoded_missing), dict(b.personal_columns_dropped), b.personal_values)


@pytest.mark.parametrize("bundled", [False, True])
def test_a_snapshot_reads_back_as_the_district_that_checking_it_again_gives(district_and_snapshot, tmp_path, bundled):
    folder, snap = district_and_snapshot
    if bundled:
        snap = write_snapshot(load_district(Path(__file__).resolve().parents[2] / "data" / "synthetic"),
                              tmp_path / "bundled-snap")
    fast = read_snapshot(snap)
    assert fast is not None
    _same_district(fast, with_source_files(load_district(snap)))
    assert SNAPSHOT_DIGESTS_KEY not in fast.metadata and SOURCE_FILES_KEY not in fast.metadata
    only = read_snapshot(snap, tables=("population",))
    assert only is not None and list(only.tables) == ["communities", "population"]
    _same_district(only, with_source_files(load_district(snap, tables=("population",))))


def test_a_snapshot_file_that_changed_is_read_and_checked_again(district_and_snapshot, monkeypatch):
    """Only the exact bytes written from the validated frames are trusted: a changed file, a missing digest or a
    table that would stay on disk sends the read to load_district, which checks it (and refuses a bad value)."""
    folder, snap = district_and_snapshot
    assert read_snapshot(snap, lazy_rows=1) is None  # its grid events would stay on disk: load_district decides
    assert read_snapshot(snap, tables=("population",), lazy_rows=1) is not None  # not asked for, not in the way
    pop = pd.read_parquet(snap / "population.parquet")
    pop.loc[pop.index[0], "resident_pop"] = -5
    pop.to_parquet(snap / "population.parquet", index=False)
    assert read_snapshot(snap) is None
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    with pytest.raises(DataValidationError, match="resident_pop"):
        load_district(folder)
    meta = yaml.safe_load((snap / METADATA_FILE).read_text(encoding="utf-8"))
    del meta[SNAPSHOT_DIGESTS_KEY]
    (snap / METADATA_FILE).write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    assert read_snapshot(snap) is None


def test_only_a_private_snapshot_folder_is_read_without_checking(district_and_snapshot):
    """The digests sit beside the files: they tell an accident, not intent. A folder others can read or write (an
    ordinary data folder whose dataset.yaml says it is a snapshot) is read and checked like any other."""
    _, snap = district_and_snapshot
    assert snap.stat().st_mode & 0o777 == 0o700  # as write_snapshot makes it
    assert read_snapshot(snap) is not None
    snap.chmod(0o755)
    assert read_snapshot(snap) is None
    checked = load_snapshot(snap)  # read and validated, with the exports' provenance all the same
    snap.chmod(0o700)
    _same_district(checked, read_snapshot(snap))


def test_the_snapshot_a_folder_is_read_through(district_and_snapshot, tmp_path, monkeypatch):
    """The run's snapshot of the named folder, else the folder itself when it is a snapshot, else none."""
    folder, snap = district_and_snapshot
    assert snapshot_folder(folder) is None and snapshot_folder(snap) == snap
    monkeypatch.setenv(SNAPSHOT_ENV, f"{folder}{os.pathsep}{snap}")
    assert snapshot_folder(folder) == snap
    assert snapshot_folder(tmp_path / "nowhere") is None
