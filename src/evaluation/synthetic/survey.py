"""Synthetic resident survey: stratified two-stage sample, planted non-response, graded-response Likert items.

Design. Each wave is stratified by community (legacy community before the split, with proportionally more PSUs); the
PSU is a building, with ``psu_size`` respondents each. Respondents are drawn from the community's adult population
(sex x age group x hukou, plus tenure given hukou) tilted by the response propensity of the spec,
``logit p = -2.2 + 0.8 age60p + 0.6 local - 0.4 renter``, so older and local residents are over-represented. They are
also more satisfied (latent +0.40 for age 60+, -0.60 for migrants: ``SynthConfig.satisfaction_*_latent``), so the
unweighted mean is biased upwards by about 2-3 index points, several standard errors.
``base_weight`` is the inverse selection probability ``N_adults / n`` of the stratum (no non-response adjustment).

Items. A latent satisfaction ``theta = eta_ct + x'beta + sigma * eps`` drives the eight 1-5 service items through
Samejima's graded-response model, ``P(Y >= k | theta) = logistic(a_j (theta - b_jk))``, with discriminations 1.2-2.0
(Samejima 1969, Psychometrika Monograph 17). ``sigma`` is set so that Cronbach's alpha of the four perception items is
about 0.85. Satisfaction does not depend on tenure, so non-response is ignorable given the weighting cells and a
post-stratified estimate is unbiased, while the unweighted mean is not.

Potential outcomes. The programme shifts theta by the planted effect (index points divided by the slope ``kappa`` of
the expected index in theta); both potential answers use the same uniforms (inverse-CDF coupling), so ``Y(1) - Y(0)``
is known for every respondent. The finite-population mean of the index integrates the response model over the whole
adult population with Gauss-Hermite quadrature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from .config import SynthConfig
from .geography import Geography, label_community
from .population import HUKOU, SEXES, PopulationModel
from .rollout import Rollout, is_treated, satisfaction_effect_points

__all__ = ["ItemModel", "ITEMS", "LatentModel", "build_latent", "build_survey", "SurveyResult", "satisfaction_index"]

ITEMS = ("q_committee", "q_infrastructure", "q_activities", "q_neighbours",
         "q_trust", "q_belonging", "q_grid_service", "q_service_station")
_TENURES = ("owner", "renter", "dormitory")
_TENURE_GIVEN_HUKOU = {"local": (0.82, 0.18, 0.0), "migrant": (0.22, 0.60, 0.18)}
_TYPE_EFFECT = {"old_town": 0.20, "village_to_urban": 0.0, "new_build": -0.20, "industrial": -0.30}
_IMPORTANCE_MEAN = (3.9, 4.2, 3.7, 4.0, 3.8, 3.9, 4.1, 3.8)


@dataclass(frozen=True)
class ItemModel:
    """Graded-response parameters of the eight 1-5 service items."""

    a: np.ndarray = field(default_factory=lambda: np.array([1.6, 1.4, 1.5, 1.8, 1.3, 1.7, 1.2, 2.0]))
    b: np.ndarray = field(default_factory=lambda: np.array([-2.3, -1.3, -0.2, 1.0])[None, :]
                          + np.array([0.0, 0.15, -0.05, -0.1, 0.05, -0.1, 0.1, 0.0])[:, None])

    def p_at_least(self, theta: np.ndarray) -> np.ndarray:
        """P(Y_j >= k | theta) for k = 2..5: shape theta.shape + (8, 4)."""
        th = np.asarray(theta, dtype=float)[..., None, None]
        return expit(self.a[:, None] * (th - self.b))

    def draw(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Answers 1-5 by inverse CDF from uniforms ``u`` (n, 8): the same u gives coupled potential answers."""
        return 1 + (u[..., None] < self.p_at_least(theta)).sum(axis=-1)

    def expected_index(self, mean: np.ndarray, sd: float, nodes: int = 40) -> np.ndarray:
        """E[index] for theta ~ N(mean, sd^2), by Gauss-Hermite quadrature (index = 100 (mean item - 1) / 4)."""
        x, w = np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()
        th = np.asarray(mean, dtype=float)[..., None] + sd * x
        exp_items = 1 + self.p_at_least(th).sum(axis=-1)            # (..., nodes, 8)
        idx = 100 * (exp_items.mean(axis=-1) - 1) / 4
        return (idx * w).sum(axis=-1)


