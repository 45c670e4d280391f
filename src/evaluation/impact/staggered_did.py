"""Staggered difference-in-differences of Callaway & Sant'Anna (2021), matching R's ``did`` package.

``staggered_did`` estimates every group-time average treatment effect ATT(g,t) with the 2x2 estimators of
:mod:`evaluation.impact.drdid` (as ``did::att_gt``), keeps each cell's influence function, and
:meth:`StaggeredDiDResult.aggregate` forms the simple / dynamic (event-study) / group / calendar summaries with
the influence function of the aggregation, including the term for the estimated group-share weights (as
``did::aggte``). Inference is analytic (``did``'s ``bstrap = FALSE``) or the multiplier bootstrap with
Rademacher weights (as ``did``'s ``mboot``, via BMisc's Rademacher draws), which also gives the sup-t critical
value of the simultaneous (uniform) band; with ``cluster=`` one weight is drawn per cluster and multiplies the
cluster's SUM of the influence function (``did``'s ``clustervars``; Callaway & Sant'Anna 2021, Remark 10), so
with Rademacher weights the bootstrap variance is exactly the cluster-robust (CR0) sandwich. Averaging within
clusters instead, as ``did`` once did, gives small clusters the weight of large ones; with unequal clusters the
95 % intervals then covered far less than 95 % in simulation.

Departures from ``did`` (documented, deliberate):

* Unbalanced panels with ``panel=True`` are estimated cell by cell on the units observed in both periods of
  the 2x2 comparison (``did`` would either drop incomplete units, or with ``allow_unbalanced_panel`` switch to
  the repeated cross-section estimator). A balanced panel gives exactly ``did``'s numbers.
* With ``se="analytic"`` and ``cluster=`` the influence function is summed within clusters (a CR0 sandwich with
  normal critical values, the default); ``did`` ignores ``clustervars`` without the bootstrap. With
  ``small_sample=True`` the variance is scaled by G/(G-1) and the critical values (pointwise and overall) are
  those of Student's t with G-1 degrees of freedom (the usual CR1 few-cluster correction, Cameron & Miller 2015).
* Without never-treated units (``control="notyet"``) ``did``'s rule applies, with a warning: the periods from
  the last cohort's first period (less ``anticipation``) on are dropped, and that cohort is the comparison group.
  ``control="never"`` then raises, as ``did`` stops ("no available never-treated group").
* A cell whose propensity score reaches 0.999 (or separates the groups) is NA and left out of the aggregations,
  with a warning, as ``did::att_gt`` does; here the check is made where a propensity score is fitted (``dr``,
  ``ipw``).
* The bootstrap draws one matrix of multipliers (seeded by ``seed``) and reuses it for ATT(g,t) and every
  aggregation, so the results are reproducible; ``did`` redraws for each call.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
*Journal of Econometrics* 225(2), 200-230.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference. *Journal of Human
Resources* 50(2), 317-372.
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
*Journal of Econometrics* 219(1), 101-122.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.results import ResultFrame, ResultMixin, tidy_frame
from evaluation.impact.drdid import ESTIMATION_METHODS, OverlapError, did_panel, did_repeated_cross_section

__all__ = ["staggered_did", "StaggeredDiDResult", "PretestResult", "joint_simple_band", "Aggregation"]

_AGG_INDEX = {"simple": "term", "dynamic": "event_time", "group": "group", "calendar": "time"}
_TINY_SE = np.sqrt(np.finfo(float).eps) * 10


@dataclass(frozen=True)
class PretestResult(ResultMixin):
    """Wald test that all pre-treatment ATT(g,t) are jointly zero (as in ``summary(att_gt)``).

    Result protocol: the estimate is the Wald statistic (no interval), with ``df`` and ``p_value``; a record's
    ``value`` is the p-value, as notebook 40's ``impact.<outcome>.pretest_p``."""

    statistic: float
    df: int
    p_value: float

    what = "result.what.pretest"

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.statistic, df=self.df, p_value=self.p_value)

    def records(self, prefix: str, **fields) -> dict[str, dict]:
        return {prefix: {"value": self.p_value, "statistic": self.statistic, "df": int(self.df), **fields}}


class Aggregation(ResultFrame):
    """An aggregation of ATT(g,t) (:meth:`StaggeredDiDResult.aggregate`) with the result protocol: rows keyed
    ``overall``, ``e<event time>``, ``g<cohort>`` or ``t<period>``."""

    what = "result.what.aggregation"

    def _terms(self, frame: pd.DataFrame) -> list[str]:
        index = frame.columns[0]
        prefix = {"term": "", "event_time": "e", "group": "g", "time": "t"}.get(index, "")
        return [str(v) if str(v) == "overall" or not prefix else f"{prefix}{v}" for v in frame[index]]


@dataclass(frozen=True)
class StaggeredDiDResult(ResultMixin):
    """ATT(g,t) table plus what the aggregations need (influence functions, group shares, multipliers).

    Result protocol: ``tidy()`` is the ATT(g,t) table keyed ``g<cohort>_t<period>``; :meth:`aggregate` returns an
    :class:`Aggregation`, itself a result."""

    att_gt: pd.DataFrame
    pretest: PretestResult | None
    critical_value: float
    influence: np.ndarray = field(repr=False)
    unit_cohort: np.ndarray = field(repr=False)
    unit_weight: np.ndarray = field(repr=False)
    cluster_codes: np.ndarray | None = field(repr=False)
    multipliers: np.ndarray | None = field(repr=False)
    alpha: float = 0.05
    settings: dict = field(default_factory=dict)
    small_sample: bool = False
    unit_ids: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_units(self) -> int:
        return self.influence.shape[0]

    @property
    def pointwise_critical_value(self) -> float:
        """Normal 1 - alpha/2 quantile, or Student's t with G - 1 df under ``small_sample`` clustering."""
        return _pointwise_crit(self.alpha, self.cluster_codes, self.small_sample)

    # -- inference helpers ---------------------------------------------------------------------------------
    def _se_and_crit(self, inf: np.ndarray) -> tuple[np.ndarray, float]:
        return _inference(inf, self.cluster_codes, self.multipliers, self.alpha, self.small_sample)

    def simple_influence(self) -> tuple[float, np.ndarray]:
        """The simple ATT (``aggte(type = "simple")``) and its influence function, weight estimation included."""
        att, grp, tt, inf, pg = self._estimated_cells()
        return self._cohort_weighted(np.flatnonzero(grp <= tt), att, grp, inf, pg)

    def _estimated_cells(self):
        """The estimated ATT(g,t) cells: estimates, groups, times, influence functions and each cell's cohort
        share P(G = g) (weighted)."""
        tab = self.att_gt
        ok = tab["estimate"].notna().to_numpy()
        grp = tab["group"].to_numpy()[ok].astype(float)
        w = self.unit_weight
        pg_by_g = {g: float(np.mean(w * (self.unit_cohort == g))) for g in np.unique(grp)}
        return (tab["estimate"].to_numpy()[ok], grp, tab["time"].to_numpy()[ok].astype(float),
                self.influence[:, ok], np.array([pg_by_g[g] for g in grp]))

    def _cohort_weighted(self, keep: np.ndarray, att, grp, inf, pg) -> tuple[float, np.ndarray]:
        """The cohort-share weighted mean of cells ``keep`` and its influence function, the estimation of the weights
        included (``did::aggte``'s ``wif``)."""
        w = self.unit_weight
        s = pg[keep].sum()
        ind = np.column_stack([w * (self.unit_cohort == grp[k]) - pg[k] for k in keep])
        wif = ind / s - np.outer(ind.sum(axis=1), pg[keep] / s**2)
        wk = pg[keep] / s
        return float(np.sum(att[keep] * wk)), inf[:, keep] @ wk + wif @ att[keep]

    def _dynamic_parts(self, min_e: float = -np.inf, max_e: float = np.inf):
        """Event-time labels, estimates and influence functions of the dynamic aggregation (``did::aggte``)."""
        att, grp, tt, inf, pg = self._estimated_cells()
        e_all = tt - grp
        eseq = np.sort(np.unique(e_all))
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        ests, fs = [], []
        for e in eseq:
            est, f = self._cohort_weighted(np.flatnonzero(e_all == e), att, grp, inf, pg)
            ests.append(est)
            fs.append(f)
        return [int(e) if float(e).is_integer() else e for e in eseq], ests, fs

    def event_study_coefficients(self, min_e: float = -np.inf, max_e: float = np.inf
                                 ) -> tuple[pd.DataFrame, np.ndarray]:
        """The event study's coefficients and their covariance from the influence functions.

        Event times whose coefficient is a normalisation (the reference period of the universal base: estimate 0
        with a zero influence function) or missing are left out, as ``HonestDiD`` expects.

        Returns
        -------
        (DataFrame, ndarray)
            ``event_time, estimate`` in increasing event time, and ``Sigma = sum_c S_c S_c' / n^2`` with ``S_c`` the
            influence functions summed within clusters (units without clusters; scaled by G/(G-1) under
            ``small_sample``). The covariance is analytic also when the SEs are bootstrapped.

        References
        ----------
        Callaway & Sant'Anna (2021), section 4; Rambachan & Roth (2023), section 6 (inputs to the sensitivity
        analysis).
        """
        labels, ests, fs = self._dynamic_parts(min_e, max_e)
        fmat = np.column_stack(fs) if fs else np.zeros((self.n_units, 0))
        sums = _cluster_sum(fmat, self.cluster_codes)
        var = np.sum(sums**2, axis=0)
        keep = np.flatnonzero(np.isfinite(ests) & (var > _TINY_SE**2 * self.n_units**2))
        sums = sums[:, keep]
        sigma = sums.T @ sums / self.n_units**2
        if self.small_sample and self.cluster_codes is not None and sums.shape[0] > 1:
            sigma = sigma * sums.shape[0] / (sums.shape[0] - 1)
        frame = pd.DataFrame({"event_time": [labels[i] for i in keep], "estimate": [ests[i] for i in keep]})
        return frame, sigma

    what = "result.what.att_gt"

    def tidy(self) -> pd.DataFrame:
        tab = self.att_gt.reset_index(drop=True)
        extras = tab.drop(columns=[c for c in ("estimate", "se", "ci_low", "ci_high", "n") if c in tab.columns])
        term = [f"g{_code(g)}_t{_code(t_)}" for g, t_ in zip(tab["group"], tab["time"])]
        return pd.concat([tidy_frame(tab["estimate"], tab.get("se"), tab.get("ci_low"), tab.get("ci_high"),
                                     None, term), extras], axis=1)

    def aggregate(self, type: str = "simple", min_e: float = -np.inf, max_e: float = np.inf) -> pd.DataFrame:
        """Aggregate ATT(g,t) as ``did::aggte``.

        Parameters
        ----------
        type : {"simple", "dynamic", "group", "calendar"}
            ``simple``: post-treatment ATT(g,t) averaged with weights proportional to group size;
            ``dynamic``: by event time e = t - g, with the overall figure the mean over e >= 0;
            ``group``: by cohort, overall = group-size weighted mean of cohort effects;
            ``calendar``: by calendar period, overall = mean over periods.
        min_e, max_e : float
            Event-time window (``did``'s ``min_e``/``max_e``); also caps post-periods in ``simple``/``group``.

        Returns
        -------
        DataFrame
            Columns ``[<index>, estimate, se, ci_low, ci_high]`` where ``<index>`` is ``term`` (simple),
            ``event_time``, ``group`` or ``time``; the first row is labelled ``"overall"``. The overall CI is
            pointwise (normal); the other rows use the uniform (sup-t) critical value when the bootstrap was
            run, stored in ``DataFrame.attrs["critical_value"]``.

        References
        ----------
        Callaway & Sant'Anna (2021), section 4.
        """
        if type not in _AGG_INDEX:
            raise ValueError(f"type must be one of {tuple(_AGG_INDEX)}, got {type!r}")
        tab = self.att_gt
        ok = tab["estimate"].notna().to_numpy()
        att = tab["estimate"].to_numpy()[ok]
        grp = tab["group"].to_numpy()[ok].astype(float)
        tt = tab["time"].to_numpy()[ok].astype(float)
        inf = self.influence[:, ok]
        w = self.unit_weight
        glist = np.sort(np.unique(grp))
        # group shares P(G = g) over all units (never-treated included); conditioning cancels in the ratios
        pg_by_g = {g: float(np.mean(w * (self.unit_cohort == g))) for g in glist}
        pg = np.array([pg_by_g[g] for g in grp])
        unit_g = self.unit_cohort
        z = self.pointwise_critical_value

        def wif(keep: np.ndarray) -> np.ndarray:
            # influence of estimating the weights pg[keep] / sum(pg[keep])
            ind = np.column_stack([w * (unit_g == grp[k]) - pg[k] for k in keep])
            s = pg[keep].sum()
            return ind / s - np.outer(ind.sum(axis=1), pg[keep] / s**2)

        def combine(keep: np.ndarray, with_wif: bool) -> tuple[float, np.ndarray]:
            wk = pg[keep] / pg[keep].sum()
            est = float(np.sum(att[keep] * wk))
            f = inf[:, keep] @ wk
            if with_wif:
                f = f + wif(keep) @ att[keep]
            return est, f

        post = (grp <= tt) & (tt - grp <= max_e)
        if type == "simple":
            keep = np.flatnonzero(post)
            est, f = combine(keep, True)
            se, _ = self._se_and_crit(f[:, None])
            return _agg_frame("term", ["overall"], [est], se, z, z)

        if type == "dynamic":
            labels, ests, fs = self._dynamic_parts(min_e, max_e)
        elif type == "group":
            ests, fs, labels = [], [], []
            for g in glist:
                keep = np.flatnonzero((grp == g) & post)
                if keep.size == 0:
                    continue
                est, f = combine(keep, False)
                ests.append(est)
                fs.append(f)
                labels.append(_as_int(g))
        else:
            ests, fs, labels = [], [], []
            for t1 in np.sort(np.unique(tt[tt >= grp.min()])):
                keep = np.flatnonzero((tt == t1) & (grp <= tt))
                if keep.size == 0:
                    continue
                est, f = combine(keep, True)
                ests.append(est)
                fs.append(f)
                labels.append(_as_int(t1))
        fmat = np.column_stack(fs)
        ests_a = np.asarray(ests)
        se_k, crit = self._se_and_crit(fmat)

        if type == "dynamic":
            epos = np.asarray(labels) >= 0
            overall = float(ests_a[epos].mean())
            f_over = fmat[:, epos].mean(axis=1)
        elif type == "group":
            g_arr = np.asarray(labels, dtype=float)
            pgg = np.array([pg_by_g[g] for g in g_arr])
            wk = pgg / pgg.sum()
            overall = float(np.sum(ests_a * wk))
            ind = np.column_stack([w * (unit_g == g) - pg_by_g[g] for g in g_arr])
            s = pgg.sum()
            wif_g = ind / s - np.outer(ind.sum(axis=1), pgg / s**2)
            f_over = fmat @ wk + wif_g @ ests_a
        else:
            overall = float(ests_a.mean())
            f_over = fmat.mean(axis=1)
        se_o, _ = self._se_and_crit(f_over[:, None])
        out = _agg_frame(_AGG_INDEX[type], ["overall", *labels], [overall, *ests],
                         np.concatenate([se_o, se_k]), z, crit)
        return out


