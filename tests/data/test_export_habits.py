"""Export habits of issue 13: encodings decided by strict decoding, "none" words in list columns, the plausible
date window from the data cut-off, totals rows, and the large-table path agreeing with the in-memory one."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import mini_tables, write_tables

from evaluation.data import read_district
from evaluation.data.lazy import frame_of, is_lazy
from evaluation.data.parsing import date_window, parse_numbers
from evaluation.data.readers import decode_export

@pytest.fixture(autouse=True)
def _no_verdict_cache(monkeypatch):
    monkeypatch.setenv("JINLIN_VALIDATION_CACHE", "off")


NAMES = "community_id,name_zh\nC01,老一社区\nC02,霞涌社区\n"


@pytest.mark.parametrize("ch", ["·", "é", "\u00a0"])
def test_one_latin1_character_keeps_a_utf8_file_utf8(ch):
    data = (NAMES + f"C03,阿不都{ch}热合曼\n").encode("utf-8")
    d = decode_export(data)
    assert d.encoding == "utf-8-sig" and "霞涌社区" in d.text and d.ambiguous is None


def test_gbk_file_is_gbk():
    d = decode_export(NAMES.encode("gbk"))
    assert d.encoding == "gb18030" and "霞涌社区" in d.text


def test_tie_of_a_gbk_file_valid_as_utf8_goes_to_gbk_with_a_note():
    # 霞 in GBK (CF BC) is "ϼ" in UTF-8; no Chinese in the UTF-8 reading, all Chinese in the GBK one
    d = decode_export("community_id,name_zh\nC01,霞\n".encode("gbk"))
    assert d.encoding == "gb18030" and d.text.endswith("霞\n")
    assert d.ambiguous is not None and d.ambiguous[0] == 2


def test_tie_of_latin1_text_stays_utf8_with_a_note():
    d = decode_export("id,note\n1,café\n".encode("utf-8"))
    assert d.encoding == "utf-8-sig" and "café" in d.text and d.ambiguous == (2, "1,café", "1,caf茅")


def test_damaged_utf8_is_refused_at_its_first_bad_byte_not_read_as_gbk():
    data = NAMES.encode("utf-8") + b"C03,\xe9\n" + "C04,新社区\n".encode("utf-8") * 5
    d = decode_export(data)
    assert d.text is None and d.bad_row == 4 and d.bad_offset == data.index(b"C03,") + 4 and d.bad_column == 1


def test_neither_encoding_is_refused():
    d = decode_export(b"id\n\x80\x80\x80\n")
    assert d.text is None and d.bad_row == 2


def test_numbers_commas():
    values, bad = parse_numbers(pd.Series(["1,234", "12,345.5", "1,5", "12,34", "1,2345", "-1,000"], dtype=object))
    assert bad.tolist() == [False, False, True, True, True, False]
    assert values[~bad].tolist() == [1234, 12345.5, -1000]


def test_date_window_from_the_cutoff():
    lo, hi = date_window("2024-06-30")
    assert lo == pd.Timestamp("1949-01-01") and hi.date() == pd.Timestamp("2025-06-30").date()
    lo, hi = date_window(None, today=pd.Timestamp("2026-03-01"))
    assert hi.date() == pd.Timestamp("2027-12-31").date()


def test_cutoff_of_dataset_yaml_bounds_the_dates(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[2, "reported_at"] = "2025-09-01 08:00:00"
    folder = write_tables(tmp_path / "d", t)
    district, _ = read_district(folder)
    assert district is not None  # default: end of the current year + 1
    (folder / "dataset.yaml").write_text("data_cutoff: '2024-06-30'\n", encoding="utf-8")
    district, problems = read_district(folder)
    hits = [p for p in problems if p.rule == "implausible_date"]
    assert district is None and [(p.row, p.column) for p in hits] == [(4, "reported_at")]
    assert "2025-06-30" in hits[0].message and "data_cutoff" in hits[0].fix


def test_dataset_yaml_with_a_key_given_twice_is_refused(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    (folder / "dataset.yaml").write_text("name: 甲区\ndata_cutoff: '2024-12-31'\ndata_cutoff: '2024-06-30'\n",
                                         encoding="utf-8")
    district, problems = read_district(folder)
    hit = [p for p in problems if p.rule == "duplicate_key"]
    assert district is None and [(p.file, p.row, p.column) for p in hit] == [("dataset.yaml", 3, "data_cutoff")]
    assert "line 2" in hit[0].message and "keep one" in hit[0].fix


def _with_activities(tmp_path, co: list[str]) -> pd.DataFrame:
    t = mini_tables()
    n = len(co)
    t["activities"] = pd.DataFrame({
        "activity_id": [f"A{i}" for i in range(n)], "community_id": ["C01"] * n, "date": ["2024-04-01"] * n,
        "activity_type": ["讲座"] * n, "attendance": [10] * n, "co_organisers": co})
    folder = write_tables(tmp_path / "d", t)
    frame = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    frame.to_parquet(folder / "activities.parquet")
    (folder / "activities.csv").unlink()
    return folder


def test_none_words_in_co_organisers_are_none_on_both_paths(tmp_path):
    co = ["无", "/", "暂无", "辖区学校", "-", "—", "N/A", "空", "", "物业服务企业;辖区学校", "None", "没有"]
    folder = _with_activities(tmp_path, co)
    small, _ = read_district(folder, lazy_rows=None)
    large, _ = read_district(folder, lazy_rows=1)
    assert is_lazy(large["activities"])
    want = [False, False, False, True, False, False, False, False, False, True, False, False]
    assert small["activities"]["co_organisers"].notna().tolist() == want
    lazy = frame_of(large["activities"]).set_index("activity_id").loc[[f"A{i}" for i in range(len(co))]]
    assert lazy["co_organisers"].notna().tolist() == want


def test_totals_row_in_an_extra_column(tmp_path):
    t = mini_tables()
    t["population"]["备注"] = ["", "", "", "", "合计"]
    district, problems = read_district(write_tables(tmp_path / "d", t))
    hits = [p for p in problems if p.rule == "totals_row"]
    assert district is None and [(p.file, p.row, p.column) for p in hits] == [("population.csv", 6, "备注")]


def test_totals_word_inside_free_text_is_not_a_totals_row(tmp_path):
    t = mini_tables()
    t["grid_events"]["description"] = ["总计三户居民反映漏水", "", "合计：无"]
    district, problems = read_district(write_tables(tmp_path / "d", t))
    assert district is not None, [p.render() for p in problems]


def _activities_attendance(tmp_path, values: pa.Array):
    folder = _with_activities(tmp_path, ["无"] * len(values))
    frame = pq.read_table(folder / "activities.parquet").drop(["attendance"])
    pq.write_table(frame.append_column("attendance", values), folder / "activities.parquet")
    return folder


@pytest.mark.parametrize("values,rule", [
    (pa.array([1.0, float("inf"), 3.0]), "not_finite"),
    (pa.array([1.0, 2.0, float("-inf")]), "not_finite"),
    (pa.array([1.0, 1e30, 3.0]), "number_too_large"),
    (pa.array([1, 2**63, 3], pa.uint64()), "number_too_large"),
    (pa.array([1.0, float("nan"), 3.0]), "empty_required"),  # NaN is a missing value; attendance is required
], ids=["inf", "-inf", "1e30", "2^63", "nan"])
def test_extreme_integers_refused_the_same_on_both_paths(tmp_path, values, rule):
    folder = _activities_attendance(tmp_path, values)
    small_d, small = read_district(folder, lazy_rows=None)
    large_d, large = read_district(folder, lazy_rows=1)
    def key(ps):
        return sorted((p.file, p.row, p.column, p.rule, p.message) for p in ps if p.severity == "error")

    assert small_d is None and large_d is None
    assert key(small) == key(large)
    bad = [i for i, v in enumerate(values.to_pylist()) if v not in (1, 2, 3)]
    assert [(p.row, p.column) for p in small if p.rule == rule] == [(bad[0] + 1, "attendance")]


def test_clean_integers_and_nan_in_optional_columns_agree(tmp_path):
    folder = _with_activities(tmp_path, ["无", "辖区学校", ""])
    frame = pq.read_table(folder / "activities.parquet")
    frame = frame.append_column("persons_extra", pa.array([1.0, float("nan"), 2.0]))
    pq.write_table(frame, folder / "activities.parquet")
    small, _ = read_district(folder, lazy_rows=None)
    large, _ = read_district(folder, lazy_rows=1)
    got = frame_of(large["activities"]).set_index("activity_id").sort_index()
    assert got["attendance"].tolist() == small["activities"].set_index("activity_id").sort_index()[
        "attendance"].astype(float).tolist()


def test_large_csv_that_changes_encoding_after_its_first_mib(tmp_path):
    from evaluation.data.contract import table
    from evaluation.data.stream import validate_stream

    rows = "".join(f"C{i:05d},2024,{i}\n" for i in range(80_000))  # > 1 MiB of ASCII
    path = tmp_path / "population.csv"
    path.write_bytes(("community_id,year,resident_pop\n" + rows).encode() + "新社区,2024,5\n".encode("gbk"))
    report = validate_stream(path, table("population"), use_cache=False)
    enc = [p for p in report.problems if p.rule == "encoding"]
    assert report.n_errors and enc and "UTF-8" in enc[0].fix


def test_large_csv_with_a_repeated_header(tmp_path):
    from evaluation.data.contract import table
    from evaluation.data.stream import validate_stream

    path = tmp_path / "population.csv"
    path.write_text("community_id,year,resident_pop,year\nC01,2024,5,2023\n", encoding="utf-8")
    report = validate_stream(path, table("population"), use_cache=False)
    assert [(p.rule, p.row, p.column) for p in report.summary()] == [("duplicate_header", 1, "year")]
