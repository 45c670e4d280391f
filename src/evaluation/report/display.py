"""Display helpers for notebooks: translated headers, hidden index, formatted numbers, suppressed cells shown as such."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..text.i18n import columns, display_values

__all__ = ["table_view"]


def table_view(df: pd.DataFrame, lang: str, formats: Mapping[str, str] | None = None,
               caption: str | None = None) -> "pd.io.formats.style.Styler":
    """A display-ready Styler: catalogue column names, no index, given number formats, missing shown as '—'.

    Every cell, column label and the caption are HTML-escaped (``Styler.format(escape="html")``): the cells hold
    text from the district's exports (categories, names of units and communities), which must show as text.
    """
    import html

    out = display_values(df.reset_index(drop=True), lang)
    fmts = {c: f for c, f in (formats or {}).items() if c in out.columns}
    renamed = columns(list(out.columns), lang)
    out = out.rename(columns=renamed)
    styler = out.style.hide(axis="index")
    styler = styler.format(na_rep="—", escape="html")  # the columns without a number format
    styler = styler.format({renamed[c]: f for c, f in fmts.items()}, na_rep="—", escape="html")
    styler = styler.format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler
