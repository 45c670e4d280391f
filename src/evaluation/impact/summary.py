"""One outcome's impact analysis in one call: staggered DiD, TWFE contrast, pre-trend test, sensitivity, verdict.

:func:`impact_summary` runs on a panel from :func:`evaluation.impact.panels.outcome_panel`:

1. **Window.** With no never-treated community the last cohort can only serve as a comparison, so, as R's ``did``
   does (``pre_process_did``: periods ``t >= max(g) - anticipation`` are dropped), the panel ends the year before the
   last cohort starts and that cohort becomes the "never treated within the window" group. Effects are identified
   only through that year.
2. **Staggered DiD** (Callaway & Sant'Anna 2021) with the multiplier bootstrap for the uniform event-study band;
   headline = ``aggte(type = "simple")``.
3. **Pre-periods on carried data are not used as evidence.** Before the 2020 split the outcomes exist only for the
   10 legacy communities and are copied (or shared out) to their children; a pre-treatment ATT(g,t) that compares
   two such years looks at legacy areas, but its influence-function variance treats the 43 copies as independent
   and is far too small (in 24 generated districts without any pre-trend, the Wald pre-test on all pre-periods
   rejected at 5 % in 50-88 % of them). Such cells are set aside (``carried_share`` column of the panel) before
   the event-study aggregation, the pre-test and the sensitivity bound; post-treatment cells are all kept (the 95 %
   interval of the simple ATT covered the truth in 92-100 % of the districts). This is a deliberate departure from
   ``did``. The pre-test on the remaining cells is still somewhat oversized (it rejected in 8-21 % of those
   districts at 5 %, plausibly because neighbours from one legacy community stay alike after the split), so a
   pre-test p just under alpha deserves a second look rather than a dismissal of the estimate.
4. **Pre-test**: Wald test that the remaining pre-treatment ATT(g,t) are jointly zero. With a singular covariance
   (cells that are exact mirror images of each other, or more cells than clusters) ``did`` returns nothing; here the
   generalised Wald statistic with the Moore-Penrose inverse and ``df = rank`` is used (Moore 1977; Andrews 1987),
   which equals ``did``'s statistic when the covariance is regular. The pre-test is *reported, not used as a gate*:
   conditioning on passing a low-powered pre-test distorts inference (Roth 2022). Beside it,
   :func:`pretrend_power_slopes` gives the slope of a linear pre-trend the test would detect with 50 % and 80 %
   power, so a reader sees which trends "passing" does not rule out.
5. **TWFE** static and event-study benchmarks and the Goodman-Bacon decomposition on the same window.
6. **Sensitivity**: Rambachan & Roth's relative magnitudes (Delta^RM, conditional / least-favourable hybrid
   confidence sets, :func:`evaluation.impact.honest.honest_did`) for the headline ATT itself (a weighted sum of the
   post-period event-study coefficients, :func:`headline_weights`), on the universal-base event study, with the
   breakdown Mbar at which the robust set first includes 0 (:func:`rr_sensitivity`). The event study shown is the
   universal-base one too, so its pre- and post-period points are on one scale.
7. **Conclusion code** (:data:`CONCLUSIONS`, rules in :func:`decide`) and caveat flags (:data:`FLAGS`), which the
   notebook turns into words. Several outcomes are tested at once, so :func:`adjust_multiplicity` replaces each
   outcome's p-value by its Holm-adjusted one across the DiD outcomes of the run (Holm 1979), re-decides the
   conclusions with it, and marks the outcomes outside ``primary`` (default :data:`PRIMARY_OUTCOMES`, one per
   domain) as secondary: their verdicts are worded as exploratory.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods. *Journal of
Econometrics* 225(2), 200-230.
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of Economic Studies* 90(5).
Moore, D. S. (1977). Generalized inverses, Wald's method, and the construction of chi-squared tests of fit. *JASA*
72(357), 131-137. Andrews, D. W. K. (1987). Asymptotic results for generalized Wald tests. *Econometric Theory* 3,
348-358.
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. *J. Econometrics* 225(2).
Roth, J. (2022). Pretest with caution: event-study estimates after testing for parallel trends. *American Economic
Review: Insights* 4(3), 305-322.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal of Statistics* 6(2),
65-70.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaluation.impact.bacon import bacon_decomposition
from evaluation.impact.honest import breakdown_m, honest_did
from evaluation.impact.panels import OUTCOMES, attach_covariates, outcome_panel
from evaluation.impact.staggered_did import PretestResult, StaggeredDiDResult, joint_simple_band, staggered_did
from evaluation.impact.twfe import TWFEResult, twfe, twfe_event_study
from evaluation.results import ResultMixin, tidy_frame
from evaluation.text.i18n import t as _t

__all__ = ["ImpactSummary", "impact_summary", "identification_window", "mask_pre_cells", "generalised_pretest",
           "pretrend_power_slopes", "headline_weights", "rr_sensitivity", "few_controls_share", "holm", "decide",
           "adjust_multiplicity", "controls_by_year", "truth_frame", "impact_summaries",
           "CONCLUSIONS", "FLAGS", "FEW_CONTROLS", "PRIMARY_OUTCOMES", "DOMAINS", "verdict_wording"]

#: Conclusion codes, from the strongest statement to none (rules in :func:`decide`).
CONCLUSIONS = ("clear", "sensitive", "not_after_adjustment", "inconclusive", "not_identified")
#: Domain of each outcome of :data:`evaluation.impact.panels.OUTCOMES`.
DOMAINS = {"satisfaction_index": "views", "participation_rate": "participation", "volunteer_rate": "participation",
           "activities_per_1k": "participation", "on_time_rate": "services", "log_time_to_close": "services",
           "real_estate_petitions_per_10k": "petitions"}
#: Default pre-specified (primary) outcomes, one per domain: residents' own verdict (satisfaction), the services'
#: headline standard (events closed on time), residents' own participation rather than counts of activities or
#: registrations the programme itself produces, and the petitions the model is meant to head off.
PRIMARY_OUTCOMES = ("satisfaction_index", "participation_rate", "on_time_rate", "real_estate_petitions_per_10k")
#: Caveat flags that may accompany any conclusion.
FLAGS = ("window_truncated", "few_controls", "single_cohort_tail", "carried_pre_periods", "no_pretest",
         "twfe_differs")
#: Fewer comparison communities than this in a post-treatment cell is "few" (the flag reports the headline weight
#: on such cells and the ATT without them).
FEW_CONTROLS = 10


@dataclass(frozen=True)
class ImpactSummary(ResultMixin):
    """Everything the impact notebook shows for one outcome (see :func:`impact_summary`).

    Result protocol: ``tidy()`` has the headline ATT (term ``att``), the post-adoption event-study effects
    (``dynamic.e<k>``) and the TWFE contrast (``twfe``); ``records(f"impact.{outcome}")`` is exactly what notebook 40
    records for the outcome (nothing when it is not identified); ``plot()`` is the event-study chart with the TWFE
    coefficients beside it; ``summary(lang)`` states the effect and the conclusion.
    """

    outcome: str
    att: float
    se: float
    ci_low: float
    ci_high: float
    n_units: int
    first_year: int
    last_year: int
    event_study: pd.DataFrame
    critical_value: float
    pretest: PretestResult | None
    pretest_power_slopes: dict
    twfe: TWFEResult
    twfe_event_study: pd.DataFrame
    bacon: pd.DataFrame | None
    sensitivity: pd.DataFrame
    mbar: float
    breakdown_mbar: float
    robust_ci: tuple[float, float]
    controls: pd.DataFrame
    conclusion: str
    flags: tuple[str, ...]
    did: StaggeredDiDResult = field(repr=False)
    few_controls_share: float = 0.0
    att_without_few_controls: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    p_value: float = np.nan
    p_adjusted: float = np.nan
    n_tests: int = 1
    primary: bool = True
    alpha: float = 0.05
    confidence: float = 0.95

    what = "result.what.impact"

    def _post(self) -> pd.DataFrame:
        es = self.event_study.assign(k=lambda d: pd.to_numeric(d["event_time"]))
        return es[es["k"] >= 0].dropna(subset=["estimate"])

    def tidy(self) -> pd.DataFrame:
        post = self._post()
        tw = self.twfe
        return tidy_frame(
            [self.att, *post["estimate"], tw.estimate], [self.se, *post["se"], tw.se],
            [self.ci_low, *post["ci_low"], tw.ci_low], [self.ci_high, *post["ci_high"], tw.ci_high],
            [self.n_units, *[np.nan] * len(post), tw.n_clusters],
            ["att", *[f"dynamic.e{int(k)}" for k in post["k"]], "twfe"],
            outcome=self.outcome, p_value=[self.p_value, *[np.nan] * len(post), np.nan],
            p_adjusted=[self.p_adjusted, *[np.nan] * len(post), np.nan])

    def records(self, prefix: str, **fields) -> dict[str, dict]:
        """Notebook 40's records of the outcome under ``prefix`` (``impact.<outcome>``): ``att``, ``dynamic.e<k>``,
        ``att_without_few_controls``, ``twfe``, ``p_value`` (with the Holm ``p_holm``), ``role``, ``pretest_p``,
        ``breakdown_mbar`` and ``conclusion``; none when the effect is not identified."""
        if self.conclusion == "not_identified":
            return {}
        wo, tw = self.att_without_few_controls, self.twfe
        out = {f"{prefix}.att": {"value": self.att, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                                 "n": self.n_units}}
        for r in self._post().itertuples():
            out[f"{prefix}.dynamic.e{int(r.k)}"] = {"value": r.estimate, "se": r.se, "ci_low": r.ci_low,
                                                    "ci_high": r.ci_high}
        out[f"{prefix}.att_without_few_controls"] = {"value": wo[0], "ci_low": wo[1], "ci_high": wo[2],
                                                     "weight_share": self.few_controls_share,
                                                     "threshold": FEW_CONTROLS}
        out.update(tw.records(f"{prefix}.twfe"))
        out[f"{prefix}.p_value"] = {"value": self.p_value, "p_holm": self.p_adjusted, "n_tests": self.n_tests}
        out[f"{prefix}.role"] = {"value": "primary" if self.primary else "secondary"}
        out[f"{prefix}.pretest_p"] = {"value": self.pretest.p_value if self.pretest else None,
                                      "mdt50": self.pretest_power_slopes.get(0.5),
                                      "mdt80": self.pretest_power_slopes.get(0.8)}
        out[f"{prefix}.breakdown_mbar"] = {"value": self.breakdown_mbar, "ci_low": self.robust_ci[0],
                                           "ci_high": self.robust_ci[1], "mbar": self.mbar,
                                           "method": "Rambachan-Roth relative magnitudes, C-LF"}
        out[f"{prefix}.conclusion"] = {"value": self.conclusion}
        return {k: {**v, **fields} for k, v in out.items()}

    def _label(self, lang: str) -> str:
        key = f"impact.outcome.{self.outcome}"
        name = _t(key, lang)
        return _t(self.what, lang) if name == key else _t("result.what.named", lang, what=_t(self.what, lang), name=name)

    def plot(self, ax=None, lang: str = "zh"):
        """The event study (band and points) with the TWFE event-study coefficients beside it."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 4)) if ax is None else (ax.figure, ax)
        es = self.event_study.assign(k=lambda d: pd.to_numeric(d["event_time"]))
        ax.axhline(0, color="#888", lw=0.8)
        ax.axvline(-0.5, color="#bbb", lw=0.8, ls=":")
        ax.fill_between(es["k"], es["ci_low"], es["ci_high"], color="#b22", alpha=0.15)
        ax.plot(es["k"], es["estimate"], "o-", color="#b22")
        tw = self.twfe_event_study
        if len(tw):
            ax.plot(pd.to_numeric(tw["event_time"]) + 0.12, tw["estimate"], "s", color="#e80", ms=4, alpha=0.8)
        ax.set(title=_t("result.fig.title", lang, what=self._label(lang)), xlabel=_t("result.axis.event_time", lang),
               ylabel=_t("result.axis.estimate", lang))
        return fig


