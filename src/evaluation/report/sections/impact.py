"""Notebook 40 (programme impact): the texts, tables, charts and recorded figures of each part of the page.

The analysis is done beforehand by :func:`evaluation.impact.summary.impact_summaries` (the staggered DiD of every
outcome, Holm across them, the joint band) and
:func:`evaluation.impact.district_scm.district_synthetic_controls` (the district against the comparison districts);
these functions only say what the results show. Each returns the displayable parts of one step of the story in the
order the page shows them (Markdown texts, Styler tables, matplotlib Figures), or the ``{key: {"value": ...}}``
records of the joint band for :func:`evaluation.report.record.record_many` (an outcome's own records are its
result's ``records()``).

Figures in the text are written by :func:`evaluation.text.numbers.three_sig`, with one precision per outcome: the
estimate, its intervals, the TWFE contrast, the truth and the pre-trend slopes all take the precision of the
largest of the estimate and its interval limits (:func:`outcome_precision`). The effect on a share is shown in
percentage points (:func:`evaluation.impact.panels.display_scale`); the records keep the fraction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown
from scipy import stats

from ...config import resolve
from ...impact.district_scm import DistrictSCMResult
from ...impact.panels import display_scale
from ...impact.summary import FEW_CONTROLS, PRIMARY_OUTCOMES, ImpactSummary, truth_frame, verdict_wording
from ...params import RunParams
from ...text.i18n import plain, t
from ...text.numbers import magnitude, nonzero_sig, p_cell, p_text, three_sig as num
from .. import plots
from ..display import md, span, table_view

__all__ = ["planted_truth", "planted_effects", "planted_gaps", "outcome_precision", "opening", "design", "overview",
           "joint_records", "outcome_intro", "event_study_figure", "effect_lines", "bacon_parts", "checks",
           "conclusion", "scm_opening", "scm_parts"]

Records = dict[str, dict[str, Any]]


def _level(confidence: float) -> str:
    return f"{confidence:.0%}"


def planted_truth(data_dir: str, district) -> dict:
    """The parsed ``truth.json`` of a synthetic district (the planted effects, the estimands of this page), or {}
    for real data or a folder without one. It is read from ``data_dir`` itself: the run's snapshot of the district
    holds the tables only."""
    path = resolve(data_dir) / "truth.json"
    return json.loads(path.read_text(encoding="utf-8")) if district.synthetic and path.exists() else {}


def planted_effects(truth: Mapping, name: str) -> pd.Series:
    """The planted effects of one outcome (synthetic data only), indexed by 'overall' and event time."""
    tf = truth_frame(truth, name)
    return tf.set_index("term")["truth"] if len(tf) else pd.Series(dtype=float)


def planted_gaps(truth: Mapping, outcome: str) -> pd.Series:
    """The planted gaps of the district in one panel outcome (synthetic data only), indexed by year."""
    return pd.Series({int(k.rsplit("_", 1)[1]): v["value"] for k, v in truth.items()
                      if k.startswith(f"impact.district.{outcome}.gap_")}, dtype=float).sort_index()


def outcome_precision(s: ImpactSummary) -> float | None:
    """The reference of one outcome's figures' precision: the largest of its estimate and interval limits."""
    return magnitude(s.att, s.ci_low, s.ci_high)


def opening(params: RunParams, district, lang: str) -> list[Markdown]:
    """The page's title, the data notice, the introduction and the settings of the run."""
    p = params
    return [md("impact.title", lang),
            md("synthetic_notice" if district.synthetic else "real_notice", lang, label=district.label),
            md("impact.intro", lang),
            md("impact.params", lang, control=plain(f"impact.control.{p.control_group}", lang),
                method=plain(f"impact.method.{p.did_method}", lang), anticipation=p.anticipation,
                base_period=plain(f"impact.base.{p.base_period}", lang),
                covariates=", ".join(p.covariates) if p.covariates else plain("impact.none", lang),
                level=_level(p.confidence), n_boot=p.n_boot, seed=p.seed, mbar=p.sensitivity_mbar)]


