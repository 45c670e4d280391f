"""Grid-event indicators (网格事件): event rates, closure and on-time rates, time to close, callbacks, repeat events.

- Events per 10,000 residents by category, with exact (Garwood) Poisson intervals: events are a process rate.
- Closure rate (events reported in Y closed by the data cut-off / reported in Y) and on-time rate (events due in Y
  closed by ``deadline_at`` / events due in Y), with Wilson intervals.
- Time to close by Kaplan–Meier: events still open, or closed after the cut-off, are censored at the cut-off, never
  dropped (dropping them would make closing look faster than it is). Quantiles with R's intervals
  (:mod:`evaluation.indicators.survival`).
- Callback satisfaction among residents reached, with non-response (``not_reached``) shown as its own share, since a
  high satisfaction rate over a low contact rate says little.
- Repeat events: an event reported within ``window_days`` after a closed event in the same grid and category, a
  sign that the first closing did not solve the problem.

The data cut-off defaults to ``<report_year>-12-31 23:59:59`` (``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import DISTRICT, as_datetime, in_year, result_row, subset_communities, tidy
from .counting import count_by_community
from .intervals import wilson_interval
from .survival import ConfType, kaplan_meier, km_quantiles

__all__ = [
    "default_cutoff",
    "time_to_close_data",
    "events_closed",
    "event_rates",
    "closure_rates",
    "time_to_close",
    "time_to_close_curves",
    "callback_outcomes",
    "repeat_events",
    "grid_indicators",
]

CALLBACK_OUTCOMES = ("satisfied", "basically", "dissatisfied", "not_reached")


def default_cutoff(report_year: int) -> pd.Timestamp:
    """The data cut-off of ``docs/conventions.md``: the last second of the report year."""
    return pd.Timestamp(year=int(report_year), month=12, day=31, hour=23, minute=59, second=59)


def _cutoff(report_year: int, data_cutoff) -> pd.Timestamp:
    return default_cutoff(report_year) if data_cutoff is None else pd.Timestamp(data_cutoff)


def _closed_by(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    closed = as_datetime(events["closed_at"])
    return ((events["status"].astype(str) == "closed") & closed.notna() & (closed <= cutoff)).astype(bool)


def time_to_close_data(events: pd.DataFrame, data_cutoff) -> pd.DataFrame:
    """Hours from report to close (``event`` = 1) or to the cut-off (``event`` = 0) for each event.

    An event closed after the cut-off was still open at the cut-off, so it is censored there too. Events reported
    after the cut-off are left out.
    """
    cutoff = pd.Timestamp(data_cutoff)
    rep = as_datetime(events["reported_at"])
    closed = as_datetime(events["closed_at"])
    event = _closed_by(events, cutoff)
    end = closed.where(event, cutoff)
    hours = (end - rep).dt.total_seconds() / 3600.0
    out = pd.DataFrame({"event_id": events["event_id"], "community_id": events["community_id"].astype(str),
                        "category": events["category"].astype(str), "hours": hours, "event": event.astype(int)},
                       index=events.index)
    return out[rep <= cutoff]


def events_closed(events: pd.DataFrame, report_year: int, population: pd.DataFrame | None = None,
                  communities: Sequence[str] | None = None, per: float = 10000.0,
                  lineage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events with ``status == closed`` and ``closed_at`` in ``report_year`` (办结). Key: ``grid.events_closed.count``."""
    closed = events[(events["status"].astype(str) == "closed") & in_year(events["closed_at"], report_year)]
    return count_by_community(closed, "grid.events_closed", report_year, population, per=per,
                              communities=communities, what="events closed in the year", lineage=lineage)


