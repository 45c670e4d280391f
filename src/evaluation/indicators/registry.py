"""The indicator registry: every grid, petition and activity indicator and every impact-panel outcome, declared once.

As :mod:`evaluation.data.contract` declares the tables, this module declares the indicators, as data: each
:class:`Indicator` has its dotted key (``docs/conventions.md``), contract table, kind, interval method, grouping, the
counting query, the definition in Chinese and English and the denominator. The query is SQL over ``{t}`` (the typed
rows of the table) with bound parameters (``$year``, ``$cutoff`` …); :mod:`evaluation.indicators.engine` runs it with
DuckDB over a registered DataFrame or over Parquet alike, so a definition is stated once and both forms of a table
give the same counts. What is done after the counting (Wilson, Poisson and cluster intervals, Kaplan–Meier, the
lineage carry, the ratio of a panel cell) is the function named in ``function``.

The table of keys in ``docs/conventions.md`` is generated from :data:`INDICATORS` (``docs/gen_conventions.py``), as
the data dictionary is generated from the contract; a test keeps it current.

Two definitions never share a name: the impact panel's ``impact.on_time_rate`` counts an event as on time exactly as
``grid.on_time_rate.share`` does (``status`` closed, ``closed_at`` by the deadline and by the cut-off, events due after
the cut-off left out); it differs only in its unit (community and year of the deadline, every year) and is named
apart for that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["Indicator", "INDICATORS", "indicator", "CLOSED_BY_CUTOFF", "IN_COMMUNITIES", "NO_CUTOFF", "WHITE_SPACE"]

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
Kind = Literal["count", "share", "rate", "mean", "quantile", "ratio"]

# An event is closed at the cut-off when its status says so and its closing is on or before the cut-off: an export
# with closed_at filled but status open/in_progress is open (the closing was reopened or not confirmed).
CLOSED_BY_CUTOFF = "coalesce(status = 'closed' AND closed_at IS NOT NULL AND closed_at <= $cutoff, false)"
# The community subset of a call: every community, or those listed.
IN_COMMUNITIES = "($all_communities OR list_contains($communities, CAST(community_id AS VARCHAR)))"
# Every character Python's str.isspace knows (bound as $space): DuckDB's one-argument trim strips only the ASCII
# space, and a cell of full-width spaces is as blank as one of plain spaces. The last of them is U+3000 (the
# ideographic space); scanning only up to it keeps this off every import (66 ms for all of Unicode), and a test
# holds it equal to the scan of all of Unicode.
WHITE_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# The cut-off bound when a panel has none: every record counts.
NO_CUTOFF = "9999-12-31 23:59:59"


@dataclass(frozen=True)
class Indicator:
    """One indicator (a family of ``results.json`` keys sharing one definition).

    ``key`` is the dotted key, or the stem its qualifiers extend (``grid.events_closed`` → ``.count``, ``.per_10k``,
    ``.per_community``: listed in ``qualifiers``). ``query`` counts, per ``grouping``, what the definition counts;
    :attr:`params` are the bound parameters it names. ``function`` is the dotted path of the public function that
    computes the figure from those counts.
    """

    key: str
    table: str
    kind: Kind
    interval: str
    grouping: tuple[str, ...]
    query: str
    en: str
    zh: str
    denominator: str
    function: str
    qualifiers: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        """The bound parameters the query names (``$year`` → ``year``), in order of first use."""
        return tuple(dict.fromkeys(_PARAM.findall(self.query)))

    @property
    def keys(self) -> tuple[str, ...]:
        """The full keys: ``key`` with each qualifier, or ``key`` itself."""
        return tuple(f"{self.key}.{q}" for q in self.qualifiers) or (self.key,)


_EVENTS = ("community_id", "category", "grid_id", "status", "callback", "reported_at", "deadline_at", "closed_at")
_GRID = "evaluation.indicators.grid"
_PET = "evaluation.indicators.petitions"
_PART = "evaluation.indicators.participation"
_PANEL = "evaluation.impact.panels.outcome_panel"
_CLUSTER_WILSON = "Wilson per community; district with the communities as clusters (svyciprop), or Wilson (iid)"
_CLUSTER_POISSON = "exact Poisson (Garwood) per community; district ratio with the communities as clusters " \
                   "(svyratio), or Garwood (iid)"
_REPORTED_BY_CUTOFF = "year(reported_at) = $year AND reported_at <= $cutoff"


def _flag(flag: str, date: str) -> str:
    return f"""SELECT community_id, CAST(category AS VARCHAR) AS category, count(*) AS trials,
       sum(CAST({flag} AS INTEGER)) AS successes
