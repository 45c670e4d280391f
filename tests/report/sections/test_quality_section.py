"""Notebook 00's sections (:mod:`evaluation.report.sections.quality`) on the small district of conftest.

(Named ``test_quality_section.py``, not ``test_quality.py``: tests/data/test_quality.py has that name, and the test
folders are not packages, so two files of one name cannot be collected in one run.)
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import mini_tables, write_tables  # noqa: E402
from IPython.display import Markdown  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.data import load_district  # noqa: E402
from evaluation.params import RunParams  # noqa: E402
from evaluation.report.sections import quality as page  # noqa: E402


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    return load_district(write_tables(tmp_path_factory.mktemp("d"), mini_tables()))


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The small district without its lineage and survey tables."""
    tables = {k: v for k, v in mini_tables().items() if k not in ("community_lineage", "survey_responses")}
    return load_district(write_tables(tmp_path_factory.mktemp("bare"), tables))


def _texts(views) -> list[str]:
    return [v.data for v in views if isinstance(v, Markdown)]


def test_intro_names_the_report_year_and_smallest_cell():
    text = page.intro(RunParams(language="en", report_year=2023, min_cell=7))
    assert "2023" in text and "7" in text and "Data quality" not in text
    assert page.intro(RunParams(language="zh", report_year=2023, min_cell=7)) != text


def test_table_counts(district):
    views, records = page.table_counts(district, "en")
    assert records["data.tables.count"] == {"value": 5}
    assert records["data.rows.grid_events"] == {"value": 3} and records["data.rows.communities"] == {"value": 5}
    html = views[0].to_html()
    assert "grid_events" in html


def test_coverage_heatmap_and_communities(district, bare):
    views, records = page.coverage(district, "en")
    assert records == {"data.communities.current": {"value": 3}, "data.communities.listed": {"value": 5}}
    (fig,) = views
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_title() == "Grid events by community and year"
    assert [x.get_text() for x in ax.get_yticklabels()] == ["C01", "C02", "C03"]
    assert fig.axes[1].get_ylabel() == "Records"
    assert page.current_communities(pd.DataFrame({"community_id": ["A"]})).shape == (1, 1)  # no valid_to column


def test_missing_values_table(district):
    views, records = page.missing(district, "en")
    # closed_at of the open event and valid_to of the current communities are missing; neither is required
    assert records == {"data.missing.required_cells": {"value": 0}}
    shown = views[0].data
    # most missing first, whether required in words
    assert shown.iloc[:, 1].tolist() == ["valid_to", "closed_at", "q_committee", "q_overall"]
    assert set(shown.iloc[:, 2]) == {"no"}
    assert "60.0%" in views[0].to_html()


def test_validation_warnings_and_recoded_codes(district):
    views, records = page.validation(district, "en")
    assert records["data.survey.missing_codes_recoded"] == {"value": 2}  # 8 in q_committee, 98 in q_overall
    assert records["data.validation.warnings"]["value"] >= 0
    assert any("2" in text for text in _texts(views))


def test_lineage(district, bare):
    views, records = page.lineage(district, "en")
    assert records == {"data.lineage.from_communities": {"value": 2}, "data.lineage.to_communities": {"value": 3}}
    texts, fig = _texts(views), views[-1]
    assert len(texts) == 2 and "2020-01-01" in texts[1]
    assert [b.get_height() for b in fig.axes[0].patches] == [2, 1]  # L01 became two communities, L02 one
    assert page.lineage(bare, "en") == ([], {})


def test_survey_completion(district, bare):
    views, records = page.survey(district, RunParams(language="en", survey_planned_n=3))
    assert records["data.survey.respondents"] == {"value": 6, "n": 3}
    assert records["data.survey.completion_median"]["value"] == pytest.approx(2 / 3)
    texts = _texts(views)
    assert len(texts) == 3 and "3" in texts[2]
    assert "67%" in views[3].to_html()  # the median completion of the 2024 wave
    assert views[4].axes[0].get_title() == "Community completion rates by wave"
    other_year = page.survey(district, RunParams(language="en", survey_planned_n=3, report_year=2023))[1]
    assert other_year["data.survey.respondents"] == {"value": 0, "n": 0}
    assert other_year["data.survey.completion_median"] == {"value": None}
    assert page.survey(bare, RunParams(language="en")) == ([], {})
