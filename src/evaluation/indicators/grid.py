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

District figures over events (closure, on-time, callback and repeat shares, event counts and rates, quantiles of
the time to close) carry the between-community variation by default (``interval="cluster"``): events cluster within
communities, and the report reads these figures as the propensity of a process. Shares and rates take the
communities as primary sampling units (:func:`evaluation.indicators.intervals.cluster_proportion`,
``cluster_ratio``: R ``svyciprop``/``svyratio`` with ``ids = ~community``), Kaplan–Meier quantiles a community-cluster
bootstrap (:func:`evaluation.indicators.survival.km_quantiles_cluster_bootstrap`). On the synthetic district the
on-time rate's SE goes from 0.0024 (iid) to 0.0087, and the median time to close's interval from 25.8–26.8 h
(Greenwood) to 24.8–27.6 h (1,000 resamples, the default seed). ``interval="iid"`` keeps Wilson, Garwood and
Greenwood for a census reading of the year's events. Community rows keep Wilson, Garwood and Greenwood in both cases.

The data cut-off defaults to ``<report_year>-12-31 23:59:59`` (``docs/conventions.md``). Every figure sees the events
as they stood at the cut-off: an event reported after it is not in the data, and a closing after it has not happened
(the event is open, censored at the cut-off). So the events reported, closed, closed on callback and repeated are
those of the year up to the cut-off, and the on-time rate counts the events whose deadline in the year had passed by
the cut-off: an event due after the cut-off and still open is not yet late, and leaving out only those would keep the
early closers of the not-yet-due events in the rate and bias it upwards, so every event due after the cut-off is
left out of the on-time rate.

Every function takes the grid events as a DataFrame or, for a region too large for memory, as the
:class:`~evaluation.data.lazy.ParquetTable` the loader leaves on disk, and counts them the same way: each count
behind a figure (events by community and category, closed, on time, by callback outcome, repeats, and events by
time to close) is the registry's query (:mod:`evaluation.indicators.registry`, one statement of each definition) run
by DuckDB (:mod:`evaluation.indicators.engine`) over the registered DataFrame or the Parquet files. Only the small
finishing (Wilson, Poisson and cluster intervals, Kaplan–Meier curves from the counts by time) is done here. The
events are read once per call (:func:`_counts`): the rows that can enter a figure of the year go into a temporary
table, and every count is taken from it; :func:`grid_indicators` asks for all of them in that one pass. The
finishing is vectorised over communities (one interval call per figure, Kaplan–Meier quantiles of every community
from one set of sorted arrays), so that a region of thousands of communities costs seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from ..data.lazy import ParquetTable, sql_string
from . import engine
from .registry import indicator
from ._common import DISTRICT, as_datetime, cutoff_of, default_cutoff, result_row, tidy
from .counting import count_by_community
from .lineage import continuing_ids, splits
from .intervals import check_interval, district_share, wilson_interval
from .survival import ConfType, kaplan_meier_counts, km_quantiles_cluster_bootstrap, \
    km_quantiles_grouped

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


def _cutoff(report_year: int, data_cutoff) -> pd.Timestamp:
    return cutoff_of(report_year, data_cutoff)


def _period(report_year: int, cutoff: pd.Timestamp) -> str:
    """"2024", or "2024 up to the cut-off …" when the cut-off falls inside the year (labels of the default stay)."""
    if cutoff >= default_cutoff(report_year):
        return f"{report_year}"
    return f"{report_year} up to the cut-off {cutoff:%Y-%m-%d %H:%M}"