def _as_int(v: float):
    return int(v) if float(v).is_integer() else v


def _agg_frame(index: str, labels, ests, se, z_overall: float, crit: float) -> pd.DataFrame:
    ests = np.asarray(ests, dtype=float)
    se = np.asarray(se, dtype=float)
    cv = np.full(len(ests), crit)
    cv[0] = z_overall
    df = Aggregation({index: pd.Series(labels, dtype=object), "estimate": ests, "se": se,
                      "ci_low": ests - cv * se, "ci_high": ests + cv * se})
    df.attrs["critical_value"] = float(crit)
    return df


def _code(v) -> str:
    """A cohort or period as a key part: 2019, not 2019.0."""
    f = float(v)
    return str(int(f)) if f.is_integer() else str(v).replace(".", "_")


def _cluster_sum(inf: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    if codes is None:
        return inf
    out = np.zeros((codes.max() + 1, inf.shape[1]))
    np.add.at(out, codes, inf)
    return out


def _pointwise_crit(alpha: float, codes: np.ndarray | None, small_sample: bool) -> float:
    if small_sample and codes is not None:
        return float(stats.t.ppf(1 - alpha / 2, int(codes.max())))  # G - 1 degrees of freedom
    return float(stats.norm.ppf(1 - alpha / 2))


def _inference(inf: np.ndarray, codes: np.ndarray | None, mult: np.ndarray | None,
               alpha: float, small_sample: bool = False) -> tuple[np.ndarray, float]:
    """Standard errors and the uniform critical value for the columns of an influence-function matrix.

    The estimate's deviation is ``(1/n) sum_i psi_i``; with clusters it is ``(1/n) sum_c S_c`` with ``S_c`` the
    cluster sums, so the analytic variance is ``sum_c S_c^2 / n^2`` and a bootstrap draw is
    ``(1/n) sum_c v_c S_c`` (one multiplier per cluster).
    """
    n = inf.shape[0]
    z = _pointwise_crit(alpha, codes, small_sample)
    sums = _cluster_sum(inf, codes)
    if mult is None:
        se = np.sqrt(np.sum(sums ** 2, axis=0)) / n
        if small_sample and codes is not None:
            g = sums.shape[0]
            se = se * np.sqrt(g / (g - 1)) if g > 1 else np.full_like(se, np.nan)
        se = np.where(se <= _TINY_SE, np.nan, se)
        return se, z
    # bres is sqrt(n) times the estimate's bootstrap deviation, as did's mboot scales it
    bres = (mult.T @ sums) / np.sqrt(n)
    # did's mboot: IQR-based scale, sup-t over non-degenerate columns
    q75, q25 = _quantile_type1(bres, 0.75), _quantile_type1(bres, 0.25)
    bsig = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    degenerate = np.sum(bres**2, axis=0) <= _TINY_SE
    bsig = np.where((bsig <= _TINY_SE) | degenerate, np.nan, bsig)
    se = bsig / np.sqrt(n)
    valid = ~np.isnan(bsig)
    if not valid.any():
        return se, z
    bt = np.max(np.abs(bres[:, valid] / bsig[valid]), axis=1)
    crit = float(_quantile_type1(bt[np.isfinite(bt)][:, None], 1 - alpha)[0])
    return se, crit


def _quantile_type1(x: np.ndarray, p: float) -> np.ndarray:
    # R's quantile(type = 1): inverse of the empirical distribution function
    return np.quantile(x, p, axis=0, method="inverted_cdf")


def _normalise_cohort(values: pd.Series) -> np.ndarray:
    g = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(g), 0.0, g)


