"""Petition indicators (信访): counts and rates per 10,000 residents, the year-on-year change as a rate ratio with its
exact interval and a plain-words caveat, and a petition-specific interrupted time series.

A fall from 58 to 38 real-estate petitions reads as −34.48 %, yet counts that small vary a lot by chance: the exact
conditional interval for the ratio (:func:`evaluation.indicators.intervals.rate_ratio_exact`) runs from about −58 %
to +0.3 %. The report must say so (claim C38).

The interrupted time series is deliberately small: :func:`monthly_series` builds counts per month with a population
exposure, and :func:`fit_its` fits a segmented Poisson (or quasi-Poisson) GLM with statsmodels — trend, a level
change and a slope change at a parameterised date, Fourier seasonal terms, log exposure as offset (Bernal, Cummins &
Gasparrini 2017). It can later be swapped for the generic ITS in ``evaluation.impact.its`` by passing it the series.

References
----------
Lopez Bernal, J., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the evaluation of
public health interventions: a tutorial. Int. J. Epidemiol. 46, 348–355.
Wagner, A. K. et al. (2002). Segmented regression analysis of interrupted time series studies in medication use
research. J. Clin. Pharm. Ther. 27, 299–309.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from scipy import stats

from ._common import DISTRICT, as_datetime, as_number, cutoff_of, default_cutoff, in_memory, in_year, \
    population_by_community, result_row, subset_communities, tidy
from .counting import count_by_community
from .intervals import RateRatio, describe_change, rate_ratio_exact

__all__ = [
    "petition_counts",
    "yoy_rate_ratio",
    "comparison_cutoff",
    "real_estate_change",
    "monthly_series",
    "ITSFit",
    "its_design",
    "fit_its",
    "its_curves",
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

    Keys: ``petitions.received.count`` / ``.per_10k`` (``group`` = category, empty for all) and
    ``petitions.real_estate.count`` / ``.per_10k``. Rows dated before the 2020 split carry legacy communities.
    """
    petitions = in_memory(petitions, _COLUMNS)
    parts = []
    for year in years:
        rec = petitions[in_year(petitions["received_date"], year, None if data_cutoff is None else
                                cutoff_of(year, data_cutoff))]
        kw = dict(per=per, communities=communities, poisson_ci=True, confidence=confidence)
        parts.append(count_by_community(rec, "petitions.received", year, population, what="petitions received",
                                        **kw, lineage=lineage, date="received_date"))
        if "real_estate_related" in rec.columns:
            parts.append(count_by_community(rec[_real_estate(rec)], "petitions.real_estate", year, population,
                                            what="real-estate petitions received", **kw, lineage=lineage,
                                            date="received_date"))
        if by_category:
            for cat in sorted(rec["category"].astype(str).unique()):
                parts.append(count_by_community(rec[rec["category"].astype(str) == cat], "petitions.received",
                                                year, population, group=cat,
                                                what=f"petitions received, category {cat}", **kw, lineage=lineage,
                                                date="received_date"))
    return pd.concat(parts, ignore_index=True) if parts else tidy([])


def yoy_rate_ratio(petitions: pd.DataFrame, report_year: int, comparison_year: int | None = None,
                   population: pd.DataFrame | None = None, communities: Sequence[str] | None = None,
                   real_estate_only: bool = True, confidence: float = 0.95, data_cutoff=None) -> RateRatio:
    """This year's petitions against the comparison year's, as a rate ratio with the exact conditional interval.

    Without ``population`` the exposures are equal, so the ratio compares the counts (the article's −34.48 %);
    with it, each count is divided by that year's resident population. With a ``data_cutoff`` inside the report
    year, the report year counts the petitions from 1 January to the cut-off and the comparison year the same part
    of its year (1 January to the same date and time), so that half a year is not compared with a whole one
    (:func:`comparison_cutoff`).
    """
    comparison_year = report_year - 1 if comparison_year is None else comparison_year
    p = subset_communities(in_memory(petitions, _COLUMNS), communities)
    if real_estate_only:
        p = p[_real_estate(p)]
    cut = cutoff_of(report_year, data_cutoff)
    x = int(in_year(p["received_date"], report_year, cut).sum())
    y = int(in_year(p["received_date"], comparison_year, comparison_cutoff(report_year, comparison_year, cut)).sum())
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
    petitions = in_memory(petitions, _COLUMNS)
    rr = yoy_rate_ratio(petitions, report_year, comparison_year, None, communities, True, confidence, data_cutoff)
    cut = cutoff_of(report_year, data_cutoff)
    prev = f"{comparison_year}" if cut >= default_cutoff(report_year) else \
        f"{comparison_year} up to {comparison_cutoff(report_year, comparison_year, cut):%m-%d %H:%M} (as the cut-off)"
    what = "real-estate petitions" if language == "en" else "涉地产信访件"
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


@dataclass(frozen=True)
class ITSFit:
    """A segmented-regression fit. ``level_change`` and ``slope_change`` are rate ratios (slope: per month) with
    their intervals; ``coefficients`` is on the log scale (terms: const, t, post, t_post, sin1, cos1, …)."""

    coefficients: pd.DataFrame
    level_change: float
    level_change_ci: tuple[float, float]
    slope_change: float
    slope_change_ci: tuple[float, float]
    dispersion: float
    family: str
    n_months: int
    intervention: pd.Timestamp
    confidence: float


