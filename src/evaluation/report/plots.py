"""The report's shared chart kinds, drawn from results in the result protocol's shape.

Each function takes a DataFrame with the columns ``estimate, ci_low, ci_high`` (rename ``value`` → ``estimate`` on
the way in) beside a label, time or position column, draws on ``ax`` (a new figure when None) and returns the Figure.

One convention for every chart kind: it takes its titles, axis labels and legend entries as text already in the
reader's language, and a figure it creates is closed in pyplot at once (:func:`new_axes`), so the notebook shows it
once, where it ``display``\\ s it (the inline backend does not show it a second time). Why this one: a chart kind
draws and a section module words it (it alone knows which catalogue keys a notebook uses, and how a group's code
reads), so this module needs neither the catalogue nor ``lang``; and a section returns its figures beside its tables
and sentences to be shown in order (``display(*outputs)``), which a figure left open for ``plt.show()`` would not
allow without being shown a second time at the end of the cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["new_axes", "trend_plot", "forest_plot", "ipa_plot", "heatmap", "kaplan_meier", "interrupted_series",
           "event_study", "synthetic_control_gap"]


def new_axes(ax=None, figsize: tuple[float, float] | None = None):
    """``ax``, or the axes of a new figure of ``figsize`` that is closed in pyplot: shown where the caller displays
    the figure, not a second time by the inline backend."""
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
    ax = new_axes(ax)
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
                figsize: tuple[float, float] | None = None, ylabel: str = "", color: str = "#246", ax=None):
    """Point estimates with intervals, one row per ``label``, the frame's first row at the bottom.

    ``reference`` draws a vertical line: a thin grey one for a null value (0, or 1 for ratios), a dashed red one
    named in a legend beside the plot when it has a ``reference_label`` (a known true value). ``log`` puts the
    estimates on a log axis with plain decimal labels (odds ratios). ``color`` is the points' and bars' colour.
    """
    import numpy as np

    from .style import plain_log_axis

    ax = new_axes(ax, figsize)
    ypos = np.arange(len(frame))
    ax.errorbar(frame["estimate"], ypos, xerr=_errors(frame), fmt="o", color=color, capsize=3)
    if reference is not None and reference_label is None:
        ax.axvline(reference, color="grey", linewidth=0.8)
    elif reference is not None:
        ax.axvline(reference, color="#b22", linestyle="--", label=reference_label)
    if log:
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)  # 1.1, 1.2 … rather than matplotlib's 1.1 × 10⁰
    ax.set_yticks(ypos, frame[label])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if reference_label is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax.figure


def ipa_plot(frame: pd.DataFrame, *, label: str = "item", title: str = "", xlabel: str = "", ylabel: str = "",
             figsize: Sequence[float] = (7.5, 5), ax=None):
    """Importance–performance quadrant chart (Martilla & James 1977): each item at (performance, importance),
    named beside its point, the quadrants split at the means of the items shown."""
    ax = new_axes(ax, tuple(figsize))
    ax.scatter(frame["performance"], frame["importance"], color="#b22")
    for name, x, y in zip(frame[label], frame["performance"], frame["importance"]):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axvline(frame["performance"].mean(), color="grey", linewidth=0.8)
    ax.axhline(frame["importance"].mean(), color="grey", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax.figure


def heatmap(grid: pd.DataFrame, *, title: str = "", xlabel: str = "", ylabel: str = "", colorbar: str = "",
            cmap: str = "Blues", figsize: tuple[float, float] | None = (7.5, 9), max_labels: int = 80, ax=None):
    """A table of counts or values as coloured cells: rows of ``grid`` down (its index labels them), columns across,
    a colour bar named ``colorbar``.

    Every row is labelled, upright, while there are at most ``max_labels`` rows: seaborn's default skips every other
    one and turns them on their side, where codes run together (C01C03C05); a region with hundreds of rows keeps
    seaborn's thinning.
    """
    import seaborn as sns

    ax = new_axes(ax, figsize)
    sns.heatmap(grid, cmap=cmap, ax=ax, cbar_kws={"label": colorbar},
                yticklabels=True if len(grid) <= max_labels else "auto")
    ax.tick_params(axis="y", labelrotation=0, labelsize=7)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax.figure


def kaplan_meier(curves: pd.DataFrame, *, time: str = "time", estimate: str = "estimate", group: str = "group",
                 labels: Mapping[Any, str] | None = None, xmax: float | None = None, xstep: float | None = None,
                 title: str = "", xlabel: str = "", ylabel: str = "", ax=None, figsize=(7.5, 4.6)):
    """Kaplan–Meier step curves, one per ``group`` (in sorted order): ``estimate`` against ``time``, drawn as a
    right-continuous step function (Kaplan & Meier 1958). ``estimate`` may be the survival S(t) or the share that
    had the event, 1 − S(t), as the caller's frame holds it; ``xmax`` and ``xstep`` fix the time axis and its ticks.
    A group is named in the legend by ``labels[group]``, or by its code when ``labels`` has none.
    """
    ax = new_axes(ax, figsize)
    names = labels or {}
    for g, c in curves.groupby(group):
        ax.step(c[time], c[estimate], where="post", lw=1.2, label=names.get(g, str(g)))
    if xmax is not None:
        ax.set_xlim(0, xmax)
        if xstep is not None:
            ax.set_xticks(range(0, int(xmax) + 1, int(xstep)))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    return ax.figure


def interrupted_series(fit: pd.DataFrame, *, time: str = "month", intervention=None,
                       words: Mapping[str, str], ax=None, figsize=(7.5, 4.2)):
    """An interrupted time series (Bernal, Cummins & Gasparrini 2017): the ``observed`` points, the ``fitted``
    model, and the counterfactual without the intervention (``estimate`` with its band ``ci_low``–``ci_high``)
    where the ``exposure`` (the adopted share, 0–1) is positive, that exposure as a step on a right-hand axis and,
    given, the date of a single ``intervention`` as a dotted line.

    ``words`` maps the chart's parts (observed, fitted, counterfactual, intervention, exposure, exposure_axis,
    title, xlabel, ylabel) to their text.
    """
    w = words
    ax = new_axes(ax, figsize)
    months = pd.to_datetime(fit[time])
    on = fit["exposure"].to_numpy() > 0
    ax.plot(months, fit["observed"], "o", ms=2.5, color="#888", label=w["observed"])
    ax.plot(months, fit["fitted"], color="#b22", lw=1.5, label=w["fitted"])
    ax.plot(months[on], fit.loc[on, "estimate"], "--", color="#245", lw=1.5, label=w["counterfactual"])
    ax.fill_between(months[on], fit.loc[on, "ci_low"], fit.loc[on, "ci_high"], color="#245", alpha=0.15, lw=0)
    if intervention is not None:
        ax.axvline(pd.Timestamp(intervention), color="k", lw=0.8, ls=":", label=w["intervention"])
    ax.set(title=w["title"], xlabel=w["xlabel"], ylabel=w["ylabel"])
    ax2 = ax.twinx()
    ax2.step(months, fit["exposure"], where="post", color="#3a7", lw=1.0, label=w["exposure"])
    ax2.set(ylim=(0, 1.05), ylabel=w["exposure_axis"])
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    return ax.figure



def event_study(frame: pd.DataFrame, *, x: str = "event_time", scale: float = 1.0,
                benchmark: pd.DataFrame | None = None, truth: pd.Series | None = None, title: str = "",
                xlabel: str = "", ylabel: str = "", labels: Mapping[str, str] | None = None, ax=None):
    """An event study: the estimates by event time as points on a line, their interval as a shaded band.

    ``frame`` has ``x``, ``estimate``, ``ci_low``, ``ci_high`` (for a simultaneous band, the band's limits: the
    chart shades whatever interval it is given). ``benchmark`` (``x``, ``estimate``; e.g. the TWFE event study) is
    drawn as squares shifted right by 0.12 so that the two do not hide each other; ``truth`` (a Series indexed by
    event time, the planted effects of synthetic data) as crosses. Every value is multiplied by ``scale`` (100: a
    share's effect in percentage points). A dotted line between -1 and 0 marks adoption. ``labels`` names the
    legend entries ``band``, ``estimate``, ``benchmark``, ``truth`` (translated text, as the titles).
    """
    names = dict(labels or {})
    ax = new_axes(ax, (7.5, 4))
    k = pd.to_numeric(frame[x])
    ax.axhline(0, color="#888", lw=0.8)
    ax.axvline(-0.5, color="#bbb", lw=0.8, ls=":")
    ax.fill_between(k, frame["ci_low"] * scale, frame["ci_high"] * scale, color="#b22", alpha=0.15,
                    label=names.get("band"))
    ax.plot(k, frame["estimate"] * scale, "o-", color="#b22", label=names.get("estimate"))
    if benchmark is not None:
        ax.plot(benchmark[x] + 0.12, benchmark["estimate"] * scale, "s", color="#e80", ms=4, alpha=0.8,
                label=names.get("benchmark"))
    if truth is not None:
        ax.plot(list(truth.index), [v * scale for v in truth], "x", color="k", ms=8, label=names.get("truth"))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    return ax.figure


def synthetic_control_gap(paths: pd.DataFrame, placebos: pd.DataFrame, *, start: int, scale: float = 1.0,
                          truth: pd.Series | None = None, titles: tuple[str, str] = ("", ""), xlabel: str = "",
                          ylabels: tuple[str, str] = ("", ""), labels: Mapping[str, str | None] | None = None,
                          ax=None):
    """A synthetic control in two panels: the treated unit against its synthetic control, and the gap between them
    among the placebo units' gaps (Abadie, Diamond & Hainmueller 2010, figures 2-4).

    ``paths`` has ``year``, ``treated``, ``synthetic`` and ``gap``; ``placebos`` has ``unit``, ``year``, ``gap`` for
    each placebo unit (thin grey lines, one legend entry); ``truth`` (a Series indexed by year, the planted gaps of
    synthetic data) is drawn as crosses; ``start`` is the first treated year (a dotted line before it). Values are
    multiplied by ``scale``. ``labels`` names the legend entries ``treated``, ``synthetic``, ``placebo``, ``gap``,
    ``truth``; ``ax`` is a pair of axes.
    """
    names = dict(labels or {})
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        plt.close(fig)  # shown where the caller displays it, as new_axes does
    ax1, ax2 = ax
    for a in (ax1, ax2):
        a.axvline(start - 0.5, color="#bbb", lw=0.8, ls=":")
    ax1.plot(paths["year"], paths["treated"] * scale, "o-", color="#b22", ms=3, label=names.get("treated"))
    ax1.plot(paths["year"], paths["synthetic"] * scale, "--", color="#333", label=names.get("synthetic"))
    ax1.set(title=titles[0], xlabel=xlabel, ylabel=ylabels[0])
    for i, (_, pg) in enumerate(placebos.groupby("unit")):
        ax2.plot(pg["year"], pg["gap"] * scale, color="#bbb", lw=0.8, label=names.get("placebo") if i == 0 else None)
    ax2.axhline(0, color="#888", lw=0.8)
    ax2.plot(paths["year"], paths["gap"] * scale, "o-", color="#b22", ms=3, lw=2, label=names.get("gap"))
    if truth is not None and len(truth):
        ax2.plot(truth.index, truth.to_numpy() * scale, "x", color="k", ms=7, label=names.get("truth"))
    ax2.set(title=titles[1], xlabel=xlabel, ylabel=ylabels[1])
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    return ax1.figure