def staggered_did(
    data: pd.DataFrame,
    outcome: str = "y",
    unit: str | None = "community_id",
    time: str = "year",
    cohort: str = "first_treat",
    control: str = "never",
    method: str = "dr",
    covariates: Sequence[str] | str | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    se: str = "analytic",
    n_boot: int = 999,
    cluster: str | None = None,
    seed: int = 0,
    *,
    confidence: float = 0.95,
    panel: bool = True,
    weights: str | None = None,
    small_sample: bool = False,
) -> StaggeredDiDResult:
    """Group-time ATTs of Callaway & Sant'Anna (2021), as ``did::att_gt``.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per unit and period (``panel=True``) or per observation (``panel=False``).
    outcome, unit, time, cohort : str
        Column names. ``cohort`` holds the first treated period; 0 or NaN means never treated. Cohorts
        treated in or before the first period (plus ``anticipation``) are dropped with a warning, cohorts
        after the last period are treated as never treated (as ``did``).
    control : {"never", "notyet"}
        Comparison group: never-treated units, or never- plus not-yet-treated units.
    method : {"dr", "ipw", "reg"}
        2x2 estimator (see :mod:`evaluation.impact.drdid`).
    covariates : list of str, optional
        Covariates (linear, with intercept); in panel mode taken from the earlier period of each 2x2.
    anticipation : int
        Number of periods of anticipation (``did``'s ``anticipation``).
    base_period : {"varying", "universal"}
    se : {"analytic", "bootstrap"}
        Analytic influence-function SEs, or the Rademacher multiplier bootstrap with ``n_boot`` draws (the
        bootstrap also gives the uniform band's critical value).
    cluster : str, optional
        Column constant within unit defining clusters above the unit.
    seed : int
        Seed of the multiplier draws.
    confidence : float
        Coverage of the pointwise intervals and of the uniform band (``did``'s ``alp`` is 1 - confidence); the
        result keeps it as ``alpha``.
    panel : bool
        True for panel data (one row per unit and period; gaps allowed), False for repeated cross-sections
        (``unit`` may then be None, or an id whose influence functions are summed, as ``did`` with
        ``allow_unbalanced_panel``).
    weights : str, optional
        Column of sampling weights (constant within unit for panels).
    small_sample : bool
        With ``cluster=`` and analytic SEs: scale the variance by G/(G-1) and use Student's t with G-1 df for
        the critical values (default False: CR0 with normal critical values, as ``did``).

    Returns
    -------
    StaggeredDiDResult
        ``att_gt`` has columns group, time, estimate, se, ci_low, ci_high (plus ``post``); ``pretest`` the Wald
        pre-test; ``aggregate()`` the summaries.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
    *Journal of Econometrics* 225(2), 200-230.
    """
    is_panel = bool(panel)
    if control not in ("never", "notyet"):
        raise ValueError(f"control must be 'never' or 'notyet', got {control!r}")
    if method not in ESTIMATION_METHODS:
        raise ValueError(f"method must be one of {ESTIMATION_METHODS}, got {method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if se not in ("analytic", "bootstrap"):
        raise ValueError(f"se must be 'analytic' or 'bootstrap', got {se!r}")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or [])
    needed = [outcome, time, cohort, *covariates] + ([unit] if unit else []) + \
        ([cluster] if cluster else []) + ([weights] if weights else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in the data: {missing}")
    if is_panel and unit is None:
        raise ValueError("panel data need a unit column")

    df = data[needed].copy()
    df = df[df[outcome].notna()]
    if covariates and df[covariates].isna().any().any():
        raise ValueError("covariates have missing values; impute or drop those rows first")
    df["_g"] = _normalise_cohort(df[cohort])
    tvals = np.sort(pd.to_numeric(df[time]).unique().astype(float))
    df["_t"] = pd.to_numeric(df[time]).astype(float)
    # cohorts first treated after the last period are never treated within the sample
    df.loc[df["_g"] > tvals[-1] + anticipation, "_g"] = 0.0
    early = (df["_g"] > 0) & (df["_g"] <= tvals[0] + anticipation)
    if early.any():
        n_early = df.loc[early, unit].nunique() if unit else int(early.sum())
        warnings.warn(f"dropped {n_early} units already treated in the first period", stacklevel=2)
        df = df[~early]
    if is_panel:
        per_unit = df.groupby(unit)["_g"].nunique()
        if (per_unit > 1).any():
            raise ValueError(f"cohort varies within unit for {int((per_unit > 1).sum())} units")
        if df.duplicated([unit, "_t"]).any():
            raise ValueError("more than one row per unit and period; use panel=False for repeated cross-sections")
    glist = np.sort(df.loc[df["_g"] > 0, "_g"].unique())
    if glist.size == 0:
        raise ValueError("no treated cohorts in the data")
    if control == "never" and not (df["_g"] == 0).any():
        raise ValueError(
            "control='never' needs never-treated units and there are none "
            "(use control='notyet' to compare with not-yet-treated cohorts)"
        )
    if not (df["_g"] == 0).any():
        # did's rule (pre_process_did) without never-treated units: drop the periods from max(g) - anticipation on,
        # and the last cohort, never treated within what is left, becomes the comparison group
        g_last = float(glist[-1])
        df = df[df["_t"] < g_last - anticipation].copy()
        df.loc[df["_g"] == g_last, "_g"] = 0.0
        warnings.warn(f"no never-treated units: periods from {_as_int(g_last - anticipation)} on are dropped and the "
                      f"cohort first treated in {_as_int(g_last)} serves as the comparison group (did's rule)",
                      stacklevel=2)
        tvals = np.sort(df["_t"].unique())
        glist = np.sort(df.loc[df["_g"] > 0, "_g"].unique())
        if glist.size == 0 or tvals.size < 2:
            raise ValueError("without never-treated units, did's rule leaves no treated cohort to estimate")

    # unit-level bookkeeping: the influence function lives on units (panel) or ids/rows (cross-sections)
    if unit is not None:
        ids = df[unit].to_numpy()
        uniq, uidx = np.unique(ids.astype(str), return_inverse=True)
    else:
        uidx = np.arange(len(df))
        uniq = uidx
    n = len(uniq)
    df["_u"] = uidx
    first = df.sort_values("_t").drop_duplicates("_u").sort_values("_u")
    unit_cohort = first["_g"].to_numpy()
    unit_w = first[weights].to_numpy(dtype=float) if weights else np.ones(n)
    cluster_codes = None
    if cluster is not None:
        if df.groupby("_u")[cluster].nunique().max() > 1:
            raise ValueError(f"cluster variable {cluster!r} varies within unit")
        cluster_codes = pd.factorize(first[cluster])[0]

    rows = []
    inf_cols = []
    no_overlap: list[str] = []
    tidx_list = range(1, len(tvals)) if base_period == "varying" else range(len(tvals))
    if is_panel:
        wide_y = df.pivot(index="_u", columns="_t", values=outcome).reindex(index=range(n), columns=tvals)
        ymat = wide_y.to_numpy(dtype=float)
        xmats = [df.pivot(index="_u", columns="_t", values=c).reindex(index=range(n), columns=tvals)
                 .to_numpy(dtype=float) for c in covariates]
        wmat = (df.pivot(index="_u", columns="_t", values=weights).reindex(index=range(n), columns=tvals)
                .to_numpy(dtype=float) if weights else None)

    for g in glist:
        base_univ = np.flatnonzero(tvals + anticipation < g)
        if base_univ.size == 0:
            warnings.warn(f"no pre-treatment period for cohort {g}; it is dropped", stacklevel=2)
            continue
        base_univ = int(base_univ[-1])
        for ti in tidx_list:
            t_now = tvals[ti]
            post_cell = g <= t_now
            if base_period == "varying":
                bi = base_univ if post_cell else ti - 1
            else:
                bi = base_univ
                if bi == ti:
                    rows.append((g, t_now, 0.0, int(post_cell)))
                    inf_cols.append(np.zeros(n))
                    continue
            t_base = tvals[bi]
            if control == "never":
                ctrl_g = unit_cohort == 0
            else:
                ctrl_g = (unit_cohort == 0) | ((unit_cohort > max(t_now, t_base) + anticipation) & (unit_cohort != g))
            treat_g = unit_cohort == g
            label = f"cohort {_as_int(g)}, period {_as_int(t_now)} (base {_as_int(t_base)})"
            if is_panel:
                early_i = min(bi, ti)
                obs = ~np.isnan(ymat[:, ti]) & ~np.isnan(ymat[:, bi])
                use = (treat_g | ctrl_g) & obs
                if not np.any(treat_g & use) or not np.any(ctrl_g & use):
                    rows.append((g, t_now, np.nan, int(post_cell)))
                    inf_cols.append(np.zeros(n))
                    continue
                idx = np.flatnonzero(use)
                x = None
                if covariates:
                    x = np.column_stack([np.ones(idx.size)] + [xm[idx, early_i] for xm in xmats])
                wv = wmat[idx, early_i] if wmat is not None else None
                try:
                    res = did_panel(ymat[idx, ti], ymat[idx, bi], treat_g[idx].astype(float), x, wv, method, label)
                except OverlapError:
                    no_overlap.append(label)
                    rows.append((g, t_now, np.nan, int(post_cell)))
                    inf_cols.append(np.zeros(n))
                    continue
                f = np.zeros(n)
                # rescale to the full sample: the cell uses n1 of the n units
                f[idx] = res.influence * (n / idx.size)
            else:
                in_periods = df["_t"].isin([t_now, t_base]).to_numpy()
                ug = unit_cohort[df["_u"].to_numpy()]
                if control == "never":
                    c_obs = ug == 0
                else:
                    c_obs = (ug == 0) | ((ug > max(t_now, t_base) + anticipation) & (ug != g))
                sel = in_periods & ((ug == g) | c_obs)
                sub = df[sel]
                if sub.empty or (ug[sel] == g).all() or (ug[sel] != g).all():
                    rows.append((g, t_now, np.nan, int(post_cell)))
                    inf_cols.append(np.zeros(n))
                    continue
                x = None
                if covariates:
                    x = np.column_stack([np.ones(len(sub))] + [sub[c].to_numpy(dtype=float) for c in covariates])
                wv = sub[weights].to_numpy(dtype=float) if weights else None
                post_ind = (sub["_t"].to_numpy() == t_now).astype(float)
                try:
                    res = did_repeated_cross_section(sub[outcome].to_numpy(dtype=float), post_ind,
                                                     (ug[sel] == g).astype(float), x, wv, method, label)
                except OverlapError:
                    no_overlap.append(label)
                    rows.append((g, t_now, np.nan, int(post_cell)))
                    inf_cols.append(np.zeros(n))
                    continue
                n_obs = len(df) if unit is None else n
                f = np.zeros(n)
                np.add.at(f, sub["_u"].to_numpy(), res.influence * (n_obs / len(sub)))
            rows.append((g, t_now, res.att, int(post_cell)))
            inf_cols.append(f)

    if no_overlap:
        warnings.warn(f"overlap fails (a propensity score reaches 0.999, or separation) in {len(no_overlap)} cell(s); "
                      f"their ATT(g,t) is NA and left out of the aggregations, as did::att_gt: "
                      f"{'; '.join(no_overlap)}", stacklevel=2)
    inf = np.column_stack(inf_cols)
    tab = pd.DataFrame(rows, columns=["group", "time", "estimate", "post"])
    mult = None
    if se == "bootstrap":
        rng = np.random.default_rng(seed)
        n_draw = n if cluster_codes is None else int(cluster_codes.max() + 1)
        mult = rng.choice(np.array([-1.0, 1.0]), size=(n_draw, n_boot))
    alpha = 1 - confidence
    se_gt, crit = _inference(inf, cluster_codes, mult, alpha, small_sample)
    analytic_se, _ = _inference(inf, cluster_codes, None, alpha, small_sample)
    if mult is not None:
        # did keeps the analytic NA pattern (zero-variance cells) when bootstrapping
        se_gt = np.where(np.isnan(analytic_se), np.nan, se_gt)
    tab["se"] = se_gt
    tab["ci_low"] = tab["estimate"] - crit * tab["se"]
    tab["ci_high"] = tab["estimate"] + crit * tab["se"]
    for c in ("group", "time"):
        if np.all(np.mod(tab[c], 1) == 0):
            tab[c] = tab[c].astype(int)
    tab = tab[["group", "time", "estimate", "se", "ci_low", "ci_high", "post"]]

    pre = np.flatnonzero((tab["group"] > tab["time"]).to_numpy() & ~np.isnan(analytic_se)
                         & tab["estimate"].notna().to_numpy())
    pretest = None
    if pre.size:
        v = _cluster_sum(inf[:, pre], cluster_codes)
        v = v.T @ v / n**2
        if 1.0 / np.linalg.cond(v, 1) > np.finfo(float).eps:
            a = tab["estimate"].to_numpy()[pre]
            w_stat = float(a @ np.linalg.solve(v, a))
            pretest = PretestResult(w_stat, int(pre.size), float(stats.chi2.sf(w_stat, pre.size)))

    settings = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, control=control, method=method,
                    covariates=covariates, anticipation=anticipation, base_period=base_period, se=se,
                    n_boot=n_boot if se == "bootstrap" else None, cluster=cluster, seed=seed, panel=is_panel,
                    small_sample=bool(small_sample))
    return StaggeredDiDResult(att_gt=tab, pretest=pretest, critical_value=crit, influence=inf,
                              unit_cohort=unit_cohort, unit_weight=unit_w, cluster_codes=cluster_codes,
                              multipliers=mult, alpha=alpha, settings=settings, small_sample=bool(small_sample),
                              unit_ids=np.asarray(uniq))


