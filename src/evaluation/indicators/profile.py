"""A community's profile: its indicators set against the district, its trend over the years, its survey results and
its events and petitions by category (notebook ``60_community_profile``).

Nothing here estimates anything new. The figures come from the indicator modules (:mod:`.organisation`,
:mod:`.participation`, :mod:`.grid`) and the survey engine (:func:`evaluation.survey.wave.wave_design` and
``SurveyDesign.by``, R ``svyby``); this module picks one community's rows, puts the district's beside them, ranks the
community among its peers with a confidence set for its rank (:mod:`.ranks`, never a bare rank), and states for
every figure how many cases it rests on, so the notebook can withhold cells below ``min_cell``
(:mod:`evaluation.privacy.suppression`).

Before the 2020 split the current communities did not exist: their trend before then is the figure of the legacy
community they came from (``community_lineage``), flagged ``carried``. For a rate or a mean that is the same
allocation :func:`evaluation.indicators.lineage.carry_to_current` makes (a rate is copied to every child); it is the
parent's figure, not an observation of the child.

References
----------
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, ch. 2–3 (domain means). Wiley.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28, 437–442.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *JASA* 22, 209–212.
Mogstad, M., Romano, J. P., Shaikh, A. M. & Wilhelm, D. (2024). Inference for ranks with applications to mobility
across neighbourhoods and academic achievement across countries. *Review of Economic Studies* 91(1), 476–518.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import stats

from ..data.lazy import ParquetTable
from ._common import DISTRICT, as_datetime, cutoff_of, default_cutoff, in_memory, in_year, tidy
from .grid import callback_outcomes, closure_rates, event_rates, repeat_events, time_to_close
from .organisation import organisation_indicators
from .participation import participation_indicators
from .petitions import comparison_cutoff
from .ranks import rank_intervals, se_from_interval

__all__ = [
    "PROFILE_INDICATORS",
    "SURVEY_ITEMS",
    "TREND_MEASURES",
    "SHARE_SUFFIXES",
    "current_communities",
    "source_community",
    "profile_indicators",
    "community_vs_district",
    "community_trend",
    "mask_small",
    "survey_profile",
    "category_counts",
    "suppressed_counts",
]

# Rates and shares comparable between a community and the district (counts are not: communities differ in size).
PROFILE_INDICATORS: tuple[str, ...] = (
    "organisation.part_time_committee_members.per_1k",
    "organisation.joint_meetings.per_1k",
    "organisation.community_workers.per_1k",
    "organisation.workers_certified.rate",
    "grid.staff.per_1k",
    "participation.volunteers_registered.per_100",
    "participation.volunteers_active.share",
    "participation.service_hours.per_capita",
    "participation.activities.per_1k",
    "participation.attendance.person_times_per_100",
    "participation.co_organised.share",
    "participation.csos_active.per_10k",
    "grid.events_reported.per_10k",
    "grid.closure_rate.share",
    "grid.on_time_rate.share",
    "grid.time_to_close.median_hours",
    "grid.callback.satisfaction_rate",
    "grid.repeat_events.share",
)

# The satisfaction index first, then the eight service items, the overall rating and the two participation flags.
SURVEY_ITEMS: tuple[str, ...] = (
    "satisfaction_index", "q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust",
    "q_belonging", "q_grid_service", "q_service_station", "q_overall", "q_participated_12m", "q_volunteered_12m",
)

TREND_MEASURES: tuple[str, ...] = ("events_per_10k", "on_time_rate", "satisfaction_index")

# Keys of the figures that are shares of their denominator (the cases behind them; shown as percentages).
SHARE_SUFFIXES: tuple[str, ...] = (".share", ".rate", "_rate")

T = TypeVar("T")

# Figures of every community that do not depend on the community profiled (the indicators of all communities, the
# district's yearly trend, the survey's domain means). ``jinlin profiles`` runs every community's notebook in one warm
# kernel (evaluation.run.kernel), so they are computed once per kernel and each profile gets a copy: without this,
# about two thirds of each profile's time went into recomputing the same district-wide figures 43 times. The key is
# the content of the tables read (:func:`_fingerprint`) and the parameters, so other or changed data are computed
# afresh and a profile's figures are exactly those of a fresh kernel.
_SHARED: OrderedDict[tuple, Any] = OrderedDict()
_SHARED_MAX = 16


class _NoFingerprint(Exception):
    """A table whose content :func:`_fingerprint` cannot identify."""


def _fingerprint(table: Any) -> Any:
    """What identifies a table's content: a DataFrame's columns, dtypes and a hash of every row and index value
    (``pandas.util.hash_pandas_object``: about 30 ms for 70,000 grid events); a Parquet table's files, sizes and
    modification times; None for None. Anything else (or a frame whose cells cannot be hashed) has no fingerprint
    (raises :class:`_NoFingerprint`), and its figures are computed afresh: an object's id may be reused by another
    object once it is freed, so it cannot key a cache."""
    if table is None:
        return None
    if isinstance(table, pd.DataFrame):
        try:
            rows = pd.util.hash_pandas_object(table, index=True).to_numpy()
        except TypeError:
            raise _NoFingerprint from None
        return (tuple(map(str, table.columns)), tuple(map(str, table.dtypes)), len(table),
                hashlib.sha256(rows.tobytes()).hexdigest())
    if isinstance(table, ParquetTable):
        try:
            return ("parquet", table.columns, tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                                                    for p in table.paths))
        except OSError:
            raise _NoFingerprint from None
    raise _NoFingerprint


def _copy(value: T) -> T:
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=True)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _shared(name: str, tables: Mapping[str, Any], params: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or a copy of its result for the same ``tables`` (by content) and ``params`` (see
    :data:`_SHARED`)."""
    try:
        key = (name, tuple(sorted((k, _fingerprint(v)) for k, v in tables.items())), params)
    except _NoFingerprint:
        return compute()
    if key in _SHARED:
        _SHARED.move_to_end(key)
    else:
        _SHARED[key] = compute()
        while len(_SHARED) > _SHARED_MAX:
            _SHARED.popitem(last=False)
    return _copy(_SHARED[key])