def design(summaries: Mapping[str, ImpactSummary], anticipation: int, lang: str) -> list:
    """The roll-out waves: how far effects are identified (and why), the communities by year and adoption status."""
    if not summaries:
        return []
    first = next(iter(summaries.values()))
    ctrl = first.controls
    parts = [md("impact.design", lang)]
    if first.flags and "window_truncated" in first.flags:
        g_last = int(first.last_year) + 1 + anticipation
        n_last = int(ctrl.loc[ctrl["year"] == first.last_year, "not_yet_treated"].iloc[0])
        parts.append(md("impact.design_note", lang, g_last=g_last, last=first.last_year, n_last=n_last))
    else:
        parts.append(md("impact.design_note_never", lang, last=first.last_year))
    shown = ctrl.rename(columns={"year": "impact_year", "treated": "impact_treated",
                                 "not_yet_treated": "impact_not_yet", "never_treated": "impact_never"})
    parts.append(table_view(shown, lang))
    if any("carried_pre_periods" in s.flags for s in summaries.values()):
        parts.append(md("impact.carried_note", lang))
    return parts


def _identified(summaries: Mapping[str, ImpactSummary]) -> list[str]:
    return [n for n, s in summaries.items() if s.conclusion != "not_identified"]


def _limits(lo: float, hi: float, ref: float | None, k: float) -> str:
    """An interval cell of the overview: a limit that is not 0 never reads 0 (nonzero_sig), as in the sentences."""
    return span([lo], [hi], lambda x: nonzero_sig(x, ref, k))[0]


def overview(summaries: Mapping[str, ImpactSummary], truth: Mapping, crit_joint: float | None, confidence: float,
             primary: list[str] | None, lang: str) -> list:
    """The effects on every outcome in one table (estimate, interval, truth on synthetic data, joint band, TWFE,
    Holm p-value, role, pre-test, breakdown Mbar, verdict), with the notes that read it."""
    level = _level(confidence)
    n_tests = next(iter(summaries.values())).n_tests if summaries else 0
    names = [plain(f"impact.outcome.{o}", lang) for o in (primary or PRIMARY_OUTCOMES)]
    parts = [md("impact.overview", lang),
             md("impact.overview_note", lang, level=level, n=n_tests,
                 primary=plain("punct.list", lang).join(names))]
    rows = []
    for name, s in summaries.items():
        k, ref = display_scale(name), outcome_precision(s)
        # plain text: table_view escapes the cells
        row = {"impact_outcome": plain(f"impact.outcome.{name}", lang) + (plain("impact.unit.pp", lang) if k != 1 else ""),
               "impact_att": num(s.att, ref, k), "impact_ci": _limits(s.ci_low, s.ci_high, ref, k)}
        if truth:
            row["impact_truth"] = num(planted_effects(truth, name).get("overall", np.nan), ref, k)
        if crit_joint is not None:
            row["impact_joint"] = _limits(s.att - crit_joint * s.se, s.att + crit_joint * s.se, ref, k)
        row.update({"impact_twfe": num(s.twfe.estimate, ref, k), "impact_p_holm": s.p_adjusted,
                    "impact_role": plain("impact.role.primary" if s.primary else "impact.role.secondary", lang),
                    "impact_pretest_p": s.pretest.p_value if s.pretest else np.nan,
                    "impact_breakdown": s.breakdown_mbar,
                    "impact_conclusion": plain(f"impact.conclusion_short.{verdict_wording(s.conclusion, s.primary)}",
                                               lang)})
        rows.append(row)
    parts.append(table_view(pd.DataFrame(rows), lang, {"impact_p_holm": p_cell, "impact_pretest_p": p_cell,
                                                         "impact_breakdown": "{:.2f}"}))
    if crit_joint is not None:
        parts.append(md("impact.joint_note", lang, n=len(_identified(summaries)), level=level,
                         crit=f"{crit_joint:.2f}", z=f"{stats.norm.ppf(1 - (1 - confidence) / 2):.2f}"))
    return parts


def joint_records(summaries: Mapping[str, ImpactSummary], crit_joint: float | None) -> Records:
    """``impact.joint_band.critical_value`` and each identified outcome's ``impact.<outcome>.att_joint`` (its ATT
    with the joint band att ± crit × se); none without a joint band."""
    if crit_joint is None:
        return {}
    identified = _identified(summaries)
    out: Records = {"impact.joint_band.critical_value": {"value": crit_joint, "n": len(identified)}}
    for n in identified:
        s = summaries[n]
        out[f"impact.{n}.att_joint"] = {"value": s.att, "ci_low": s.att - crit_joint * s.se,
                                        "ci_high": s.att + crit_joint * s.se}
    return out


