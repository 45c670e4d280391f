"""Participation indicators (多元参与): volunteers, service hours, activities and attendance, co-organised activities,
civil-society organisations and community funds.

- Registered volunteers per 100 residents (a census ratio) and the active share (≥1 ``service_hours`` record in the
  12 months to the end of the year / registered), with a Wilson interval.
- Service hours per resident, per registered and per active volunteer. Hours are very skewed and clustered in
  communities, so the interval is a cluster bootstrap: communities are resampled with replacement and the ratio of
  sums recomputed (percentile interval, ``scipy.stats.bootstrap``, seeded; Field & Welsh 2007).
- Activity attendance counts visits, not people: every column and key says ``person_times``.
- Mean attendance per activity by type from a negative-binomial GLM (:mod:`evaluation.indicators.counts`).
- The co-organised share (多元共治): activities with a non-empty ``co_organisers`` or a non-government
  ``organiser_type``, Wilson interval.
- CSOs, volunteer teams and community funds active at year end, per community and per 10,000 residents; fund
  inflows and, where a ``government_seed_cny`` column is supplied, leverage.

References
----------
Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data. JRSS B 69, 369–390.
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, §3.8 (clustered data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._common import DISTRICT, active_at_year_end, as_datetime, as_number, cutoff_of, in_memory, in_year, \
    population_by_community, result_row, subset_communities, tidy, year_end
from . import engine
from .counting import count_by_community
from .counts import fit_negative_binomial, predict_group_means
from .intervals import check_interval, clusters_phrase, district_share, wilson_interval
from .lineage import carry_to_current, continuing_ids, record_era
from .registry import WHITE_SPACE, indicator

__all__ = [
    "GOVERNMENT_LABELS",
    "volunteer_rates",
    "service_hours",
    "cluster_bootstrap_ratio",
    "activity_person_times",
    "attendance_by_type",
    "co_organised_share",
    "organisations_active",
    "participation_indicators",
]

# Organisers on the government side: the government itself and the community's own party branch and residents'
# committee. An activity they run alone is the "单兵作战" that 多元共治 replaces; with only "government" in this list,
# every activity run by a residents' committee would count as co-organised. Override with ``government_labels``.
GOVERNMENT_LABELS = ("government", "政府", "gov", "street_office", "街道", "party_branch", "党支部", "党组织",
                     "社区党委", "residents_committee", "居委会", "社区居委会")


def _registered(volunteers: pd.DataFrame, year: int, communities: Sequence[str] | None,
                data_cutoff=None) -> pd.DataFrame:
    v = subset_communities(volunteers, communities)
    v = v[active_at_year_end(v, "registered", None, year, cutoff_of(year, data_cutoff))].copy()
    v["community_id"] = v["community_id"].astype(str)
    v["person_key"] = v["person_key"].astype(str)
    return v


def _hours_in_window(service_hours_: pd.DataFrame, year: int, data_cutoff=None) -> pd.DataFrame:
    """Service records in the 12 months to the end of ``year``, or to the data cut-off when that comes first (a
    rolling year, so that a figure as of a cut-off stays comparable with a whole year's)."""
    end = min(year_end(year), cutoff_of(year, data_cutoff))
    d = as_datetime(service_hours_["date"])
    h = service_hours_[(d > end - pd.DateOffset(years=1)) & (d <= end)].copy()
    h["person_key"] = h["person_key"].astype(str)
    h["hours"] = as_number(h["hours"]).fillna(0.0)
    return h


def volunteer_rates(volunteers: pd.DataFrame, service_hours_: pd.DataFrame | None, population: pd.DataFrame | None,
                    report_year: int, communities: Sequence[str] | None = None,
                    confidence: float = 0.95, lineage: pd.DataFrame | None = None, data_cutoff=None,
                    interval: str = "cluster") -> pd.DataFrame:
    """Registered volunteers per 100 residents and the share active in the 12 months to the end of the year (both as
    of the data cut-off when it comes first: registered by it, active in the 12 months to it).

    Keys: ``participation.volunteers_registered.count`` / ``.per_100`` / ``.per_community`` (census) and
    ``participation.volunteers_active.share`` (active / registered, Wilson interval; for the district the
    communities as clusters with ``interval="cluster"``, the default, as volunteers cluster within communities).
    """
    check_interval(interval)
    reg = _registered(volunteers, report_year, communities, data_cutoff)
    out = [count_by_community(reg, "participation.volunteers_registered", report_year, population, per=100.0,
                              communities=communities, what="volunteers registered by year end", lineage=lineage,
                              date="registered")]
    if service_hours_ is not None:
        active_keys = set(_hours_in_window(service_hours_, report_year, data_cutoff)["person_key"])
        reg["_active"] = reg["person_key"].isin(active_keys).astype(int)
        rows = []
        for cid, g in [(c, g) for c, g in reg.groupby("community_id")] + [(DISTRICT, reg)]:
            w = dict(wilson_interval(int(g["_active"].sum()), len(g), confidence).iloc[0])
            w["note"] = "≥1 service record in the 12 months to year end; Wilson CI"
            if cid == DISTRICT and interval == "cluster":
                by = g.groupby(g["community_id"].astype(str))["_active"]
                w.update(district_share(by.sum(), by.size(), confidence, w["note"]))
            rows.append(result_row("participation.volunteers_active.share", cid, report_year, w["proportion"],
                                   se=w["se"], ci_low=w["ci_low"], ci_high=w["ci_high"], n=w["successes"],
                                   denominator=len(g),
                                   denominator_label=f"volunteers registered by the end of {report_year}",
                                   note=w["note"]))
        out.append(tidy(rows))
    return pd.concat(out, ignore_index=True)


def cluster_bootstrap_ratio(numerator, denominator, n_resamples: int = 2000, confidence: float = 0.95,
                            seed: int = 20240101) -> tuple[float, float, float]:
    """Percentile cluster-bootstrap interval for a ratio of sums Σ numerator / Σ denominator over clusters.

    Each element is one cluster's total (e.g. one community's hours and residents); clusters are resampled with
    replacement (``scipy.stats.bootstrap``, ``paired=True``, percentile method).

    Returns
    -------
    (se, ci_low, ci_high) : bootstrap SE and percentile limits.
    """
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    if len(num) < 2:
        return np.nan, np.nan, np.nan

    def ratio(a, b, axis=-1):
        s = np.sum(b, axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s > 0, np.sum(a, axis=axis) / np.where(s > 0, s, 1.0), np.nan)

    res = stats.bootstrap((num, den), ratio, paired=True, vectorized=True, n_resamples=n_resamples,
                          confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    return float(res.standard_error), float(res.confidence_interval.low), float(res.confidence_interval.high)


def service_hours(volunteers: pd.DataFrame, service_hours_: pd.DataFrame, population: pd.DataFrame | None,
                  report_year: int, communities: Sequence[str] | None = None, n_resamples: int = 2000,
                  seed: int = 20240101, confidence: float = 0.95,
                  lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Service hours in the 12 months to year end (or to the data cut-off when it comes first) per resident, per
    registered and per active volunteer.

    Hours are attributed to the volunteer's community. Community rows are point values; the district rows carry a
    cluster bootstrap over communities (percentile interval, seeded, so reruns give the same numbers). Keys:
    ``participation.service_hours.total``, ``.per_capita``, ``.per_volunteer``, ``.per_active_volunteer``.

    With ``lineage`` (``community_lineage``), volunteers registered before the 2020 split, whose rows still carry a
    legacy id, have their hours, registrations and active counts split over the current communities by
    ``pop_share`` (:func:`evaluation.indicators.lineage.carry_to_current`) before the rates and the bootstrap, so
    that their hours are neither dropped from the per-resident rate nor left in clusters without residents.
    Without it, legacy rows stay as their own communities and only communities with a population enter the
    per-resident rate.
    """
    carry = lineage is not None and len(lineage) > 0
    reg = _registered(volunteers, report_year, None if carry else communities, data_cutoff)
    h = _hours_in_window(service_hours_, report_year, data_cutoff)
    # a community keeping its code through a split: its volunteers are carried or not by their registration date,
    # so they are summed by (community, era) first (lineage.record_era)
    dated = carry and bool(continuing_ids(lineage))
    keys = ["community_id", "_era"] if dated else ["community_id"]
    if dated:
        reg["_era"] = record_era(reg["community_id"], as_datetime(reg["registered"]), lineage)
    h = h.merge(reg[["person_key", *keys]], on="person_key", how="inner")
    pop = population_by_community(population, report_year, communities)
    per_c = pd.DataFrame({
        "hours": h.groupby(keys, dropna=False)["hours"].sum(),
        "registered": reg.groupby(keys, dropna=False).size(),
        "active": h.groupby(keys, dropna=False)["person_key"].nunique(),
    }).fillna(0.0).astype("float64")
    carried: set[str] = set()
    if carry and per_c.index.get_level_values("community_id").isin(lineage["from_id"].astype(str)).any():
        frame = carry_to_current(per_c.rename_axis(keys).reset_index(), lineage,
                                 counts=["hours", "registered", "active"], date_column="_era" if dated else None)
        carried = set(frame.loc[frame["carried"], "community_id"])
        per_c = frame.groupby("community_id")[["hours", "registered", "active"]].sum()
    elif dated:
        per_c = per_c.groupby(level="community_id").sum()
    ids = sorted(set(per_c.index) | set(pop.index))
    if communities is not None:
        ids = [c for c in ids if c in {str(x) for x in communities}]
    per_c = per_c.reindex(ids).fillna(0.0).astype("float64")
    per_c["residents"] = pop.reindex(ids).astype("float64")
    rows = []
    note_c = "12 months to year end; census of records"
    note_carried = "; includes legacy-community volunteers split by pop_share"
    specs = (("per_capita", "residents", f"resident_pop {report_year}"),
             ("per_volunteer", "registered", f"volunteers registered by the end of {report_year}"),
             ("per_active_volunteer", "active", "volunteers with ≥1 service record in the 12 months"))
    for cid, r in per_c.iterrows():
        note = note_c + (note_carried if cid in carried else "")
        rows.append(result_row("participation.service_hours.total", cid, report_year, r["hours"], n=r["active"],
                               note=note))
        for key, col, label in specs:
            if np.isfinite(r[col]) and r[col] > 0:
                rows.append(result_row(f"participation.service_hours.{key}", cid, report_year, r["hours"] / r[col],
                                       n=r["active"], denominator=r[col], denominator_label=label, note=note))
    rows.append(result_row("participation.service_hours.total", DISTRICT, report_year, per_c["hours"].sum(),
                           n=per_c["active"].sum(), note=note_c + (note_carried if carried else "")))
    for key, col, label in specs:
        ok = per_c[col].notna()
        den = per_c.loc[ok, col].sum()
        if den <= 0:
            continue
        se, lo, hi = cluster_bootstrap_ratio(per_c.loc[ok, "hours"], per_c.loc[ok, col], n_resamples, confidence,
                                             seed)
        rows.append(result_row(f"participation.service_hours.{key}", DISTRICT, report_year,
                               per_c.loc[ok, "hours"].sum() / den, se=se, ci_low=lo, ci_high=hi,
                               n=per_c.loc[ok, "active"].sum(), denominator=den, denominator_label=label,
                               note=f"cluster bootstrap over {int(ok.sum())} communities, {n_resamples} resamples, "
                                    f"percentile CI, seed {seed}" + (note_carried if carried else "")))
    return tidy(rows)


# the columns the activity indicators read (a table left on disk is read through DuckDB with these only)
_ACTIVITY_COLUMNS = ("community_id", "date", "activity_type", "attendance", "organiser_type", "co_organisers",
                     "target_group", "venue_level")


def activity_person_times(activities: pd.DataFrame, population: pd.DataFrame | None, report_year: int,
                          communities: Sequence[str] | None = None, per: float = 100.0,
                          lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Activities held in the year (up to the data cut-off) and their attendance in person-times (visits, not
    people).

    Keys: ``participation.activities.count`` / ``.per_1k`` / ``.per_community`` and
    ``participation.attendance.person_times`` /
    ``.person_times_per_100`` (per 100 residents) / ``.person_times_per_community``.
    """
    params = {"year": int(report_year), "cutoff": cutoff_of(report_year, data_cutoff)}
    held = _activity_counts(activities, "participation.activities", params)
    attendance = _activity_counts(activities, "participation.attendance", params)
    return pd.concat([
        count_by_community(held, "participation.activities", report_year, population, per=1000.0, weight="n",
                           communities=communities, what="activities held in the year", lineage=lineage, date="date"),
        count_by_community(attendance, "participation.attendance", report_year, population, per=per,
                           weight="n", unit="person_times", communities=communities,
                           what="attendance in person-times (one person attending twice counts twice)",
                           lineage=lineage, date="date"),
    ], ignore_index=True)


def attendance_by_type(activities: pd.DataFrame, report_year: int | None = None, by: str = "activity_type",
                       communities: Sequence[str] | None = None, reference: str | None = None,
                       confidence: float = 0.95, data_cutoff=None, interval: str = "cluster") -> pd.DataFrame:
    """Mean attendance (person-times) per activity for each level of ``by``, from an NB2 GLM.

    The negative binomial absorbs the overdispersion of attendance (a few large events), which a Poisson model
    would hide behind too-narrow intervals. Activities of one community share its residents, venues and staff, so
    with ``interval="cluster"`` (the default) the intervals take the communities as clusters: the cluster-robust
    covariance, as ``sandwich::vcovCL``, and t with one degree of freedom fewer than the communities where the type
    was held (:func:`~evaluation.indicators.counts.fit_negative_binomial` with ``cluster``; with every type in every
    community, t(G − 1)). A type held in one community only gets its mean and no interval (no ``se``, ``ci_low``,
    ``ci_high``): one cluster has no spread to measure. When the activities all come from one community (a
    community's profile), and with ``interval="iid"``, the intervals are the model's own (activities independent).
    Each row's ``note`` says which, with θ; ``se`` is on the log scale. Activities without an attendance, a type
    or a community are left out, and counted in the note. Rows: ``participation.attendance.mean_per_activity``
    with ``group`` = the level.
    """
    check_interval(interval)
    act = subset_communities(in_memory(activities, _ACTIVITY_COLUMNS), communities)
    if report_year is not None:
        act = act[in_year(act["date"], report_year, cutoff_of(report_year, data_cutoff))]
    complete = act.dropna(subset=["attendance", by, "community_id"])
    clusters = int(complete["community_id"].nunique())
    clustered = interval == "cluster" and clusters >= 2
    fit = fit_negative_binomial(complete, "attendance", [by], reference=None if reference is None else {by: reference},
                                confidence=confidence, cluster="community_id" if clustered else None)
    means = predict_group_means(fit, by)
    n_by = complete[by].astype(str).value_counts()
    left_out = f"; {len(act) - len(complete)} activities without attendance, type or community left out" \
        if len(complete) < len(act) else ""

    def how(level: str, df: float) -> str:
        if not clustered:
            return "Wald CI, activities taken as independent, on the log scale"
        held = fit.level_clusters[by][level]
        within = f"{clusters_phrase(clusters)} (cluster-robust)"
        if df < 1:
            return f"{within}: no interval, as the type was held in one community only"
        return f"Wald {within}, t({df:.0f}) as the type was held in {held} of them, on the log scale"

    rows = [result_row("participation.attendance.mean_per_activity", DISTRICT, report_year, r["mean"],
                       group=str(r["level"]), se=r["log_se"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                       n=float(n_by.get(str(r["level"]), 0)), denominator=float(n_by.get(str(r["level"]), 0)),
                       denominator_label="activities",
                       note=f"NB2 GLM attendance ~ {by}; theta = {fit.theta:.4g} (SE {fit.theta_se:.2g}); "
                            f"{how(str(r['level']), r['df'])}; se is on the log scale{left_out}")
            for _, r in means.iterrows()]
    return tidy(rows)


def co_organised_share(activities: pd.DataFrame, report_year: int, communities: Sequence[str] | None = None,
                       confidence: float = 0.95,
                       government_labels: Sequence[str] = GOVERNMENT_LABELS, data_cutoff=None,
                       interval: str = "cluster") -> pd.DataFrame:
    """Share of activities co-organised (多元共治): non-empty ``co_organisers`` or a non-government ``organiser_type``.

    "Government" is any of ``government_labels`` (by default also the community's party branch and residents'
    committee; see :data:`GOVERNMENT_LABELS`). A missing ``organiser_type`` does not make an activity co-organised.
    Keys: ``participation.co_organised.share`` and ``participation.co_organisers_listed.share`` (non-empty
    ``co_organisers`` alone, which does not depend on how organiser types are labelled), both with Wilson
    intervals for communities; the district's take the communities as clusters (``interval="cluster"``, the
    default: activities cluster within communities) or Wilson (``"iid"``).
    """
    check_interval(interval)
    params = {"year": int(report_year), "cutoff": cutoff_of(report_year, data_cutoff), "space": WHITE_SPACE,
              "government_labels": sorted({g.lower() for g in government_labels}) or [""],
              **engine.community_params(communities)}
    rows = []
    for key, note in (("participation.co_organised.share",
                       "co_organisers non-empty or organiser_type not government-side; Wilson CI"),
                      ("participation.co_organisers_listed.share", "co_organisers non-empty; Wilson CI")):
        counts = _activity_counts(activities, key, params)
        counts = counts.sort_values("community_id", kind="stable").reset_index(drop=True)
        successes, trials = counts["successes"].to_numpy("int64"), counts["trials"].to_numpy("int64")
        for cid, x, n in [*zip(counts["community_id"], successes, trials),
                          (DISTRICT, int(successes.sum()), int(trials.sum()))]:
            w = dict(wilson_interval(int(x), int(n), confidence).iloc[0])
            w["note"] = note
            if cid == DISTRICT and interval == "cluster":
                w.update(district_share(successes, trials, confidence, note))
            rows.append(result_row(key, cid, report_year, w["proportion"], se=w["se"], ci_low=w["ci_low"],
                                   ci_high=w["ci_high"], n=w["successes"], denominator=int(n),
                                   denominator_label=f"activities held in {report_year}", note=w["note"]))
    return tidy(rows)


def _activity_counts(activities, key: str, params: dict) -> pd.DataFrame:
    """The counts of registry indicator ``key`` over the activities (DataFrame or Parquet), community ids as text.

    A column the export lacks counts as empty for every activity (no co-organiser listed, no organiser type), as it
    did when the figures were counted in pandas: the query sees it as a column of NULLs.
    """
    i = indicator(key)
    out = engine.compute(activities, "activities", i.query, i.columns, params,
                         optional=("co_organisers", "organiser_type"))
    out["community_id"] = out["community_id"].astype(str).astype(object)
    return out


def organisations_active(organisations: pd.DataFrame, population: pd.DataFrame | None, report_year: int,
                         communities: Sequence[str] | None = None, lineage: pd.DataFrame | None = None,
                         data_cutoff=None) -> pd.DataFrame:
    """CSOs, volunteer teams and community funds active at the end of the year (or at the data cut-off when it comes
    first); fund inflows and leverage.

    Keys: ``participation.csos_active.count`` / ``.per_10k`` / ``.per_community`` (CSO density),
    ``participation.volunteer_teams_active.count`` / ``.per_10k`` / ``.per_community``,
    ``participation.community_funds.count`` / ``.per_10k`` / ``.per_community``,
    ``participation.fund_inflow_cny.total`` / ``.per_capita`` (Σ ``funds_raised_cny`` of active funds) and, when
    the optional column ``government_seed_cny`` is present, ``participation.fund_leverage.ratio`` = Σ funds raised /
    Σ government seed money (how many yuan of social money each yuan of seed money drew in). Notebook 10 records
    ``participation.fund_leverage.computable``: whether that ratio could be computed (true or false).
    """
    org = organisations[active_at_year_end(organisations, "founded", "dissolved", report_year,
                                           cutoff_of(report_year, data_cutoff))]
    typ = org["org_type"].astype(str)
    parts = [
        count_by_community(org[typ == "cso"], "participation.csos_active", report_year, population, per=10000.0,
                           communities=communities, what="CSOs active at year end", lineage=lineage, date="founded"),
        count_by_community(org[typ == "volunteer_team"], "participation.volunteer_teams_active", report_year,
                           population, per=10000.0, communities=communities,
                           what="volunteer teams active at year end", lineage=lineage, date="founded"),
        count_by_community(org[typ == "community_fund"], "participation.community_funds", report_year,
                           population, per=10000.0,
                           communities=communities, what="community funds active at year end", lineage=lineage,
                           date="founded"),
    ]
    funds = subset_communities(org[typ == "community_fund"], communities)
    if "funds_raised_cny" in funds.columns:
        raised = as_number(funds["funds_raised_cny"]).fillna(0.0)
        pop = population_by_community(population, report_year, communities)
        rows = [result_row("participation.fund_inflow_cny.total", DISTRICT, report_year, float(raised.sum()),
                           n=len(funds), note="Σ funds_raised_cny of community funds active at year end")]
        if len(pop) and pop.sum() > 0:
            rows.append(result_row("participation.fund_inflow_cny.per_capita", DISTRICT, report_year,
                                   float(raised.sum() / pop.sum()), n=len(funds), denominator=float(pop.sum()),
                                   denominator_label=f"resident_pop {report_year}", note="census of fund records"))
        if "government_seed_cny" in funds.columns:
            seed = as_number(funds["government_seed_cny"]).fillna(0.0).sum()
            if seed > 0:
                rows.append(result_row("participation.fund_leverage.ratio", DISTRICT, report_year,
                                       float(raised.sum() / seed), n=len(funds), denominator=float(seed),
                                       denominator_label="Σ government_seed_cny",
                                       note="social money raised per yuan of government seed money"))
        parts.append(tidy(rows))
    return pd.concat(parts, ignore_index=True)


def participation_indicators(tables: dict[str, pd.DataFrame], report_year: int,
                             communities: Sequence[str] | None = None, confidence: float = 0.95,
                             n_resamples: int = 2000, seed: int = 20240101, data_cutoff=None,
                             interval: str = "cluster") -> pd.DataFrame:
    """Every participation indicator the available tables allow, stacked in the tidy layout, as of the data cut-off
    (default: the end of ``report_year``). ``interval`` ("cluster" or "iid") chooses the district shares'
    intervals (:func:`volunteer_rates`, :func:`co_organised_share`) and those of attendance by activity type
    (:func:`attendance_by_type`)."""
    cut = cutoff_of(report_year, data_cutoff)
    pop, lin = tables.get("population"), tables.get("community_lineage")
    parts = []
    if "volunteers" in tables:
        parts.append(volunteer_rates(tables["volunteers"], tables.get("service_hours"), pop, report_year,
                                     communities, confidence, lineage=lin, data_cutoff=cut, interval=interval))
        if "service_hours" in tables:
            parts.append(service_hours(tables["volunteers"], tables["service_hours"], pop, report_year,
                                       communities, n_resamples, seed, confidence, lineage=lin, data_cutoff=cut))
    if "activities" in tables:
        act = in_memory(tables["activities"], _ACTIVITY_COLUMNS)  # read once if left on disk
        parts.append(activity_person_times(act, pop, report_year, communities, lineage=lin, data_cutoff=cut))
        parts.append(co_organised_share(act, report_year, communities, confidence, data_cutoff=cut,
                                        interval=interval))
        in_y = act[in_year(act["date"], report_year, cut)]
        if len(in_y) and in_y["activity_type"].nunique() > 1:
            parts.append(attendance_by_type(act, report_year, communities=communities, confidence=confidence,
                                            data_cutoff=cut, interval=interval))
    if "organisations" in tables:
        parts.append(organisations_active(tables["organisations"], pop, report_year, communities, lineage=lin,
                                          data_cutoff=cut))
    return pd.concat(parts, ignore_index=True) if parts else tidy([])
