"""Notebook 20, the resident satisfaction survey: what each of its sections shows and records.

:func:`prepare` builds the waves once: each wave is its own design (strata = community, PSU = building,
``base_weight``), calibrated to the ``population_margins`` of its year
(:func:`evaluation.survey.wave.weighted_design`), and the weighted estimates of the index and the four perceptions by
community and wave. It returns None when the district has no survey (or no wave the run selects). Every section
function then takes that and returns a :class:`Section`: the outputs to show, in order (Markdown, tables, figures),
and the figures to record (``record_many``). Given None a section is empty, so a district without a survey runs
every cell and shows only the notice of :func:`intro` (issue 17).

All words come from the ``survey.`` keys of the catalogue; cells resting on fewer than ``min_cell`` respondents
are withheld (:func:`evaluation.privacy.suppression.suppress_table`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ...data import District
from ...params import RunParams
from ...privacy.suppression import suppress_table
from ...survey import (SERVICE_ITEMS, domain_difference, importance_performance, omega, pooled_trend,
                       recommendation_score, reliability, trend_verdict, wave_design, wave_differences,
                       wave_estimates, weighted_design, weighting_summary, with_weights)
from ...survey.wave import WaveDesign
from ...text.i18n import plain, t
from ...text.numbers import nonzero_fixed, p_cell, p_text
from ..display import md, shown, span, table_view
from ..plots import forest_plot, ipa_plot, trend_plot

__all__ = ["PERCEPTIONS", "Section", "Survey", "prepare", "intro", "design", "index", "truth", "perceptions",
           "communities", "migrant_gap", "participation", "reliability_scales", "drivers", "ipa", "caveats", "trend_claim"]

PERCEPTIONS = ["q_committee", "q_infrastructure", "q_activities", "q_neighbours"]
SHARES = [("participation_rate", "q_participated_12m"), ("volunteer_rate_12m", "q_volunteered_12m")]


class Section(NamedTuple):
    """What a notebook cell shows (``display(*s.outputs)``) and records (``record_many(s.records)``)."""

    outputs: list[Any]
    records: dict[str, dict[str, Any]]


EMPTY = Section([], {})


@dataclass(frozen=True)
class Survey:
    """The survey waves of a run, analysed once for every section.

    ``wave_now`` is "this year": the report year's wave, else the latest wave before it (else the latest of all).
    ``base_now`` is that wave with its design weights only (no calibration). ``estimates`` holds
    :func:`~evaluation.survey.wave.wave_estimates` of the index and the perceptions for every wave.
    """

    responses: pd.DataFrame
    params: RunParams
    waves: list[int]
    wave_now: int
    designs: dict[int, WaveDesign]
    base_now: WaveDesign
    items: list[str]
    perceptions: list[str]
    estimates: pd.DataFrame
    communities: pd.DataFrame
    synthetic: bool = False
    truth_wave: int | None = None
    truth: Mapping[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> WaveDesign:
        return self.designs[self.wave_now]

    @property
    def whole(self) -> pd.DataFrame:
        """The district rows of ``estimates``."""
        return self.estimates[self.estimates["community_id"] == "district"]

    @property
    def confidence(self) -> float:
        return self.params.confidence

    @property
    def lang(self) -> str:
        return self.params.language


def prepare(district: District, params: RunParams) -> Survey | None:
    """The run's waves (``params.survey_waves``, else all), each a calibrated design, and their estimates; None when
    the district has no ``survey_responses`` table or none of the selected waves. ``truth`` is the synthetic
    generator's ``truth.json`` beside the data, when there is one."""
    from ...config import resolve

    if not district.has("survey_responses"):
        return None
    survey = district["survey_responses"]
    margins = district["population_margins"] if district.has("population_margins") else None
    waves = [int(w) for w in sorted(survey["wave"].dropna().unique())
             if params.survey_waves is None or int(w) in params.survey_waves]
    if not waves:
        return None
    year = params.report_year
    wave_now = year if year in waves else max([w for w in waves if w <= year] or waves)
    designs = {w: weighted_design(survey, margins, w, params.weighting, params.weighting_dimensions) for w in waves}
    perceptions = [c for c in PERCEPTIONS if c in survey.columns]
    estimates = pd.concat([wave_estimates(designs[w], ["satisfaction_index", *perceptions], top2=perceptions,
                                          confidence=params.confidence) for w in waves], ignore_index=True)
    truth_file = resolve(params.data_dir) / "truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.exists() else {}
    return Survey(responses=survey, params=params, waves=waves, wave_now=wave_now, designs=designs,
                  base_now=wave_design(survey, wave_now), items=[c for c in SERVICE_ITEMS if c in survey.columns],
                  perceptions=perceptions, estimates=estimates, communities=district["communities"],
                  synthetic=district.synthetic, truth_wave=district.metadata.get("report_year"), truth=truth)