def identification_window(panel: pd.DataFrame, time: str = "year", cohort: str = "first_treat",
                          anticipation: int = 0) -> tuple[pd.DataFrame, bool]:
    """Drop the periods in which no not-yet-treated comparison is left (R ``did``'s rule without never-treated units).

    Returns
    -------
    (DataFrame, bool)
        The panel restricted to ``t < max(g) - anticipation`` when no unit is never treated, with cohorts that
        start after the window recoded to 0 (never treated within it), and whether it was cut.
    """
    g = pd.to_numeric(panel[cohort], errors="coerce").fillna(0.0)
    t = pd.to_numeric(panel[time])
    g = g.where(g <= t.max() + anticipation, 0.0)  # cohorts after the panel are never treated within it
    if (g == 0).any() or not (g > 0).any():
        return panel.assign(**{cohort: g.to_numpy()}), False
    keep = (t < g.max() - anticipation).to_numpy()
    out = panel[keep].assign(**{cohort: g[keep].to_numpy()})
    # the last cohort starts after the window: within it, it is never treated (as did treats it)
    t_end = t[keep].max()
    out[cohort] = out[cohort].where(out[cohort] <= t_end + anticipation, 0.0)
    return out, True


def _base_period(tab: pd.DataFrame, periods: np.ndarray, base_period: str, anticipation: int) -> np.ndarray:
    """The base period of every ATT(g,t) cell, as :func:`staggered_did` chose it."""
    out = []
    for g, t in zip(tab["group"].to_numpy(float), tab["time"].to_numpy(float)):
        before_g = periods[periods + anticipation < g]
        univ = before_g[-1] if before_g.size else np.nan
        if base_period == "universal" or g <= t:
            out.append(univ)
        else:
            earlier = periods[periods < t]
            out.append(earlier[-1] if earlier.size else np.nan)
    return np.asarray(out, dtype=float)


