"""Counting records by community with population denominators: the building block of the census indicators.

Administrative registers (pairings, committee members, organisations…) are censuses, so their counts carry no
sampling error; where a count is read as the rate of an ongoing process (meetings, events, petitions) the caller asks
for the exact Poisson interval of :mod:`evaluation.indicators.intervals`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import DISTRICT, as_datetime, population_by_community, result_row, tidy
from .intervals import check_interval, cluster_label, cluster_ratio, poisson_exact_interval
from .lineage import carry_to_current, continuing_ids, record_era

__all__ = ["count_by_community"]

_CENSUS_NOTE = "census of register records; no sampling uncertainty"


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: frame[c].to_numpy(copy=True) for c in frame.columns}  # writable: district limits are replaced


def count_by_community(records: pd.DataFrame, base: str, year: int, population: pd.DataFrame | None = None, *,
                       per: float = 1000.0, distinct: str | None = None, weight: str | None = None,
                       communities: Sequence[str] | None = None, poisson_ci: bool = False,
                       confidence: float = 0.95, what: str = "records", unit: str = "count",
                       group: str = "", lineage: pd.DataFrame | None = None,
                       date: str | None = None, interval: str = "cluster") -> pd.DataFrame:
    """Count ``records`` (already filtered to those that count) per community and for the district.

    Parameters
    ----------
    records : DataFrame
        Rows to count, with ``community_id``.
    base : str
        Dotted key without qualifier, e.g. ``"organisation.paired_units"``; rows get ``.count``, ``.per_1k`` (or
        ``.per_10k`` …) and, for the district, ``.per_community``.
    year : int
        Year of the population denominator.
    population : DataFrame, optional
        The population table; without it the rate rows are left out.
    per : float
        Scale of the population rate (1,000 → ``per_1k``; 10,000 → ``per_10k``).
    distinct : str, optional
        Count distinct values of this column instead of rows (the district count is then distinct over the whole
        district, so community counts need not add up to it).
    weight : str, optional
        Sum this column instead of counting rows (e.g. ``issues_resolved``).
    communities : sequence of str, optional
        Community subset; by default every community with records or with population in ``year``.
    poisson_ci : bool
        Attach intervals to counts and rates: exact (Garwood) Poisson intervals for each community and, with
        ``interval="iid"``, for the district too.
    interval : {"cluster", "iid"}
        The district's intervals (with ``poisson_ci``). ``"cluster"`` (default): the records cluster within
        communities, so the district count, rate and mean per community get the interval of a ratio with the
        communities as PSUs (:func:`evaluation.indicators.intervals.cluster_ratio`, t(G−1), R ``svyratio``;
        the count as the rate's interval times the residents, the ratio estimate of a total, or without residents
        the total of the community counts, R ``svytotal``), which carries the between-community variation; a Garwood interval would assume one common rate
        everywhere. ``"iid"``: Garwood, the census reading. A district count of distinct values, or one with records
        in communities without population, keeps Garwood (its community counts do not add up to it).
    confidence : float
    what : str
        Words for the note, e.g. "paired units".
    unit : str
        Qualifier of the count key (``count``; ``person_times`` for attendance, which counts visits, not people);
        rate keys become ``<unit>_per_100`` … unless the unit is ``count``.
    group : str
        Value of the ``group`` column (e.g. the category counted).
    lineage : DataFrame, optional
        ``community_lineage``. Register rows dated before the 2020 split carry legacy ids (L01…); with the lineage
        their community counts are split over the current communities by ``pop_share`` (so they may be
        fractional) and the note says so. District totals never change. Without it legacy ids stay as their own
        rows.
    date : str, optional
        The column with each record's date (when its community code was given: report, registration, meeting…).
        Needed when a community keeps its code through a split (rows before the split are shared out, rows after
        it stay; :mod:`evaluation.indicators.lineage`).

    Returns
    -------
    DataFrame in the tidy layout of :mod:`evaluation.indicators._common`.
    """
    recs = records.copy()
    recs["community_id"] = recs["community_id"].astype(str)
    if communities is not None:
        recs = recs[recs["community_id"].isin([str(c) for c in communities])]
    pop = population_by_community(population, year, communities)
    ids = sorted(set(recs["community_id"]) | set(pop.index))
    if communities is not None:
        ids = [c for c in ids if c in {str(x) for x in communities}]
    if weight is not None:
        vals = pd.to_numeric(recs[weight], errors="coerce").fillna(0.0)
        by = vals.groupby(recs["community_id"]).sum()
        total = float(vals.sum())
    elif distinct is not None:
        by = recs.groupby("community_id")[distinct].nunique()
        total = float(recs[distinct].nunique())
    else:
        by = recs.groupby("community_id").size()
        total = float(len(recs))
    by = by.reindex(ids, fill_value=0).astype("float64")
    carried: set[str] = set()
    dated = lineage is not None and len(lineage) and continuing_ids(lineage) and date is not None \
        and date in recs.columns
    if dated and by.index.isin(lineage["from_id"].astype(str)).any():
        # a community keeping its code through a split: its records are carried or not by their date, so they are
        # counted by (community, era) first (an era groups the records every split treats alike)
        recs["_era"] = record_era(recs["community_id"], as_datetime(recs[date]), lineage)
        keys = [recs["community_id"], recs["_era"]]
        if weight is not None:
            by_era = vals.groupby(keys, dropna=False).sum()
        elif distinct is not None:
            by_era = recs.groupby(keys, dropna=False)[distinct].nunique()
        else:
            by_era = recs.groupby(keys, dropna=False).size()
        frame = by_era.astype("float64").rename("n").rename_axis(["community_id", "_era"]).reset_index()
        frame = carry_to_current(frame, lineage, counts=["n"], date_column="_era")
        carried = set(frame.loc[frame["carried"], "community_id"])
        by = frame.groupby("community_id")["n"].sum()
        ids = sorted(set(by.index) | set(pop.index))
        if communities is not None:
            ids = [c for c in ids if c in {str(x) for x in communities}]
        by = by.reindex(ids, fill_value=0).astype("float64")
    elif lineage is not None and len(lineage) and by.index.isin(lineage["from_id"].astype(str)).any():
        frame = carry_to_current(by.rename("n").rename_axis("community_id").reset_index(), lineage, counts=["n"])
        carried = set(frame.loc[frame["carried"], "community_id"])
        by = frame.groupby("community_id")["n"].sum()
        ids = sorted(set(by.index) | set(pop.index))
        if communities is not None:
            ids = [c for c in ids if c in {str(x) for x in communities}]
        by = by.reindex(ids, fill_value=0.0).astype("float64")
    # communities in the denominator of "per community": those with a population that year when known
    n_units = len(pop) if len(pop) else len(ids)
    suffix = {1.0: "per_capita", 100.0: "per_100", 1000.0: "per_1k", 10000.0: "per_10k"}.get(float(per),
                                                                                               f"per_{per:g}")
    if unit != "count":
        suffix = f"{unit}_{suffix}"
    note = f"{what}; Poisson exact CI" if poisson_ci else f"{what}; {_CENSUS_NOTE}"
    cids = [*ids, DISTRICT]
    counts = np.append(by.reindex(ids).to_numpy(dtype="float64"), total)
    pops = np.append(pop.reindex(ids).to_numpy(dtype="float64") if len(ids) else np.empty(0),
                     float(pop.sum()) if len(pop) else np.nan)
    with np.errstate(invalid="ignore"):
        has_rate = np.isfinite(pops) & (pops > 0)
    # one vectorised call per kind of interval (not one per community: thousands of communities in a region)
    count_ci = _columns(poisson_exact_interval(counts, 1.0, confidence)) if poisson_ci else None
    rate_ci = _columns(poisson_exact_interval(counts, np.where(has_rate, pops, 1.0), confidence, per=per))
    check_interval(interval)
    per_unit = None
    cluster_note = note
    community_counts = counts[:-1]
    if poisson_ci and interval == "cluster" and len(ids) >= 2 and np.isclose(community_counts.sum(), total):
        g = len(ids)
        cluster_note = f"{what}; {cluster_label(g)}"
        with np.errstate(invalid="ignore"):
            community_pops = np.where(np.isfinite(pops[:-1]) & (pops[:-1] > 0), pops[:-1], 0.0)
        if has_rate[-1] and not np.any((community_pops == 0) & (community_counts > 0)):
            rate = cluster_ratio(community_counts, community_pops, confidence, per=per)
            rate_ci["se"][-1], rate_ci["ci_low"][-1], rate_ci["ci_high"][-1] = rate["se"], rate["ci_low"], \
                rate["ci_high"]
            # the count as the ratio estimate of a total over the known residents (Cochran 1977, §6.2): the
            # rate's interval times the residents, so that communities' differing sizes are not read as chance
            scale = float(community_pops.sum()) / per
            tot = {k: rate[k] * scale for k in ("se", "ci_low", "ci_high")}
        else:
            # no residents to scale by: the total of the community counts (R svytotal with ids = ~community)
            tot = cluster_ratio(community_counts, np.full(g, 1.0 / g), confidence)
            cluster_note = f"{what}; count and mean per community {cluster_label(g)}, rate Poisson exact CI"
        count_ci["se"][-1], count_ci["ci_low"][-1], count_ci["ci_high"][-1] = tot["se"], tot["ci_low"], tot["ci_high"]
        if n_units == g:  # the mean per community is the count over G: the count's interval over G
            per_unit = {k: tot[k] / g for k in ("se", "ci_low", "ci_high")}
    legacy = "; includes legacy-community records split by pop_share"
    rows = []
    for i, cid in enumerate(cids):
        count = float(counts[i])
        note_c = (cluster_note if cid == DISTRICT else note) + (legacy if cid in carried else "")
        rows.append(result_row(f"{base}.{unit}", cid, year, count, group=group, n=count,
                               ci_low=None if count_ci is None else count_ci["ci_low"][i],
                               ci_high=None if count_ci is None else count_ci["ci_high"][i],
                               se=None if count_ci is None else count_ci["se"][i], note=note_c))
        if has_rate[i]:
            popn = float(pops[i])
            rows.append(result_row(f"{base}.{suffix}", cid, year, rate_ci["rate"][i], group=group, n=count,
                                   denominator=popn,
                                   denominator_label=f"resident_pop {year} (population table) / {per:g}",
                                   se=rate_ci["se"][i] if poisson_ci else None,
                                   ci_low=rate_ci["ci_low"][i] if poisson_ci else None,
                                   ci_high=rate_ci["ci_high"][i] if poisson_ci else None, note=note_c))
    if n_units:
        r = poisson_exact_interval(total, n_units, confidence).iloc[0]
        r_note = note
        if per_unit is not None:
            r = {"rate": r["rate"], "se": per_unit["se"], "ci_low": per_unit["ci_low"],
                 "ci_high": per_unit["ci_high"]}
            r_note = f"{what}; {cluster_label(len(ids))}"
        rows.append(result_row(f"{base}.{unit}_per_community" if unit != "count" else f"{base}.per_community",
                               DISTRICT, year, r["rate"], group=group, n=total, denominator=n_units,
                               denominator_label="communities", se=r["se"] if poisson_ci else None,
                               ci_low=r["ci_low"] if poisson_ci else None,
                               ci_high=r["ci_high"] if poisson_ci else None, note=r_note))
    return tidy(rows)