FROM {{t}} WHERE {IN_COMMUNITIES} AND year({date}) = $year AND {date} <= $cutoff GROUP BY ALL"""


_GRID_INDICATORS = (
    Indicator(
        "grid.events_closed", "grid_events", "count", "census (no sampling uncertainty)", ("community_id",),
        f"SELECT community_id, era AS reported_at, count(*) AS n FROM {{t}} "
        f"WHERE {CLOSED_BY_CUTOFF} AND year(closed_at) = $year GROUP BY ALL",
        "Events with status closed whose closed_at falls in Y, on or before the cut-off (办结).",
        "状态为已办结、办结时间在Y年内且不晚于数据截止时间的网格事件数（办结）。",
        "per_10k: resident_pop of Y / 10,000; per_community: communities", f"{_GRID}.events_closed",
        ("count", "per_10k", "per_community")),
    Indicator(
        "grid.events_reported", "grid_events", "rate", _CLUSTER_POISSON, ("community_id", "category"),
        f"SELECT community_id, CAST(category AS VARCHAR) AS category, era AS reported_at, count(*) AS n "
        f"FROM {{t}} WHERE {_REPORTED_BY_CUTOFF} GROUP BY ALL",
        "Events reported in Y up to the cut-off, overall and by category (group).",
        "Y年内截至数据截止时间上报的网格事件数，总计及分类别（group）。",
        "per_10k: resident_pop of Y / 10,000; per_community: communities", f"{_GRID}.event_rates",
        ("count", "per_10k", "per_community")),
    Indicator(
        "grid.closure_rate.share", "grid_events", "share", _CLUSTER_WILSON, ("community_id", "category"),
        _flag(CLOSED_BY_CUTOFF, "reported_at"),
        "Events reported in Y up to the cut-off that were closed (status closed) by the cut-off.",
        "Y年内截至数据截止时间上报的事件中，截止时已办结（状态为已办结）的比例。",
        "events reported in Y up to the cut-off", f"{_GRID}.closure_rates"),
    Indicator(
        "grid.on_time_rate.share", "grid_events", "share", _CLUSTER_WILSON, ("community_id", "category"),
        _flag(f"{CLOSED_BY_CUTOFF} AND coalesce(closed_at <= deadline_at, false)", "deadline_at"),
        "Events due (deadline_at) in Y by the cut-off that were closed (status closed) by the deadline; events "
        "without a deadline or due after the cut-off are left out.",
        "办理时限在Y年内且不晚于数据截止时间的事件中，在时限内办结（状态为已办结）的比例；无时限或时限晚于截止时间的事件不计。",
        "events with a deadline in Y up to the cut-off", f"{_GRID}.closure_rates"),
    Indicator(
        "grid.time_to_close", "grid_events", "quantile",
        "Kaplan–Meier with Greenwood (log) limits as R quantile.survfit; district by a community-cluster bootstrap",
        ("community_id", "category"),
        f"""SELECT community_id, CAST(category AS VARCHAR) AS category,
       CAST(epoch_us(CASE WHEN {CLOSED_BY_CUTOFF} THEN closed_at ELSE $cutoff END) - epoch_us(reported_at)
            AS DOUBLE) / 1e6 / 3600.0 AS hours,
       CAST({CLOSED_BY_CUTOFF} AS INTEGER) AS event