def joint_simple_band(results: Sequence[StaggeredDiDResult], *, confidence: float = 0.95) -> tuple[float, np.ndarray]:
    """Sup-t critical value of a band covering the simple ATTs of several outcomes at once.

    The results must share units (same ids, same order) and the same multiplier draws (same ``seed`` and
    ``n_boot``), as the outcomes of one district fitted by :func:`staggered_did` do. The draws of every outcome's
    simple ATT then come from the same multipliers, and the ``confidence`` quantile of their largest standardised
    deviation is the critical value (the sup-t band of Montiel Olea & Plagborg-Moller 2019, here across outcomes;
    Romano & Wolf's step-down uses the same draws).

    Keys (notebook 40, over the identified outcomes): ``impact.joint_band.critical_value`` (``n``: the outcomes
    banded) and ``impact.<outcome>.att_joint``: each outcome's simple ATT with the joint band att ± crit × se.

    Returns
    -------
    (float, ndarray)
        The critical value and the bootstrap SEs of the simple ATTs (``att +- crit * se`` covers all of them
        jointly with probability about ``confidence``).

    References
    ----------
    Montiel Olea, J. L. and Plagborg-Moller, M. (2019). Simultaneous confidence bands: theory, implementation, and
    an application to SVARs. *Journal of Applied Econometrics* 34(1), 1-17.
    Romano, J. P. and Wolf, M. (2005). Stepwise multiple testing as formalized data snooping. *Econometrica* 73(4),
    1237-1282.
    """
    results = list(results)
    if not results:
        raise ValueError("no results to band")
    first = results[0]
    if first.multipliers is None:
        raise ValueError("a joint band needs the multiplier bootstrap (se='bootstrap')")
    for r in results[1:]:
        if (r.multipliers is None or r.multipliers.shape != first.multipliers.shape
                or not np.array_equal(r.multipliers, first.multipliers)
                or r.unit_ids is None or first.unit_ids is None or not np.array_equal(r.unit_ids, first.unit_ids)):
            raise ValueError("the results do not share units and multiplier draws (fit them with the same units, "
                             "seed and n_boot)")
    f = np.column_stack([r.simple_influence()[1] for r in results])
    se, crit = _inference(f, first.cluster_codes, first.multipliers, 1 - confidence, first.small_sample)
    return float(crit), se