def event_rates(events: pd.DataFrame, population: pd.DataFrame | None, report_year: int,
                communities: Sequence[str] | None = None, confidence: float = 0.95, per: float = 10000.0,
                by_category: bool = True, lineage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events reported in ``report_year`` per 10,000 residents, overall and by category, exact Poisson intervals.

    Key: ``grid.events_reported.count`` / ``.per_10k``; ``group`` holds the category (empty for all categories).
    """
    rep = events[in_year(events["reported_at"], report_year)]
    parts = [count_by_community(rep, "grid.events_reported", report_year, population, per=per,
                                communities=communities, poisson_ci=True, confidence=confidence,
                                what="events reported in the year", lineage=lineage)]
    if by_category:
        for cat in sorted(rep["category"].astype(str).unique()):
            parts.append(count_by_community(rep[rep["category"].astype(str) == cat], "grid.events_reported",
                                            report_year, population, per=per, communities=communities,
                                            poisson_ci=True, confidence=confidence, group=cat,
                                            what=f"events reported in the year, category {cat}", lineage=lineage))
    return pd.concat(parts, ignore_index=True)


def _wilson_rows(frame: pd.DataFrame, flag: str, key: str, year: int, label: str, note: str,
                 confidence: float, by_category: bool) -> list[dict]:
    rows = []
    groups = [(cid, "", g) for cid, g in frame.groupby("community_id")] + [(DISTRICT, "", frame)]
    if by_category:
        groups += [(DISTRICT, cat, g) for cat, g in frame.groupby("category")]
    for cid, grp, g in groups:
        w = wilson_interval(int(g[flag].sum()), len(g), confidence).iloc[0]
        rows.append(result_row(key, str(cid), year, w["proportion"], group=str(grp), se=w["se"], ci_low=w["ci_low"],
                               ci_high=w["ci_high"], n=w["successes"], denominator=len(g),
                               denominator_label=label, note=note))
    return rows


def closure_rates(events: pd.DataFrame, report_year: int, data_cutoff=None,
                  communities: Sequence[str] | None = None, confidence: float = 0.95,
                  by_category: bool = True) -> pd.DataFrame:
    """Closure rate and on-time rate with Wilson intervals.

    - ``grid.closure_rate.share``: events reported in Y closed by the data cut-off / events reported in Y.
    - ``grid.on_time_rate.share``: events whose ``deadline_at`` falls in Y that were closed by the deadline (and by
      the cut-off) / events due in Y. Events without a deadline are left out of this denominator.
    """
    cutoff = _cutoff(report_year, data_cutoff)
    ev = subset_communities(events, communities).copy()
    ev["community_id"] = ev["community_id"].astype(str)
    ev["category"] = ev["category"].astype(str)
    ev["_closed"] = _closed_by(ev, cutoff).astype(int)
    rows = _wilson_rows(ev[in_year(ev["reported_at"], report_year)], "_closed", "grid.closure_rate.share",
                        report_year, f"events reported in {report_year}",
                        f"closed by the cut-off {cutoff:%Y-%m-%d %H:%M}; Wilson CI", confidence, by_category)
    if "deadline_at" in ev.columns:
        due = ev[in_year(ev["deadline_at"], report_year)].copy()
        closed = as_datetime(due["closed_at"])
        due["_on_time"] = ((due["_closed"] == 1) & (closed <= as_datetime(due["deadline_at"]))).astype(int)
        rows += _wilson_rows(due, "_on_time", "grid.on_time_rate.share", report_year,
                             f"events with a deadline in {report_year}", "closed by deadline_at; Wilson CI",
                             confidence, by_category)
    return tidy(rows)


def time_to_close(events: pd.DataFrame, report_year: int, data_cutoff=None,
                  communities: Sequence[str] | None = None, by: Sequence[str] = ("community_id", "category"),
                  probs: Sequence[float] = (0.25, 0.5, 0.75), confidence: float = 0.95,
                  conf_type: ConfType = "log") -> pd.DataFrame:
    """Kaplan–Meier quantiles of hours from report to close for events reported in ``report_year``.

    Open events are censored at the data cut-off. The district row is always given; ``by`` adds one set of rows per
    community (``community_id``) and per category (``group``). Keys: ``grid.time_to_close.p25_hours``,
    ``.median_hours``, ``.p75_hours`` (the time by which 25 %, 50 %, 75 % of events were closed); the interval is
    R's ``quantile.survfit`` interval for ``conf_type`` (default "log", R's default). ``n`` is the number of events,
    ``denominator`` the number closed.
    """
    cutoff = _cutoff(report_year, data_cutoff)
    ev = subset_communities(events, communities)
    data = time_to_close_data(ev[in_year(ev["reported_at"], report_year)], cutoff)
    groups: list[tuple[str, str, pd.DataFrame]] = [(DISTRICT, "", data)]
    if "community_id" in by:
        groups += [(str(c), "", g) for c, g in data.groupby("community_id")]
    if "category" in by:
        groups += [(DISTRICT, str(c), g) for c, g in data.groupby("category")]
    rows = []
    for cid, grp, g in groups:
        q = km_quantiles(g["hours"], g["event"], probs, confidence, conf_type)
        for _, r in q.iterrows():
            name = "median_hours" if r["prob"] == 0.5 else f"p{round(100 * r['prob']):d}_hours"
            rows.append(result_row(f"grid.time_to_close.{name}", cid, report_year, r["quantile"], group=grp,
                                   ci_low=r["ci_low"], ci_high=r["ci_high"], n=r["n"], denominator=r["n_event"],
                                   denominator_label="events closed by the cut-off (the rest censored)",
                                   note=f"Kaplan–Meier, open events censored at {cutoff:%Y-%m-%d %H:%M}; "
                                        f"Greenwood CI ({conf_type}), as R survfit"))
    return tidy(rows)


def time_to_close_curves(events: pd.DataFrame, report_year: int, data_cutoff=None,
                         communities: Sequence[str] | None = None, by: str | None = "category",
                         confidence: float = 0.95, conf_type: ConfType = "log") -> pd.DataFrame:
    """Kaplan–Meier curves of time to close for events reported in ``report_year``, one per level of ``by``.

    Same data as :func:`time_to_close` (open events censored at the data cut-off). Each curve starts with a row at
    0 hours (S = 1) so that it can be drawn as a step function; ``closed_share`` = 1 − S is the share of events
    closed within ``hours``, with its pointwise interval (Greenwood, ``conf_type`` as R ``survfit``).

    Returns
    -------
    DataFrame
        ``group`` (level of ``by``; ``""`` for all events when ``by`` is None), ``hours``, ``n_risk``, ``n_event``,
        ``surv``, ``ci_low``, ``ci_high``, ``closed_share``, ``closed_ci_low``, ``closed_ci_high``, ``n`` (events in
        the group).
    """
    cutoff = _cutoff(report_year, data_cutoff)
    ev = subset_communities(events, communities)
    data = time_to_close_data(ev[in_year(ev["reported_at"], report_year)], cutoff)
    groups = [("", data)] if by is None else [(str(k), g) for k, g in data.groupby(by)]
    parts = []
    for grp, g in groups:
        km = kaplan_meier(g["hours"], g["event"], confidence, conf_type)
        start = pd.DataFrame({"time": [0.0], "n_risk": [float(len(g))], "n_event": [0.0], "surv": [1.0],
                              "std_err": [0.0], "ci_low": [1.0], "ci_high": [1.0]})
        km = pd.concat([start, km], ignore_index=True).rename(columns={"time": "hours"})
        km.insert(0, "group", grp)
        km["n"] = len(g)
        parts.append(km.drop(columns=["std_err"]))
    cols = ["group", "hours", "n_risk", "n_event", "surv", "ci_low", "ci_high", "n"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out["closed_share"] = 1.0 - out["surv"]
    out["closed_ci_low"] = 1.0 - out["ci_high"]
    out["closed_ci_high"] = 1.0 - out["ci_low"]
    return out.reset_index(drop=True)


def callback_outcomes(events: pd.DataFrame, report_year: int, communities: Sequence[str] | None = None,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Callback (回访) results of events closed in ``report_year``.

    - ``grid.callback.<outcome>.share`` for satisfied, basically, dissatisfied, not_reached and ``no_record``
      (closed events without a callback entry), each over all events closed in Y, so they add up to 1;
    - ``grid.callback.satisfaction_rate``: (satisfied + basically) / residents reached (satisfied + basically +
      dissatisfied), Wilson interval; read it next to ``not_reached.share``.
    """
    ev = subset_communities(events, communities)
    closed = ev[(ev["status"].astype(str) == "closed") & in_year(ev["closed_at"], report_year)].copy()
    closed["community_id"] = closed["community_id"].astype(str)
    cb = closed["callback"].astype("object") if "callback" in closed.columns else pd.Series(np.nan,
                                                                                          index=closed.index)
    closed["_cb"] = cb.where(cb.isin(CALLBACK_OUTCOMES), "no_record")
    rows = []
    groups = [(cid, g) for cid, g in closed.groupby("community_id")] + [(DISTRICT, closed)]
    for cid, g in groups:
        for outcome in (*CALLBACK_OUTCOMES, "no_record"):
            w = wilson_interval(int((g["_cb"] == outcome).sum()), len(g), confidence).iloc[0]
            rows.append(result_row(f"grid.callback.{outcome}.share", cid, report_year, w["proportion"], se=w["se"],
                                   ci_low=w["ci_low"], ci_high=w["ci_high"], n=w["successes"], denominator=len(g),
                                   denominator_label=f"events closed in {report_year}", note="Wilson CI"))
        reached = g["_cb"].isin(("satisfied", "basically", "dissatisfied"))
        sat = g["_cb"].isin(("satisfied", "basically"))
        w = wilson_interval(int(sat.sum()), int(reached.sum()), confidence).iloc[0]
        rows.append(result_row("grid.callback.satisfaction_rate", cid, report_year, w["proportion"], se=w["se"],
                               ci_low=w["ci_low"], ci_high=w["ci_high"], n=w["successes"],
                               denominator=int(reached.sum()),
                               denominator_label="residents reached at callback (not_reached excluded)",
                               note="(satisfied + basically) / reached; Wilson CI; see not_reached.share"))
    return tidy(rows)


