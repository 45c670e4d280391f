"""Outcome panels: each definition on a hand-made district, expected values worked out by hand. (The bundled
district's panels are checked against the generator's definitions in test_recovery.py, which loads it once.)"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evaluation.impact.panels import adoption_cohorts, attach_covariates, legacy_parents, outcome_panel


def hand_tables() -> dict[str, pd.DataFrame]:
    """L01 split into C01 (60 %) and C02 (40 %) on 2020-01-01; C01 adopts in 2021, C02 never."""
    ts = pd.to_datetime
    return {
        "communities": pd.DataFrame({"community_id": ["L01", "C01", "C02"],
                                     "valid_to": [pd.Timestamp("2019-12-31"), pd.NaT, pd.NaT],
                                     "community_type": ["old_town", "old_town", "new_build"],
                                     "lat": [22.7, 22.71, 22.72]}),
        "community_lineage": pd.DataFrame({"from_id": ["L01", "L01"], "to_id": ["C01", "C02"],
                                           "effective_date": ["2020-01-01"] * 2, "pop_share": [0.6, 0.4]}),
        "population": pd.DataFrame({"community_id": ["L01", "C01", "C02", "C01", "C02"],
                                    "year": [2019, 2020, 2020, 2021, 2021],
                                    "resident_pop": [10000, 6000, 4000, 6000, 5000]}),
        "programme_rollout": pd.DataFrame({"community_id": ["C01", "C01", "C02"],
                                           "component": ["jinlin_model", "jinlin_model", "xinwan_plan"],
                                           "start_date": ["2021-03-01", "2022-01-05", "2021-03-01"]}),
        "survey_responses": pd.DataFrame({
            "wave": [2019, 2019, 2020, 2020, 2020],
            "community_id": ["L01", "L01", "C01", "C01", "C02"],
            "base_weight": [10.0, 10.0, 5.0, 5.0, 8.0],
            **{q: [5, 1, 3, 4, None] for q in ("q_committee", "q_infrastructure", "q_activities", "q_neighbours",
                                              "q_trust", "q_belonging", "q_grid_service", "q_service_station")},
            "q_participated_12m": [1, 0, 1, 1, 0]}),
        "grid_events": pd.DataFrame({
            "community_id": ["L01", "C01", "C01", "C02", "C02"],
            # reported late 2019 under L01, due 2020; C02's second event is due in 2022 but reported in 2021
            "reported_at": ts(["2019-12-30 10:00", "2020-03-01 10:00", "2020-05-01 10:00", "2020-06-01 00:00",
                               "2021-12-30 00:00"]),
            "deadline_at": ts(["2020-01-02 10:00", "2020-03-02 10:00", "2020-05-04 10:00", "2020-06-02 00:00",
                               "2022-01-14 00:00"]),
            "closed_at": ts(["2020-01-01 10:00", "2020-03-01 12:00", None, "2020-06-03 00:00", "2022-01-01 00:00"]),
            "status": ["closed", "closed", "open", "closed", "closed"],
        }),
        "petitions": pd.DataFrame({"community_id": ["L01", "C01", "C02", "C02"],
                                   "received_date": ts(["2019-04-01", "2020-02-01", "2020-03-01", "2021-07-01"]),
                                   "real_estate_related": [1, 1, 0, 1]}),
        "activities": pd.DataFrame({"community_id": ["C01", "C01", "C02"],
                                    "date": ts(["2020-05-01", "2021-05-01", "2021-06-01"])}),
        "volunteers": pd.DataFrame({"community_id": ["L01", "C01", "C02"],
                                    "registered": ts(["2019-03-01", "2020-03-01", "2021-03-01"])}),
    }


def cell(panel: pd.DataFrame, cid: str, year: int) -> pd.Series:
    row = panel[(panel["community_id"] == cid) & (panel["year"] == year)]
    assert len(row) == 1, f"no single row for {cid} {year}"
    return row.iloc[0]


def test_cohorts_first_start_of_the_component():
    g = adoption_cohorts(hand_tables()["programme_rollout"])
    assert g.to_dict() == {"C01": 2021}
    p = outcome_panel(hand_tables(), "activities_per_1k")
    assert set(p.loc[p["community_id"] == "C02", "first_treat"]) == {0}
    assert set(p.loc[p["community_id"] == "C01", "first_treat"]) == {2021}


def test_satisfaction_legacy_mean_copied_and_weighted_mean():
    p = outcome_panel(hand_tables(), "satisfaction_index")
    # 2019 (L01): index 100 and 0, equal weights -> 50, copied to both children
    assert cell(p, "C01", 2019)["y"] == pytest.approx(50.0)
    assert cell(p, "C02", 2019)["y"] == pytest.approx(50.0)
    assert cell(p, "C01", 2019)["carried_share"] == pytest.approx(1.0)
    # 2020: C01 index 50 and 75 -> 62.5; C02's respondent answered nothing -> no cell
    assert cell(p, "C01", 2020)["y"] == pytest.approx(62.5)
    assert cell(p, "C01", 2020)["carried_share"] == 0
    assert p[(p["community_id"] == "C02") & (p["year"] == 2020)].empty
    part = outcome_panel(hand_tables(), "participation_rate")
    assert cell(part, "C01", 2019)["y"] == pytest.approx(0.5)
    assert cell(part, "C02", 2020)["y"] == 0.0


def test_on_time_by_due_year_open_event_late():
    p = outcome_panel(hand_tables(), "on_time_rate")
    # C01 2020: the L01 event (due 2020-01-02, closed before: on time) shared 0.6, C01's own: one on time, one open
    assert cell(p, "C01", 2020)["y"] == pytest.approx((0.6 + 1 + 0) / (0.6 + 2))
    assert cell(p, "C01", 2020)["carried_share"] == pytest.approx(0.6 / 2.6)
    # C02 2020: share 0.4 of the on-time L01 event, its own event closed a day late
    assert cell(p, "C02", 2020)["y"] == pytest.approx(0.4 / 1.4)
    # the event due in 2022 lies after the last reported year (2021): that year is incomplete and left out
    assert p["year"].max() == 2021 or (p["year"] <= 2021).all()
    assert 2022 not in set(p["year"])


def test_on_time_is_the_grid_definition_status_closed():
    """impact.on_time_rate counts an event as on time as grid.on_time_rate.share does: a closed_at by the deadline
    with a status other than closed (a reopened or unconfirmed closing) is not on time."""
    from evaluation.indicators.grid import closure_rates

    t = hand_tables()
    ev = t["grid_events"].copy()
    ev.loc[1, "status"] = "in_progress"  # C01's on-time event of 2020, closed_at filled
    p = outcome_panel({**t, "grid_events": ev}, "on_time_rate")
    assert cell(p, "C01", 2020)["y"] == pytest.approx((0.6 + 0 + 0) / (0.6 + 2))
    own = ev[ev["community_id"] != "L01"].assign(category="x")
    rates = closure_rates(own, 2020, by_category=False, interval="iid")
    grid_c01 = rates[(rates["indicator"] == "grid.on_time_rate.share") & (rates["community_id"] == "C01")]
    assert grid_c01["value"].item() == 0.0


def test_log_time_by_reported_year_closed_only():
    p = outcome_panel(hand_tables(), "log_time_to_close")
    # L01's event: reported 2019, 48 h
    assert cell(p, "C01", 2019)["y"] == pytest.approx(math.log(48))
    # C01 2020: only the closed event (2 h); the open one is left out
    assert cell(p, "C01", 2020)["y"] == pytest.approx(math.log(2))
    # C02: the event reported 2021-12-30 and closed 2022-01-01 belongs to 2021
    assert cell(p, "C02", 2021)["y"] == pytest.approx(math.log(48))


def test_per_resident_rates_same_year_population():
    pet = outcome_panel(hand_tables(), "real_estate_petitions_per_10k")
    # 2019: one L01 petition over 10,000 residents, shared like the population -> same rate for both children
    assert cell(pet, "C01", 2019)["y"] == pytest.approx(1.0)
    assert cell(pet, "C02", 2019)["y"] == pytest.approx(1.0)
    assert cell(pet, "C01", 2020)["y"] == pytest.approx(1e4 / 6000)
    assert cell(pet, "C02", 2020)["y"] == 0.0  # a non-real-estate petition does not count
    assert cell(pet, "C02", 2021)["y"] == pytest.approx(1e4 / 5000)
    act = outcome_panel(hand_tables(), "activities_per_1k")
    # activities are recorded from 2020 only: 2019 is unknown, not zero
    assert 2019 not in set(act["year"])
    assert cell(act, "C02", 2020)["y"] == 0.0
    assert cell(act, "C02", 2021)["y"] == pytest.approx(1000 / 5000)


def test_volunteer_stock():
    v = outcome_panel(hand_tables(), "volunteer_rate")
    assert cell(v, "C01", 2019)["y"] == pytest.approx(100 / 10000)
    # 2021: C02 holds 0.4 of the 2019 volunteer plus its own 2021 one, per 100 of 5,000 residents
    assert cell(v, "C02", 2021)["y"] == pytest.approx(100 * 1.4 / 5000)
    assert cell(v, "C01", 2021)["y"] == pytest.approx(100 * 1.6 / 6000)
    assert cell(v, "C01", 2021)["carried_share"] == 0  # the denominator (residents) is observed after the split


def test_legacy_parent_and_unknown_outcome():
    assert legacy_parents(hand_tables()["community_lineage"]).to_dict() == {"C01": "L01", "C02": "L01"}
    p = outcome_panel(hand_tables(), "volunteer_rate")
    assert set(p["legacy_id"]) == {"L01"}
    assert set(p["community_id"]) == {"C01", "C02"}  # legacy ids never appear as units
    with pytest.raises(ValueError, match="unknown outcome"):
        outcome_panel(hand_tables(), "happiness")


def test_attach_covariates():
    tb = hand_tables()
    p = outcome_panel(tb, "volunteer_rate")
    q = attach_covariates(p, tb, ["resident_pop", "community_type", "lat"])
    assert q.attrs["covariates"] == ["resident_pop", "community_type_old_town", "lat"]
    assert cell(q, "C02", 2019)["resident_pop"] == pytest.approx(4000)  # 0.4 of L01's 10,000
    assert cell(q, "C01", 2020)["community_type_old_town"] == 1.0
    assert cell(q, "C02", 2020)["community_type_old_town"] == 0.0
    with pytest.raises(ValueError, match="not a column"):
        attach_covariates(p, tb, ["income"])


@pytest.fixture(scope="module")
def bundled_both(tmp_path_factory):
    """The bundled district in memory, and with its grid events, petitions and activities left on disk."""
    from pathlib import Path

    from conftest import copy_with_parquet

    from evaluation.data import load_district
    from evaluation.data.lazy import ParquetTable

    data = Path(__file__).resolve().parents[2] / "data" / "synthetic"
    folder = copy_with_parquet(data, tmp_path_factory.mktemp("district"), ("petitions", "activities"))
    eager, lazy = load_district(folder, lazy_rows=None), load_district(folder, lazy_rows=1)
    assert all(isinstance(lazy.tables[t], ParquetTable) for t in ("grid_events", "petitions", "activities"))
    return eager.tables, lazy.tables


@pytest.mark.parametrize("outcome", ["on_time_rate", "log_time_to_close", "real_estate_petitions_per_10k",
                                     "activities_per_1k"])
def test_panels_same_from_tables_left_on_disk(bundled_both, outcome):
    """A region's large tables stay on disk (issue 9); DuckDB's sums give the panel the pandas definitions give."""
    import numpy as np

    eager, lazy = bundled_both
    a, b = outcome_panel(eager, outcome), outcome_panel(lazy, outcome)
    assert len(a) > 300
    pd.testing.assert_frame_equal(a.drop(columns="y"), b.drop(columns="y"), check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(a["y"], b["y"], rtol=1e-12)


@pytest.mark.parametrize("outcome", ["on_time_rate", "log_time_to_close", "real_estate_petitions_per_10k",
                                     "activities_per_1k"])
def test_panels_as_of_a_cutoff_same_on_disk(bundled_both, outcome):
    """With a data cut-off both paths see the same data as of it; the report year's on-time rate counts only the
    events due by the cut-off, and a per-resident count drops the cut-off's partial year."""
    import numpy as np

    eager, lazy = bundled_both
    a = outcome_panel(eager, outcome, data_cutoff="2024-06-30")
    b = outcome_panel(lazy, outcome, data_cutoff="2024-06-30")
    pd.testing.assert_frame_equal(a.drop(columns="y"), b.drop(columns="y"), check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(a["y"], b["y"], rtol=1e-12)
    whole = outcome_panel(eager, outcome)
    if outcome in ("real_estate_petitions_per_10k", "activities_per_1k"):
        assert a["year"].max() == 2023 and whole["year"].max() == 2024
    else:
        assert a["year"].max() == 2024 and a.loc[a["year"] == 2024, "n"].sum() < whole.loc[whole["year"] == 2024,
                                                                                             "n"].sum()
    # earlier years do not move
    before = a[a["year"] < 2024].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, whole[whole["year"] < 2024].reset_index(drop=True))


def test_on_time_panel_as_of_a_cutoff_hand_count(bundled_both):
    eager, _ = bundled_both
    ev = eager["grid_events"]
    cut = pd.Timestamp("2024-06-30")
    due = (ev["deadline_at"].dt.year == 2024) & (ev["deadline_at"] <= cut) & (ev["reported_at"] <= cut)
    on_time = due & (ev["status"] == "closed") & ev["closed_at"].notna() & (ev["closed_at"] <= ev["deadline_at"]) \
        & (ev["closed_at"] <= cut)
    p = outcome_panel(eager, "on_time_rate", data_cutoff=cut)
    p24 = p[p["year"] == 2024]
    assert p24["n"].sum() == pytest.approx(due.sum(), rel=1e-12)
    assert (p24["y"] * p24["n"]).sum() == pytest.approx(on_time.sum(), rel=1e-9)


def test_outcome_without_an_on_disk_path_says_so(bundled_both):
    _, lazy = bundled_both
    with pytest.raises(ValueError, match="no on-disk path"):
        outcome_panel({**lazy, "survey_responses": lazy["grid_events"]}, "satisfaction_index")
