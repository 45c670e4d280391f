"""Data-quality checks for survey microdata; each returns the flagged rows with a ``reason`` column.

Checks: straight-lining (identical answers across a battery), duplicate respondents (repeated key or identical
answer vector), item non-response above a share, out-of-range answers, and interview dates outside fieldwork.
They flag; they never drop or alter data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

__all__ = ["straightlining", "duplicate_respondents", "item_nonresponse", "out_of_range", "outside_fieldwork"]


def _flag(df: pd.DataFrame, mask: pd.Series, reason: str | pd.Series) -> pd.DataFrame:
    out = df.loc[mask].copy()
    out["reason"] = reason if isinstance(reason, str) else reason[mask]
    return out


def straightlining(df: pd.DataFrame, items: Sequence[str], min_answered: int = 5) -> pd.DataFrame:
    """Respondents who gave the same answer to every item of a battery they answered (at least ``min_answered``)."""
    answers = df[list(items)]
    n = answers.notna().sum(axis=1)
    same = answers.nunique(axis=1, dropna=True) == 1
    return _flag(df, same & (n >= min_answered), f"straight-lining: identical answers to {len(items)} items")


def duplicate_respondents(
    df: pd.DataFrame, key: Sequence[str] = ("wave", "respondent_id"), answers: Sequence[str] | None = None
) -> pd.DataFrame:
    """Rows sharing a respondent key, and (if ``answers`` is given) rows with an identical answer vector."""
    key_dup = df.duplicated(list(key), keep=False)
    reason = pd.Series("", index=df.index)
    reason[key_dup] = "duplicate key " + "+".join(key)
    mask = key_dup.copy()
    if answers is not None:
        ans_dup = df.duplicated(list(answers), keep=False) & ~key_dup
        reason[ans_dup] = "identical answers to another respondent"
        mask |= ans_dup
    return _flag(df, mask, reason)


def item_nonresponse(df: pd.DataFrame, items: Sequence[str], max_share: float = 0.5) -> pd.DataFrame:
    """Respondents missing more than ``max_share`` of ``items``; adds the ``missing_share`` column."""
    share = df[list(items)].isna().mean(axis=1)
    out = _flag(df, share > max_share, f"item non-response above {max_share:.0%}")
    out.insert(len(out.columns) - 1, "missing_share", share[share > max_share])
    return out


def out_of_range(df: pd.DataFrame, ranges: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """One row per (respondent, column) whose non-missing value lies outside ``ranges[column] = (low, high)``."""
    parts = []
    for col, (lo, hi) in ranges.items():
        x = pd.to_numeric(df[col], errors="coerce")
        bad = x.notna() & ((x < lo) | (x > hi))
        if bad.any():
            part = _flag(df, bad, f"{col} outside {lo}–{hi}")
            part.insert(len(part.columns) - 1, "column", col)
            parts.append(part)
    if not parts:
        return df.iloc[0:0].assign(column=pd.Series(dtype="string"), reason=pd.Series(dtype="string"))
    return pd.concat(parts)


def outside_fieldwork(df: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp,
                      date_col: str = "interview_date") -> pd.DataFrame:
    """Interviews dated before ``start`` or after ``end`` (inclusive bounds); missing dates are not flagged."""
    d = pd.to_datetime(df[date_col])
    bad = d.notna() & ((d < pd.Timestamp(start)) | (d > pd.Timestamp(end)))
    return _flag(df, bad, f"interview date outside fieldwork {pd.Timestamp(start).date()}–{pd.Timestamp(end).date()}")