def its_design(series: pd.DataFrame, intervention, harmonics: int = 2) -> pd.DataFrame:
    """Design matrix of the segmented regression: const, t (months from the start), post (1 from the intervention
    month on), t_post (months since the intervention, 0 before), and ``harmonics`` sine/cosine pairs of the
    calendar month."""
    month = pd.to_datetime(series["month"])
    t = np.arange(len(series), dtype="float64")
    post = (month >= pd.Timestamp(intervention)).to_numpy().astype("float64")
    if post.sum() == 0 or post.sum() == len(post):
        raise ValueError("the intervention date must fall inside the series, with months on both sides")
    first = int(np.argmax(post))
    X = pd.DataFrame({"const": 1.0, "t": t, "post": post, "t_post": np.maximum(0.0, t - t[first]) * post},
                     index=series.index)
    m = month.dt.month.to_numpy().astype("float64")
    for k in range(1, harmonics + 1):
        X[f"sin{k}"] = np.sin(2 * np.pi * k * m / 12)
        X[f"cos{k}"] = np.cos(2 * np.pi * k * m / 12)
    return X


def fit_its(series: pd.DataFrame, intervention, family: Literal["poisson", "quasipoisson"] = "quasipoisson",
            harmonics: int = 2, confidence: float = 0.95) -> ITSFit:
    """Segmented Poisson / quasi-Poisson regression of monthly counts with log exposure as offset.

    log E[count] = log(exposure) + β0 + β1·t + β2·post + β3·t_post + seasonal terms. ``exp(β2)`` is the level change
    at the intervention (rate ratio), ``exp(β3)`` the change in the monthly trend. ``quasipoisson`` scales the SEs
    by the Pearson χ²/(n − p) dispersion, as R's ``glm(family = quasipoisson)``. Intervals are Wald intervals on
    the log scale: normal quantiles for the Poisson fit, t quantiles with n − p degrees of freedom for the
    quasi-Poisson fit (the quasi-likelihood convention, as R's ``summary.glm`` uses t for its p-values).

    References
    ----------
    Lopez Bernal, Cummins & Gasparrini (2017); checked against R ``glm`` in tests/reference/indicators.
    """
    if family not in ("poisson", "quasipoisson"):
        raise ValueError("family must be 'poisson' or 'quasipoisson'")
    X = its_design(series, intervention, harmonics)
    y = series["count"].to_numpy(dtype="float64")
    off = np.log(series["exposure"].to_numpy(dtype="float64"))
    res = GLM(y, X, family=families.Poisson(), offset=off).fit(
        scale="X2" if family == "quasipoisson" else None, tol=1e-13, maxiter=100)
    est, se = res.params.to_numpy(), res.bse.to_numpy()
    df = len(y) - X.shape[1]
    q = stats.t.ppf(0.5 + confidence / 2, df) if family == "quasipoisson" else stats.norm.ppf(0.5 + confidence / 2)
    coef = pd.DataFrame({"term": list(X.columns), "estimate": est, "se": se, "ci_low": est - q * se,
                         "ci_high": est + q * se})
    c = coef.set_index("term")
    return ITSFit(coef, float(np.exp(c.at["post", "estimate"])),
                  (float(np.exp(c.at["post", "ci_low"])), float(np.exp(c.at["post", "ci_high"]))),
                  float(np.exp(c.at["t_post", "estimate"])),
                  (float(np.exp(c.at["t_post", "ci_low"])), float(np.exp(c.at["t_post", "ci_high"]))),
                  float(res.scale), family, len(y), pd.Timestamp(intervention), confidence)


def its_curves(series: pd.DataFrame, fit: ITSFit, per: float | None = None) -> pd.DataFrame:
    """Observed, fitted and counterfactual monthly counts of a fitted interrupted time series (for the chart).

    The counterfactual continues the pre-intervention level and trend with the same seasonal terms and exposure:
    the linear predictor with ``post`` and ``t_post`` set to 0 (Lopez Bernal, Cummins & Gasparrini 2017, fig. 2).
    The number of harmonics is read off the fit's terms.

    Parameters
    ----------
    series : DataFrame
        The series the model was fitted to (:func:`monthly_series`).
    fit : ITSFit
        From :func:`fit_its` on ``series``.
    per : float, optional
        Also give the three series as rates per ``per`` person-years of exposure (e.g. 10,000), in columns
        ``observed_rate``, ``fitted_rate``, ``counterfactual_rate``.

    Returns
    -------
    DataFrame
        ``month``, ``post`` (1 from the intervention on), ``observed``, ``fitted``, ``counterfactual``,
        ``exposure`` (and the rates with ``per``).
    """
    terms = list(fit.coefficients["term"])
    harmonics = sum(1 for t in terms if t.startswith("sin"))
    X = its_design(series, fit.intervention, harmonics)
    if list(X.columns) != terms:
        raise ValueError("the fit's terms do not match the series' design; pass the series the model was fitted to")
    beta = fit.coefficients["estimate"].to_numpy(dtype="float64")
    off = np.log(series["exposure"].to_numpy(dtype="float64"))
    fitted = np.exp(X.to_numpy() @ beta + off)
    Xcf = X.copy()
    Xcf["post"] = 0.0
    Xcf["t_post"] = 0.0
    counterfactual = np.exp(Xcf.to_numpy() @ beta + off)
    out = pd.DataFrame({"month": pd.to_datetime(series["month"]).to_numpy(), "post": X["post"].to_numpy(),
                        "observed": series["count"].to_numpy(dtype="float64"), "fitted": fitted,
                        "counterfactual": counterfactual, "exposure": series["exposure"].to_numpy(dtype="float64")})
    if per is not None:
        for c in ("observed", "fitted", "counterfactual"):
            out[f"{c}_rate"] = out[c] / out["exposure"] * per
    return out