@dataclass(frozen=True)
class LatentModel:
    """Mean latent satisfaction by child community and year, and the person-level terms."""

    eta: np.ndarray                  # (43, Y)
    beta_sex: np.ndarray             # male, female
    beta_age: np.ndarray             # 18_39, 40_59, 60p
    beta_hukou: np.ndarray           # local, migrant
    sigma: float
    kappa: float                     # index points per latent unit at the population mean
    items: ItemModel

    def cell_mean(self) -> np.ndarray:
        """eta + x'beta for every (child, year, sex, age, hukou)."""
        return (self.eta[:, :, None, None, None] + self.beta_sex[:, None, None]
                + self.beta_age[None, :, None] + self.beta_hukou[None, None, :])


def build_latent(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                 rollout: Rollout) -> LatentModel:
    """Community-year latent means: type, the pilots' parent-level premium, drift and community-year shocks."""
    items = ItemModel()
    sigma = 1.5
    years = pop.years
    base = 0.45
    beta_sex = np.array([0.0, 0.05])
    beta_age = np.array([-0.10, 0.0, config.satisfaction_age60p_latent])
    beta_hukou = np.array([0.0, config.satisfaction_migrant_latent])
    # kappa: slope of the expected index at the population's mean latent value (finite difference).
    m0 = base + 0.0
    kappa = float((items.expected_index(np.array(m0 + 0.05), sigma) - items.expected_index(np.array(m0 - 0.05), sigma)) / 0.1)
    type_eff = np.array([_TYPE_EFFECT[k] for k in geo.child_type])
    dev = rng.normal(0, 0.12, geo.n_children)
    premium = config.pilot_level_premium_points / kappa * rollout.level_z
    trend = 0.03 * (years - years[0])
    shock = rng.normal(0, 0.08, (geo.n_children, len(years)))
    eta = base + (type_eff + dev + premium)[:, None] + trend[None, :] + shock
    if config.selection_on_trend:
        # Violation: communities that adopt earlier were already improving faster (before and after adoption).
        lead = (max(config.cohorts) - rollout.cohort) / (max(config.cohorts) - min(config.cohorts))
        eta = eta + (config.trend_violation_points_per_year / kappa) * lead[:, None] * (years - years[0])[None, :]
    return LatentModel(eta=eta, beta_sex=beta_sex, beta_age=beta_age, beta_hukou=beta_hukou, sigma=sigma,
                       kappa=kappa, items=items)


def satisfaction_index(answers: np.ndarray) -> np.ndarray:
    """Index per respondent: 100 (mean of the valid 1-5 answers - 1) / 4; codes 8/9 are not answers."""
    a = np.where((answers >= 1) & (answers <= 5), answers, np.nan).astype(float)
    with np.errstate(invalid="ignore"):
        return 100 * (np.nanmean(a, axis=1) - 1) / 4


@dataclass(frozen=True)
class SurveyResult:
    table: pd.DataFrame
    cell_effects: pd.DataFrame       # child, year, satisfaction_index, participation_rate: Y(1) - Y(0) cell means
    population_mean: float           # finite-population mean of the index in the report year


def _nonresponse_p(config: SynthConfig) -> np.ndarray:
    """Response propensity for every (sex, age, hukou, tenure) cell."""
    c = config.nonresponse_coef
    age60 = np.array([0, 0, 1])[None, :, None, None]
    local = np.array([1, 0])[None, None, :, None]
    renter = np.array([0, 1, 0])[None, None, None, :]
    return np.broadcast_to(expit(c["intercept"] + c["age60p"] * age60 + c["local_hukou"] * local
                                 + c["renter"] * renter), (2, 3, 2, 3))