def _closed_by(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    closed = as_datetime(events["closed_at"])
    return ((events["status"].astype(str) == "closed") & closed.notna() & (closed <= cutoff)).astype(bool)


def _ts(value: pd.Timestamp) -> str:
    return f"TIMESTAMP '{pd.Timestamp(value):%Y-%m-%d %H:%M:%S.%f}'"


def _ids_as_text(out: pd.DataFrame) -> pd.DataFrame:
    """Ids and categories from DuckDB as plain strings, as the DataFrame path has them."""
    for c in ("community_id", "category", "outcome"):
        if c in out.columns:
            out[c] = out[c].astype(object)
    return out


_PARTS = ("closed", "reported", "closure", "on_time", "time", "callback", "repeat")


def _era_sql(lineage: pd.DataFrame | None) -> str:
    """For the counts carried by the lineage: a stand-in ``reported_at`` that places each event of a community
    keeping its code through a split before or after it (as :func:`evaluation.indicators.lineage.record_era`), NULL
    for the others, whose events are carried alike whatever their date."""
    keep = continuing_ids(lineage)
    if not keep:
        return "CAST(NULL AS TIMESTAMP)"
    sp = splits(lineage)
    cases = []
    for cid in sorted(keep):
        eff = sorted(pd.Timestamp(e) for e in sp.loc[sp["from_id"] == cid, "effective_date"].unique())
        inner = " ".join(f"WHEN reported_at < {_ts(e)} THEN {_ts(e - pd.Timedelta(days=1))}" for e in eff)
        cases.append(f"WHEN community_id = {sql_string(cid)} THEN CASE {inner} ELSE {_ts(eff[-1])} END")
    return f"CASE {' '.join(cases)} ELSE CAST(NULL AS TIMESTAMP) END"


def _counts(events: pd.DataFrame | ParquetTable, report_year: int, cutoff: pd.Timestamp,
            communities: Sequence[str] | None, parts: Collection[str], window: pd.Timedelta | None = None,
            lineage: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The counts behind the figures named in ``parts`` (see :data:`_PARTS`), by the registry's queries
    (:mod:`evaluation.indicators.registry`) run by the engine (:mod:`evaluation.indicators.engine`) over the events
    as a DataFrame or as Parquet alike.

    The rows that can enter a figure of the year (reported, due or closed in it, or closed within ``window`` before
    it: the earlier event of a repeat) are typed once into a DuckDB temporary table; each count is a registry query
    over that table, with the same conditions as over the whole table, so the counts are those of the whole table.
    Returns one DataFrame per part (``time`` gives four dicts of arrays, ``time_district``, ``time_community``,
    ``time_category`` and ``time_cluster``: events by group and hours to close, in that order). The counts the
    lineage carries (``closed``, ``reported``) come by era of ``reported_at`` when a community keeps its code
    through a split (:func:`_era_sql`).
    """
    src = engine.source(events, "grid_events")
    y = int(report_year)
    has_due, has_grid = "deadline_at" in src, "grid_id" in src
    start = pd.Timestamp(year=y, month=1, day=1)
    since = min(start, start - window) if window is not None and "repeat" in parts and has_grid else start
    # a closing enters a figure of the year when it falls in [since, end of the year]: closed in the year, or the
    # earlier event of a repeat reported in it
    keep = [_year_filter(src, "reported_at", y, y, "year({v}) = $year"),
            _year_filter(src, "closed_at", since.year, y, "{v} >= $since AND {v} < $next_year")]
    if has_due:
        keep.append(_year_filter(src, "deadline_at", y, y, "year({v}) = $year"))
    params = {"year": y, "cutoff": pd.Timestamp(cutoff), "since": since,
              "next_year": pd.Timestamp(year=y + 1, month=1, day=1),
              **engine.community_params(communities),
              "window_us": 0 if window is None else int(window / pd.Timedelta(microseconds=1))}
    queries: dict[str, str] = {}
    if "closed" in parts:
        queries["closed"] = indicator("grid.events_closed").query
    if "reported" in parts:
        queries["reported"] = indicator("grid.events_reported").query
    if "closure" in parts:
        queries["closure"] = indicator("grid.closure_rate.share").query
    if "on_time" in parts and has_due:
        queries["on_time"] = indicator("grid.on_time_rate.share").query
    if "callback" in parts:
        queries["callback"] = indicator("grid.callback").query
    if "repeat" in parts and has_grid:
        if window is None:
            raise ValueError("the repeat counts need the window")
        queries["repeat"] = indicator("grid.repeat_events.share").query
    con = engine.connect()
    try:
        engine.materialise(con, src, indicator("grid.closure_rate.share").columns, into="ev",
                           where=" OR ".join(keep), derived={"era": _era_sql(lineage)}, params=params)
        if "callback" not in src:
            con.execute("ALTER TABLE ev ADD COLUMN callback VARCHAR")
        if "deadline_at" not in src:
            con.execute("ALTER TABLE ev ADD COLUMN deadline_at TIMESTAMP")
        out = {name: _ids_as_text(engine.run(con, sql, "ev", params)) for name, sql in queries.items()}
        if "time" in parts:
            con.execute("CREATE TEMP TABLE tt AS " + indicator("grid.time_to_close").query.replace("{t}", "ev"),
                        engine.bound(indicator("grid.time_to_close").query, params))
            # in (group, hours) order, which the Kaplan–Meier pass then need not sort again
            by_time = "SELECT {g}hours, sum(event) AS n_event, count(*) AS n_total FROM tt GROUP BY ALL ORDER BY ALL"
            for name, g in (("time_district", ""), ("time_community", "community_id, "),
                            ("time_category", "category, "), ("time_cluster", "community_id, category, ")):
                out[name] = engine.run(con, by_time.format(g=g), "tt", arrays=True)
        return out
    finally:
        con.close()


def _year_filter(events: ParquetTable, column: str, first: int, last: int, condition: str) -> str:
    """``condition`` on the typed ``column`` (``{v}``), for a date whose year must lie in [first, last], behind a
    cheap test on the raw text that skips parsing the dates of other years.

    A canonical date is read with a format starting ``%Y-`` (:data:`~evaluation.data.lazy.ISO_FORMATS`), so a text
    whose fifth character is "-" has its year in the first four characters, and a year of four digits compares as
    text as it does as a number: a text of that shape whose first four characters lie outside [first, last] cannot
    be a date of those years. Any other text goes to the parser.
    """
    typed = f"({condition.format(v=events.typed_sql(column))})"
    raw = events.text_source(column)
    if raw is None or not (1000 <= first <= last <= 9999):
        return typed
    return f"((NOT ({raw} LIKE '____-%') OR substr({raw}, 1, 4) BETWEEN '{first:04d}' AND '{last:04d}') " \
           f"AND {typed})"


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
                  lineage: pd.DataFrame | None = None, data_cutoff=None) -> pd.DataFrame:
    """Events with ``status == closed`` and ``closed_at`` in ``report_year`` and on or before the data cut-off (办结).
    Keys: ``grid.events_closed.count`` / ``.per_10k`` / ``.per_community``."""
    cutoff = _cutoff(report_year, data_cutoff)
    agg = _counts(events, report_year, cutoff, None, ("closed",), lineage=lineage)["closed"]
    return _closed_from(agg, report_year, population, communities, per, lineage, cutoff)


def _what(words: str, report_year: int, cutoff: pd.Timestamp) -> str:
    return words if cutoff >= default_cutoff(report_year) else f"{words} up to the cut-off {cutoff:%Y-%m-%d %H:%M}"


def _closed_from(agg: pd.DataFrame, report_year: int, population: pd.DataFrame | None,
                 communities: Sequence[str] | None, per: float, lineage: pd.DataFrame | None,
                 cutoff: pd.Timestamp) -> pd.DataFrame:
    return count_by_community(agg, "grid.events_closed", report_year, population, per=per, weight="n",
                              communities=communities, what=_what("events closed in the year", report_year, cutoff),
                              lineage=lineage, date="reported_at")


def event_rates(events: pd.DataFrame, population: pd.DataFrame | None, report_year: int,
                communities: Sequence[str] | None = None, confidence: float = 0.95, per: float = 10000.0,
                by_category: bool = True, lineage: pd.DataFrame | None = None, data_cutoff=None,
                interval: str = "cluster") -> pd.DataFrame:
    """Events reported in ``report_year`` (up to the data cut-off) per 10,000 residents, overall and by category,
    exact Poisson intervals for communities; the district's with the communities as clusters (``interval="cluster"``)
    or Garwood (``"iid"``), see :func:`evaluation.indicators.counting.count_by_community`.

    Keys: ``grid.events_reported.count`` / ``.per_10k`` / ``.per_community``; ``group`` holds the category (empty
    for all categories).
    """
    cutoff = _cutoff(report_year, data_cutoff)
    # one row per community and category, counted by DuckDB; summing the weight n counts the events
    rep = _counts(events, report_year, cutoff, None, ("reported",), lineage=lineage)["reported"]
    return _rates_from(rep, "n", population, report_year, communities, confidence, per, by_category, lineage,
                       cutoff, interval)


def _rates_from(rep: pd.DataFrame, weight: str | None, population: pd.DataFrame | None, report_year: int,
                communities: Sequence[str] | None, confidence: float, per: float, by_category: bool,
                lineage: pd.DataFrame | None, cutoff: pd.Timestamp, interval: str = "cluster") -> pd.DataFrame:
    """:func:`event_rates` from the events reported in the year (or their counts, ``weight`` naming the count)."""
    parts = [count_by_community(rep, "grid.events_reported", report_year, population, per=per,
                                communities=communities, poisson_ci=True, confidence=confidence,
                                what=_what("events reported in the year", report_year, cutoff), lineage=lineage,
                                date="reported_at",
                                weight=weight, interval=interval)]
    if by_category:
        cats = rep["category"].astype(str)
        for cat in sorted(cats.unique()):
            parts.append(count_by_community(rep[cats == cat], "grid.events_reported",
                                            report_year, population, per=per, communities=communities,
                                            poisson_ci=True, confidence=confidence, group=cat,
                                            what=_what(f"events reported in the year, category {cat}",
                                                       report_year, cutoff), lineage=lineage, date="reported_at",
                                            weight=weight, interval=interval))
    return pd.concat(parts, ignore_index=True)


def _flag_counts(frame: pd.DataFrame, flag: str) -> pd.DataFrame:
    """Successes and trials of ``flag`` by community and category (the counts DuckDB gives for lazy events)."""
    g = frame.groupby(["community_id", "category"])[flag]
    return pd.DataFrame({"successes": g.sum(), "trials": g.size()}).reset_index()


def _wilson_rows(counts: pd.DataFrame, key: str, year: int, label: str, note: str, confidence: float,
                 by_category: bool, interval: str = "cluster") -> list[dict]:
    """Wilson rows per community, for the district and per category, from counts by community and category.

    With ``interval="cluster"`` the district rows (all categories and each category) get the interval with the
    communities as clusters (:func:`_district_share`) and their note says so in place of "Wilson CI"."""
    by_c = counts.groupby("community_id")[["successes", "trials"]].sum()
    cids = [str(c) for c in by_c.index] + [DISTRICT]
    grps = [""] * len(cids)
    x = [*by_c["successes"].astype("int64").tolist(), int(counts["successes"].sum())]
    n = [*by_c["trials"].astype("int64").tolist(), int(counts["trials"].sum())]
    if by_category:
        by_k = counts.groupby("category")[["successes", "trials"]].sum()
        cids += [DISTRICT] * len(by_k)
        grps += [str(k) for k in by_k.index]
        x += by_k["successes"].astype("int64").tolist()
        n += by_k["trials"].astype("int64").tolist()
    w = wilson_interval(x, n, confidence)
    p, se, lo, hi, succ = (w[c].to_numpy(copy=True) for c in ("proportion", "se", "ci_low", "ci_high", "successes"))
    notes = [note] * len(cids)
    if check_interval(interval) == "cluster":
        for i, (cid, grp) in enumerate(zip(cids, grps)):
            if cid != DISTRICT:
                continue
            part = counts if grp == "" else counts[counts["category"].astype(str) == grp]
            by = part.groupby("community_id")[["successes", "trials"]].sum()
            se[i], lo[i], hi[i], notes[i] = _district_share(by["successes"], by["trials"], confidence, note)
    return [result_row(key, cid, year, p[i], group=grp, se=se[i], ci_low=lo[i], ci_high=hi[i], n=succ[i],
                       denominator=n[i], denominator_label=label, note=notes[i])
            for i, (cid, grp) in enumerate(zip(cids, grps))]


def _district_share(successes, trials, confidence: float, note: str) -> tuple[float, float, float, str]:
    """SE, limits and note of a district share with the communities as clusters
    (:func:`evaluation.indicators.intervals.cluster_proportion`); "Wilson CI" in ``note`` becomes the cluster
    wording."""
    r = district_share(successes, trials, confidence, note)
    return r["se"], r["ci_low"], r["ci_high"], r["note"]


def closure_rates(events: pd.DataFrame, report_year: int, data_cutoff=None,
                  communities: Sequence[str] | None = None, confidence: float = 0.95,
                  by_category: bool = True, interval: str = "cluster") -> pd.DataFrame:
    """Closure rate and on-time rate with Wilson intervals for communities; for the district with the communities as
    clusters (``interval="cluster"``, default) or Wilson (``"iid"``). ``group`` holds the category (empty for all
    categories). Keys:

    - ``grid.closure_rate.share``: events reported in Y (up to the data cut-off) closed by the cut-off / events
      reported in Y up to the cut-off.
    - ``grid.on_time_rate.share``: events whose ``deadline_at`` falls in Y and had passed by the cut-off that were
      closed by the deadline (and by the cut-off) / those events. Events without a deadline, and events due after the
      cut-off (open ones are not yet late), are left out of this denominator.

    Examples
    --------
    Four events of 2024: three closed (one a day after its deadline) and one still open, due in 2025. Three of four
    are closed; two of the three due in 2024 were closed on time (the one due in 2025 is left out).

    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "community_id": ["C01", "C01", "C02", "C02"], "category": "sanitation",
    ...     "reported_at": pd.to_datetime(["2024-03-01 09:00", "2024-05-02 10:00", "2024-06-01 08:00",
    ...                                    "2024-12-30 08:00"]),
    ...     "deadline_at": pd.to_datetime(["2024-03-03 09:00", "2024-05-03 10:00", "2024-06-02 08:00",
    ...                                    "2025-01-02 08:00"]),
    ...     "closed_at": pd.to_datetime(["2024-03-02 09:00", "2024-05-04 10:00", "2024-06-01 12:00", None]),
    ...     "status": ["closed", "closed", "closed", "open"]})
    >>> rates = closure_rates(events, 2024, by_category=False, interval="iid")
    >>> rates[rates["community_id"] == "district"][["indicator", "n", "denominator", "value"]].values.tolist()
    [['grid.closure_rate.share', 3.0, 4.0, 0.75], ['grid.on_time_rate.share', 2.0, 3.0, 0.6666666666666666]]
    """
    cutoff = _cutoff(report_year, data_cutoff)
    c = _counts(events, report_year, cutoff, communities, ("closure", "on_time"))
    return _closure_from(c["closure"], c.get("on_time"), report_year, cutoff, confidence, by_category, interval)


def _closure_from(rep: pd.DataFrame, due: pd.DataFrame | None, report_year: int, cutoff: pd.Timestamp,
                  confidence: float, by_category: bool, interval: str = "cluster") -> pd.DataFrame:
    """:func:`closure_rates` from counts by community and category (``due`` None without deadlines)."""
    period = _period(report_year, cutoff)
    rows = _wilson_rows(rep, "grid.closure_rate.share", int(report_year), f"events reported in {period}",
                        f"closed by the cut-off {cutoff:%Y-%m-%d %H:%M}; Wilson CI", confidence, by_category,
                        interval)
    if due is not None:
        rows += _wilson_rows(due, "grid.on_time_rate.share", int(report_year),
                             f"events with a deadline in {period}", "closed by deadline_at; Wilson CI",
                             confidence, by_category, interval)
    return tidy(rows)


def _by_time(counts: pd.DataFrame, fn):
    """Call ``fn(time, n_event, n_total)`` on counts summed over everything but the time."""
    g = counts.groupby("hours")[["n_event", "n_total"]].sum().sort_index()
    return fn(g.index.to_numpy(dtype="float64"), g["n_event"].to_numpy(dtype="float64"),
              g["n_total"].to_numpy(dtype="float64"))


_QCOLS = ["community_id", "group", "prob", "quantile", "ci_low", "ci_high", "n", "n_event"]


def _quantiles_from_counts(c: dict, by: Sequence[str], probs: Sequence[float],
                           confidence: float, conf_type: ConfType) -> pd.DataFrame:
    """Kaplan–Meier quantiles for the district, each community and each category from counts by hours."""
    def grouped(frame: dict[str, np.ndarray], col: str | None) -> pd.DataFrame:
        labels = np.zeros(len(frame["hours"]), dtype=object) if col is None else frame[col].astype(object)
        return km_quantiles_grouped(labels, frame["hours"], frame["n_event"], frame["n_total"], probs, confidence,
                                    conf_type)

    dist = grouped(c["time_district"], None)
    if len(dist) == 0:  # no events: the district rows as the DataFrame path gives them (no curve, no quantile)
        dist = km_quantiles_grouped([0], [0.0], [0], [0], probs, confidence, conf_type)
    parts = [dist.assign(community_id=DISTRICT, group="")]
    if "community_id" in by:
        q = grouped(c["time_community"], "community_id")
        parts.append(q.assign(community_id=q["group"].astype(str), group=""))
    if "category" in by:
        q = grouped(c["time_category"], "category")
        parts.append(q.assign(community_id=DISTRICT, group=q["group"].astype(str)))
    return pd.concat(parts, ignore_index=True)[_QCOLS]


def time_to_close(events: pd.DataFrame, report_year: int, data_cutoff=None,
                  communities: Sequence[str] | None = None, by: Sequence[str] = ("community_id", "category"),
                  probs: Sequence[float] = (0.25, 0.5, 0.75), confidence: float = 0.95,
                  conf_type: ConfType = "log", interval: str = "cluster", n_resamples: int = 1000,
                  seed: int = 20241231) -> pd.DataFrame:
    """Kaplan–Meier quantiles of hours from report to close for events reported in ``report_year``.

    Open events are censored at the data cut-off. The district row is always given; ``by`` adds one set of rows per
    community (``community_id``) and per category (``group``). Keys: ``grid.time_to_close.p25_hours``,
    ``.median_hours``, ``.p75_hours`` (the time by which 25 %, 50 %, 75 % of events were closed); the interval is
    R's ``quantile.survfit`` interval for ``conf_type`` (default "log", R's default). ``n`` is the number of events,
    ``denominator`` the number closed.

    With ``interval="cluster"`` (default) the district rows (all events and each category) take the interval of a
    community-cluster bootstrap instead (:func:`evaluation.indicators.survival.km_quantiles_cluster_bootstrap`,
    ``n_resamples`` resamples of the communities, seeded by ``seed``): Greenwood treats the events as
    independent, while they cluster within communities. ``"iid"`` keeps Greenwood for the district too.
    """
    check_interval(interval)
    cutoff = _cutoff(report_year, data_cutoff)
    boot = None if interval == "iid" else (n_resamples, seed)
    c = _counts(events, report_year, cutoff, communities, ("time",))
    q = _quantiles_from_counts(c, by, probs, confidence, conf_type)
    return _time_rows(q, report_year, cutoff, conf_type,
                      None if boot is None else _cluster_quantiles(_arrays_frame(c["time_cluster"]), by, probs,
                                                                   confidence, *boot))


def _arrays_frame(arrays: dict) -> pd.DataFrame:
    return _ids_as_text(pd.DataFrame(arrays))


def _cluster_quantiles(counts: pd.DataFrame, by: Sequence[str], probs: Sequence[float], confidence: float,
                       n_resamples: int, seed: int) -> pd.DataFrame:
    """Community-cluster bootstrap limits of the district quantiles (all events, and each category when ``by``
    holds it) from events by community, category and hours (``n_event``, ``n_total``)."""
    counts = counts.assign(community_id=counts["community_id"].astype(str), category=counts["category"].astype(str))
    groups = [("", counts)]
    if "category" in by:
        groups += [(str(k), g) for k, g in counts.groupby("category", sort=True)]
    parts = []
    for grp, g in groups:
        if len(g) == 0:
            continue
        q = km_quantiles_cluster_bootstrap(g["community_id"].to_numpy(), g["hours"].to_numpy(),
                                           g["n_event"].to_numpy(), g["n_total"].to_numpy(), probs, confidence,
                                           n_resamples, seed)
        parts.append(q.assign(group=grp, n_resamples=n_resamples))
    cols = ["group", "prob", "ci_low", "ci_high", "clusters", "n_resamples"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _time_rows(q: pd.DataFrame, report_year: int, cutoff: pd.Timestamp, conf_type: ConfType,
               cluster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Result rows of the quantiles ``q``; the district rows take the bootstrap limits of ``cluster`` when given."""
    note = f"Kaplan–Meier, open events censored at {cutoff:%Y-%m-%d %H:%M}; " \
           f"Greenwood CI ({conf_type}), as R survfit"
    boot = {} if cluster is None else {(r.group, r.prob): r for r in cluster.itertuples(index=False)}
    rows = []
    for r in q.itertuples(index=False):
        name = "median_hours" if r.prob == 0.5 else f"p{round(100 * r.prob):d}_hours"
        lo, hi, note_r = r.ci_low, r.ci_high, note
        b = boot.get((r.group, r.prob)) if r.community_id == DISTRICT else None
        if b is not None:
            lo, hi = b.ci_low, b.ci_high
            note_r = f"Kaplan–Meier, open events censored at {cutoff:%Y-%m-%d %H:%M}; percentile CI of a " \
                     f"bootstrap of the {b.clusters} communities (clusters), {b.n_resamples} resamples"
        rows.append(result_row(f"grid.time_to_close.{name}", r.community_id, report_year, r.quantile, group=r.group,
                               ci_low=lo, ci_high=hi, n=r.n, denominator=r.n_event,
                               denominator_label="events closed by the cut-off (the rest censored)", note=note_r))
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
    agg = _arrays_frame(_counts(events, report_year, cutoff, communities, ("time",))["time_cluster"])
    groups = [("", agg)] if by is None else [(str(k), g) for k, g in agg.groupby(by)]
    curves = [(grp, _by_time(g, lambda t, d, m: kaplan_meier_counts(t, d, m, confidence, conf_type)),
               int(g["n_total"].sum())) for grp, g in groups]
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
                      confidence: float = 0.95, data_cutoff=None, interval: str = "cluster") -> pd.DataFrame:
    """Callback (回访) results of events closed in ``report_year`` (up to the data cut-off). Keys:

    - ``grid.callback.<outcome>.share`` for satisfied, basically, dissatisfied, not_reached and ``no_record``
      (closed events without a callback entry), each over all events closed in Y, so they add up to 1;
    - ``grid.callback.satisfaction_rate``: (satisfied + basically) / residents reached (satisfied + basically +
      dissatisfied), Wilson interval; read it next to ``not_reached.share``.

    District rows take the interval with the communities as clusters (``interval="cluster"``, default) or Wilson
    (``"iid"``).
    """
    check_interval(interval)
    cutoff = _cutoff(report_year, data_cutoff)
    counts = _counts(events, report_year, cutoff, communities, ("callback",))["callback"]
    return _callback_from(counts, report_year, confidence, cutoff, interval)