def mask_pre_cells(result: StaggeredDiDResult, periods: Sequence[float], drop_years: Sequence[float],
                   base_period: str = "varying", anticipation: int = 0) -> tuple[StaggeredDiDResult, int]:
    """Set aside pre-treatment ATT(g,t) whose period or base period is in ``drop_years``.

    The cells' estimates become NaN, so :meth:`StaggeredDiDResult.aggregate` and :func:`generalised_pretest` skip
    them; post-treatment cells are never touched. Returns the new result and the number of cells set aside.
    """
    tab = result.att_gt.copy()
    base = _base_period(tab, np.sort(np.asarray(periods, dtype=float)), base_period, anticipation)
    drop = set(float(y) for y in drop_years)
    pre = (tab["group"] > tab["time"]).to_numpy()
    touched = np.array([t in drop or b in drop for t, b in zip(tab["time"].to_numpy(float), base)])
    hit = pre & touched & tab["estimate"].notna().to_numpy()
    tab.loc[hit, ["estimate", "se", "ci_low", "ci_high"]] = np.nan
    return replace(result, att_gt=tab), int(hit.sum())


def _pre_cells_spectrum(result: StaggeredDiDResult, rtol: float):
    """The estimated pre-treatment ATT(g,t) cells and the eigen-decomposition of their covariance from the influence
    functions (summed within clusters when the fit clusters): ``(positions, eigenvalues, eigenvectors, kept)``, with
    ``kept`` the eigenvalues above ``rtol`` × the largest (the rank the Wald test uses)."""
    tab = result.att_gt
    pre = np.flatnonzero((tab["group"] > tab["time"]).to_numpy() & tab["estimate"].notna().to_numpy()
                         & tab["se"].notna().to_numpy())
    if pre.size == 0:
        return pre, np.empty(0), np.empty((0, 0)), np.zeros(0, dtype=bool)
    inf = result.influence[:, pre]
    if result.cluster_codes is not None:
        summed = np.zeros((int(result.cluster_codes.max()) + 1, pre.size))
        np.add.at(summed, result.cluster_codes, inf)
        inf = summed
    vals, vecs = np.linalg.eigh(inf.T @ inf / result.n_units**2)
    return pre, vals, vecs, vals > rtol * max(vals.max(), 0.0)