def current_communities(communities: pd.DataFrame) -> pd.DataFrame:
    """The communities that exist now (``valid_to`` empty), in id order, with ``community_id`` and ``name``.

    ``name`` is ``name_zh`` when the register has it, else the id.
    """
    cur = communities
    if "valid_to" in cur.columns:
        cur = cur[as_datetime(cur["valid_to"]).isna()]
    names = cur["name_zh"] if "name_zh" in cur.columns else cur["community_id"]
    out = pd.DataFrame({"community_id": cur["community_id"].astype(str).to_numpy(),
                        "name": names.astype("object").where(names.notna(), cur["community_id"]).astype(str)
                        .to_numpy()})
    return out.sort_values("community_id", kind="stable").reset_index(drop=True)


def source_community(lineage: pd.DataFrame | None, community_id: str, year: int) -> str | None:
    """Whose figures describe ``community_id`` in ``year``: itself, or before its creation its one parent (that
    parent's source in turn, up a chain of splits).

    Returns ``None`` when the community was formed from several legacy communities (no single parent's figure can
    stand for it) and ``year`` is before the split.
    """
    if lineage is None or len(lineage) == 0:
        return community_id
    # the rows that created the community: a split that keeps its code (C01 -> C01) does not
    rows = lineage[(lineage["to_id"].astype(str) == str(community_id))
                   & (lineage["from_id"].astype(str) != str(community_id))]
    if rows.empty:
        return community_id
    effective = as_datetime(rows["effective_date"]).dt.year.min()
    if pd.isna(effective) or int(year) >= int(effective):
        return community_id
    parents = rows["from_id"].astype(str).unique()
    if len(parents) != 1:
        return None
    # up a chain: before its parent existed, the parent's own source (C44 from C01 in 2023, C01 from L01 in 2020)
    return source_community(lineage, str(parents[0]), year)


