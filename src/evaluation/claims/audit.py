"""The claims audit end to end: extract, match, recompute, judge, check consistency, weigh against award criteria.

:func:`audit` is pure (text and tables in, an :class:`AuditResult` out). :func:`audit_files` is the thin reading
layer the command line uses (``jinlin audit SUBMISSION --data DIR``) and :func:`verdicts_json` gives the verdicts as
JSON-ready objects. Showing the result (the terminal table, the Word evidence appendix) is the report layer's:
:mod:`evaluation.report.audit`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.claims.consistency import check_consistency
from evaluation.claims.criteria import self_assessment
from evaluation.claims.documents import read_submission
from evaluation.claims.extract import extract_claims
from evaluation.claims.match import load_overrides, match_claims
from evaluation.claims.verdict import VERDICTS, audit_figures, verdict_claims

__all__ = ["AuditResult", "audit", "audit_files", "verdicts_json", "table_hashes", "verdict_counts", "find_overrides"]


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found about one submission.

    ``claims``: every figure with its indicator (:func:`~evaluation.claims.match.match_claims`); ``verdicts``: one
    row per figure (:func:`~evaluation.claims.verdict.verdict_claims`); ``consistency``: internal-consistency
    findings (:func:`~evaluation.claims.consistency.check_consistency`) with the figure's text; ``criteria``: the
    award self-assessment (:func:`~evaluation.claims.criteria.self_assessment`); ``figures``: the recomputed values
    and other results used; ``data_hashes``: ``{table: sha256}``.
    """

    claims: pd.DataFrame
    verdicts: pd.DataFrame
    consistency: pd.DataFrame
    criteria: pd.DataFrame
    figures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data_hashes: Mapping[str, str] = field(default_factory=dict)
    report_year: int = 2024


def table_hashes(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """SHA-256 of each in-memory table (columns and cell contents), for tables that did not come from files.

    When the tables were loaded from a folder, use the files' own hashes (``District.files[t].sha256``) instead.
    """
    out = {}
    for name, df in tables.items():
        h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode("utf-8"))
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        out[str(name)] = h.hexdigest()
    return out


def audit(text: str, tables: Mapping[str, pd.DataFrame], report_year: int,
          data_hashes: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None, *,
          rules: pd.DataFrame | None = None, results: Mapping[str, Mapping[str, Any]] | None = None,
          criteria: pd.DataFrame | None = None, near_tolerance: float = 0.05, data_cutoff=None) -> AuditResult:
    """Audit the figures of a submission against a district's data.

    Notebook 50 records, from the :class:`AuditResult`, Keys:

    - ``claims.figures.count``: the figures extracted from the submission (rows of ``verdicts``);
    - ``claims.check.<indicator>``: for each figure matched to an indicator and not qualitative, its verdict
      (``value``) and the recomputed value (``computed``); ``<indicator>`` is the indicator's key with underscores
      for dots, ending in ``_from`` or ``_to`` for the two ends of a change;
    - ``claims.consistency.findings`` / ``.warnings``: the internal-consistency findings, and those of severity
      ``warning``;
    - ``claims.criteria.count`` / ``.weak_or_missing``: the award criteria assessed, and those whose evidence is
      ``weak`` or ``missing``.

    Parameters
    ----------
    text : str
        The submission (:func:`~evaluation.claims.documents.read_submission`).
    tables : dict of DataFrame
        The district's contract tables (``District.tables``).
    report_year : int
        今年.
    data_hashes : dict, optional
        ``{table: sha256}`` of the data files; default :func:`table_hashes` of the in-memory tables.
    overrides : dict, optional
        Hand pins and exclusions (:func:`~evaluation.claims.match.load_overrides`).
    rules, criteria : DataFrame, optional
        Matching rules and award criteria (default: the files under ``data/``).
    results : dict, optional
        Further results for the criteria (``survey.*``, ``impact.*`` from a run's ``results.json``); recomputed
        figures take precedence on shared keys.
    near_tolerance : float
        Width of 近 (see :func:`~evaluation.claims.extract.extract_claims`).
    data_cutoff : str or Timestamp, optional
        The run's data cut-off: the recomputed figures see the data as they stood then (default: the end of the
        report year), the same figures the other notebooks report.

    Returns
    -------
    AuditResult
    """
    claims = extract_claims(text, report_year=report_year, near_tolerance=near_tolerance)
    matched = match_claims(claims, rules, overrides)
    figures = audit_figures(tables, report_year, data_cutoff)
    hashes = dict(data_hashes) if data_hashes is not None else table_hashes(tables)
    verdicts = verdict_claims(matched, figures, hashes, report_year)
    consistency = check_consistency(claims)
    raw = dict(zip(claims["claim_id"], claims["raw"]))
    consistency.insert(consistency.columns.get_loc("claim_id") + 1, "raw",
                       pd.array([raw.get(c, "") for c in consistency["claim_id"]], dtype="string"))
    every = {**dict(results or {}), **figures}
    assessment = self_assessment(verdicts, every, criteria)
    return AuditResult(claims=matched, verdicts=verdicts, consistency=consistency, criteria=assessment,
                       figures=every, data_hashes=hashes, report_year=int(report_year))