def generalised_pretest(result: StaggeredDiDResult, rtol: float = 1e-8) -> PretestResult | None:
    """Wald test that all (remaining) pre-treatment ATT(g,t) are zero, with a generalised inverse.

    ``W = a' V^+ a`` with ``V`` the influence-function covariance of the pre-treatment estimates ``a`` (summed within
    clusters when the result has them) and ``V^+`` its Moore-Penrose inverse; ``W ~ chi2(rank V)`` under the null
    (Moore 1977; Andrews 1987). Equals ``did``'s pre-test when ``V`` is regular. None without pre-treatment cells.
    Eigenvalues below ``rtol`` times the largest count as zero.
    """
    tab = result.att_gt
    pre, vals, vecs, keep = _pre_cells_spectrum(result, rtol)
    if pre.size == 0 or not keep.any():
        return None
    proj = vecs[:, keep].T @ tab["estimate"].to_numpy(dtype=float)[pre]
    w = float(np.sum(proj**2 / vals[keep]))
    df = int(keep.sum())
    return PretestResult(w, df, float(stats.chi2.sf(w, df)))


def pretrend_power_slopes(result: StaggeredDiDResult, periods: Sequence[float],
                          powers: Sequence[float] = (0.5, 0.8),
                          base_period: str = "varying", anticipation: int = 0,
                          rtol: float = 1e-8) -> dict[float, float]:
    """Slope of a linear pre-trend that :func:`generalised_pretest` detects with each power (Roth 2022's question).

    A differential trend ``delta_t = gamma * t`` shifts each pre-treatment ATT(g,t) by ``gamma * (t - b)``, with
    ``b`` the cell's base period (from ``periods``, the panel's periods). The Wald statistic is then non-central
    chi-square with ``df = rank V`` and non-centrality ``gamma^2 d' V^+ d``; the slope returned for a power ``p``
    solves ``P(chi2_df(lambda) > chi2_df,1-alpha) = p``. Roth's ``pretrends`` package asks the same question of the test
    that rejects when any pre-period coefficient is individually significant; this uses the test the report shows.
    Empty without pre-treatment cells; ``inf`` when the test cannot see a linear trend at all.

    References
    ----------
    Roth, J. (2022). Pretest with caution. *AER: Insights* 4(3), 305-322.
    """
    tab = result.att_gt
    pre, vals, vecs, keep = _pre_cells_spectrum(result, rtol)
    if pre.size == 0:
        return {}
    base = _base_period(tab.iloc[pre], np.sort(np.asarray(periods, dtype=float)), base_period, anticipation)
    d = tab["time"].to_numpy(float)[pre] - base
    if not keep.any():
        return {}
    df = int(keep.sum())
    proj = vecs[:, keep].T @ d
    unit_nc = float(np.sum(proj**2 / vals[keep]))
    crit = stats.chi2.ppf(1 - result.alpha, df)
    out = {}
    for p in powers:
        if unit_nc <= 0:
            out[float(p)] = np.inf
            continue
        lam = optimize.brentq(lambda x: stats.ncx2.sf(crit, df, x) - p, 1e-10, 1e4) if p > result.alpha else 0.0
        out[float(p)] = float(np.sqrt(lam / unit_nc))
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are left out of the family and stay NaN).

    References
    ----------
    Holm, S. (1979). *Scandinavian Journal of Statistics* 6(2), 65-70.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def decide(ci_low: float, ci_high: float, p_adjusted: float, confidence: float, breakdown: float, mbar: float) -> str:
    """The conclusion code from the evidence, in this order (tests of size ``alpha`` = 1 - ``confidence``).

    * ``not_identified``: no estimate (NaN interval);
    * ``inconclusive``: the interval includes 0;
    * ``not_after_adjustment``: the interval excludes 0 but the Holm-adjusted p-value is not below ``alpha``;
    * ``clear``: significant after adjustment, and the Rambachan-Roth breakdown value is at least ``mbar`` (the
      robust interval still excludes 0 when post-adoption departures from parallel trends may be ``mbar`` times the
      pre-adoption ones);
    * ``sensitive``: significant after adjustment, but the breakdown value is below ``mbar`` or unknown (no
      pre-period to scale departures by). The pre-test is deliberately not an input (Roth 2022).
    """
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "not_identified"
    if ci_low <= 0 <= ci_high:
        return "inconclusive"
    alpha = 1 - confidence
    if not p_adjusted < alpha:
        return "not_after_adjustment"
    return "clear" if breakdown >= mbar else "sensitive"  # NaN breakdown compares False


