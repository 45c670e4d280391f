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

Every function takes the grid events as a DataFrame or, for a region too large for memory, as the
:class:`~evaluation.data.lazy.ParquetTable` the loader leaves on disk. For the latter the counts behind each figure
(events by community and category, closed, on time, by callback outcome, repeats, and events by time to close) are
computed by DuckDB and only the small finishing (Wilson and Poisson intervals, Kaplan–Meier curves from the counts by
time) is done here, by the same code as for a DataFrame, so both give the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.lazy import ParquetTable, is_lazy, sql_string
from ._common import DISTRICT, as_datetime, in_year, result_row, subset_communities, tidy
from .counting import count_by_community
from .intervals import wilson_interval
from .survival import ConfType, kaplan_meier, kaplan_meier_counts, km_quantiles, km_quantiles_counts

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


def _ts(value: pd.Timestamp) -> str:
    return f"TIMESTAMP '{pd.Timestamp(value):%Y-%m-%d %H:%M:%S.%f}'"


def _in_communities(communities: Sequence[str] | None) -> str:
    if communities is None:
        return "true"
    return f"community_id IN ({', '.join(sql_string(str(c)) for c in communities) or 'NULL'})"


def _closed_by_sql(cutoff: pd.Timestamp) -> str:
    return f"coalesce(status = 'closed' AND closed_at IS NOT NULL AND closed_at <= {_ts(cutoff)}, false)"


def _counts(events: pd.DataFrame | ParquetTable, sql: str) -> pd.DataFrame:
    """Run an aggregate query over lazy events; ids and categories come back as plain strings."""
    out = events.query(sql)
    for c in ("community_id", "category", "outcome"):
        if c in out.columns:
            out[c] = out[c].astype(object)
    return out


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
    if is_lazy(events):
        agg = _counts(events, f"SELECT community_id, count(*) AS n FROM {{t}} WHERE status = 'closed' "
                              f"AND year(closed_at) = {int(report_year)} GROUP BY ALL")
        return count_by_community(agg, "grid.events_closed", report_year, population, per=per, weight="n",
                                  communities=communities, what="events closed in the year", lineage=lineage)
    closed = events[(events["status"].astype(str) == "closed") & in_year(events["closed_at"], report_year)]
    return count_by_community(closed, "grid.events_closed", report_year, population, per=per,
                              communities=communities, what="events closed in the year", lineage=lineage)


