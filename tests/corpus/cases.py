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


def _stray_byte(folder: Path) -> None:
    # a UTF-8 export with one cp1252 byte pasted in: GB18030 would read it, turning every name into mojibake
    data = (folder / "communities.csv").read_bytes()
    lines = data.split(b"\n")
    lines[2] = lines[2].replace(b",S01", b",S0\xe91", 1)
    (folder / "communities.csv").write_bytes(b"\n".join(lines))


def _rename_columns(table: str, new: list[str]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        text = (folder / f"{table}.csv").read_text(encoding="utf-8").split("\n", 1)
        (folder / f"{table}.csv").write_text(",".join(new) + "\n" + text[1], encoding="utf-8")
    return apply


def _workbook(sheets: dict[str, list[list[object]]], table: str = "population") -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        from openpyxl import Workbook

        (folder / f"{table}.csv").unlink()
        wb = Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for r in rows:
                ws.append(r)
        wb.save(folder / f"{table}.xlsx")
    return apply


_POP = [["community_id", "year", "resident_pop"], ["L01", 2019, 10000], ["L02", 2019, 8000], ["C01", 2024, 9000],
        ["C02", 2024, 7000], ["C03", 2024, 11000]]
# openpyxl writes a formula without a cached value, as a script or a web export does
_POP_FORMULA = [_POP[0], _POP[1], ["L02", 2019, "=B3*4"], *_POP[3:]]


def _parquet(table: str, change: Callable[[pd.DataFrame], object] = lambda f: f) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        (folder / f"{table}.csv").unlink()
        frame = change(frame)
        frame.to_parquet(folder / f"{table}.parquet") if isinstance(frame, pd.DataFrame) else \
            (folder / f"{table}.parquet").write_bytes(frame)
    return apply


def _pop_parquet(values: list[object]) -> Callable[[Path], None]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(resident_pop=pd.Series(values, dtype="float64" if any(
            isinstance(v, float) for v in values) else "object"))
    return _parquet("population", change)


def _pop_uint(folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_csv(folder / "population.csv", dtype=str, keep_default_na=False)
    (folder / "population.csv").unlink()
    pq.write_table(pa.table({"community_id": frame["community_id"], "year": frame["year"].astype("int64"),
                             "resident_pop": pa.array([2**63, 1, 2, 3, 4], pa.uint64())}),
                   folder / "population.parquet")


def _events_times(values: list[object], unit: str = "us") -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = pd.read_csv(folder / "grid_events.csv", dtype=str, keep_default_na=False)
        (folder / "grid_events.csv").unlink()
        t = pa.Table.from_pandas(frame.drop(columns=["reported_at"]), preserve_index=False)
        t = t.append_column("reported_at", pa.array(values, pa.timestamp(unit)))
        pq.write_table(t, folder / "grid_events.parquet")
    return apply


def _truncate(name: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        (folder / f"{name}.csv").unlink()
        frame.to_parquet(folder / f"{name}.parquet")
        data = (folder / f"{name}.parquet").read_bytes()
        (folder / f"{name}.parquet").write_bytes(data[: len(data) // 2])
    return apply


def _csv_named_parquet(folder: Path) -> None:
    (folder / "grid_events.csv").rename(folder / "grid_events.parquet")


def _append_row(table: str, row: dict[str, object]) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t[table] = pd.concat([t[table], pd.DataFrame([row])], ignore_index=True)
    return apply


def _lineage(rows: list[tuple[str, str, str, float]], communities: list[tuple] = ()) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        extra = pd.DataFrame(rows, columns=["from_id", "to_id", "effective_date", "pop_share"])
        t["community_lineage"] = pd.concat([t["community_lineage"], extra], ignore_index=True)
        if communities:
            t["communities"] = pd.concat([t["communities"], pd.DataFrame(
                communities, columns=["community_id", "name_zh", "street", "valid_from", "valid_to"])],
                ignore_index=True)
    return apply


def _weights(weights: list[float]) -> Callable[[Tables], None]:
    def apply(t: Tables) -> None:
        t["survey_responses"]["stratum"] = ["A", "A", "B", "B", "C", "C"]
        t["survey_responses"]["psu"] = ["1", "2", "3", "4", "5", "6"]
        t["survey_responses"]["base_weight"] = weights
    return apply


# The hostile-input cases of issue 13 (export habits, encodings, extreme values, lineage), in the same form.
HOSTILE: tuple[Case, ...] = (
    Case("utf8_with_a_stray_byte", "encoding", "communities.csv", 3, "street", after_write=_stray_byte,
         contains="byte"),
    Case("decimal_comma", "unparseable_int", "population.csv", 2, "resident_pop",
         _set("population", 0, "resident_pop", "1,5"), contains="thousands separator"),
    Case("decimal_comma_in_a_float", "unparseable_float", "communities.csv", 3, "lat",
         lambda t: t["communities"].insert(5, "lat", ["22.5", "22,5", "22.6", "22.7", "22.8"]), contains="1,234"),
    Case("repeated_header", "duplicate_header", "population.csv", 1, "resident_pop",
         after_write=_rename_columns("population", ["community_id", "resident_pop", "resident_pop"])),
    Case("repeated_header_xlsx", "duplicate_header", "population.xlsx", 1, "year",
         after_write=_workbook({"Sheet1": [["community_id", "year", "year", "resident_pop"],
                                           ["L01", 2019, 2019, 5]]})),
    Case("several_sheets_with_data", "several_sheets", "population.xlsx", None, None,
         after_write=_workbook({"Sheet1": _POP, "Sheet2": _POP}), contains="population"),
    Case("formula_without_cached_value", "formula_without_value", "population.xlsx", 3, "resident_pop",
         after_write=_workbook({"population": _POP_FORMULA}), contains="C3"),
    Case("typo_year_2204", "implausible_date", "grid_events.csv", 3, "reported_at",
         _set("grid_events", 1, "reported_at", "2204-05-02 10:30:00"), contains="1949-01-01"),
    Case("typo_year_2099", "implausible_date", "communities.csv", 4, "valid_to",
         _set("communities", 2, "valid_to", "2099-12-31"), contains="typo"),
    Case("typo_year_1850", "implausible_date", "communities.csv", 2, "valid_from",
         _set("communities", 0, "valid_from", "1850-01-01")),
    Case("typo_year_in_a_year_column", "implausible_year", "population.csv", 5, "year",
         _set("population", 3, "year", 2099), contains="2099"),
    Case("empty_population_parquet", "unreadable_file", "population.parquet", None, None,
         after_write=_parquet("population", lambda f: b"")),
    Case("date_beyond_pandas_2999", "implausible_date", "grid_events.csv", 2, "closed_at",
         _set("grid_events", 0, "closed_at", "2999-01-01 00:00:00")),
    Case("date_before_pandas_0001", "implausible_date", "communities.csv", 3, "valid_from",
         _set("communities", 1, "valid_from", "0001-01-01")),
    Case("totals_row", "totals_row", "grid_events.csv", 5, "event_id",
         _append_row("grid_events", {"event_id": "合计", "community_id": "C01", "category": "sanitation",
                                     "reported_at": "2024-12-31 00:00:00", "status": "open"}),
         contains="delete the totals row"),
    Case("totals_row_english", "totals_row", "grid_events.csv", 5, "category",
         _append_row("grid_events", {"event_id": "E9", "community_id": "C01", "category": "Total:",
                                     "reported_at": "2024-12-31 00:00:00", "status": "open"})),
    Case("zero_weight_stratum", "zero_weight_stratum", "survey_responses.csv", 4, "base_weight",
         _weights([10.0, 12.0, 0.0, 0.0, 8.0, 9.0]), contains="stratum B"),
    Case("inf_in_integer_column", "not_finite", "population.csv", 3, "resident_pop",
         _set("population", 1, "resident_pop", "inf")),
    Case("minus_inf_in_integer_column", "not_finite", "population.csv", 3, "resident_pop",
         _set("population", 1, "resident_pop", "-inf")),
    Case("1e30_in_integer_column", "number_too_large", "population.csv", 4, "resident_pop",
         _set("population", 2, "resident_pop", "1e30")),
    Case("2_to_the_63_in_integer_column", "number_too_large", "population.csv", 4, "resident_pop",
         _set("population", 2, "resident_pop", str(2**63))),
    Case("inf_in_parquet_integer_column", "not_finite", "population.parquet", 1, "resident_pop",
         after_write=_pop_parquet([float("inf"), 1.0, 2.0, 3.0, 4.0])),
    Case("1e30_in_parquet_integer_column", "number_too_large", "population.parquet", 2, "resident_pop",
         after_write=_pop_parquet([1.0, 1e30, 2.0, 3.0, 4.0])),
    Case("2_to_the_63_in_parquet_uint64", "number_too_large", "population.parquet", 1, "resident_pop",
         after_write=_pop_uint),
    Case("parquet_time_2999", "implausible_date", "grid_events.parquet", 1, "reported_at",
         after_write=_events_times([pd.Timestamp("2999-01-01").to_pydatetime(), pd.Timestamp("2024-05-02"),
                                    pd.Timestamp("2024-12-30")])),
    Case("parquet_time_0001", "implausible_date", "grid_events.parquet", 2, "reported_at",
         after_write=_events_times([pd.Timestamp("2024-03-01"), __import__("datetime").datetime(1, 1, 1),
                                    pd.Timestamp("2024-12-30")])),
    Case("empty_parquet_file", "unreadable_file", "grid_events.parquet", None, None,
         after_write=_parquet("grid_events", lambda f: b"")),
    Case("truncated_parquet_file", "unreadable_file", "grid_events.parquet", None, None,
         after_write=_truncate("grid_events")),
    Case("csv_named_parquet", "unreadable_file", "grid_events.parquet", None, None, after_write=_csv_named_parquet),
    # a label column of a table left on disk is screened too (its values become table rows and results.json keys)
    Case("wechat_id_in_parquet_category", "personal_data_in_label", "grid_events.parquet", 2, "category",
         _set("grid_events", 1, "category", "wxid_wang1958"), after_write=_parquet("grid_events")),
    Case("lineage_second_split", "lineage_second_split", "community_lineage.csv", 7, "effective_date",
         _lineage([("C01", "C01", "2023-01-01", 0.7), ("C01", "C04", "2023-01-01", 0.3),
                   ("C01", "C01", "2024-01-01", 0.8), ("C01", "C05", "2024-01-01", 0.2)],
                  [("C04", "新四社区", "S01", "2023-01-01", ""), ("C05", "新五社区", "S01", "2024-01-01", "")]),
         contains="C01"),
    Case("lineage_self_loop", "lineage_self_loop", "community_lineage.csv", 5, "to_id",
         _lineage([("C01", "C01", "2023-01-01", 1.0)])),
    Case("lineage_cycle", "lineage_cycle", "community_lineage.csv", 5, "to_id",
         _lineage([("C01", "C02", "2023-01-01", 1.0), ("C02", "C01", "2023-06-01", 1.0)]), contains="C01"),
    Case("lineage_outside_lifetime", "lineage_lifetime", "community_lineage.csv", 4, "effective_date",
         _set("community_lineage", 2, "effective_date", "2012-01-01"), contains="valid_from"),
    Case("lineage_after_parent_ended", "lineage_lifetime", "community_lineage.csv", 2, "effective_date",
         lambda t: (_set("community_lineage", 0, "effective_date", "2021-01-01")(t),
                    _set("community_lineage", 1, "effective_date", "2021-01-01")(t)), contains="valid_to"),
    Case("phone_in_a_bad_number_is_masked", "unparseable_int", "population.csv", 2, "resident_pop",
         _set("population", 0, "resident_pop", "张三 13812345678"), contains="[手机号]"),
)


def _utf8_with(ch: str) -> Callable[[Tables], None]:
    # one Latin-1 character in a UTF-8 export with Chinese text: once enough to flip the whole file to GB18030
    return _set("communities", 1, "street", f"S01{ch}")


def _ascii_file_with(ch: str) -> Callable[[Path], None]:
    # no Chinese at all in the file: the tie between UTF-8 and GBK readings, decided for UTF-8 (Latin-1)
    def apply(folder: Path) -> None:
        (folder / "population.csv").write_text(
            "community_id,year,resident_pop,note\n" + "\n".join(
                f"{c},{y},{n},caf{ch}" for c, y, n in (("L01", 2019, 10000), ("L02", 2019, 8000),
                                                      ("C01", 2024, 9000), ("C02", 2024, 7000),
                                                      ("C03", 2024, 11000))) + "\n", encoding="utf-8")
    return apply


def _second_sheet_named_for_table(folder: Path) -> None:
    from openpyxl import Workbook

    frame = pd.read_csv(folder / "grid_events.csv", dtype=str, keep_default_na=False)
    (folder / "grid_events.csv").unlink()
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["导出时间", "2025-01-02"])
    ws = wb.create_sheet("网格事件")
    ws.append(list(frame.columns))
    for r in frame.itertuples(index=False):
        ws.append(list(r))
    wb.save(folder / "grid_events.xlsx")


def _second_sheet_alone(folder: Path) -> None:
    from openpyxl import Workbook

    frame = pd.read_csv(folder / "grid_events.csv", dtype=str, keep_default_na=False)
    (folder / "grid_events.csv").unlink()
    wb = Workbook()
    wb.active.title = "Sheet1"  # empty first sheet
    ws = wb.create_sheet("Sheet2")
    ws.append(list(frame.columns))
    for r in frame.itertuples(index=False):
        ws.append(list(r))
    wb.save(folder / "grid_events.xlsx")


def _events_tz(tz: str) -> Callable[[Path], None]:
    # the same local times as the mini district, written zone-aware (+08:00 or UTC)
    def apply(folder: Path) -> None:
        frame = pd.read_csv(folder / "grid_events.csv", dtype=str, keep_default_na=False)
        (folder / "grid_events.csv").unlink()
        local = pd.to_datetime(frame["reported_at"]).dt.tz_localize("Asia/Shanghai")
        frame["reported_at"] = local.dt.tz_convert(tz)
        frame.to_parquet(folder / "grid_events.parquet")
    return apply


def _formula_with_saved_value(folder: Path) -> None:
    # as Excel saves it: the formula and its last value; openpyxl writes an empty <v>, which is filled in here
    import zipfile

    _workbook({"population": _POP_FORMULA})(folder)
    path = folder / "population.xlsx"
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<f>B3*4</f><v></v>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<f>B3*4</f><v></v>", b"<f>B3*4</f><v>8076</v>")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _volunteers_with_names(t: Tables) -> None:
    t["volunteers"] = pd.DataFrame({"姓名": ["张三", "李四"], "手机号": ["13812345678", "139 1234 5678"],
                                    "community_id": ["C01", "C02"], "registered": ["2023-01-05", "2023-02-01"]})
    t["service_hours"] = pd.DataFrame({"姓名": ["张三", "李四", "张三"],
                                       "手机号": ["138-1234-5678", "13912345678", "13812345678"],
                                       "date": ["2024-03-01", "2024-03-02", "2024-04-01"], "hours": ["2", "1.5", "1.0"]})


READ_OK: tuple[Case, ...] = (
    Case("gbk_export", "", "", None, None, after_write=_gbk),
    Case("utf8_with_middle_dot", "", "", None, None, _utf8_with("·")),
    Case("utf8_with_e_acute", "", "", None, None, _utf8_with("é")),
    Case("utf8_with_no_break_space", "", "", None, None, _utf8_with("\u00a0x")),
    Case("ascii_file_with_e_acute", "", "", None, None, after_write=_ascii_file_with("é")),
    Case("ascii_file_with_middle_dot", "", "", None, None, after_write=_ascii_file_with("·")),
    Case("xlsx_on_the_sheet_named_for_the_table", "", "", None, None, after_write=_second_sheet_named_for_table),
    Case("xlsx_on_its_only_sheet_with_data", "", "", None, None, after_write=_second_sheet_alone),
    Case("parquet_times_at_plus_0800", "", "", None, None, after_write=_events_tz("+08:00")),
    Case("parquet_times_in_utc", "", "", None, None, after_write=_events_tz("UTC")),
    Case("thousands_separator", "", "", None, None, _set("population", 0, "resident_pop", "10,000")),
    Case("formula_with_saved_value", "", "", None, None, after_write=_formula_with_saved_value),
    Case("volunteers_with_name_and_phone", "", "", None, None, _volunteers_with_names),
    # C01 keeps its code when C44 splits off: a row to itself beside the new community (carry_to_current's form)
    Case("lineage_parent_keeps_its_code", "", "", None, None,
         _lineage([("C01", "C01", "2023-01-01", 0.8), ("C01", "C44", "2023-01-01", 0.2)],
                  [("C44", "新四十四社区", "S01", "2023-01-01", "")])),
    Case("utf8_bom_export", "", "", None, None, after_write=_bom),
    Case("chinese_headers_and_dates", "", "", None, None, _chinese),
    Case("excel_export", "", "", None, None, after_write=_excel),
    Case("dont_know_codes", "", "", None, None, _set("survey_responses", 1, "q_committee", 9)),
    # plain ASCII text columns, where the loader types without the parsers: NA markers are still missing values
    Case("na_markers_in_ascii_text", "", "", None, None,
         lambda t: t["grid_events"].assign(source=["NA", "hotline", "N/A"], grid_id=["G1", "null", "-"],
                                           description=["None", "leaking pipe", "NULL"])
         .pipe(lambda f: t.__setitem__("grid_events", f))),
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
