"""Organisation indicators (党建引领): paired units, returned party members, part-time committee members, joint meetings,
community workers' promotion and certification, grid staff sent down by departments.

Definitions follow the headline table of ``docs/conventions.md``: "active at the end of Y" means started on or before
Y-12-31 and not ended by then; with a data cut-off inside the year, active at the cut-off (``_common``). Registers are
censuses, so counts and per-1,000 rates carry no sampling error; the worker rates are proportions of a finite staff,
and their Wilson intervals describe the rate as the propensity of a process (how likely a worker is to be promoted),
which is how the article reads them. Joint meetings are a process rate, so they get exact Poisson intervals. The
promotion year is a year only: with a cut-off inside the year, a promotion dated that year is counted (its day is not
known).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._common import DISTRICT, active_at_year_end, as_number, cutoff_of, in_year, result_row, subset_communities, \
    tidy
from .counting import count_by_community
from .intervals import check_interval, district_share, wilson_interval

__all__ = [
    "paired_units",
    "returned_party_members",
    "committee_members",
    "joint_meetings",
    "community_workers",
    "grid_staff",
    "organisation_indicators",
]


def paired_units(pairings: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                 communities: Sequence[str] | None = None, per: float = 1000.0,
                 lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Distinct paired units (结对共建单位) active at the end of ``report_year``, per community and per 1,000 residents.

    A unit paired with several communities counts once for the district, so community counts may add up to more.
    Keys: ``organisation.paired_units.count`` / ``.per_1k`` / ``.per_community`` (district: mean per community).
    """
    act = pairings[active_at_year_end(pairings, "start_date", "end_date", report_year,
                                    cutoff_of(report_year, data_cutoff))]
    return count_by_community(act, "organisation.paired_units", report_year, population, per=per,
                              distinct="unit_name", communities=communities, what="distinct paired units",
                              lineage=lineage, date="start_date")


