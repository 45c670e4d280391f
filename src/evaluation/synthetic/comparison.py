"""Comparison districts (比较区县): a district-by-year panel for a district-wide synthetic control.

When the model is judged district-wide there is one treated unit, the district itself, and the comparison is other
districts and counties. This module writes such a panel: the bundled district (``D00``, 大亚湾区) and
``n_comparison_districts`` comparison districts (``D01`` …, invented names marked 合成), years ``first_year`` …
``report_year``, with three outcomes and three predictors.

Outcomes follow the linear factor model of Abadie (2021, JEL 59(2), section 3.2, eq. 5),
``Y_jt(0) = δ_t + λ_t' μ_j + ε_jt``, with five unit characteristics ``μ_j`` (offsets of log population, of
population growth, of the migrant share and of log GDP per capita from the district's paths, and one unobserved
factor) whose loadings ``λ_t`` drift over time. The district's characteristics are a convex combination of those of
``comparison_active_donors`` comparison districts (weights ``w*``, Dirichlet): the comparison districts'
characteristics are drawn and then centred on their ``w*``-weighted mean, which is the district's. So before the
programme ``Y_0t(0) - Σ_j w*_j Y_jt(0) = ε_0t - Σ_j w*_j ε_jt``: the district lies in the convex hull of the donors
up to noise, which is the condition under which synthetic control is approximately unbiased (Abadie 2021, section
4). The predictors are built the same way, so the district is also the ``w*``-mix of the donors in log population,
population growth, migrant share (logit) and log GDP per capita.

Coherence with the district's own tables:

* the district's ``resident_pop`` and ``migrant_share`` are the sums of its ``population`` table (exact);
* its outcome level ``δ_2019`` (the last pre-programme year) is the district's own 2019 value computed from the
  tables by the definitions of :mod:`evaluation.impact.panels` (respondents' mean index, share of events due closed
  on time, real-estate petitions per 10,000 residents), and ``δ_t`` moves from it by a fixed slope per year;
* the district-wide effect in year ``t`` is the population-weighted mean over the 43 communities of the planted
  community effects ``Y_ct(1) - Y_ct(0)`` (zero before a community adopts), i.e. what the community-level effects add
  up to for the district. It is known exactly and written to ``truth.json`` as ``impact.district.<outcome>.gap_<t>``
  (t >= programme start) and ``impact.district.<outcome>.att_post`` (mean over the post years).

GDP per capita of the district is invented (150,000 CNY in the first year, +5 % a year); everything about the
comparison districts is synthetic.

References
----------
Abadie, A. (2021). Using synthetic controls: feasibility, data requirements, and methodological aspects. *Journal of
Economic Literature* 59(2), 391-425.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..data.contract import LIKERT_ITEMS
from ..indicators.panel_outcomes import outcome_parts
from .config import SynthConfig
from .population import PopulationModel

__all__ = ["ComparisonPanel", "build_comparison", "district_levels", "DISTRICT_OUTCOMES", "TREATED_ID",
           "TREATED_NAME"]

TREATED_ID = "D00"
TREATED_NAME = "大亚湾区"
# outcome -> (slope of the counterfactual path per year, scale of the factor part, noise SD, lower, upper bound).
# The scales keep the comparison districts within a few effect sizes of the district; the noise SDs are those of a
# district-level annual figure (a district survey of a few thousand, tens of thousands of events).
DISTRICT_OUTCOMES: Mapping[str, tuple[float, float, float, float, float]] = {
    "satisfaction_index": (0.8, 3.0, 0.35, 0.0, 100.0),
    "on_time_rate": (0.008, 0.03, 0.004, 0.0, 1.0),
    "real_estate_petitions_per_10k": (0.0, 0.3, 0.05, 0.0, np.inf),
}
_FALLBACK_LEVEL = {"satisfaction_index": 66.0, "on_time_rate": 0.80, "real_estate_petitions_per_10k": 2.2}
_N_CHAR = 5                                 # log-pop level, pop growth, migrant logit, log GDP pc, unobserved
_CHAR_SD = np.array([0.5, 0.4, 0.5, 0.25, 1.0])
_GDP_START, _GDP_GROWTH = 150_000.0, 0.05


@dataclass(frozen=True)
class ComparisonPanel:
    """The generated panel and what the generator knows about it.

    Attributes
    ----------
    table : DataFrame
        ``district_panel`` rows (contract columns), the district first, then the comparison districts by year.
    potential : DataFrame
        The district's potential outcomes: outcome, year, y0, y1, gap (= y1 - y0; zero before the programme).
    true_weights : Series
        ``w*``: weight of each comparison district in the district's characteristics (sums to one).
    truth : dict
        Dotted key -> {"value", "definition"} for the planted district-wide effects.
    """

    table: pd.DataFrame
    potential: pd.DataFrame
    true_weights: pd.Series
    truth: dict[str, dict[str, Any]]


def district_levels(tables: Mapping[str, pd.DataFrame], year: int) -> dict[str, float]:
    """The district's own value of each outcome of :data:`DISTRICT_OUTCOMES` in ``year``, from its tables.

    Ratios of sums over the communities of the impact panels' numerators and denominators
    (:func:`evaluation.indicators.panel_outcomes.outcome_parts`: respondents' mean index, events due on time, petitions
    per 10,000 residents); an outcome with no data that year falls back to a typical value.
    """
    s = tables["survey_responses"]
    items = [c for c in LIKERT_ITEMS if c in s.columns]
    # the generator writes don't-know/refused codes (8/9) as the raw export would; they are missing here
    tables = {**tables, "survey_responses": s.assign(**{c: s[c].where(s[c] <= 5) for c in items})}
    pop = tables["population"]
    residents = float(pop.loc[pop["year"] == year, "resident_pop"].sum())
    out = {}
    for name in DISTRICT_OUTCOMES:
        parts = outcome_parts(tables, name)
        parts = parts[parts["year"] == year]
        num = float(parts["num"].sum())
        den = residents if name.endswith("per_10k") else float(parts["den"].sum())
        out[name] = num / den if len(parts) and den > 0 else _FALLBACK_LEVEL[name]
    return out


def _district_effects(cell_effects: Sequence[pd.DataFrame], pop: PopulationModel, years: np.ndarray,
                      start: int) -> dict[str, np.ndarray]:
    """Population-weighted mean over the communities of each outcome's planted cell effect, per year."""
    out = {}
    for name in DISTRICT_OUTCOMES:
        frame = next(f for f in cell_effects if name in f.columns)
        eff = np.zeros((pop.resident.shape[0], len(years)))
        cells = frame[["child", "year", name]].dropna()
        cells = cells[cells["year"].isin(years)]
        eff[cells["child"].to_numpy(int), cells["year"].to_numpy(int) - years[0]] = cells[name].to_numpy(float)
        res = pop.resident[:, pop.year_index(years)].astype(float)
        gap = (eff * res).sum(axis=0) / res.sum(axis=0)
        out[name] = np.where(years >= start, gap, 0.0)
    return out


