"""Which columns of a table hold personal data: by header (Chinese or English) or by content.

A header is compared with a fixed vocabulary after normalisation (lower case, spaces and dashes as underscores,
a trailing bracketed remark such as ``（必填）`` removed). The vocabulary is matched exactly, never as a substring,
because substrings would flag ``name_zh`` (a community's name) or ``unit_name`` (a partner organisation).

A column whose header is not in the vocabulary is personal by content when at least ``min_share`` of its non-empty
values are, as a whole, a mobile number, a valid resident ID number or an e-mail address
(:mod:`evaluation.privacy.patterns`). Free-text columns that merely *contain* such numbers are not personal columns:
they are masked (:mod:`evaluation.privacy.masking`), not dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from .patterns import is_email, is_mobile_number, is_valid_resident_id, looks_like_name

__all__ = ["PERSONAL_HEADERS", "header_kind", "detect_personal_columns", "value_strings"]

PersonalKind = str  # "name" | "phone" | "id_number" | "email"

PERSONAL_HEADERS: dict[str, frozenset[str]] = {
    "name": frozenset({
        "name", "full_name", "fullname", "person_name", "first_name", "last_name", "given_name", "surname",
        "family_name", "contact_name", "contact_person", "respondent_name", "resident_name", "applicant_name",
        "petitioner_name", "reporter_name",
        "姓名", "名字", "联系人", "联系人姓名", "真实姓名", "户主", "户主姓名", "受访者姓名", "居民姓名", "当事人",
        "当事人姓名", "信访人", "信访人姓名", "申请人", "申请人姓名", "反映人", "反映人姓名", "上报人", "报告人",
        "志愿者姓名", "党员姓名",
    }),
    "phone": frozenset({
        "phone", "phone_number", "phone_no", "mobile", "mobile_number", "mobile_phone", "cellphone", "cell_phone",
        "tel", "tel_no", "telephone", "telephone_number", "contact_phone", "contact_number",
        "手机", "手机号", "手机号码", "联系电话", "电话", "电话号码", "联系方式", "联系人电话", "联系人手机",
        "移动电话", "固定电话", "座机",
    }),
    "id_number": frozenset({
        "id_number", "id_card", "id_card_number", "id_card_no", "idcard", "id_no", "national_id", "resident_id",
        "citizen_id", "identity_number",
        "身份证", "身份证号", "身份证号码", "证件号码", "证件号", "公民身份号码", "身份号码", "身份证件号码",
    }),
    "email": frozenset({
        "email", "e_mail", "email_address", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件地址", "电子邮件地址",
    }),
}

_HEADER_INDEX = {h: kind for kind, headers in PERSONAL_HEADERS.items() for h in headers}
_BRACKETED_TAIL = re.compile(r"\s*[(（\[【].*?[)）\]】]\s*$")

_CONTENT_TESTS: dict[str, Callable[[str], bool]] = {
    "id_number": is_valid_resident_id,
    "phone": is_mobile_number,
    "email": is_email,
}
_KIND_TESTS: dict[str, Callable[[str], bool]] = {**_CONTENT_TESTS, "name": looks_like_name}


def _normalise_header(header: object) -> str:
    h = _BRACKETED_TAIL.sub("", str(header).strip())
    return re.sub(r"[\s\-]+", "_", h.lower()).strip("_")


def header_kind(header: object) -> PersonalKind | None:
    """The kind of personal data a header names (``"name"``, ``"phone"``, ``"id_number"``, ``"email"``) or None."""
    return _HEADER_INDEX.get(_normalise_header(header))


def value_strings(series: pd.Series) -> pd.Series:
    """Non-empty values of a column as stripped strings.

    Integer-valued numbers are written without a decimal part, because spreadsheets and CSV readers turn phone and
    ID numbers into integers (or floats with ``.0``).
    """
    s = series.dropna()
    if pd.api.types.is_bool_dtype(s):
        return pd.Series([], dtype="str")
    if pd.api.types.is_float_dtype(s):
        s = s[(s == s.round()) & s.abs().lt(1e16)].astype("int64")

    def as_text(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    out = s.map(as_text).astype("str")
    return out[out != ""]


_SAMPLE = 5000


def _share(values: pd.Series, test: Callable[[str], bool]) -> float:
    if values.empty:
        return 0.0
    if len(values) > _SAMPLE:
        # A fixed-seed sample keeps detection fast on large tables and the result reproducible.
        values = values.sample(_SAMPLE, random_state=0)
    return float(values.map(test).mean())


def detect_personal_columns(df: pd.DataFrame, min_share: float = 0.5) -> pd.DataFrame:
    """Find the columns of ``df`` that hold personal data.

    Parameters
    ----------
    df : DataFrame
        A table as loaded, before pseudonymisation.
    min_share : float
        Share of non-empty values that must be personal data, as a whole, for a column to count as personal by
        content.

    Returns
    -------
    DataFrame
        One row per personal column, in the order of ``df``: ``column``; ``kind`` (``name`` | ``phone`` |
        ``id_number`` | ``email``); ``reason`` (``name``: the header says so; ``content``: the values do);
        ``share_matched``, the share of non-empty values shaped like that kind (for names: 2–4 CJK characters or
        Latin words); ``n_values``, the number of non-empty values.

    Examples
    --------
    >>> df = pd.DataFrame({"姓名": ["张三"], "contact": ["138 1234 5678"], "age": [40]})
    >>> detect_personal_columns(df)[["column", "kind", "reason"]].values.tolist()
    [['姓名', 'name', 'name'], ['contact', 'phone', 'content']]
    """
    rows = []
    for col in df.columns:
        kind = header_kind(col)
        if kind is None and col == "person_key":
            continue
        s = df[col]
        if kind is None and not (pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)
                                 or pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s)):
            continue
        values = value_strings(s)
        if kind is not None:
            rows.append((col, kind, "name", _share(values, _KIND_TESTS[kind]), len(values)))
            continue
        if values.empty:
            continue
        # Prefilter on digits/at-signs: a column of categories need not run three validators over every row.
        sample = values.sample(_SAMPLE, random_state=0) if len(values) > _SAMPLE else values
        shares = {k: _share(sample, t) for k, t in _CONTENT_TESTS.items()
                  if sample.str.contains("@" if k == "email" else "[0-9０-９]", regex=True).mean() >= min_share}
        if shares:
            best = max(shares, key=lambda k: shares[k])
            if shares[best] >= min_share:
                rows.append((col, best, "content", shares[best], len(values)))
    out = pd.DataFrame(rows, columns=["column", "kind", "reason", "share_matched", "n_values"])
    return out.astype({"column": "object", "kind": "str", "reason": "str", "share_matched": "float64",
                       "n_values": "int64"})