def profile_indicators(tables: Mapping[str, pd.DataFrame], report_year: int, data_cutoff=None,
                       confidence: float = 0.95, n_resamples: int = 2000, seed: int = 20240101,
                       interval: str = "cluster") -> pd.DataFrame:
    """The indicators a profile shows, for every community and the district, in the tidy layout.

    Organisation and participation indicators as :func:`organisation_indicators` and
    :func:`participation_indicators` compute them; grid-event indicators as :func:`grid_indicators` does, without
    the by-category breakdowns (a profile compares totals; the categories are counted in :func:`category_counts`),
    which would make each profile notebook a second slower. Every community is computed, not only the profiled one,
    because the district figure and the community's rank need them all. ``interval`` chooses the district rows'
    intervals ("cluster", default: communities as clusters; "iid": Wilson, Garwood, Greenwood).
    """
    tables = dict(tables)
    cut = cutoff_of(report_year, data_cutoff)
    return _shared("profile_indicators", tables, (int(report_year), cut, confidence, n_resamples, seed, interval),
                   lambda: _all_indicators(tables, int(report_year), cut, confidence, n_resamples, seed, interval))


def _all_indicators(tables: dict[str, Any], report_year: int, cut: pd.Timestamp, confidence: float,
                    n_resamples: int, seed: int, interval: str) -> pd.DataFrame:
    parts = [organisation_indicators(tables, report_year, confidence=confidence, data_cutoff=cut, interval=interval),
             participation_indicators(tables, report_year, confidence=confidence, n_resamples=n_resamples,
                                      seed=seed, data_cutoff=cut, interval=interval)]
    if "grid_events" in tables:
        ev, pop, lin = tables["grid_events"], tables.get("population"), tables.get("community_lineage")
        parts += [event_rates(ev, pop, report_year, confidence=confidence, by_category=False, lineage=lin,
                              data_cutoff=cut, interval=interval),
                  closure_rates(ev, report_year, cut, confidence=confidence, by_category=False, interval=interval)]
        # a region's events may stay on disk: the grid functions read them there; only the report dates come here
        if in_year(in_memory(ev, ["reported_at"])["reported_at"], report_year, cut).any():
            parts.append(time_to_close(ev, report_year, cut, by=("community_id",), confidence=confidence,
                                       interval=interval, seed=seed))
        if "callback" in ev.columns:
            parts.append(callback_outcomes(ev, report_year, confidence=confidence, data_cutoff=cut,
                                           interval=interval))
        if "grid_id" in ev.columns:
            parts.append(repeat_events(ev, report_year, data_cutoff=cut, confidence=confidence, interval=interval))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else tidy([])


def _cases(indicator: str, n: float, denominator: float) -> float:
    """The respondents or cases a figure rests on: the denominator of a share, the numerator count otherwise."""
    return denominator if indicator.endswith(SHARE_SUFFIXES) else n


