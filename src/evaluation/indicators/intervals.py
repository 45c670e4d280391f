"""Confidence intervals for proportions, counts and rate ratios, and plain words for a change between two counts.

- Proportions: the Wilson score interval (Wilson 1927), via ``statsmodels.stats.proportion.proportion_confint``.
  It keeps good coverage near 0 and 1 and for small n, where the Wald interval fails (Brown, Cai & DasGupta 2001).
- Counts and rates: the exact (Garwood 1936) Poisson interval, from chi-square quantiles.
- Two counts with exposures (this year against last): the rate ratio with the exact conditional interval. Given the
  total x1 + x2, x1 is binomial with p = R·T1 / (R·T1 + T2), so the Clopper–Pearson interval for p maps onto R
  (the method of R's ``poisson.test`` for two samples; Lehmann & Romano, *Testing Statistical Hypotheses*, §4.5).

- District figures over events, activities or people that cluster within communities: communities as primary
  sampling units (:func:`cluster_proportion`, :func:`cluster_ratio`). The share is the ratio Σy/Σn with the
  linearisation (cluster-robust) SE of a one-stage cluster design and t(G−1) limits, as R
  ``svyciprop(~y, svydesign(ids = ~community, data = d))`` (logit method) and ``svyratio``. The report reads these
  figures as the propensity of a process, so the interval carries the between-community variation; the iid
  interval (Wilson, Garwood) stays available as ``interval="iid"``, the census reading of the same counts.

Counts as small as 58 → 38 petitions give a wide interval for the ratio; :func:`describe_change` says in plain words
whether the change can be told apart from no change at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ResultMixin, tidy_frame
from statsmodels.stats.proportion import proportion_confint

__all__ = ["wilson_interval", "poisson_exact_interval", "RateRatio", "rate_ratio_exact", "describe_change",
           "INTERVALS", "check_interval", "cluster_label", "clusters_phrase", "clusters_named", "cluster_proportion",
           "district_share", "cluster_ratio", "binomial_central_p"]

# "cluster": communities as PSUs (the default: district figures read as the propensity of a process);
# "iid": Wilson / Garwood / Greenwood over the pooled records (a census reading of the year's counts)
INTERVALS = ("cluster", "iid")


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(confidence)


def check_interval(interval: str) -> str:
    """``interval`` if it names a known kind (:data:`INTERVALS`), else a ValueError saying which exist."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(map(repr, INTERVALS))}, got {interval!r}")
    return interval


_CLUSTERS_PHRASE = "CI with {} communities as clusters"


def clusters_phrase(clusters: int) -> str:
    """The words by which a note names a community-cluster interval, "CI with 43 communities as clusters": the
    start of :func:`cluster_label`, and what :func:`clusters_named` reads back."""
    return _CLUSTERS_PHRASE.format(clusters)


def cluster_label(clusters: int) -> str:
    """The words a note gives for a community-cluster interval, e.g. "CI with 43 communities as clusters, t(42)"."""
    return f"{clusters_phrase(clusters)}, t({max(clusters - 1, 0)})"


def clusters_named(note: str) -> int | None:
    """The number of communities a note written with :func:`clusters_phrase` takes as clusters; None for a note
    without such an interval."""
    import re

    m = re.search(re.escape(_CLUSTERS_PHRASE).replace(r"\{\}", r"(\d+)"), note)
    return int(m.group(1)) if m else None


def district_share(successes, trials, confidence: float, note: str) -> dict:
    """SE, limits and note of a district share with the communities as clusters (:func:`cluster_proportion`;
    one value per community in ``successes`` and ``trials``): "Wilson CI" in ``note`` becomes the cluster wording
    (:func:`cluster_label`). Keys ``se``, ``ci_low``, ``ci_high``, ``note``."""
    r = cluster_proportion(successes, trials, confidence)
    return {"se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "note": note.replace("Wilson CI", cluster_label(r["clusters"]))}


def _cluster_arrays(numerators, denominators) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(numerators, dtype="float64").ravel()
    x = np.asarray(denominators, dtype="float64").ravel()
    if y.shape != x.shape:
        raise ValueError("numerators and denominators must have one value per cluster each")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(x)):
        raise ValueError("cluster totals must be finite")
    return y, x