def event_rates(events: pd.DataFrame, population: pd.DataFrame | None, report_year: int,
                communities: Sequence[str] | None = None, confidence: float = 0.95, per: float = 10000.0,
                by_category: bool = True, lineage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events reported in ``report_year`` per 10,000 residents, overall and by category, exact Poisson intervals.

    Key: ``grid.events_reported.count`` / ``.per_10k``; ``group`` holds the category (empty for all categories).
    """
    if is_lazy(events):
        # one row per community and category, counted by DuckDB; summing the weight n counts the events
        rep = _counts(events, f"SELECT community_id, CAST(category AS VARCHAR) AS category, count(*) AS n "
                              f"FROM {{t}} WHERE year(reported_at) = {int(report_year)} GROUP BY ALL")
        weight = "n"
    else:
        rep, weight = events[in_year(events["reported_at"], report_year)], None
    parts = [count_by_community(rep, "grid.events_reported", report_year, population, per=per,
                                communities=communities, poisson_ci=True, confidence=confidence,
                                what="events reported in the year", lineage=lineage, weight=weight)]
    if by_category:
        for cat in sorted(rep["category"].astype(str).unique()):
            parts.append(count_by_community(rep[rep["category"].astype(str) == cat], "grid.events_reported",
                                            report_year, population, per=per, communities=communities,
                                            poisson_ci=True, confidence=confidence, group=cat,
                                            what=f"events reported in the year, category {cat}", lineage=lineage,
                                            weight=weight))
    return pd.concat(parts, ignore_index=True)


def _flag_counts(frame: pd.DataFrame, flag: str) -> pd.DataFrame:
    """Successes and trials of ``flag`` by community and category (the counts DuckDB gives for lazy events)."""
    g = frame.groupby(["community_id", "category"])[flag]
    return pd.DataFrame({"successes": g.sum(), "trials": g.size()}).reset_index()


def _wilson_rows(counts: pd.DataFrame, key: str, year: int, label: str, note: str, confidence: float,
                 by_category: bool) -> list[dict]:
    """Wilson rows per community, for the district and per category, from counts by community and category."""
    by_c = counts.groupby("community_id")[["successes", "trials"]].sum()
    groups = [(str(c), "", int(r["successes"]), int(r["trials"])) for c, r in by_c.iterrows()]
    groups.append((DISTRICT, "", int(counts["successes"].sum()), int(counts["trials"].sum())))
    if by_category:
        by_k = counts.groupby("category")[["successes", "trials"]].sum()
        groups += [(DISTRICT, str(k), int(r["successes"]), int(r["trials"])) for k, r in by_k.iterrows()]
    w = wilson_interval([g[2] for g in groups], [g[3] for g in groups], confidence)
    return [result_row(key, cid, year, w.at[i, "proportion"], group=grp, se=w.at[i, "se"], ci_low=w.at[i, "ci_low"],
                       ci_high=w.at[i, "ci_high"], n=w.at[i, "successes"], denominator=trials,
                       denominator_label=label, note=note)
            for i, (cid, grp, _, trials) in enumerate(groups)]


def closure_rates(events: pd.DataFrame, report_year: int, data_cutoff=None,
                  communities: Sequence[str] | None = None, confidence: float = 0.95,
                  by_category: bool = True) -> pd.DataFrame:
    """Closure rate and on-time rate with Wilson intervals.

    - ``grid.closure_rate.share``: events reported in Y closed by the data cut-off / events reported in Y.
    - ``grid.on_time_rate.share``: events whose ``deadline_at`` falls in Y that were closed by the deadline (and by
      the cut-off) / events due in Y. Events without a deadline are left out of this denominator.
    """
    cutoff = _cutoff(report_year, data_cutoff)
    y = int(report_year)
    rep_label, rep_note = f"events reported in {report_year}", f"closed by the cut-off {cutoff:%Y-%m-%d %H:%M}; Wilson CI"
    due_label, due_note = f"events with a deadline in {report_year}", "closed by deadline_at; Wilson CI"
    if is_lazy(events):
        base = f"SELECT community_id, CAST(category AS VARCHAR) AS category, count(*) AS trials, " \
               f"sum(CAST({{flag}} AS INTEGER)) AS successes FROM {{{{t}}}} WHERE {_in_communities(communities)} " \
               f"AND year({{date}}) = {y} GROUP BY ALL"
        closed = _closed_by_sql(cutoff)
        rep = _counts(events, base.format(flag=closed, date="reported_at"))
        rows = _wilson_rows(rep, "grid.closure_rate.share", y, rep_label,
                            rep_note, confidence, by_category)
        if "deadline_at" in events:
            due = _counts(events, base.format(flag=f"{closed} AND coalesce(closed_at <= deadline_at, false)",
                                              date="deadline_at"))
            rows += _wilson_rows(due, "grid.on_time_rate.share", y, due_label, due_note, confidence, by_category)
        return tidy(rows)
    ev = subset_communities(events, communities).copy()
    ev["community_id"] = ev["community_id"].astype(str)
    ev["category"] = ev["category"].astype(str)
    ev["_closed"] = _closed_by(ev, cutoff).astype(int)
    rows = _wilson_rows(_flag_counts(ev[in_year(ev["reported_at"], report_year)], "_closed"),
                        "grid.closure_rate.share", report_year, rep_label, rep_note, confidence, by_category)
    if "deadline_at" in ev.columns:
        due = ev[in_year(ev["deadline_at"], report_year)].copy()
        closed = as_datetime(due["closed_at"])
        due["_on_time"] = ((due["_closed"] == 1) & (closed <= as_datetime(due["deadline_at"]))).astype(int)
        rows += _wilson_rows(_flag_counts(due, "_on_time"), "grid.on_time_rate.share", report_year, due_label,
                             due_note, confidence, by_category)
    return tidy(rows)


def _time_counts(events: ParquetTable, report_year: int, cutoff: pd.Timestamp,
                 communities: Sequence[str] | None) -> pd.DataFrame:
    """Events reported in the year by community, category and hours to close (or to the cut-off), with the number
    closed: the data of :func:`time_to_close_data`, counted by DuckDB."""
    closed = _closed_by_sql(cutoff)
    end = f"CASE WHEN {closed} THEN closed_at ELSE {_ts(cutoff)} END"
    return _counts(events, f"""
        SELECT community_id, category, hours, count(*) AS n_total, sum(event) AS n_event FROM (
            SELECT community_id, CAST(category AS VARCHAR) AS category,
                   CAST(epoch_us({end}) - epoch_us(reported_at) AS DOUBLE) / 1e6 / 3600.0 AS hours,
                   CAST({closed} AS INTEGER) AS event
            FROM {{t}} WHERE {_in_communities(communities)} AND year(reported_at) = {int(report_year)}
                AND reported_at <= {_ts(cutoff)})
        GROUP BY ALL""")


def _by_time(counts: pd.DataFrame, fn):
    """Call ``fn(time, n_event, n_total)`` on counts summed over everything but the time."""
    g = counts.groupby("hours")[["n_event", "n_total"]].sum().sort_index()
    return fn(g.index.to_numpy(dtype="float64"), g["n_event"].to_numpy(dtype="float64"),
              g["n_total"].to_numpy(dtype="float64"))


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
    if is_lazy(events):
        agg = _time_counts(events, report_year, cutoff, communities)
        groups = [(DISTRICT, "", agg)]
        if "community_id" in by:
            groups += [(str(c), "", g) for c, g in agg.groupby("community_id")]
        if "category" in by:
            groups += [(DISTRICT, str(c), g) for c, g in agg.groupby("category")]
        quantiles = [(cid, grp, _by_time(g, lambda t, d, m: km_quantiles_counts(t, d, m, probs, confidence,
                                                                                conf_type)))
                     for cid, grp, g in groups]
    else:
        ev = subset_communities(events, communities)
        data = time_to_close_data(ev[in_year(ev["reported_at"], report_year)], cutoff)
        groups: list[tuple[str, str, pd.DataFrame]] = [(DISTRICT, "", data)]
        if "community_id" in by:
            groups += [(str(c), "", g) for c, g in data.groupby("community_id")]
        if "category" in by:
            groups += [(DISTRICT, str(c), g) for c, g in data.groupby("category")]
        quantiles = [(cid, grp, km_quantiles(g["hours"], g["event"], probs, confidence, conf_type))
                     for cid, grp, g in groups]
    rows = []
    for cid, grp, q in quantiles:
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
    if is_lazy(events):
        agg = _time_counts(events, report_year, cutoff, communities)
        groups = [("", agg)] if by is None else [(str(k), g) for k, g in agg.groupby(by)]
        curves = [(grp, _by_time(g, lambda t, d, m: kaplan_meier_counts(t, d, m, confidence, conf_type)),
                   int(g["n_total"].sum())) for grp, g in groups]
    else:
        ev = subset_communities(events, communities)
        data = time_to_close_data(ev[in_year(ev["reported_at"], report_year)], cutoff)
        groups = [("", data)] if by is None else [(str(k), g) for k, g in data.groupby(by)]
        curves = [(grp, kaplan_meier(g["hours"], g["event"], confidence, conf_type), len(g)) for grp, g in groups]
    parts = []
    for grp, km, n in curves:
        start = pd.DataFrame({"time": [0.0], "n_risk": [float(n)], "n_event": [0.0], "surv": [1.0],
                              "std_err": [0.0], "ci_low": [1.0], "ci_high": [1.0]})
        km = pd.concat([start, km], ignore_index=True).rename(columns={"time": "hours"})
        km.insert(0, "group", grp)
        km["n"] = n
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
    if is_lazy(events):
        outcome = "'no_record'" if "callback" not in events else \
            f"CASE WHEN callback IN ({', '.join(sql_string(o) for o in CALLBACK_OUTCOMES)}) THEN callback " \
            "ELSE 'no_record' END"
        counts = _counts(events, f"SELECT community_id, {outcome} AS outcome, count(*) AS n FROM {{t}} "
                                 f"WHERE {_in_communities(communities)} AND status = 'closed' "
                                 f"AND year(closed_at) = {int(report_year)} GROUP BY ALL")
    else:
        ev = subset_communities(events, communities)
        closed = ev[(ev["status"].astype(str) == "closed") & in_year(ev["closed_at"], report_year)].copy()
        closed["community_id"] = closed["community_id"].astype(str)
        cb = closed["callback"].astype("object") if "callback" in closed.columns else \
            pd.Series(np.nan, index=closed.index)
        closed["outcome"] = cb.where(cb.isin(CALLBACK_OUTCOMES), "no_record")
        counts = closed.groupby(["community_id", "outcome"]).size().rename("n").reset_index()
    table = counts.pivot_table(index="community_id", columns="outcome", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=[*CALLBACK_OUTCOMES, "no_record"], fill_value=0).astype("int64")
    table.loc[DISTRICT] = table.sum(axis=0)  # after the communities, as the rows are listed
    total = table.sum(axis=1)
    sat = table["satisfied"] + table["basically"]
    reached = sat + table["dissatisfied"]
    specs = [(f"grid.callback.{o}.share", table[o], total) for o in (*CALLBACK_OUTCOMES, "no_record")]
    specs.append(("grid.callback.satisfaction_rate", sat, reached))
    # one vectorised Wilson call per key: communities × keys rows
    w = {key: wilson_interval(x.to_numpy(), n.to_numpy(), confidence) for key, x, n in specs}
    rows = []
    for i, cid in enumerate(table.index):
        for key, _, n in specs:
            r = w[key].iloc[i]
            if key.endswith("satisfaction_rate"):
                label = "residents reached at callback (not_reached excluded)"
                note = "(satisfied + basically) / reached; Wilson CI; see not_reached.share"
            else:
                label, note = f"events closed in {report_year}", "Wilson CI"
            rows.append(result_row(key, str(cid), report_year, r["proportion"], se=r["se"], ci_low=r["ci_low"],
                                   ci_high=r["ci_high"], n=r["successes"], denominator=int(n.iloc[i]),
                                   denominator_label=label, note=note))
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
    if is_lazy(events):
        counts = _repeat_counts(events, report_year, window, cutoff, communities)
    else:
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
        counts = _flag_counts(target, "_repeat")
    rows = _wilson_rows(counts, "grid.repeat_events.share", report_year,
                        f"events reported in {report_year} with a grid_id",
                        f"same grid and category within {window_days:g} days after a closed event; Wilson CI",
                        confidence, by_category=True)
    return tidy(rows)


def _repeat_counts(events: ParquetTable, report_year: int, window: pd.Timedelta, cutoff: pd.Timestamp,
                   communities: Sequence[str] | None) -> pd.DataFrame:
    """Repeats by community and category, counted by DuckDB: an ASOF join finds, for each event reported in the
    year, the last closing strictly before it in the same grid and category."""
    closed = _closed_by_sql(cutoff)
    micros = int(window / pd.Timedelta(microseconds=1))
    return _counts(events, f"""
        WITH ev AS (SELECT community_id, grid_id, CAST(category AS VARCHAR) AS category, reported_at,
                           CASE WHEN {closed} THEN closed_at END AS closed_c
                    FROM {{t}} WHERE grid_id IS NOT NULL),
             closings AS (SELECT grid_id, category, closed_c FROM ev WHERE closed_c IS NOT NULL),
             target AS (SELECT * FROM ev WHERE year(reported_at) = {int(report_year)}
                        AND {_in_communities(communities)})
        SELECT t.community_id, t.category, count(*) AS trials,
               sum(CASE WHEN c.closed_c IS NOT NULL
                        AND epoch_us(t.reported_at) - epoch_us(c.closed_c) <= {micros} THEN 1 ELSE 0 END)
                   AS successes
        FROM target AS t ASOF LEFT JOIN closings AS c
            ON t.grid_id = c.grid_id AND t.category = c.category AND t.reported_at > c.closed_c
        GROUP BY ALL""")


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