def find_overrides(submission: str | Path, data_dir: str | Path | None = None) -> Path | None:
    """The ``claims.yaml`` to use: beside the submission, else in the data folder, else none."""
    for folder in (Path(submission).parent, Path(data_dir) if data_dir is not None else None):
        if folder is not None and (folder / "claims.yaml").is_file():
            return folder / "claims.yaml"
    return None


def audit_files(submission: str | Path, data_dir: str | Path, report_year: int = 2024,
                overrides: str | Path | None = None, results: str | Path | None = None
                ) -> tuple[AuditResult, dict[str, Any]]:
    """Read a submission file and a district folder, audit, and return the result with its provenance.

    ``overrides`` defaults to :func:`find_overrides`; ``results`` may name a run's ``results.json`` whose figures
    (survey, impact) feed the criteria. The provenance dict holds the submission's path and SHA-256, the data folder,
    each table's file, SHA-256 and rows, the report year and the package version.
    """
    from evaluation import __version__
    from evaluation.config import bundled
    from evaluation.data import load_district

    sub = Path(submission)
    if not sub.exists():  # data/submissions/daya_bay_2024.md outside a checkout: the copy the package ships
        sub = bundled(sub) or sub
    text = read_submission(sub)
    district = load_district(data_dir)
    hashes = {t: f.sha256 for t, f in district.files.items()}
    ov_path = Path(overrides) if overrides is not None else find_overrides(sub, data_dir)
    ov = load_overrides(ov_path) if ov_path is not None else None
    extra = None
    if results is not None:
        body = json.loads(Path(results).read_text(encoding="utf-8"))
        extra = body.get("results", body)
    result = audit(text, district.tables, report_year, hashes, ov, results=extra)
    provenance = {
        "submission": str(sub), "submission_sha256": hashlib.sha256(sub.read_bytes()).hexdigest(),
        "overrides": str(ov_path) if ov_path is not None else "",
        "data_dir": str(data_dir), "data_label": district.label, "synthetic": district.synthetic,
        "files": {t: {"file": f.file, "sha256": f.sha256, "rows": f.rows} for t, f in district.files.items()},
        "report_year": int(report_year), "version": __version__,
    }
    return result, provenance


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return _plain(v.item())
    return v


def verdicts_json(result: AuditResult) -> list[dict[str, Any]]:
    """One JSON-ready object per figure: claim_id, sentence, raw, value, unit, indicator, computed, interval, ci,
    n, verdict, reason, explanations and the data files used (what ``jinlin audit --format json`` prints)."""
    keys = ("claim_id", "sentence", "raw", "value", "unit", "kind", "indicator", "computed", "interval", "ci", "n",
            "figure_year", "verdict", "reason", "explanation_zh", "explanation_en", "data_files")
    out = []
    for r in result.verdicts.itertuples(index=False):
        out.append({k: _plain(getattr(r, k)) for k in keys})
    return out


def verdict_counts(verdicts: pd.DataFrame) -> dict[str, int]:
    """Figures per verdict, every verdict listed (zeros included).

    Keys (notebook 50): ``claims.verdict.<verdict>`` (figures with each verdict) and ``claims.figures.checked``
    (supported + fragile + within_sampling_error + contradicted: the figures the data could check).
    """
    counts = verdicts["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def latest_results(data_dir: str | Path, reports_dir: str | Path | None = None) -> Path | None:
    """The ``results.json`` of the newest finished run on ``data_dir`` (by its manifest's ``finished`` time), or None.

    An audit without ``--results`` reads it so the award criteria that rest on the survey and impact figures are not
    all "evidence missing"; the caller says which file was used. Only runs whose manifest names the same data folder
    count, and folders being written or quarantined (``.tmp``, ``.failed``) are skipped.
    """
    from evaluation.config import REPORTS_DIR, resolve

    root = Path(reports_dir) if reports_dir is not None else REPORTS_DIR
    if not root.is_dir():
        return None
    want = resolve(data_dir).resolve()
    best: tuple[str, Path] | None = None
    for manifest in root.glob("*/manifest.json"):
        folder = manifest.parent
        if folder.name.startswith(".") or folder.name.endswith(".failed") or not (folder / "results.json").is_file():
            continue
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
            same = resolve(m["params"]["data_dir"]).resolve() == want
            finished = str(m.get("finished") or "")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if same and (best is None or (finished, str(folder)) > (best[0], str(best[1]))):
            best = (finished, folder / "results.json")
    return best[1] if best else None
