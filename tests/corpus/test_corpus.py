"""Bad input, clearly refused: every case of the corpus gets its error (file, row, column, fix) and exit code 1, with
no traceback and before any notebook runs; what can be read safely is read."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, mini_tables, write_tables

from evaluation.data import read_district

from .cases import BAD, BAD_PARAMS, HOSTILE, READ_OK, READ_OK_PARAMS


def _district(tmp_path, case):
    tables = mini_tables()
    case.breaks(tables)
    folder = write_tables(tmp_path / "d", tables)
    case.after_write(folder)
    return folder


@pytest.fixture(autouse=True)
def _own_verdict_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JINLIN_VALIDATION_CACHE", "off")


@pytest.mark.parametrize("case", BAD + HOSTILE, ids=lambda c: c.name)
def test_bad_input_gets_its_error(tmp_path, case):
    district, problems = read_district(_district(tmp_path, case))
    assert district is None
    hits = [p for p in problems if p.rule == case.rule and p.severity == "error"]
    assert hits, f"expected {case.rule}, got {[(p.rule, p.file, p.row, p.column) for p in problems]}"
    p = hits[0]
    assert p.file == case.file
    if case.row is not None:
        assert p.row == case.row
    if case.column is not None:
        assert p.column == case.column
    assert p.fix and p.message
    if case.contains:
        assert case.contains in p.message + p.fix


@pytest.mark.parametrize("case", [BAD[0], BAD[3], BAD[7], BAD[10]], ids=lambda c: c.name)
def test_cli_refuses_with_exit_1_and_no_traceback(tmp_path, case):
    folder = _district(tmp_path, case)
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "validate", str(folder)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1
    assert case.file in r.stdout and "fix:" in r.stdout and "Traceback" not in r.stdout + r.stderr
    params = tmp_path / "p.yaml"
    params.write_text(f"data_dir: {folder}\n", encoding="utf-8")
    out = tmp_path / "reports"
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "run", "--params", str(params)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120, env={**__import__("os").environ, "JINLIN_ROOT": str(ROOT)})
    assert r.returncode == 1 and "Nothing was run" in r.stderr and "Traceback" not in r.stderr
    assert "IPKernelApp" not in r.stderr  # the kernels started while it validated went quietly
    assert not out.exists()


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
def test_validate_refuses_hostile_input_with_exit_1(tmp_path, case, capsys):
    from evaluation.cli import main

    folder = _district(tmp_path, case)
    assert main(["validate", str(folder)]) == 1  # an exception here would be a traceback for the user
    out = capsys.readouterr().out
    where = case.file + (f", row {case.row}" if case.row is not None else "") + \
        (f", column {case.column}" if case.column is not None else "")
    assert where in out and "fix:" in out


@pytest.mark.parametrize("name", ["utf8_with_a_stray_byte", "inf_in_parquet_integer_column",
                                  "truncated_parquet_file", "date_before_pandas_0001", "lineage_cycle"])
def test_validate_command_exit_1_no_traceback(tmp_path, name):
    case = next(c for c in HOSTILE if c.name == name)
    folder = _district(tmp_path, case)
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "validate", str(folder)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
    assert case.file in r.stdout and "fix:" in r.stdout


_ON_DISK = [c for c in HOSTILE if c.file == "grid_events.parquet"]


@pytest.mark.parametrize("case", _ON_DISK, ids=lambda c: c.name)
def test_large_table_path_refuses_the_same_way(tmp_path, case):
    # lazy_rows=1 sends the 3-row grid_events.parquet down the >= 1M-row path (streaming validation, DuckDB)
    folder = _district(tmp_path, case)
    _, small = read_district(folder, lazy_rows=None)
    _, large = read_district(folder, lazy_rows=1)
    def key(ps):
        return sorted((p.file, p.row, p.column, p.rule, p.message) for p in ps if p.severity == "error")

    assert key(small) == key(large) and any(p.rule == case.rule for p in large)


@pytest.mark.parametrize("tz", ["+08:00", "UTC"])
def test_zone_aware_parquet_times_read_as_china_time_on_both_paths(tmp_path, tz):
    from evaluation.data.lazy import frame_of, is_lazy

    from .cases import _events_tz

    case = next(c for c in READ_OK if c.name == ("parquet_times_at_plus_0800" if tz == "+08:00"
                                                 else "parquet_times_in_utc"))
    folder = _district(tmp_path, case)
    small, _ = read_district(folder, lazy_rows=None)
    large, _ = read_district(folder, lazy_rows=1)
    assert is_lazy(large["grid_events"]) and not is_lazy(small["grid_events"])
    want = pd.to_datetime(["2024-03-01 09:00:00", "2024-05-02 10:30:00", "2024-12-30 08:00:00"])
    got_small = small["grid_events"]["reported_at"]
    got_large = frame_of(large["grid_events"]).set_index("event_id").loc[["E1", "E2", "E3"], "reported_at"]
    assert list(got_small) == list(want) and list(got_large) == list(want)
    assert got_small.dt.tz is None and _events_tz


@pytest.mark.parametrize("case", READ_OK, ids=lambda c: c.name)
def test_readable_inputs_are_read(tmp_path, case):
    district, problems = read_district(_district(tmp_path, case))
    assert district is not None, [p.render() for p in problems if p.severity == "error"]
    assert district["grid_events"]["status"].tolist() == ["closed", "closed", "open"]
    assert district["communities"]["name_zh"].iloc[0] == "老一社区"
    enc = {t: f.encoding for t, f in district.files.items()}
    if case.name.startswith("utf8_with"):
        ch = {"utf8_with_middle_dot": "·", "utf8_with_e_acute": "é", "utf8_with_no_break_space": "x"}[case.name]
        assert district["communities"]["street"].iloc[1].endswith(ch) and enc["communities"] == "utf-8-sig"
    if case.name.startswith("ascii_file_with"):
        assert enc["population"] == "utf-8-sig"
        assert any(p.rule == "encoding_ambiguous" and p.file == "population.csv" for p in problems)
    if case.name == "formula_with_saved_value":
        assert district["population"]["resident_pop"].tolist()[:2] == [10000, 8076]
    if case.name == "na_markers_in_ascii_text":
        ev = district["grid_events"]
        assert ev["source"].isna().tolist() == [True, False, True] and ev["source"].iloc[1] == "hotline"
        assert ev["grid_id"].isna().tolist() == [False, True, True]
        assert ev["description"].isna().tolist() == [True, False, True]
    if case.name == "thousands_separator":
        assert district["population"]["resident_pop"].iloc[0] == 10000
    if case.name == "volunteers_with_name_and_phone":
        vols, hours = district["volunteers"], district["service_hours"]
        assert "姓名" not in vols.columns and "手机号" not in hours.columns and "name" not in vols.columns
        assert vols["person_key"].notna().all() and vols["person_key"].nunique() == 2
        # the same phone, however written, gives the same key in both tables
        assert set(hours["person_key"]) == set(vols["person_key"])
        assert hours["person_key"].tolist()[0] == hours["person_key"].tolist()[2]
        assert district.personal_columns_dropped["volunteers"]


@pytest.mark.parametrize("name", sorted(BAD_PARAMS))
def test_bad_parameter_files(tmp_path, name):
    text, expected = BAD_PARAMS[name]
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "run", "--params", str(p)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and expected in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", sorted(READ_OK_PARAMS))
def test_yaml_traps_are_read_as_written(tmp_path, name):
    from evaluation.params import load_params

    text, key, value = READ_OK_PARAMS[name]
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, encoding="utf-8")
    params, _ = load_params(p)
    assert getattr(params, key) == value


@pytest.mark.parametrize("case", BAD + HOSTILE + READ_OK, ids=lambda c: c.name)
def test_every_case_reads_the_same_through_the_parsers_cell_by_cell(tmp_path, case, monkeypatch):
    """The loader types every table column-wise (evaluation.data.fastcoerce), CSV and Excel exports included; the
    export parsers cell by cell (schemas.coerce_table) must give the same problems, in the same order, and the same
    typed tables on every bad, hostile and readable export of the corpus."""
    from evaluation.data import loader
    from evaluation.data.schemas import coerce_table

    folder = _district(tmp_path, case)
    fast, fast_problems = read_district(folder)
    monkeypatch.setattr(loader, "coerce_table_fast", coerce_table)
    slow, slow_problems = read_district(folder)
    assert fast_problems == slow_problems
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert list(fast.tables) == list(slow.tables) and fast.recoded_missing == slow.recoded_missing
        for name in fast.tables:
            pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name], check_exact=True)
