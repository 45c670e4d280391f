"""psych::alpha and one-factor omega on psych's bfi agreeableness items (A1 reverse-keyed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.survey.scales import omega, reliability

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "survey"


@pytest.fixture(scope="module")
def agree() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "bfi_agree.csv")


def test_alpha_pairwise_matches_psych(agree, ref):
    r, e = reliability(agree, reverse=["A1"], scale_range=(1, 6)), ref["alpha"]
    assert r.raw_alpha == pytest.approx(e["raw_alpha"], rel=1e-10)
    assert r.std_alpha == pytest.approx(e["std_alpha"], rel=1e-10)
    assert r.average_r == pytest.approx(e["average_r"], rel=1e-10)
    np.testing.assert_allclose(r.items.r_drop, e["r_drop"], rtol=1e-10)
    np.testing.assert_allclose(r.items.alpha_if_dropped, e["alpha_if_dropped"], rtol=1e-10)
    np.testing.assert_allclose(r.items.std_alpha_if_dropped, e["std_alpha_if_dropped"], rtol=1e-10)
    np.testing.assert_allclose(r.items["mean"], e["item_mean"], rtol=1e-10)
    assert r.items.reversed.tolist() == [True, False, False, False, False]


def test_alpha_listwise_matches_psych(agree, ref):
    r, e = reliability(agree, reverse=["A1"], scale_range=(1, 6), use="listwise"), ref["alpha_listwise"]
    assert r.raw_alpha == pytest.approx(e["raw_alpha"], rel=1e-10)
    assert r.std_alpha == pytest.approx(e["std_alpha"], rel=1e-10)
    np.testing.assert_allclose(r.items.r_drop, e["r_drop"], rtol=1e-10)
    np.testing.assert_allclose(r.items.alpha_if_dropped, e["alpha_if_dropped"], rtol=1e-10)


def test_omega_one_factor(agree, ref):
    o, e = omega(agree, reverse=["A1"]), ref["omega"]
    # Exact minimum-residual optimum computed in R by hand; psych::fa's optimiser stops ~1e-3 away.
    np.testing.assert_allclose(o.items.loading, e["loadings"], rtol=1e-6)
    assert o.omega_total == pytest.approx(e["omega_total"], rel=1e-8)
    np.testing.assert_allclose(o.items.loading, e["psych_loadings"], atol=2e-3)


def test_reverse_must_name_items(agree):
    with pytest.raises(KeyError):
        reliability(agree, reverse=["Z9"])