def outcome_intro(name: str, s: ImpactSummary, lang: str) -> list[Markdown]:
    """An outcome's heading and definition (and the note on percentage points for a share); for an outcome that
    cannot be identified, its verdict too, as nothing else is shown for it."""
    parts = [md("impact.outcome_heading", lang, label=plain(f"impact.outcome.{name}", lang)),
             md("impact.definition", lang, definition=plain(f"impact.def.{name}", lang))]
    if display_scale(name) != 1:
        parts.append(md("impact.pp_note", lang))
    if s.conclusion == "not_identified":
        parts.append(Markdown(t("impact.conclusion_heading", lang) + t("impact.conclusion.not_identified", lang)))
    return parts


def event_study_figure(name: str, s: ImpactSummary, truth: Mapping, lang: str):
    """The event study of one outcome (:func:`evaluation.report.plots.event_study`): the staggered DiD with its
    uniform band, the TWFE event study beside it and, on synthetic data, the planted effects."""
    k, tr = display_scale(name), planted_effects(truth, name)
    return plots.event_study(
        s.event_study, scale=k, benchmark=s.twfe_event_study,
        truth=tr[[e for e in tr.index if e != "overall"]] if len(tr) else None,
        title=t("impact.fig.event_study", lang, label=plain(f"impact.outcome.{name}", lang)),
        xlabel=t("impact.axis.event_time", lang),
        ylabel=t("impact.axis.effect_pp" if k != 1 else "impact.axis.effect", lang),
        labels={part: t(f"impact.legend.{key}", lang) for part, key in
                (("band", "band"), ("estimate", "cs"), ("benchmark", "twfe"), ("truth", "truth"))})


def effect_lines(name: str, s: ImpactSummary, truth: Mapping, confidence: float, lang: str) -> list[Markdown]:
    """The note under the event study, the overall effect with its interval, the truth beside it on synthetic
    data, and the TWFE contrast."""
    k, ref, level, tr = display_scale(name), outcome_precision(s), _level(confidence), planted_effects(truth, name)
    parts = [md("impact.es_note", lang, level=level),
             md("impact.att_line", lang, att=num(s.att, ref, k), level=level, lo=nonzero_sig(s.ci_low, ref, k),
                 hi=nonzero_sig(s.ci_high, ref, k), n=s.n_units, first=s.first_year, last=s.last_year)]
    if "overall" in tr.index:
        inside = s.ci_low <= tr["overall"] <= s.ci_high
        parts.append(md("impact.truth_line", lang, truth=num(tr["overall"], ref, k),
                         inside=plain("impact.inside" if inside else "impact.outside", lang)))
    remark = plain("impact.twfe_differs" if "twfe_differs" in s.flags else "impact.twfe_same", lang)
    parts.append(md("impact.twfe_line", lang, twfe=num(s.twfe.estimate, ref, k), level=level,
                     lo=nonzero_sig(s.twfe.ci_low, ref, k), hi=nonzero_sig(s.twfe.ci_high, ref, k), remark=remark))
    return parts


def bacon_parts(name: str, s: ImpactSummary, lang: str) -> list:
    """The Goodman-Bacon decomposition of the TWFE estimate: the weight on late-versus-early comparisons, which
    use already-treated communities as controls, and the table of every 2x2 comparison."""
    if s.bacon is None or not len(s.bacon):
        return []
    b = s.bacon.assign(type=s.bacon["type"].str.replace(" ", "_"))
    late = float(b.loc[b["type"] == "late_vs_early", "weight"].sum())
    shown = pd.DataFrame({
        "impact_treated_wave": b["treated"].astype(str),
        "impact_control_wave": [plain("impact.never_label", lang) if c == "never" else str(c) for c in b["control"]],
        "impact_type": [plain(f"impact.bacon_type.{x}", lang) for x in b["type"]],
        "impact_estimate": b["estimate"] * display_scale(name), "impact_weight": b["weight"]})
    return [md("impact.bacon_note", lang, share=f"{late:.0%}"),
            table_view(shown, lang, {"impact_estimate": "{:.3g}", "impact_weight": "{:.1%}"})]


