"""One chart style for every notebook, with Chinese glyphs from a font shipped by a pip package.

matplotlib finds no CJK font on a machine without system fonts, and ``mplfonts.use_font()`` alone still draws boxes
(style notes). What works is registering the wheel's ``NotoSansCJKsc-Regular.otf`` (SIL Open Font License) with the
font manager under its own family name and putting that family first. The SimHei file in the same wheel is avoided
because its licence is unclear.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

__all__ = ["cjk_font_path", "use_style", "plain_log_axis", "FONT_FAMILY"]

FONT_FAMILY = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file installed with ``mplfonts``."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall mplfonts (pip install mplfonts)")
    return path


def use_style() -> str:
    """Register the CJK font and set the project's chart style; return the family name in use.

    Also makes every pandas ``Styler`` of the session HTML-escape its cells and labels (``styler.format.escape``),
    so a table styled directly in a notebook cannot carry markup from the data into the report.
    """
    import matplotlib as mpl
    import pandas as pd
    from matplotlib import font_manager

    pd.set_option("styler.format.escape", "html")
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    mpl.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,  # the CJK font has no U+2212 minus glyph
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "figure.figsize": (7.5, 4.2),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "svg.hashsalt": "jinlin",  # deterministic SVG ids
        "pdf.fonttype": 42,
    })
    return family


def plain_log_axis(axis) -> None:
    """Label a logarithmic axis (``ax.xaxis`` after ``set_xscale("log")``) with plain decimals: 1.1, 1.2, 1.5.

    matplotlib's log formatter writes the minor ticks of a narrow range, such as odds ratios between 1 and 1.6, as
    "1.1 × 10⁰" (issue 17). Within two decades the minor ticks are labelled too (otherwise the axis may show only
    the "1"), every second one when there are many; wider ranges keep labels at the powers of ten only.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    def plain(v, _pos=None):
        return f"{v:g}"

    axis.set_major_formatter(FuncFormatter(plain))
    lo, hi = sorted(axis.get_view_interval())
    if lo <= 0 or hi / lo > 100:
        axis.set_minor_formatter(NullFormatter())
        return
    minors = [v for v in axis.get_minorticklocs() if lo <= v <= hi]
    # by the tick's leading digit, not its position: the locator recomputes the ticks when the figure is drawn
    few = len(minors) <= 8

    def minor(v, _pos=None):
        if v <= 0:
            return ""
        digit = round(v / 10 ** math.floor(math.log10(v)))
        return plain(v) if few or digit in (2, 5) else ""

    axis.set_minor_formatter(FuncFormatter(minor))