def _callback_from(counts: pd.DataFrame, report_year: int, confidence: float,
                   cutoff: pd.Timestamp, interval: str = "cluster") -> pd.DataFrame:
    """:func:`callback_outcomes` from closed events by community and outcome."""
    table = counts.pivot_table(index="community_id", columns="outcome", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=[*CALLBACK_OUTCOMES, "no_record"], fill_value=0).astype("int64")
    table.loc[DISTRICT] = table.sum(axis=0)  # after the communities, as the rows are listed
    total = table.sum(axis=1)
    sat = table["satisfied"] + table["basically"]
    reached = sat + table["dissatisfied"]
    specs = [(f"grid.callback.{o}.share", table[o], total) for o in (*CALLBACK_OUTCOMES, "no_record")]
    specs.append(("grid.callback.satisfaction_rate", sat, reached))
    share_label, share_note = f"events closed in {_period(report_year, cutoff)}", "Wilson CI"
    rate_label = "residents reached at callback (not_reached excluded)"
    rate_note = "(satisfied + basically) / reached; Wilson CI; see not_reached.share"
    # one vectorised Wilson call per key: communities × keys rows
    cols = []
    district = len(table.index) - 1
    for key, x, n in specs:
        w = wilson_interval(x.to_numpy(), n.to_numpy(), confidence)
        rate = key.endswith("satisfaction_rate")
        p, se, lo, hi, succ = (w[c].to_numpy(copy=True) for c in ("proportion", "se", "ci_low", "ci_high", "successes"))
        note = rate_note if rate else share_note
        notes = [note] * len(table.index)
        if interval == "cluster":
            se[district], lo[district], hi[district], notes[district] = _district_share(
                x.to_numpy()[:district], n.to_numpy()[:district], confidence, note)
        cols.append((key, p, se, lo, hi, succ, n.to_numpy(), rate_label if rate else share_label, notes))
    rows = []
    for i, cid in enumerate(table.index):
        for key, p, se, lo, hi, succ, n, label, notes in cols:
            rows.append(result_row(key, str(cid), report_year, p[i], se=se[i], ci_low=lo[i], ci_high=hi[i],
                                   n=succ[i], denominator=int(n[i]), denominator_label=label, note=notes[i]))
    return tidy(rows)


