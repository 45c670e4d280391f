"""pandera schemas generated from the contract, and the typing step that feeds them.

Typing (:func:`coerce_table`) turns raw strings into dates, numbers, flags and codes and names every cell it cannot
read. The pandera schema (:func:`schema_for`) then checks ranges, code lists, empty required values and duplicate keys
on the typed frame; its failure cases are translated into :class:`~evaluation.errors.Problem` records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..errors import Problem
from .contract import Column, Table
from .parsing import (
    EARLIEST_DATE,
    MAX_EXACT_INT,
    blank_to_na,
    is_totals_label,
    none_to_na,
    outside_window,
    parse_categories,
    parse_dates,
    parse_flags,
    parse_numbers,
)

__all__ = ["coerce_table", "schema_for", "check_table", "duplicate_key_problem", "quote"]

# Columns whose cells are labels, where a totals row writes 合计 / Total (free text may say 总计 in a sentence).
_LABEL_KINDS = ("str", "category", "text")

_FIX = {
    "date": "write dates as 2024-05-01, 2024/5/1 or 2024年5月1日",
    "datetime": "write times as 2024-05-01 08:30:00 or 2024年5月1日 8:30",
    "int": "write a whole number (digits only)",
    "float": "write a number",
    "flag": "write 1/0 or 是/否",
}
_FIX_ZH = {
    "date": "日期写作 2024-05-01、2024/5/1 或 2024年5月1日",
    "datetime": "时间写作 2024-05-01 08:30:00 或 2024年5月1日 8:30",
    "int": "填写整数（只用数字）",
    "float": "填写数字",
    "flag": "填写 1/0 或 是/否",
}
_KIND_ZH = {"date": "日期", "datetime": "时间", "int": "整数", "float": "数字", "flag": "是/否"}


def quote(value: object, limit: int = 40) -> str:
    """A data value as an error message may show it: personal data masked, cut to ``limit`` characters.

    Messages are printed and logged; a phone or ID number in a mistyped cell must not travel with them.
    """
    from ..privacy import mask_text

    text = mask_text(str(value))
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _bad_cell(col: Column, value: object, window) -> tuple[str, str, str, str, str]:
    """Rule, message and fix, then message and fix in Chinese, for a cell the parsers could not read."""
    if col.kind in ("date", "datetime"):
        year = _year_of(value)
        if year is not None and window is not None and not window[0].year <= year <= window[1].year:
            return _implausible(col, value, window)
        if year is not None and not 1678 <= year <= 2261:
            return _implausible(col, value, window or (EARLIEST_DATE, pd.Timestamp("2261-12-31")))
    if col.kind in ("int", "float"):
        num = pd.to_numeric(pd.Series([str(value).replace(",", "")]), errors="coerce").iloc[0]
        if pd.notna(num) and not np.isfinite(num):
            return ("not_finite", f"{quote(value)} is not a finite number", "write the actual number",
                    f"{quote(value)} 不是有限的数字", "填写实际的数值")
        if col.kind == "int" and pd.notna(num) and abs(num) > MAX_EXACT_INT:
            return ("number_too_large", f"{quote(value)} is too large for a whole number of {col.name}",
                    "correct the value (an overflow or a typo: no count reaches 2^53)",
                    f"{quote(value)} 作为 {col.name} 的整数过大", "更正数值（溢出或笔误：任何计数都不会达到 2^53）")
        if isinstance(value, str) and ("," in value or "，" in value):
            return (f"unparseable_{col.kind}", (f"cannot read {quote(value)} as a number: the comma is not a "
                                                 "thousands separator"),
                    "write a decimal point (1.5), or group digits by three (1,234)",
                    f"无法把 {quote(value)} 读作数字：其中的逗号不是千位分隔符", "小数用小数点（1.5），或每三位一组（1,234）")
    return (f"unparseable_{col.kind}", f"cannot read {quote(value)} as a {col.kind}",
            _FIX.get(col.kind, "correct the value"),
            f"无法把 {quote(value)} 读作{_KIND_ZH.get(col.kind, col.kind)}", _FIX_ZH.get(col.kind, "更正该值"))


def _year_of(value: object) -> int | None:
    if hasattr(value, "year") and not isinstance(value, str):
        try:
            return int(value.year)
        except (TypeError, ValueError):
            return None
    m = re.match(r"^\s*(\d{4})\s*(?:[-/.年]|\d{4}\s*$)", unicodedata.normalize("NFKC", str(value)))
    return int(m.group(1)) if m else None


def _implausible(col: Column, value: object, window) -> tuple[str, str, str, str, str]:
    lo, hi = window
    return ("implausible_date", f"the date {quote(value)} is outside {lo.date()} … {hi.date()}",
            (f"correct the year of {col.name} (a typo such as 2204 for 2024?); dates after the data cut-off plus a "
             "year cannot be data (set data_cutoff in dataset.yaml if the cut-off is later)"),
            f"日期 {quote(value)} 不在 {lo.date()} 至 {hi.date()} 之间",
            (f"更正 {col.name} 的年份（是否把 2024 误写成 2204？）；晚于数据截止日期一年以上的日期不可能是数据"
             "（如截止日期更晚，请在 dataset.yaml 中设置 data_cutoff）"))


def _row(index: object, first_data_row: int) -> int | None:
    try:
        return int(index) + first_data_row
    except (TypeError, ValueError):
        return None


def coerce_table(frame: pd.DataFrame, table: Table, file: str, first_data_row: int = 2,
                 date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None, *,
                 typer: Callable[[Column, pd.Series], tuple[pd.Series, int] | None] | None = None,
                 check_totals: bool = True) -> tuple[pd.DataFrame, list[Problem], dict[str, int]]:
    """Type every contract column of ``frame``; return the frame, the unreadable cells and missing-code counts.

    ``date_window`` (see :func:`evaluation.data.parsing.date_window`): dates outside it are refused as typos.
    A row with a totals label (合计, 总计, 小计, Total) alone in a label cell is refused: it would be counted as a
    record.

    ``typer(col, raw)`` may type a column another way (:mod:`evaluation.data.fastcoerce`: whole clean columns at
    once), returning the typed values and the missing-code count, or None to leave the column to
    :func:`coerce_column`. ``check_totals=False`` skips the cell-by-cell totals search, for a caller that has made
    it already.
    """
    out = frame.copy()
    problems: list[Problem] = []
    recoded: dict[str, int] = {}
    totals: dict[object, str] = {}
    for col in table.columns:
        if col.name not in out.columns or col.personal:
            continue
        raw = out[col.name]
        if col.none_values:
            raw = none_to_na(raw, col.none_values)
        if check_totals and col.kind in _LABEL_KINDS:
            for idx in raw.index[raw.map(is_totals_label)]:
                totals.setdefault(idx, col.name)
        typed = typer(col, raw) if typer is not None else None
        if typed is None:
            val, col_problems, n_recoded = coerce_column(col, raw, file, first_data_row, date_window)
            problems += col_problems
        else:
            val, n_recoded = typed
        if n_recoded:
            recoded[col.name] = n_recoded
        out[col.name] = val
    known = {c.name for c in table.columns}
    for extra in (c for c in frame.columns if check_totals and c not in known and (frame[c].dtype == object
                  or pd.api.types.is_string_dtype(frame[c]))):
        for idx in frame.index[frame[extra].map(is_totals_label)]:
            totals.setdefault(idx, str(extra))
    for idx, colname in totals.items():
        problems.append(Problem(file, _row(idx, first_data_row), colname, "error", "totals_row",
                                f"this looks like a totals row ({quote(frame.loc[idx, colname])}), not a record",
                                "delete the totals row: the tool adds up the rows itself",
                                f"这一行像是合计行（{quote(frame.loc[idx, colname])}），不是一条记录",
                                "删除合计行：本工具会自行汇总"))
    return out, problems, recoded


def coerce_column(col: Column, raw: pd.Series, file: str, first_data_row: int = 2,
                  date_window: tuple[pd.Timestamp, pd.Timestamp] | None = None
                  ) -> tuple[pd.Series, list[Problem], int]:
    """Type one contract column (its "none" words already missing): the typed values, the problems of its cells
    (unreadable, implausible dates and years) and how many missing-value codes became missing.

    Each cell is typed on its own, so typing the distinct values of a column and spreading them over its rows gives
    the same values (:mod:`evaluation.data.fastcoerce` relies on it).
    """
    problems: list[Problem] = []
    n_recoded = 0
    if col.kind in ("date", "datetime"):
        val, bad = parse_dates(raw, with_time=col.kind == "datetime")
    elif col.kind in ("int", "float"):
        val, bad = parse_numbers(raw, integer=col.kind == "int")
        if col.missing_codes:
            coded = val.isin(col.missing_codes)
            if coded.any():
                n_recoded = int(coded.sum())
                val = val.mask(coded)
        if col.kind == "int":
            val = val.astype("Int64")
    elif col.kind == "flag":
        val, bad = parse_flags(raw)
    elif col.kind == "category":
        val, bad = parse_categories(raw, col.name, None)
        val = val.astype("str")
    else:
        val = blank_to_na(raw).map(lambda v: str(v) if pd.notna(v) else v).astype("str")
        bad = pd.Series(False, index=raw.index)
    for idx in bad[bad].index:
        rule, msg, fix, msg_zh, fix_zh = _bad_cell(col, raw.loc[idx], date_window)
        problems.append(Problem(file, _row(idx, first_data_row), col.name, "error", rule, msg, fix,
                                msg_zh, fix_zh))
    if col.calendar_year and date_window is not None:
        lo, hi = date_window[0].year, date_window[1].year
        far = val.notna() & ((val < lo) | (val > hi))
        for idx in far[far].index:
            problems.append(Problem(file, _row(idx, first_data_row), col.name, "error", "implausible_year",
                                    f"the year {quote(raw.loc[idx])} is outside {lo} … {hi}",
                                    "correct the year (a typo such as 2204 for 2024?); years after the data "
                                    "cut-off plus one cannot be data (set data_cutoff in dataset.yaml if the "
                                    "cut-off is later)",
                                    f"年份 {quote(raw.loc[idx])} 不在 {lo} 至 {hi} 之间",
                                    "更正年份（是否把 2024 误写成 2204？）；晚于数据截止年份一年以上的年份不可能是"
                                    "数据（如截止日期更晚，请在 dataset.yaml 中设置 data_cutoff）"))
        val = val.mask(far)
    if col.kind in ("date", "datetime"):
        far = outside_window(val, date_window)
        for idx in far[far].index:
            rule, msg, fix, msg_zh, fix_zh = _implausible(col, raw.loc[idx], date_window)
            problems.append(Problem(file, _row(idx, first_data_row), col.name, "error", rule, msg, fix,
                                    msg_zh, fix_zh))
        val = val.mask(far)
    return val, problems, n_recoded


def _checks(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.min is not None and col.max is not None:
        checks.append(pa.Check.in_range(col.min, col.max))
    elif col.min is not None:
        checks.append(pa.Check.ge(col.min))
    elif col.max is not None:
        checks.append(pa.Check.le(col.max))
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed)))
    return checks


def schema_for(table: Table, present: list[str] | None = None, unique: bool = True) -> pa.DataFrameSchema:
    """The pandera schema of ``table``, restricted to the ``present`` columns (extra columns are always allowed).

    ``unique=False`` leaves out the key's uniqueness (for a batch of a file, whose keys are checked file-wide).
    """
    present_set = set(present) if present is not None else {c.name for c in table.columns}
    columns = {
        c.name: pa.Column(nullable=c.may_be_empty, checks=_checks(c), required=True, coerce=False)
        for c in table.columns if c.name in present_set and not c.personal
    }
    key = list(table.key) if unique and table.key and all(k in present_set for k in table.key) else None
    return pa.DataFrameSchema(columns, unique=key, strict=False, report_duplicates="all", name=table.name)


def _describe(check: str, col: Column | None, value: object) -> tuple[str, str, str, str, str]:
    if check == "not_nullable":
        return ("empty_required", "a required value is empty", f"fill in {col.name}" if col else "fill in the value",
                "必填项为空", f"填写 {col.name}" if col else "填写该值")
    if "uniqueness" in check or check == "field_uniqueness":
        return ("duplicate_key", "duplicate key: this row repeats another row's key",
                "remove the duplicate row or give it its own key",
                "键重复：这一行与另一行的键相同", "删除重复的行，或给它一个自己的键")
    if check.startswith("isin"):
        allowed = ", ".join(col.allowed or ()) if col else ""
        return ("unknown_code", f"{quote(value)} is not an allowed value", f"use one of: {allowed}",
                f"{quote(value)} 不是允许的取值", f"使用以下之一：{allowed}")
    if check.startswith(("in_range", "greater_than", "less_than")):
        lo = "" if col is None or col.min is None else f"{col.min:g}"
        hi = "" if col is None or col.max is None else f"{col.max:g}"
        codes = ""
        if col is not None and col.missing_codes:
            codes = f"; {'/'.join(f'{c:g}' for c in col.missing_codes)} mean don't know/refused"
        codes_zh = f"；{'/'.join(f'{c:g}' for c in col.missing_codes)} 表示不知道/拒答" if codes else ""
        return ("out_of_range", f"value {quote(value)} is out of range [{lo}, {hi}]",
                f"use a value from {lo or '-∞'} to {hi or '∞'}{codes}",
                f"数值 {quote(value)} 超出范围 [{lo}, {hi}]", f"填写 {lo or '-∞'} 至 {hi or '∞'} 之间的数值{codes_zh}")
    return (check, f"check {check} failed for {quote(value)}", "correct the value",
            f"{quote(value)} 未通过检查 {check}", "更正该值")


def duplicate_key_problem(table: Table, file: str, row: int | None) -> Problem:
    """The problem reported for a row whose key repeats another row's key."""
    return Problem(file, row, ",".join(table.key), "error", *_describe("field_uniqueness", None, None))


