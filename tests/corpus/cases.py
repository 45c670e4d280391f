"""The corpus of bad inputs: one small district per rule of the data contract (and more), each with the error the
user must see. Every case starts from the valid mini district of ``tests/conftest.py`` and breaks exactly one thing,
so a failure points at one rule. ``READ_OK`` lists inputs that look unusual but must be read correctly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    file: str
    row: int | None
    column: str | None
    breaks: Callable[[Tables], None] = lambda t: None
    after_write: Callable[[Path], None] = lambda folder: None
    contains: str = ""


def _set(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t[table][column] = t[table][column].astype(object)
        t[table].loc[row, column] = value
    return apply


def _rename(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t[table] = t[table].rename(columns={old: new})
    return apply


def _drop(table: str, column: str) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t[table] = t[table].drop(columns=[column])
    return apply


def _dup(table: str, row: int) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t[table] = pd.concat([t[table], t[table].iloc[[row]]], ignore_index=True)
    return apply


def _bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).write_bytes(data)
    return apply


def _truncate_xlsx(folder: Path) -> None:
    frame = pd.read_csv(folder / "population.csv")
    (folder / "population.csv").unlink()
    frame.to_excel(folder / "population.xlsx", index=False)
    data = (folder / "population.xlsx").read_bytes()
    (folder / "population.xlsx").write_bytes(data[: len(data) // 2])


def _merged_header(folder: Path) -> None:
    from openpyxl import Workbook

    (folder / "population.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.append(["community_id", "人口", None])
    ws.append(["", "year", "resident_pop"])
    ws.append(["C01", 2024, 100])
    ws.merge_cells("B1:C1")
    wb.save(folder / "population.xlsx")


def _truncated_csv(folder: Path) -> None:
    text = (folder / "grid_events.csv").read_text(encoding="utf-8")
    (folder / "grid_events.csv").write_text(text[: text.rindex("\n", 0, len(text) - 1) + 12], encoding="utf-8")


BAD: tuple[Case, ...] = (
    Case("wrong_encoding", "encoding", "population.csv", None, None,
         after_write=_bytes("population.csv", "community_id,year,resident_pop\nC01,2024,１００\n".encode("utf-16")),
         contains="UTF-8"),
    Case("truncated_csv", "empty_required", "grid_events.csv", 4, None, after_write=_truncated_csv),
    Case("truncated_excel", "unreadable_file", "population.xlsx", None, None, after_write=_truncate_xlsx),
    Case("merged_header_cells", "merged_header", "population.xlsx", 1, None, after_write=_merged_header),
    Case("missing_column", "missing_column", "grid_events.csv", 1, "reported_at",
         _drop("grid_events", "reported_at"), contains="reported_at"),
    Case("renamed_column", "missing_column", "grid_events.csv", 1, "reported_at",
         _rename("grid_events", "reported_at", "report_time"), contains="report_time"),
    Case("duplicate_key", "duplicate_key", "grid_events.csv", 2, "event_id", _dup("grid_events", 0)),
    Case("unknown_community", "unknown_community", "population.csv", 3, "community_id",
         _set("population", 1, "community_id", "X99"), contains="X99"),
    Case("likert_out_of_range", "out_of_range", "survey_responses.csv", 4, "q_committee",
         _set("survey_responses", 2, "q_committee", 7), contains="8/9"),
    Case("negative_count", "out_of_range", "population.csv", 2, "resident_pop",
         _set("population", 0, "resident_pop", -5)),
    Case("closing_before_reporting", "time_order", "grid_events.csv", 3, "closed_at",
         _set("grid_events", 1, "closed_at", "2024-05-01 10:00:00")),
    Case("unparseable_date", "unparseable_datetime", "grid_events.csv", 2, "reported_at",
         _set("grid_events", 0, "reported_at", "下周一"), contains="下周一"),
    Case("impossible_date", "unparseable_date", "communities.csv", 2, "valid_from",
         _set("communities", 0, "valid_from", "2019-02-30")),
    Case("unknown_status_code", "unknown_code", "grid_events.csv", 4, "status",
         _set("grid_events", 2, "status", "pending"), contains="closed"),
    Case("empty_required_value", "empty_required", "survey_responses.csv", 2, "age",
         _set("survey_responses", 0, "age", "")),
    Case("lineage_shares", "lineage_shares", "community_lineage.csv", 2, "pop_share",
         _set("community_lineage", 0, "pop_share", 0.5), contains="L01"),
    Case("closed_without_time", "closed_without_time", "grid_events.csv", 4, "closed_at",
         _set("grid_events", 2, "status", "closed")),
    Case("empty_table", "empty_table", "population.csv", None, None,
         after_write=_bytes("population.csv", b"community_id,year,resident_pop\n")),
    Case("missing_required_table", "missing_table", "communities.csv", None, None,
         after_write=lambda folder: (folder / "communities.csv").unlink()),
    Case("two_files_one_table", "ambiguous_file", "population.csv, population.xlsx", None, None,
         after_write=lambda folder: pd.read_csv(folder / "population.csv").to_excel(folder / "population.xlsx",
                                                                                    index=False)),
    Case("fractional_count", "unparseable_int", "population.csv", 2, "resident_pop",
         _set("population", 0, "resident_pop", "10000.5")),
)


def _gbk(folder: Path) -> None:
    for p in folder.glob("*.csv"):
        p.write_bytes(p.read_text(encoding="utf-8").encode("gbk"))


def _bom(folder: Path) -> None:
    for p in folder.glob("*.csv"):
        p.write_bytes(p.read_text(encoding="utf-8").encode("utf-8-sig"))


def _chinese(t: Tables) -> None:
    from evaluation.data.contract import table

    t["grid_events"] = t["grid_events"].rename(columns={c.name: c.zh for c in table("grid_events").columns})
    t["grid_events"]["上报时间"] = ["2024年3月1日 9:00", "2024/5/2 10:30", "2024年12月30日 8时0分"]
    t["grid_events"]["状态"] = ["已办结", "已办结", "待办"]


def _excel(folder: Path) -> None:
    frame = pd.read_csv(folder / "grid_events.csv", dtype=str, keep_default_na=False)
    (folder / "grid_events.csv").unlink()
    frame.to_excel(folder / "grid_events.xlsx", index=False)


READ_OK: tuple[Case, ...] = (
    Case("gbk_export", "", "", None, None, after_write=_gbk),
    Case("utf8_bom_export", "", "", None, None, after_write=_bom),
    Case("chinese_headers_and_dates", "", "", None, None, _chinese),
    Case("excel_export", "", "", None, None, after_write=_excel),
    Case("dont_know_codes", "", "", None, None, _set("survey_responses", 1, "q_committee", 9)),
)

BAD_PARAMS: dict[str, tuple[str, str]] = {
    "norway_problem": ("language: NO\n", "language"),
    "bare_date_where_a_file_is_named": ("submission: 2024-01-01\n", "submission"),
    "date_where_a_year_is_due": ("report_year: 2024-12-31\n", "report_year"),
    "unknown_key": ("langauge: en\n", "did you mean 'language'"),
    "list_where_number": ("min_cell: [5]\n", "min_cell"),
    "bad_yaml": ("language: [zh\n", "not valid YAML"),
    "unknown_outcome": ("outcomes: [happiness]\n", "unknown outcome"),
}

# YAML that YAML 1.1 would misread, but that must be read as written.
READ_OK_PARAMS: dict[str, tuple[str, str, object]] = {
    "leading_zero_code": ("communities: [012345, C01]\n", "communities", ["012345", "C01"]),
    "date_stays_text": ("data_cutoff: 2024-06-30\n", "data_cutoff", "2024-06-30"),
    "yes_is_not_true": ("submission: yes.md\n", "submission", "yes.md"),
}