def build_comparison(rng: np.random.Generator, config: SynthConfig, pop: PopulationModel,
                     cell_effects: Sequence[pd.DataFrame], levels: Mapping[str, float]) -> ComparisonPanel:
    """Draw the comparison districts and the district's district-wide potential outcomes.

    Parameters
    ----------
    rng : the generator's ``comparison`` stream.
    config : knobs; ``n_comparison_districts`` (>= 2) and ``comparison_active_donors`` are used.
    pop : the district's population model (its totals and migrant shares become the district's predictors).
    cell_effects : frames with ``child``, ``year`` and the planted community effect of each outcome.
    levels : the district's own value of each outcome in the last year before the programme (:func:`district_levels`).
    """
    n = int(config.n_comparison_districts)
    k = int(config.comparison_active_donors)
    if n < 2:
        raise ValueError("a synthetic control needs at least two comparison districts")
    if not 1 <= k <= n:
        raise ValueError("comparison_active_donors must be between 1 and n_comparison_districts")
    years = np.array(config.years)
    start = min(config.cohorts)
    last_pre = start - 1
    tau = (years - last_pre) / 5.0                      # loadings drift on a five-year scale

    # w*: the district is this mix of k comparison districts
    w_star = np.zeros(n)
    w_star[rng.choice(n, size=k, replace=False)] = rng.dirichlet(np.full(k, 2.0))
    mu = rng.normal(0.0, 1.0, (n, _N_CHAR)) * _CHAR_SD
    mu -= w_star @ mu                                   # the district (mu = 0) is the w*-weighted mean

    # predictors: the district's paths from its own tables, the comparison districts' shifted by their mu
    resident = pop.resident[:, pop.year_index(years)].sum(axis=0).astype(float)
    migrant = pop.migrant[:, pop.year_index(years)].sum(axis=0) / resident
    decade = (years - years[0]) / 10.0
    log_pop = np.log(resident)[None, :] + mu[:, [0]] + mu[:, [1]] * decade[None, :]
    mig = expit(logit(migrant)[None, :] + mu[:, [2]])
    gdp0 = _GDP_START * (1 + _GDP_GROWTH) ** (years - years[0])
    gdp = gdp0[None, :] * np.exp(mu[:, [3]])

    effects = _district_effects(cell_effects, pop, years, start)
    z = mu / _CHAR_SD                                    # unit-free characteristics for the loadings
    potential, truth = [], {}
    outcome_cols: dict[str, np.ndarray] = {}
    for name, (slope, scale, noise, lo, hi) in DISTRICT_OUTCOMES.items():
        beta = rng.normal(0, 1, _N_CHAR)
        gamma = rng.normal(0, 0.5, _N_CHAR)
        walk = np.cumsum(rng.normal(0, 0.15, (len(years), _N_CHAR)), axis=0)
        lam = beta[None, :] + gamma[None, :] * tau[:, None] + walk        # (T, F)
        delta = levels[name] + slope * (years - last_pre)
        eps = rng.normal(0, noise, (n + 1, len(years)))
        # divided by sqrt(F) so that ``scale`` is about the SD of the factor part across districts
        y0_donors = delta[None, :] + scale * (z @ lam.T) / np.sqrt(_N_CHAR) + eps[1:]
        y0 = delta + eps[0]
        y1 = y0 + effects[name]
        values = np.vstack([y1, y0_donors])
        if (values < lo).any() or (values > hi).any():
            raise ValueError(f"{name}: the comparison districts left the outcome's range; lower its scale")
        outcome_cols[name] = values
        potential.append(pd.DataFrame({"outcome": name, "year": years, "y0": y0, "y1": y1, "gap": y1 - y0}))
        post = years >= start
        definition = (f"district-wide {name}: population-weighted mean over the communities of the planted "
                      f"community effects (zero before adoption)")
        for yr, g in zip(years[post], effects[name][post]):
            truth[f"impact.district.{name}.gap_{int(yr)}"] = {"value": float(g), "definition": definition}
        truth[f"impact.district.{name}.att_post"] = {
            "value": float(effects[name][post].mean()),
            "definition": f"{definition}; mean over {int(years[post][0])}-{int(years[post][-1])}"}

    ids = [TREATED_ID] + [f"D{i + 1:02d}" for i in range(n)]
    names = [TREATED_NAME] + [f"比较区县{i + 1:02d}（合成）" for i in range(n)]
    n_units, n_years = n + 1, len(years)
    table = pd.DataFrame({
        "district_id": np.repeat(ids, n_years),
        "name_zh": np.repeat(names, n_years),
        "year": np.tile(years, n_units),
        "programme_start_year": pd.array(np.repeat([start] + [None] * n, n_years), dtype="Int64"),
        "resident_pop": np.rint(np.exp(np.vstack([np.log(resident), log_pop]))).astype(np.int64).ravel(),
        "migrant_share": np.round(np.vstack([migrant, mig]), 6).ravel(),
        "gdp_per_capita_cny": np.round(np.vstack([gdp0, gdp]), 0).ravel(),
        **{name: np.round(v, 6).ravel() for name, v in outcome_cols.items()},
    })
    table["district_id"] = table["district_id"].astype("string")
    table["name_zh"] = table["name_zh"].astype("string")
    pot = pd.concat(potential, ignore_index=True)
    return ComparisonPanel(table=table, potential=pot, true_weights=pd.Series(w_star, index=ids[1:], name="weight"),
                           truth=truth)