FROM {{t}} WHERE {IN_COMMUNITIES} AND {_REPORTED_BY_CUTOFF}""",
        "Hours from report to close of events reported in Y; events open at the cut-off (or closed after it) are "
        "censored at the cut-off. Quantiles p25, median, p75.",
        "Y年上报事件从上报到办结的小时数；截止时仍未办结（或截止后办结）的事件在截止时间删失。取25%、50%、75%分位数。",
        "events reported in Y (n); events closed by the cut-off (denominator)", f"{_GRID}.time_to_close",
        ("p25_hours", "median_hours", "p75_hours")),
    Indicator(
        "grid.callback", "grid_events", "share", _CLUSTER_WILSON, ("community_id", "outcome"),
        f"""SELECT community_id, CASE WHEN callback IN ('satisfied', 'basically', 'dissatisfied', 'not_reached')
       THEN CAST(callback AS VARCHAR) ELSE 'no_record' END AS outcome, count(*) AS n
FROM {{t}} WHERE {IN_COMMUNITIES} AND {CLOSED_BY_CUTOFF} AND year(closed_at) = $year GROUP BY ALL""",
        "Callback result of events closed in Y by the cut-off: each outcome's share of them (satisfied, basically, "
        "dissatisfied, not_reached, no_record); satisfaction_rate = (satisfied + basically) / residents reached.",
        "Y年截至数据截止时间办结事件的回访结果：各结果占办结事件的比例；满意率 =（满意 + 基本满意）/ 回访到的居民。",
        "events closed in Y; for satisfaction_rate the residents reached (not_reached excluded)",
        f"{_GRID}.callback_outcomes",
        ("satisfied.share", "basically.share", "dissatisfied.share", "not_reached.share", "no_record.share",
         "satisfaction_rate")),
    Indicator(
        "grid.repeat_events.share", "grid_events", "share", _CLUSTER_WILSON, ("community_id", "category"),
        f"""WITH closings AS (SELECT grid_id, CAST(category AS VARCHAR) AS category, closed_at AS closed_c
                  FROM {{t}} WHERE grid_id IS NOT NULL AND {CLOSED_BY_CUTOFF}),
     target AS (SELECT community_id, grid_id, CAST(category AS VARCHAR) AS category, reported_at
                FROM {{t}} WHERE grid_id IS NOT NULL AND {_REPORTED_BY_CUTOFF} AND {IN_COMMUNITIES})
SELECT t.community_id, t.category, count(*) AS trials,
       sum(CASE WHEN c.closed_c IS NOT NULL AND epoch_us(t.reported_at) - epoch_us(c.closed_c) <= $window_us
                THEN 1 ELSE 0 END) AS successes
FROM target AS t ASOF LEFT JOIN closings AS c
    ON t.grid_id = c.grid_id AND t.category = c.category AND t.reported_at > c.closed_c