def check_table(frame: pd.DataFrame, table: Table, file: str, first_data_row: int = 2,
                unique: bool = True, reported: list[Problem] | tuple[Problem, ...] = ()) -> list[Problem]:
    """Validate a typed frame with its pandera schema and translate the failures into problems.

    ``reported``: the problems :func:`coerce_table` found. A cell it could not read is empty in the typed frame;
    the schema would call it "a required value is empty" beside the real problem, so such a cell is reported once
    (issue 17)."""
    unreadable = {(p.row, p.column) for p in reported}
    schema = schema_for(table, list(frame.columns), unique)
    try:
        schema.validate(frame, lazy=True)
        return []
    except SchemaErrors as err:
        fc = err.failure_cases
    problems: list[Problem] = []
    key_cols = ",".join(table.key)
    for rec in fc.to_dict("records"):
        check = str(rec.get("check"))
        colname = rec.get("column")
        colname = None if colname is None or (isinstance(colname, float) and pd.isna(colname)) else str(colname)
        col = None
        if colname is not None:
            try:
                col = table.column(colname)
            except KeyError:
                col = None
        rule, msg, fix, msg_zh, fix_zh = _describe(check, col, rec.get("failure_case"))
        if rule == "empty_required" and (_row(rec.get("index"), first_data_row), colname) in unreadable:
            continue
        if rule == "duplicate_key":
            colname = key_cols
        problems.append(Problem(file, _row(rec.get("index"), first_data_row), colname, "error", rule, msg, fix,
                                msg_zh, fix_zh))
    # pandera reports a duplicated key once per key column; keep one problem per row.
    return sorted(set(problems))
