"""Masking of personal data inside free text (event descriptions, survey comments).

Free text is kept for analysis (categories, keywords), but the phone numbers, landlines, ID-shaped numbers, e-mail
addresses, WeChat ids and labelled names (``姓名：张三``) that residents write into it are replaced by placeholders:
``[手机号]``, ``[电话]``, ``[身份证号]``, ``[邮箱]``, ``[微信号]``, ``[姓名]``; names known from the table's own personal
columns become ``[姓名]`` too. The placeholders contain no digit, no ``@`` and no CJK name after a label, so masking
twice gives the same text as masking once. Counts such as 16295, dates such as 20241231 and 17- or 19-digit numbers
are left alone; an 18-digit number shaped like an ID number is masked even when its check character is wrong (see
:mod:`evaluation.privacy.patterns`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from .patterns import find_personal_data

__all__ = ["PLACEHOLDERS", "mask_text", "mask_free_text", "mask_value", "names_pattern"]

PLACEHOLDERS: dict[str, str] = {"phone": "[手机号]", "landline": "[电话]", "id_number": "[身份证号]", "email": "[邮箱]",
                                "wechat": "[微信号]", "name": "[姓名]"}


def mask_value(value: str) -> str:
    """Show only the first character of a personal value: ``"13812345678"`` → ``"1**********"``, ``"张三"`` → ``"张*"``."""
    return value[:1] + "*" * (len(value) - 1)


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A regular expression matching any of ``names`` (longest first), or None when there is none.

    Built as a character trie, so thousands of names cost one pass over the text rather than one pass per name.
    The pattern is built once per set of names: a run asks for the pattern of its district's personal values at each
    scan and each masked message, and for 200,000 values building it costs several seconds.
    """
    key = frozenset(n for n in names if n)
    return _trie_pattern(key) if key else None


@functools.lru_cache(maxsize=4)
def _trie_pattern(names: frozenset[str]) -> re.Pattern[str]:
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return re.compile(build(trie))


def mask_text(s: str, names: Iterable[str] | re.Pattern[str] | None = ()) -> str:
    """Replace the personal data that :func:`~evaluation.privacy.patterns.find_personal_data` finds by placeholders.

    Parameters
    ----------
    s : str
        Free text.
    names : iterable of str or compiled pattern, optional
        Personal names to mask as well (for instance the 姓名 column of the same table).

    Returns
    -------
    str

    Examples
    --------
    >>> mask_text("王先生反映噪音，电话138-1234-5678，身份证11010519491231002X。共16295件。")
    '王先生反映噪音，电话[手机号]，身份证[身份证号]。共16295件。'
    """
    if not isinstance(s, str) or not s:
        return s
    pieces: list[str] = []
    last = 0
    for m in find_personal_data(s):
        pieces.append(s[last:m.start])
        pieces.append(PLACEHOLDERS[m.kind])
        last = m.end
    pieces.append(s[last:])
    out = "".join(pieces)
    pattern = names if isinstance(names, re.Pattern) else names_pattern(names or ())
    if pattern is not None:
        out = pattern.sub(PLACEHOLDERS["name"], out)
    return out


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns
            if pd.api.types.is_string_dtype(df[c]) or pd.api.types.is_object_dtype(df[c])]


def mask_free_text(df: pd.DataFrame, columns: Sequence[str] | None = None,
                   names: Iterable[str] = ()) -> pd.DataFrame:
    """Mask personal data in the free-text columns of a table.

    Parameters
    ----------
    df : DataFrame
        A table, normally already pseudonymised (a 手机号 column masked here would no longer give a key).
    columns : sequence of str, optional
        Columns to mask. Default: every string column (masking a column that holds no personal data changes
        nothing, and a description column misnamed by a district is still covered).
    names : iterable of str
        Names to mask as ``[姓名]`` (e.g. the raw values of the table's name column before pseudonymisation).

    Returns
    -------
    DataFrame
        A copy of ``df`` with the columns masked.
    """
    cols = _text_columns(df) if columns is None else list(columns)
    pattern = names_pattern(n for n in names if isinstance(n, str) and len(n.strip()) >= 2)
    out = df.copy()
    # Each distinct text is masked once: exports repeat the same descriptions and comments over many rows.
    done: dict[str, str] = {}

    def masked(v):
        if not isinstance(v, str):
            return v
        m = done.get(v)
        if m is None:
            m = done[v] = mask_text(v, pattern)
        return m

    for c in cols:
        out[c] = df[c].map(masked)
    return out