def _linearised_se(y: np.ndarray, x: np.ndarray, ratio: float) -> float:
    """SE of Σy/Σx over G clusters drawn with replacement: √(G/(G−1) Σ (y_g − R·x_g)²) / Σx (Lumley 2010, §2.3)."""
    g = len(y)
    z = y - ratio * x
    z = z - z.mean()  # zero already up to rounding; centring keeps the sum of squares exact, as R's svyrecvar
    return float(np.sqrt(g / (g - 1) * np.sum(z * z)) / x.sum())


def cluster_proportion(successes, trials, confidence: float = 0.95) -> dict:
    """A proportion over records clustered in G communities, communities as PSUs, with the logit interval.

    p = Σ successes / Σ trials; SE by linearisation of the ratio with the communities as primary sampling units
    (cluster-robust, the G/(G−1) factor of a with-replacement first stage); limits
    expit(logit p ± t(G−1)·SE / (p(1−p))). This is R's
    ``svyciprop(~y, svydesign(ids = ~community, data = d), method = "logit")`` with its default
    ``df = degf(design)`` = G − 1, and the SE is ``svymean``'s.

    Parameters
    ----------
    successes, trials : array_like
        One value per community (cluster): the records with the flag and all records. Communities with no records
        may be included (they add nothing).
    confidence : float

    Returns
    -------
    dict
        ``proportion``, ``se``, ``ci_low``, ``ci_high``, ``df`` (G − 1), ``clusters`` (G, communities with records).
        With fewer than two such communities no SE can be estimated: NaN. Where p is 0 or 1 the logit interval
        does not exist and the SE is 0: the limits are NaN (no interval is better than a zero-width one).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, §2.3 and §2.4.1 (svyciprop). Wiley.
    Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small expected number of
    positive counts estimated from survey data. *Survey Methodology* 24, 193–201.

    Examples
    --------
    >>> r = cluster_proportion([9, 5, 1], [10, 10, 10])
    >>> round(r["proportion"], 4), round(r["se"], 4), r["df"]
    (0.5, 0.2309, 2)
    """
    conf = _check_confidence(confidence)
    y, x = _cluster_arrays(successes, trials)
    if np.any(x < 0) or np.any(y < 0) or np.any(y > x):
        raise ValueError("successes must lie between 0 and trials in every cluster")
    keep = x > 0
    y, x = y[keep], x[keep]
    g = len(x)
    out = {"proportion": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "df": max(g - 1, 0),
           "clusters": g}
    if g == 0:
        return out
    p = float(y.sum() / x.sum())
    out["proportion"] = p
    if g < 2:
        return out
    se = _linearised_se(y, x, p)
    out["se"] = se
    if 0 < p < 1 and se > 0:
        t = float(stats.t.ppf(0.5 + conf / 2, g - 1))
        half = t * se / (p * (1 - p))
        eta = np.log(p / (1 - p))
        out["ci_low"] = float(1 / (1 + np.exp(-(eta - half))))
        out["ci_high"] = float(1 / (1 + np.exp(-(eta + half))))
    return out


