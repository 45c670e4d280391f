"""Notebook 10's sections (evaluation.report.sections.participation): the indicator lists against the indicators the
package computes on the bundled district, the display tables, the sentences and the records.

Expectations come from the indicator functions and the table helpers directly, or from small frames built here."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.indicators import organisation_indicators, participation_indicators  # noqa: E402
from evaluation.indicators.tables import estimate_text  # noqa: E402
from evaluation.report.sections import participation as page  # noqa: E402
from evaluation.text.i18n import t  # noqa: E402

YEAR = 2024


@pytest.fixture(scope="module")
def tables(bundled_district):
    return bundled_district.tables


@pytest.fixture(scope="module")
def org(tables):
    return organisation_indicators(tables, YEAR, None, 0.95)


@pytest.fixture(scope="module")
def org_prev(tables):
    return organisation_indicators(tables, YEAR - 1, None, 0.95)


@pytest.fixture(scope="module")
def part(tables):
    return participation_indicators(tables, YEAR, None, 0.95, n_resamples=50, seed=1)


def _district(frame, key):
    return frame[(frame["indicator"] == key) & (frame["community_id"] == "district") & (frame["group"] == "")].iloc[0]


def test_every_listed_indicator_is_computed(org, part):
    """A key in the lists that the indicators do not produce would silently drop out of the tables (the fund
    leverage needs a government_seed_cny column, which the bundled district does not have)."""
    keys = set(org.loc[org["community_id"] == "district", "indicator"]) | \
        set(part.loc[part["community_id"] == "district", "indicator"])
    for spec in (page.ORG, page.PART, page.CO, page.ORGS):
        missing = [k for k, _, _ in spec if k not in keys]
        assert missing == (["participation.fund_leverage.ratio"] if spec is page.ORGS else []), missing
    assert not page.has_indicator(part, "participation.fund_leverage.ratio")
    for spec in (page.ORG_BY_COMMUNITY, page.PART_BY_COMMUNITY):
        assert set(spec["cases"]) <= set(spec["columns"]) and set(spec["formats"]) == set(spec["columns"])
        assert set(spec["columns"].values()) <= set(org["indicator"]) | set(part["indicator"])


def test_summary_shows_value_interval_denominator_and_previous_year(org, org_prev):
    table = page.summary(org, org_prev, page.ORG, "en", YEAR)
    assert list(table.columns) == ["part_indicator", "part_estimate", "part_denominator", "part_previous"]
    assert len(table) == len(page.ORG)
    row = _district(org, "organisation.workers_promoted.rate")
    shown = table.iloc[[k for k, _, _ in page.ORG].index("organisation.workers_promoted.rate")]
    assert shown["part_indicator"] == t("part.ind.organisation.workers_promoted.rate", "en")
    assert shown["part_estimate"] == estimate_text([row["value"]], [row["ci_low"]], [row["ci_high"]],
                                                   "{:.1%}").iloc[0]
    assert "(" in shown["part_estimate"]  # a share shows its interval
    assert shown["part_denominator"] == t("part.den.workers", "en", year=YEAR, n=f"{row['denominator']:,.0f}")
    before = _district(org_prev, "organisation.workers_promoted.rate")["value"]
    assert shown["part_previous"] == f"{before:.1%}"
    # a count has no denominator; a per-1,000 rate takes the residents from its key's last segment
    by_key = dict(zip([k for k, _, _ in page.ORG], table["part_denominator"]))
    assert by_key["organisation.paired_units.count"] == ""
    assert by_key["organisation.paired_units.per_1k"].startswith(t("part.den.residents", "en", year=YEAR, n="")[:5])


def test_summary_without_a_comparison_year_shows_a_dash(org):
    table = page.summary(org, None, page.ORG[:2], "zh", YEAR)
    assert list(table["part_previous"]) == ["—", "—"]
    assert table["part_indicator"].iloc[0] == t("part.ind.organisation.paired_units.count", "zh")


def test_shown_communities_are_the_current_ones_asked_for():
    comms = pd.DataFrame({"community_id": ["L01", "C01", "C02"], "valid_to": [pd.Timestamp("2019-12-31"), pd.NaT,
                                                                                pd.NaT]})
    assert page.shown_communities(comms) == ["C01", "C02"]
    assert page.shown_communities(comms, ["C02", "L01"]) == ["C02"]
    assert page.shown_communities(comms.drop(columns="valid_to")) == ["L01", "C01", "C02"]


def test_community_view_has_one_row_per_community_kept(org, tables):
    keep = page.shown_communities(tables["communities"])[:5]
    view = page.community_view(org, page.ORG_BY_COMMUNITY, 5, keep=keep)
    assert list(view.columns) == ["community", *page.ORG_BY_COMMUNITY["columns"]]
    assert list(view["community"]) == sorted(keep)
    assert all(isinstance(v, str) for v in view["part_promoted"])  # formatted or withheld


def test_carried_note_names_the_split_indicators():
    frame = pd.DataFrame({"indicator": ["organisation.joint_meetings.count", "grid.staff.count"],
                          "note": ["legacy records split by pop_share", ""]})
    note = page.carried_note(frame, "en")
    assert note == t("part.carried_note", "en", items=t("part.ind.organisation.joint_meetings.count", "en"))
    assert page.carried_note(frame.assign(note=""), "en") == ""


def test_attendance_table_and_figure(part):
    table, note = page.attendance_table(part, 5, "en")
    assert list(table.columns) == ["part_activity_type", "part_n_activities", "part_mean_attendance"]
    assert float(note["theta"]) > 0
    att = part[(part["indicator"] == page.ATTENDANCE) & (part["community_id"] == "district")]
    assert len(table) == len(att)
    fig = page.attendance_figure(part, 5, "en", 0.95)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == t("part.fig.attendance", "en")
    assert ax.get_ylabel() == t("part.axis.type", "en")
    assert ax.get_xlabel() == t("part.axis.attendance", "en", level="95%")
    big = att[att["n"] >= 5].sort_values("value")
    assert len(ax.get_yticklabels()) == len(big)
    # the smallest mean at the bottom
    assert np.isclose(ax.lines[0].get_xdata()[0], big["value"].iloc[0])


def test_attendance_without_rows():
    frame = pd.DataFrame(columns=["indicator", "community_id", "group", "note"])
    assert page.attendance_table(frame, 5, "zh") == (None, {})


def test_the_attendance_note_says_how_its_intervals_were_made():
    """Communities as clusters with their number and degrees of freedom, or activities taken as independent, as
    the indicator computed them; and why a type has no interval when one has none."""
    def rows(note: str, ci_low: float = 40.0) -> pd.DataFrame:
        return pd.DataFrame({"indicator": [page.ATTENDANCE] * 2, "community_id": ["district"] * 2,
                             "group": ["sports", "youth"], "value": [50.0, 60.0], "se": [0.1, 0.1],
                             "ci_low": [ci_low, 45.0], "ci_high": [60.0, 70.0], "n": [30.0, 40.0],
                             "note": [f"NB2 GLM attendance ~ activity_type; theta = 2.5 (SE 0.3); {note}"] * 2})

    clustered = rows("Wald CI with 43 communities as clusters (cluster-robust), t(40) as the type was held in 41 "
                     "of them, on the log scale")
    _, note = page.attendance_table(clustered, 5, "en")
    assert note["theta"] == "2.5"
    assert note["intervals"] == t("part.attendance_intervals.cluster", "en", clusters=43)
    assert "43 communities as clusters" in note["intervals"] and "taken as independent" not in note["intervals"]
    _, zh = page.attendance_table(clustered, 5, "zh")
    assert "以 43 个社区为聚类" in zh["intervals"] and "自由度为开展该类活动的社区数减一" in zh["intervals"]
    _, iid = page.attendance_table(rows("Wald CI, activities taken as independent, on the log scale"), 5, "en")
    assert iid["intervals"] == t("part.attendance_intervals.iid", "en")
    one = "CI with 43 communities as clusters (cluster-robust): no interval, as the type was held in one community"
    _, gap = page.attendance_table(rows(one, float("nan")), 5, "en")
    assert gap["intervals"].endswith(t("part.attendance_intervals.none", "en"))
    assert "43 communities as clusters" in gap["intervals"]  # every type without an interval: still clustered
    assert "in one community" not in note["intervals"]
    # a type without an interval that the table withholds anyway (fewer than min_cell activities) is not explained
    _, small = page.attendance_table(rows(one, float("nan")).assign(n=[3.0, 40.0]), 5, "en")
    assert not small["intervals"].endswith(t("part.attendance_intervals.none", "en"))
    t("part.attendance_note", "en", **note)  # every field the sentence needs


def test_records_join_the_headline_fields(org):
    headline = {"organisation.workers_promoted.rate": {"value": 0.5, "numerator": 266},
                "participation.activities.count": {"value": 1}}
    rec = page.records(org, headline, ("organisation.", "grid.staff."), 5)
    promoted = rec["organisation.workers_promoted.rate"]
    assert promoted["numerator"] == 266 and promoted["value"] == 0.5
    assert "ci_low" in promoted  # the tidy interval stays
    assert "participation.activities.count" not in rec
    assert "grid.staff.count" in rec


def test_has_indicator():
    frame = pd.DataFrame({"indicator": ["a.b.count"]})
    assert page.has_indicator(frame, "a.b.count") is True
    assert page.has_indicator(frame, "participation.fund_leverage.ratio") is False
