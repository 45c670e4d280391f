"""Data-quality flags on a handmade frame where each problem is planted once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.survey.quality import (
    duplicate_respondents,
    item_nonresponse,
    out_of_range,
    outside_fieldwork,
    straightlining,
)

ITEMS = ["q1", "q2", "q3", "q4", "q5"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wave": [2024] * 6,
            "respondent_id": ["r1", "r2", "r3", "r3", "r5", "r6"],
            "q1": [3, 4, 2, 1, 4, np.nan],
            "q2": [3, 2, 2, 5, 2, np.nan],
            "q3": [3, 5, 4, 2, 5, np.nan],
            "q4": [3, 1, 7, 3, 1, 2],
            "q5": [3, 2, 1, 4, 2, np.nan],
            "interview_date": ["2024-05-02", "2024-05-03", "2024-07-01", "2024-05-04", "2024-05-05", "2024-05-06"],
        }
    )


def test_straightlining():
    got = straightlining(_frame(), ITEMS)
    assert got.respondent_id.tolist() == ["r1"] and got.reason.str.contains("straight").all()


def test_duplicates():
    got = duplicate_respondents(_frame(), answers=ITEMS)
    assert sorted(got.respondent_id) == ["r2", "r3", "r3", "r5"]
    assert set(got.reason) == {"duplicate key wave+respondent_id", "identical answers to another respondent"}


def test_item_nonresponse():
    got = item_nonresponse(_frame(), ITEMS, max_share=0.5)
    assert got.respondent_id.tolist() == ["r6"] and got.missing_share.iloc[0] == 0.8


def test_out_of_range():
    got = out_of_range(_frame(), {c: (1, 5) for c in ITEMS})
    assert got.respondent_id.tolist() == ["r3"] and got.column.tolist() == ["q4"]
    assert out_of_range(_frame(), {"q1": (1, 5)}).empty


def test_outside_fieldwork():
    got = outside_fieldwork(_frame(), "2024-05-01", "2024-06-30")
    assert got.respondent_id.tolist() == ["r3"] and got.interview_date.iloc[0] == "2024-07-01"
