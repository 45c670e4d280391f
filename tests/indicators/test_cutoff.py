"""The data cut-off: every figure sees the data as they stood at the cut-off.

The README's rerun example (``-p data_cutoff=2024-06-30`` on the bundled district) is recomputed here by a hand count:
plain pandas filters on the raw export files, written out in the test, against the package's figures for every
headline count and rate that depends on a date. The rules (``docs/conventions.md``): a record dated after the cut-off
is not in the data; an end (closing, leaving, dissolution) after it has not happened; "active at the end of Y" is
active at the cut-off; an event due after the cut-off is left out of the on-time rate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators import (grid_indicators, headline_figures, organisation_indicators,
                                   participation_indicators)
from evaluation.indicators._common import active_at_year_end, cutoff_of, in_year
from evaluation.indicators.grid import closure_rates, events_closed, repeat_events, time_to_close
from evaluation.indicators.petitions import comparison_cutoff, monthly_series, petition_counts, real_estate_change
from evaluation.indicators.service_circle import stations_open
from evaluation.params import load_params

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "synthetic"
YEAR = 2024


@pytest.fixture(scope="module")
def params():
    # the README's rerun example, through the run parameters
    p, _ = load_params(ROOT / "params" / "default.yaml", {"data_cutoff": "2024-06-30"})
    return p


@pytest.fixture(scope="module")
def tables(bundled_district):
    return bundled_district.tables


@pytest.fixture(scope="module")
def raw():
    """The export files read by plain pandas, dates parsed, nothing else."""
    out = {"grid_events": pd.read_parquet(DATA / "grid_events.parquet"),
           "service_hours": pd.read_parquet(DATA / "service_hours.parquet")}
    for name in ("pairings", "volunteers", "committee_members", "joint_meetings", "community_workers", "grid_staff",
                 "organisations", "activities", "petitions", "service_stations"):
        out[name] = pd.read_csv(DATA / f"{name}.csv", dtype=str)
    dates = {"grid_events": ["reported_at", "deadline_at", "closed_at"], "service_hours": ["date"],
             "pairings": ["start_date", "end_date"], "volunteers": ["registered"],
             "committee_members": ["appointed", "left"], "joint_meetings": ["date"],
             "community_workers": ["hired", "left"], "grid_staff": ["joined", "left"],
             "organisations": ["founded", "dissolved"], "activities": ["date"], "petitions": ["received_date"],
             "service_stations": ["opened", "closed"]}
    for name, cols in dates.items():
        for c in cols:
            out[name][c] = pd.to_datetime(out[name][c])
    return out


CUT = pd.Timestamp("2024-06-30 00:00:00")  # a date means its first moment
START = pd.Timestamp("2024-01-01")


def _active(frame, start, end):
    """Active at the cut-off: started on or before it and not ended by it (missing start = always)."""
    s = frame[start]
    ok = s.isna() | (s <= CUT)
    if end is not None:
        ok &= frame[end].isna() | (frame[end] > CUT)
    return ok


def _district(frame, key, group=""):
    hit = frame[(frame["indicator"] == key) & (frame["community_id"] == "district") & (frame["group"] == group)]
    assert len(hit) == 1, key
    return hit.iloc[0]


def test_params_give_the_cutoff(params):
    assert pd.Timestamp(params.cutoff) == CUT


def test_readme_closure_rate_is_the_hand_count(tables, raw, params):
    ev = raw["grid_events"]
    reported = (ev["reported_at"] >= START) & (ev["reported_at"] <= CUT)
    closed = (ev["status"] == "closed") & (ev["closed_at"] <= CUT)
    # the figures the issue quotes, and the wrong denominator that came out before
    assert (reported & closed).sum() == 7609 and reported.sum() == 7767
    assert (ev["reported_at"].dt.year == YEAR).sum() == 16275
    r = _district(closure_rates(tables["grid_events"], YEAR, params.cutoff), "grid.closure_rate.share")
    assert (r["n"], r["denominator"]) == (7609, 7767)
    assert r["value"] == pytest.approx(7609 / 7767, abs=1e-15) and round(r["value"], 3) == 0.980


def test_readme_grid_figures_are_the_hand_count(tables, raw, params):
    ev = raw["grid_events"]
    g = grid_indicators(tables, YEAR, params.cutoff)
    reported = (ev["reported_at"] >= START) & (ev["reported_at"] <= CUT)
    closed_by = (ev["status"] == "closed") & ev["closed_at"].notna() & (ev["closed_at"] <= CUT)
    closed_in = closed_by & (ev["closed_at"] >= START)
    assert _district(g, "grid.events_closed.count")["value"] == closed_in.sum()
    assert _district(g, "grid.events_reported.count")["value"] == reported.sum()
    for cat in sorted(ev["category"].unique()):
        assert _district(g, "grid.events_reported.count", cat)["value"] == (reported & (ev["category"] == cat)).sum()
    # on time: due in 2024 by the cut-off (an open event due later is not yet late), closed by its deadline
    due = (ev["deadline_at"] >= START) & (ev["deadline_at"] <= CUT)
    on_time = due & closed_by & (ev["closed_at"] <= ev["deadline_at"])
    r = _district(g, "grid.on_time_rate.share")
    assert (r["n"], r["denominator"]) == (on_time.sum(), due.sum())
    # callbacks of the events closed in 2024 by the cut-off
    cb = ev.loc[closed_in, "callback"]
    for outcome in ("satisfied", "basically", "dissatisfied", "not_reached"):
        r = _district(g, f"grid.callback.{outcome}.share")
        assert (r["n"], r["denominator"]) == ((cb == outcome).sum(), closed_in.sum())
    # time to close: every event reported by the cut-off, those closed by it as events, the rest censored
    r = _district(g, "grid.time_to_close.median_hours")
    assert (r["n"], r["denominator"]) == (reported.sum(), (reported & closed_by).sum())
    # repeats: an event reported by the cut-off within 30 days after the last closing (by the cut-off) before it
    # in the same grid and category
    target = ev[reported & ev["grid_id"].notna()].sort_values("reported_at")
    closings = ev[closed_by & ev["grid_id"].notna()][["grid_id", "category", "closed_at"]].sort_values("closed_at")
    m = pd.merge_asof(target, closings, left_on="reported_at", right_on="closed_at", by=["grid_id", "category"],
                      allow_exact_matches=False, suffixes=("", "_prev"))
    gap = m["reported_at"] - m["closed_at_prev"]
    repeats = int((gap.notna() & (gap <= pd.Timedelta(days=30))).sum())
    r = _district(g, "grid.repeat_events.share")
    assert (r["n"], r["denominator"]) == (repeats, len(target))


def test_readme_headline_figures_are_the_hand_count(tables, raw, params):
    h = headline_figures(tables, YEAR, params.cutoff)
    p = raw["pairings"]
    assert h["organisation.paired_units.count"]["value"] == p.loc[_active(p, "start_date", "end_date"),
                                                                   "unit_name"].nunique()
    v = raw["volunteers"]
    assert h["organisation.returned_party_members.count"]["value"] == \
        ((v["returned_party_member"] == "1") & _active(v, "registered", None)).sum()
    m = raw["committee_members"]
    assert h["organisation.part_time_committee_members.count"]["value"] == _active(m, "appointed", "left").sum()
    jm = raw["joint_meetings"]
    held = (jm["date"] >= START) & (jm["date"] <= CUT)
    assert h["organisation.joint_meetings.count"]["value"] == held.sum()
    assert h["organisation.issues_resolved.count"]["value"] == pd.to_numeric(jm.loc[held, "issues_resolved"]).sum()
    w = raw["community_workers"]
    act_w = w[_active(w, "hired", "left")]
    assert h["organisation.community_workers.count"]["value"] == len(act_w)
    promoted = pd.to_numeric(act_w["promoted_year"]).between(YEAR - 2, YEAR)
    assert (h["organisation.workers_promoted.rate"]["numerator"], h["organisation.workers_promoted.rate"]["n"]) == \
        (promoted.sum(), len(act_w))
    assert h["organisation.workers_certified.rate"]["numerator"] == (act_w["certified"] == "1").sum()
    s = raw["grid_staff"]
    act_s = s[_active(s, "joined", "left")]
    assert h["grid.staff.count"]["value"] == len(act_s)
    assert h["organisation.departments_sent_down.count"]["value"] == \
        act_s.loc[act_s["staff_type"] == "department_specialist", "department"].dropna().nunique()
    o = raw["organisations"]
    act_o = o[_active(o, "founded", "dissolved")]
    for key, typ in (("csos_active", "cso"), ("volunteer_teams_active", "volunteer_team"),
                     ("community_funds", "community_fund")):
        assert h[f"participation.{key}.count"]["value"] == (act_o["org_type"] == typ).sum()
    assert h["participation.fund_inflow_cny.total"]["value"] == pytest.approx(
        pd.to_numeric(act_o.loc[act_o["org_type"] == "community_fund", "funds_raised_cny"]).fillna(0).sum())
    a = raw["activities"]
    held_a = (a["date"] >= START) & (a["date"] <= CUT)
    assert h["participation.activities.count"]["value"] == held_a.sum()
    assert h["participation.attendance.person_times"]["value"] == pd.to_numeric(a.loc[held_a, "attendance"]).sum()
    ev = raw["grid_events"]
    assert h["grid.events_closed.count"]["value"] == ((ev["status"] == "closed") & (ev["closed_at"] >= START)
                                                      & (ev["closed_at"] <= CUT)).sum()
    # real-estate petitions: 1 January to the cut-off, against the same part of 2023
    pt = raw["petitions"]
    re_ = pt["real_estate_related"] == "1"
    now = (re_ & (pt["received_date"] >= START) & (pt["received_date"] <= CUT)).sum()
    prev = (re_ & (pt["received_date"] >= pd.Timestamp("2023-01-01"))
            & (pt["received_date"] <= pd.Timestamp("2023-06-30"))).sum()
    assert (h["petitions.real_estate.count"]["value"], h["petitions.real_estate.count_prev"]["value"]) == (now, prev)
    assert h["petitions.real_estate.yoy_change"]["value"] == pytest.approx(now / prev - 1, abs=1e-15)
    st = raw["service_stations"]
    open_ = st[_active(st, "opened", "closed")]
    for level, n in open_["level"].value_counts().items():
        assert h[f"service_circle.stations.{level}.count"]["value"] == n


def test_readme_participation_figures_are_the_hand_count(tables, raw, params):
    part = participation_indicators(tables, YEAR, n_resamples=50, data_cutoff=params.cutoff)
    v = raw["volunteers"]
    reg = v[_active(v, "registered", None)]
    assert _district(part, "participation.volunteers_registered.count")["value"] == len(reg)
    # active: a service record in the 12 months to the cut-off
    h = raw["service_hours"]
    window = h[(h["date"] > CUT - pd.DateOffset(years=1)) & (h["date"] <= CUT)]
    r = _district(part, "participation.volunteers_active.share")
    assert (r["n"], r["denominator"]) == (reg["person_key"].isin(set(window["person_key"])).sum(), len(reg))
    hours = window.merge(reg[["person_key"]], on="person_key")["hours"].sum()
    assert _district(part, "participation.service_hours.total")["value"] == pytest.approx(hours, rel=1e-12)
    a = raw["activities"]
    held = (a["date"] >= START) & (a["date"] <= CUT)
    assert _district(part, "participation.activities.count")["value"] == held.sum()
    assert _district(part, "participation.co_organised.share")["denominator"] == held.sum()
    org = organisation_indicators(tables, YEAR, data_cutoff=params.cutoff)
    jm = raw["joint_meetings"]
    assert _district(org, "organisation.joint_meetings.count")["value"] == \
        ((jm["date"] >= START) & (jm["date"] <= CUT)).sum()


def test_petition_counts_and_series_stop_at_the_cutoff(tables, raw, params):
    pt = raw["petitions"]
    pet = petition_counts(tables["petitions"], tables["population"], [2023, YEAR], data_cutoff=params.cutoff)
    got = pet[(pet["indicator"] == "petitions.received.count") & (pet["community_id"] == "district")
              & (pet["group"] == "")].set_index("year")["value"]
    assert got[YEAR] == ((pt["received_date"] >= START) & (pt["received_date"] <= CUT)).sum()
    assert got[2023] == (pt["received_date"].dt.year == 2023).sum()  # an earlier year is whole
    # the series ends at the last whole month: 30 June is after a cut-off at its first moment
    s = monthly_series(tables["petitions"], tables["population"], end="2024-12", data_cutoff=params.cutoff)
    assert s["month"].max() == pd.Timestamp("2024-05-01")
    s = monthly_series(tables["petitions"], tables["population"], end="2024-12", data_cutoff="2024-07-01")
    assert s["month"].max() == pd.Timestamp("2024-06-01")
    re_june = ((pt["real_estate_related"] == "1") & (pt["received_date"].dt.to_period("M") == "2024-06")).sum()
    assert s["count"].iloc[-1] == re_june


def test_comparison_cutoff():
    assert comparison_cutoff(2024, 2023, pd.Timestamp("2024-06-30 12:00")) == pd.Timestamp("2023-06-30 12:00")
    assert comparison_cutoff(2024, 2023, pd.Timestamp("2024-02-29")) == pd.Timestamp("2023-02-28")
    assert comparison_cutoff(2024, 2023, pd.Timestamp("2024-12-31 23:59:59")) == pd.Timestamp("2023-12-31 23:59:59")


def test_default_cutoff_is_the_end_of_the_year(tables):
    # an explicit cut-off at the year's last second gives the figures of no cut-off, to the byte
    a = headline_figures(tables, YEAR)
    b = headline_figures(tables, YEAR, "2024-12-31 23:59:59")
    assert a == b
    pd.testing.assert_frame_equal(grid_indicators(tables, YEAR), grid_indicators(tables, YEAR, "2024-12-31 23:59:59"))


def test_cutoff_moves_every_dated_headline(tables):
    # a cut-off inside the year changes each headline that rests on dates (none silently ignores it)
    a = headline_figures(tables, YEAR)
    b = headline_figures(tables, YEAR, "2024-06-30")
    dated = ["organisation.joint_meetings.count", "organisation.issues_resolved.count",
             "participation.activities.count", "participation.attendance.person_times", "grid.events_closed.count",
             "petitions.real_estate.count", "petitions.real_estate.count_prev"]
    for key in dated:
        assert a[key]["value"] != b[key]["value"], key


def test_cutoff_before_the_report_year_is_refused(tables):
    with pytest.raises(ValueError, match="before the start of report year 2024"):
        closure_rates(tables["grid_events"], YEAR, "2023-12-31")
    with pytest.raises(ValueError, match="before the start of report year 2024"):
        headline_figures(tables, YEAR, "2023-06-30")
    with pytest.raises(ValueError, match="time zone"):
        cutoff_of(YEAR, "2024-06-30T00:00:00+08:00")


def test_active_and_in_year_rules():
    f = pd.DataFrame({"start": pd.to_datetime(["2024-06-29", "2024-06-30", "2024-07-01", None, "2020-01-01"]),
                      "end": pd.to_datetime([None, "2024-06-30", None, "2024-07-01", "2024-06-29"])})
    # at the cut-off 2024-06-30 00:00: the second ended at that moment, the third had not started
    assert active_at_year_end(f, "start", "end", YEAR, "2024-06-30").tolist() == [True, False, False, True, False]
    # a cut-off after the year's end changes nothing: the end of the year comes first
    assert active_at_year_end(f, "start", "end", YEAR, "2025-03-01").tolist() == \
        active_at_year_end(f, "start", "end", YEAR).tolist() == [True, False, True, False, False]
    d = pd.Series(pd.to_datetime(["2024-01-01", "2024-06-30", "2024-06-30 00:00:01", "2023-12-31"], format="ISO8601"))
    assert in_year(d, YEAR, "2024-06-30").tolist() == [True, True, False, False]


def test_open_events_due_after_the_cutoff_are_not_late():
    ev = pd.DataFrame({
        "event_id": ["a", "b", "c", "d"], "community_id": "C01", "category": "x",
        "reported_at": pd.to_datetime(["2024-06-01", "2024-06-01", "2024-06-20", "2024-06-25"]),
        # a: due and closed in time; b: due before the cut-off, still open -> late;
        # c: due after the cut-off, open -> not yet late; d: due after, closed before the cut-off -> left out too
        "deadline_at": pd.to_datetime(["2024-06-10", "2024-06-10", "2024-07-05", "2024-07-05"]),
        "closed_at": pd.to_datetime(["2024-06-05", None, None, "2024-06-26"]),
        "status": ["closed", "open", "open", "closed"]})
    r = _district(closure_rates(ev, YEAR, "2024-06-30"), "grid.on_time_rate.share")
    assert (r["n"], r["denominator"]) == (1, 2)
    # an event closed after the cut-off was open at it: censored there, not counted as closed
    ev.loc[1, ["closed_at", "status"]] = [pd.Timestamp("2024-07-02"), "closed"]
    c = _district(closure_rates(ev, YEAR, "2024-06-30"), "grid.closure_rate.share")
    assert (c["n"], c["denominator"]) == (2, 4)
    assert _district(events_closed(ev, YEAR, data_cutoff="2024-06-30"), "grid.events_closed.count")["value"] == 2
    t = _district(time_to_close(ev, YEAR, "2024-06-30", by=()), "grid.time_to_close.median_hours")
    assert (t["n"], t["denominator"]) == (4, 2)
    # a later report is not in the data at all
    late = pd.concat([ev, ev.iloc[[0]].assign(event_id="e", reported_at=pd.Timestamp("2024-07-01"))])
    assert _district(closure_rates(late, YEAR, "2024-06-30"), "grid.closure_rate.share")["denominator"] == 4


def test_repeat_after_the_cutoff_is_not_counted():
    ev = pd.DataFrame({
        "event_id": ["a", "b", "c"], "community_id": "C01", "category": "x", "grid_id": "G1",
        "reported_at": pd.to_datetime(["2024-06-01", "2024-06-20", "2024-07-02"]),
        "closed_at": pd.to_datetime(["2024-06-10", "2024-07-01", None]),
        "status": ["closed", "closed", "open"]})
    # b repeats a (10 days after a's closing); c came after the cut-off, and b's closing had not happened
    r = _district(repeat_events(ev, YEAR, data_cutoff="2024-06-30"), "grid.repeat_events.share")
    assert (r["n"], r["denominator"]) == (1, 2)
    r = _district(repeat_events(ev, YEAR), "grid.repeat_events.share")
    assert (r["n"], r["denominator"]) == (2, 3)


def test_stations_open_at_the_cutoff():
    st = pd.DataFrame({"station_id": ["s1", "s2", "s3"], "level": ["community", "community", "estate"],
                       "opened": pd.to_datetime(["2020-01-01", "2024-08-01", "2021-01-01"]),
                       "closed": pd.to_datetime([None, None, "2024-09-01"])})
    got = stations_open(st, YEAR, "2024-06-30").set_index("group")["value"]
    assert (got["community"], got["estate"], got[""]) == (1, 1, 2)
    got = stations_open(st, YEAR).set_index("group")["value"]
    assert (got["community"], got["estate"], got[""]) == (2, 0, 2)


def test_real_estate_change_labels_the_comparison_period(tables):
    r = real_estate_change(tables["petitions"], YEAR, 2023, data_cutoff="2024-06-30")
    row = r[r["indicator"] == "petitions.real_estate.yoy_change"].iloc[0]
    assert "2023 up to 06-30 00:00" in row["denominator_label"]
    assert np.isfinite(row["value"])


def test_profile_trend_and_categories_as_of_the_cutoff(tables, raw):
    from evaluation.indicators import profile as pr

    tr = pr.community_trend(tables, "C01", YEAR, data_cutoff="2024-06-30")
    # no events-per-resident point for the year the cut-off cuts short; the on-time rate of 2024 is there
    assert not ((tr["measure"] == "events_per_10k") & (tr["year"] == YEAR)).any()
    assert ((tr["measure"] == "events_per_10k") & (tr["year"] == 2023)).any()
    ev = raw["grid_events"]
    due = (ev["deadline_at"] >= START) & (ev["deadline_at"] <= CUT)
    row = tr[(tr["measure"] == "on_time_rate") & (tr["year"] == YEAR) & (tr["area"] == "district")].iloc[0]
    assert row["n"] == due.sum()
    cc = pr.category_counts(tables["petitions"], "C01", "received_date", YEAR, 2023, data_cutoff="2024-06-30")
    pt = raw["petitions"]
    total = cc.set_index("category").loc["All"]
    assert total["district_report"] == ((pt["received_date"] >= START) & (pt["received_date"] <= CUT)).sum()
    assert total["community_comparison"] == ((pt["community_id"] == "C01") & (pt["received_date"] >= "2023-01-01")
                                             & (pt["received_date"] <= "2023-06-30")).sum()