def verdict_wording(conclusion: str, primary: bool) -> str:
    """The catalogue suffix of the words for a verdict: the conclusion code itself, except that a ``clear`` effect
    on an exploratory (secondary) outcome is ``clear_exploratory``, worded as a lead to confirm on new data, never
    as a change attributed to the model.

    The Holm adjustment covers the outcomes this run tested, not the choice of which outcomes to look at: an
    outcome not fixed in advance may be among them because it looked promising. Only a pre-specified outcome can
    carry "the change can be attributed to the model" (Gelman & Loken 2014, "the garden of forking paths")."""
    return "clear_exploratory" if conclusion == "clear" and not primary else conclusion


def adjust_multiplicity(summaries: Mapping[str, ImpactSummary],
                        primary: Sequence[str] | None = None) -> dict[str, ImpactSummary]:
    """Holm-adjust the ATT p-values across the outcomes, re-decide each conclusion, and mark primary outcomes.

    Parameters
    ----------
    summaries : mapping of outcome -> ImpactSummary
        The DiD outcomes of one run (the family of the adjustment).
    primary : list of str, optional
        The pre-specified outcomes (default :data:`PRIMARY_OUTCOMES`); the others are secondary, their verdicts
        exploratory.

    References
    ----------
    Holm (1979); see the module docstring.
    """
    names = list(summaries)
    prim = set(PRIMARY_OUTCOMES if primary is None else primary)
    adj = holm([summaries[n].p_value for n in names])
    m = int(np.isfinite([summaries[n].p_value for n in names]).sum())
    out = {}
    for n, pa in zip(names, adj):
        s = summaries[n]
        code = decide(s.ci_low, s.ci_high, pa, s.confidence, s.breakdown_mbar, s.mbar)
        out[n] = replace(s, p_adjusted=float(pa), n_tests=m, primary=n in prim, conclusion=code)
    return out


def headline_weights(result: StaggeredDiDResult, event_times: Sequence[int]) -> np.ndarray:
    """Weights ``w_e`` with ``sum_e w_e beta_e`` = the simple ATT (``did::aggte(type = "simple")``).

    The simple ATT weights each post-treatment cell by its cohort's share; the dynamic coefficient ``beta_e`` is the
    same weighted mean over the cells at event time e, so ``w_e`` = the cohort-share mass at e over the total.
    """
    tab = result.att_gt
    ok = (tab["group"] <= tab["time"]) & tab["estimate"].notna()
    shares = {g: float(np.mean(result.unit_weight * (result.unit_cohort == g))) for g in tab.loc[ok, "group"]}
    mass = tab[ok].assign(e=lambda d: d["time"] - d["group"], w=lambda d: d["group"].map(shares)) \
        .groupby("e")["w"].sum()
    w = np.array([float(mass.get(e, 0.0)) for e in event_times])
    return w / w.sum()


def rr_sensitivity(result: StaggeredDiDResult, mbar: float, confidence: float = 0.95,
                   grid: Sequence[float] = (0.5, 1.0, 2.0), anticipation: int = 0
                   ) -> tuple[pd.DataFrame, float, tuple[float, float]]:
    """Rambachan-Roth relative-magnitudes sensitivity of the headline (simple) ATT.

    Runs :func:`evaluation.impact.honest.honest_did` (Delta^RM, C-LF) on the event-study coefficients of a
    universal-base result (:meth:`StaggeredDiDResult.event_study_coefficients`): the reference is
    e = -1 - anticipation, the pre-periods the event times below it down to the first gap, the post-periods those
    above it (anticipation periods included, with no weight in the target), and the target is the simple ATT,
    ``sum_e w_e beta_e`` (:func:`headline_weights`).

    Returns
    -------
    (DataFrame, float, (float, float))
        ``m, lb, ub, method`` for ``grid`` and ``mbar``; the breakdown Mbar (:func:`evaluation.impact.honest.
        breakdown_m`, to 0.01); the robust interval at ``mbar``. An empty frame, NaN and (NaN, NaN) without a
        pre-period before the reference.
    """
    alpha = 1 - confidence  # honest_did and breakdown_m mirror HonestDiD's alpha=
    coef, sigma = result.event_study_coefficients()
    e = coef["event_time"].to_numpy(dtype=float)
    ref = -1.0 - anticipation
    pre = []
    k = ref - 1
    while k in e:
        pre.append(k)
        k -= 1
    post = []
    k = ref + 1
    while k in e:
        post.append(k)
        k += 1
    if not pre or not post:
        return pd.DataFrame(columns=["m", "lb", "ub", "method"]), np.nan, (np.nan, np.nan)
    order = sorted(pre) + post
    idx = [int(np.flatnonzero(e == v)[0]) for v in order]
    b = coef["estimate"].to_numpy(dtype=float)[idx]
    sig = sigma[np.ix_(idx, idx)]
    w = headline_weights(result, post)
    ms = sorted(set(float(x) for x in grid) | {float(mbar)})
    table = honest_did(b, sig, len(pre), len(post), "relative_magnitude", ms, w, alpha)
    bd = breakdown_m(b, sig, len(pre), len(post), "relative_magnitude", w, alpha, tol=0.01)
    row = table[table["m"] == float(mbar)].iloc[0]
    return table.assign(num_pre=len(pre), num_post=len(post)), bd, (float(row["lb"]), float(row["ub"]))


