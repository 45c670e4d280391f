"""Which columns of a table hold personal data: by header (Chinese or English) or by content.

A header is compared with a fixed vocabulary after normalisation (lower case, spaces and dashes as underscores,
a trailing bracketed remark such as ``（必填）`` removed). The vocabulary is matched exactly, never as a substring,
because substrings would flag ``name_zh`` (a community's name) or ``unit_name`` (a partner organisation).

A column whose header is not in the vocabulary is personal by content when at least ``min_share`` of its non-empty
values are, as a whole, a mobile or landline number, an ID-shaped number or an e-mail address
(:mod:`evaluation.privacy.patterns`). Free-text columns that merely *contain* such numbers are not personal columns:
they are masked (:mod:`evaluation.privacy.masking`), not dropped.

Label columns (:data:`LABEL_COLUMNS`: categories, types, unit and place names) are screened on loading by
:func:`label_problems`: their values become table labels and results.json keys, so personal data there is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .patterns import is_email, is_id_shaped, is_landline, is_mobile_number, looks_like_name

__all__ = ["PERSONAL_HEADERS", "header_kind", "detect_personal_columns", "value_strings", "LABEL_COLUMNS",
           "label_findings", "label_problems", "metadata_problems"]

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

def _is_phone(value: str) -> bool:
    return is_mobile_number(value) or is_landline(value)


# ID-shaped rather than valid: a column of ID numbers with typos in the check digit is still a column of ID numbers.
_CONTENT_TESTS: dict[str, Callable[[str], bool]] = {
    "id_number": is_id_shaped,
    "phone": _is_phone,
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


# --- label columns: values that become table labels, chart labels or results.json keys -------------------------

LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "communities": ("name_zh", "street", "community_type"),
    "programme_rollout": ("component",),
    "survey_responses": ("stratum", "psu"),
    "activities": ("activity_type", "organiser_type", "co_organisers", "target_group"),
    "organisations": ("org_type",),
    "grid_events": ("category", "source"),
    "petitions": ("category", "channel"),
    "pairings": ("unit_name",),
    "committee_members": ("source_unit",),
    "grid_staff": ("department",),
    "district_panel": ("name_zh",),
}
"""Columns whose values are shown as labels (table rows, chart ticks) or end up in results.json keys, per table.