def community_vs_district(indicators: pd.DataFrame, community_id: str,
                          keys: Sequence[str] = PROFILE_INDICATORS,
                          peers: Sequence[str] | None = None, confidence: float = 0.95,
                          seed: int = 20241231) -> pd.DataFrame:
    """One community's indicators beside the district's, with its rank among its peers and a confidence set for it.

    Parameters
    ----------
    indicators : DataFrame
        Tidy indicator rows (:func:`profile_indicators`); only rows without a ``group`` are used.
    community_id : str
    keys : sequence of str
        Indicators to show, in this order; keys without a district row are left out.
    peers : sequence of str, optional
        Communities to rank among (default: every community with a row for the key, legacy ones included).
    confidence : float
        Level of the rank's confidence set.
    seed : int
        Seed of the max-t draws of :func:`evaluation.indicators.ranks.rank_intervals`.

    Returns
    -------
    DataFrame
        ``indicator``, ``community_value``, ``community_ci_low``, ``community_ci_high``, ``cases`` (respondents or
        cases behind the community's figure: the denominator of a share, the count otherwise; 0 when the community
        has no figure), ``district_value``, ``district_ci_low``, ``district_ci_high``, ``difference`` (community −
        district), ``peers_median``, ``rank`` (1 = highest value, ties share the best rank, as R
        ``rank(-x, ties.method = "min")``), ``rank_low`` and ``rank_high`` (the marginal confidence set for the
        community's rank, Mogstad et al. 2024, max-t: the places it cannot be told apart from) and ``n_peers``
        (peers with a value).

    The rank set takes each peer's SE from its interval ((high − low) / 2z, so that a share of 0 or 1 keeps the
    width of its Wilson interval), else its ``se``. A figure without SE or interval is a census (register counts,
    service hours per resident): its rank is exact, and only ties widen its set. A figure with an interval missing
    one limit (a median time to close whose band never reaches ½) has no usable SE: that peer is compared with
    nobody.
    """
    rows = indicators[indicators["group"].astype(str) == ""]
    rows = rows.assign(community_id=rows["community_id"].astype(str))
    peer_set = None if peers is None else {str(p) for p in peers} | {str(community_id)}
    out = []
    for key in keys:
        k = rows[rows["indicator"] == key]
        dist = k[k["community_id"] == DISTRICT]
        if dist.empty:
            continue
        d = dist.iloc[0]
        own = k[k["community_id"] == str(community_id)]
        c = own.iloc[0] if len(own) else None
        value = np.nan if c is None else float(c["value"])
        peer_rows = k[(k["community_id"] != DISTRICT)]
        if peer_set is not None:
            peer_rows = peer_rows[peer_rows["community_id"].isin(peer_set)]
        vals = peer_rows["value"].to_numpy(dtype="float64")
        vals = vals[np.isfinite(vals)]
        rank = rank_low = rank_high = np.nan
        if np.isfinite(value) and len(vals):
            rank = float(stats.rankdata(-np.append(vals, value), method="min")[-1])
            rank_low, rank_high = _rank_set(peer_rows, str(community_id), c, confidence, seed)
        out.append({
            "indicator": key,
            "community_value": value,
            "community_ci_low": np.nan if c is None else float(c["ci_low"]),
            "community_ci_high": np.nan if c is None else float(c["ci_high"]),
            "cases": 0.0 if c is None else float(np.nan_to_num(_cases(key, c["n"], c["denominator"]))),
            "district_value": float(d["value"]),
            "district_ci_low": float(d["ci_low"]),
            "district_ci_high": float(d["ci_high"]),
            "difference": value - float(d["value"]),
            "peers_median": float(np.median(vals)) if len(vals) else np.nan,
            "rank": rank,
            "rank_low": rank_low,
            "rank_high": rank_high,
            "n_peers": int(len(vals)),
        })
    cols = ["indicator", "community_value", "community_ci_low", "community_ci_high", "cases", "district_value",
            "district_ci_low", "district_ci_high", "difference", "peers_median", "rank", "rank_low", "rank_high",
            "n_peers"]
    return pd.DataFrame(out, columns=cols)


def _peer_se(rows: pd.DataFrame, confidence: float) -> np.ndarray:
    """SE of each peer's figure for the rank set (see :func:`community_vs_district`): the ``se`` column, else from
    the interval, 0 for a census figure (no SE, no limits), NaN when only one limit exists.

    The ``se`` column comes first because community survey intervals use t on the domain's degrees of freedom
    (t(9) = 2.26 rather than 1.96): an SE read back from their width as if normal would be ~15 % too large."""
    lo = rows["ci_low"].to_numpy(dtype="float64")
    hi = rows["ci_high"].to_numpy(dtype="float64")
    se = rows["se"].to_numpy(dtype="float64")
    from_ci = se_from_interval(lo, hi, confidence)
    census = np.isnan(se) & np.isnan(lo) & np.isnan(hi)
    return np.where(np.isfinite(se), se, np.where(np.isfinite(from_ci), from_ci, np.where(census, 0.0, np.nan)))


def _rank_set(peer_rows: pd.DataFrame, community_id: str, own, confidence: float, seed: int) -> tuple[float, float]:
    """The community's marginal rank set among ``peer_rows`` (itself included once)."""
    rows = peer_rows[peer_rows["community_id"] != community_id]
    if own is not None:
        rows = pd.concat([rows, own.to_frame().T], ignore_index=True)
    rows = rows[np.isfinite(rows["value"].to_numpy(dtype="float64"))]
    ranks = rank_intervals(rows["value"].to_numpy(dtype="float64"), _peer_se(rows, confidence), confidence,
                           seed=seed, n_draws=4000)
    last = ranks.iloc[-1]
    return float(last["rank_low"]), float(last["rank_high"])