def repeat_events(events: pd.DataFrame, report_year: int, window_days: float = 30.0, data_cutoff=None,
                  communities: Sequence[str] | None = None, confidence: float = 0.95,
                  interval: str = "cluster") -> pd.DataFrame:
    """Share of events reported in Y that repeat a closed event: same ``grid_id`` and category, reported within
    ``window_days`` after the earlier event was closed (0 < reported_at − closed_at ≤ window).

    Earlier events closed in the previous year count too. Events without a ``grid_id`` are left out. Key:
    ``grid.repeat_events.share`` (Wilson interval; for the district rows the communities as clusters with
    ``interval="cluster"``, the default).
    """
    check_interval(interval)
    if "grid_id" not in events.columns:
        return tidy([])
    cutoff = _cutoff(report_year, data_cutoff)
    window = pd.Timedelta(days=window_days)
    counts = _counts(events, report_year, cutoff, communities, ("repeat",), window)["repeat"]
    return _repeat_from(counts, report_year, window_days, confidence, cutoff, interval)


def _repeat_from(counts: pd.DataFrame, report_year: int, window_days: float, confidence: float,
                 cutoff: pd.Timestamp, interval: str = "cluster") -> pd.DataFrame:
    """:func:`repeat_events` from repeats (successes) and events (trials) by community and category."""
    return tidy(_wilson_rows(counts, "grid.repeat_events.share", report_year,
                             f"events reported in {_period(report_year, cutoff)} with a grid_id",
                             f"same grid and category within {window_days:g} days after a closed event; Wilson CI",
                             confidence, by_category=True, interval=interval))