def few_controls_share(result: StaggeredDiDResult, n_controls: Mapping[float, int], threshold: int = FEW_CONTROLS
                       ) -> tuple[float, tuple[float, float, float]]:
    """Share of the simple ATT's weight on post-treatment cells compared with fewer than ``threshold`` units, and the
    simple ATT (estimate, ci_low, ci_high) re-aggregated without those cells.

    ``n_controls`` maps each period to the size of the comparison group of its post-treatment cells (not-yet- plus
    never-treated units, or never-treated ones). The weights are ``did``'s: cohort shares over the post cells.
    Returns (0, headline) when no cell is short of controls and NaNs when every cell is.
    """
    tab = result.att_gt
    post = ((tab["group"] <= tab["time"]) & tab["estimate"].notna()).to_numpy()
    shares = {g: float(np.mean(result.unit_weight * (result.unit_cohort == g))) for g in tab["group"]}
    w = np.array([shares[g] for g in tab["group"]]) * post
    few = post & np.array([n_controls.get(t, n_controls.get(float(t), 0)) < threshold for t in tab["time"]])
    share = float(w[few].sum() / w.sum()) if w.sum() > 0 else np.nan
    if share == 0:
        r = result.aggregate("simple").iloc[0]
        return 0.0, (float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))
    if not (post & ~few).any():
        return share, (np.nan, np.nan, np.nan)
    masked = tab.copy()
    masked.loc[few, ["estimate", "se", "ci_low", "ci_high"]] = np.nan
    r = replace(result, att_gt=masked).aggregate("simple").iloc[0]
    return share, (float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))


def controls_by_year(panel: pd.DataFrame, unit: str = "community_id", time: str = "year",
                     cohort: str = "first_treat", anticipation: int = 0) -> pd.DataFrame:
    """Per period: communities already treated, and the not-yet-treated (or never-treated) ones left to compare.

    Returns
    -------
    DataFrame
        year, treated, not_yet_treated, never_treated.
    """
    units = panel.drop_duplicates(unit)
    g = pd.to_numeric(units[cohort], errors="coerce").fillna(0.0).to_numpy()
    rows = []
    for t in np.sort(pd.to_numeric(panel[time]).unique()):
        rows.append((int(t), int(np.sum((g > 0) & (g <= t))), int(np.sum(g > t + anticipation)),
                     int(np.sum(g == 0))))
    return pd.DataFrame(rows, columns=["year", "treated", "not_yet_treated", "never_treated"])


