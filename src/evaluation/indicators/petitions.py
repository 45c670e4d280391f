"""Petition indicators (信访): counts and rates per 10,000 residents, the year-on-year change as a rate ratio with its
exact interval and a plain-words caveat, and the data of the petitions' interrupted time series.

A fall from 58 to 38 real-estate petitions reads as −34.48 %, yet counts that small vary a lot by chance: the exact
conditional interval for the ratio (:func:`evaluation.indicators.intervals.rate_ratio_exact`) runs from about −58 %
to +0.3 %. The report must say so (claim C38).

The interrupted time series is fitted by :func:`evaluation.impact.its.interrupted_time_series` (the package's one
ITS implementation); this module only prepares its data: :func:`monthly_series` builds counts per month with a
population exposure, :func:`adoption_share` the share of communities that have adopted the programme by each month
(the exposure of the model: the roll-out is gradual, so a single district-wide break is only a sensitivity analysis),
:func:`its_frame` lays them out, and :func:`its_finding` says which wording a fitted rate ratio supports.

References
----------
Lopez Bernal, J., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the evaluation of
public health interventions: a tutorial. Int. J. Epidemiol. 46, 348–355.
Wagner, A. K. et al. (2002). Segmented regression analysis of interrupted time series studies in medication use
research. J. Clin. Pharm. Ther. 27, 299–309.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import DISTRICT, as_datetime, as_number, cutoff_of, default_cutoff, in_memory, population_by_community, result_row, subset_communities, tidy
from . import engine
from .counting import count_by_community
from .intervals import RateRatio, describe_change, rate_ratio_exact
from .registry import indicator

__all__ = [
    "petition_counts",
    "yoy_rate_ratio",
    "comparison_cutoff",
    "real_estate_change",
    "monthly_series",
    "adoption_share",
    "its_frame",
    "its_finding",
]


# the columns the petition indicators read (a table left on disk is read through DuckDB with these only)
_COLUMNS = ("community_id", "received_date", "category", "real_estate_related")


def _real_estate(petitions: pd.DataFrame) -> pd.Series:
    if "real_estate_related" not in petitions.columns:
        raise KeyError("petitions has no real_estate_related column; the real-estate indicators need it")
    return (as_number(petitions["real_estate_related"]) == 1).astype(bool)


def petition_counts(petitions: pd.DataFrame, population: pd.DataFrame | None, years: Sequence[int],
                    communities: Sequence[str] | None = None, by_category: bool = True,
                    confidence: float = 0.95, per: float = 10000.0,
                    lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Petitions received per year, overall, real-estate related and by category, with exact Poisson intervals.

    With ``data_cutoff``, petitions received after it are not in the data (the year of the cut-off counts only the
    petitions up to it).

    Keys: ``petitions.received.count`` / ``.per_10k`` / ``.per_community`` (``group`` = category, empty for all)
    and ``petitions.real_estate.count`` / ``.per_10k`` / ``.per_community``. Rows dated before the 2020 split carry
    legacy communities.
    """
    src = engine.source(petitions, "petitions")
    parts = []
    for year in years:
        params = {"year": int(year), "cutoff": cutoff_of(year, data_cutoff)}
        # one row per community, category and day received, counted by DuckDB; summing n counts the petitions (the
        # day places a record of a community keeping its code through a split before or after it)
        rec = _petition_counts(src, "petitions.received", params)
        kw = dict(per=per, communities=communities, poisson_ci=True, confidence=confidence, weight="n",
                  lineage=lineage, date="received_date")
        parts.append(count_by_community(rec, "petitions.received", year, population, what="petitions received",
                                        **kw))
        if "real_estate_related" in src:
            parts.append(count_by_community(_petition_counts(src, "petitions.real_estate", params),
                                            "petitions.real_estate", year, population,
                                            what="real-estate petitions received", **kw))
        if by_category:
            cats = rec["category"].astype(str)
            for cat in sorted(cats.unique()):
                parts.append(count_by_community(rec[cats == cat], "petitions.received", year, population,
                                                group=cat, what=f"petitions received, category {cat}", **kw))
    return pd.concat(parts, ignore_index=True) if parts else tidy([])


def _petition_counts(src: engine.Source, key: str, params: dict) -> pd.DataFrame:
    """The counts of registry indicator ``key`` over the petitions (DataFrame or Parquet), ids and categories as
    text."""
    i = indicator(key)
    out = engine.compute(src, "petitions", i.query, i.columns, params)
    for c in ("community_id", "category"):
        if c in out.columns:
            out[c] = out[c].astype(str).astype(object)
    return out