A label column holds codes or the names of places and organisations, never people. A value there that looks like
personal data (a phone number, an ID-shaped number, a WeChat id, a labelled name, or any value of a personal column
seen on loading) is refused on loading rather than masked: a masked category would silently merge with others.
"""
METADATA_LABELS: tuple[str, ...] = ("name", "notice", "district", "district_name", "title")


def label_findings(frame: pd.DataFrame, columns: Sequence[str], known_values: Iterable[str] = ()) -> pd.DataFrame:
    """Values of label columns that look like personal data.

    Parameters
    ----------
    frame : DataFrame
        A table as loaded (contract column names).
    columns : sequence of str
        The label columns to screen (those missing from ``frame`` are skipped).
    known_values : iterable of str
        Raw values of the personal columns seen so far (:func:`~evaluation.privacy.scan.collect_personal_values`):
        a name is only recognisable as a name because it stands in a 姓名 column somewhere.

    Returns
    -------
    DataFrame
        ``position`` (0-based row position in ``frame``), ``column``, ``kind`` (as in
        :func:`~evaluation.privacy.patterns.find_personal_data`, or ``known_value``) and ``masked``, the value with
        every personal part masked to its first character (:func:`~evaluation.privacy.masking.mask_value`), so an
        error message can quote it.

    Examples
    --------
    >>> df = pd.DataFrame({"category": ["sanitation", "wxid_wang1958", "联系人：张三"]})
    >>> label_findings(df, ["category"])[["position", "kind", "masked"]].values.tolist()
    [[1, 'wechat', 'w************'], [2, 'name', '联系人：张*']]
    """
    from .masking import mask_value
    from .patterns import find_personal_data

    # The loader passes the set of values seen so far for every table, 200,000 of them in a district with personal
    # data: looked up as it is rather than copied per table; a value shorter than two characters is passed over.
    known = known_values if isinstance(known_values, (set, frozenset)) else set(known_values)

    def known_spans(value: str) -> list[tuple[int, int]]:
        # Leftmost-longest matches by set lookup of the substrings. Label columns hold a few hundred distinct short
        # values while a district's personal values run to 100,000: a regular expression of them (the trie of
        # names_pattern) cost seconds to compile per table, this costs microseconds per value.
        spans, i = [], 0
        while i < len(value):
            j = next((j for j in range(len(value), i, -1)
                      if value[i:j] in known and len(value[i:j].strip()) >= 2), None)
            if j is None:
                i += 1
            else:
                spans.append((i, j))
                i = j
        return spans

    rows = []
    for col in columns:
        if col not in frame.columns:
            continue
        s = frame[col]
        text = s.astype("string").fillna("")
        # Each distinct value is checked once: label columns repeat a handful of codes over many rows.
        for value in pd.unique(text[text != ""]):
            spans = [(m.start, m.end, m.kind) for m in find_personal_data(value)]
            if known:
                spans += [(c, d, "known_value") for c, d in known_spans(value)
                          if not any(a < d and c < b for a, b, _ in spans)]
            if not spans:
                continue
            masked, last = [], 0
            for a, b, _ in sorted(spans):
                if a < last:
                    continue
                masked += [value[last:a], mask_value(value[a:b])]
                last = b
            masked.append(value[last:])
            kind = sorted(spans)[0][2]
            for pos in np.flatnonzero((text == value).to_numpy()):
                rows.append((int(pos), col, kind, "".join(masked)))
    out = pd.DataFrame(rows, columns=["position", "column", "kind", "masked"])
    return out.sort_values(["position", "column"], ignore_index=True)


def label_problems(frame: pd.DataFrame, table: str, file: str, first_row: int = 2,
                   known_values: Iterable[str] = ()) -> list:
    """Loader hook: an error :class:`~evaluation.errors.Problem` per label value that looks like personal data.

    Parameters
    ----------
    frame : DataFrame
        The table after its headers are mapped (and its personal columns pseudonymised).
    table : str
        Contract table name; its label columns are :data:`LABEL_COLUMNS` ``[table]``.
    file : str
        File name, for the message.
    first_row : int
        Spreadsheet row number of the frame's first row (2 for CSV and Excel, whose header is row 1).
    known_values : iterable of str
        Raw personal values seen on loading.

    Returns
    -------
    list of Problem
        Rule ``personal_data_in_label``; the message quotes the value masked, never in clear.
    """
    from ..errors import Problem

    found = label_findings(frame, LABEL_COLUMNS.get(table, ()), known_values)
    return [Problem(file, first_row + int(r.position), r.column, "error", "personal_data_in_label",
                    f"{r.masked!r} looks like personal data ({r.kind}); this column is shown as a label in the "
                    f"report and in results.json",
                    "replace the value by the category or organisation code it stands for; personal data belongs "
                    "only in the personal columns (姓名, 手机号, 身份证号), which are pseudonymised on loading",
                    f"{r.masked!r} 像是个人信息（{r.kind}）；该列在报告和 results.json 中作为标签显示",
                    "把该值换成它所代表的类别或单位代码；个人信息只应放在个人信息列（姓名、手机号、身份证号），"
                    "读入时会被假名化")
            for r in found.itertuples(index=False)]


def metadata_problems(metadata: Mapping[str, object], file: str = "dataset.yaml",
                      known_values: Iterable[str] = ()) -> list:
    """Loader hook: the district's name and notice in ``dataset.yaml`` (shown on every page) must hold no personal
    data; one error :class:`~evaluation.errors.Problem` per offending entry, its value masked."""
    from ..errors import Problem

    keys = [k for k in METADATA_LABELS if isinstance(metadata.get(k), str)]
    frame = pd.DataFrame({k: [metadata[k]] for k in keys})
    found = label_findings(frame, keys, known_values)
    return [Problem(file, None, r.column, "error", "personal_data_in_label",
                    f"{r.masked!r} looks like personal data ({r.kind}); it is printed on every page of the report",
                    f"write the district's official name in {r.column}: no person's name, phone, WeChat or ID number",
                    f"{r.masked!r} 像是个人信息（{r.kind}）；它会印在报告的每一页上",
                    f"在 {r.column} 中填写该区的正式名称，不要填写任何人的姓名、电话、微信号或身份证号")
            for r in found.itertuples(index=False)]
