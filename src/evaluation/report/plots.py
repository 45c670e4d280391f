"""The charts that recur across the notebooks, drawn one way: each takes a DataFrame in the result protocol's shape
(``estimate``, ``ci_low``, ``ci_high`` beside a label or time column), catalogue keys for its words, ``ax=None`` and
``lang``, and returns the matplotlib Figure.

Words are given as catalogue keys (:func:`evaluation.text.i18n.t`), so a chart reads in the run's language; codes of
the data (categories, levels) are labelled through a catalogue prefix, falling back to the code itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..text.i18n import t
from .display import code_label

__all__ = ["kaplan_meier", "interrupted_series"]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def kaplan_meier(curves: pd.DataFrame, *, time: str = "time", estimate: str = "estimate", group: str = "group",
                 label_prefix: str | None = None, xmax: float | None = None, xstep: float | None = None,
                 title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
                 ax=None, lang: str = "zh", figsize=(7.5, 4.6)):
    """Kaplan–Meier step curves, one per ``group`` (in sorted order): ``estimate`` against ``time``, drawn as a
    right-continuous step function (Kaplan & Meier 1958). ``estimate`` may be the survival S(t) or the share that
    had the event, 1 − S(t), as the caller's frame holds it; ``xmax`` and ``xstep`` fix the time axis and its ticks.
    A group is labelled by the catalogue key ``<label_prefix>.<group>`` where there is one.
    """
    ax = _axes(ax, figsize)
    for g, c in curves.groupby(group):
        ax.step(c[time], c[estimate], where="post", lw=1.2,
                label=code_label(label_prefix, g, lang) if label_prefix else str(g))
    if xmax is not None:
        ax.set_xlim(0, xmax)
        if xstep is not None:
            ax.set_xticks(range(0, int(xmax) + 1, int(xstep)))
    ax.set(title=t(title, lang) if title else "", xlabel=t(xlabel, lang) if xlabel else "",
           ylabel=t(ylabel, lang) if ylabel else "")
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    return ax.figure


def interrupted_series(fit: pd.DataFrame, *, time: str = "month", intervention=None,
                       words: Mapping[str, str], ax=None, lang: str = "zh", figsize=(7.5, 4.2)):
    """An interrupted time series (Bernal, Cummins & Gasparrini 2017): the ``observed`` points, the ``fitted``
    model, and the counterfactual without the intervention (``estimate`` with its band ``ci_low``–``ci_high``)
    where the ``exposure`` (the adopted share, 0–1) is positive, that exposure as a step on a right-hand axis and,
    given, the date of a single ``intervention`` as a dotted line.

    ``words`` maps the chart's parts (observed, fitted, counterfactual, intervention, exposure, exposure_axis,
    title, xlabel, ylabel) to catalogue keys.
    """
    w = words
    ax = _axes(ax, figsize)
    months = pd.to_datetime(fit[time])
    on = fit["exposure"].to_numpy() > 0
    ax.plot(months, fit["observed"], "o", ms=2.5, color="#888", label=t(w["observed"], lang))
    ax.plot(months, fit["fitted"], color="#b22", lw=1.5, label=t(w["fitted"], lang))
    ax.plot(months[on], fit.loc[on, "estimate"], "--", color="#245", lw=1.5, label=t(w["counterfactual"], lang))
    ax.fill_between(months[on], fit.loc[on, "ci_low"], fit.loc[on, "ci_high"], color="#245", alpha=0.15, lw=0)
    if intervention is not None:
        ax.axvline(pd.Timestamp(intervention), color="k", lw=0.8, ls=":", label=t(w["intervention"], lang))
    ax.set(title=t(w["title"], lang), xlabel=t(w["xlabel"], lang), ylabel=t(w["ylabel"], lang))
    ax2 = ax.twinx()
    ax2.step(months, fit["exposure"], where="post", color="#3a7", lw=1.0, label=t(w["exposure"], lang))
    ax2.set(ylim=(0, 1.05), ylabel=t(w["exposure_axis"], lang))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    return ax.figure
