"""The report-year headline figures, recounted from the tables by the rules of docs/conventions.md (written here
independently of the generator's own recount), equal the article's targets exactly (or within 0.5 % for attendance)."""

from __future__ import annotations

import pandas as pd
import pytest

Y = 2024
END = pd.Timestamp(f"{Y}-12-31")


def active(df: pd.DataFrame, start: str, end: str | None) -> pd.Series:
    s = pd.to_datetime(df[start])
    ok = s <= END
    if end is not None:
        e = pd.to_datetime(df[end])
        ok &= e.isna() | (e > END)
    return ok


def in_year(s: pd.Series, year: int = Y) -> pd.Series:
    return pd.to_datetime(s).dt.year == year


def recount(t: dict[str, pd.DataFrame]) -> dict[str, float]:
    p, c, j, w = t["pairings"], t["committee_members"], t["joint_meetings"], t["community_workers"]
    g, o, a, e = t["grid_staff"], t["organisations"], t["activities"], t["grid_events"]
    v, pt, st = t["volunteers"], t["petitions"], t["service_stations"]
    wa = w[active(w, "hired", "left")]
    ga = g[active(g, "joined", "left")]
    oa = o[active(o, "founded", "dissolved")]
    jy = j[in_year(j["date"])]
    ay = a[in_year(a["date"])]
    re_ = pt[pt["real_estate_related"] == 1]
    sa = st[active(st, "opened", "closed")]
    out = {
        "organisation.paired_units.count": p.loc[active(p, "start_date", "end_date"), "unit_name"].nunique(),
        "organisation.returned_party_members.count": int(((v.returned_party_member == 1)
                                                          & active(v, "registered", None)).sum()),
        "organisation.part_time_committee_members.count": int(active(c, "appointed", "left").sum()),
        "organisation.joint_meetings.count": len(jy),
        "organisation.issues_resolved.count": int(jy["issues_resolved"].sum()),
        "organisation.community_workers.count": len(wa),
        "organisation.workers_promoted.rate": wa["promoted_year"].between(Y - 2, Y).sum() / len(wa),
        "organisation.workers_certified.rate": (wa["certified"] == 1).sum() / len(wa),
        "organisation.departments_sent_down.count": ga.loc[ga.staff_type == "department_specialist",
                                                           "department"].nunique(),
        "grid.staff.count": len(ga),
        "participation.csos_active.count": int((oa.org_type == "cso").sum()),
        "participation.volunteer_teams_active.count": int((oa.org_type == "volunteer_team").sum()),
        "participation.community_funds.count": int((oa.org_type == "community_fund").sum()),
        "participation.fund_inflow_cny.total": oa.loc[oa.org_type == "community_fund", "funds_raised_cny"].sum(),
        "participation.activities.count": len(ay),
        "participation.attendance.person_times": int(ay["attendance"].sum()),
        "grid.events_closed.count": int(((e.status == "closed") & in_year(e["closed_at"])).sum()),
        "petitions.real_estate.count": int(in_year(re_["received_date"]).sum()),
        "petitions.real_estate.count_prev": int(in_year(re_["received_date"], Y - 1).sum()),
    }
    out["petitions.real_estate.yoy_change"] = out["petitions.real_estate.count"] / out["petitions.real_estate.count_prev"] - 1
    for level in ("district", "street", "community", "estate"):
        out[f"service_circle.stations.{level}.count"] = int((sa.level == level).sum())
    return out


TARGETS = {
    "organisation.paired_units.count": 27,
    "organisation.returned_party_members.count": 3968,
    "organisation.part_time_committee_members.count": 247,
    "organisation.joint_meetings.count": 234,
    "organisation.issues_resolved.count": 106,
    "organisation.community_workers.count": 516,
    "organisation.workers_promoted.rate": 266 / 516,
    "organisation.workers_certified.rate": 358 / 516,
    "organisation.departments_sent_down.count": 18,
    "grid.staff.count": 2046,
    "participation.csos_active.count": 452,
    "participation.volunteer_teams_active.count": 563,
    "participation.community_funds.count": 11,
    "participation.fund_inflow_cny.total": 968_000,
    "participation.activities.count": 1119,
    "grid.events_closed.count": 16295,
    "petitions.real_estate.count": 38,
    "petitions.real_estate.count_prev": 58,
    "petitions.real_estate.yoy_change": 38 / 58 - 1,
    "service_circle.stations.district.count": 1,
    "service_circle.stations.street.count": 3,
    "service_circle.stations.community.count": 43,
    "service_circle.stations.estate.count": 86,
}


@pytest.fixture(scope="module")
def counts(tables):
    return recount(tables)


@pytest.mark.parametrize("key", sorted(TARGETS))
def test_headline_exact(counts, key):
    assert counts[key] == pytest.approx(TARGETS[key], rel=1e-12, abs=0)


def test_attendance_within_half_percent(counts):
    assert abs(counts["participation.attendance.person_times"] - 73_000) <= 0.005 * 73_000


def test_article_rounding(counts):
    """The article's wording: 51.6 %, 近70 %, 同比下降34.48 %."""
    assert round(100 * counts["organisation.workers_promoted.rate"], 1) == 51.6
    assert 0.65 < counts["organisation.workers_certified.rate"] < 0.70
    assert round(100 * counts["petitions.real_estate.yoy_change"], 2) == -34.48


def test_truth_holds_the_same_headlines(district, counts):
    for key, val in counts.items():
        assert district.truth[key]["value"] == pytest.approx(val, rel=1e-12)


def test_counting_rules_matter(tables):
    """Each register holds records a wrong rule would count: ended, dissolved, departed or earlier-year ones."""
    t = tables
    assert t["pairings"]["unit_name"].nunique() > 27
    assert len(t["committee_members"]) > 247 and len(t["community_workers"]) > 516 and len(t["grid_staff"]) > 2046
    assert t["grid_staff"].query("staff_type == 'department_specialist'")["department"].nunique() > 18
    assert t["grid_staff"]["department"].nunique() > 18
    o = t["organisations"]
    assert (o.org_type == "cso").sum() > 452 and (o.org_type == "community_fund").sum() > 11
    assert len(t["joint_meetings"]) > 234 and len(t["activities"]) > 1119
    assert (t["service_stations"]["closed"].notna()).any()
    e = t["grid_events"]
    assert (e.closed_at.str.startswith("2024") & (e.reported_at < "2024")).any()   # 2023 events closed in 2024
