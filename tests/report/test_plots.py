"""report.plots: the shared charts, drawn from small frames in the result protocol's shape."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evaluation.report.plots import interrupted_series, kaplan_meier

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_kaplan_meier_one_step_curve_per_group_labelled_from_the_catalogue():
    curves = pd.DataFrame({"group": ["sanitation"] * 3 + ["zz_new"] * 2, "hours": [0, 10, 30, 0, 50],
                           "estimate": [0.0, 0.5, 1.0, 0.0, 1.0]})
    fig = kaplan_meier(curves, time="hours", label_prefix="svc.cat", xmax=96, xstep=48, title="svc.fig.km",
                       xlabel="svc.axis.hours", ylabel="svc.axis.closed_share", lang="en")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["sanitation", "zz_new"]   # no catalogue words: code
    assert ax.get_lines()[0].get_drawstyle() == "steps-post"
    assert ax.get_xlim() == (0, 96) and list(ax.get_xticks()) == [0, 48, 96]
    assert ax.get_title() == "Time to close grid events (Kaplan–Meier, by category)"
    assert ax.get_ylabel() == "Share closed"
    zh = kaplan_meier(curves, time="hours", label_prefix="svc.cat", lang="zh")
    assert zh.axes[0].get_lines()[0].get_label() == "环境卫生" and zh.axes[0].get_title() == ""


def test_kaplan_meier_draws_on_a_given_axis():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = kaplan_meier(pd.DataFrame({"group": ["a", "a"], "time": [0, 1], "estimate": [1.0, 0.5]}), ax=ax)
    assert out is fig and len(ax.get_lines()) == 1


WORDS = {"observed": "svc.legend.observed", "fitted": "svc.legend.fitted",
         "counterfactual": "svc.legend.counterfactual", "intervention": "svc.legend.intervention",
         "exposure": "svc.legend.share", "exposure_axis": "svc.axis.share", "title": "svc.fig.its",
         "xlabel": "svc.axis.month", "ylabel": "svc.axis.petitions"}


def test_interrupted_series_band_only_where_exposed():
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    share = np.r_[np.zeros(12), np.linspace(0.1, 1.0, 12)]
    fit = pd.DataFrame({"month": months, "observed": np.arange(24.0), "fitted": np.arange(24.0) + 0.5,
                        "estimate": np.full(24, 30.0), "ci_low": np.full(24, 25.0), "ci_high": np.full(24, 35.0),
                        "exposure": share})
    fig = interrupted_series(fit, intervention="2020-01-01", words=WORDS, lang="en")
    ax, ax2 = fig.axes
    observed, fitted, counterfactual, vline = ax.get_lines()
    assert len(observed.get_xdata()) == 24 and len(counterfactual.get_xdata()) == 12   # the adopted months only
    assert vline.get_linestyle() == ":" and pd.Timestamp(vline.get_xdata()[0]) == pd.Timestamp("2020-01-01")
    assert ax2.get_ylim() == (0, 1.05) and ax2.get_ylabel() == "Share of communities adopted"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["observed", "fitted", "counterfactual (no community adopted) and band",
                      "single break date (sensitivity analysis)", "adopted share (right axis)"]
    without = interrupted_series(fit, words=WORDS, lang="en")
    assert len(without.axes[0].get_lines()) == 3
