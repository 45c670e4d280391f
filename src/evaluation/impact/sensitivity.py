"""Sensitivity of event-study estimates to violations of parallel trends, and pre-period placebo checks.

``pre_max_level_bounds`` is a plug-in bound on the LEVEL of the post-treatment violation of parallel trends: it is
assumed to be at most ``Mbar`` times the largest pre-treatment coefficient in absolute value. It is NOT the
relative-magnitudes set Delta^RM of Rambachan & Roth (2023), which bounds the period-to-period CHANGES of the
violation (so a violation may grow to (k + 1) Mbar S by event time k) and accounts for the sampling error of the
pre-period coefficients; that is :func:`evaluation.impact.honest.honest_did`, which the report uses. This bound is
kept as a quick, transparent plug-in for exploration only. Exactly what is computed, for a post-period event time
k:

    S        = max over pre-treatment event times s of |beta_s|          (largest pre-period "violation")
    B_k      = Mbar * S                  (or Mbar * S * (k + 1) with ``accumulate=True``)
    set_k    = [beta_k - B_k, beta_k + B_k]                               (identified set)
    CI_k     = [beta_k - B_k - z * se_k, beta_k + B_k + z * se_k]         (z = normal (1 + confidence)/2 quantile)
    Mbar*_k  = max(0, (|beta_k| - z * se_k) / (S * m_k))                  (breakdown: CI_k first touches 0;
                                                                            m_k = 1, or k + 1 if accumulating)

It treats S as known (no sampling error in the pre-period maximum) and does not use the pre/post covariance.
``accumulate=True`` lets the violation compound with each post period (the identified set of Delta^RM when the
pre-period coefficients are one-period changes, as with the varying base period), still without RR's inference.

``pre_period_placebo`` re-estimates the staggered DiD on pre-treatment data only, pretending each cohort
started ``shift`` periods early (a fake adoption date): a clearly non-zero placebo ATT signals differential
pre-trends or anticipation. ``anticipation_sensitivity`` re-estimates with 0, 1, ... periods of anticipation.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of Economic Studies*
90(5), 2555-2591.
Callaway, B. and Sant'Anna, P. H. C. (2021), Journal of Econometrics 225(2), 200-230 (anticipation).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.impact.staggered_did import staggered_did
from evaluation.results import ResultFrame

__all__ = ["pre_max_level_bounds", "pre_max_level_breakdown", "pre_period_placebo", "anticipation_sensitivity",
           "LevelBounds", "AnticipationSensitivity"]


class LevelBounds(ResultFrame):
    """:func:`pre_max_level_bounds` with the result protocol, keyed ``e<event time>_m<Mbar>``; the interval is the
    bound-widened confidence interval."""

    what = "result.what.sensitivity"

    def _terms(self, frame):
        return [f"e{e}_m{float(m):g}".replace(".", "_") for e, m in zip(frame["event_time"], frame["mbar"])]


class AnticipationSensitivity(ResultFrame):
    """:func:`anticipation_sensitivity` with the result protocol, keyed ``anticipation_<periods>``."""

    what = "result.what.sensitivity"
    key = "anticipation_{anticipation}"


def _split(event_study: pd.DataFrame, index: str):
    es = event_study[pd.to_numeric(event_study[index], errors="coerce").notna()].copy()
    es[index] = es[index].astype(float)
    pre = es[es[index] < 0]
    post = es[es[index] >= 0]
    if pre.empty:
        raise ValueError("no pre-treatment event times: the bound needs pre-period estimates")
    return pre, post


def pre_max_level_bounds(event_study: pd.DataFrame, mbar: float | Sequence[float] = 1.0, *,
                         confidence: float = 0.95, index: str = "event_time",
                         accumulate: bool = False) -> pd.DataFrame:
    """Plug-in sets and CIs for post-period effects when the violation's level is at most Mbar x the largest pre one.

    Not Rambachan-Roth's Delta^RM (see the module docstring and :func:`evaluation.impact.honest.honest_did`).

    Parameters
    ----------
    event_study : DataFrame
        Columns ``index`` (event time; non-numeric rows such as "overall" are ignored), ``estimate``, ``se``
        -- e.g. ``staggered_did(...).aggregate("dynamic")`` or ``twfe_event_study``.
    mbar : float or list of float
        Ratio of the largest allowed post-period violation to the largest pre-period one.
    confidence : float
        Coverage of the intervals around the identified sets.
    accumulate : bool
        Let the allowed violation grow linearly with event time (multiply by k + 1).

    Returns
    -------
    DataFrame
        event_time, mbar, estimate, se, max_pre_violation, bound, set_low, set_high, ci_low, ci_high,
        breakdown_mbar.

    References
    ----------
    The idea of Rambachan & Roth (2023), section 2.4, simplified as described in the module (not their method).
    """
    pre, post = _split(event_study, index)
    s = float(np.nanmax(np.abs(pre["estimate"].to_numpy(dtype=float))))
    alpha = 1 - confidence
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for m in np.atleast_1d(np.asarray(mbar, dtype=float)):
        if m < 0:
            raise ValueError("mbar must be non-negative")
        for _, r in post.iterrows():
            k = r[index]
            mult = (k + 1) if accumulate else 1.0
            b = m * s * mult
            est, se = float(r["estimate"]), float(r["se"])
            rows.append((int(k) if float(k).is_integer() else k, m, est, se, s, b, est - b, est + b,
                         est - b - z * se, est + b + z * se, _breakdown(est, se, s * mult, z)))
    return LevelBounds(rows, columns=["event_time", "mbar", "estimate", "se", "max_pre_violation", "bound",
                                       "set_low", "set_high", "ci_low", "ci_high", "breakdown_mbar"])


def _breakdown(est: float, se: float, unit_bound: float, z: float) -> float:
    margin = abs(est) - z * se
    if margin <= 0:
        return 0.0
    if unit_bound == 0:
        return float("inf")
    return margin / unit_bound


def pre_max_level_breakdown(event_study: pd.DataFrame, *, confidence: float = 0.95, index: str = "event_time",
                            accumulate: bool = False) -> pd.DataFrame:
    """Smallest Mbar at which each post-period CI of :func:`pre_max_level_bounds` includes zero (0 if already
    insignificant). Not Rambachan-Roth's breakdown value (:func:`evaluation.impact.honest.breakdown_m`).

    Returns
    -------
    DataFrame
        event_time, estimate, se, breakdown_mbar.
    """
    out = pre_max_level_bounds(event_study, 0.0, confidence=confidence, index=index, accumulate=accumulate)
    return out[["event_time", "estimate", "se", "breakdown_mbar"]]


def pre_period_placebo(data: pd.DataFrame, shift: int = 1, outcome: str = "y", unit: str = "community_id",
                       time: str = "year", cohort: str = "first_treat", **did_kwargs) -> pd.DataFrame:
    """Placebo ATT from pre-treatment data only, with each cohort's adoption moved ``shift`` periods earlier.

    Post-treatment observations of treated units are dropped, so the placebo cannot pick up the real effect;
    cohorts left without a pre-period are dropped by the estimator (with a warning).

    Returns
    -------
    DataFrame
        The ``simple`` aggregation of :func:`staggered_did` on the placebo data (one row, term "overall"),
        plus ``shift``.
    """
    if shift < 1:
        raise ValueError("shift must be at least one period")
    g = pd.to_numeric(data[cohort], errors="coerce").fillna(0.0)
    t = pd.to_numeric(data[time])
    periods = np.sort(t.unique())
    keep = (g == 0) | (t < g)
    d = data[keep.to_numpy()].copy()
    gd = g[keep.to_numpy()]
    # move adoption `shift` observed periods earlier
    pos = {p: i for i, p in enumerate(periods)}
    fake = gd.map(lambda v: 0.0 if v == 0 else (periods[pos[v] - shift] if v in pos and pos[v] - shift >= 0
                                                 else -np.inf))
    d[cohort] = fake.to_numpy()
    d = d[np.isfinite(d[cohort].to_numpy(dtype=float))]
    res = staggered_did(d, outcome=outcome, unit=unit, time=time, cohort=cohort, **did_kwargs)
    return res.aggregate("simple").assign(shift=shift)


def anticipation_sensitivity(data: pd.DataFrame, anticipations: Sequence[int] = (0, 1),
                             aggregation: str = "simple", **did_kwargs) -> pd.DataFrame:
    """Overall ATT re-estimated with each number of anticipation periods (Callaway & Sant'Anna 2021, sec. 3).

    Returns
    -------
    DataFrame
        anticipation, estimate, se, ci_low, ci_high (the "overall" row of the chosen aggregation).
    """
    rows = []
    for a in anticipations:
        agg = staggered_did(data, anticipation=a, **did_kwargs).aggregate(aggregation)
        rows.append({"anticipation": a, **agg.iloc[0, 1:].to_dict()})
    return AnticipationSensitivity(rows)