def _domain_means(responses: pd.DataFrame, wave: int, variables: Sequence[str], confidence: float
                  ) -> pd.DataFrame:
    """Design-based means of ``variables`` by community and for the district in one wave
    (:func:`evaluation.survey.wave.wave_estimates` on the wave's uncalibrated design)."""
    from ..survey.wave import wave_design, wave_estimates

    wd = wave_design(responses, int(wave))
    answered = [v for v in variables if v in wd.design.data.columns and wd.design.data[v].notna().any()]
    if not answered:
        return pd.DataFrame(columns=["wave", "community_id", "variable", "statistic", "estimate", "se", "ci_low",
                                     "ci_high", "deff", "n"])
    est = wave_estimates(wd, answered, confidence=confidence)
    est = est.assign(community_id=est["community_id"].astype(str), n=est["n"].astype("float64"))
    return est[est["estimate"].notna()].reset_index(drop=True)


def community_trend(tables: Mapping[str, pd.DataFrame], community_id: str, last_year: int,
                    first_year: int | None = None, data_cutoff=None, confidence: float = 0.95,
                    interval: str = "cluster") -> pd.DataFrame:
    """The community's and the district's events per 10,000 residents, on-time rate and satisfaction index by year.

    The district's event rate and on-time rate take the communities as clusters (``interval="cluster"``, default;
    ``"iid"``: Garwood and Wilson), as in :mod:`evaluation.indicators.grid`; the community's keep Garwood and Wilson.

    - ``events_per_10k``: events reported in the year per 10,000 residents of that year, exact Poisson (Garwood)
      interval (:func:`evaluation.indicators.grid.event_rates`); ``n`` = events.
    - ``on_time_rate``: events due in the year closed by their deadline (and by the data cut-off) / events due,
      Wilson interval (:func:`evaluation.indicators.grid.closure_rates`); ``n`` = events due.
    - ``satisfaction_index``: the design-based mean of the wave (stratified cluster design with design weights,
      :func:`evaluation.survey.wave.wave_design`; domain means as R ``svyby``); ``n`` = respondents.

    Years before the community existed show its parent's figure (``source_id`` = the legacy id, ``carried`` True);
    see :func:`source_community`.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The district's tables (``grid_events``, ``population``, ``survey_responses``, ``community_lineage``; those
        missing are skipped).
    community_id : str
    last_year : int
        The report year.
    first_year : int, optional
        Default: the first year with events or a survey wave.
    data_cutoff : str or Timestamp, optional
        The data cut-off (default: end of ``last_year``): events reported after it are left out of every year, the
        on-time rate counts the events due by it, and a year it cuts short gets no events-per-resident point.
    confidence : float
    interval : {"cluster", "iid"}

    Returns
    -------
    DataFrame
        ``measure``, ``year``, ``area`` (``community`` | ``district``), ``source_id``, ``carried``, ``value``,
        ``ci_low``, ``ci_high``, ``n``.
    """
    lineage = tables.get("community_lineage")
    cutoff = cutoff_of(last_year, data_cutoff)
    ev, pop, survey = tables.get("grid_events"), tables.get("population"), tables.get("survey_responses")
    seen = []
    if ev is not None and len(ev):
        seen.append(int(as_datetime(in_memory(ev, ["reported_at"])["reported_at"]).dt.year.min()))
    if survey is not None and len(survey):
        seen.append(int(pd.to_numeric(survey["wave"]).min()))
    if first_year is None:
        first_year = min(seen) if seen else int(last_year)
    rows = []

    def add(measure: str, year: int, frame: pd.DataFrame, source: str | None, key_col: str = "community_id",
            value: str = "value", n: str = "n") -> None:
        for area, cid in (("community", source), ("district", DISTRICT)):
            if cid is None:
                continue
            hit = frame[frame[key_col].astype(str) == cid]
            if hit.empty:
                continue
            r = hit.iloc[0]
            if not (float(r[n]) > 0 and np.isfinite(float(r[value]))):
                continue  # nothing happened that year: no figure rather than a zero rate or an empty share
            rows.append({"measure": measure, "year": int(year), "area": area, "source_id": cid,
                         "carried": area == "community" and cid != str(community_id), "value": float(r[value]),
                         "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]), "n": float(r[n])})

    used = {"grid_events": ev, "population": pop, "survey_responses": survey}
    yearly = _shared("community_trend", used, (int(first_year), int(last_year), cutoff, confidence, interval),
                     lambda: _district_years(ev, pop, survey, int(first_year), int(last_year), cutoff, confidence,
                                             interval))
    for year, frames in yearly.items():
        source = source_community(lineage, community_id, year)
        for measure, frame in frames.items():
            if measure == "satisfaction_index":
                add(measure, year, frame, source, value="estimate")
            else:
                add(measure, year, frame, source)
    out = pd.DataFrame(rows, columns=["measure", "year", "area", "source_id", "carried", "value", "ci_low",
                                      "ci_high", "n"])
    order = {m: i for i, m in enumerate(TREND_MEASURES)}
    out = out.sort_values(["measure", "area", "year"], key=lambda s: s.map(order) if s.name == "measure" else s,
                          kind="stable")
    return out.reset_index(drop=True)


def _district_years(ev: Any, pop: pd.DataFrame | None, survey: pd.DataFrame | None, first_year: int, last_year: int,
                    cutoff: pd.Timestamp, confidence: float, interval: str) -> dict[int, dict[str, pd.DataFrame]]:
    """The trend's figures of every community and the district by year (:func:`community_trend` picks one
    community's rows): measure -> the indicator rows of that year."""
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for year in range(first_year, last_year + 1):
        frames: dict[str, pd.DataFrame] = {}
        if ev is not None and len(ev):
            # a year cut short by the cut-off would read as a fall in events per resident: no point for it
            if pop is not None and cutoff >= default_cutoff(year):
                r = event_rates(ev, pop, year, confidence=confidence, by_category=False, data_cutoff=cutoff,
                                interval=interval)
                frames["events_per_10k"] = r[r["indicator"] == "grid.events_reported.per_10k"]
            if "deadline_at" in ev.columns:
                r = closure_rates(ev, year, cutoff, confidence=confidence, by_category=False, interval=interval)
                frames["on_time_rate"] = r[r["indicator"] == "grid.on_time_rate.share"].assign(
                    n=lambda f: f["denominator"])
        if survey is not None and (pd.to_numeric(survey["wave"]) == year).any():
            frames["satisfaction_index"] = _domain_means(survey, year, ["satisfaction_index"], confidence)
        out[year] = frames
    return out


def mask_small(frame: pd.DataFrame, min_cell: int, n: str = "n",
               columns: Sequence[str] = ("value", "ci_low", "ci_high")) -> pd.DataFrame:
    """Blank the figures resting on fewer than ``min_cell`` cases (for charts, which cannot show a marker).

    Adds a bool column ``suppressed``; the blanked ``columns`` become NaN, so a line chart leaves a gap.
    """
    small = pd.to_numeric(frame[n], errors="coerce").fillna(0) < min_cell
    out = frame.copy()
    for c in columns:
        out[c] = out[c].astype("float64").mask(small)
    out["suppressed"] = small.to_numpy()
    return out


def survey_profile(responses: pd.DataFrame, community_id: str, wave: int,
                   items: Sequence[str] = SURVEY_ITEMS, confidence: float = 0.95) -> pd.DataFrame:
    """The community's survey results in one wave beside the district's: design-based means with intervals.

    Means of the 1–5 items, of the 0–10 overall rating, of the 0–100 satisfaction index, and of the 0/1 flags
    (i.e. shares), each over the respondents who answered it (R ``svyby(..., svymean, na.rm = TRUE)`` on the
    wave's stratified cluster design). Items absent from the data are left out.

    Returns
    -------
    DataFrame
        ``item``, ``community_mean``, ``community_ci_low``, ``community_ci_high``, ``respondents`` (community
        respondents who answered the item), ``district_mean``, ``district_ci_low``, ``district_ci_high``.
    """
    present = [i for i in items if i == "satisfaction_index" or i in responses.columns]
    m = _shared("survey_profile", {"survey_responses": responses}, (int(wave), tuple(present), confidence),
                lambda: _domain_means(responses, wave, present, confidence))
    rows = []
    for item in present:
        mi = m[m["variable"] == item]
        if mi.empty:
            continue
        c = mi[mi["community_id"] == str(community_id)]
        d = mi[mi["community_id"] == DISTRICT].iloc[0]
        rows.append({
            "item": item,
            "community_mean": float(c["estimate"].iloc[0]) if len(c) else np.nan,
            "community_ci_low": float(c["ci_low"].iloc[0]) if len(c) else np.nan,
            "community_ci_high": float(c["ci_high"].iloc[0]) if len(c) else np.nan,
            "respondents": float(c["n"].iloc[0]) if len(c) else 0.0,
            "district_mean": float(d["estimate"]),
            "district_ci_low": float(d["ci_low"]),
            "district_ci_high": float(d["ci_high"]),
        })
    return pd.DataFrame(rows, columns=["item", "community_mean", "community_ci_low", "community_ci_high",
                                       "respondents", "district_mean", "district_ci_low", "district_ci_high"])


def category_counts(records: pd.DataFrame, community_id: str, date_column: str, report_year: int,
                    comparison_year: int | None = None, category: str = "category",
                    total_label: str = "All", data_cutoff=None) -> pd.DataFrame:
    """Records (events, petitions) by category: the community's this year and in the comparison year, and the
    district's this year, with a total row labelled ``total_label``.

    With a ``data_cutoff`` inside the report year, this year counts the records up to the cut-off and the comparison
    year the same part of its year (:func:`evaluation.indicators.petitions.comparison_cutoff`).

    Every category seen in the district in either year gets a row (zeros included), so a missing row cannot hint
    at a count; the notebook withholds small counts with :func:`suppressed_counts`.

    Returns
    -------
    DataFrame
        ``category``, ``community_comparison``, ``community_report``, ``district_report`` (counts).
    """
    comparison_year = int(report_year) - 1 if comparison_year is None else int(comparison_year)
    records = in_memory(records, ["community_id", date_column, category])  # only these columns of a table on disk
    cut = cutoff_of(report_year, data_cutoff)
    dates = as_datetime(records[date_column])
    kept = ((dates.dt.year == int(report_year)) & (dates <= cut)) | \
        ((dates.dt.year == comparison_year) & (dates <= comparison_cutoff(report_year, comparison_year, cut)))
    # a record outside both periods gets no year, so it is counted nowhere
    year = dates.dt.year.where(kept)
    cat = records[category].astype("object").where(records[category].notna(), "").astype(str)
    own = records["community_id"].astype(str) == str(community_id)
    cats = sorted(set(cat[year.isin([report_year, comparison_year])]))

    def count(mask: pd.Series) -> pd.Series:
        return cat[mask].value_counts().reindex(cats, fill_value=0).astype("int64")

    out = pd.DataFrame({
        "category": cats,
        "community_comparison": count(own & (year == comparison_year)).to_numpy(),
        "community_report": count(own & (year == int(report_year))).to_numpy(),
        "district_report": count(year == int(report_year)).to_numpy(),
    })
    total = {"category": total_label, **{c: int(out[c].sum()) for c in out.columns if c != "category"}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def suppressed_counts(counts: pd.DataFrame, min_cell: int, index: str = "category",
                      total_label: str = "All") -> pd.DataFrame:
    """Withhold small counts column by column, each column a one-way table whose total (row ``total_label``) is
    published: primary cells below ``min_cell`` (zeros too) become ``"<min_cell"``, and complementary ones ``"—"``
    so that no withheld count is the total minus the others (:func:`evaluation.privacy.suppress_series`).
    """
    from ..privacy import suppress_series

    table = counts.set_index(index)
    out = pd.DataFrame(index=table.index)
    for c in table.columns:
        col = table[c].rename(index={total_label: "All"})
        out[c] = suppress_series(col, min_cell, total=True).to_numpy()
    return out.reset_index()
