"""Shared fixtures for the survey tests: R's api data and the reference values written by
tests/reference/survey/make_reference.R (R survey 4.1.1, psych 2.2.9, ordinal 2022.11.16)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.survey import SurveyDesign

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "survey"


def _as_array(values) -> np.ndarray:
    """R matrices arrive row-wise in JSON; R orders svyby statistics stat-major, i.e. column-major."""
    arr = np.array(values, dtype=object)
    flat = np.ravel(arr, order="F")
    return np.array([np.nan if v in ("NA", "NaN", None) else v for v in flat], dtype=float)


def assert_matches(got: pd.DataFrame, expected: dict, cols=("estimate", "se", "ci_low", "ci_high", "deff"),
                   rtol: float = 1e-8) -> None:
    """Compare result columns with R's, relative tolerance ``rtol`` (absolute 1e-12 × scale for R's exact zeros)."""
    for col in cols:
        if expected.get(col) is None:
            continue
        want = _as_array(expected[col])
        have = np.asarray(got[col], dtype=float)
        assert have.shape == want.shape, col
        # R's exact zeros (e.g. the SE of a stratum share under stratification) compare on the estimates' scale.
        basis = np.concatenate([want, _as_array(expected.get("estimate", [1.0]))])
        scale = np.nanmax(np.abs(basis)) if np.any(np.isfinite(basis)) else 1.0
        np.testing.assert_allclose(have, want, rtol=rtol, atol=1e-12 * scale, equal_nan=True, err_msg=col)


@pytest.fixture(scope="session")
def ref() -> dict:
    return json.loads((REF_DIR / "survey_reference.json").read_text())


@pytest.fixture(scope="session")
def api() -> dict[str, pd.DataFrame]:
    out = {k: pd.read_csv(REF_DIR / f"api{k}.csv") for k in ("strat", "clus1", "clus2", "srs")}
    for df in out.values():
        df["sch_wide_yes"] = (df["sch_wide"] == "Yes").astype(float)
        df["yr_rnd_yes"] = (df["yr_rnd"] == "Yes").astype(float)
    return out


@pytest.fixture(scope="session")
def designs(api) -> dict[str, SurveyDesign]:
    """The designs of the R script, built the same way."""
    return {
        "strat": SurveyDesign(api["strat"], strata="stype", weights="pw", fpc="fpc"),
        "clus1": SurveyDesign(api["clus1"], ids="dnum", weights="pw", fpc="fpc"),
        "clus1_nofpc": SurveyDesign(api["clus1"], ids="dnum", weights="pw"),
        "clus2": SurveyDesign(api["clus2"], ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
        "clus2_w": SurveyDesign(api["clus2"], ids=["dnum", "snum"], weights="pw"),
        "srs": SurveyDesign(api["srs"], fpc="fpc"),
    }


@pytest.fixture(scope="session")
def check():
    return assert_matches


@pytest.fixture(scope="session")
def ref15() -> dict:
    """Issue-15 reference values (tests/reference/survey/make_issue15_reference.R)."""
    return json.loads((REF_DIR / "issue15_reference.json").read_text())


@pytest.fixture(scope="session")
def ref15b() -> dict:
    """Issue-15 reference values, second part (tests/reference/survey/make_issue15_more_reference.R)."""
    return json.loads((REF_DIR / "issue15_more_reference.json").read_text())