# --- display helpers ---------------------------------------------------------------------------------------------

def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def _keep_markers(pattern: str | Callable[[Any], str]) -> Callable[[Any], str]:
    """A number format that leaves the markers of withheld cells ("<5", "—") as they are."""
    return lambda v: v if isinstance(v, str) else pattern(v) if callable(pattern) else pattern.format(v)


def _table(frame: pd.DataFrame, names: Sequence[str], lang: str, **spec: str | Callable[[Any], str]):
    """The columns ``names`` under their ``survey.col.*`` headers, numbers formatted as ``spec`` says."""
    return table_view(shown(frame, names, "survey", lang), lang, {t(f"survey.col.{k}", lang): _keep_markers(v) for k, v in spec.items()})


def _label(item: str, lang: str) -> str:
    return t(f"survey.item.{item}", lang)


def _estimate(row, n: int | None = None) -> dict[str, Any]:
    """A record payload from a row with ``estimate, se, ci_low, ci_high`` (and ``n`` unless given)."""
    return {"value": row["estimate"], "se": row["se"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
            "n": int(row["n"] if n is None else n)}


def _withheld(frame: pd.DataFrame) -> int:
    return int(frame.map(lambda v: isinstance(v, str)).to_numpy().sum())


# --- sections -----------------------------------------------------------------------------------------------------

def intro(s: Survey | None, params: RunParams) -> Section:
    """What the survey section covers and the run's parameters; the notice that there is no survey, or that "this
    year" is an earlier wave than the report year."""
    lang = params.language
    text = t("survey.intro", lang) + " " + t("run_params", lang, year=params.report_year, min_cell=params.min_cell)
    out = [_markdown(text)]
    if s is None:
        out.append(md("survey.no_survey", lang))
    elif s.wave_now != params.report_year:
        out.append(md("survey.report_wave", lang, year=params.report_year, wave=s.wave_now))
    return Section(out, {})


def design(s: Survey | None) -> Section:
    """The design and weighting written out (strata, PSUs, calibration and its margins), the weighting summary by
    wave (calibration factor range, Kish weighting effect and design effect, collapsed cells) and its notes.

    Keys: ``survey.design.deff``, ``survey.weighting.effect``, ``survey.weighting.g_max`` (of "this year")."""
    if s is None:
        return EMPTY
    lang, now = s.lang, s.now
    sep = plain("punct.list", lang)
    if now.weighting == "none" and s.params.weighting != "none":
        method = plain("survey.method.no_margins", lang)
    else:  # plain texts: they go into survey.design_text, which escapes them
        method = plain(f"survey.method.{now.weighting}", lang,
                       dims=sep.join(plain(f"survey.dim.{d}", lang) for d in now.dimensions))
    summary = weighting_summary([s.designs[w] for w in s.waves], confidence=s.confidence)
    rows = summary.assign(weighting=[t(f"survey.weighting.{x}", lang) for x in summary["weighting"]],
                           g_range=span(summary["g_min"], summary["g_max"], "{:.2f}"))
    out = [md("survey.design_head", lang),
           md("survey.design_text", lang, design=plain(f"design.{now.kind}", lang), method=method, level=s.confidence),
           _table(rows, ["wave", "weighting", "respondents", "analysed", "strata", "psus", "g_range",
                          "deff_weighting", "deff", "collapsed_cells"], lang,
                  respondents="{:,}", analysed="{:,}", deff_weighting="{:.2f}", deff="{:.2f}"),
           md("survey.design_effect_note", lang)]
    if summary["collapsed_cells"].sum():
        out.append(md("survey.collapsed_note", lang, n=int(summary["collapsed_cells"].sum())))
    dropped = sum(s.designs[w].n_dropped for w in s.waves)
    if dropped:
        out.append(md("survey.dropped_note", lang, n=dropped))
    this = summary[summary["wave"] == s.wave_now].iloc[0]
    return Section(out, {"survey.design.deff": {"value": this["deff"]},
                         "survey.weighting.effect": {"value": this["deff_weighting"]},
                         "survey.weighting.g_max": {"value": this["g_max"], "g_min": this["g_min"]}})


def _headline(s: Survey) -> tuple[pd.Series, pd.Series, pd.Series]:
    """This year's index: calibrated, design weights only, and the unweighted sample mean."""
    idx = s.whole[s.whole["variable"] == "satisfaction_index"].set_index("wave")
    base = s.base_now.design
    unweighted = with_weights(base).mean("satisfaction_index", na_rm=True, level=s.confidence).iloc[0]
    design_only = base.mean("satisfaction_index", na_rm=True, level=s.confidence).iloc[0]
    return idx.loc[s.wave_now], design_only, unweighted


def trend_claim(verdict: str, first: int, last: int, slope: float, ci_low: float, ci_high: float, p_value: float,
                confidence: float, lang: str) -> str:
    """The sentence the recorded trend test supports (``verdict`` from
    :func:`evaluation.survey.wave.trend_verdict`): the slope per year with its interval, limits that are not 0 never
    printed as 0, and its p-value ("p < 0.001" rather than "p = 0.000")."""
    return t(f"survey.trend_claim.{verdict}", lang, first=first, last=last, slope=slope,
             lo=nonzero_fixed(ci_low, 1, sign=True), hi=nonzero_fixed(ci_high, 1, sign=True), level=confidence,
             p=p_text(p_value))


def index(s: Survey | None) -> Section:
    """The weighted satisfaction index of "this year", its trend by wave, and the test of "keeps rising":
    wave-to-wave differences of independent samples and the pooled trend (svyglm on wave, waves stacked as separate
    strata); :func:`~evaluation.survey.wave.trend_verdict` picks the sentence.

    Keys: ``survey.satisfaction_index.mean``, ``.unweighted``, ``.mean_<wave>``, ``.trend``, ``.change_<wave>``."""
    if s is None:
        return EMPTY
    lang, conf, waves = s.lang, s.confidence, s.waves
    r, _, unweighted = _headline(s)
    out = [md("survey.index_head", lang), md("survey.index_definition", lang),
           md("survey.index_text", lang, year=s.wave_now, mean=r["estimate"], level=conf, lo=r["ci_low"],
               hi=r["ci_high"], n=f"{int(r['n']):,}"),
           md("survey.trend_head", lang)]
    records = {"survey.satisfaction_index.mean": _estimate(r),
               "survey.satisfaction_index.unweighted": _estimate(
                   unweighted, n=s.base_now.design.data["satisfaction_index"].notna().sum())}
    if any(w < 2020 for w in waves) and any(w >= 2020 for w in waves):
        out.append(md("survey.trend_note", lang))
    trend = s.whole[s.whole["variable"] == "satisfaction_index"].assign(
        ci=lambda d: span(d["ci_low"], d["ci_high"]))
    out.append(_table(trend.rename(columns={"estimate": "index"}), ["wave", "index", "ci", "n"], lang,
                      index="{:.1f}", n="{:,}"))
    records.update({f"survey.satisfaction_index.mean_{row['wave']}": _estimate(row)
                    for row in trend.to_dict("records")})
    differences = wave_differences([s.designs[w] for w in waves], confidence=conf)
    slope = pooled_trend([s.designs[w] for w in waves], confidence=conf) if len(waves) > 1 else None
    verdict = trend_verdict(differences, slope, confidence=conf)
    if slope is None:
        out.append(md("survey.trend_claim.single_wave", lang))
    else:
        changes = differences.assign(ci=span(differences["ci_low"], differences["ci_high"], "{:+.1f}"))
        sl = slope.iloc[0]
        out += [md("survey.trend_test_text", lang, alpha=1 - conf),
                _table(changes.rename(columns={"difference": "change"}),
                       ["wave_from", "wave_to", "change", "ci", "p_value"], lang, change="{:+.1f}", p_value=p_cell),
                _markdown(trend_claim(verdict, int(sl["first_wave"]), int(sl["last_wave"]), sl["estimate"],
                                      sl["ci_low"], sl["ci_high"], sl["p_value"], conf, lang))]
        records["survey.satisfaction_index.trend"] = {
            "value": sl["estimate"], "se": sl["se"], "ci_low": sl["ci_low"], "ci_high": sl["ci_high"],
            "p_value": sl["p_value"], "df": int(sl["df"]), "verdict": verdict}
        records.update({f"survey.satisfaction_index.change_{row.wave_to}": {
            "value": row.difference, "se": row.se, "ci_low": row.ci_low, "ci_high": row.ci_high,
            "p_value": row.p_value} for row in differences.itertuples()})
    out.append(trend_plot(trend, title=t("survey.fig.trend", lang, level=conf), xlabel=t("survey.axis.wave", lang),
                          ylabel=t("survey.axis.index", lang), color="#b22"))
    return Section(out, records)


def truth(s: Survey | None) -> Section:
    """Synthetic districts only, when the generator's truth is for "this year": its finite-population mean beside
    the calibrated, design-weighted and unweighted estimates, and whether the calibrated interval covers it."""
    key = "survey.satisfaction_index.mean"
    if s is None or not s.synthetic or key not in s.truth or s.truth_wave != s.wave_now:
        return EMPTY
    lang = s.lang
    true_value = float(s.truth[key]["value"])
    rows = _headline(s)
    comparison = pd.DataFrame({
        "estimator": [t(f"survey.est.{e}", lang) for e in ("weighted", "design", "unweighted")],
        "estimate": [r["estimate"] for r in rows], "ci_low": [r["ci_low"] for r in rows],
        "ci_high": [r["ci_high"] for r in rows]})
    comparison["ci"] = span(comparison["ci_low"], comparison["ci_high"], "{:.2f}")
    table = pd.concat([comparison, pd.DataFrame({"estimator": [t("survey.est.truth", lang)],
                                                 "estimate": [true_value], "ci": [""]})], ignore_index=True)
    covered = rows[0]["ci_low"] <= true_value <= rows[0]["ci_high"]
    verdict = t("survey.truth_covered" if covered else "survey.truth_not_covered", lang) + " " + t(
        "survey.truth_why", lang)
    return Section([md("survey.truth_head", lang), md("survey.truth_text", lang, year=s.wave_now, truth=true_value),
                    _table(table, ["estimator", "estimate", "ci"], lang, estimate="{:.2f}"),
                    _markdown(verdict),
                    forest_plot(comparison.iloc[::-1], label="estimator", reference=true_value,
                                reference_label=t("survey.est.truth", lang), figsize=(7.5, 2.6),
                                title=t("survey.fig.truth", lang, year=s.wave_now),
                                xlabel=t("survey.axis.index", lang))], {})


def perceptions(s: Survey | None) -> Section:
    """The four perceptions of "this year": weighted mean (1–5) and top-2-box share with intervals, then the top-2
    trend by wave.

    Keys: ``survey.perception.<item>.mean`` and ``.top2``."""
    if s is None or not s.perceptions:
        return EMPTY
    lang, items = s.lang, s.perceptions
    cur = s.whole[s.whole["wave"] == s.wave_now]
    means = cur[cur["statistic"] == "mean"].set_index("variable")
    tops = cur[cur["statistic"] == "top2"].set_index("variable")
    table = pd.DataFrame({
        "item": [_label(i, lang) for i in items],
        "mean": means.loc[items, "estimate"].to_numpy(),
        "mean_ci": span(means.loc[items, "ci_low"], means.loc[items, "ci_high"], "{:.2f}"),
        "top2": tops.loc[items, "estimate"].to_numpy(),
        "top2_ci": span(tops.loc[items, "ci_low"], tops.loc[items, "ci_high"], "{:.1%}"),
        "n": means.loc[items, "n"].astype(int).to_numpy(),
    })
    table = suppress_table(table, counts="n", min_cell=s.params.min_cell,
                           value_cols=["mean", "mean_ci", "top2", "top2_ci"])
    out = [md("survey.perceptions_head", lang), md("survey.perceptions_text", lang, year=s.wave_now, level=s.confidence),
           _table(table, ["item", "mean", "mean_ci", "top2", "top2_ci", "n"], lang,
                  mean="{:.2f}", top2="{:.1%}", n="{:,}")]
    records = {f"survey.perception.{item.removeprefix('q_')}.{stat}": _estimate(frame.loc[item])
               for item in items for stat, frame in (("mean", means), ("top2", tops))}
    if len(s.waves) > 1:
        top2 = pd.concat([s.whole[(s.whole["variable"] == i) & (s.whole["statistic"] == "top2")] for i in items])
        out.append(trend_plot(top2.assign(label=[_label(i, lang) for i in top2["variable"]]), series="label",
                              capsize=2, percent=True, title=t("survey.fig.perceptions", lang),
                              xlabel=t("survey.axis.wave", lang), ylabel=t("survey.axis.top2", lang)))
    return Section(out, records)


def communities(s: Survey | None) -> Section:
    """The index by community for "this year" with intervals (t with the community's own design df, R
    ``confint(df = degf(subset))``), and the community × wave table of the current communities; cells of fewer than
    ``min_cell`` respondents are withheld and counted.

    Key: ``survey.suppressed.cells``."""
    if s is None:
        return EMPTY
    lang, min_cell = s.lang, s.params.min_cell
    est = s.estimates
    by_comm = est[(est["community_id"] != "district") & (est["variable"] == "satisfaction_index")]
    cur = by_comm[by_comm["wave"] == s.wave_now].sort_values("community_id")
    table = pd.DataFrame({"community": cur["community_id"].to_numpy(), "n": cur["n"].astype(int).to_numpy(),
                          "index": cur["estimate"].to_numpy(), "ci": span(cur["ci_low"], cur["ci_high"])})
    table = suppress_table(table, counts="n", min_cell=min_cell, value_cols=["index", "ci"])
    withheld = _withheld(table[["index"]])
    out = [md("survey.community_head", lang), md("survey.community_text", lang, year=s.wave_now, min_cell=min_cell),
           _table(table, ["community", "n", "index", "ci"], lang, index="{:.1f}")]
    comms = s.communities
    current = comms.loc[comms["valid_to"].isna(), "community_id"] if "valid_to" in comms else comms["community_id"]
    grid = by_comm[by_comm["community_id"].isin(set(current))]
    if grid["wave"].nunique() > 1:
        values = grid.pivot(index="community_id", columns="wave", values="estimate")
        # A wave without a community's survey is shown as "—", not withheld: give it a publishable count.
        counts = grid.pivot(index="community_id", columns="wave", values="n").reindex_like(values)
        wide = suppress_table(values, counts=counts.astype(float).fillna(float(min_cell)), min_cell=min_cell)
        withheld += _withheld(wide)
        wide = wide.reset_index().rename(columns={"community_id": t("survey.col.community", lang)})
        wide.columns = [str(c) for c in wide.columns]
        out += [md("survey.community_wave_text", lang, min_cell=min_cell),
                table_view(wide, lang, {str(w): _keep_markers("{:.1f}") for w in values.columns})]
    if withheld:
        out.append(md("survey.suppressed_count", lang, n=withheld, min_cell=min_cell))
    return Section(out, {"survey.suppressed.cells": {"value": withheld}})


def migrant_gap(s: Survey | None) -> Section:
    """The migrant–local gap (新湾人) by wave: the design-based difference of the weighted means (svyglm of the index
    on hukou, :func:`~evaluation.survey.wave.domain_difference`), for every wave with both groups.

    Keys: ``survey.migrant_gap.index`` ("this year") and ``survey.migrant_gap.index_<wave>``."""
    if s is None or "hukou" not in s.responses.columns:
        return EMPTY
    lang, conf = s.lang, s.confidence
    gaps = []
    for w in s.waves:
        data = s.designs[w].design
        if {"local", "migrant"} <= set(data.data["hukou"].dropna().astype(str)):
            g = domain_difference(data, "satisfaction_index", "hukou", "local", confidence=conf)
            gaps.append(g[g["level"] == "migrant"].assign(wave=w))
    if not gaps:
        return EMPTY
    gaps = pd.concat(gaps, ignore_index=True).assign(n=lambda d: d["n_level"] + d["n_reference"])
    records = {f"survey.migrant_gap.index_{row['wave']}": _estimate({**row, "estimate": row["difference"]})
               for row in gaps.to_dict("records")}
    out = [md("survey.gap_head", lang)]
    if s.wave_now in set(gaps["wave"]):
        g = gaps.set_index("wave").loc[s.wave_now]
        key = "survey.gap_text_lower" if g["difference"] < 0 else "survey.gap_text_higher"
        out.append(md(key, lang, year=s.wave_now, gap=abs(g["difference"]), level=conf, lo=g["ci_low"],
                       hi=g["ci_high"]))
        records["survey.migrant_gap.index"] = records[f"survey.migrant_gap.index_{s.wave_now}"]
    table = gaps.assign(ci=span(gaps["ci_low"], gaps["ci_high"]))
    table = suppress_table(table, counts=table[["n_level", "n_reference"]].min(axis=1), min_cell=s.params.min_cell,
                           value_cols=["mean_reference", "mean_level", "difference", "ci"])
    out += [md("survey.gap_method", lang),
            _table(table, ["wave", "mean_reference", "mean_level", "difference", "ci", "n_reference", "n_level"], lang,
                   mean_reference="{:.1f}", mean_level="{:.1f}", difference="{:+.1f}", n_reference="{:,}",
                   n_level="{:,}")]
    if len(gaps) > 1:
        out.append(trend_plot(gaps.rename(columns={"difference": "estimate"}), color="#246", zero_line=True,
                              title=t("survey.fig.gap", lang), xlabel=t("survey.axis.wave", lang),
                              ylabel=t("survey.axis.gap", lang)))
    return Section(out, records)


def participation(s: Survey | None) -> Section:
    """Participation and volunteering in the last 12 months (weighted shares) and the recommendation score
    (100 × (share 9–10 − share 0–6)) of "this year"; participation by wave.

    Keys: ``survey.participation_rate``, ``survey.volunteer_rate_12m``, ``survey.recommendation_score``."""
    if s is None:
        return EMPTY
    shares = [(name, col) for name, col in SHARES if col in s.responses.columns]
    recommend = "q_recommend" in s.responses.columns
    if not shares and not recommend:
        return EMPTY
    lang, conf, now = s.lang, s.confidence, s.now.design
    rows = [(name, now.mean(col, na_rm=True, level=conf).iloc[0], now.data[col].notna().sum(), "{:.1%}")
            for name, col in shares]
    if recommend:
        rows.append(("recommendation_score", recommendation_score(now, confidence=conf).iloc[0],
                     now.data["q_recommend"].notna().sum(), "{:+.1f}"))
    table = pd.DataFrame({
        "measure": [t(f"survey.measure.{name}", lang) for name, *_ in rows],
        "estimate": [pattern.format(e["estimate"]) for _, e, _, pattern in rows],
        "ci": [span([e["ci_low"]], [e["ci_high"]], pattern)[0] for _, e, _, pattern in rows],
        "n": [int(n) for _, _, n, _ in rows],
    })
    table = suppress_table(table, counts="n", min_cell=s.params.min_cell, value_cols=["estimate", "ci"])
    out = [md("survey.participation_head", lang), md("survey.participation_text", lang),
           _table(table, ["measure", "estimate", "ci", "n"], lang, n="{:,}")]
    if shares and len(s.waves) > 1:
        by_wave = pd.concat([s.designs[w].design.mean(col, na_rm=True, level=conf).assign(
            wave=w, label=t(f"survey.measure.{name}", lang)) for name, col in shares for w in s.waves])
        out.append(trend_plot(by_wave, series="label", capsize=2, percent=True,
                              title=t("survey.fig.participation", lang), xlabel=t("survey.axis.wave", lang),
                              ylabel=t("survey.axis.share", lang)))
    return Section(out, {f"survey.{name}": _estimate(e, n=n) for name, e, n, _ in rows})


def reliability_scales(s: Survey | None) -> Section:
    """Reliability of the four-perception and the eight-item satisfaction scales: Cronbach's alpha (raw and
    standardised, psych::alpha conventions), average inter-item correlation and McDonald's omega total, on the
    respondents of "this year" unweighted.

    Keys: ``survey.reliability.alpha_4``, ``.omega_4``, ``.alpha_8``, ``.omega_8``."""
    if s is None:
        return EMPTY
    scales = [(name, k, cols) for name, k, cols in (("four", "4", s.perceptions), ("eight", "8", s.items))
              if len(cols) >= 2]
    if not scales:
        return EMPTY
    lang, rows, records = s.lang, [], {}
    for name, k, cols in scales:
        answers = s.base_now.design.data[cols].astype(float)
        rel, om = reliability(answers), omega(answers)
        rows.append({"scale": t(f"survey.scale.{name}", lang), "n_items": rel.n_items, "raw_alpha": rel.raw_alpha,
                     "std_alpha": rel.std_alpha, "average_r": rel.average_r, "omega": om.omega_total})
        records[f"survey.reliability.alpha_{k}"] = {"value": rel.raw_alpha, "std_alpha": rel.std_alpha,
                                                    "n": int(answers.notna().any(axis=1).sum())}
        records[f"survey.reliability.omega_{k}"] = {"value": om.omega_total}
    return Section([md("survey.reliability_head", lang), md("survey.reliability_text", lang, year=s.wave_now),
                    _table(pd.DataFrame(rows), ["scale", "n_items", "raw_alpha", "std_alpha", "average_r", "omega"],
                           lang, raw_alpha="{:.3f}", std_alpha="{:.3f}", average_r="{:.3f}", omega="{:.3f}")],
                   records)


def drivers(s: Survey | None) -> Section:
    """What drives overall satisfaction: the design-weighted proportional-odds model of ``q_overall`` (1–10) on the
    eight items (R ``svyolr``), odds ratios with intervals; skipped with a note when there are fewer than 20
    complete answers per parameter."""
    if s is None or "q_overall" not in s.responses.columns or not s.items:
        return EMPTY
    lang, items, now = s.lang, s.items, s.now.design
    complete = now.data[["q_overall", *items]].dropna()
    n_params = len(items) + complete["q_overall"].nunique() - 1
    if complete["q_overall"].nunique() < 3 or len(complete) < 20 * n_params:
        return Section([md("survey.drivers_head", lang), md("survey.drivers_skipped", lang)], {})
    fit = now.ordinal("q_overall ~ " + " + ".join(items), level=s.confidence)
    slopes = fit[fit["term"].isin(items)]
    slopes = slopes.assign(odds_ratio=np.exp(slopes["estimate"]), ci_low=np.exp(slopes["ci_low"]),
                           ci_high=np.exp(slopes["ci_high"]), item=[_label(i, lang) for i in slopes["term"]])
    slopes["ci"] = span(slopes["ci_low"], slopes["ci_high"], "{:.2f}")
    order = slopes.assign(estimate=slopes["odds_ratio"]).sort_values("odds_ratio")
    return Section([md("survey.drivers_head", lang), md("survey.drivers_text", lang),
                    _table(slopes, ["item", "odds_ratio", "ci"], lang, odds_ratio="{:.2f}"),
                    forest_plot(order, label="item", reference=1, log=True, figsize=(7.5, 3.6),
                                title=t("survey.fig.drivers", lang, level=s.confidence),
                                xlabel=t("survey.axis.odds_ratio", lang))], {})


def ipa(s: Survey | None) -> Section:
    """Importance–performance analysis of the eight items with design-bootstrap quadrant stability
    (``n_boot`` replicates, seed ``seed``; the calibrated weights taken as fixed, since a replicate cannot be
    recalibrated). With ``n_boot`` < 2 the quadrants are shown without the stability column."""
    if s is None or not s.items:
        return EMPTY
    importance = [f"imp_{i.removeprefix('q_')}" for i in s.items]
    if not all(c in s.responses.columns for c in importance):
        return EMPTY
    lang, n_boot, now = s.lang, s.params.n_boot, s.now.design
    text = t("survey.ipa_text", lang, n_boot=n_boot)
    # The quadrants do not depend on the bootstrap; with n_boot < 2 only the stability column is left out.
    result = importance_performance(with_weights(now, now.weights), s.items, importance, n_boot=max(n_boot, 2),
                                    seed=s.params.seed)
    names = ["item", "performance", "importance", "quadrant", "stability"]
    if n_boot < 2:
        text += " " + t("survey.ipa_no_bootstrap", lang)
        names.remove("stability")
    view = result.assign(item=[_label(i, lang) for i in result["item"]],
                         quadrant=[t(f"survey.quadrant.{q}", lang) for q in result["quadrant"]])
    return Section([md("survey.ipa_head", lang), _markdown(text),
                    _table(view, names, lang, performance="{:.2f}", importance="{:.2f}", stability="{:.0%}"),
                    ipa_plot(view, title=t("survey.fig.ipa", lang, year=s.wave_now),
                             xlabel=t("survey.axis.performance", lang), ylabel=t("survey.axis.importance", lang))],
                   {})


def caveats(s: Survey | None) -> Section:
    """What the survey figures can and cannot say."""
    if s is None:
        return EMPTY
    return Section([md("survey.caveats_head", s.lang), md("survey.caveats", s.lang)], {})
