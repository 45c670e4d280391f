"""One result protocol for every estimate and indicator table: ``tidy()``, ``records(prefix)``, ``plot()``,
``summary(lang)``.

Modelled on pyfixest's ``tidy()`` and on R ``survey``'s generics (``coef``, ``SE``, ``confint`` work on any
estimate): whatever a function returns -- a survey mean, a wave-to-wave difference, a staggered DiD aggregation, a
synthetic control, an indicator table -- answers the same four questions.

- :meth:`Result.tidy` returns a plain DataFrame whose first columns are always :data:`FIXED` (``estimate, se,
  ci_low, ci_high, n``; NaN where the family has no such figure), then ``term`` (what the row is: the suffix of its
  results.json key, ``""`` for a single figure), then the columns specific to the family;
- :meth:`Result.records` returns ``{key: {"value": ..., "se": ..., ...}}``, the payload
  :func:`evaluation.report.record.record_many` writes into results.json; a family whose notebook records more than
  the tidy figures (the impact summary, the district synthetic control, the ITS) overrides it so that
  ``record_many(result.records(prefix))`` gives exactly what the notebook recorded by hand;
- :meth:`Result.plot` draws the tidy figures as points with their intervals and returns the Figure; axes and title
  come from the catalogue (``resources/i18n/results.yaml``) in the reader's language;
- :meth:`Result.summary` writes them as text in that language.

Results that are DataFrames today (``SurveyDesign.mean``, ``wave_differences``, ``twfe_event_study``, the Bacon
table …) are returned as a :class:`ResultFrame` subclass, so every existing caller keeps indexing them as before.
An indicator table (the tidy layout of :mod:`evaluation.indicators`, with ``value`` for the estimate and one row per
indicator, community, year and group) is given the protocol by wrapping it in :class:`IndicatorTable`: the wrapper
leaves the indicator functions' return type alone (their layout is the registry's contract) and carries the
small-cell suppression that their records need.

This module sits beneath the statistics (survey, indicators, impact) and above :mod:`evaluation.text`, whose
catalogue gives it its words.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .text.i18n import t

__all__ = ["FIXED", "Result", "ResultMixin", "ResultFrame", "IndicatorTable", "tidy_frame", "tidy_to_records",
           "is_code", "CODE"]

FIXED = ("estimate", "se", "ci_low", "ci_high", "n")
_CI_FIELDS = ("se", "ci_low", "ci_high")


@runtime_checkable
class Result(Protocol):
    """What every estimator's result and every indicator table offers (a structural type for ``isinstance`` checks)."""

    def tidy(self) -> pd.DataFrame: ...

    def records(self, prefix: str) -> dict[str, dict[str, Any]]: ...

    def plot(self, ax=None, lang: str = "zh"): ...

    def summary(self, lang: str = "zh") -> str: ...


def _finite(v: Any) -> bool:
    if v is None or v is pd.NA:
        return False
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def tidy_frame(estimate, se=None, ci_low=None, ci_high=None, n=None, term=None, **extras) -> pd.DataFrame:
    """A tidy table from columns (scalars or sequences): :data:`FIXED`, then ``term``, then ``extras`` in order."""
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    size = len(est)

    def col(v, dtype=float):
        if v is None:
            return np.full(size, np.nan) if dtype is float else [""] * size
        arr = np.asarray(v, dtype=object if dtype is not float else float)
        return np.broadcast_to(arr, (size,)).copy() if arr.ndim == 0 else arr

    out = pd.DataFrame({"estimate": est, "se": col(se), "ci_low": col(ci_low), "ci_high": col(ci_high),
                        "n": col(n), "term": [str(x) for x in col(term, object)]})
    for k, v in extras.items():
        out[k] = col(v, object) if not isinstance(v, (pd.Series, np.ndarray, list, tuple)) else list(v)
    return out


