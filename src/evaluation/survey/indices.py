"""Resident-survey indices, design-weighted through :class:`~evaluation.survey.SurveyDesign`.

* :func:`satisfaction_index` — per respondent, exactly as ``docs/conventions.md``: 100 × (mean of the available
  answers among the eight 1–5 service items − 1) / 4; NaN when none is answered.
* :func:`top2box` — design-weighted share answering 4–5 (percent positive, as the US National Community Survey).
* :func:`recommendation_score` — %9–10 minus %0–6 on the 0–10 item (NPS-like). It is the mean of a +1/0/−1 score,
  so its linearised design SE is that of a mean, i.e. the delta-method SE of the difference of two proportions
  (var p_P + var p_D − 2 cov); under SRS it reduces to (p_P + p_D − (p_P − p_D)²)/(n − 1).
* :func:`importance_performance` — importance–performance analysis (Martilla & James 1977): design means of stated
  importance and performance per item, quadrants at the grand means, and the share of bootstrap replicates (design
  bootstrap, :mod:`evaluation.survey.replicate`) that put the item in the same quadrant.

References
----------
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing* 41(1), 77–79.
Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.survey.design import SurveyDesign

__all__ = [
    "SERVICE_ITEMS",
    "satisfaction_index",
    "top2box",
    "recommendation_score",
    "importance_performance",
]

SERVICE_ITEMS = (
    "q_committee",
    "q_infrastructure",
    "q_activities",
    "q_neighbours",
    "q_trust",
    "q_belonging",
    "q_grid_service",
    "q_service_station",
)


def satisfaction_index(df: pd.DataFrame, items: Sequence[str] = SERVICE_ITEMS) -> pd.Series:
    """Satisfaction index (0–100) per respondent; answers must already be 1–5 or missing.

    100 × (mean of the answered items − 1) / 4: a respondent answering 5 and 4 scores 87.5, one who answered a
    single item (2) scores on that item alone.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"q_committee": [5, 3, None], "q_trust": [4, 1, 2]})
    >>> satisfaction_index(answers, items=["q_committee", "q_trust"]).tolist()
    [87.5, 25.0, 25.0]
    """
    answers = df[list(items)].apply(pd.to_numeric).astype(float)
    bad = answers.notna() & ((answers < 1) | (answers > 5))
    if bad.any().any():
        raise ValueError("service items must be 1–5 or missing (recode 8/9 first; see quality.out_of_range)")
    return (100 * (answers.mean(axis=1, skipna=True) - 1) / 4).rename("satisfaction_index")


def top2box(design: SurveyDesign, items: Sequence[str], top: Sequence[int] = (4, 5), confidence: float = 0.95):
    """Design-weighted share of respondents answering in ``top`` (default 4–5), per item, among those answering."""
    rows = []
    for item in items:
        col = pd.to_numeric(design.data[item]).astype(float)
        flag = np.where(col.isna(), np.nan, col.isin(list(top)).astype(float))
        rows.append(design.with_columns(_t2b=flag).mean("_t2b", na_rm=True, level=confidence).assign(variable=item))
    return pd.concat(rows, ignore_index=True)


def recommendation_score(design: SurveyDesign, var: str = "q_recommend", confidence: float = 0.95) -> pd.DataFrame:
    """Recommendation score 100 × (share 9–10 − share 0–6) with its linearised design SE (respondents answering).

    Key: ``survey.recommendation_score`` (notebook 20: the report year's weighted design).
    """
    x = pd.to_numeric(design.data[var]).astype(float)
    if ((x < 0) | (x > 10)).any():
        raise ValueError(f"{var} must be 0–10 or missing")
    score = np.select([x >= 9, x <= 6], [100.0, -100.0], 0.0)
    score = np.where(x.isna(), np.nan, score)
    out = design.with_columns(_nps=score).mean("_nps", na_rm=True, level=confidence)
    shares = design.with_columns(_p=np.where(x.isna(), np.nan, (x >= 9).astype(float)),
                                 _d=np.where(x.isna(), np.nan, (x <= 6).astype(float)))
    out = out.assign(variable=var)
    out["promoters"] = shares.mean("_p", na_rm=True).estimate[0]
    out["detractors"] = shares.mean("_d", na_rm=True).estimate[0]
    return out


def _quadrant(perf: np.ndarray, imp: np.ndarray) -> np.ndarray:
    hi_p, hi_i = perf >= perf.mean(), imp >= imp.mean()
    return np.select(
        [hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p],
        ["concentrate here", "keep up the good work", "low priority"],
        "possible overkill",
    )


def importance_performance(
    design: SurveyDesign,
    performance_items: Sequence[str],
    importance_items: Sequence[str],
    n_boot: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Importance–performance analysis with bootstrap quadrant stability.

    Returns one row per item: ``item, performance, importance, quadrant, stability`` (share of design-bootstrap
    replicates in which the item falls in the same quadrant; crosshairs at the grand means, recomputed per replicate).
    """
    if len(performance_items) != len(importance_items):
        raise ValueError("one importance item per performance item")
    cols = list(performance_items) + list(importance_items)
    values = design.data[cols].apply(pd.to_numeric).astype(float).to_numpy()
    ok = ~np.isnan(values)
    v0 = np.where(ok, values, 0.0)
    w = design._weights
    full = (w @ v0) / (w @ ok)
    k = len(performance_items)
    quad = _quadrant(full[:k], full[k:])
    rep = design.replicate("bootstrap", n_reps=n_boot, seed=seed)
    wr = rep._repw
    reps = (wr.T @ v0) / (wr.T @ ok)
    same = np.mean([_quadrant(r[:k], r[k:]) == quad for r in reps], axis=0)
    return pd.DataFrame(
        {"item": list(performance_items), "performance": full[:k], "importance": full[k:], "quadrant": quad,
         "stability": same}
    )
