"""The report's shared chart kinds, drawn from results in the result protocol's shape.

Each function takes a DataFrame with the columns ``estimate, ci_low, ci_high`` (rename ``value`` → ``estimate`` on
the way in) and a label or position column, draws on ``ax`` (a new figure when None) and returns the Figure. A figure
made here is closed in pyplot at once, so the notebook shows it where it ``display``\\ s it and the inline backend
does not show it a second time at the end of the cell. Titles and axis labels come in as text, already translated.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["trend_plot", "forest_plot", "ipa_plot"]


def _axes(ax, figsize: tuple[float, float] | None = None):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # shown where the caller displays it, not again by the inline backend
    return ax


def _errors(frame: pd.DataFrame) -> list[pd.Series]:
    """Distances from the estimate to each end of the interval, as ``errorbar`` wants them."""
    return [frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]]


def trend_plot(frame: pd.DataFrame, *, x: str = "wave", series: str | None = None, title: str = "",
               xlabel: str = "", ylabel: str = "", color: str | None = None, capsize: float = 3,
               percent: bool = False, zero_line: bool = False, ax=None):
    """Estimates over time (survey waves, years) with their intervals as error bars, one line per ``series``.

    Without ``series`` the frame is one line (in ``color``); with it, one line per distinct value, in order of
    appearance, named in a legend. Every time point of the frame is a tick. ``percent`` reads the values as shares
    (0.25 → 25%); ``zero_line`` draws the line of no difference (for gaps and changes).
    """
    ax = _axes(ax)
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    for name, part in groups:
        ax.errorbar(part[x], part["estimate"], yerr=_errors(part), marker="o", color=color, capsize=capsize,
                    label=name)
    if zero_line:
        ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_xticks(sorted(frame[x].unique()))
    if percent:
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if series is not None:
        ax.legend(fontsize=8)
    return ax.figure


def forest_plot(frame: pd.DataFrame, *, label: str = "label", title: str = "", xlabel: str = "",
                reference: float | None = None, reference_label: str | None = None, log: bool = False,
                figsize: tuple[float, float] | None = None, ax=None):
    """Point estimates with intervals, one row per ``label``, the frame's first row at the bottom.

    ``reference`` draws a vertical line: a thin grey one for a null value (0, or 1 for ratios), a dashed red one
    named in a legend beside the plot when it has a ``reference_label`` (a known true value). ``log`` puts the
    estimates on a log axis with plain decimal labels (odds ratios).
    """
    import numpy as np

    from .style import plain_log_axis

    ax = _axes(ax, figsize)
    ypos = np.arange(len(frame))
    ax.errorbar(frame["estimate"], ypos, xerr=_errors(frame), fmt="o", color="#246", capsize=3)
    if reference is not None and reference_label is None:
        ax.axvline(reference, color="grey", linewidth=0.8)
    elif reference is not None:
        ax.axvline(reference, color="#b22", linestyle="--", label=reference_label)
    if log:
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)  # 1.1, 1.2 … rather than matplotlib's 1.1 × 10⁰
    ax.set_yticks(ypos, frame[label])
    ax.set(title=title, xlabel=xlabel)
    if reference_label is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax.figure


def ipa_plot(frame: pd.DataFrame, *, label: str = "item", title: str = "", xlabel: str = "", ylabel: str = "",
             figsize: Sequence[float] = (7.5, 5), ax=None):
    """Importance–performance quadrant chart (Martilla & James 1977): each item at (performance, importance),
    named beside its point, the quadrants split at the means of the items shown."""
    ax = _axes(ax, tuple(figsize))
    ax.scatter(frame["performance"], frame["importance"], color="#b22")
    for name, x, y in zip(frame[label], frame["performance"], frame["importance"]):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axvline(frame["performance"].mean(), color="grey", linewidth=0.8)
    ax.axhline(frame["importance"].mean(), color="grey", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax.figure