def cluster_ratio(numerators, denominators, confidence: float = 0.95, per: float = 1.0) -> dict:
    """A ratio of totals over G communities, communities as PSUs: Σy/Σx · per, linearisation SE, t(G−1) limits.

    A district rate (events per 10,000 residents: y = events, x = residents of each community), a mean per
    community (x = 1) or, with x = 1/G, a total. The limits are R ± t(G−1)·SE, R's
    ``confint(svyratio(~y, ~x, svydesign(ids = ~community, data = d)), df = degf(d))``, except that a lower limit
    below 0 is set to 0 (a count or rate cannot be negative).

    Parameters
    ----------
    numerators, denominators : array_like
        One value per community.
    confidence : float
    per : float
        Scale of the ratio (10,000 for a rate per 10,000 residents).

    Returns
    -------
    dict
        ``ratio``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``clusters``; SE and limits NaN with fewer than two
        communities.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, §2.3 (ratio estimation). Wiley.
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., §6.9 (variance of the ratio estimate). Wiley.
    """
    conf = _check_confidence(confidence)
    y, x = _cluster_arrays(numerators, denominators)
    g = len(x)
    out = {"ratio": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "df": max(g - 1, 0),
           "clusters": g}
    if g == 0 or x.sum() <= 0:
        return out
    r = float(y.sum() / x.sum())
    out["ratio"] = r * per
    if g < 2:
        return out
    se = _linearised_se(y, x, r) * per
    t = float(stats.t.ppf(0.5 + conf / 2, g - 1))
    out["se"] = se
    out["ci_low"] = max(0.0, r * per - t * se) if r >= 0 else r * per - t * se
    out["ci_high"] = r * per + t * se
    return out


def wilson_interval(successes, trials, confidence: float = 0.95) -> pd.DataFrame:
    """Wilson score interval for binomial proportions.

    Parameters
    ----------
    successes, trials : int or array_like
        Numerators and denominators (broadcast against each other).
    confidence : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    DataFrame
        ``successes``, ``trials``, ``proportion``, ``se`` (the binomial SE √(p(1−p)/n)), ``ci_low``, ``ci_high``;
        NaN where ``trials`` is 0.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22, 209–212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion. Stat. Med. 17, 857–872.

    Examples
    --------
    >>> wilson_interval(81, 263)[["ci_low", "ci_high"]].round(4).values.tolist()
    [[0.2553, 0.3662]]
    """
    conf = _check_confidence(confidence)
    x, n = np.broadcast_arrays(np.atleast_1d(np.asarray(successes, dtype="float64")),
                               np.atleast_1d(np.asarray(trials, dtype="float64")))
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("successes must lie between 0 and trials")
    ok = n > 0
    p = np.full(x.shape, np.nan)
    lo = np.full(x.shape, np.nan)
    hi = np.full(x.shape, np.nan)
    se = np.full(x.shape, np.nan)
    if ok.any():
        p[ok] = x[ok] / n[ok]
        lo[ok], hi[ok] = proportion_confint(x[ok], n[ok], alpha=1 - conf, method="wilson")
        se[ok] = np.sqrt(p[ok] * (1 - p[ok]) / n[ok])
    return pd.DataFrame({"successes": x, "trials": n, "proportion": p, "se": se, "ci_low": lo, "ci_high": hi})


