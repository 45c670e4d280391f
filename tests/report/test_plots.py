"""The shared chart kinds of evaluation.report.plots: what they draw, from frames in the result protocol's shape."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from evaluation.report.plots import (  # noqa: E402
    event_study, forest_plot, heatmap, interrupted_series, ipa_plot, kaplan_meier, new_axes, synthetic_control_gap,
    trend_plot)


def _trend(label: str | None = None, shift: float = 0.0) -> pd.DataFrame:
    frame = pd.DataFrame({"wave": [2022, 2023, 2024], "estimate": np.array([0.5, 0.6, 0.7]) + shift})
    frame["ci_low"], frame["ci_high"] = frame["estimate"] - 0.1, frame["estimate"] + 0.05
    return frame if label is None else frame.assign(label=label)


def test_trend_plot_one_line_with_its_interval():
    before = plt.get_fignums()
    fig = trend_plot(_trend(), title="T", xlabel="X", ylabel="Y", color="#b22", zero_line=True)
    assert isinstance(fig, Figure) and plt.get_fignums() == before  # not left open for the inline backend
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "X", "Y")
    assert list(ax.get_xticks()) == [2022, 2023, 2024]
    line = ax.lines[0]
    assert list(line.get_ydata()) == pytest.approx([0.5, 0.6, 0.7])
    assert matplotlib.colors.to_hex(line.get_color()) == "#bb2222"
    assert any(list(h.get_ydata()) == [0, 0] for h in ax.lines[1:])  # the zero line
    assert ax.get_legend() is None
    # The error bar spans the interval: 0.1 below and 0.05 above each estimate.
    segments = ax.collections[0].get_segments()
    assert [s[0][1] for s in segments] == pytest.approx([0.4, 0.5, 0.6])
    assert [s[1][1] for s in segments] == pytest.approx([0.55, 0.65, 0.75])


def test_trend_plot_one_line_per_series_in_order_as_percentages():
    frame = pd.concat([_trend("b"), _trend("a", 0.1)])
    ax = trend_plot(frame, series="label", percent=True).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["b", "a"]
    assert len(ax.containers) == 2 and list(ax.containers[1].lines[0].get_ydata()) == pytest.approx([0.6, 0.7, 0.8])
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)


def test_trend_plot_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    try:
        assert trend_plot(_trend(), ax=ax) is fig and len(ax.containers) == 1
    finally:
        plt.close(fig)


def test_forest_plot_rows_from_the_bottom_with_a_labelled_reference():
    frame = pd.DataFrame({"estimator": ["first", "second"], "estimate": [70.0, 73.0], "ci_low": [69.0, 72.0],
                          "ci_high": [71.0, 74.0]})
    ax = forest_plot(frame, label="estimator", reference=71.5, reference_label="truth", title="T",
                     xlabel="X", figsize=(7.5, 2.6)).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    assert list(ax.get_yticks()) == [0, 1]
    assert list(ax.lines[0].get_xdata()) == [70.0, 73.0]
    ref = ax.lines[-1]
    assert list(ref.get_xdata()) == [71.5, 71.5] and ref.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["truth"]
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((7.5, 2.6))


def test_forest_plot_odds_ratios_on_a_plain_log_axis():
    frame = pd.DataFrame({"label": ["x", "y"], "estimate": [1.1, 1.4], "ci_low": [1.0, 1.2], "ci_high": [1.2, 1.6]})
    ax = forest_plot(frame, reference=1, log=True).axes[0]
    assert ax.get_xscale() == "log" and ax.get_legend() is None
    assert list(ax.lines[-1].get_xdata()) == [1, 1] and ax.lines[-1].get_linestyle() == "-"
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_xticklabels(minor=True) if t.get_text()]
    assert labels and not any("10^" in s or "×" in s or "times" in s for s in labels)



def test_forest_plot_colour_and_y_axis_name():
    from matplotlib.colors import to_hex

    frame = pd.DataFrame({"estimate": [2.0, 5.0], "ci_low": [1.0, 4.5], "ci_high": [4.0, 6.0],
                          "label": ["small", "large"]})
    ax = forest_plot(frame, title="Mean attendance", xlabel="people", ylabel="type", color="#b22").axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Mean attendance", "people", "type")
    assert to_hex(ax.lines[0].get_color()) == "#bb2222"
    # the bars run from each interval's low end to its high end
    assert np.allclose([s[:, 0] for s in ax.collections[0].get_segments()], [[1.0, 4.0], [4.5, 6.0]])
    assert forest_plot(frame).axes[0].get_ylabel() == ""  # no name by default

def test_ipa_plot_names_each_item_and_splits_at_the_means():
    frame = pd.DataFrame({"item": ["a", "b", "c"], "performance": [3.0, 4.0, 3.5], "importance": [4.0, 3.0, 4.5]})
    ax = ipa_plot(frame, title="T", xlabel="P", ylabel="I").axes[0]
    assert [a.get_text() for a in ax.texts] == ["a", "b", "c"]
    assert ax.texts[1].xy == (4.0, 3.0)
    assert list(ax.lines[0].get_xdata()) == pytest.approx([3.5, 3.5])
    assert list(ax.lines[1].get_ydata()) == pytest.approx([11.5 / 3, 11.5 / 3])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("P", "I")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_kaplan_meier_one_step_curve_per_group_named_by_labels():
    curves = pd.DataFrame({"group": ["sanitation"] * 3 + ["zz_new"] * 2, "hours": [0, 10, 30, 0, 50],
                           "estimate": [0.0, 0.5, 1.0, 0.0, 1.0]})
    before = set(plt.get_fignums())
    fig = kaplan_meier(curves, time="hours", labels={"sanitation": "Sanitation"}, xmax=96, xstep=48, title="KM",
                       xlabel="hours", ylabel="Share closed")
    assert set(plt.get_fignums()) == before  # closed in pyplot: shown once, where the notebook displays it
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["Sanitation", "zz_new"]   # no label: the code
    assert ax.get_lines()[0].get_drawstyle() == "steps-post"
    assert ax.get_xlim() == (0, 96) and list(ax.get_xticks()) == [0, 48, 96]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("KM", "hours", "Share closed")
    bare = kaplan_meier(curves, time="hours")
    assert bare.axes[0].get_lines()[0].get_label() == "sanitation" and bare.axes[0].get_title() == ""


def test_kaplan_meier_draws_on_a_given_axis():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = kaplan_meier(pd.DataFrame({"group": ["a", "a"], "time": [0, 1], "estimate": [1.0, 0.5]}), ax=ax)
    assert out is fig and len(ax.get_lines()) == 1


WORDS = {"observed": "observed", "fitted": "fitted", "counterfactual": "counterfactual and band",
         "intervention": "break", "exposure": "adopted share", "exposure_axis": "Share adopted", "title": "ITS",
         "xlabel": "Month", "ylabel": "Petitions"}


def test_interrupted_series_band_only_where_exposed():
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    share = np.r_[np.zeros(12), np.linspace(0.1, 1.0, 12)]
    fit = pd.DataFrame({"month": months, "observed": np.arange(24.0), "fitted": np.arange(24.0) + 0.5,
                        "estimate": np.full(24, 30.0), "ci_low": np.full(24, 25.0), "ci_high": np.full(24, 35.0),
                        "exposure": share})
    before = set(plt.get_fignums())
    fig = interrupted_series(fit, intervention="2020-01-01", words=WORDS)
    assert set(plt.get_fignums()) == before
    ax, ax2 = fig.axes
    observed, fitted, counterfactual, vline = ax.get_lines()
    assert len(observed.get_xdata()) == 24 and len(counterfactual.get_xdata()) == 12   # the adopted months only
    assert vline.get_linestyle() == ":" and pd.Timestamp(vline.get_xdata()[0]) == pd.Timestamp("2020-01-01")
    assert ax2.get_ylim() == (0, 1.05) and ax2.get_ylabel() == "Share adopted"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("ITS", "Month", "Petitions")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["observed", "fitted", "counterfactual and band", "break", "adopted share"]
    without = interrupted_series(fit, words=WORDS)
    assert len(without.axes[0].get_lines()) == 3


def test_heatmap_labels_every_row_upright_and_names_the_colour_bar():
    grid = pd.DataFrame([[3, 0], [1, 7], [0, 2]], index=["C01", "C02", "C03"], columns=[2023, 2024])
    before = set(plt.get_fignums())
    fig = heatmap(grid, title="Grid events", xlabel="Year", ylabel="Community", colorbar="Records")
    assert set(plt.get_fignums()) == before  # closed in pyplot: shown once, where the notebook displays it
    ax, bar = fig.axes
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), bar.get_ylabel()) == (
        "Grid events", "Year", "Community", "Records")
    labels = ax.get_yticklabels()
    assert [x.get_text() for x in labels] == ["C01", "C02", "C03"]
    assert {x.get_rotation() for x in labels} == {0}
    assert [x.get_text() for x in ax.get_xticklabels()] == ["2023", "2024"]
    assert tuple(fig.get_size_inches()) == (7.5, 9)


def test_heatmap_thins_the_labels_of_a_long_table():
    grid = pd.DataFrame({"2024": range(200)}, index=[f"C{i:03d}" for i in range(200)])
    fig = heatmap(grid, max_labels=80)
    assert 0 < len(fig.axes[0].get_yticklabels()) < 200
    fig_all = heatmap(grid, max_labels=300)
    assert len(fig_all.axes[0].get_yticklabels()) == 200


ES = pd.DataFrame({"event_time": ["-2", "-1", "0", "1"], "estimate": [0.01, 0.0, 0.05, 0.08],
                   "ci_low": [-0.02, -0.03, 0.01, 0.02], "ci_high": [0.04, 0.03, 0.09, 0.14]})
ES_LABELS = {"band": "band", "estimate": "DiD", "benchmark": "TWFE", "truth": "truth"}


def _legend(ax) -> list[str]:
    return [x.get_text() for x in ax.get_legend().get_texts()]


def test_event_study_draws_band_line_benchmark_and_truth():
    before = plt.get_fignums()
    twfe = pd.DataFrame({"event_time": [0, 1], "estimate": [0.03, 0.04]})
    truth = pd.Series({0: 0.05, 1: 0.07})
    fig = event_study(ES, scale=100, benchmark=twfe, truth=truth, title="T", xlabel="k", ylabel="pp",
                      labels=ES_LABELS)
    assert isinstance(fig, Figure) and plt.get_fignums() == before  # not left open for the inline backend
    assert tuple(fig.get_size_inches()) == (7.5, 4)
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "k", "pp")
    assert _legend(ax) == ["band", "DiD", "TWFE", "truth"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["DiD"].get_xdata(), [-2, -1, 0, 1])      # event times as numbers
    np.testing.assert_allclose(lines["DiD"].get_ydata(), [1, 0, 5, 8])        # scaled to percentage points
    np.testing.assert_allclose(lines["TWFE"].get_xdata(), [0.12, 1.12])       # shifted aside
    np.testing.assert_allclose(lines["truth"].get_ydata(), [5, 7])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(-3) and band[:, 1].max() == pytest.approx(14)


def test_event_study_on_given_axes_without_extras():
    fig = Figure()
    ax = fig.subplots()
    out = event_study(ES, ax=ax, labels={"band": "band", "estimate": "DiD"})
    assert out is fig and len(ax.get_lines()) == 3  # the zero line, the adoption line and the estimates
    assert _legend(ax) == ["band", "DiD"]


def test_synthetic_control_gap_two_panels_with_placebos():
    before = plt.get_fignums()
    years = list(range(2015, 2021))
    paths = pd.DataFrame({"year": years, "treated": [1.0, 1.1, 1.2, 1.5, 1.6, 1.8],
                          "synthetic": [1.0, 1.1, 1.2, 1.3, 1.3, 1.4]})
    paths["gap"] = paths["treated"] - paths["synthetic"]
    placebos = pd.DataFrame({"unit": ["a"] * 6 + ["b"] * 6, "year": years * 2, "gap": np.linspace(-0.1, 0.1, 12)})
    labels = {"treated": "district", "synthetic": "synthetic", "placebo": "placebos", "gap": "gap", "truth": "truth"}
    fig = synthetic_control_gap(paths, placebos, start=2018, scale=2, truth=pd.Series({2018: 0.2, 2019: 0.3}),
                                titles=("paths", "gaps"), xlabel="year", ylabels=("level", "gap"), labels=labels)
    assert plt.get_fignums() == before
    ax1, ax2 = fig.axes
    assert tuple(fig.get_size_inches()) == (11, 4)
    assert (ax1.get_title(), ax2.get_title(), ax2.get_ylabel()) == ("paths", "gaps", "gap")
    assert _legend(ax1) == ["district", "synthetic"]
    assert _legend(ax2) == ["placebos", "gap", "truth"]  # one legend entry for all placebo lines
    grey = [line for line in ax2.get_lines() if line.get_color() == "#bbb" and line.get_linestyle() == "-"]
    assert len(grey) == 2
    np.testing.assert_allclose(ax1.get_lines()[1].get_ydata(), paths["treated"] * 2)
    assert list(ax1.get_lines()[0].get_xdata()) == [2017.5, 2017.5]  # the adoption line before 2018
    no_truth = synthetic_control_gap(paths, placebos.iloc[:0], start=2018, truth=pd.Series(dtype=float),
                                     labels=labels)
    assert _legend(no_truth.axes[1]) == ["gap"]


def test_new_axes_closed_in_pyplot_or_the_given_one():
    before = set(plt.get_fignums())
    ax = new_axes(figsize=(4, 3))
    assert set(plt.get_fignums()) == before and tuple(ax.figure.get_size_inches()) == (4, 3)
    fig, mine = plt.subplots()
    assert new_axes(mine, (9, 9)) is mine and tuple(fig.get_size_inches()) != (9, 9)
