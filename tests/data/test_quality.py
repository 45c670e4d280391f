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


def test_completion_of_a_community_that_keeps_its_code_after_a_split():
    # C01 split in 2023 into itself and C44: in 2022 it was planned for both, from 2023 on for itself alone.
    survey = pd.DataFrame({"wave": [2022] * 6 + [2024] * 5, "community_id": ["C01"] * 6 + ["C01"] * 3 + ["C44"] * 2})
    lineage = pd.DataFrame({"from_id": ["C01", "C01"], "to_id": ["C01", "C44"],
                            "effective_date": ["2023-01-01", "2023-01-01"], "pop_share": [0.6, 0.4]})
    comp = survey_completion(survey, planned_n=4, lineage=lineage).set_index(["wave", "community_id"])
    assert comp.loc[(2022, "C01"), "planned"] == 8
    assert comp.loc[(2024, "C01"), "planned"] == 4 and comp.loc[(2024, "C01"), "completion"] == 0.75
    assert comp.loc[(2024, "C44"), "planned"] == 4


def test_design_kind():
    full = pd.DataFrame({"stratum": ["a"], "psu": ["p"], "base_weight": [2.0]})
    assert survey_design_kind(full) == "stratified"
    assert survey_design_kind(full.assign(base_weight=[None])) == "srs"
    assert survey_design_kind(pd.DataFrame({"x": [1]})) == "srs"
