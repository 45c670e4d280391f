"""Notebook 60's sections (evaluation.report.sections.profile) on small frames in the shapes of
evaluation.indicators.profile's results: the community chosen, the display tables with small cells withheld, the
trend chart and sentence, and the records."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.report.sections import profile as page  # noqa: E402
from evaluation.text.i18n import t  # noqa: E402

CURRENT = pd.DataFrame({"community_id": ["C01", "C02"], "name": ["海湾一社区", "海湾二社区"]})


def comparison() -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": ["grid.on_time_rate.share", "grid.events_reported.per_10k", "participation.activities.per_1k"],
        "community_value": [0.8, 120.0, 2.5], "community_ci_low": [0.7, 100.0, np.nan],
        "community_ci_high": [0.9, 140.0, np.nan], "cases": [200.0, 3.0, 40.0],
        "district_value": [0.75, 110.0, 2.0], "rank": [3.0, 10.0, np.nan], "rank_low": [1.0, 4.0, np.nan],
        "rank_high": [8.0, 20.0, np.nan], "n_peers": [43, 43, 43]})


def test_community_defaults_to_the_first_and_refuses_unknown_ids():
    assert page.community(CURRENT, None, "zh") == ("C01", "海湾一社区")
    assert page.community(CURRENT, "C02", "en") == ("C02", "海湾二社区")
    with pytest.raises(ValueError, match="C01, C02"):
        page.community(CURRENT, "L01", "en")


def test_indicator_table_formats_and_withholds():
    table = page.indicator_table(comparison(), 5, "en")
    cols = ["indicator", "community_value", "community_ci", "cases", "district_value", "rank"]
    assert list(table.columns) == [t(f"profile.col.{c}", "en") for c in cols]
    share, small, rate = table.to_numpy().tolist()
    assert share[1:4] == ["80.0%", "70.0% – 90.0%", "200"] and share[4] == "75.0%"
    assert share[5] == t("profile.rank_set", "en", rank=3, low=1, high=8, n=43)
    assert share[0] == t("profile.ind.grid.on_time_rate.share", "en")
    # three events: the community's figures are withheld, the district's stays
    assert small[1] == "n<5" and small[2] == "n<5" and small[3] == "<5" and small[4] == "110.00"
    assert rate[2] == "—" and rate[5] == "—"  # no interval, no rank


def test_indicator_records():
    rec = page.indicator_records(comparison(), 5)
    assert set(rec) == {"profile.on_time_rate.share", "profile.events_reported.per_10k"}
    assert rec["profile.events_reported.per_10k"] == {"value": None}
    on_time = rec["profile.on_time_rate.share"]
    assert on_time["value"] == 0.8 and on_time["n"] == 200 and on_time["district"] == 0.75
    assert (on_time["rank"], on_time["rank_low"], on_time["rank_high"]) == (3, 1, 8)
    assert page.indicator_records(comparison().iloc[0:0], 5) == {}


def trend(carried: bool = True) -> pd.DataFrame:
    rows = []
    for area in ("community", "district"):
        for year in range(2018, 2025):
            old = carried and year < 2020 and area == "community"
            rows.append({"measure": "events_per_10k", "area": area, "year": year, "value": 100.0 + year - 2018,
                         "ci_low": 90.0, "ci_high": 115.0, "carried": old, "source_id": "L01" if old else "C01"})
    return pd.DataFrame(rows)


def test_trend_measures_split_and_figure():
    frame = trend()
    assert page.trend_measures(frame) == ["events_per_10k"]
    assert page.trend_split(frame, "en") == t("profile.trend_split", "en", year=2020, parent="L01")
    assert page.trend_split(trend(carried=False), "zh") == ""
    fig = page.trend_figure(frame, ["events_per_10k"], "en")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == t("profile.measure.events_per_10k", "en")
    assert ax.get_xlabel() == t("profile.axis.year", "en")
    # the parent's years (open markers) and the community's own are two lines; the district's own is a third
    assert len([line for line in ax.lines if len(line.get_xdata())]) == 3
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [t("profile.legend.community", "en"),
                                                                   t("profile.legend.district", "en")]


def survey() -> pd.DataFrame:
    return pd.DataFrame({"item": ["satisfaction_index", "q_participated_12m", "q_trust"],
                         "community_mean": [72.5, 0.3, 3.9], "community_ci_low": [70.0, 0.2, 3.5],
                         "community_ci_high": [75.0, 0.4, 4.3], "respondents": [40.0, 40.0, 2.0],
                         "district_mean": [70.0, 0.25, 3.8], "district_ci_low": [69.0, 0.2, 3.7],
                         "district_ci_high": [71.0, 0.3, 3.9]})


def test_survey_table_and_records():
    assert page.has_survey(survey()) and not page.has_survey(None)
    assert not page.has_survey(survey().assign(respondents=0.0))
    table = page.survey_table(survey(), 5, "zh")
    assert list(table.columns) == [t(f"profile.col.{c}", "zh") for c in
                                   ["item", "community_mean", "community_ci", "respondents", "district_mean"]]
    index, share, small = table.to_numpy().tolist()
    assert index[1:4] == ["72.50", "70.00 – 75.00", "40"]
    assert share[1] == "30.0%" and share[4] == "25.0%"
    assert small[1] == "n<5" and small[3] == "<5"
    assert page.survey_records(survey(), 5) == {"profile.satisfaction_index.mean": {
        "value": 72.5, "ci_low": 70.0, "ci_high": 75.0, "n": 40.0, "district": 70.0}}
    assert page.survey_records(survey(), 50) == {"profile.satisfaction_index.mean": {"value": None}}
    assert page.survey_records(None, 5) == {"profile.satisfaction_index.mean": {"value": None}}


def test_count_table_and_total():
    counts = pd.DataFrame({"category": ["noise", "sanitation", "All"], "community_comparison": [2, 30, 32],
                           "community_report": [12, 30, 42], "district_report": [500, 1500, 2000]})
    table = page.count_table(counts, 5, "en", 2024, 2023)
    assert list(table.columns) == [t("profile.col.category", "en"),
                                   t("profile.col.community_comparison", "en", year=2023),
                                   t("profile.col.community_report", "en", year=2024),
                                   t("profile.col.district_report", "en", year=2024)]
    assert table.iloc[2, 0] == t("profile.total", "en")
    assert table.iloc[0, 1] == "<5" and table.iloc[1, 1] == "—"  # the other cell would give the small one away
    assert table.iloc[2, 3] == "2,000"
    assert page.total_count(counts, 5) == 42
    assert page.total_count(counts, 50) is None
