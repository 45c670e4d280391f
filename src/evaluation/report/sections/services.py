"""Notebook 30 (service outcomes): what it computes for a run, its display tables, its sentences and its records.

The figures come from :mod:`evaluation.indicators` (grid events, petitions, the 15-minute service circle) and the
interrupted time series from :func:`evaluation.impact.its.interrupted_time_series`; this module only chooses the
indicators a table shows and their formats, words the findings through the ``svc.`` keys of the catalogue
(``resources/i18n/services.yaml``) and gathers what the notebook records. :func:`compute` runs every estimator once,
so the notebook's cells only show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...impact.its import ITSResult, interrupted_time_series
from ...indicators import (RateRatio, active_at_year_end, adoption_share, as_datetime, community_table,
                           coverage_sensitivity, cross_table, district_rows, estimate_text, grid_indicators,
                           group_table, headline_figures, in_memory, its_finding, its_frame, monthly_series,
                           nearest_station, petition_counts, real_estate_change, service_coverage, stations_open,
                           time_to_close_curves, year_table, yoy_rate_ratio)
from ...params import RunParams
from ...text.i18n import plain, t
from ...text.numbers import p_text
from ..display import code_label
from ..record import tidy_to_records

__all__ = ["Services", "compute", "intro_texts", "grid_summary", "grid_by_category", "grid_records", "km_figure",
           "ttc_by_category", "ttc_by_community", "callback_summary", "callback_note", "petitions_by_year",
           "petitions_by_category", "petition_records", "yoy_summary", "yoy_texts", "yoy_records", "its_note",
           "its_caveat", "its_table", "its_texts", "its_figure", "its_records", "stations_table", "sensitivity_table",
           "coverage_by_community", "uncovered", "coverage_map", "circle_records"]

# the indicator rows of the district summaries: key, number format, catalogue key of the denominator in words
GRID = [("grid.events_reported.count", "{:,.0f}", None),
        ("grid.events_reported.per_10k", "{:,.1f}", "svc.den.residents"),
        ("grid.events_closed.count", "{:,.0f}", None),
        ("grid.closure_rate.share", "{:.1%}", "svc.den.reported"),
        ("grid.on_time_rate.share", "{:.1%}", "svc.den.due"),
        ("grid.repeat_events.share", "{:.1%}", "svc.den.with_grid"),
        ("grid.time_to_close.median_hours", "{:,.1f}", None)]
CALLBACK = [("grid.callback.satisfied.share", "{:.1%}", "svc.den.closed"),
            ("grid.callback.basically.share", "{:.1%}", "svc.den.closed"),
            ("grid.callback.dissatisfied.share", "{:.1%}", "svc.den.closed"),
            ("grid.callback.not_reached.share", "{:.1%}", "svc.den.closed"),
            ("grid.callback.no_record.share", "{:.1%}", "svc.den.closed"),
            ("grid.callback.satisfaction_rate", "{:.1%}", "svc.den.reached")]
YOY = [("petitions.real_estate.count", "{:,.0f}", None), ("petitions.real_estate.count_prev", "{:,.0f}", None),
       ("petitions.real_estate.yoy_change", "{:+.1%}", None),
       ("petitions.real_estate.rate_ratio_per_resident", "{:.3f}", None)]
# the ITS model: quasi-Poisson with the population as offset, a linear trend and two Fourier harmonics of the year
ITS_MODEL = dict(time="time", offset="exposure", family="quasipoisson", seasonality="fourier",
                 season="calendar_month", n_harmonics=2)
# the catalogue keys of the ITS chart's words
ITS_WORDS = {"observed": "svc.legend.observed", "fitted": "svc.legend.fitted",
             "counterfactual": "svc.legend.counterfactual", "intervention": "svc.legend.intervention",
             "exposure": "svc.legend.share", "exposure_axis": "svc.axis.share", "title": "svc.fig.its",
             "xlabel": "svc.axis.month", "ylabel": "svc.axis.petitions"}
# map markers of the station levels, largest first
STATION_MARKERS = (("district", "*", 160), ("street", "s", 70), ("community", "^", 40), ("estate", ".", 30))


@dataclass
class Services:
    """Every figure notebook 30 shows, computed once for a run (:func:`compute`); a part whose tables the district
    lacks is ``None`` (grid events, petitions, the ITS without a rollout table, the service circle)."""

    params: RunParams
    current: list[str]
    shown_ids: list[str]
    headline: dict[str, dict[str, Any]]
    lineage: pd.DataFrame | None = None
    grid: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None
    petitions: pd.DataFrame | None = None
    re_change: pd.DataFrame | None = None
    rr: RateRatio | None = None
    rr_pop: RateRatio | None = None
    its_data: pd.DataFrame | None = None
    its: ITSResult | None = None
    its_nw: ITSResult | None = None
    its_break: ITSResult | None = None
    coverage: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    near: pd.DataFrame | None = None
    stations: pd.DataFrame | None = None
    station_table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def level(self) -> str:
        """The confidence level as the sentences write it (``95%``)."""
        return f"{self.params.confidence:.0%}"


def compute(tables: dict[str, pd.DataFrame], params: RunParams) -> Services:
    """Run notebook 30's estimators on a district's tables for the run's parameters.

    District intervals take communities as clusters (``params.interval == "cluster"``: events cluster within
    communities, and the figures are read as the propensity of a process); ``"iid"`` gives Wilson, Garwood and
    Greenwood, the census reading. Time to close is Kaplan–Meier with open events censored at the data cut-off.
    The petitions' monthly series is always the whole district's, because pre-2020 petitions carry the old
    communities; its ITS takes the adopted share of communities as the exposure (communities adopt one after
    another, so a single district-wide break at ``its_intervention`` would date every adoption wrongly and is only
    the sensitivity analysis), with Newey–West errors beside the model's.
    """
    P, Y, C = params, params.report_year, params.communities
    comms = tables["communities"]
    current = comms.loc[comms["valid_to"].isna(), "community_id"].astype(str).tolist() if "valid_to" in comms else \
        comms["community_id"].astype(str).tolist()
    pop, lin = tables.get("population"), tables.get("community_lineage")
    # the headline keys compare Y with Y - 1 over the whole district
    out = Services(P, current, [c for c in current if C is None or c in C],
                   headline_figures(tables, Y, P.cutoff) if C is None else {}, lineage=lin)
    if "grid_events" in tables:
        out.grid = grid_indicators(tables, Y, P.cutoff, C, P.confidence, interval=P.interval, seed=P.seed)
        out.curves = time_to_close_curves(tables["grid_events"], Y, P.cutoff, C, "category", P.confidence)
    if "petitions" in tables:
        pet = tables["petitions"]
        first = int(as_datetime(in_memory(pet, ["received_date"])["received_date"]).dt.year.min())
        out.petitions = petition_counts(pet, pop, list(range(first, Y + 1)), C, True, P.confidence, lineage=lin,
                                        data_cutoff=P.cutoff)
        out.re_change = real_estate_change(pet, Y, P.comparison, pop, C, P.confidence, language=P.language,
                                           data_cutoff=P.cutoff)
        out.rr = yoy_rate_ratio(pet, Y, P.comparison, None, C, True, P.confidence, P.cutoff)
        out.rr_pop = yoy_rate_ratio(pet, Y, P.comparison, pop, C, True, P.confidence, P.cutoff)
        series = monthly_series(pet, pop, end=f"{Y}-12", data_cutoff=P.cutoff)
        if "programme_rollout" in tables:
            share = adoption_share(tables["programme_rollout"], comms, series["month"], data_cutoff=P.cutoff)
            data = out.its_data = its_frame(series, share, P.its_intervention)
            kw = dict(ITS_MODEL, confidence=P.confidence)
            out.its = interrupted_time_series(data, "count", dose="share", **kw)
            out.its_nw = interrupted_time_series(data, "count", dose="share", cov_type="newey_west", **kw)
            out.its_break = interrupted_time_series(data, "count", intervention="break", slope_change=True, **kw)
    if "residential_points" in tables and "service_stations" in tables:
        pts, st = tables["residential_points"], tables["service_stations"]
        distances = sorted({*P.distance_sensitivity, P.distance_m})
        out.coverage = service_coverage(pts, st, Y, P.distance_m, P.detour_factor, True, C, data_cutoff=P.cutoff)
        out.sensitivity = coverage_sensitivity(pts, st, Y, distances, sorted({1.0, 1.2, P.detour_factor, 1.5}), C,
                                               data_cutoff=P.cutoff)
        out.near = nearest_station(pts[pts["community_id"].astype(str).isin(out.shown_ids)], st, Y, P.detour_factor,
                                   data_cutoff=P.cutoff)
        out.stations = stations_open(st, Y, P.cutoff)
        out.station_table = st[active_at_year_end(st, "opened", "closed", Y)]
    return out


def intro_texts(params: RunParams) -> list[str]:
    """The opening paragraphs after the title and data notice: what the chapter shows at which confidence level and
    for which run, the community subset when there is one, and the data cut-off."""
    L, C = params.language, params.communities
    out = [t("svc.intro", L, level=f"{params.confidence:.0%}") + " "
           + t("run_params", L, year=params.report_year, min_cell=params.min_cell)]
    if C is not None:
        out.append(t("svc.subset", L, n=len(C), ids=", ".join(C)))
    return out + [t("svc.cutoff", L, cutoff=params.cutoff)]


def _summary(frame: pd.DataFrame, spec, lang: str, year: int) -> pd.DataFrame:
    """District rows as a display table: label, value with its interval, denominator in words."""
    rows = district_rows(frame, [k for k, _, _ in spec])
    fmt = {k: f for k, f, _ in spec}
    den = {k: d for k, _, d in spec}
    return pd.DataFrame({
        "svc_indicator": [code_label("svc.ind", k, lang) for k in rows["indicator"]],
        "svc_estimate": [estimate_text([v], [lo], [hi], fmt[k]).iloc[0] for k, v, lo, hi in
                         zip(rows["indicator"], rows["value"], rows["ci_low"], rows["ci_high"])],
        "svc_denominator": [t(den[k], lang, year=year, n=f"{d:,.0f}") if den[k] and np.isfinite(d) else ""
                            for k, d in zip(rows["indicator"], rows["denominator"])]})


def grid_summary(grid: pd.DataFrame, lang: str, year: int) -> pd.DataFrame:
    """Grid events of the district: reported (count and per 10,000 residents), closed, the closure, on-time and
    repeat rates and the median time to close, each with its interval and denominator."""
    return _summary(grid, GRID, lang, year)


def _with_category(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    table.insert(0, "svc_category", [code_label("svc.cat", g, lang) for g in table.pop("group")])
    return table


def grid_by_category(grid: pd.DataFrame, lang: str, min_cell: int) -> pd.DataFrame:
    """The grid-event rates by event category, cells resting on fewer than ``min_cell`` events withheld."""
    return _with_category(group_table(
        grid, {"svc_reported": "grid.events_reported.count", "svc_per_10k": "grid.events_reported.per_10k",
               "svc_closure": "grid.closure_rate.share", "svc_on_time": "grid.on_time_rate.share",
               "svc_repeat": "grid.repeat_events.share"}, min_cell,
        cases={"svc_closure": "denominator", "svc_on_time": "denominator", "svc_repeat": "denominator"},
        formats={"svc_reported": "{:,.0f}", "svc_per_10k": "{:,.1f}", "svc_closure": "{:.1%}",
                 "svc_on_time": "{:.1%}", "svc_repeat": "{:.1%}"},
        intervals=["svc_per_10k", "svc_closure", "svc_on_time", "svc_repeat"]), lang)


def grid_records(grid: pd.DataFrame, headline: dict[str, dict[str, Any]], min_cell: int) -> dict[str, dict]:
    """The grid figures to record; the headline comparison with the year before (its p-value, the n of both years)
    joins the closed-events count."""
    rec = tidy_to_records(grid, min_cell=min_cell)
    return {**rec, **{k: {**rec.get(k, {}), **v} for k, v in headline.items() if k.startswith("grid.events_closed")}}


def km_figure(curves: pd.DataFrame, lang: str, min_cell: int, ax=None):
    """Share of events closed against hours since reporting, one Kaplan–Meier curve per category with at least
    ``min_cell`` events, over the first two weeks."""
    from ..plots import kaplan_meier

    shown = curves.groupby("group")["n"].transform("first") >= min_cell
    return kaplan_meier(curves[shown], time="hours", estimate="closed_share",
                        labels={g: code_label("svc.cat", g, lang) for g in curves["group"].unique()},
                        xmax=24 * 14, xstep=48, title=t("svc.fig.km", lang), xlabel=t("svc.axis.hours", lang),
                        ylabel=t("svc.axis.closed_share", lang), ax=ax)


def ttc_by_category(grid: pd.DataFrame, lang: str, min_cell: int) -> pd.DataFrame:
    """Time to close by category: events, and the 25th, 50th and 75th percentiles of hours with their intervals."""
    return _with_category(group_table(
        grid, {"svc_events": ("grid.time_to_close.median_hours", "", "n"),
               "svc_p25": "grid.time_to_close.p25_hours", "svc_median": "grid.time_to_close.median_hours",
               "svc_p75": "grid.time_to_close.p75_hours"}, min_cell,
        formats={"svc_events": "{:,.0f}", "svc_p25": "{:,.1f}", "svc_median": "{:,.1f}", "svc_p75": "{:,.1f}"},
        intervals=["svc_p25", "svc_median", "svc_p75"]), lang)


def ttc_by_community(grid: pd.DataFrame, lang: str, min_cell: int, keep: list[str], columns: int = 3):
    """The median time to close by community, ``columns`` communities a row (43 rows would fill pages), as a
    Styler without index whose cells are escaped by the session's Styler setting."""
    by_c = community_table(grid, {"svc_events": ("grid.time_to_close.median_hours", "", "n"),
                                  "svc_median": "grid.time_to_close.median_hours"}, min_cell,
                           formats={"svc_events": "{:,.0f}", "svc_median": "{:,.1f}"}, intervals=["svc_median"],
                           keep=keep)
    k = int(np.ceil(len(by_c) / columns))
    names = {"community_id": t("col.community", lang), "svc_events": t("col.svc_events", lang),
             "svc_median": t("col.svc_median", lang)}
    parts = [by_c.iloc[i * k:(i + 1) * k].reset_index(drop=True).set_axis([f"{c}__{i}" for c in by_c.columns],
                                                                          axis=1) for i in range(columns)]
    wide = pd.concat(parts, axis=1).fillna("")
    wide.columns = [names[c.split("__")[0]] for c in wide.columns]
    return wide.style.hide(axis="index")