def checks(name: str, s: ImpactSummary, confidence: float, lang: str) -> list[Markdown]:
    """The pre-trend test with the slopes it would detect at 50 % and 80 % power, and the Rambachan-Roth
    sensitivity interval with its breakdown Mbar."""
    k, ref = display_scale(name), outcome_precision(s)
    if s.pretest is not None:
        parts = [md("impact.pretest_line", lang, stat=f"{s.pretest.statistic:.2f}", df=s.pretest.df,
                     p=p_text(s.pretest.p_value), s50=num(s.pretest_power_slopes.get(0.5, np.nan), ref, k),
                     s80=num(s.pretest_power_slopes.get(0.8, np.nan), ref, k))]
    else:
        parts = [md("impact.pretest_none", lang)]
    if np.isfinite(s.robust_ci[0]):
        parts.append(md("impact.sens_line", lang, mbar=num(s.mbar), lo=nonzero_sig(s.robust_ci[0], ref, k),
                         hi=nonzero_sig(s.robust_ci[1], ref, k), bd=f"{s.breakdown_mbar:.2f}", level=_level(confidence)))
    else:
        parts.append(md("impact.sens_none", lang))
    return parts


def conclusion(name: str, s: ImpactSummary, control: str, confidence: float, lang: str) -> Markdown:
    """The verdict on one outcome in words (exploratory for a secondary outcome), with a note for each caveat
    flag."""
    k, ref, label = display_scale(name), outcome_precision(s), plain(f"impact.outcome.{name}", lang)
    direction = plain("impact.direction.up" if s.att > 0 else "impact.direction.down", lang)
    shown_att = abs(s.att) if s.conclusion in ("clear", "sensitive") else s.att  # the wording carries the sign
    text = t(f"impact.conclusion.{verdict_wording(s.conclusion, s.primary)}", lang, label=label, direction=direction,
             att=num(shown_att, ref, k) + (plain("impact.unit.pp_word", lang) if k != 1 else ""),
             # the limits beside "excludes 0" never read 0
             lo=nonzero_sig(s.ci_low, ref, k), hi=nonzero_sig(s.ci_high, ref, k), mbar=num(s.mbar),
             bd=f"{s.breakdown_mbar:.2f}", p_adj=p_text(s.p_adjusted), n=s.n_tests, alpha=f"{1 - confidence:.2g}")
    if not s.primary:
        text = t("impact.exploratory", lang) + text
    post = _post(s)
    ctrl = s.controls.set_index("year").loc[s.last_year]
    n_few = int(ctrl["not_yet_treated"] + (ctrl["never_treated"] if control == "notyet" else 0))
    wo = s.att_without_few_controls
    notes = [t(f"impact.flag.{f}", lang, last=s.last_year, n=n_few, e=int(post["k"].max()),
               g=int(s.did.att_gt["group"].min()), twfe=num(s.twfe.estimate, ref, k),
               share=f"{s.few_controls_share:.0%}", few=FEW_CONTROLS, att_wo=num(wo[0], ref, k),
               lo_wo=num(wo[1], ref, k), hi_wo=num(wo[2], ref, k), level=_level(confidence)) for f in s.flags]
    return Markdown(t("impact.conclusion_heading", lang) + text + ("\n\n- " + "\n- ".join(notes) if notes else ""))


def _post(s: ImpactSummary) -> pd.DataFrame:
    es = s.event_study.assign(k=pd.to_numeric(s.event_study["event_time"]))
    return es[es["k"] >= 0].dropna(subset=["estimate"])


def _treated_name(panel: pd.DataFrame, r: DistrictSCMResult) -> str:
    return dict(zip(panel["district_id"], panel["name_zh"])).get(r.treated, r.treated)


def scm_opening(scm: Mapping[str, DistrictSCMResult], panel: pd.DataFrame | None, lang: str) -> list[Markdown]:
    """The heading and introduction of the district-wide synthetic control (nothing without results)."""
    if not scm:
        return []
    first = next(iter(scm.values()))
    return [md("impact.scm.title", lang),
            md("impact.scm.intro", lang, treated=_treated_name(panel, first), start=first.treatment_year)]