class ResultMixin:
    """Default :class:`Result` methods derived from :meth:`tidy`; a family defines ``tidy`` and overrides the rest
    where it knows more.

    Class attributes a family may set: ``what`` (catalogue key naming the result in titles and summaries) and
    ``record_extras`` (tidy columns that travel into each record beside the fixed fields).
    """

    what = "result.what.estimate"
    record_extras: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every family defines it
        raise NotImplementedError(f"{type(self).__name__} does not define tidy()")

    def records(self, prefix: str, *, term: str | None = None, **fields: Any) -> dict[str, dict[str, Any]]:
        """``{key: payload}`` of the tidy rows: ``prefix`` for a single figure, ``prefix.<term>`` for each row of a
        table; ``term`` (a format pattern over the tidy row, ``""`` for the prefix alone) overrides the family's
        keys, and ``fields`` are added to (or replace fields of) every payload.

        A payload holds ``value`` and, of :meth:`record_fields`, those the family has (a NaN among them is written
        as null, as :func:`evaluation.report.record.record` writes it), ``n`` as an integer, then
        ``record_extras``."""
        tidy = self.tidy()
        wanted = self.record_fields()
        out: dict[str, dict[str, Any]] = {}
        for row in tidy.to_dict("records"):
            suffix = row["term"] if term is None else term.format(**row)
            key = f"{prefix}.{suffix}" if suffix else prefix
            body: dict[str, Any] = {"value": row["estimate"]}
            for f in wanted:
                v = row[f]
                body[f] = int(v) if f == "n" and _finite(v) else v
            for f in self.record_extras:
                v = row.get(f)
                body[f] = int(v) if f in ("df", "lags") and _finite(v) else v
            body.update(fields)
            out[key] = body
        return out

    def record_fields(self) -> tuple[str, ...]:
        """The fixed fields besides ``value`` this family records (``se, ci_low, ci_high, n`` unless it lacks
        some)."""
        return ("se", "ci_low", "ci_high", "n")

    def _label(self, lang: str) -> str:
        return t(self.what, lang)

    def plot(self, ax=None, lang: str = "zh"):
        """The tidy figures as points with their intervals, one per term; returns the Figure."""
        import matplotlib.pyplot as plt

        tidy = self.tidy()
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 3.5))
        else:
            fig = ax.figure
        x = np.arange(len(tidy))
        est = tidy["estimate"].to_numpy(dtype=float)
        lo = tidy["ci_low"].to_numpy(dtype=float)
        hi = tidy["ci_high"].to_numpy(dtype=float)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        ax.plot(x, est, "o", color="#b22")
        if has_ci.any():
            ax.vlines(x[has_ci], lo[has_ci], hi[has_ci], color="#b22", lw=1.5)
        ax.set_xticks(x, [str(s) or "—" for s in tidy["term"]], rotation=45 if len(x) > 6 else 0)
        ax.set(title=t("result.fig.title", lang, what=self._label(lang)), xlabel=t("result.axis.term", lang),
               ylabel=t("result.axis.estimate", lang))
        return fig

    def summary(self, lang: str = "zh") -> str:
        """The tidy figures as text: one line per term, estimate with its interval and the cases behind it."""
        lines = [t("result.summary.head", lang, what=self._label(lang))]
        for row in self.tidy().to_dict("records"):
            est = _fmt(row["estimate"])
            parts = [t("result.summary.estimate", lang, term=row["term"] or "—", estimate=est)]
            if _finite(row["ci_low"]) and _finite(row["ci_high"]):
                parts.append(t("result.summary.interval", lang, lo=_fmt(row["ci_low"]), hi=_fmt(row["ci_high"])))
            if _finite(row["n"]):
                parts.append(t("result.summary.n", lang, n=f"{int(row['n']):,}"))
            lines.append("- " + t("result.summary.sep", lang).join(parts))
        return "\n".join(lines)


def _fmt(v: Any) -> str:
    """Four significant digits, '—' when missing."""
    return f"{float(v):.4g}" if _finite(v) else "—"