def yoy_rate_ratio(petitions: pd.DataFrame, report_year: int, comparison_year: int | None = None,
                   population: pd.DataFrame | None = None, communities: Sequence[str] | None = None,
                   real_estate_only: bool = True, confidence: float = 0.95, data_cutoff=None) -> RateRatio:
    """This year's petitions against the comparison year's, as a rate ratio with the exact conditional interval.

    Without ``population`` the exposures are equal, so the ratio compares the counts (the article's −34.48 %);
    with it, each count is divided by that year's resident population. With a ``data_cutoff`` inside the report
    year, the report year counts the petitions from 1 January to the cut-off and the comparison year the same part
    of its year (1 January to the same date and time), so that half a year is not compared with a whole one
    (:func:`comparison_cutoff`).

    Key: ``petitions.real_estate.yoy_distinguishable``: whether the interval of the real-estate ratio with equal
    exposures excludes 1 (:attr:`RateRatio.distinguishable`), with its ``p_value``.
    """
    comparison_year = report_year - 1 if comparison_year is None else comparison_year
    src = engine.source(petitions, "petitions")
    if real_estate_only and "real_estate_related" not in src:
        raise KeyError("petitions has no real_estate_related column; the real-estate indicators need it")
    cut = cutoff_of(report_year, data_cutoff)
    key = "petitions.real_estate.yoy_change" if real_estate_only else "petitions.received"
    x = _received(src, key, report_year, cut, communities)
    y = _received(src, key, comparison_year, comparison_cutoff(report_year, comparison_year, cut), communities)
    tx = ty = 1.0
    if population is not None:
        # communities differ across the 2020 split, so the district population is the comparable exposure
        tx = float(population_by_community(population, report_year).sum()) if communities is None else \
            float(population_by_community(population, report_year, communities).sum())
        ty = float(population_by_community(population, comparison_year).sum()) if communities is None else \
            float(population_by_community(population, comparison_year, communities).sum())
        if tx <= 0 or ty <= 0:
            raise ValueError("no population for the report or comparison year")
    return rate_ratio_exact(x, y, tx, ty, confidence)


def _received(src: engine.Source, key: str, year: int, cutoff: pd.Timestamp,
              communities: Sequence[str] | None) -> int:
    """Petitions of registry indicator ``key`` received in ``year`` up to ``cutoff`` in ``communities``."""
    rows = _petition_counts(src, key, {"year": int(year), "cutoff": cutoff, **engine.community_params(communities)})
    if communities is not None and "community_id" in rows.columns:  # a query grouped by community, not subset
        rows = rows[rows["community_id"].isin([str(c) for c in communities])]
    return int(rows["n"].sum())


def comparison_cutoff(report_year: int, comparison_year: int, cutoff: pd.Timestamp) -> pd.Timestamp:
    """The comparison year's counterpart of a report-year cut-off: the same date and time ``report_year −
    comparison_year`` years earlier (29 February becomes 28 February), or the end of the comparison year when the
    cut-off is at or after the report year's end."""
    cutoff = pd.Timestamp(cutoff)
    if cutoff >= default_cutoff(report_year):
        return default_cutoff(comparison_year)
    return cutoff - pd.DateOffset(years=int(report_year) - int(comparison_year))


