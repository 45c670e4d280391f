"""Parsing of the value forms that government exports use: Chinese dates, full-width digits, 是/否 flags, Chinese labels.

Each parser takes a pandas Series of raw values (strings from CSV/Excel, or typed values from Parquet) and returns the
parsed Series plus a boolean mask of the values that were present but could not be parsed, so the caller can name
every bad cell.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["normalise_text", "blank_to_na", "parse_dates", "parse_numbers", "parse_flags", "parse_categories",
           "VALUE_SYNONYMS", "LOCAL_TZ", "MAX_EXACT_INT", "EARLIEST_DATE", "date_window", "outside_window",
           "none_to_na", "is_totals_label", "TOTALS_LABELS"]

# Exports are in China Standard Time; a time-zone-aware value is converted to it, then the zone is dropped.
LOCAL_TZ = "Asia/Shanghai"
# Whole numbers beyond 2**53 cannot be held exactly in a float64 (nor, past 2**63, in an int64): a count that large
# is a typo or an overflow, never data.
MAX_EXACT_INT = 2**53
# No record of a programme of the People's Republic predates it; a year before is a typo (1850 for 1950).
EARLIEST_DATE = pd.Timestamp("1949-01-01")
# A totals row (合计 / 总计 / 小计 / total) copied below the data: the cell holds the label alone (maybe with a colon).
TOTALS_LABELS = ("合计", "总计", "小计", "共计", "total", "subtotal", "grand total", "sum")
_TOTALS_RE = re.compile(r"^\s*(?:" + "|".join(re.escape(x) for x in TOTALS_LABELS) + r")\s*[:：]?\s*$", re.IGNORECASE)
# A thousands separator groups three digits; "1,5" (a decimal comma) or "12,34" is not one and is refused.
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")

_DATE_RE = re.compile(
    r"^\s*(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})\s*(?:[:：分]\s*(?P<S>\d{1,2}(?:\.\d+)?)\s*秒?)?\s*分?)?\s*$"
)
_COMPACT_DATE_RE = re.compile(r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\s*$")

# Chinese (and common English variants) for the contract's coded values; the keys are normalised lower-case text.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "sex": {"男": "male", "女": "female", "m": "male", "f": "female", "男性": "male", "女性": "female"},
    "hukou": {"本地": "local", "户籍": "local", "本地户籍": "local", "流动": "migrant", "外来": "migrant",
              "非本地": "migrant", "流动人口": "migrant"},
    "tenure": {"自有": "owner", "业主": "owner", "自有住房": "owner", "租住": "renter", "租户": "renter",
               "租房": "renter", "宿舍": "dormitory", "集体宿舍": "dormitory"},
    "status": {"已办结": "closed", "办结": "closed", "已关闭": "closed", "办理中": "in_progress",
               "处理中": "in_progress", "待办": "open", "未办结": "open", "待处理": "open", "in progress": "in_progress"},
    "callback": {"满意": "satisfied", "基本满意": "basically", "不满意": "dissatisfied", "未联系上": "not_reached",
                 "未回访": "not_reached", "无法联系": "not_reached"},
    "level": {"区级": "district", "街道级": "street", "社区级": "community", "小区": "estate", "小区级": "estate"},
    "venue_level": {"区级": "district", "街道级": "street", "社区级": "community", "小区": "estate", "小区级": "estate"},
    "org_type": {"社会组织": "cso", "社区社会组织": "cso", "志愿队伍": "volunteer_team", "志愿者队伍": "volunteer_team",
                 "社区基金": "community_fund"},
    "dimension": {"性别": "sex", "年龄段": "age_group", "年龄组": "age_group", "户籍": "hukou"},
    "staff_type": {"部门专业网格员": "department_specialist", "专业网格员": "department_specialist",
                   "街道党员干部": "street_cadre"},
    "unit_type": {"机关": "agency", "企业": "enterprise", "事业单位": "institution"},
}

_FLAG_VALUES = {
    "1": 1, "0": 0, "1.0": 1, "0.0": 0, "是": 1, "否": 0, "有": 1, "无": 0, "true": 1, "false": 0, "yes": 1, "no": 0,
    "y": 1, "n": 0, "t": 1, "f": 0,
}


def normalise_text(s: str) -> str:
    """NFKC-normalise (full-width digits and brackets to ASCII) and strip, keeping Chinese characters."""
    return unicodedata.normalize("NFKC", s).strip()


def blank_to_na(series: pd.Series) -> pd.Series:
    """Raw values with blanks (empty, whitespace, 'NA'-like markers) turned into missing values."""
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        s = series.astype("object").map(lambda v: normalise_text(v) if isinstance(v, str) else v)
        return s.mask(s.isin(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-", "—", "无数据"]))
    return series.astype("object")


def _present(raw: pd.Series) -> pd.Series:
    return raw.notna()


def none_to_na(series: pd.Series, markers: tuple[str, ...]) -> pd.Series:
    """Cells that say "none" in an export's habit (无, /, 暂无 …, compared after NFKC and case-folding) become missing."""
    if not markers:
        return series
    keys = {normalise_text(m).lower() for m in markers}
    return series.mask(series.map(lambda v: isinstance(v, str) and normalise_text(v).lower() in keys))


def is_totals_label(value: object) -> bool:
    """True for a cell holding only a totals label (合计, 总计, 小计, Total …), as in a totals row below the data."""
    return isinstance(value, str) and bool(_TOTALS_RE.match(value))


