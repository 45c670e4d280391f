"""Notebook 50 (award claims): the audit of the run's submission, and what each of its sections shows and records.

The section functions take the :class:`~evaluation.claims.audit.AuditResult` and the language and return what the
section shows, in order (texts as :class:`~IPython.display.Markdown`, tables as Stylers), and the figures it records,
as :func:`~evaluation.report.record.record_many` takes them. The audit is :mod:`evaluation.claims`'s, whose
docstrings (:func:`~evaluation.claims.audit.audit`, :func:`~evaluation.claims.audit.verdict_counts`) define the
recorded keys. Tables write figures and intervals as a reader writes them (:func:`readable`), in the same words as the
Word appendix and the terminal table of ``jinlin audit`` (:mod:`evaluation.report.audit`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ...claims import audit, find_overrides, load_overrides, read_submission, verdict_counts
from ...claims.audit import AuditResult
from ...claims.verdict import claim_interval, figure_text, interval_text
from ...text.i18n import plain, t
from ..audit import ci_text, figure_shown
from ..display import md, shown, table_view

__all__ = ["audit_submission", "readable", "extracted", "verdicts", "consistency", "criteria"]

Records = dict[str, dict[str, Any]]
CHECKED = ("supported", "fragile", "within_sampling_error", "contradicted")  # the verdicts of figures the data checked


def _in(lang: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """The ``<column>_zh`` or ``<column>_en`` column of ``frame``, as the language asks."""
    return frame[f"{column}_{lang}"]


def audit_submission(district, params, prior_results: str | None = None) -> tuple[AuditResult, Path]:
    """Audit the run's ``submission`` against the loaded district: its hand pins (a ``claims.yaml`` beside the
    submission or in the data folder, :func:`~evaluation.claims.audit.find_overrides`), the data files' hashes, the
    run's data cut-off, and the figures the notebooks before recorded (``prior_results``, the runner's results.json
    of notebooks 00–40) for the award criteria. Returns the result and the submission's path."""
    from ...config import resolve

    path = resolve(params.submission)
    pins = find_overrides(path, resolve(params.data_dir))
    prior = json.loads(Path(prior_results).read_text(encoding="utf-8"))["results"] if prior_results else None
    result = audit(read_submission(path), district.tables, params.report_year,
                   {name: f.sha256 for name, f in district.files.items()},
                   load_overrides(pins) if pins is not None else None, results=prior, data_cutoff=params.cutoff)
    return result, path


def readable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Figures and intervals as a reader writes them (1993, 51.5万, 3800至4000（不含4000）, 49%至62%), not as floats
    and interval notation: the columns ``value``, ``computed``, ``interval`` and ``ci`` as text."""
    out = frame.copy()
    unit, kind = frame["unit"].astype(str), frame["kind"].astype(str)
    out["value"] = [figure_text(x, u, lang, k) for x, u, k in zip(frame["value"], unit, kind)]
    ivs = [claim_interval(r) for r in frame.itertuples(index=False)]
    out["computed"] = [figure_shown(x, u, lang, iv) for x, u, iv in zip(frame["computed"], unit, ivs)]
    out["interval"] = [interval_text(r.low, r.high, r.low_inclusive, r.high_inclusive, u, lang, k)
                       for r, u, k in zip(frame.itertuples(index=False), unit, kind)]
    out["ci"] = [ci_text(lo, hi, u, lang, iv) for lo, hi, u, iv in zip(frame["ci_low"], frame["ci_high"], unit, ivs)]
    return out


def extracted(result: AuditResult, lang: str) -> tuple[list, Records]:
    """Every figure the extractor found, with the interval its hedge admits."""
    v = result.verdicts
    cols = ["claim_id", "raw", "value", "unit", "interval", "kind", "period"]
    return [table_view(shown(readable(v, lang), cols, "claims", lang), lang)], {"claims.figures.count": {"value": len(v)}}


def verdicts(result: AuditResult, lang: str) -> tuple[list, Records]:
    """The count of each verdict, the sampling rule, the verdict of every figure that is not qualitative, and the
    contradicted figures named (or the sentence that there are none).

    Records each verdict's count, the figures the data checked, and for each figure matched to an indicator its
    verdict with the recomputed value, so that ``jinlin diff`` flags a verdict that changes between runs.
    """
    v = result.verdicts
    counts = verdict_counts(v)
    audited = v[v["verdict"] != "qualitative"].copy()
    audited["verdict"] = [t(f"claims.verdict.{x}", lang) for x in audited["verdict"]]
    audited["explanation"] = _in(lang, audited, "explanation")
    cols = ["claim_id", "raw", "indicator", "computed", "interval", "ci", "verdict", "explanation"]
    contradicted = v.loc[v["verdict"] == "contradicted", "raw"].tolist()
    views = [md("claims.summary_all", lang, n=len(v), **counts), md("claims.sampling_note", lang),
             table_view(shown(readable(audited, lang), cols, "claims", lang), lang),
             md("claims.contradicted_list", lang, items=plain("punct.list", lang).join(contradicted)) if contradicted
             else md("claims.contradicted_none", lang)]
    records = {f"claims.verdict.{verdict}": {"value": k} for verdict, k in counts.items()}
    records["claims.figures.checked"] = {"value": sum(counts[c] for c in CHECKED)}
    for r in v[(v["indicator"].fillna("") != "") & (v["verdict"] != "qualitative")].itertuples():
        end = f"_{r.role}" if r.role in ("from", "to") else ""
        records[f"claims.check.{r.indicator.replace('.', '_')}{end}"] = {"value": r.verdict, "computed": r.computed}
    return views, records


def consistency(result: AuditResult, lang: str) -> tuple[list, Records]:
    """The text's internal-consistency findings (or the sentence that there are none)."""
    k = result.consistency
    if k.empty:
        views = [md("claims.consistency_none", lang)]
    else:
        views = [table_view(shown(k.assign(finding=_in(lang, k, "finding")),
                                  ["claim_id", "raw", "check", "severity", "finding"], "claims", lang), lang)]
    return views, {"claims.consistency.findings": {"value": len(k)},
                   "claims.consistency.warnings": {"value": int((k["severity"] == "warning").sum())}}


def criteria(result: AuditResult, lang: str) -> tuple[list, Records]:
    """The award criteria and the strength of the evidence for each."""
    c = result.criteria
    table = pd.DataFrame({"award": _in(lang, c, "award"), "criterion": _in(lang, c, "criterion"),
                          "strength": [t(f"claims.strength.{s}", lang) for s in c["strength"]],
                          "statement": _in(lang, c, "statement")})
    return [table_view(shown(table, table.columns, "claims", lang), lang)], {
        "claims.criteria.count": {"value": len(c)},
        "claims.criteria.weak_or_missing": {"value": int(c["strength"].isin(["weak", "missing"]).sum())}}