GROUP BY ALL""",
        "Events reported in Y (with a grid_id) that follow a closed event of the same grid and category within the "
        "window (30 days) after its closing.",
        "Y年上报（有网格编号）的事件中，在同一网格同一类别的事件办结后窗口期（30天）内再次上报的比例。",
        "events reported in Y up to the cut-off with a grid_id", f"{_GRID}.repeat_events"),
)

_PETITIONS = ("community_id", "received_date", "category", "real_estate_related")
_RECEIVED = "year(received_date) = $year AND received_date <= $cutoff"
_HELD = "year(date) = $year AND date <= $cutoff"
# A text cell holds something when it is more than white space ($space = WHITE_SPACE).
_FILLED = "coalesce(trim(CAST({c} AS VARCHAR), $space) <> '', false)"
_LISTED = _FILLED.format(c="co_organisers")
_NON_GOVERNMENT = (_FILLED.format(c="organiser_type") + " AND NOT list_contains($government_labels, "
                   "lower(trim(CAST(organiser_type AS VARCHAR), $space)))")
_OTHER_INDICATORS = (
    Indicator(
        "petitions.received", "petitions", "rate", _CLUSTER_POISSON, ("community_id", "category"),
        f"SELECT community_id, CAST(category AS VARCHAR) AS category, received_date, count(*) AS n FROM {{t}} "
        f"WHERE {_RECEIVED} GROUP BY ALL",
        "Petitions received in Y up to the cut-off, overall and by category (group).",
        "Y年内截至数据截止时间受理的信访件数，总计及分类别（group）。",
        "per_10k: resident_pop of Y / 10,000; per_community: communities", f"{_PET}.petition_counts",
        ("count", "per_10k", "per_community"), columns=("community_id", "received_date", "category")),
    Indicator(
        "petitions.real_estate", "petitions", "rate", _CLUSTER_POISSON, ("community_id",),
        f"SELECT community_id, received_date, count(*) AS n FROM {{t}} "
        f"WHERE real_estate_related = 1 AND {_RECEIVED} GROUP BY ALL",
        "Petitions with real_estate_related = 1 received in Y up to the cut-off; count_prev the same for the "
        "comparison year up to the same date.",
        "Y年内截至数据截止时间受理的涉地产信访件（real_estate_related = 1）数；count_prev 为对比年份同期。",
        "per_10k: resident_pop of Y / 10,000; per_community: communities", f"{_PET}.petition_counts",
        ("count", "count_prev", "per_10k", "per_community"), columns=_PETITIONS),
    Indicator(
        "petitions.real_estate.yoy_change", "petitions", "ratio",
        "exact conditional (binomial) interval of the rate ratio, minus 1", (),
        f"SELECT count(*) AS n FROM {{t}} WHERE real_estate_related = 1 AND {_RECEIVED} AND {IN_COMMUNITIES}",
        "Real-estate petitions of Y over those of the comparison year (same part of the year), minus 1.",
        "Y年涉地产信访件数与对比年份同期之比减1。",
        "real-estate petitions of the comparison year", f"{_PET}.real_estate_change", columns=_PETITIONS),
    Indicator(
        "participation.activities", "activities", "count", "census (no sampling uncertainty)", ("community_id",),
        f"SELECT community_id, date, count(*) AS n FROM {{t}} WHERE {_HELD} GROUP BY ALL",
        "Activities held in Y up to the cut-off.", "Y年内截至数据截止时间举办的活动场次。",
        "per_1k: resident_pop of Y / 1,000; per_community: communities", f"{_PART}.activity_person_times",
        ("count", "per_1k", "per_community"), columns=("community_id", "date")),
    Indicator(
        "participation.attendance", "activities", "count", "census (no sampling uncertainty)", ("community_id",),
        f"SELECT community_id, date, sum(attendance) AS n FROM {{t}} WHERE {_HELD} GROUP BY ALL",
        "Σ attendance of the activities held in Y up to the cut-off: visits (person-times), not people.",
        "Y年内截至数据截止时间举办活动的参与人次之和（人次，不是人数）。",
        "person_times_per_100: resident_pop of Y / 100; person_times_per_community: communities",
        f"{_PART}.activity_person_times", ("person_times", "person_times_per_100", "person_times_per_community"),
        columns=("community_id", "date", "attendance")),
    Indicator(
        "participation.co_organised.share", "activities", "share", _CLUSTER_WILSON, ("community_id",),
        f"SELECT community_id, count(*) AS trials, sum(CAST(({_LISTED}) OR ({_NON_GOVERNMENT}) AS INTEGER)) "
        f"AS successes FROM {{t}} WHERE {IN_COMMUNITIES} AND {_HELD} GROUP BY ALL",
        "Activities of Y with a co-organiser listed or an organiser outside the government side (多元共治); a "
        "missing organiser type is not outside it.",
        "Y年活动中列有协办方或主办方不属于政府一方的比例（多元共治）；未填主办方类型的不算。",
        "activities held in Y up to the cut-off", f"{_PART}.co_organised_share",
        columns=("community_id", "date", "organiser_type", "co_organisers")),
    Indicator(
        "participation.co_organisers_listed.share", "activities", "share", _CLUSTER_WILSON, ("community_id",),
        f"SELECT community_id, count(*) AS trials, sum(CAST({_LISTED} AS INTEGER)) AS successes FROM {{t}} "
        f"WHERE {IN_COMMUNITIES} AND {_HELD} GROUP BY ALL",
        "Activities of Y with a co-organiser listed (whatever the organiser types are called).",
        "Y年活动中列有协办方的比例（与主办方类型如何标注无关）。",
        "activities held in Y up to the cut-off", f"{_PART}.co_organised_share",
        columns=("community_id", "date", "co_organisers")),
)

# The impact panels: per recorded community and year, numerator num, denominator den (0 for a per-resident rate,
# whose denominator is the population) and the records n behind the cell; outcome_panel carries them to the current
# communities and takes num / den. $cutoff is the panel's data cut-off (NO_CUTOFF without one).
_SURVEY_MEAN = """SELECT community_id, CAST(wave AS INTEGER) AS year, fsum(base_weight * y) AS num,
       fsum(base_weight) AS den, count(*)::DOUBLE AS n