def date_window(cutoff: object = None, today: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The plausible dates of an export: 1949-01-01 to one year after the data cut-off.

    ``cutoff`` is the ``data_cutoff`` of ``dataset.yaml`` (any date form); without it, the end of the current year.
    A year after the cut-off leaves room for deadlines and planned end dates; a typo year (2204, 2099, 1850) lies
    outside.
    """
    end = None
    if cutoff is not None and str(cutoff).strip():
        parsed, bad = parse_dates(pd.Series([str(cutoff)], dtype=object), with_time=True)
        if not bad.iloc[0] and pd.notna(parsed.iloc[0]):
            end = parsed.iloc[0]
    if end is None:
        now = today if today is not None else pd.Timestamp.now(tz=LOCAL_TZ).tz_localize(None)
        end = pd.Timestamp(year=now.year, month=12, day=31)
    end = end.normalize() + pd.DateOffset(years=1) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return EARLIEST_DATE, end


def outside_window(values: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp] | None) -> pd.Series:
    """Parsed dates outside ``window`` (see :func:`date_window`)."""
    if window is None:
        return pd.Series(False, index=values.index)
    lo, hi = window
    return values.notna() & ((values < lo) | (values > hi))


def _local_timestamp(v: object) -> pd.Timestamp | None:
    """A date or time value as a naive China Standard Time timestamp; None when pandas cannot hold it (ns range)."""
    try:
        t = pd.Timestamp(v)
        if t.tzinfo is not None:
            t = t.tz_convert(LOCAL_TZ).tz_localize(None)
        return t.as_unit("ns")
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        return None


def parse_dates(raw: pd.Series, with_time: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse ISO (2024-05-01), slashed (2024/5/1), dotted and Chinese (2024年5月1日 8时30分) dates and datetimes.

    Returns ``(values, bad)``: a datetime64 Series (naive, local Asia/Shanghai time) and a mask of unparseable cells.
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    raw = blank_to_na(raw)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    is_ts = raw.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
    if is_ts.any():
        # one by one: a zone-aware value goes to China Standard Time, and a value beyond pandas' range
        # (0001-01-01, 2999-01-01 in a Parquet file) becomes a bad cell rather than an overflow
        out[is_ts] = pd.Series([_local_timestamp(v) for v in raw[is_ts]], index=raw[is_ts].index,
                               dtype="datetime64[ns]")
    txt = raw[~is_ts & raw.notna()].astype(str)
    if len(txt):
        parts = txt.str.extract(_DATE_RE)
        compact = txt.str.extract(_COMPACT_DATE_RE)
        for c in ("y", "m", "d"):
            parts[c] = parts[c].fillna(compact[c])
        num = parts.apply(pd.to_numeric, errors="coerce")
        frame = pd.DataFrame({
            "year": num["y"], "month": num["m"], "day": num["d"],
            "hour": num["H"].fillna(0), "minute": num["M"].fillna(0), "second": num["S"].fillna(0),
        })
        # years pandas cannot hold (2999, 0001) are bad cells; coerce_table then names them implausible dates
        ok = frame[["year", "month", "day"]].notna().all(axis=1) & frame["year"].between(1678, 2261)
        parsed = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[ns]")
        if ok.any():
            parsed[ok] = pd.to_datetime(frame[ok], errors="coerce").astype("datetime64[ns]")
        out[txt.index] = parsed
    bad = _present(raw) & out.isna()
    if not with_time:
        out = out.dt.normalize()
    return out, bad


def parse_numbers(raw: pd.Series, integer: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written with thousands separators or full-width digits; ``integer`` also rejects fractions.

    A comma counts only as a thousands separator (``1,234`` and ``12,345.6``); ``1,5`` (a decimal comma, or a lost
    digit) is refused rather than read as 15. Infinite values are refused; so are whole numbers beyond 2**53
    (``1e30``, ``2**63``) in ``integer`` columns, which no count reaches and no float64 holds exactly. NaN (from a
    Parquet float column) is a missing value.
    """
    raw = blank_to_na(raw)
    txt = raw.map(_ungroup)
    num = pd.to_numeric(txt, errors="coerce").astype("float64")
    # NaN is a missing value on both paths; an infinite value is never data
    num = num.mask(num.isin([np.inf, -np.inf]))
    bad = _present(raw) & ~raw.map(_is_nan) & num.isna()
    if integer:
        wrong = num.notna() & ((num != np.round(num)) | (num.abs() > MAX_EXACT_INT))
        bad = bad | wrong
        num = num.mask(wrong)
    return num, bad


def _is_nan(v: object) -> bool:
    return isinstance(v, float) and np.isnan(v)


def _ungroup(v: object) -> object:
    if not isinstance(v, str):
        return v
    v = v.replace("，", ",").strip()
    if "," in v:
        return v.replace(",", "") if _GROUPED_RE.match(v) else None
    return v


def parse_flags(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse 0/1 flags written as 1/0, 是/否, true/false or yes/no."""
    raw = blank_to_na(raw)
    keyed = raw.map(lambda v: str(v).strip().lower() if pd.notna(v) else v)
    val = keyed.map(lambda v: _FLAG_VALUES.get(v, np.nan) if isinstance(v, str) else np.nan)
    val = pd.to_numeric(val, errors="coerce").astype("Int64")
    bad = _present(raw) & val.isna()
    return val, bad


def parse_categories(raw: pd.Series, column: str, allowed: tuple[str, ...] | None) -> tuple[pd.Series, pd.Series]:
    """Map Chinese or variant labels onto the contract's codes; anything outside ``allowed`` is marked bad."""
    raw = blank_to_na(raw)
    syn = VALUE_SYNONYMS.get(column, {})
    def canon(v: object) -> object:
        if not isinstance(v, str):
            return v if pd.isna(v) else str(v)
        key = v.strip().lower()
        return syn.get(key, syn.get(v.strip(), key))
    val = raw.map(canon)
    bad = pd.Series(False, index=raw.index)
    if allowed is not None:
        bad = val.notna() & ~val.isin(allowed)
    return val.astype("object"), bad