def grid_indicators(tables: dict[str, pd.DataFrame], report_year: int, data_cutoff=None,
                    communities: Sequence[str] | None = None, confidence: float = 0.95, interval: str = "cluster",
                    n_resamples: int = 1000, seed: int = 20241231) -> pd.DataFrame:
    """Every grid-event indicator, stacked in the tidy layout (staff counts are in :mod:`.organisation`).

    ``interval`` ("cluster", default, or "iid") chooses the district rows' intervals (module docstring);
    ``n_resamples`` and ``seed`` are those of the cluster bootstrap of the time-to-close quantiles.

    For grid events left on disk every count comes from one read of the Parquet files (:func:`_counts`).
    """
    if "grid_events" not in tables:
        return tidy([])
    ev, pop, lin = tables["grid_events"], tables.get("population"), tables.get("community_lineage")
    check_interval(interval)
    cutoff, window_days = _cutoff(report_year, data_cutoff), 30.0
    c = _counts(ev, report_year, cutoff, communities, _PARTS, pd.Timedelta(days=window_days), lin)
    by, probs = ("community_id", "category"), (0.25, 0.5, 0.75)
    cl = None if interval == "iid" else _cluster_quantiles(_arrays_frame(c["time_cluster"]), by, probs,
                                                           confidence, n_resamples, seed)
    parts = [_closed_from(c["closed"], report_year, pop, communities, 10000.0, lin, cutoff),
             _rates_from(c["reported"], "n", pop, report_year, communities, confidence, 10000.0, True, lin,
                         cutoff, interval),
             _closure_from(c["closure"], c.get("on_time"), report_year, cutoff, confidence, True, interval),
             _time_rows(_quantiles_from_counts(c, by, probs, confidence, "log"), report_year, cutoff, "log", cl),
             _callback_from(c["callback"], report_year, confidence, cutoff, interval)]
    if "repeat" in c:
        parts.append(_repeat_from(c["repeat"], report_year, window_days, confidence, cutoff, interval))
    return pd.concat(parts, ignore_index=True)
