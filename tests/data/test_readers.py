"""Loaders: every encoding, Excel, Parquet, Chinese headers and Chinese dates are read correctly."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import mini_tables, write_tables
from hypothesis import given
from hypothesis import strategies as st

from evaluation.data import read_district
from evaluation.data.contract import table

ZH_HEADERS = {c.name: c.zh for t in ("grid_events", "communities") for c in table(t).columns}


def _load(folder):
    district, problems = read_district(folder)
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, "\n".join(p.render() for p in errors)
    return district


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_chinese_names(tmp_path, encoding):
    folder = write_tables(tmp_path / "d", mini_tables(), encoding=encoding)
    district = _load(folder)
    assert district["communities"]["name_zh"].tolist()[:2] == ["老一社区", "老二社区"]
    assert district.files["communities"].encoding == ("utf-8-sig" if "utf" in encoding else "gb18030")


def test_excel_and_parquet(tmp_path):
    tables = mini_tables()
    folder = write_tables(tmp_path / "d", {k: v for k, v in tables.items() if k not in ("grid_events", "population")})
    tables["grid_events"].to_excel(folder / "grid_events.xlsx", index=False)
    tables["population"].to_parquet(folder / "population.parquet", index=False)
    district = _load(folder)
    assert district.files["grid_events"].fmt == "xlsx"
    assert district["grid_events"]["closed_at"].iloc[1] == pd.Timestamp("2024-05-04 10:30:00")
    assert district["population"]["resident_pop"].sum() == 45000


def test_chinese_headers_and_dates(tmp_path):
    tables = mini_tables()
    grid = tables["grid_events"].rename(columns=ZH_HEADERS)
    grid["上报时间"] = ["2024年3月1日 9:00", "2024/5/2 10:30", "2024年12月30日 8时0分"]
    grid["办结时间"] = ["2024年3月2日 9时00分", "2024.5.4 10:30:00", ""]
    grid["状态"] = ["已办结", "已办结", "待办"]
    tables["grid_events"] = grid
    tables["communities"] = tables["communities"].rename(columns=ZH_HEADERS)
    tables["communities"]["设立日期"] = ["2014年1月1日"] * 2 + ["2020/1/1"] * 3
    district = _load(write_tables(tmp_path / "d", tables))
    g = district["grid_events"]
    assert list(g["reported_at"]) == [pd.Timestamp("2024-03-01 09:00"), pd.Timestamp("2024-05-02 10:30"),
                                      pd.Timestamp("2024-12-30 08:00")]
    assert g["status"].tolist() == ["closed", "closed", "open"]
    assert district["communities"]["valid_from"].iloc[2] == pd.Timestamp("2020-01-01")


def test_missing_codes_become_missing_and_are_counted(mini_district):
    district = _load(mini_district)
    s = district["survey_responses"]
    assert s["q_committee"].isna().sum() == 1 and s["q_overall"].isna().sum() == 1
    assert district.recoded_missing == {"survey_responses.q_committee": 1, "survey_responses.q_overall": 1}


def test_extra_columns_are_kept(tmp_path):
    tables = mini_tables()
    tables["population"]["source_system"] = "census"
    district = _load(write_tables(tmp_path / "d", tables))
    assert "source_system" in district["population"].columns


def test_file_hashes_are_recorded(mini_district):
    district = _load(mini_district)
    assert len(district.files["communities"].sha256) == 64
    assert district.files["grid_events"].rows == 3


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=200))
def test_non_ascii_keeps_exactly_the_characters_beyond_ascii(text):
    from evaluation.data.readers import _non_ascii

    assert _non_ascii(text) == "".join(ch for ch in text if ord(ch) > 0x7F)
