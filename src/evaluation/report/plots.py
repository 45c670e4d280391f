"""The report's shared chart kinds, drawn from results in the result protocol's shape.

Each function takes a DataFrame with the columns ``estimate, ci_low, ci_high`` (rename ``value`` → ``estimate`` on
the way in) and a label or position column, draws on ``ax`` (a new figure when None) and returns the Figure. A figure
made here is closed in pyplot at once, so the notebook shows it where it ``display``\\ s it and the inline backend
does not show it a second time at the end of the cell. Titles and axis labels come in as text, already translated.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["heatmap"]


def _axes(ax, figsize: tuple[float, float] | None = None):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # shown where the caller displays it, not again by the inline backend
    return ax


def heatmap(grid: pd.DataFrame, *, title: str = "", xlabel: str = "", ylabel: str = "", colorbar: str = "",
            cmap: str = "Blues", figsize: tuple[float, float] | None = (7.5, 9), max_labels: int = 80, ax=None):
    """A table of counts or values as coloured cells: rows of ``grid`` down (its index labels them), columns across,
    a colour bar named ``colorbar``.

    Every row is labelled, upright, while there are at most ``max_labels`` rows: seaborn's default skips every other
    one and turns them on their side, where codes run together (C01C03C05); a region with hundreds of rows keeps
    seaborn's thinning.
    """
    import seaborn as sns

    ax = _axes(ax, figsize)
    sns.heatmap(grid, cmap=cmap, ax=ax, cbar_kws={"label": colorbar},
                yticklabels=True if len(grid) <= max_labels else "auto")
    ax.tick_params(axis="y", labelrotation=0, labelsize=7)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax.figure