def build_survey(rng: np.random.Generator, config: SynthConfig, geo: Geography, pop: PopulationModel,
                 rollout: Rollout, latent: LatentModel) -> SurveyResult:
    """Draw every wave of the survey, its potential outcomes and the population truth of the index."""
    years0 = int(pop.years[0])
    tenure = np.array([_TENURE_GIVEN_HUKOU[h] for h in HUKOU]).T          # (3 tenure, 2 hukou)
    p_resp = _nonresponse_p(config)                                      # (2, 3, 2, 3)

    # --- first stage: PSUs (buildings) per stratum ------------------------------------------------------------
    per_psu = config.psu_size
    psus_per_comm = config.n_per_community // per_psu
    psu_child, psu_wave, psu_unit = [], [], []
    for w in config.survey_waves:
        yi = w - years0
        if w < config.split_year:
            for p in range(geo.n_parents):
                kids = np.flatnonzero(geo.parent_of == p)
                n_psu = psus_per_comm * len(kids)
                wts = pop.adults[kids, yi].sum(axis=(1, 2, 3)).astype(float)
                psu_child.append(rng.choice(kids, size=n_psu, p=wts / wts.sum()))
                psu_wave.append(np.full(n_psu, w))
                psu_unit.append(np.full(n_psu, geo.parent_ids[p]))
        else:
            psu_child.append(np.repeat(np.arange(geo.n_children), psus_per_comm))
            psu_wave.append(np.full(geo.n_children * psus_per_comm, w))
            psu_unit.append(np.repeat(geo.child_ids, psus_per_comm))
    psu_child = np.concatenate(psu_child)
    psu_wave = np.concatenate(psu_wave)
    psu_unit = np.concatenate(psu_unit)

    # --- second stage: respondents, from the population tilted by response propensity -------------------------
    child = np.repeat(psu_child, per_psu)
    wave = np.repeat(psu_wave, per_psu)
    unit = np.repeat(psu_unit, per_psu)
    n = len(child)
    yi = wave - years0
    joint = (pop.adults[:, :, :, :, :, None] * tenure.T[None, None, None, None, :, :]) * p_resp[None, None]
    flat = joint.reshape(geo.n_children, len(pop.years), -1)
    cum = np.cumsum(flat, axis=-1)
    cum = cum / cum[..., -1:]
    cell = (rng.random(n)[:, None] > cum[child, yi]).sum(axis=1)
    s, a, h, ten = np.unravel_index(cell, (2, 3, 2, 3))

    lo = np.array([18, 40, 60])[a]
    age = np.where(a < 2, lo + rng.integers(0, 20, n) + (a == 0) * rng.integers(0, 2, n),
                   60 + np.minimum(rng.exponential(8.0, n), 34).astype(int))
    yrs = np.where(h == 0, np.minimum(age, np.round(rng.gamma(2.0, 9.0, n), 1)),
                   np.minimum(age - 16, np.round(rng.exponential(4.5, n) + 0.2, 1)))

    # --- latent satisfaction and potential outcomes -------------------------------------------------------------
    g = rollout.cohort[child]
    treated = is_treated(config, g, wave)
    theta0 = (latent.eta[child, yi] + latent.beta_sex[s] + latent.beta_age[a] + latent.beta_hukou[h]
              + latent.sigma * rng.normal(0, 1, n))
    delta = satisfaction_effect_points(config, g, wave, h == 1) / latent.kappa
    u_items = rng.random((n, len(ITEMS)))
    y0 = latent.items.draw(theta0, u_items)
    y1 = latent.items.draw(theta0 + delta, u_items)
    dk_items = rng.random((n, len(ITEMS))) < config.dont_know_share
    dk_code = np.where(rng.random((n, len(ITEMS))) < 0.7, 8, 9)
    y_obs = np.where(dk_items, dk_code, y1)
    y_cf = np.where(dk_items, dk_code, y0)
    idx_obs, idx_cf = satisfaction_index(y_obs), satisfaction_index(y_cf)

    z = (theta0 + delta - latent.eta.mean()) / np.sqrt(latent.sigma ** 2 + 0.1)
    overall = np.clip(np.rint(6.9 + 1.4 * z + rng.normal(0, 0.9, n)), 1, 10).astype(int)
    recommend = np.clip(np.rint(6.6 + 1.6 * z + rng.normal(0, 1.2, n)), 0, 10).astype(int)
    imp_person = rng.normal(0, 0.4, n)[:, None]
    imp = np.clip(np.rint(np.array(_IMPORTANCE_MEAN)[None, :] + imp_person + rng.normal(0, 0.75, (n, 8))), 1, 5)
    imp = np.where(rng.random((n, 8)) < config.dont_know_share, np.where(rng.random((n, 8)) < 0.7, 8, 9), imp)
    dk10 = rng.random((n, 2)) < config.dont_know_share
    code10 = np.where(rng.random((n, 2)) < 0.7, 98, 99)
    overall = np.where(dk10[:, 0], code10[:, 0], overall)
    recommend = np.where(dk10[:, 1], code10[:, 1], recommend)

    z0 = (theta0 - latent.eta.mean()) / np.sqrt(latent.sigma ** 2 + 0.1)
    p_part0 = expit(-1.2 + 0.35 * z0 + 0.3 * (a == 2))
    p_vol0 = expit(-2.4 + 0.3 * z0)
    p_part1 = np.clip(p_part0 + treated * config.participation_pp / 100, 0, 1)
    p_vol1 = np.clip(p_vol0 + treated * config.volunteered_pp / 100, 0, 1)
    u_part, u_vol = rng.random(n), rng.random(n)
    part_obs, part_cf = (u_part < p_part1).astype(int), (u_part < p_part0).astype(int)
    vol_obs = (u_vol < p_vol1).astype(int)

    # --- design variables ----------------------------------------------------------------------------------------
    psu_index = np.repeat(np.arange(len(psu_child)), per_psu)
    frame = pd.DataFrame({"wave": wave, "unit": unit, "psu_index": psu_index})
    frame["k_in_unit"] = frame.groupby(["wave", "unit"]).cumcount() + 1
    frame["psu_in_unit"] = frame.groupby(["wave", "unit"])["psu_index"].rank(method="dense").astype(int)
    n_unit = frame.groupby(["wave", "unit"])["k_in_unit"].transform("size").to_numpy()
    adults_child_year = pop.adults.sum(axis=(2, 3, 4))                     # (43, Y)
    label_pop = pd.DataFrame({"unit": label_community(geo, np.repeat(np.arange(geo.n_children), len(pop.years)),
                                                      np.tile(pop.years, geo.n_children), config.split_year),
                              "year": np.tile(pop.years, geo.n_children),
                              "adults": adults_child_year.ravel()}).groupby(["unit", "year"])["adults"].sum()
    N_unit = label_pop.reindex(pd.MultiIndex.from_arrays([unit, wave])).to_numpy()
    days = rng.integers(0, 54, n)
    interview = (pd.to_datetime(pd.Series(wave.astype(str)) + "-10-08") + pd.to_timedelta(days, unit="D"))

    table = pd.DataFrame({
        "wave": wave.astype(np.int64),
        "respondent_id": [f"{u}-{w}-{k:03d}" for u, w, k in zip(unit, wave, frame["k_in_unit"])],
        "community_id": unit,
        "stratum": unit,
        "psu": [f"{u}-{w}-B{b:02d}" for u, w, b in zip(unit, wave, frame["psu_in_unit"])],
        "base_weight": np.round(N_unit / n_unit, 4),
        "interview_date": interview.dt.strftime("%Y-%m-%d").to_numpy(),
        "sex": np.array(SEXES)[s],
        "age": age.astype(np.int64),
        "hukou": np.array(HUKOU)[h],
        "tenure": np.array(_TENURES)[ten],
        "years_resident": yrs,
    })
    for j, item in enumerate(ITEMS):
        table[item] = y_obs[:, j].astype(np.int64)
    table["q_overall"] = overall.astype(np.int64)
    table["q_recommend"] = recommend.astype(np.int64)
    for j, item in enumerate(ITEMS):
        table["imp_" + item[2:]] = imp[:, j].astype(np.int64)
    table["q_participated_12m"] = part_obs
    table["q_volunteered_12m"] = vol_obs

    cells = pd.DataFrame({"child": child, "year": wave, "satisfaction_index": idx_obs - idx_cf,
                          "participation_rate": (part_obs - part_cf).astype(float)})
    cells = cells[wave >= config.split_year].groupby(["child", "year"], as_index=False).mean()

    # --- finite-population mean of the index in the report year -------------------------------------------------
    ry = config.report_year - years0
    means = latent.cell_mean()[:, ry]                                      # (43, 2, 3, 2)
    mig = np.array([0, 1])[None, None, None, :]
    eff = satisfaction_effect_points(config, rollout.cohort[:, None, None, None], config.report_year, mig)
    e_idx = latent.items.expected_index(means + eff / latent.kappa, latent.sigma)
    w_pop = pop.adults[:, ry]
    pop_mean = float((e_idx * w_pop).sum() / w_pop.sum())
    return SurveyResult(table=table, cell_effects=cells, population_mean=pop_mean)