FROM (SELECT community_id, wave, CAST(base_weight AS DOUBLE) AS base_weight, CAST({y} AS DOUBLE) AS y FROM {{t}})
WHERE y IS NOT NULL AND base_weight IS NOT NULL GROUP BY ALL"""
_PANEL_INDICATORS = (
    Indicator(
        "impact.satisfaction_index", "survey_responses", "mean", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "wave"), _SURVEY_MEAN.format(y="satisfaction_index"),
        "Community-wave mean over respondents (base weights) of the satisfaction index (0–100).",
        "社区-调查轮次内受访者（设计权数加权）满意度指数（0–100）的均值。",
        "Σ base weights of respondents with an index", _PANEL,
        columns=("community_id", "wave", "base_weight", "satisfaction_index")),
    Indicator(
        "impact.participation_rate", "survey_responses", "share", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "wave"), _SURVEY_MEAN.format(y="q_participated_12m"),
        "Community-wave mean over respondents (base weights) of q_participated_12m (took part in a community "
        "activity in the last 12 months).",
        "社区-调查轮次内受访者（设计权数加权）近12个月参加社区活动（q_participated_12m）的比例。",
        "Σ base weights of respondents who answered", _PANEL,
        columns=("community_id", "wave", "base_weight", "q_participated_12m")),
    Indicator(
        "impact.on_time_rate", "grid_events", "share", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "year(deadline_at)"),
        f"""SELECT community_id, year(deadline_at) AS year,
       sum(CAST({CLOSED_BY_CUTOFF} AND closed_at <= deadline_at AS INTEGER))::DOUBLE AS num,
       count(*)::DOUBLE AS den, count(*)::DOUBLE AS n
FROM {{t}} WHERE deadline_at IS NOT NULL AND deadline_at <= $cutoff AND reported_at <= $cutoff
    AND year(deadline_at) <= (SELECT max(year(reported_at)) FROM {{t}} WHERE reported_at <= $cutoff)