class ResultFrame(ResultMixin, pd.DataFrame):
    """A DataFrame of estimates that is also a :class:`Result`: existing callers index it as before.

    A family subclasses it and sets ``estimate_column`` (the column holding the point estimate, e.g.
    ``difference``), ``key`` (a format pattern over a row giving the suffix of its results.json key; None: the
    label columns joined, or ``""`` for a one-row frame) and ``record_extras``. Subclasses survive slicing,
    ``assign`` and ``concat`` (pandas' ``_constructor``), so a concatenation of wave results keeps the protocol.

    Note that ``plot`` is the protocol's (returns a Figure), not pandas' plotting accessor: call
    ``pd.DataFrame(frame).plot`` for that.
    """

    estimate_column = "estimate"
    key: str | None = None
    _metadata: list[str] = []

    @property
    def _constructor(self):
        return type(self)

    def _n(self, frame: pd.DataFrame) -> pd.Series:
        return frame["n"] if "n" in frame.columns else pd.Series(np.nan, index=frame.index)

    def record_fields(self) -> tuple[str, ...]:
        """The interval fields the frame has, and ``n`` when it has cases (a column or the family's count)."""
        has_n = "n" in self.columns or type(self)._n is not ResultFrame._n
        return tuple(c for c in _CI_FIELDS if c in self.columns) + (("n",) if has_n else ())

    def _terms(self, frame: pd.DataFrame) -> list[str]:
        if self.key is not None:
            return [self.key.format(**r) for r in frame.to_dict("records")]
        if len(frame) == 1:
            return [""]
        labels = [c for c in frame.columns if c not in FIXED and c not in ("deff", "df", "p_value", "statistic")
                  and c != self.estimate_column and not pd.api.types.is_float_dtype(frame[c])]
        if not labels:
            return [str(i) for i in range(len(frame))]
        return ["_".join(str(r[c]) for c in labels) for r in frame.to_dict("records")]

    def tidy(self) -> pd.DataFrame:
        frame = pd.DataFrame(self).reset_index(drop=True)
        out = pd.DataFrame({
            "estimate": pd.to_numeric(frame[self.estimate_column], errors="coerce").astype(float),
            **{c: (pd.to_numeric(frame[c], errors="coerce").astype(float) if c in frame.columns else np.nan)
               for c in _CI_FIELDS},
            "n": pd.to_numeric(self._n(frame), errors="coerce").astype(float),
            "term": self._terms(frame),
        })
        extras = frame.drop(columns=[c for c in (*FIXED, self.estimate_column, "term") if c in frame.columns])
        return pd.concat([out, extras], axis=1)


# --- indicator tables ------------------------------------------------------------------------------------------------

def is_code(value: object) -> bool:
    """Whether ``value`` may become part of a results.json key: lower snake ASCII and nothing personal in it.

    Examples
    --------
    >>> is_code("land_compensation"), is_code("wxid_wang1958"), is_code("Zhang San"), is_code("土地征收")
    (True, False, False, False)
    """
    from .privacy.patterns import find_personal_data

    return isinstance(value, str) and CODE.fullmatch(value) is not None and not find_personal_data(value)


CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")  # a category or type code that may become part of a key


def _basis(indicator: str) -> str:
    """Tidy column holding the cases behind a figure, as the report's tables use it: the units a share is taken over,
    the records counted for counts, rates and means (:mod:`evaluation.indicators.tables`)."""
    return "denominator" if indicator.endswith(".share") else "n"


