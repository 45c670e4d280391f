"""indicators.engine: queries over DataFrames through the connection compute() keeps for its thread."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from evaluation.indicators import engine

SQL = "SELECT CAST(community_id AS VARCHAR) AS community_id, count(*) AS n FROM {t} GROUP BY 1 ORDER BY 1"


def test_each_query_sees_its_own_frame():
    a = pd.DataFrame({"community_id": ["C01", "C01", "C02"]})
    b = pd.DataFrame({"community_id": ["C03"]})
    first = engine.compute(a, "petitions", SQL, ["community_id"])
    second = engine.compute(b, "petitions", SQL, ["community_id"])
    assert first.to_dict("list") == {"community_id": ["C01", "C02"], "n": [2, 1]}
    assert second.to_dict("list") == {"community_id": ["C03"], "n": [1]}


def test_a_failed_query_leaves_the_next_one_working():
    frame = pd.DataFrame({"community_id": ["C01"]})
    with pytest.raises(duckdb.Error):
        engine.compute(frame, "petitions", "SELECT no_such_column FROM {t}", ["community_id"])
    assert engine.compute(frame, "petitions", SQL, ["community_id"])["n"].tolist() == [1]
