"""Reliability of multi-item scales: Cronbach's alpha as ``psych::alpha`` and a one-factor McDonald's omega.

:func:`reliability` follows psych 2.2.9 exactly: the item covariance matrix uses pairwise-complete observations by
default (``use="pairwise"``), reverse-keyed items flip the sign of their rows and columns, and

* raw alpha = k/(k−1) · (1 − tr C / ΣC) (Cronbach 1951), standardised alpha = k/(k−1) · (1 − k / ΣR),
  average r = (ΣR − k) / (k(k−1));
* ``r_drop`` = correlation of an item with the sum of the other items (from C), ``alpha_if_dropped`` = raw alpha of
  the other k−1 items.

pingouin's ``cronbach_alpha`` gives only the raw alpha, hence our own ~40 lines.

:func:`omega` fits one common factor by minimum residual (unweighted least squares on the off-diagonal correlations,
psych's default ``fm="minres"``) and returns McDonald's omega total (Σλ)² / ((Σλ)² + Σ(1−λ²)). It is checked
against ``psych::fa(nfactors = 1, fm = "minres")`` loadings; psych's optimiser stops at about 1e-6, hence the
test tolerance there.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. *Psychometrika* 16, 297–334.
McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Erlbaum (omega, ch. 6).
Revelle, W. (2022). psych: procedures for psychological research. R package 2.2.9 (``alpha``, ``fa``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from ..results import ResultMixin, tidy_frame

__all__ = ["ReliabilityResult", "OmegaResult", "reliability", "omega"]


@dataclass(frozen=True, eq=False)
class ReliabilityResult(ResultMixin):
    """Cronbach's alpha of a scale and the per-item table (``item, r_drop, alpha_if_dropped, ...``).

    Result protocol: ``tidy()`` is one row, the estimate ``raw_alpha`` (no interval), with ``std_alpha``,
    ``average_r`` and ``n_items``; ``records(prefix, n=...)`` is notebook 20's ``survey.reliability.alpha_<scale>``
    (the respondents answering any item are the caller's to give)."""

    raw_alpha: float
    std_alpha: float
    average_r: float
    n_items: int
    items: pd.DataFrame = field(repr=False)

    what = "result.what.reliability"
    record_extras = ("std_alpha",)

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.raw_alpha, std_alpha=self.std_alpha, average_r=self.average_r, n_items=self.n_items)

    def record_fields(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, eq=False)
class OmegaResult(ResultMixin):
    """One-factor omega total with the factor loadings and uniquenesses per item (result protocol: one row, the
    estimate ``omega_total``)."""

    omega_total: float
    items: pd.DataFrame = field(repr=False)

    what = "result.what.omega"

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.omega_total, n_items=len(self.items))

    def record_fields(self) -> tuple[str, ...]:
        return ()


def _keyed_cov(items: pd.DataFrame, reverse: Sequence[str], use: str) -> tuple[np.ndarray, np.ndarray]:
    data = items.astype(float)
    if use == "listwise":
        data = data.dropna()
    elif use != "pairwise":
        raise ValueError("use must be 'pairwise' or 'listwise'")
    cov = data.cov().to_numpy()  # pandas: pairwise-complete observations with pair-specific means, like R
    keys = np.array([-1.0 if c in set(reverse) else 1.0 for c in items.columns])
    return cov * np.outer(keys, keys), keys


def _alpha(c: np.ndarray) -> tuple[float, float, float]:
    k = c.shape[0]
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    raw = (1 - np.trace(c) / c.sum()) * k / (k - 1)
    std = (1 - k / r.sum()) * k / (k - 1)
    av_r = (r.sum() - k) / (k * (k - 1))
    return raw, std, av_r


def reliability(
    items_df: pd.DataFrame,
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] | None = (1, 5),
    use: Literal["pairwise", "listwise"] = "pairwise",
) -> ReliabilityResult:
    """Cronbach's alpha with item statistics, as ``psych::alpha(x, keys = reverse)``.

    Key: ``survey.reliability.alpha_<k>``: ``raw_alpha`` (with ``std_alpha``) of the report year's answers to the
    scale of ``k`` items (notebook 20: 4, the perception items; 8, the service items of the satisfaction index).

    Parameters
    ----------
    items_df
        One column per item, one row per respondent; missing values allowed.
    reverse
        Names of reverse-keyed items.
    scale_range
        (min, max) of the response scale, used to reverse item scores for the item means (max + min − x); ``None``
        takes the observed range as psych does.
    use
        ``"pairwise"`` (psych's default) or ``"listwise"`` deletion for the covariance matrix.
    """
    unknown = set(reverse) - set(items_df.columns)
    if unknown:
        raise KeyError(f"reverse-keyed items not in the data: {sorted(unknown)}")
    c, keys = _keyed_cov(items_df, reverse, use)
    k = c.shape[0]
    if k < 2:
        raise ValueError("need at least two items")
    raw, std, av_r = _alpha(c)
    r_drop, a_drop, s_drop = [], [], []
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        r_drop.append((c[:, i].sum() - c[i, i]) / np.sqrt(c[i, i] * c[np.ix_(rest, rest)].sum()))
        if k > 2:
            a, s, _ = _alpha(c[np.ix_(rest, rest)])
        else:
            a, s = np.nan, np.nan
        a_drop.append(a)
        s_drop.append(s)
    data = items_df.astype(float)
    if use == "listwise":
        data = data.dropna()
    lo, hi = scale_range if scale_range is not None else (np.nanmin(data.to_numpy()), np.nanmax(data.to_numpy()))
    scored = data.where(np.broadcast_to(keys > 0, data.shape), lo + hi - data)
    table = pd.DataFrame(
        {
            "item": list(items_df.columns),
            "reversed": keys < 0,
            "n": data.notna().sum().to_numpy(),
            "mean": scored.mean().to_numpy(),
            "r_drop": r_drop,
            "alpha_if_dropped": a_drop,
            "std_alpha_if_dropped": s_drop,
        }
    )
    return ReliabilityResult(raw_alpha=raw, std_alpha=std, average_r=av_r, n_items=k, items=table)


def omega(
    items_df: pd.DataFrame, reverse: Sequence[str] = (), use: Literal["pairwise", "listwise"] = "pairwise"
) -> OmegaResult:
    """McDonald's omega total from a one-factor minimum-residual model of the item correlations.

    Key: ``survey.reliability.omega_<k>``: ``omega_total`` of the scale of ``k`` items, as for
    :func:`reliability`.
    """
    data = items_df.astype(float)
    if use == "listwise":
        data = data.dropna()
    # Correlations each from their own complete pairs (R's cor(use = "pairwise"), as psych::omega/fa use).
    keys = np.array([-1.0 if col in set(reverse) else 1.0 for col in items_df.columns])
    r = data.corr().to_numpy() * np.outer(keys, keys)
    k = r.shape[0]
    off = ~np.eye(k, dtype=bool)

    def resid(lam):
        return (r - np.outer(lam, lam))[off]

    # Start from the first principal axis, the usual minres start.
    vals, vecs = np.linalg.eigh(r)
    start = vecs[:, -1] * np.sqrt(vals[-1])
    start = start * np.sign(start.sum())
    fit = optimize.least_squares(resid, start, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    lam = fit.x * np.sign(fit.x.sum())
    common = lam.sum() ** 2
    unique = np.sum(1 - lam**2)
    table = pd.DataFrame({"item": list(items_df.columns), "loading": lam, "uniqueness": 1 - lam**2})
    return OmegaResult(omega_total=common / (common + unique), items=table)