GROUP BY ALL""",
        "Events due (deadline_at) in the year that were closed (status closed) by the deadline, as "
        "grid.on_time_rate.share, per community and year; years after the last report are incomplete and left out, "
        "as are events due after the cut-off.",
        "办理时限在当年的事件中在时限内办结（状态为已办结）的比例，与 grid.on_time_rate.share 同一定义，按社区和年份；"
        "最后上报年份之后的年份不完整，不计；时限晚于截止时间的事件不计。",
        "events due in the year (by the cut-off)", _PANEL,
        columns=("community_id", "status", "reported_at", "deadline_at", "closed_at")),
    Indicator(
        "impact.log_time_to_close", "grid_events", "mean", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "year(reported_at)"),
        f"""SELECT community_id, year(reported_at) AS year,
       fsum(ln(greatest((epoch(closed_at) - epoch(reported_at)) / 3600, 1 / 60))) AS num,
       count(*)::DOUBLE AS den, count(*)::DOUBLE AS n
FROM {{t}} WHERE {CLOSED_BY_CUTOFF} AND reported_at <= $cutoff GROUP BY ALL""",
        "Mean log hours (at least one minute) from report to close of the events reported in the year and closed "
        "(status closed) by the cut-off.",
        "当年上报且截止时已办结（状态为已办结）事件从上报到办结小时数（至少1分钟）的对数均值。",
        "events reported in the year and closed", _PANEL,
        columns=("community_id", "status", "reported_at", "closed_at")),
    Indicator(
        "impact.real_estate_petitions_per_10k", "petitions", "rate", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "year(received_date)"),
        "SELECT community_id, year(received_date) AS year, 1e4 * count(*) AS num, 0.0 AS den, count(*)::DOUBLE AS n "
        "FROM {t} WHERE real_estate_related = 1 AND received_date <= $cutoff GROUP BY ALL",
        "Real-estate petitions received in the year per 10,000 residents.",
        "当年受理的涉地产信访件数，每万常住人口。",
        "resident_pop of the community and year / 10,000", _PANEL,
        columns=("community_id", "received_date", "real_estate_related")),
    Indicator(
        "impact.volunteer_rate", "volunteers", "rate", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "year"),
        """WITH v AS (SELECT community_id, year(registered) AS reg FROM {t} WHERE registered <= $cutoff),
     years AS (SELECT unnest(range((SELECT min(reg) FROM v), (SELECT max(reg) FROM v) + 1)) AS year)
SELECT v.community_id, years.year, 100.0 * count(*) AS num, 0.0 AS den, count(*)::DOUBLE AS n
FROM years JOIN v ON v.reg <= years.year GROUP BY ALL""",
        "Volunteers registered by the end of the year (a stock) per 100 residents.",
        "截至当年年底累计注册的志愿者人数，每百常住人口。",
        "resident_pop of the community and year / 100", _PANEL,
        columns=("community_id", "registered")),
    Indicator(
        "impact.activities_per_1k", "activities", "rate", "staggered DiD (Callaway–Sant'Anna)",
        ("community_id", "year(date)"),
        "SELECT community_id, year(date) AS year, 1e3 * count(*) AS num, 0.0 AS den, count(*)::DOUBLE AS n "
        "FROM {t} WHERE date <= $cutoff GROUP BY ALL",
        "Activities held in the year per 1,000 residents (years before the first record are unknown, not zero).",
        "当年举办的活动场次，每千常住人口（首条记录之前的年份视为未知，不是零）。",
        "resident_pop of the community and year / 1,000", _PANEL,
        columns=("community_id", "date")),
)

_GRID_INDICATORS = tuple(replace(i, columns=i.columns or _EVENTS) for i in _GRID_INDICATORS)

#: Every declared indicator, in the order of the conventions table.
INDICATORS: tuple[Indicator, ...] = (*_GRID_INDICATORS, *_OTHER_INDICATORS, *_PANEL_INDICATORS)

_BY_KEY = {i.key: i for i in INDICATORS}


def indicator(key: str) -> Indicator:
    """The indicator declared under ``key`` (a stem such as ``grid.events_closed`` or a full key such as
    ``grid.events_closed.per_10k``)."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    for i in INDICATORS:
        if key in i.keys:
            return i
    raise KeyError(f"no indicator {key!r}; known: {', '.join(_BY_KEY)}")
