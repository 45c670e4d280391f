"""Data-quality summaries."""

from __future__ import annotations

import pandas as pd

from evaluation.data.quality import survey_completion, survey_design_kind


def test_completion_plans_legacy_communities_for_their_successors():
    survey = pd.DataFrame({"wave": [2019] * 8 + [2024] * 3, "community_id": ["L01"] * 8 + ["C01", "C01", "C02"]})
    lineage = pd.DataFrame({"from_id": ["L01", "L01"], "to_id": ["C01", "C02"]})
    comp = survey_completion(survey, planned_n=4, lineage=lineage).set_index(["wave", "community_id"])
    assert comp.loc[(2019, "L01"), "planned"] == 8 and comp.loc[(2019, "L01"), "completion"] == 1.0
    assert comp.loc[(2024, "C01"), "completion"] == 0.5 and comp.loc[(2024, "C02"), "completion"] == 0.25


def test_design_kind():
    full = pd.DataFrame({"stratum": ["a"], "psu": ["p"], "base_weight": [2.0]})
    assert survey_design_kind(full) == "stratified"
    assert survey_design_kind(full.assign(base_weight=[None])) == "srs"
    assert survey_design_kind(pd.DataFrame({"x": [1]})) == "srs"
