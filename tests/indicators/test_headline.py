"""headline_figures on the hand-made district, and on the synthetic district against truth.json if it exists."""

from __future__ import annotations

import json

import pandas as pd

import pytest

from evaluation.config import SYNTHETIC_DIR
from evaluation.indicators.headline import HEADLINE_KEYS, headline_figures


def test_every_key_on_hand_made_district(tables):
    h = headline_figures(tables, 2024)
    want = {
        "organisation.paired_units.count": 2, "organisation.returned_party_members.count": 3,
        "organisation.part_time_committee_members.count": 3, "organisation.joint_meetings.count": 3,
        "organisation.issues_resolved.count": 3, "organisation.community_workers.count": 5,
        "organisation.departments_sent_down.count": 2, "grid.staff.count": 4,
        "participation.csos_active.count": 2, "participation.volunteer_teams_active.count": 1,
        "participation.community_funds.count": 2, "participation.fund_inflow_cny.total": 80000,
        "participation.activities.count": 5, "participation.attendance.person_times": 220,
        "grid.events_closed.count": 6, "petitions.real_estate.count": 3, "petitions.real_estate.count_prev": 5,
        "service_circle.stations.district.count": 1, "service_circle.stations.street.count": 1,
        "service_circle.stations.community.count": 1, "service_circle.stations.estate.count": 0,
    }
    for k, v in want.items():
        assert h[k]["value"] == v, k
    assert h["organisation.workers_promoted.rate"]["value"] == pytest.approx(3 / 5)
    assert h["organisation.workers_promoted.rate"]["n"] == 5
    assert h["organisation.workers_certified.rate"]["ci_low"] < 0.6 < h["organisation.workers_certified.rate"]["ci_high"]
    assert h["petitions.real_estate.yoy_change"]["value"] == pytest.approx(-0.4)
    assert set(HEADLINE_KEYS) == set(h)


def test_missing_tables_leave_keys_out(tables):
    h = headline_figures({"activities": tables["activities"]}, 2024)
    assert set(h) == {"participation.activities.count", "participation.attendance.person_times"}


_TRUTH = SYNTHETIC_DIR / "truth.json"


@pytest.mark.skipif(not _TRUTH.exists(), reason="synthetic district not generated yet (data/synthetic/truth.json)")
def test_headline_figures_recount_synthetic_truth(bundled_district):
    with open(_TRUTH, encoding="utf-8") as fh:
        truth = json.load(fh)
    truth = truth.get("results", truth)
    h = headline_figures(bundled_district.tables, 2024)
    checked = 0
    for key, got in h.items():
        if key in truth:
            want = truth[key]["value"] if isinstance(truth[key], dict) else truth[key]
            assert got["value"] == pytest.approx(want, rel=1e-9, abs=1e-9), key
            checked += 1
    assert checked > 0


def test_loader_dtypes_give_the_same_figures(tables):
    # the loader hands over datetime64 dates, Int64 flags (with <NA>) and float64 numbers
    typed = {}
    for name, t in tables.items():
        t = t.copy()
        for c in t.columns:
            if c in ("start_date", "end_date", "registered", "appointed", "left", "date", "hired", "joined",
                     "founded", "dissolved", "received_date", "opened", "closed"):
                t[c] = pd.to_datetime(t[c])
            elif c in ("returned_party_member", "certified", "real_estate_related"):
                t[c] = pd.to_numeric(t[c]).astype("Int64")
            elif c in ("promoted_year", "year", "resident_pop", "attendance", "issues_resolved", "grade"):
                t[c] = pd.to_numeric(t[c]).astype("float64")
        typed[name] = t
    assert headline_figures(typed, 2024) == headline_figures(tables, 2024)