def impact_summary(panel: pd.DataFrame, outcome: str, *, control: str = "notyet", method: str = "dr",
                   anticipation: int = 0, base_period: str = "varying", covariates: Sequence[str] | None = None,
                   n_boot: int = 999, seed: int = 0, confidence: float = 0.95, mbar: float = 1.0,
                   unit: str = "community_id", time: str = "year", cohort: str = "first_treat",
                   y: str = "y") -> ImpactSummary:
    """Staggered DiD, TWFE contrast, pre-test, sensitivity bound and a conclusion code for one outcome.

    Notebook 40 records, for each outcome of the impact panels (``<outcome>``, e.g. ``on_time_rate``), Keys:

    - ``impact.<outcome>.att``: the simple aggregation of the group-time ATTs (Callaway and Sant'Anna, R
      ``did::aggte(type = "simple")``), with its SE, interval and ``n`` (communities);
    - ``impact.<outcome>.dynamic.e<k>``: the event-study estimate ``k`` years after adoption (k ≥ 0), with the
      simultaneous band;
    - ``impact.<outcome>.att_without_few_controls``: the ATT re-aggregated without the post-treatment cells compared
      with fewer than :data:`FEW_CONTROLS` communities (:func:`few_controls_share`; ``weight_share``: their share of
      the weight);
    - ``impact.<outcome>.twfe``: the two-way fixed-effects estimate, the naive benchmark (``n``: clusters);
    - ``impact.<outcome>.p_value``: the ATT's p-value, with ``p_holm``, Holm-adjusted across the run's outcomes
      (:func:`adjust_multiplicity`), and ``n_tests``;
    - ``impact.<outcome>.role``: ``primary`` (:data:`PRIMARY_OUTCOMES`) or ``secondary``;
    - ``impact.<outcome>.pretest_p``: the p-value of the pre-test (:func:`generalised_pretest`), with the linear
      pre-trend slopes it detects with 50 % and 80 % power (``mdt50``, ``mdt80``; :func:`pretrend_power_slopes`);
    - ``impact.<outcome>.breakdown_mbar``: the Rambachan–Roth breakdown value (relative magnitudes), with the robust
      interval at ``mbar``;
    - ``impact.<outcome>.conclusion``: the conclusion code (:func:`decide`).

    Parameters
    ----------
    panel : DataFrame
        ``unit, time, cohort, y`` (0 = never treated), optionally ``carried_share`` (share of the value allocated
        from a legacy community; or a bool ``carried``: wholly allocated) and the covariate columns --
        :func:`evaluation.impact.panels.outcome_panel`. Years in which every value is wholly allocated are the
        legacy years whose pre-treatment comparisons are set aside.
    outcome : str
        Name stored in the result.
    control, method, anticipation, base_period, covariates
        Passed to :func:`evaluation.impact.staggered_did.staggered_did`.
    n_boot : int
        Multiplier-bootstrap draws (uniform band); 0 gives analytic SEs and pointwise bands.
    seed : int
    confidence : float
        Coverage of the intervals and bands; 1 - confidence is the size of the tests (Holm, the conclusion rules),
        kept in the result as ``alpha``.
    mbar : float
        Relative-magnitude bound of the sensitivity analysis.

    Returns
    -------
    ImpactSummary
        ``event_study``: event_time, estimate, se, ci_low, ci_high (simultaneous band for the event times),
        n_cohorts, on the universal base period (reference e = -1: estimate 0, no SE); ``sensitivity``: the
        Rambachan-Roth sets of the headline ATT (:func:`rr_sensitivity`); ``breakdown_mbar`` and ``robust_ci`` from
        it; ``controls``: :func:`controls_by_year` over the window; ``p_value`` of the headline (normal), with
        ``p_adjusted = p_value`` until :func:`adjust_multiplicity` sets the Holm value.

    References
    ----------
    See the module docstring.
    """
    alpha = 1 - confidence
    data, truncated = identification_window(panel, time, cohort, anticipation)
    periods = np.sort(pd.to_numeric(data[time]).unique().astype(float))
    covs = list(covariates or [])
    with warnings.catch_warnings():
        # a cohort without pre-period is dropped by the estimator with a warning; the flags report it
        warnings.simplefilter("ignore", UserWarning)
        res = staggered_did(data, outcome=y, unit=unit, time=time, cohort=cohort, control=control, method=method,
                            covariates=covs or None, anticipation=anticipation, base_period=base_period,
                            se="bootstrap" if n_boot > 0 else "analytic", n_boot=max(n_boot, 1), seed=seed,
                            confidence=confidence)
    carried_years = []
    if "carried_share" in data.columns or "carried" in data.columns:
        # years known only through legacy communities (every value wholly an allocation); a later year whose
        # value includes some carried records (events reported before the split, a carried stock) is observed
        full = (pd.to_numeric(data["carried_share"]) >= 1 - 1e-9) if "carried_share" in data.columns \
            else data["carried"].astype(bool)
        all_carried = full.groupby(pd.to_numeric(data[time])).all()
        carried_years = sorted(all_carried.index[all_carried.to_numpy()].tolist())
    res, n_masked = mask_pre_cells(res, periods, carried_years, base_period, anticipation)
    pretest = generalised_pretest(res)
    power_slopes = pretrend_power_slopes(res, periods, (0.5, 0.8), base_period, anticipation) if pretest else {}

    tab = res.att_gt
    post = tab[(tab["group"] <= tab["time"]) & tab["estimate"].notna()]
    # counted with the cohorts as adopted (before the window's recoding), so the last wave shows as not yet treated
    in_window = pd.to_numeric(panel[time]).isin(periods).to_numpy()
    controls = controls_by_year(panel[in_window], unit, time, cohort, anticipation)
    flags = []
    if truncated:
        flags.append("window_truncated")
    if n_masked:
        flags.append("carried_pre_periods")
    if pretest is None:
        flags.append("no_pretest")

    tw = twfe(data, y, unit, time, cohort, confidence=confidence)
    tw_es = twfe_event_study(data, y, unit, time, cohort, confidence=confidence)
    try:
        bacon = bacon_decomposition(data, y, unit, time, cohort)
    except ValueError:
        bacon = None  # unbalanced panel: the decomposition is defined for balanced panels only

    if post.empty:
        empty = pd.DataFrame(columns=["event_time", "estimate", "se", "ci_low", "ci_high", "n_cohorts"])
        return ImpactSummary(outcome, np.nan, np.nan, np.nan, np.nan, res.n_units, int(periods[0]),
                             int(periods[-1]), empty, res.critical_value, pretest, power_slopes, tw, tw_es, bacon,
                             pd.DataFrame(), mbar, np.nan, (np.nan, np.nan), controls, "not_identified",
                             tuple(flags), res, alpha=alpha, confidence=confidence)

    simple = res.aggregate("simple").iloc[0]
    att, se = float(simple["estimate"]), float(simple["se"])
    # the event study is shown and bounded on the universal base period (every coefficient against the year before
    # adoption), whatever base the ATT(g,t) table uses: with the varying base the pre-period coefficients are
    # one-period changes and the post-period ones cumulative, two scales on one axis
    if base_period == "universal":
        res_u = res
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res_u = staggered_did(data, outcome=y, unit=unit, time=time, cohort=cohort, control=control,
                                  method=method, covariates=covs or None, anticipation=anticipation,
                                  base_period="universal", se="bootstrap" if n_boot > 0 else "analytic",
                                  n_boot=max(n_boot, 1), seed=seed, confidence=confidence)
        res_u, _ = mask_pre_cells(res_u, periods, carried_years, "universal", anticipation)
    dyn = res_u.aggregate("dynamic")
    tab_u = res_u.att_gt
    counts = tab_u[tab_u["estimate"].notna()].assign(e=lambda d: d["time"] - d["group"]) \
        .groupby("e")["group"].nunique()
    dyn["n_cohorts"] = [np.nan if e == "overall" else int(counts.get(e, 0)) for e in dyn["event_time"]]
    crit = float(dyn.attrs.get("critical_value", res_u.critical_value))
    es = dyn[dyn["event_time"] != "overall"].reset_index(drop=True)

    sens, bd, robust = rr_sensitivity(res_u, mbar, confidence, anticipation=anticipation)
    identified_years = sorted(post["time"].unique())
    ctrl = controls.set_index("year").loc[identified_years]
    if control == "notyet":
        n_ctrl = ctrl["not_yet_treated"] + ctrl["never_treated"]
    else:  # never treated within the window (with a truncated window: the last wave)
        n_ctrl = pd.Series(int((data.drop_duplicates(unit)[cohort] == 0).sum()), index=ctrl.index)
    few_share, without_few = few_controls_share(res, n_ctrl.to_dict(), FEW_CONTROLS)
    if few_share > 0:
        flags.append("few_controls")
    last_e = es[pd.to_numeric(es["event_time"]) >= 0].dropna(subset=["estimate"]).iloc[-1]
    if last_e["n_cohorts"] == 1:
        flags.append("single_cohort_tail")
    lo, hi = float(simple["ci_low"]), float(simple["ci_high"])
    if not lo <= tw.estimate <= hi:
        flags.append("twfe_differs")

    # the p-value that matches the pointwise normal interval of the headline
    p_value = float(2 * stats.norm.sf(abs(att / se))) if se > 0 else np.nan
    conclusion = decide(lo, hi, p_value, confidence, bd, mbar)
    return ImpactSummary(outcome, att, se, lo, hi, res.n_units, int(periods[0]), int(periods[-1]),
                         es, crit, pretest, power_slopes, tw, tw_es, bacon, sens, float(mbar), bd, robust, controls,
                         conclusion, tuple(flags), res, few_controls_share=few_share,
                         att_without_few_controls=without_few, p_value=p_value, p_adjusted=p_value, alpha=alpha,
                         confidence=confidence)


