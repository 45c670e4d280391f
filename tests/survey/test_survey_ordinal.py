"""ordinal_logit against ordinal::clm on the wine data (logit and probit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.survey.ordinal import ordinal_logit

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "survey"


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_clm_wine(ref, link):
    wine = pd.read_csv(REF_DIR / "wine.csv")
    got = ordinal_logit(wine, "rating ~ temp + contact", link=link)
    e = ref["clm"][link]
    assert list(got.term[:4]) == e["term"][:4]  # thresholds "1|2" … "4|5"
    np.testing.assert_allclose(got.estimate, e["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got.se, e["se"], rtol=1e-6)


def test_needs_three_levels():
    df = pd.DataFrame({"y": [1, 2, 1, 2], "x": [0.1, 0.5, 0.2, 0.9]})
    with pytest.raises(ValueError, match="3 or more"):
        ordinal_logit(df, "y ~ x")