def poisson_exact_interval(counts, exposure=1.0, confidence: float = 0.95, per: float = 1.0) -> pd.DataFrame:
    """Exact (Garwood) confidence interval for a Poisson count or rate.

    Limits for the mean of a count x are χ²(α/2; 2x)/2 and χ²(1−α/2; 2x+2)/2 (the lower limit is 0 when x = 0);
    a rate divides them by ``exposure`` and multiplies by ``per`` (e.g. exposure = residents, per = 10,000).

    Parameters
    ----------
    counts : int or array_like
    exposure : float or array_like
        Person-years, residents or any exposure; 1 gives an interval for the count itself.
    confidence : float
    per : float
        Scale of the rate (1, 1,000, 10,000).

    Returns
    -------
    DataFrame
        ``count``, ``exposure``, ``rate``, ``se`` (√x / exposure × per), ``ci_low``, ``ci_high``.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437–442.

    Examples
    --------
    A count of 10 has the textbook exact limits 4.7954 and 18.3904; 38 petitions among 515,000 residents are 0.74
    per 10,000:

    >>> poisson_exact_interval(10)[["ci_low", "ci_high"]].round(4).values.tolist()
    [[4.7954, 18.3904]]
    >>> poisson_exact_interval(38, 515000, per=10000)[["rate", "ci_low", "ci_high"]].round(4).values.tolist()
    [[0.7379, 0.5222, 1.0128]]
    """
    conf = _check_confidence(confidence)
    x, t = np.broadcast_arrays(np.atleast_1d(np.asarray(counts, dtype="float64")),
                               np.atleast_1d(np.asarray(exposure, dtype="float64")))
    if np.any(x < 0):
        raise ValueError("counts must be non-negative")
    a = 1 - conf
    ok = t > 0
    lo_count = np.where(x > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(x, 1e-300)) / 2, 0.0)
    hi_count = stats.chi2.ppf(1 - a / 2, 2 * x + 2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(ok, per / np.where(ok, t, 1.0), np.nan)
    return pd.DataFrame({
        "count": x, "exposure": t, "rate": x * scale, "se": np.sqrt(x) * scale,
        "ci_low": lo_count * scale, "ci_high": hi_count * scale,
    })


@dataclass(frozen=True)
class RateRatio(ResultMixin):
    """Rate ratio of two Poisson counts with exposures, with its exact conditional interval.

    Result protocol: one row, the estimate ``ratio`` with its exact interval (no SE), ``n`` both counts, with
    ``p_value``, ``change`` and ``distinguishable``.

    ``ratio`` = (count / exposure) / (count_ref / exposure_ref); ``change`` = ratio − 1 (e.g. −0.3448 for 58 → 38
    with equal exposures); ``p_value`` tests ratio = 1 (two-sided, central: twice the smaller tail, so that it
    agrees with the interval).
    """

    count: int
    exposure: float
    count_ref: int
    exposure_ref: float
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float

    what = "result.what.rate_ratio"
    record_extras = ("p_value",)

    def tidy(self):
        return tidy_frame(self.ratio, None, self.ci_low, self.ci_high, self.count + self.count_ref,
                          p_value=self.p_value, change=self.change, distinguishable=self.distinguishable,
                          confidence=self.confidence)

    def record_fields(self) -> tuple[str, ...]:
        return ("ci_low", "ci_high", "n")

    @property
    def change(self) -> float:
        return self.ratio - 1.0

    @property
    def change_ci(self) -> tuple[float, float]:
        return self.ci_low - 1.0, self.ci_high - 1.0

    @property
    def distinguishable(self) -> bool:
        """True when the interval excludes a ratio of 1 (no change)."""
        return bool(self.ci_high < 1.0 or self.ci_low > 1.0)


def rate_ratio_exact(count: int, count_ref: int, exposure: float = 1.0, exposure_ref: float = 1.0,
                     confidence: float = 0.95) -> RateRatio:
    """Rate ratio of two Poisson counts, exact conditional (binomial, Clopper–Pearson) interval.

    Conditional on n = count + count_ref, count ~ Binomial(n, π) with π = R·T / (R·T + T_ref). The Clopper–Pearson
    limits (π_L, π_U) give R = π/(1−π) · T_ref/T. This is the interval R's ``poisson.test(c(x, x_ref), c(T, T_ref))``
    reports. The p-value is the central one of the same conditional test (:func:`binomial_central_p`), not R's
    ``minlike`` p-value: the Clopper–Pearson interval inverts two one-sided tests at α/2, so only the central
    p-value agrees with it (p < α exactly when the interval excludes a ratio of 1); ``minlike`` can call a change
    significant whose interval includes no change, or the reverse, when the counts are small.

    Parameters
    ----------
    count, count_ref : int
        Events in the period of interest and in the reference period.
    exposure, exposure_ref : float
        Their exposures (residents, person-years); equal exposures compare the counts themselves.
    confidence : float

    Returns
    -------
    RateRatio

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). Biometrika 26, 404–413.
    Lehmann, E. L. & Romano, J. P. (2005). *Testing Statistical Hypotheses*, 3rd ed., §4.5 (comparing two Poisson
    means).

    Examples
    --------
    38 real-estate petitions this year against 58 last year (``docs/conventions.md``): a fall of 34 %, whose
    interval (R ``poisson.test(c(38, 58))``: 0.4234–1.0033) still includes no change.

    >>> rr = rate_ratio_exact(38, 58)
    >>> round(rr.ratio, 4), round(rr.change, 4), round(rr.ci_low, 4), round(rr.ci_high, 4), rr.distinguishable
    (0.6552, -0.3448, 0.4234, 1.0033, False)
    """
    conf = _check_confidence(confidence)
    x, y = int(count), int(count_ref)
    if x < 0 or y < 0 or x != count or y != count_ref:
        raise ValueError("counts must be non-negative integers")
    if exposure <= 0 or exposure_ref <= 0:
        raise ValueError("exposures must be positive")
    n = x + y
    if n == 0:
        return RateRatio(x, float(exposure), y, float(exposure_ref), np.nan, np.nan, np.nan, 1.0, conf)
    scale = exposure_ref / exposure
    p0 = exposure / (exposure + exposure_ref)
    test = stats.binomtest(x, n, p0)
    ci = test.proportion_ci(confidence_level=conf, method="exact")
    p_value = binomial_central_p(x, n, p0)
    lo = ci.low / (1 - ci.low) * scale if ci.low < 1 else np.inf
    hi = ci.high / (1 - ci.high) * scale if ci.high < 1 else np.inf
    ratio = (x / exposure) / (y / exposure_ref) if y > 0 else np.inf
    return RateRatio(x, float(exposure), y, float(exposure_ref), float(ratio), float(lo), float(hi),
                     p_value, conf)


def binomial_central_p(x: int, n: int, p0: float) -> float:
    """Central two-sided p-value of the exact binomial test of π = p0: min(1, 2·min(P(X ≤ x), P(X ≥ x))).

    The test the Clopper–Pearson interval inverts: for every p0, p < α exactly when p0 lies outside the
    (1 − α) interval (Fay 2010; R ``exactci::binom.exact(tsmethod = "central")``). R's ``binom.test`` and
    ``poisson.test`` report the ``minlike`` p-value instead (the sum of the probabilities not above P(X = x)),
    which can disagree with their own interval near the edge.

    References
    ----------
    Fay, M. P. (2010). Two-sided exact tests and matching confidence intervals for discrete data. *The R Journal*
    2(1), 53–58.
    """
    x, n = int(x), int(n)
    if not 0 <= x <= n:
        raise ValueError("x must lie between 0 and n")
    if not 0 <= p0 <= 1:
        raise ValueError("p0 must lie in [0, 1]")
    lower = float(stats.binom.cdf(x, n, p0))
    upper = float(stats.binom.sf(x - 1, n, p0))
    return min(1.0, 2.0 * min(lower, upper))


def describe_change(rr: RateRatio, *, what: str = "the count", language: str = "en", digits: int = 1) -> str:
    """One or two plain sentences on a change between two counts and whether it is distinguishable from none.

    Parameters
    ----------
    rr : RateRatio
        From :func:`rate_ratio_exact`.
    what : str
        What was counted, inserted into the sentence (e.g. "real-estate petitions", "涉地产信访件").
    language : {"en", "zh"}
    digits : int
        Decimals of the percentages.

    Returns
    -------
    str
    """
    from ..text.i18n import plain

    if language not in ("en", "zh"):
        raise ValueError("language must be 'en' or 'zh'")
    pct = 100 * rr.change
    lo, hi = (100 * v for v in rr.change_ci)
    level = f"{100 * rr.confidence:g}%"
    # the sentences are the catalogue's (resources/i18n/indicators.yaml); an English one starts with a capital
    names = {"what": what, "What": what.capitalize(), "ref": rr.count_ref, "count": rr.count}
    if not np.isfinite(rr.ratio):
        return plain("indicators.change.zero_reference", language, **names)
    direction = plain("indicators.change." + ("fell" if pct < 0 else "rose" if pct > 0 else "same"), language)
    basis = "" if np.isclose(rr.exposure, rr.exposure_ref) else plain("indicators.change.per_resident", language)
    head = plain("indicators.change.head", language, **names, basis=basis, direction=direction, pct=abs(pct), lo=lo,
                 hi=hi, level=level, digits=digits)
    tail = plain("indicators.change." + ("distinguishable" if rr.distinguishable else "not_distinguishable"),
                 language)
    return head + tail