def truth_frame(truth: Mapping[str, Mapping[str, object]], outcome: str) -> pd.DataFrame:
    """The planted values of one outcome from a synthetic district's ``truth.json`` (parsed).

    Returns
    -------
    DataFrame
        term ("overall" or the event time k), truth.
    """
    rows = []
    key = f"impact.{outcome}."
    for k, v in truth.items():
        if not k.startswith(key):
            continue
        rest = k[len(key):]
        if rest == "att":
            rows.append(("overall", float(v["value"])))
        elif rest.startswith("dynamic.e"):
            rows.append((int(rest[len("dynamic.e"):]), float(v["value"])))
    rows.sort(key=lambda r: (-1 if r[0] == "overall" else r[0]))
    return pd.DataFrame(rows, columns=["term", "truth"])


def impact_summaries(tables: Mapping[str, pd.DataFrame], outcomes: Sequence[str] | None = None, *,
                     report_year: int, first_year: int = 2000, data_cutoff=None,
                     covariates: Sequence[str] | None = None, primary: Sequence[str] | None = None,
                     control: str = "notyet", method: str = "dr", anticipation: int = 0,
                     base_period: str = "varying", n_boot: int = 999, seed: int = 0, confidence: float = 0.95,
                     mbar: float = 1.0) -> tuple[dict[str, ImpactSummary], float | None]:
    """Every outcome of a run analysed as one family: panels, :func:`impact_summary`, Holm, and a joint band.

    For each outcome of ``outcomes`` (default every one of :data:`evaluation.impact.panels.OUTCOMES`) whose source
    table and the ``programme_rollout`` table are in ``tables``, the community-by-year panel of ``first_year`` ..
    ``report_year`` (:func:`~evaluation.impact.panels.outcome_panel`, seen as at ``data_cutoff``; with
    ``covariates`` attached by :func:`~evaluation.impact.panels.attach_covariates`) goes through
    :func:`impact_summary` with the other arguments. :func:`adjust_multiplicity` then Holm-adjusts the p-values
    across these outcomes (Holm 1979) and marks those outside ``primary`` as exploratory. Last, the identified
    outcomes (conclusion other than ``not_identified``) get one sup-t band covering all their headline ATTs at once
    (:func:`~evaluation.impact.staggered_did.joint_simple_band`, Montiel Olea & Plagborg-Moller 2019).

    Returns
    -------
    (dict, float or None)
        The summaries by outcome, in the order of ``outcomes``, and the joint band's critical value: None with
        fewer than two identified outcomes, or when they were observed on different communities and so share no
        multiplier draws.
    """
    summaries = {}
    for name in outcomes or list(OUTCOMES):
        if OUTCOMES[name] not in tables or "programme_rollout" not in tables:
            continue
        panel = outcome_panel(tables, name, years=range(first_year, report_year + 1), data_cutoff=data_cutoff)
        if covariates:
            panel = attach_covariates(panel, tables, covariates)
        summaries[name] = impact_summary(panel, name, control=control, method=method, anticipation=anticipation,
                                         base_period=base_period, covariates=panel.attrs.get("covariates"),
                                         n_boot=n_boot, seed=seed, confidence=confidence, mbar=mbar)
    summaries = adjust_multiplicity(summaries, primary)
    identified = [s.did for s in summaries.values() if s.conclusion != "not_identified"]
    try:
        crit = joint_simple_band(identified, confidence=confidence)[0] if len(identified) > 1 else None
    except ValueError:
        crit = None  # outcomes observed on different communities: no shared draws
    return summaries, crit
