"""svytable and svychisq (Rao–Scott) against R survey 4.1.1 (tests/reference/survey/make_issue15_reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.survey import SurveyDesign
from evaluation.survey.tables import svychisq, svytable

from .conftest import REF_DIR

CAL_TOTALS = {"(Intercept)": 6194, "stype[T.H]": 755, "stype[T.M]": 1018, "api99": 3914069}


def _check(got: pd.DataFrame, e: dict, statistic: str = "F") -> None:
    row = got.iloc[0]
    assert row["statistic"] == pytest.approx(e["statistic"], rel=1e-8)
    assert row["p_value"] == pytest.approx(e["p_value"], rel=1e-8)
    if statistic == "F":
        np.testing.assert_allclose([row["ndf"], row["ddf"]], e["parameter"], rtol=1e-8)
    else:
        assert row["ndf"] == e["parameter"]


def test_svychisq_matches_r(designs, api, ref15):
    e = ref15["chisq"]
    clus1 = designs["clus1"]
    _check(svychisq(clus1, "sch_wide", "stype"), e["clus1_schwide_stype_F"])
    _check(svychisq(clus1, "sch_wide", "stype", statistic="Chisq"), e["clus1_schwide_stype_Chisq"], "Chisq")
    _check(svychisq(designs["strat"], "stype", "awards"), e["strat_stype_awards_F"])
    _check(svychisq(designs["clus2_w"], "stype", "both"), e["clus2_stype_both_F"])


def test_svychisq_on_a_calibrated_design_and_with_missing_values(designs, ref15):
    cal = designs["clus1"].calibrate("~ stype + api99", CAL_TOTALS, bounds=(0.6, 1.6))
    _check(svychisq(cal, "sch_wide", "stype"), ref15["chisq"]["calibrated_F"])
    na = SurveyDesign(pd.read_csv(REF_DIR / "apiclus1_na.csv"), ids="dnum", weights="pw", fpc="fpc")
    _check(svychisq(na, "sch_wide_yes", "stype"), ref15["chisq"]["na_F"])


def test_svychisq_refuses_a_constant_factor(designs):
    one = designs["clus1"].with_columns(k=np.ones(len(designs["clus1"].data)))
    with pytest.raises(ValueError, match="at least two levels"):
        svychisq(one, "k", "stype")
    with pytest.raises(ValueError, match="statistic"):
        svychisq(designs["clus1"], "sch_wide", "stype", statistic="Wald")


def test_svytable_matches_r(designs, ref15):
    e = ref15["svytable"]
    tab = svytable(designs["clus1"], "sch_wide", "stype")
    assert list(tab.index) == e["clus1_schwide_stype"]["rows"] and list(tab.columns) == e["clus1_schwide_stype"]["cols"]
    np.testing.assert_allclose(tab.to_numpy().ravel(order="F"), e["clus1_schwide_stype"]["values"], rtol=1e-8)
    np.testing.assert_allclose(svytable(designs["clus1"], "stype").to_numpy(), e["clus1_stype"]["values"],
                               rtol=1e-8)
    scaled = svytable(designs["clus1"], "sch_wide", "stype", total=183)
    assert scaled.to_numpy().sum() == pytest.approx(183)


def test_design_methods_are_the_functions(designs):
    d = designs["clus1"]
    pd.testing.assert_frame_equal(d.chisq("sch_wide", "stype"), svychisq(d, "sch_wide", "stype"))
    pd.testing.assert_frame_equal(d.table("sch_wide", "stype"), svytable(d, "sch_wide", "stype"))