def returned_party_members(volunteers: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                           communities: Sequence[str] | None = None, per: float = 1000.0,
                 lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Returned party members (回社区报到党员) registered by the end of ``report_year``.

    Counted from ``volunteers`` with ``returned_party_member == 1``. Keys:
    ``organisation.returned_party_members.count`` / ``.per_1k`` / ``.per_community``.
    """
    flag = as_number(volunteers.get("returned_party_member", pd.Series(index=volunteers.index, dtype="float64")))
    reg = active_at_year_end(volunteers, "registered", None, report_year, cutoff_of(report_year, data_cutoff))
    rows = volunteers[(flag == 1) & reg]
    return count_by_community(rows, "organisation.returned_party_members", report_year, population, per=per,
                              communities=communities, what="returned party members registered", lineage=lineage,
                              date="registered")


def committee_members(members: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                      communities: Sequence[str] | None = None, per: float = 1000.0,
                      min_per_community: int = 3, lineage: pd.DataFrame | None = None,
                      data_cutoff=None) -> pd.DataFrame:
    """Part-time committee members (兼职委员) active at the end of ``report_year``.

    Keys: ``organisation.part_time_committee_members.count`` / ``.per_1k`` / ``.per_community``, and
    ``organisation.part_time_committee_members.share_communities_ge<k>``: the share of communities with at least
    ``min_per_community`` (``k``, default 3) members (indicator I03), as a census share.
    """
    cut = cutoff_of(report_year, data_cutoff)
    act = members[active_at_year_end(members, "appointed", "left", report_year, cut)]
    out = count_by_community(act, "organisation.part_time_committee_members", report_year, population, per=per,
                             communities=communities, what="part-time committee members", lineage=lineage,
                             date="appointed")
    counts = out[(out["indicator"] == "organisation.part_time_committee_members.count")
                 & (out["community_id"] != DISTRICT)]
    if len(counts):
        k = int((counts["value"] >= min_per_community).sum())
        extra = result_row(f"organisation.part_time_committee_members.share_communities_ge{min_per_community}",
                           DISTRICT, report_year, k / len(counts), n=k, denominator=len(counts),
                           denominator_label="communities", note="census share")
        out = pd.concat([out, tidy([extra])], ignore_index=True)
    return out


def joint_meetings(meetings: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                   communities: Sequence[str] | None = None, per: float = 1000.0,
                   confidence: float = 0.95, lineage: pd.DataFrame | None = None,
                   data_cutoff=None, interval: str = "cluster") -> pd.DataFrame:
    """Joint meetings (联席会议) held in ``report_year`` and the issues they resolved.

    Meetings are read as a process rate (meetings per community-year), so counts and rates get exact Poisson
    intervals. Keys: ``organisation.joint_meetings.count`` / ``.per_1k`` / ``.per_community`` and
    ``organisation.issues_resolved.count`` / ``.per_1k`` / ``.per_community`` (Σ ``issues_resolved`` of the
    meetings), with ``organisation.issues_resolved.share`` = Σ ``issues_resolved`` / Σ ``issues_raised`` when both
    columns are given. The district's intervals (meetings, and the share of issues resolved) take the communities as
    clusters with ``interval="cluster"`` (default), or are Garwood and Wilson with ``"iid"``.
    """
    check_interval(interval)
    m = meetings[in_year(meetings["date"], report_year, cutoff_of(report_year, data_cutoff))]
    out = [count_by_community(m, "organisation.joint_meetings", report_year, population, per=per,
                              communities=communities, poisson_ci=True, confidence=confidence,
                              what="joint meetings held in the year", lineage=lineage, date="date",
                              interval=interval)]
    if "issues_resolved" in m.columns:
        out.append(count_by_community(m, "organisation.issues_resolved", report_year, population, per=per,
                                      weight="issues_resolved", communities=communities,
                                      what="issues resolved at joint meetings (sum)", lineage=lineage, date="date"))
    if "issues_raised" in m.columns and "issues_resolved" in m.columns:
        raised = as_number(m["issues_raised"]).fillna(0).sum()
        solved = as_number(m["issues_resolved"]).fillna(0).sum()
        if raised > 0 and solved <= raised:
            w = dict(wilson_interval(solved, raised, confidence).iloc[0])
            w["note"] = "Wilson CI"
            cid = m["community_id"].astype(str)
            by_solved = as_number(m["issues_resolved"]).fillna(0).groupby(cid).sum()
            by_raised = as_number(m["issues_raised"]).fillna(0).groupby(cid).sum()
            # a community with more resolved than raised (issues carried over) has no share of its own: Wilson
            if interval == "cluster" and (by_solved <= by_raised).all():
                w.update(district_share(by_solved, by_raised, confidence, w["note"]))
            out.append(tidy([result_row("organisation.issues_resolved.share", DISTRICT, report_year,
                                        w["proportion"], se=w["se"], ci_low=w["ci_low"], ci_high=w["ci_high"],
                                        n=solved, denominator=raised,
                                        denominator_label="issues raised at joint meetings in the year",
                                        note=w["note"])]))
    return pd.concat(out, ignore_index=True)


def community_workers(workers: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                      communities: Sequence[str] | None = None, promotion_window: int = 3,
                      confidence: float = 0.95, per: float = 1000.0,
                 lineage: pd.DataFrame | None = None, data_cutoff=None, interval: str = "cluster") -> pd.DataFrame:
    """Community workers active at the end of the year; promotion and certification rates with Wilson intervals
    (for the district the communities as clusters with ``interval="cluster"``, the default).

    Promotion rate = active workers whose ``promoted_year`` lies in [Y − window + 1, Y] / active workers (the
    convention's window is 3 years: [Y−2, Y]); certification rate = active workers with ``certified == 1`` / active
    workers. Both denominators are stated in ``denominator_label``. Keys: ``organisation.community_workers.count`` /
    ``.per_1k`` / ``.per_community``, ``organisation.workers_promoted.rate``, ``organisation.workers_certified.rate``.

    References
    ----------
    Wilson (1927); see :func:`evaluation.indicators.intervals.wilson_interval`.
    """
    if promotion_window < 1:
        raise ValueError("promotion_window must be at least 1 year")
    check_interval(interval)
    cut = cutoff_of(report_year, data_cutoff)
    act = workers[active_at_year_end(workers, "hired", "left", report_year, cut)].copy()
    act = subset_communities(act, communities)
    out = [count_by_community(act, "organisation.community_workers", report_year, population, per=per,
                              communities=communities, what="community workers active at year end", lineage=lineage,
                              date="hired")]
    first = report_year - promotion_window + 1
    promo = as_number(act["promoted_year"]) if "promoted_year" in act.columns else pd.Series(float("nan"),
                                                                                               index=act.index)
    act["_promoted"] = promo.between(first, report_year).astype(int)
    act["_certified"] = (as_number(act["certified"]) == 1).astype(int) if "certified" in act.columns else 0
    act["community_id"] = act["community_id"].astype(str)
    label = f"community workers active at the end of {report_year}"
    rows = []
    groups = [(cid, g) for cid, g in act.groupby("community_id")] + [(DISTRICT, act)]
    for flag, key, note in (("_promoted", "organisation.workers_promoted.rate",
                             f"promoted in {first}–{report_year}; Wilson CI"),
                            ("_certified", "organisation.workers_certified.rate", "certified == 1; Wilson CI")):
        for cid, g in groups:
            w = dict(wilson_interval(int(g[flag].sum()), len(g), confidence).iloc[0])
            w["note"] = note
            if cid == DISTRICT and interval == "cluster":
                by = g.groupby("community_id")[flag]
                w.update(district_share(by.sum(), by.size(), confidence, note))
            rows.append(result_row(key, cid, report_year, w["proportion"], se=w["se"], ci_low=w["ci_low"],
                                   ci_high=w["ci_high"], n=w["successes"], denominator=len(g),
                                   denominator_label=label, note=w["note"]))
    out.append(tidy(rows))
    return pd.concat(out, ignore_index=True)


def grid_staff(staff: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
               communities: Sequence[str] | None = None, per: float = 1000.0,
                 lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Grid staff (网格员) active at the end of the year and the departments that sent specialists down.

    Keys: ``grid.staff.count`` / ``.per_1k`` / ``.per_community`` and ``organisation.departments_sent_down.count`` /
    ``.per_community`` (distinct ``department`` of active ``department_specialist`` staff).
    """
    act = staff[active_at_year_end(staff, "joined", "left", report_year, cutoff_of(report_year, data_cutoff))]
    out = [count_by_community(act, "grid.staff", report_year, population, per=per, communities=communities,
                              what="grid staff active at year end", lineage=lineage, date="joined")]
    if "department" in act.columns:
        spec = act[(act["staff_type"].astype(str) == "department_specialist") & act["department"].notna()]
        out.append(count_by_community(spec, "organisation.departments_sent_down", report_year, None,
                                      distinct="department", communities=communities,
                                      what="distinct departments of active specialist grid staff", lineage=lineage,
                                      date="joined"))
    return pd.concat(out, ignore_index=True)


def organisation_indicators(tables: dict[str, pd.DataFrame], report_year: int,
                            communities: Sequence[str] | None = None, confidence: float = 0.95,
                            promotion_window: int = 3, data_cutoff=None, interval: str = "cluster") -> pd.DataFrame:
    """Every organisation indicator the available tables allow, stacked in the tidy layout, as of the data cut-off
    (default: the end of ``report_year``).

    Register rows still keyed by legacy communities are split over the current ones by ``community_lineage`` in
    the community counts (see :func:`evaluation.indicators.counting.count_by_community`); the proportions keep
    them as their own rows. District figures are unaffected. ``interval`` ("cluster" or "iid") chooses the district
    intervals of the shares and of the joint meetings (:func:`joint_meetings`, :func:`community_workers`).
    """
    check_interval(interval)
    pop, lin = tables.get("population"), tables.get("community_lineage")
    parts = []
    if "pairings" in tables:
        parts.append(paired_units(tables["pairings"], report_year, pop, communities, lineage=lin,
                                  data_cutoff=data_cutoff))
    if "volunteers" in tables:
        parts.append(returned_party_members(tables["volunteers"], report_year, pop, communities, lineage=lin,
                                            data_cutoff=data_cutoff))
    if "committee_members" in tables:
        parts.append(committee_members(tables["committee_members"], report_year, pop, communities, lineage=lin,
                                       data_cutoff=data_cutoff))
    if "joint_meetings" in tables:
        parts.append(joint_meetings(tables["joint_meetings"], report_year, pop, communities, confidence=confidence,
                                    lineage=lin, data_cutoff=data_cutoff, interval=interval))
    if "community_workers" in tables:
        parts.append(community_workers(tables["community_workers"], report_year, pop, communities,
                                       promotion_window=promotion_window, confidence=confidence, lineage=lin,
                                       data_cutoff=data_cutoff, interval=interval))
    if "grid_staff" in tables:
        parts.append(grid_staff(tables["grid_staff"], report_year, pop, communities, lineage=lin,
                                data_cutoff=data_cutoff))
    return pd.concat(parts, ignore_index=True) if parts else tidy([])
