"""Validation: one small bad input per rule, each checked for its file, row, column and message."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import mini_tables, write_tables

from evaluation.data import read_district


def _problems(tmp_path, tables, extra=None):
    folder = write_tables(tmp_path / "d", tables)
    if extra:
        extra(folder)
    district, problems = read_district(folder)
    errors = [p for p in problems if p.severity == "error"]
    assert district is None and errors
    return errors


def _one(errors, rule):
    hits = [p for p in errors if p.rule == rule]
    assert hits, f"no {rule} among {[p.rule for p in errors]}"
    return hits[0]


def test_missing_required_column_suggests_rename(tmp_path):
    t = mini_tables()
    t["grid_events"] = t["grid_events"].rename(columns={"reported_at": "report_time"})
    p = _one(_problems(tmp_path, t), "missing_column")
    assert (p.file, p.row, p.column) == ("grid_events.csv", 1, "reported_at")
    assert "report_time" in p.message and "上报时间" in p.fix


def test_duplicate_key(tmp_path):
    t = mini_tables()
    t["grid_events"] = pd.concat([t["grid_events"], t["grid_events"].iloc[[0]]], ignore_index=True)
    errors = _problems(tmp_path, t)
    dups = [p for p in errors if p.rule == "duplicate_key"]
    assert {p.row for p in dups} == {2, 5} and dups[0].column == "event_id"


def test_unknown_community(tmp_path):
    t = mini_tables()
    t["population"].loc[1, "community_id"] = "X99"
    p = _one(_problems(tmp_path, t), "unknown_community")
    assert (p.file, p.row, p.column) == ("population.csv", 3, "community_id") and "X99" in p.message


def test_out_of_range_likert_answer_names_the_missing_codes(tmp_path):
    t = mini_tables()
    t["survey_responses"].loc[2, "q_committee"] = 7
    p = _one(_problems(tmp_path, t), "out_of_range")
    assert (p.row, p.column) == (4, "q_committee") and "7" in p.message and "8/9" in p.fix


def test_negative_count(tmp_path):
    t = mini_tables()
    t["population"].loc[0, "resident_pop"] = -5
    p = _one(_problems(tmp_path, t), "out_of_range")
    assert (p.file, p.row, p.column) == ("population.csv", 2, "resident_pop")


def test_closing_before_reporting(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[1, "closed_at"] = "2024-05-01 10:00:00"
    p = _one(_problems(tmp_path, t), "time_order")
    assert (p.row, p.column) == (3, "closed_at") and "before reported_at" in p.message


def test_unparseable_date(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[0, "reported_at"] = "下周一"
    p = _one(_problems(tmp_path, t), "unparseable_datetime")
    assert (p.row, p.column) == (2, "reported_at") and "下周一" in p.message and "2024" in p.fix


def test_impossible_date(tmp_path):
    t = mini_tables()
    t["communities"].loc[0, "valid_from"] = "2019-02-30"
    p = _one(_problems(tmp_path, t), "unparseable_date")
    assert p.column == "valid_from"


def test_unknown_code(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[2, "status"] = "pending"
    p = _one(_problems(tmp_path, t), "unknown_code")
    assert (p.row, p.column) == (4, "status") and "closed" in p.fix


def test_empty_required_value(tmp_path):
    t = mini_tables()
    t["survey_responses"]["age"] = t["survey_responses"]["age"].astype(object)
    t["survey_responses"].loc[0, "age"] = ""
    p = _one(_problems(tmp_path, t), "empty_required")
    assert (p.row, p.column) == (2, "age")


def test_lineage_shares_must_sum_to_one(tmp_path):
    t = mini_tables()
    t["community_lineage"].loc[0, "pop_share"] = 0.5
    p = _one(_problems(tmp_path, t), "lineage_shares")
    assert "L01" in p.message and "0.9" in p.message


def test_closed_without_time(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[2, "status"] = "closed"
    p = _one(_problems(tmp_path, t), "closed_without_time")
    assert p.row == 4


def test_wrong_encoding(tmp_path):
    def write_latin(folder):
        (folder / "population.csv").write_bytes(b"community_id,year,resident_pop\nC01,2024,\xff\xfe\x80\n")
    p = _one(_problems(tmp_path, mini_tables(), write_latin), "encoding")
    assert p.file == "population.csv" and "UTF-8" in p.fix


def test_empty_table(tmp_path):
    def empty(folder):
        (folder / "population.csv").write_text("community_id,year,resident_pop\n", encoding="utf-8")
    p = _one(_problems(tmp_path, mini_tables(), empty), "empty_table")
    assert p.file == "population.csv"


def test_truncated_excel(tmp_path):
    def truncated(folder):
        (folder / "population.csv").unlink()
        mini_tables()["population"].to_excel(folder / "population.xlsx", index=False)
        data = (folder / "population.xlsx").read_bytes()
        (folder / "population.xlsx").write_bytes(data[: len(data) // 2])
    p = _one(_problems(tmp_path, mini_tables(), truncated), "unreadable_file")
    assert p.file == "population.xlsx" and "export" in p.fix


def test_excel_with_merged_header(tmp_path):
    from openpyxl import Workbook

    def merged(folder):
        (folder / "population.csv").unlink()
        wb = Workbook()
        ws = wb.active
        ws.append(["community_id", "year", "resident_pop"])
        ws.append(["C01", 2024, 100])
        ws.merge_cells("B1:C1")
        wb.save(folder / "population.xlsx")
    p = _one(_problems(tmp_path, mini_tables(), merged), "merged_header")
    assert p.file == "population.xlsx" and p.row == 1 and "unmerge" in p.fix


def test_missing_required_table(tmp_path):
    t = mini_tables()
    del t["communities"]
    p = _one(_problems(tmp_path, t), "missing_table")
    assert p.file == "communities.csv"


def test_missing_folder(tmp_path):
    district, problems = read_district(tmp_path / "nope")
    assert district is None and problems[0].rule == "no_folder"


@pytest.mark.parametrize("value,ok", [("2024年5月1日", True), ("2024/5/1", True), ("2024-05-01", True),
                                      ("2024.5.1", True), ("20240501", True), ("5/1/2024", False)])
def test_date_forms(tmp_path, value, ok):
    # valid_to of C01, not valid_from: an establishment after the 2020 split would break the lineage's lifetimes
    t = mini_tables()
    t["communities"]["valid_to"] = t["communities"]["valid_to"].astype(object)
    t["communities"].loc[2, "valid_to"] = value
    folder = write_tables(tmp_path / "d", t)
    district, problems = read_district(folder)
    assert (district is not None) == ok
    if ok:
        assert district["communities"]["valid_to"].iloc[2] == pd.Timestamp("2024-05-01")


def test_an_unreadable_required_cell_is_one_problem(tmp_path):
    """Issue 17: a required cell that cannot be read was also called "a required value is empty"."""
    t = mini_tables()
    t["grid_events"].loc[0, "reported_at"] = "abc"
    t["survey_responses"]["age"] = t["survey_responses"]["age"].astype(object)
    t["survey_responses"].loc[1, "age"] = ""  # a truly empty one is still reported
    errors = _problems(tmp_path, t)
    at = [(p.rule, p.file, p.row, p.column) for p in errors]
    assert [a for a in at if a[1:] == ("grid_events.csv", 2, "reported_at")] == \
        [("unparseable_datetime", "grid_events.csv", 2, "reported_at")]
    assert ("empty_required", "survey_responses.csv", 3, "age") in at
