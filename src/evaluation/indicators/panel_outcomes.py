"""The numerator and denominator of each outcome of the impact panels, per recorded community and year.

:func:`evaluation.impact.panels.outcome_panel` carries these to the current communities and takes their ratio; the
synthetic generator sums them over the district for the comparison districts' levels. They live here, below both, so
the generator does not depend on the estimators it is built to test.

The definitions are the registry's ``impact.<outcome>`` entries (:mod:`evaluation.indicators.registry`, counted by
one query each over a DataFrame or Parquet alike); they follow ``docs/conventions.md`` and the generator's
``truth.json`` (``definition`` fields):

* ``satisfaction_index``, ``participation_rate``: community-wave mean over respondents (base weights, which are
  constant within a community and wave, so the mean is the respondents' mean);
* ``on_time_rate``: events *due* (``deadline_at``) in the year, share closed (``status`` closed) by the deadline, the
  definition of ``grid.on_time_rate.share``; an event still open is not on time; years after the last report in the
  table are incomplete and dropped;
* ``log_time_to_close``: events *reported* in the year and closed (``status`` closed), mean of log hours;
* per-resident rates (petitions per 10,000, activities per 1,000, registered volunteers per 100): the scaled count,
  with ``den`` 0; the panel divides it by ``population.resident_pop`` of the same community and year, only over the
  years the source table covers (a year before the first record is missing, not zero: activities are recorded from
  2018 only).

With a cut-off (``cut``) the parts see the data as they stood then: records dated after it (events reported, petitions
received, activities held, volunteers registered) are left out, a closing after it has not happened, and the on-time
rate counts only the events due by the cut-off (one due later and still open is not yet late). Survey waves carry no
date and are kept. How the panels treat the year the cut-off falls in is for
:func:`evaluation.impact.panels.outcome_panel` to say.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..data.lazy import is_lazy
from ..survey.indices import satisfaction_index
from . import engine
from .registry import INDICATORS, NO_CUTOFF, indicator

__all__ = ["OUTCOMES", "SHARE_OUTCOMES", "display_scale", "outcome_parts"]

#: Each outcome of the impact panels and its source table: the registry's ``impact.<outcome>`` entries.
OUTCOMES: dict[str, str] = {i.key.removeprefix("impact."): i.table for i in INDICATORS if i.key.startswith("impact.")}

# Outcomes that are shares (0–1). An effect on a share is a difference of rates, which a report states in percentage
# points (百分点: 0.058 -> 5.8个百分点), as the 摘要 does; results.json keeps the fraction.
SHARE_OUTCOMES: frozenset[str] = frozenset(o for o in OUTCOMES if indicator(f"impact.{o}").kind == "share")


def display_scale(outcome: str) -> float:
    """The factor an effect on ``outcome`` is multiplied by for the report: 100 for a share (percentage points),
    else 1."""
    return 100.0 if outcome in SHARE_OUTCOMES else 1.0


def outcome_parts(tables: Mapping[str, pd.DataFrame], outcome: str, cut: pd.Timestamp | None = None) -> pd.DataFrame:
    """Numerator ``num`` and denominator ``den`` per recorded community_id and year, as of the cut-off ``cut``.

    The counting is the registry's query of ``impact.<outcome>`` (:mod:`evaluation.indicators.registry`), run by
    :mod:`evaluation.indicators.engine` over the table as a DataFrame or as Parquet alike. The survey outcomes take
    their per-respondent value from the survey package first (the satisfaction index of ``docs/conventions.md``).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    ind = indicator(f"impact.{outcome}")
    source = tables[ind.table]
    if ind.table == "survey_responses":
        if is_lazy(source):
            raise ValueError(f"survey_responses is too large to hold in memory and outcome {outcome!r} has no on-disk "
                             "path (the satisfaction index is computed in memory); use a community subset or "
                             "convert it to a smaller export")
        derived = {}
        if outcome == "satisfaction_index":
            derived["satisfaction_index"] = satisfaction_index(source)
        if "base_weight" not in source.columns:
            derived["base_weight"] = 1.0
        source = source.assign(**derived)
    stamp = pd.Timestamp(NO_CUTOFF) if cut is None else pd.Timestamp(cut)
    frame = engine.compute(source, ind.table, ind.query, ind.columns, {"cutoff": stamp})
    frame = frame.assign(community_id=frame["community_id"].astype(str), year=frame["year"].astype(int))
    return frame.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
