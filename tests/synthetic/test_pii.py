"""Fake personal data: well-formed, off by default, and drawn from its own random stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.synthetic import generate_district
from evaluation.synthetic.pii import fake_id_numbers, id_checksum

from .conftest import DEFAULT_SEED


def test_checksum_of_the_standard_example():
    # GB 11643-1999 worked example: 11010519491231002X.
    assert id_checksum("11010519491231002") == "X"


def test_checksum_of_published_valid_number():
    # Another documented valid number (ISO 7064 MOD 11-2 remainder 2 -> 'X'; remainder 0 -> '1').
    assert id_checksum("44052418800101001") == "4"


def _independent_check(idn: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(idn[:17], weights))
    return "10X98765432"[s % 11] == idn[17]


def test_generated_ids_valid():
    rng = np.random.default_rng(3)
    ids = fake_id_numbers(rng, np.array([1950, 1980, 2001] * 100), np.array([True, False, True] * 100))
    assert all(len(i) == 18 and _independent_check(i) for i in ids)
    assert all(int(i[16]) % 2 == 1 for i in ids[::3])                 # odd sequence digit = male
    pd.to_datetime(pd.Series([i[6:14] for i in ids]), format="%Y%m%d")


@pytest.fixture(scope="module")
def with_pii():
    return generate_district(DEFAULT_SEED, with_pii=True)


def test_pii_columns_well_formed(with_pii):
    for name in ("survey_responses", "grid_events"):
        df = with_pii.tables[name]
        assert {"name", "phone", "id_number"} <= set(df.columns)
        assert df["phone"].str.match(r"^1[3-9]\d{9}$").all()
        assert df["id_number"].map(_independent_check).all()
        assert df["name"].str.len().between(2, 3).all()
    s = with_pii.tables["survey_responses"]
    birth = s["id_number"].str[6:10].astype(int)
    assert (s["wave"] - birth == s["age"]).all()


def test_pii_changes_nothing_else(with_pii, tables):
    for name, df in tables.items():
        got = with_pii.tables[name]
        pd.testing.assert_frame_equal(got[df.columns], df)