def tidy_to_records(frame: Any, community: str = "district", *, min_cell: int) -> dict[str, dict[str, Any]]:
    """The district-level rows of a tidy indicator table (see :mod:`evaluation.indicators`) as record payloads.

    Rows broken down by a group (category, activity type, level) are keyed ``<indicator>.<group>`` when the group
    is a code (:func:`is_code`); the value's uncertainty (``se``, ``ci_low``, ``ci_high``) and ``n`` travel with it
    where present. A figure resting on fewer than ``min_cell`` cases (``denominator`` for shares, ``n`` otherwise)
    is withheld, and so are the further breakdown figures that would give it away from the published total
    (:func:`evaluation.privacy.suppression.suppression_pattern` with margins): ``{"value": None, "suppressed":
    "primary" | "secondary"}``.
    """
    from .privacy.suppression import PRIMARY, SECONDARY, suppression_pattern

    out: dict[str, dict[str, Any]] = {}
    rows = frame[frame["community_id"] == community]
    status: dict[int, str] = {}
    for indicator, sel in rows.groupby("indicator", sort=False):
        basis = _basis(str(indicator))
        if basis not in sel.columns:
            continue
        cases = pd.to_numeric(sel[basis], errors="coerce")
        groups = sel["group"].fillna("").astype(str)
        total = cases[groups == ""]
        for i in total[total < min_cell].index:
            status[i] = PRIMARY
        parts = cases[(groups != "") & cases.notna()]
        if len(parts):
            pattern = suppression_pattern(parts.astype(float), min_cell, margins=True)
            status.update({i: str(v) for i, v in pattern.items() if v})
    skipped = 0
    for i, r in zip(rows.index, rows.to_dict("records")):
        key = str(r["indicator"]).rstrip(".")
        group = r.get("group")
        if isinstance(group, str) and group:
            if not is_code(group):
                skipped += 1
                continue
            key = f"{key}.{group}"
        if status.get(i) in (PRIMARY, SECONDARY):
            out[key] = {"value": None, "suppressed": status[i]}
            continue
        body = {"value": r["value"]}
        for f in ("se", "ci_low", "ci_high", "n"):
            v = r.get(f)
            if v is not None and not (isinstance(v, float) and math.isnan(v)) and not pd.isna(v):
                body[f] = v
        out[key] = body
    if skipped:
        warnings.warn(f"{skipped} breakdown figure(s) left out of results.json: their group is not a code (lower "
                      f"snake ASCII); give the categories as codes to record them", stacklevel=2)
    return out


class IndicatorTable(ResultMixin):
    """The protocol for a tidy indicator table (``indicator, community_id, year, group, value, se, ci_low, ci_high,
    n, denominator, …``) without changing what the indicator functions return: ``IndicatorTable(frame)``.

    ``tidy()`` renames ``value`` to ``estimate`` and keys each row by ``<indicator>[.<group>]``; ``records()`` gives
    the district's rows with small-cell suppression, exactly :func:`tidy_to_records` (what the notebooks record
    today), which is why it needs ``min_cell``.
    """

    what = "result.what.indicators"

    def __init__(self, frame: pd.DataFrame, community: str = "district"):
        self.frame = frame
        self.community = community

    def tidy(self) -> pd.DataFrame:
        f = self.frame.reset_index(drop=True)
        groups = f["group"].fillna("").astype(str) if "group" in f.columns else pd.Series("", index=f.index)
        term = [str(i).rstrip(".") + (f".{g}" if g else "") for i, g in zip(f["indicator"], groups)]
        extras = f.drop(columns=[c for c in ("value", *FIXED) if c in f.columns])
        return pd.concat([tidy_frame(f["value"], f.get("se"), f.get("ci_low"), f.get("ci_high"), f.get("n"), term),
                          extras], axis=1)

    def records(self, prefix: str = "", *, min_cell: int, **fields: Any) -> dict[str, dict[str, Any]]:
        """:func:`tidy_to_records` of the table for ``self.community``; ``prefix``, when given, goes before each key."""
        recs = tidy_to_records(self.frame, self.community, min_cell=min_cell)
        return {(f"{prefix}.{k}" if prefix else k): {**v, **fields} for k, v in recs.items()}

    def plot(self, ax=None, lang: str = "zh"):
        """The community's figures (default the district's), without the breakdown rows, as points with their
        intervals."""
        f = self.frame
        groups = f["group"].fillna("").astype(str) if "group" in f.columns else pd.Series("", index=f.index)
        shown = IndicatorTable(f[(f["community_id"] == self.community) & (groups == "")], self.community)
        return ResultMixin.plot(shown, ax, lang)
