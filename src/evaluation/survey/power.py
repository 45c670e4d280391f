"""Sample size per community to detect a change in a mean or a proportion between two independent samples.

Normal-approximation two-sample formulas (e.g. Fleiss, Levin & Paik 2003, §4.2; Lohr 2022, §2.7), inflated by the
design effect of the planned design (Kish 1965): n = deff · n_SRS.

* Mean: n_SRS = (z_{1−α/2} + z_{1−β})² (σ₁² + σ₂²) / δ² (equal group sizes; σ₂ = σ₁ by default) — the solution of
  statsmodels' ``NormalIndPower`` for effect size δ/σ.
* Proportion: n_SRS = (z_{1−α/2} √(2 p̄ q̄) + z_{1−β} √(p₁q₁ + p₂q₂))² / (p₁ − p₂)², as R's ``power.prop.test``.

References
----------
Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods for Rates and Proportions*, 3rd ed. Wiley.
Kish, L. (1965). *Survey Sampling*. Wiley (design effect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from ..results import ResultMixin, tidy_frame

__all__ = ["SampleSize", "n_for_mean_change", "n_for_proportion_change"]


@dataclass(frozen=True)
class SampleSize(ResultMixin):
    """Respondents needed per group (community or wave): ``n_srs`` under SRS, ``n`` with the design effect, rounded
    up in ``n_required`` (result protocol: the estimate and ``n`` are ``n_required``)."""

    n_srs: float
    deff: float
    n: float
    n_required: int

    what = "result.what.sample_size"

    def tidy(self):
        return tidy_frame(self.n_required, n=self.n_required, n_srs=self.n_srs, deff=self.deff, n_design=self.n)

    def record_fields(self) -> tuple[str, ...]:
        return ("n",)


def _result(n_srs: float, deff: float) -> SampleSize:
    if deff < 1e-12:
        raise ValueError("deff must be positive")
    n = n_srs * deff
    return SampleSize(n_srs=n_srs, deff=deff, n=n, n_required=math.ceil(n - 1e-9))


def n_for_mean_change(
    delta: float, sd: float, alpha: float = 0.05, power: float = 0.8, deff: float = 1.0, sd2: float | None = None
) -> SampleSize:
    """Respondents per group to detect a difference ``delta`` in a mean (two-sided test at level ``alpha``)."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    sd2 = sd if sd2 is None else sd2
    return _result(z**2 * (sd**2 + sd2**2) / delta**2, deff)


def n_for_proportion_change(
    p1: float, p2: float, alpha: float = 0.05, power: float = 0.8, deff: float = 1.0
) -> SampleSize:
    """Respondents per group to detect a change from ``p1`` to ``p2`` (two-sided test at level ``alpha``)."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    q1, q2 = 1 - p1, 1 - p2
    n_srs = (za * math.sqrt((p1 + p2) * (q1 + q2) / 2) + zb * math.sqrt(p1 * q1 + p2 * q2)) ** 2 / (p1 - p2) ** 2
    return _result(n_srs, deff)