def repeat_events(events: pd.DataFrame, report_year: int, window_days: float = 30.0, data_cutoff=None,
                  communities: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Share of events reported in Y that repeat a closed event: same ``grid_id`` and category, reported within
    ``window_days`` after the earlier event was closed (0 < reported_at − closed_at ≤ window).

    Earlier events closed in the previous year count too. Events without a ``grid_id`` are left out. Key:
    ``grid.repeat_events.share`` (Wilson interval).
    """
    if "grid_id" not in events.columns:
        return tidy([])
    cutoff = _cutoff(report_year, data_cutoff)
    window = pd.Timedelta(days=window_days)
    ev = events[events["grid_id"].notna()].copy()
    ev["grid_id"] = ev["grid_id"].astype(str)
    ev["category"] = ev["category"].astype(str)
    ev["community_id"] = ev["community_id"].astype(str)
    ev["_rep"] = as_datetime(ev["reported_at"])
    ev["_closed_at"] = as_datetime(ev["closed_at"]).where(_closed_by(ev, cutoff))
    target = subset_communities(ev[in_year(ev["reported_at"], report_year)], communities).copy()
    closings = ev[ev["_closed_at"].notna()].sort_values("_closed_at")
    lookup = {k: g["_closed_at"].to_numpy() for k, g in closings.groupby(["grid_id", "category"])}
    flags = np.zeros(len(target), dtype=int)
    for i, (gid, cat, rep) in enumerate(zip(target["grid_id"], target["category"], target["_rep"])):
        times = lookup.get((gid, cat))
        if times is None:
            continue
        j = np.searchsorted(times, np.datetime64(rep), side="left") - 1  # last closing strictly before rep
        if j >= 0 and (rep - pd.Timestamp(times[j])) <= window:
            flags[i] = 1
    target["_repeat"] = flags
    rows = _wilson_rows(target, "_repeat", "grid.repeat_events.share", report_year,
                        f"events reported in {report_year} with a grid_id",
                        f"same grid and category within {window_days:g} days after a closed event; Wilson CI",
                        confidence, by_category=True)
    return tidy(rows)


def grid_indicators(tables: dict[str, pd.DataFrame], report_year: int, data_cutoff=None,
                    communities: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Every grid-event indicator, stacked in the tidy layout (staff counts are in :mod:`.organisation`)."""
    if "grid_events" not in tables:
        return tidy([])
    ev, pop, lin = tables["grid_events"], tables.get("population"), tables.get("community_lineage")
    parts = [events_closed(ev, report_year, pop, communities, lineage=lin),
             event_rates(ev, pop, report_year, communities, confidence, lineage=lin),
             closure_rates(ev, report_year, data_cutoff, communities, confidence),
             time_to_close(ev, report_year, data_cutoff, communities, confidence=confidence),
             callback_outcomes(ev, report_year, communities, confidence),
             repeat_events(ev, report_year, data_cutoff=data_cutoff, communities=communities,
                           confidence=confidence)]
    return pd.concat(parts, ignore_index=True)