def callback_summary(grid: pd.DataFrame, lang: str, year: int) -> pd.DataFrame:
    """The callback outcomes of closed events (non-response shown as such) and the satisfaction rate among the
    residents reached."""
    return _summary(grid, CALLBACK, lang, year)


def callback_note(grid: pd.DataFrame, lang: str) -> str:
    """The sentence on non-response: how many closed events, the shares not reached and without a record, and the
    satisfaction rate among those reached with its interval."""
    cb = district_rows(grid, ["grid.callback.not_reached.share", "grid.callback.no_record.share",
                              "grid.callback.satisfaction_rate"]).set_index("indicator")
    rate = cb.loc["grid.callback.satisfaction_rate"]
    return t("svc.callback_note", lang, n=f"{cb.loc['grid.callback.not_reached.share', 'denominator']:,.0f}",
             not_reached=f"{cb.loc['grid.callback.not_reached.share', 'value']:.1%}",
             no_record=f"{cb.loc['grid.callback.no_record.share', 'value']:.1%}",
             rate=estimate_text([rate["value"]], [rate["ci_low"]], [rate["ci_high"]], "{:.1%}").iloc[0])


def petitions_by_year(petitions: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Petitions by year, all and real estate, as counts and per 10,000 residents with exact Poisson intervals."""
    return year_table(petitions, {"svc_all": "petitions.received.count",
                                  "svc_all_per_10k": "petitions.received.per_10k",
                                  "svc_re": "petitions.real_estate.count",
                                  "svc_re_per_10k": "petitions.real_estate.per_10k"}, min_cell,
                      formats={"svc_all": "{:,.0f}", "svc_all_per_10k": "{:.2f}", "svc_re": "{:,.0f}",
                               "svc_re_per_10k": "{:.2f}"}, intervals=["svc_all_per_10k", "svc_re_per_10k"])


def petitions_by_category(petitions: pd.DataFrame, lang: str, min_cell: int) -> pd.DataFrame:
    """Petition counts by category (rows, with the total) and year (columns), small cells withheld."""
    cats = cross_table(petitions, "petitions.received.count", min_cell=min_cell)
    cats.index = [code_label("svc.cat", g, lang) if g != "All" else t("svc.all", lang) for g in cats.index]
    cats = cats.map(lambda v: v if isinstance(v, str) else f"{v:,.0f}").rename(columns=str)
    return cats.rename_axis("svc_category").reset_index()


def petition_records(petitions: pd.DataFrame, year: int, min_cell: int) -> dict[str, dict]:
    """The petition figures of the report year to record."""
    return tidy_to_records(petitions[petitions["year"] == year], min_cell=min_cell)


def yoy_summary(re_change: pd.DataFrame, lang: str, year: int) -> pd.DataFrame:
    """Real-estate petitions of the report and comparison years, their change and the rate ratio per resident."""
    return _summary(re_change, YOY, lang, year)


def yoy_texts(s: Services) -> list[str]:
    """The year-on-year change in words: the counts, the change with its exact conditional interval, whether it can
    be told from no change (Clopper–Pearson on the binomial split of the two years' counts) and the ratio per
    resident, with a sentence reconciling the two when only the ratio per resident shows a fall."""
    P, rr, pop, L = s.params, s.rr, s.rr_pop, s.params.language
    return [t("svc.yoy_sentence", L, prev_year=P.comparison, prev=rr.count_ref, year=P.report_year, now=rr.count,
              pct=f"{rr.change:+.1%}", level=s.level, lo=f"{rr.change_ci[0]:+.1%}", hi=f"{rr.change_ci[1]:+.1%}"),
            t("svc.yoy_distinct" if rr.distinguishable else "svc.yoy_indistinct", L, level=s.level),
            t("svc.yoy_per_resident", L, ratio=f"{pop.ratio:.3f}", level=s.level, lo=f"{pop.ci_low:.3f}",
              hi=f"{pop.ci_high:.3f}")] + (
        # the counts cannot tell a fall from none, but per resident they can: the growth of the population is the
        # whole difference, and the reader is told so rather than left with two verdicts
        [t("svc.yoy_per_resident_differs", L, growth=f"{pop.exposure / pop.exposure_ref - 1:.1%}")]
        if pop.distinguishable and not rr.distinguishable and pop.ratio < 1 else [])


def yoy_records(s: Services) -> dict[str, dict]:
    """The year-on-year figures to record; when the comparison year is the year before, the headline fields
    (p-value, the n of both years) join them."""
    P = s.params
    rec = tidy_to_records(s.re_change, min_cell=P.min_cell)
    if P.comparison == P.report_year - 1:
        rec = {**rec, **{k: {**rec.get(k, {}), **v} for k, v in s.headline.items() if k.startswith("petitions.")}}
    return {**rec, "petitions.real_estate.yoy_distinguishable": {"value": s.rr.distinguishable,
                                                                 "p_value": s.rr.p_value}}


def _month(s: Services, i: int) -> str:
    return f"{s.its_data['month'].iloc[i]:%Y-%m}"


def _first_adoption(s: Services) -> int:
    return int(np.argmax(s.its_data["share"].to_numpy() > 0))


def its_note(s: Services) -> str:
    """What the ITS is fitted on: the first adoption month, the adopted share at the end, the months and the
    dispersion; with a community subset, that the ITS is still the whole district's."""
    L = s.params.language
    note = t("svc.its_note", L, first=_month(s, _first_adoption(s)), last_share=f"{s.its_data['share'].iloc[-1]:.0%}",
             n=s.its.n, dispersion=f"{s.its.dispersion:.2f}")
    return note + (" " + t("svc.its_subset", L) if s.params.communities is not None else "")


def _rr_text(e: dict[str, float], fmt: str = "{:.3f}") -> str:
    return estimate_text([e["rate_ratio"]], [e["rr_ci_low"]], [e["rr_ci_high"]], fmt).iloc[0]


def its_table(s: Services, lang: str) -> pd.DataFrame:
    """Rate ratios of the ITS: per unit of adopted share (with the Newey–West interval beside it), and the level and
    slope change of the single break (the sensitivity analysis)."""
    eff, nw = s.its.dose_effect, s.its_nw.dose_effect
    return pd.DataFrame({
        "svc_term": [t("svc.its.share", lang), t("svc.its.level", lang), t("svc.its.slope", lang)],
        "svc_estimate": [_rr_text(eff), _rr_text(s.its_break.effect_at_start),
                         _rr_text(s.its_break.slope_change, "{:.4f}")],
        "svc_its_nw": [f"{nw['rr_ci_low']:.3f}–{nw['rr_ci_high']:.3f}", "", ""]})


def its_caveat(s: Services) -> str:
    """The caveat that names what coincides with the first adoptions: a reorganisation of communities within a year
    of them (``community_lineage``) and the start of COVID-19 (2020)."""
    L, lin = s.params.language, s.lineage
    first_i = _first_adoption(s)
    first, first_ts = _month(s, first_i), s.its_data["month"].iloc[first_i]
    caveat = [t("svc.its_caveat", L)]
    if lin is not None and len(lin):
        eff_dates = pd.to_datetime(lin["effective_date"])
        reorg_dates = eff_dates[(eff_dates - first_ts).abs() <= pd.Timedelta(days=366)]
        if len(reorg_dates):
            reorg = reorg_dates.min()
            at = lin[eff_dates == reorg]
            caveat.append(t("svc.its_caveat_reorg", L, first=first, date=f"{reorg:%Y-%m-%d}",
                            old=at["from_id"].nunique(), new=at["to_id"].nunique()))
    if pd.Timestamp("2019-12-01") <= first_ts <= pd.Timestamp("2022-12-31"):
        caveat.append(t("svc.its_caveat_covid", L, first=first))
    return plain("punct.sentences", L).join(caveat)


def its_texts(s: Services) -> list[str]:
    """The ITS in words, after its table: the finding, the checks (Ljung–Box, Newey–West), the counterfactual band
    at the last month, the single break as the sensitivity analysis, and the caveat."""
    P, L, lvl = s.params, s.params.language, s.level
    eff, nw, lb = s.its.dose_effect, s.its_nw.dose_effect, s.its.autocorrelation
    start, slope = s.its_break.effect_at_start, s.its_break.slope_change
    autocorrelated = lb["p_value"] < 1 - P.confidence
    last = s.its.fitted.iloc[-1]
    at_break = int(np.argmax(s.its_data["break"].to_numpy() > 0))
    return [
        t(f"svc.its_finding.{its_finding(eff)}", L, rr=f"{eff['rate_ratio']:.3f}", level=lvl,
          lo=f"{eff['rr_ci_low']:.3f}", hi=f"{eff['rr_ci_high']:.3f}"),
        t("svc.its_checks", L, lags=lb["lags"], p=p_text(lb["p_value"]), level=lvl,
          verdict=plain("svc.its_autocorr.found" if autocorrelated else "svc.its_autocorr.none", L),
          nw_lags=s.its_nw.nw_lags, nw_lo=f"{nw['rr_ci_low']:.3f}", nw_hi=f"{nw['rr_ci_high']:.3f}"),
        t("svc.its_band", L, level=lvl, last=_month(s, len(s.its.fitted) - 1), cf=f"{last['counterfactual']:.1f}",
          lo=f"{last['cf_low']:.1f}", hi=f"{last['cf_high']:.1f}"),
        t("svc.its_break", L, date=P.its_intervention, k=round(s.its_data["share"].iloc[at_break] * len(s.current)),
          n_comm=len(s.current), rr=f"{start['rate_ratio']:.3f}", level=lvl, lo=f"{start['rr_ci_low']:.3f}",
          hi=f"{start['rr_ci_high']:.3f}", slope=f"{slope['rate_ratio']:.4f}", slo=f"{slope['rr_ci_low']:.4f}",
          shi=f"{slope['rr_ci_high']:.4f}"),
        its_caveat(s)]


def its_figure(s: Services, ax=None):
    """Monthly petitions: observed, the fitted ITS, the counterfactual without adoption with its band over the
    adopted months, the single-break date, and the adopted share on a second axis."""
    from ..plots import interrupted_series

    cf = s.its.fitted
    fit = pd.DataFrame({"month": pd.to_datetime(s.its_data["month"]).to_numpy(), "observed": cf["observed"],
                        "fitted": cf["fitted"], "estimate": cf["counterfactual"], "ci_low": cf["cf_low"],
                        "ci_high": cf["cf_high"], "exposure": s.its_data["share"].to_numpy()})
    words = {part: t(key, s.params.language) for part, key in ITS_WORDS.items()}
    return interrupted_series(fit, intervention=pd.Timestamp(s.params.its_intervention), words=words, ax=ax)


def its_records(s: Services) -> dict[str, dict]:
    """The ITS figures to record: the rate ratio per unit of adopted share (with its finding and the Newey–West
    interval), Ljung–Box, the dispersion and the single break's level and slope change."""
    eff, nw, lb, brk = s.its.dose_effect, s.its_nw.dose_effect, s.its.autocorrelation, s.its_break
    return {
        "petitions.its.adoption_rate_ratio": {
            "value": eff["rate_ratio"], "ci_low": eff["rr_ci_low"], "ci_high": eff["rr_ci_high"], "n": s.its.n,
            "p_value": eff["p_value"], "finding": its_finding(eff), "ci_low_newey_west": nw["rr_ci_low"],
            "ci_high_newey_west": nw["rr_ci_high"], "newey_west_lags": s.its_nw.nw_lags},
        "petitions.its.ljung_box": {"value": lb["p_value"], "statistic": lb["statistic"], "lags": lb["lags"]},
        "petitions.its.dispersion": {"value": s.its.dispersion},
        "petitions.its.break.level_change": {
            "value": brk.effect_at_start["rate_ratio"], "ci_low": brk.effect_at_start["rr_ci_low"],
            "ci_high": brk.effect_at_start["rr_ci_high"], "n": brk.n},
        "petitions.its.break.slope_change": {
            "value": brk.slope_change["rate_ratio"], "ci_low": brk.slope_change["rr_ci_low"],
            "ci_high": brk.slope_change["rr_ci_high"], "n": brk.n}}


def stations_table(stations: pd.DataFrame, coverage: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stations open at the end of the year by level, and the share of residents each level alone covers, with the
    total and the coverage by any level last."""
    lv = stations[stations["group"] != ""]
    cov = coverage[coverage["community_id"] == "district"]
    return pd.DataFrame({
        "svc_level": [code_label("svc.level", g, lang) for g in lv["group"]] + [t("svc.level.any", lang)],
        "svc_stations": [f"{v:,.0f}" for v in lv["value"]]
        + [f"{stations.loc[stations['group'] == '', 'value'].iloc[0]:,.0f}"],
        "svc_coverage": [f"{cov.loc[cov['group'] == g, 'value'].iloc[0]:.1%}" if (cov["group"] == g).any() else "—"
                         for g in lv["group"]] + [f"{cov.loc[cov['group'] == '', 'value'].iloc[0]:.1%}"]})


def sensitivity_table(sensitivity: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Coverage by walking distance (rows) and detour factor (columns)."""
    tab = sensitivity.pivot(index="distance_m", columns="detour_factor", values="coverage")
    tab.columns = [f"{t('col.svc_detour_factor', lang)} {f:g}" for f in tab.columns]
    tab = tab.map("{:.1%}".format)
    tab.insert(0, "svc_distance_m", [f"{d:,.0f}" for d in tab.index])
    return tab


def coverage_by_community(coverage: pd.DataFrame, min_cell: int, keep: list[str]) -> pd.DataFrame:
    """Residents and the share covered, by community, small communities withheld."""
    return community_table(coverage, {"svc_residents": ("service_circle.coverage.share", "", "denominator"),
                                      "svc_coverage": "service_circle.coverage.share"}, min_cell,
                           cases={"svc_residents": "denominator", "svc_coverage": "denominator"},
                           formats={"svc_residents": "{:,.0f}", "svc_coverage": "{:.1%}"},
                           keep=keep).rename(columns={"community_id": "community"})


def uncovered(near: pd.DataFrame, distance_m: float) -> pd.DataFrame:
    """The residential points whose walk to the nearest open station is longer than ``distance_m``."""
    return near[near["walk_m"] > distance_m]


def coverage_map(s: Services, ax=None):
    """Residential points, covered in grey and uncovered in red, and the open stations by level; with a community
    subset the map is cropped to its points. Equal-distance axes (longitude scaled by the cosine of the latitude)."""
    from ..plots import new_axes

    P, L, near, st = s.params, s.params.language, s.near, s.station_table
    ax = new_axes(ax, (7.5, 6.5))
    ok, unc = near[near["walk_m"] <= P.distance_m], uncovered(near, P.distance_m)
    ax.scatter(ok["lon"], ok["lat"], s=4, color="#ccc", label=t("svc.legend.covered", L))
    ax.scatter(unc["lon"], unc["lat"], s=10, color="#d33", label=t("svc.legend.uncovered", L))
    for lvl, mk, sz in STATION_MARKERS:
        s_ = st[st["level"].astype(str) == lvl]
        if len(s_):
            ax.scatter(s_["lon"], s_["lat"], marker=mk, s=sz, color="#245", label=code_label("svc.level", lvl, L))
    if P.communities is not None:
        ax.set_xlim(near["lon"].min() - 0.01, near["lon"].max() + 0.01)
        ax.set_ylim(near["lat"].min() - 0.01, near["lat"].max() + 0.01)
    ax.set(title=t("svc.fig.map", L), xlabel=t("svc.axis.lon", L), ylabel=t("svc.axis.lat", L))
    ax.set_aspect(1 / np.cos(np.radians(near["lat"].mean())))
    ax.legend(fontsize=8, loc="best")
    return ax.figure


def circle_records(s: Services) -> dict[str, dict]:
    """The service-circle figures to record: coverage (district, by level), coverage at each distance with the
    run's detour factor, the uncovered points and the stations open by level."""
    P = s.params
    rec = tidy_to_records(s.coverage, min_cell=P.min_cell)
    for r in s.sensitivity[s.sensitivity["detour_factor"] == P.detour_factor].itertuples():
        rec[f"service_circle.coverage.within_{r.distance_m:.0f}m"] = {"value": r.coverage, "n": int(r.residents)}
    rec["service_circle.uncovered_points.count"] = {"value": len(uncovered(s.near, P.distance_m))}
    for r in s.stations.itertuples():
        rec[r.indicator] = {"value": int(r.value)}
    return rec
