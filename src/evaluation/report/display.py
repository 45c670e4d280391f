"""Display helpers for notebooks: translated headers, hidden index, formatted numbers, suppressed cells shown as such."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from ..text.i18n import columns, display_values, t

__all__ = ["table_view", "code_label", "shown", "md", "span"]


def shown(frame: pd.DataFrame, names: Sequence[str], prefix: str, lang: str, **fmt: object) -> pd.DataFrame:
    """The columns ``names`` of ``frame``, in that order, headed by the catalogue's ``<prefix>.col.<name>`` texts
    (``fmt`` fills their placeholders): a notebook section's own column names, where :func:`table_view` knows only
    the shared ``col.*`` ones.

    >>> list(shown(pd.DataFrame({"x": [1], "raw": ["3个"], "verdict": ["supported"]}), ["verdict", "raw"], "claims",
    ...            "zh").columns)
    ['结论', '原文']
    """
    return frame[list(names)].rename(columns={c: t(f"{prefix}.col.{c}", lang, **fmt) for c in names})


def md(key: str, lang: str, /, **fmt: object):
    """The catalogue text ``key`` as a Markdown output, to be shown among a section's tables and figures
    (``display(*outputs)``); :func:`~evaluation.report.notebook.say` shows one at once."""
    from IPython.display import Markdown

    return Markdown(t(key, lang, **fmt))


def span(lo: Sequence, hi: Sequence, fmt: str | Callable[[object], str] = "{:.1f}") -> list[str]:
    """Interval cells ``lo – hi`` for a table, each end written by ``fmt`` (a format pattern or a function); a pair
    with a missing end is "—".

    >>> span([0.5, float("nan")], [0.75, 1.0], "{:.0%}")
    ['50% – 75%', '—']
    """
    write = fmt.format if isinstance(fmt, str) else fmt
    return ["—" if pd.isna(a) or pd.isna(b) else f"{write(a)} – {write(b)}" for a, b in zip(lo, hi)]


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


def code_label(prefix: str, code: object, lang: str) -> str:
    """The catalogue's words for a code of the data (``prefix.code``, e.g. ``svc.cat.sanitation``), or the code itself
    when the catalogue has none (a category the district added).

    >>> code_label("svc.level", "street", "en"), code_label("svc.cat", "not_in_catalogue", "en")
    ('street', 'not_in_catalogue')
    """
    from ..text.i18n import CATALOGUE, t

    key = f"{prefix}.{code}"
    return t(key, lang) if key in CATALOGUE else str(code)
