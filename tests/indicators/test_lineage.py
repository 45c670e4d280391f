"""Carrying legacy-community series to current communities by pop_share."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.indicators.lineage import carry_to_current


@pytest.fixture()
def lineage():
    return pd.DataFrame({"from_id": ["L01", "L01", "L01", "L02", "L02"],
                         "to_id": ["C01", "C02", "C03", "C04", "C05"],
                         "effective_date": "2020-01-01", "pop_share": [0.5, 0.3, 0.2, 0.6, 0.4]})


def test_counts_split_rates_copied(lineage):
    series = pd.DataFrame({"community_id": ["L01", "L02", "C01"], "year": [2019, 2019, 2020],
                           "events": [100.0, 50.0, 7.0], "rate": [0.8, 0.4, 0.9]})
    out = carry_to_current(series, lineage, counts=["events"], rates=["rate"])
    got = out.set_index(["community_id", "year"])
    assert got.loc[("C02", 2019), "events"] == pytest.approx(30.0)
    assert got.loc[("C05", 2019), "events"] == pytest.approx(20.0)
    assert got.loc[("C03", 2019), "rate"] == 0.8
    assert got.loc[("C01", 2020), "events"] == 7.0 and not got.loc[("C01", 2020), "carried"]
    assert got.loc[("C01", 2019), "carried"] and got.loc[("C01", 2019), "from_id"] == "L01"
    # counts are preserved in total
    assert out.loc[out["year"] == 2019, "events"].sum() == pytest.approx(150.0)
    assert len(out) == 6


def test_shares_must_sum_to_one(lineage):
    bad = lineage.assign(pop_share=[0.5, 0.3, 0.1, 0.6, 0.4])
    with pytest.raises(ValueError, match="L01"):
        carry_to_current(pd.DataFrame({"community_id": ["L01"], "n": [1]}), bad, counts=["n"])


def test_column_cannot_be_both(lineage):
    with pytest.raises(ValueError):
        carry_to_current(pd.DataFrame({"community_id": ["L01"], "n": [1]}), lineage, counts=["n"], rates=["n"])


# --- splits that keep the parent's code, chains, dates (issue 13) -------------------------------------------------

import numpy as np  # noqa: E402

from evaluation.impact.panels import legacy_parents, outcome_panel  # noqa: E402
from evaluation.indicators.counting import count_by_community  # noqa: E402
from evaluation.indicators.grid import event_rates  # noqa: E402
from evaluation.indicators.lineage import record_era, splits  # noqa: E402
from evaluation.indicators.participation import service_hours  # noqa: E402
from evaluation.indicators.profile import source_community  # noqa: E402


def _chain(c44_date: str = "2023-01-01") -> pd.DataFrame:
    """L01 became C01 and C02 in 2020; C44 split off C01 later, C01 keeping its code and 60 % of its people."""
    return pd.DataFrame({"from_id": ["L01", "L01", "C01", "C01"], "to_id": ["C01", "C02", "C01", "C44"],
                         "effective_date": ["2020-01-01", "2020-01-01", c44_date, c44_date],
                         "pop_share": [0.7, 0.3, 0.6, 0.4]})


def _events(spec: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = []
    for (cid, day), n in spec.items():
        # closed_at and status are required columns of the contract (the registry's queries read them)
        rows += [{"event_id": f"{cid}-{day}-{i}", "community_id": cid, "category": "x",
                  "reported_at": pd.Timestamp(day) + pd.Timedelta(minutes=i), "closed_at": pd.NaT,
                  "status": "open"} for i in range(n)]
    return pd.DataFrame(rows)


def _district_value(frame: pd.DataFrame, key: str, cid: str) -> float:
    return frame.loc[(frame["indicator"] == key) & (frame["community_id"] == cid), "value"].item()


def test_own_counts_after_a_split_that_keeps_the_code_stay():
    # the example: C01 keeps its code after C44 splits off; their own 2024 counts are 80 and 30
    ev = _events({("C01", "2024-03-01"): 80, ("C44", "2024-04-01"): 30})
    r = event_rates(ev, None, 2024, by_category=False, lineage=_chain())
    assert _district_value(r, "grid.events_reported.count", "C01") == 80  # not 48
    assert _district_value(r, "grid.events_reported.count", "C44") == 30  # not 62
    assert _district_value(r, "grid.events_reported.count", "district") == 110


def test_rows_before_the_split_are_shared_out_and_chains_follow():
    lin = _chain()
    frame = pd.DataFrame({"community_id": ["C01", "C01", "C01", "L01", "C44"],
                          "day": pd.to_datetime(["2022-06-01", "2023-01-01", "2024-05-01", "2019-05-01",
                                                 "2024-05-01"]),
                          "n": [50.0, 7.0, 80.0, 100.0, 30.0], "rate": [0.5, 0.6, 0.7, 0.8, 0.9]})
    out = carry_to_current(frame, lin, counts=["n"], rates=["rate"], date_column="day")
    got = out.groupby("community_id")["n"].sum()
    # C01: 50×0.6 (2022, before) + 7 (on the effective date: stays) + 80 + 100×0.7×0.6 (L01 via C01)
    assert got["C01"] == pytest.approx(30 + 7 + 80 + 42, abs=1e-12)
    assert got["C44"] == pytest.approx(20 + 30 + 28, abs=1e-12)
    assert got["C02"] == pytest.approx(30, abs=1e-12)
    assert got.sum() == pytest.approx(frame["n"].sum(), abs=1e-12)
    via = out[(out["from_id"] == "L01") & (out["community_id"] == "C44")].iloc[0]
    assert via["pop_share"] == pytest.approx(0.28) and via["rate"] == 0.8 and via["carried"]
    stay = out[(out["community_id"] == "C01") & ~out["carried"]]
    assert sorted(stay["n"]) == [7.0, 80.0] and (stay["from_id"] == "").all()


def test_years_before_a_split_are_carried_the_split_year_stays():
    frame = pd.DataFrame({"community_id": ["C01", "C01", "C01"], "year": [2022, 2023, 2024],
                          "n": [10.0, 10.0, 10.0]})
    for date in ("2023-01-01", "2023-07-01"):
        out = carry_to_current(frame, _chain(date), counts=["n"], date_column="year")
        c44 = out[out["community_id"] == "C44"]
        assert c44["year"].tolist() == [2022] and c44["n"].tolist() == pytest.approx([4.0])
        assert out.loc[out["community_id"] == "C01", "n"].sum() == pytest.approx(6 + 10 + 10)


def test_a_second_split_of_the_same_parent():
    # shares are checked per (from_id, effective_date), as the validation does: two splits of C01 are fine
    lin = pd.DataFrame({"from_id": ["C01", "C01", "C01", "C01"], "to_id": ["C01", "C44", "C01", "C45"],
                        "effective_date": ["2023-01-01", "2023-01-01", "2024-01-01", "2024-01-01"],
                        "pop_share": [0.6, 0.4, 0.7, 0.3]})
    frame = pd.DataFrame({"community_id": ["C01", "C01", "C01"],
                          "day": pd.to_datetime(["2022-05-01", "2023-05-01", "2024-05-01"]), "n": [100.0] * 3})
    got = carry_to_current(frame, lin, counts=["n"], date_column="day").groupby("community_id")["n"].sum()
    assert got["C44"] == pytest.approx(40)
    assert got["C45"] == pytest.approx(60 * 0.3 + 100 * 0.3)
    assert got["C01"] == pytest.approx(60 * 0.7 + 70 + 100)


def test_split_that_keeps_the_code_needs_dates():
    frame = pd.DataFrame({"community_id": ["C01"], "n": [5.0]})
    with pytest.raises(ValueError, match="C01 keep their code.*date"):
        carry_to_current(frame, _chain(), counts=["n"])
    # a legacy row reaching C01 through the chain needs them as well
    with pytest.raises(ValueError, match="date"):
        carry_to_current(frame.assign(community_id="L01"), _chain(), counts=["n"])


def test_cycles_and_shares_are_refused():
    cyc = pd.DataFrame({"from_id": ["C01", "C02"], "to_id": ["C02", "C01"],
                        "effective_date": ["2021-01-01", "2022-01-01"], "pop_share": [1.0, 1.0]})
    with pytest.raises(ValueError, match="cycle"):
        splits(cyc)
    bad = _chain().assign(pop_share=[0.7, 0.3, 0.6, 0.5])
    with pytest.raises(ValueError, match="C01 on 2023-01-01"):
        splits(bad)


def test_record_era_groups_records_the_splits_treat_alike():
    ids = pd.Series(["C01", "C01", "C01", "L01", "L01", "C07"])
    dates = pd.Series(pd.to_datetime(["2021-01-01", "2022-12-31", "2024-02-01", "2018-01-01", "2019-12-31",
                                      "2024-01-01"]))
    era = record_era(ids, dates, _chain())
    assert era[0] == era[1] == pd.Timestamp("2022-12-31")
    assert era[2] == pd.Timestamp("2023-01-01")
    assert era[3] == era[4] == pd.Timestamp("2019-12-31")
    assert pd.isna(era[5])


def test_count_by_community_distinct_with_a_kept_code():
    # the same unit paired with C01 before and after C44 split off counts once per era, shared out before
    recs = pd.DataFrame({"community_id": ["C01", "C01", "C01", "C44"], "unit_name": ["A", "A", "B", "C"],
                         "start_date": pd.to_datetime(["2021-03-01", "2022-03-01", "2024-03-01", "2024-03-01"])})
    out = count_by_community(recs, "organisation.paired_units", 2024, distinct="unit_name", lineage=_chain(),
                             date="start_date")
    got = out[out["indicator"] == "organisation.paired_units.count"].set_index("community_id")["value"]
    assert got["C01"] == pytest.approx(0.6 + 1) and got["C44"] == pytest.approx(0.4 + 1)
    assert got["district"] == 3


def test_service_hours_with_a_kept_code():
    vol = pd.DataFrame({"person_key": ["p1", "p2", "p3"], "community_id": ["C01", "C01", "C44"],
                        "registered": pd.to_datetime(["2021-01-01", "2024-01-05", "2024-02-01"])})
    hours = pd.DataFrame({"person_key": ["p1", "p2", "p3"], "date": pd.to_datetime(["2024-05-01"] * 3),
                          "hours": [10.0, 20.0, 5.0]})
    out = service_hours(vol, hours, None, 2024, n_resamples=10, lineage=_chain())
    tot = out[out["indicator"] == "participation.service_hours.total"].set_index("community_id")["value"]
    assert tot["C01"] == pytest.approx(10 * 0.6 + 20) and tot["C44"] == pytest.approx(10 * 0.4 + 5)
    assert tot["district"] == pytest.approx(35)


def test_panel_and_profile_with_a_kept_code():
    lin = _chain()
    comms = pd.DataFrame({"community_id": ["L01", "C01", "C02", "C44"],
                          "valid_to": [pd.Timestamp("2019-12-31"), pd.NaT, pd.NaT, pd.NaT]})
    act = pd.DataFrame({"activity_id": range(4), "community_id": ["C01", "C01", "C44", "L01"],
                        "date": pd.to_datetime(["2022-05-01", "2024-05-01", "2024-05-01", "2019-05-01"])})
    pop = pd.DataFrame({"community_id": ["L01", "C01", "C02", "C01", "C01", "C44", "C02", "C02"],
                        "year": [2019, 2020, 2020, 2022, 2024, 2024, 2022, 2024],
                        "resident_pop": [1000, 700, 300, 1000, 600, 400, 300, 300]})
    p = outcome_panel({"activities": act, "population": pop, "community_lineage": lin, "communities": comms},
                      "activities_per_1k").set_index(["community_id", "year"])
    # 2024: C01's own activity over its 600 residents, C44's over 400 (nothing shared out after the split)
    assert p.loc[("C01", 2024), "y"] == pytest.approx(1e3 / 600) and not p.loc[("C01", 2024), "carried"]
    assert p.loc[("C44", 2024), "y"] == pytest.approx(1e3 / 400)
    # 2022, before the split: C01's activity and residents shared with C44 (same rate), 2019 from L01 via C01
    assert p.loc[("C44", 2022), "y"] == pytest.approx(1e3 / 1000) and p.loc[("C44", 2022), "carried"]
    assert p.loc[("C44", 2019), "y"] == pytest.approx(1e3 / 1000)
    assert legacy_parents(lin).to_dict() == {"C01": "L01", "C02": "L01", "C44": "L01"}
    assert source_community(lin, "C44", 2024) == "C44"
    assert source_community(lin, "C44", 2022) == "C01"
    assert source_community(lin, "C44", 2019) == "L01"
    assert source_community(lin, "C01", 2022) == "C01"


def test_bundled_lineage_carries_as_before(tmp_path):
    # the bundled lineage ends every legacy community at its split: dates change nothing
    lin = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "synthetic" / "community_lineage.csv")
    frame = pd.DataFrame({"community_id": ["L01", "L03", "C01", "C20"], "year": [2019, 2021, 2022, 2023],
                          "n": [10.0, 4.0, 3.0, 2.0]})
    a = carry_to_current(frame, lin, counts=["n"])
    b = carry_to_current(frame, lin, counts=["n"], date_column="year")
    pd.testing.assert_frame_equal(a, b)
    assert a["n"].sum() == pytest.approx(19.0) and np.isclose(a.loc[a["carried"], "pop_share"].groupby(
        a.loc[a["carried"], "from_id"]).sum(), 1.0).all()


def test_a_row_without_a_date_counts_as_from_the_beginning():
    # as a register row without a start date counts as active from the beginning: shared out at every split
    frame = pd.DataFrame({"community_id": ["C01", "L01"], "day": pd.to_datetime([None, None]), "n": [10.0, 10.0]})
    got = carry_to_current(frame, _chain(), counts=["n"], date_column="day").groupby("community_id")["n"].sum()
    assert got["C44"] == pytest.approx(4 + 2.8) and got["C01"] == pytest.approx(6 + 4.2) and got["C02"] == 3
    era = record_era(pd.Series(["C01", "L01"]), pd.Series(pd.to_datetime([None, None])), _chain())
    assert era.tolist() == [pd.Timestamp("2022-12-31"), pd.Timestamp("2019-12-31")]


def test_splits_kept_per_lineage_content_each_call_its_own_copy(lineage):
    from evaluation.indicators.lineage import splits

    first = splits(lineage)
    first.loc[:, "pop_share"] = -1.0  # a caller changing its copy changes nothing for the next one
    again = splits(lineage)
    assert again["pop_share"].tolist() == [0.5, 0.3, 0.2, 0.6, 0.4]
    # the same shape with other shares is another lineage, not the kept one
    other = splits(lineage.assign(pop_share=[0.2, 0.3, 0.5, 0.6, 0.4]))
    assert other["pop_share"].tolist() == [0.2, 0.3, 0.5, 0.6, 0.4]
    # as are the same values as text, and a bad lineage still fails after a good one was kept
    assert splits(lineage.assign(pop_share=["0.5", "0.3", "0.2", "0.6", "0.4"]))["pop_share"].tolist() == \
        [0.5, 0.3, 0.2, 0.6, 0.4]
    with pytest.raises(ValueError, match="L01"):
        splits(lineage.assign(pop_share=[0.5, 0.3, 0.1, 0.6, 0.4]))
