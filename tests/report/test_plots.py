"""The shared chart kinds of :mod:`evaluation.report.plots`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from evaluation.report.plots import heatmap  # noqa: E402


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