def real_estate_change(petitions: pd.DataFrame, report_year: int, comparison_year: int | None = None,
                       population: pd.DataFrame | None = None, communities: Sequence[str] | None = None,
                       confidence: float = 0.95, language: str = "en", data_cutoff=None) -> pd.DataFrame:
    """Real-estate petitions this year and last, and the change with its exact interval and caveat.

    Rows: ``petitions.real_estate.count``, ``.count_prev``, ``.yoy_change`` (count / count_prev − 1; its interval
    is the exact rate-ratio interval minus 1, equal exposures) and, with ``population``,
    ``.rate_ratio_per_resident``. The ``note`` of the change rows holds the plain-words sentence.
    """
    comparison_year = report_year - 1 if comparison_year is None else comparison_year
    petitions = engine.source(petitions, "petitions")  # counted twice below: registered once
    rr = yoy_rate_ratio(petitions, report_year, comparison_year, None, communities, True, confidence, data_cutoff)
    cut = cutoff_of(report_year, data_cutoff)
    prev = f"{comparison_year}" if cut >= default_cutoff(report_year) else \
        f"{comparison_year} up to {comparison_cutoff(report_year, comparison_year, cut):%m-%d %H:%M} (as the cut-off)"
    from ..text.i18n import plain

    what = plain("indicators.petitions.real_estate", "en" if language == "en" else "zh")
    rows = [
        result_row("petitions.real_estate.count", DISTRICT, report_year, rr.count, n=rr.count,
                   note="census of petition records"),
        result_row("petitions.real_estate.count_prev", DISTRICT, comparison_year, rr.count_ref, n=rr.count_ref,
                   note="census of petition records"),
        result_row("petitions.real_estate.yoy_change", DISTRICT, report_year, rr.change, ci_low=rr.change_ci[0],
                   ci_high=rr.change_ci[1], n=rr.count, denominator=rr.count_ref,
                   denominator_label=f"real-estate petitions in {prev}",
                   note=describe_change(rr, what=what, language=language)),
    ]
    if population is not None:
        rp = yoy_rate_ratio(petitions, report_year, comparison_year, population, communities, True, confidence,
                            data_cutoff)
        rows.append(result_row("petitions.real_estate.rate_ratio_per_resident", DISTRICT, report_year, rp.ratio,
                               ci_low=rp.ci_low, ci_high=rp.ci_high, n=rp.count, denominator=rp.count_ref,
                               denominator_label=f"rate in {prev} (resident_pop {rp.exposure_ref:.0f})",
                               note=describe_change(rp, what=what, language=language)))
    return tidy(rows)


def monthly_series(petitions: pd.DataFrame, population: pd.DataFrame, start: str | None = None,
                   end: str | None = None, communities: Sequence[str] | None = None,
                   real_estate_only: bool = True, data_cutoff=None) -> pd.DataFrame:
    """Monthly petition counts with a population exposure, for an interrupted time series.

    Each year's resident population (summed over the communities, so the 2020 split does not matter) is placed at
    mid-year (July) and interpolated linearly between years, held constant before the first and after the last
    year. Exposure = population × days in month / 365.25, in person-years.

    Parameters
    ----------
    petitions, population : DataFrame
    start, end : str, optional
        First and last month, e.g. ``"2017-01"`` and ``"2024-12"``; by default the first and last month with a
        petition (of any kind), so that months without cases count as zeros.
    communities : sequence of str, optional
    real_estate_only : bool
    data_cutoff : str or Timestamp, optional
        Petitions received after it are not in the data, and the series ends at the last whole month on or before it
        (a month cut short would read as a fall).

    Returns
    -------
    DataFrame
        ``month`` (first day), ``count``, ``population``, ``days``, ``exposure`` (person-years).
    """
    petitions = in_memory(petitions, _COLUMNS)
    if data_cutoff is not None:
        cut = pd.Timestamp(data_cutoff)
        petitions = petitions[as_datetime(petitions["received_date"]) <= cut]
        # the last month whose every moment is on or before the cut-off
        whole = (cut + pd.Timedelta(seconds=1)).to_period("M") - 1
        end = str(whole) if end is None or pd.Period(end, "M") > whole else end
    p = subset_communities(petitions, communities)
    if real_estate_only:
        p = p[_real_estate(p)]
    all_months = as_datetime(subset_communities(petitions, communities)["received_date"]).dropna().dt.to_period("M")
    if (start is None or end is None) and all_months.empty:
        raise ValueError("no petitions to build a series from; give start and end")
    first = all_months.min() if start is None else pd.Period(start, "M")
    last = all_months.max() if end is None else pd.Period(end, "M")
    months = pd.period_range(first, last, freq="M")
    received = as_datetime(p["received_date"]).dt.to_period("M")
    counts = received.value_counts().reindex(months, fill_value=0)
    pop = subset_communities(population, communities)
    annual = pop.groupby(as_number(pop["year"]).astype(int))["resident_pop"].sum().astype("float64").sort_index()
    if annual.empty:
        raise ValueError("the population table has no rows for these communities")
    month_index = np.array([m.year * 12 + m.month - 1 for m in months], dtype="float64")
    pop_m = np.interp(month_index, annual.index.to_numpy() * 12 + 6, annual.to_numpy())
    days = np.array([m.days_in_month for m in months], dtype="float64")
    return pd.DataFrame({"month": months.to_timestamp(), "count": counts.to_numpy().astype("int64"),
                         "population": pop_m, "days": days, "exposure": pop_m * days / 365.25})


