"""Display helpers for notebooks: translated headers, hidden index, formatted numbers, suppressed cells shown as such."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .i18n import columns

__all__ = ["table_view"]


def table_view(df: pd.DataFrame, lang: str, formats: Mapping[str, str] | None = None,
               caption: str | None = None) -> "pd.io.formats.style.Styler":
    """A display-ready Styler: catalogue column names, no index, given number formats, missing shown as '—'."""
    out = df.reset_index(drop=True)
    fmts = {c: f for c, f in (formats or {}).items() if c in out.columns}
    renamed = columns(list(out.columns), lang)
    styler = out.rename(columns=renamed).style.hide(axis="index")
    styler = styler.format({renamed[c]: f for c, f in fmts.items()}, na_rep="—")
    if caption:
        styler = styler.set_caption(caption)
    return styler