def scm_parts(o: str, r: DistrictSCMResult, panel: pd.DataFrame, p_adj: float, m: int, truth: Mapping,
              confidence: float, lang: str) -> list:
    """One panel outcome's synthetic control: the donor weights, the paths and gaps among the placebos
    (:func:`evaluation.report.plots.synthetic_control_gap`), the fit, the effect with the intervals that invert the
    placebo test, the truth on synthetic data, the placebo rank and the verdict on the Holm-adjusted p-value
    ``p_adj`` (one of ``m`` outcomes)."""
    alpha, level, k = 1 - confidence, _level(confidence), display_scale(o)
    label = plain(f"impact.outcome.{o}", lang)  # plain: it goes into other texts, which escape it
    kw = {"treated": _treated_name(panel, r), "start": r.treatment_year, "last": r.last_year, "label": label}
    parts = [md("impact.scm.outcome_heading", lang, label=label)]
    if k != 1:
        parts.append(md("impact.scm.pp_note", lang))
    parts.append(md("impact.scm.weights_note", lang, treated=kw["treated"]))
    shown = r.weights.rename(columns={"unit": "impact_scm_district", "name": "impact_scm_name",
                                      "weight": "impact_scm_weight"})
    parts.append(table_view(shown, lang, {"impact_scm_weight": "{:.3f}"}))
    planted = planted_gaps(truth, o)
    pg = r.placebo_gaps
    parts.append(plots.synthetic_control_gap(
        r.gaps, pg[pg["kept"] & (pg["unit"] != r.treated)], start=r.treatment_year, scale=k, truth=planted,
        titles=(t("impact.scm.fig.path", lang, **kw), t("impact.scm.fig.gap", lang)),
        xlabel=t("impact.scm.axis.year", lang),
        ylabels=(t("impact.scm.axis.level_pct", lang, label=label) if k != 1 else label,
                 t("impact.scm.axis.gap_pp" if k != 1 else "impact.scm.axis.gap", lang)),
        labels={"treated": t("impact.scm.legend.treated", lang, **kw),
                "synthetic": t("impact.scm.legend.synthetic", lang, **kw),
                "placebo": t("impact.scm.legend.placebo", lang), "gap": t("impact.scm.legend.gap", lang, **kw),
                "truth": t("impact.scm.legend.truth", lang)}))
    parts.append(md("impact.scm.fit_line", lang, pre=num(r.pre_rmspe, k=k), naive=num(r.naive_pre_rmspe, k=k),
                     **kw))
    ci = r.intervals(confidence).set_index("term")
    parts.append(md("impact.scm.effect_line", lang, gap=num(r.gap_last, k=k), att=num(r.att_post, k=k),
                     level=level, lo=num(ci.loc[r.last_year, "ci_low"], k=k),
                     hi=num(ci.loc[r.last_year, "ci_high"], k=k), att_lo=num(ci.loc["att_post", "ci_low"], k=k),
                     att_hi=num(ci.loc["att_post", "ci_high"], k=k), **kw))
    if len(planted):
        parts.append(md("impact.scm.truth_line", lang, gap=num(planted.get(r.last_year, np.nan), k=k),
                         att=num(truth.get(f"impact.district.{o}.att_post", {}).get("value", np.nan), k=k), **kw))
    pkw = dict(k=r.n_smaller, n_pl=r.n_units - 1, n=r.n_units, m=m, p_adj=p_text(p_adj), alpha=f"{alpha:.2g}")
    parts.append(md("impact.scm.placebo_line", lang, ratio=num(r.rmspe_ratio), rank=r.rank, p=p_text(r.p_value),
                     pmin=p_cell(1 / r.n_units), **pkw, **kw))
    code = r.conclusion(confidence, p_value=p_adj)
    pmin_adj = min(1.0, m / r.n_units)
    floor = plain("impact.scm.floor", lang, pmin_adj=p_cell(pmin_adj), **pkw) if pmin_adj > alpha else ""
    if code == "not_distinguishable" and any(ci.loc[term, "ci_low"] > 0 or ci.loc[term, "ci_high"] < 0
                                             for term in (r.last_year, "att_post")):
        # an interval beside it excludes 0: say why the verdict does not follow it
        floor = plain("impact.scm.interval_vs_test", lang, **pkw) + floor
    parts.append(Markdown(t("impact.conclusion_heading", lang) + t(
        f"impact.scm.conclusion.{code}", lang, gap=num(r.gap_last, k=k), p=p_text(r.p_value),
        pre=num(r.pre_rmspe, k=k), naive=num(r.naive_pre_rmspe, k=k), floor=floor, **pkw, **kw)))
    return parts