def adoption_share(rollout: pd.DataFrame, communities: pd.DataFrame, months, component: str = "jinlin_model",
                   data_cutoff=None) -> pd.Series:
    """Share of the current communities that have adopted ``component`` by each month: the exposure (dose) of the
    petitions' interrupted time series.

    A community counts as adopted from the month of its first ``start_date`` of ``component`` on (that month
    included, as the break design counts the intervention month as treated); adoption is not undone by an
    ``end_date``, as the staggered DiD's cohorts. The denominator is the current communities (``valid_to`` empty, or
    every row of ``communities`` without that column); roll-out rows of other communities are not counted. With a
    ``data_cutoff``, start dates after it are not known yet and do not count.

    Parameters
    ----------
    rollout : DataFrame
        ``programme_rollout`` (community_id, component, start_date).
    communities : DataFrame
        ``communities`` (community_id, valid_to).
    months : sequence of Timestamp or Period
        The months of the series (e.g. ``monthly_series(...)["month"]``).

    Returns
    -------
    Series
        The share in [0, 1] for each month, indexed like ``months`` (positionally).
    """
    current = communities.loc[communities["valid_to"].isna() | (communities["valid_to"].astype(str) == ""),
                              "community_id"] if "valid_to" in communities.columns else communities["community_id"]
    current = set(current.astype(str))
    rollout = in_memory(rollout, ("community_id", "component", "start_date"))
    if not current:
        raise ValueError("communities: no current community (valid_to empty); the adoption share needs them")
    rows = rollout[(rollout["component"].astype(str) == component)
                   & rollout["community_id"].astype(str).isin(current)]
    start = as_datetime(rows["start_date"])
    if start.isna().any():
        i = int(np.argmax(start.isna().to_numpy()))
        raise ValueError(f"programme_rollout, row {rows.index[i]}, column start_date: {rows['start_date'].iloc[i]!r} "
                         "is not a date; write it as 2021-03-01")
    if data_cutoff is not None:
        keep = (start <= pd.Timestamp(data_cutoff)).to_numpy()
        rows, start = rows[keep], start[keep]
    first = start.dt.to_period("M").groupby(rows["community_id"].astype(str).to_numpy()).min()
    periods = pd.PeriodIndex(pd.to_datetime(pd.Series(months)).dt.to_period("M"))
    adopted = np.array([(first <= m).sum() for m in periods], dtype="float64")
    return pd.Series(adopted / len(current), name="adoption_share")


def its_frame(series: pd.DataFrame, share, break_date=None) -> pd.DataFrame:
    """The monthly series laid out for :func:`evaluation.impact.its.interrupted_time_series`: ``time`` (1, 2, … in
    months), ``calendar_month`` (1-12, for the Fourier terms), ``share`` (the adoption share, :func:`adoption_share`)
    and, with ``break_date``, ``break`` (1 from that month on: the single-break sensitivity analysis)."""
    out = series.reset_index(drop=True).copy()
    month = pd.to_datetime(out["month"])
    out["time"] = np.arange(1, len(out) + 1, dtype="float64")
    out["calendar_month"] = month.dt.month.astype("int64")
    out["share"] = np.asarray(share, dtype="float64")
    if break_date is not None:
        post = (month >= pd.Timestamp(break_date)).astype("float64")
        if post.sum() == 0 or post.sum() == len(post):
            raise ValueError(f"the break date {break_date} must fall inside the series ({month.iloc[0]:%Y-%m} to "
                             f"{month.iloc[-1]:%Y-%m}), with months on both sides")
        out["break"] = post
    return out


def its_finding(effect: dict) -> str:
    """What an ITS rate ratio with its interval shows, as the suffix of the report's wording key: ``"lower"`` (the
    whole interval below 1), ``"higher"`` (the whole interval above 1) or ``"unclear"`` (it includes 1). ``effect``
    holds ``rr_ci_low`` and ``rr_ci_high`` (a row of :class:`evaluation.impact.its.ITSResult`)."""
    lo, hi = float(effect["rr_ci_low"]), float(effect["rr_ci_high"])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("the ITS interval is not finite; no finding can be worded")
    return "lower" if hi < 1 else "higher" if lo > 1 else "unclear"
