"""Replicate-weight designs (R ``as.svrepdesign`` / ``svrepdesign``): delete-one-PSU jackknife and bootstrap.

A :class:`ReplicateDesign` holds the full-sample weights ``w`` and multiplicative replicate factors ``a_ir``
(replicate r's weights are ``w_i a_ir``, R's ``combined.weights = FALSE``). A statistic's variance is
``scale · Σ_r rscale_r (θ_r − θ̄)²`` with θ̄ the mean of the replicates (R's default ``mse = FALSE``) or the
full-sample estimate (``mse = True``).

* JK1 (unstratified designs only, as in R): replicate j drops PSU j and multiplies the others by n/(n−1);
  ``scale = f (n−1)/n`` with ``f = (N−n)/N`` from the first-stage fpc, so the fpc is carried as R does.
* JKn (stratified designs, R ``jknweights``): replicate (h, j) drops PSU j of stratum h, the stratum's other PSUs
  get n_h/(n_h−1); ``rscales`` = f_h (n_h−1)/n_h, ``scale`` = 1.
* Bootstrap (Canty & Davison 1999, R ``bootweights``): in each stratum n_h PSUs are drawn with replacement (without
  replacement from N_h copies when a first-stage population size is known); the factor is the number of draws;
  ``scale = n̄/((n̄−1)(R−1))`` with n̄ the harmonic mean of n_h. Our random numbers are not R's, so the R test feeds
  R's exported replicate factors through :class:`ReplicateDesign` directly.

Estimates: mean, total, ratio, proportion, by (domain means/totals) with ``estimate, se, ci_low, ci_high`` (normal
intervals, as ``confint`` on an R ``svrepstat``); ``ciprop`` and ``glm`` with t on the replicate ``degf`` (rank of
the replicate weights − 1, as R); ``quantile`` (every R ``interval.type``); ``deff=True`` on mean, total
and proportion (R ``svymean(..., deff = TRUE)`` on a ``svrepdesign``). A replicate in which a domain
has zero weight is dropped from that domain's variance with a warning, as R does.

References
----------
Wolter, K. (2007). *Introduction to Variance Estimation*, ch. 4–5. Springer.
Canty, A. J. & Davison, A. C. (1999). Resampling-based variance estimation for labour force surveys. *The
Statistician* 48, 379–391.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg

from evaluation.survey.design import SurveyDesign
from evaluation.survey.design import _deff as _design_deff
from evaluation.survey.estimators import QUANTILE_RULES, critical_value

__all__ = ["ReplicateDesign", "as_replicate", "jk1_factors", "jkn_factors", "brr_factors", "sylvester_hadamard",
           "bootstrap_factors"]


class ReplicateDesign:
    """Design described by full-sample weights and replicate weight factors.

    Parameters
    ----------
    df
        The data.
    weights
        Full-sample weights (column name or array).
    replicate_factors
        n × R array of multiplicative replicate factors.
    scale, rscales
        Variance multipliers (R's ``scale`` and ``rscales``).
    mse
        Centre the replicates at the full-sample estimate instead of their mean.
    """

    def __init__(
        self,
        df: pd.DataFrame,
        weights: str | np.ndarray,
        replicate_factors: np.ndarray,
        scale: float,
        rscales: np.ndarray | None = None,
        mse: bool = False,
        method: str = "custom",
    ) -> None:
        self.data = df.reset_index(drop=True)
        self._w = self.data[weights].to_numpy(dtype=float) if isinstance(weights, str) else np.asarray(weights, float)
        self._factors = np.asarray(replicate_factors, dtype=float)
        if self._factors.shape[0] != len(self.data):
            raise ValueError("replicate_factors must have one row per unit")
        self.scale = float(scale)
        n_rep = self._factors.shape[1]
        self.rscales = np.ones(n_rep) if rscales is None else np.asarray(rscales, dtype=float)
        self.mse = mse
        self.method = method
        self._repw = self._w[:, None] * self._factors

    @property
    def n_replicates(self) -> int:
        return self._factors.shape[1]

    def _variance(self, reps: np.ndarray, full: np.ndarray) -> np.ndarray:
        """R ``svrVar`` for a (replicates × statistics) matrix, one statistic at a time.

        A replicate in which a statistic is undefined (a domain with zero weight in that replicate, e.g. the one
        PSU of the domain dropped by the jackknife) is left out of that statistic's variance with a warning, as R
        ``svrVar`` (``na.action = na.omit``) does; ``scale`` is kept.
        """
        reps = np.atleast_2d(np.asarray(reps, dtype=float))
        full = np.broadcast_to(np.asarray(full, dtype=float), (reps.shape[1],))
        out = np.empty(reps.shape[1])
        dropped = 0
        for j in range(reps.shape[1]):
            ok = np.isfinite(reps[:, j])
            if not ok.any():
                out[j] = np.nan
                continue
            dropped = max(dropped, int((~ok).sum()))
            th, rs = reps[ok, j], self.rscales[ok]
            centre = full[j] if self.mse else th[rs > 0].mean()
            out[j] = self.scale * np.sum(rs * (th - centre) ** 2)
        if dropped:
            warnings.warn(f"{dropped} replicates gave NA results and were discarded.", UserWarning, stacklevel=3)
        return out

    def _table(self, est, var, level, labels) -> pd.DataFrame:
        crit = critical_value(level)
        se = np.sqrt(var)
        out = pd.DataFrame(labels)
        out["estimate"] = est
        out["se"] = se
        out["ci_low"] = est - crit * se
        out["ci_high"] = est + crit * se
        return out

    def _y(self, var: str, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
        y = pd.to_numeric(self.data[var]).to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(y) if na_rm else np.ones(len(y), dtype=bool)
        return np.where(ok, y, 0.0), ok

    def _domain_stat(self, y, x, ok, codes, n_dom, kind):
        """Full-sample and replicate ratios Σw y / Σw x per domain (x = 1 for means)."""
        ind = np.zeros((len(y), n_dom))
        sel = codes >= 0
        ind[np.flatnonzero(sel), codes[sel]] = 1.0
        ind *= ok[:, None]
        num_full = (self._w * y) @ ind
        num_rep = (self._repw * y[:, None]).T @ ind
        if kind == "total":
            return num_full, num_rep
        den_full = (self._w * x) @ ind
        den_rep = (self._repw * x[:, None]).T @ ind
        with np.errstate(invalid="ignore", divide="ignore"):  # a domain empty in a replicate: NaN, dropped later
            return num_full / den_full, num_rep / den_rep

    def _deff(self, v: np.ndarray, ind: np.ndarray, ok: np.ndarray, kind: str, deff: bool | str) -> np.ndarray:
        """Design effect of a mean or total on a replicate design (R ``svymean``/``svytotal(deff = TRUE)`` on a
        ``svrepdesign``): the replicate variance over the SRS variance ``svyvar(x) / n`` (times ``N²`` for a total),
        with the without-replacement factor (N − n)/N unless ``deff = "replace"``. n counts the rows used (those
        not missing with ``na_rm``), N their full-sample weights. As :func:`evaluation.survey.design._deff`, NaN
        where Σw < n (without replacement only) or n < 2 (R reports a negative or 0/0 ratio there)."""
        w = self._w[ok]
        x = ind[ok]
        nobs = len(w)
        npop = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            xbar = (w @ x) / npop
            svar = (w @ (x - xbar) ** 2) / npop * nobs / (nobs - 1)
            vsrs = svar / nobs if kind == "mean" else svar * npop**2 / nobs
            if deff != "replace":
                vsrs = vsrs * (npop - nobs) / npop
        return _design_deff(v, vsrs, max(npop, nobs) if deff == "replace" else npop, nobs)

    def mean(self, var: str, na_rm: bool = False, level: float = 0.95, deff: bool | str = False) -> pd.DataFrame:
        """Mean with replicate variance (R ``svymean`` on a ``svrepdesign``); ``deff=True`` (or ``"replace"``)
        adds the design effect column, see :meth:`_deff`."""
        y, ok = self._y(var, na_rm)
        est, reps = self._domain_stat(y, np.ones_like(y), ok, np.zeros(len(y), dtype=np.int64), 1, "mean")
        v = self._variance(reps, est)
        out = self._table(est, v, level, {"variable": [var]})
        if deff:
            out["deff"] = self._deff(v, y[:, None], ok, "mean", deff)
        return out

    def total(self, var: str, na_rm: bool = False, level: float = 0.95, deff: bool | str = False) -> pd.DataFrame:
        """Total with replicate variance (R ``svytotal`` on a ``svrepdesign``); ``deff`` as in :meth:`mean`."""
        y, ok = self._y(var, na_rm)
        est, reps = self._domain_stat(y, y, ok, np.zeros(len(y), dtype=np.int64), 1, "total")
        v = self._variance(reps, est)
        out = self._table(est, v, level, {"variable": [var]})
        if deff:
            out["deff"] = self._deff(v, y[:, None], ok, "total", deff)
        return out

    def ratio(self, num: str, den: str, na_rm: bool = False, level: float = 0.95) -> pd.DataFrame:
        y, ok1 = self._y(num, na_rm)
        x, ok2 = self._y(den, na_rm)
        ok = ok1 & ok2
        est, reps = self._domain_stat(y, x, ok, np.zeros(len(y), dtype=np.int64), 1, "mean")
        return self._table(est, self._variance(reps, est), level, {"numerator": [num], "denominator": [den]})

    def by(
        self, var: str, by: str | Sequence[str], stat: Literal["mean", "total"] = "mean", na_rm: bool = False,
        level: float = 0.95,
    ) -> pd.DataFrame:
        by_cols = [by] if isinstance(by, str) else list(by)
        frame = self.data[by_cols]
        valid = ~frame.isna().any(axis=1).to_numpy()
        keys = frame[valid].drop_duplicates().sort_values(by_cols[::-1]).reset_index(drop=True)
        code_of = {tuple(r): i for i, r in enumerate(keys.itertuples(index=False, name=None))}
        codes = np.full(len(frame), -1, dtype=np.int64)
        codes[valid] = [code_of[tuple(r)] for r in frame[valid].itertuples(index=False, name=None)]
        y, ok = self._y(var, na_rm)
        est, reps = self._domain_stat(y, np.ones_like(y), ok, codes, len(keys), stat)
        table = self._table(est, self._variance(reps, est), level, {"variable": [var] * len(keys)})
        return pd.concat([keys, table], axis=1)


    def degf(self) -> int:
        """Design degrees of freedom: rank of the replicate weights − 1 (R ``degf.svyrep.design``, tolerance 1e-5)."""
        q, r, _ = scipy.linalg.qr(self._repw, mode="economic", pivoting=True)
        diag = np.abs(np.diag(r))
        return int(np.sum(diag > 1e-5 * diag.max())) - 1

    def rows(self, keep: np.ndarray) -> ReplicateDesign:
        """The design restricted to some rows (R ``design[keep, ]`` on a ``svrepdesign``: the other rows leave
        the design, so ``degf`` is that of the remaining replicate weights)."""
        keep = np.asarray(keep, dtype=bool)
        return ReplicateDesign(self.data[keep], self._w[keep], self._factors[keep], scale=self.scale,
                               rscales=self.rscales, mse=self.mse, method=self.method)

    def quantile(
        self, var: str, q: float | Sequence[float] = 0.5, rule: str = "math",
        interval_type: Literal["mean", "beta", "xlogit", "asin", "quantile"] = "mean", na_rm: bool = False,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Weighted quantiles on a replicate design (R ``svyquantile.svyrep.design``, survey 4.1).

        The estimate is the quantile ``rule`` (see :data:`evaluation.survey.estimators.QUANTILE_RULES`) with the
        full-sample weights. ``interval_type`` (R ``interval.type``):

        * ``"mean"``, ``"xlogit"``, ``"asin"``, ``"beta"``: Woodruff (1952). An interval for the CDF at the
          estimate, F̂(q̂) = share of y ≤ q̂ with its replicate variance, is mapped back through the rule: Wald
          on the proportion, on logit(p) or on asin(√p) (delta method), or Korn–Graubard's beta interval with
          the effective sample size scaled by (t_{n−1}/t_degf)², as R's ``woodruffCI``. A CDF bound below 0 or
          above 1 gives NaN, as R.
        * ``"quantile"``: the rule applied with every replicate's weights, replicate variance of those
          quantiles, Wald interval (R's ``repCI``). R warns that jackknife replicates may not give valid SEs for
          quantiles (the jackknife is inconsistent for non-smooth statistics); we warn likewise.

        The critical values are t with :meth:`degf`; ``se`` is the interval width over 2t, as R reports. With
        ``na_rm`` the rows missing ``var`` leave the design (R ``design[!is.na(x), ]``), so ``degf`` is theirs.

        References: Woodruff, R. S. (1952), JASA 47, 635–646; Korn, E. L. & Graubard, B. I. (1998), Survey
        Methodology 24, 193–201; Lumley, T. survey 4.1-1, ``svyquantile``.
        """
        from scipy import stats

        if rule not in QUANTILE_RULES:
            raise ValueError(f"rule must be one of {tuple(QUANTILE_RULES)}")
        if interval_type not in ("mean", "beta", "xlogit", "asin", "quantile"):
            raise ValueError("interval_type must be 'mean', 'beta', 'xlogit', 'asin' or 'quantile'")
        qrule = QUANTILE_RULES[rule]
        qs = [q] if np.isscalar(q) else list(q)
        raw = pd.to_numeric(self.data[var]).to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(raw)
        if miss.any():
            if not na_rm:
                nan = np.full(len(qs), np.nan)
                return pd.DataFrame({"variable": var, "quantile": qs, "estimate": nan, "se": nan, "ci_low": nan,
                                     "ci_high": nan})
            return self.rows(~miss).quantile(var, q, rule=rule, interval_type=interval_type, level=level)
        if interval_type == "quantile" and self.method in ("JK1", "JKn"):
            warnings.warn("Jackknife replicate weights may not give valid standard errors for quantiles",
                          UserWarning, stacklevel=2)
        df = self.degf()
        alpha = 1 - level
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        rows = []
        for p in qs:
            qhat = qrule(raw, self._w, p)
            if interval_type == "quantile":
                reps = np.array([qrule(raw, self._repw[:, r], p) for r in range(self.n_replicates)])
                se = float(np.sqrt(self._variance(reps[:, None], np.array([qhat]))[0]))
                lo, hi = qhat - crit * se, qhat + crit * se
            else:
                ind = (raw <= qhat).astype(float)
                pm = float(self._w @ ind / self._w.sum())
                pm_reps = (self._repw.T @ ind) / self._repw.sum(axis=0)
                se_p = float(np.sqrt(self._variance(pm_reps[:, None], np.array([pm]))[0]))
                with np.errstate(invalid="ignore", divide="ignore"):
                    if interval_type == "mean":
                        lo_p, hi_p = pm - crit * se_p, pm + crit * se_p
                    elif interval_type == "xlogit":
                        b, se_b = np.log(pm / (1 - pm)), se_p / (pm * (1 - pm))
                        lo_p, hi_p = (1 / (1 + np.exp(-(b + s * crit * se_b))) for s in (-1, 1))
                    elif interval_type == "asin":
                        a, se_a = np.arcsin(np.sqrt(pm)), se_p / (2 * np.sqrt(pm * (1 - pm)))
                        lo_p, hi_p = (np.sin(a + s * crit * se_a) ** 2 for s in (-1, 1))
                    else:
                        n_eff = pm * (1 - pm) / se_p**2 * (
                            stats.t.ppf(alpha / 2, len(raw) - 1) / stats.t.ppf(alpha / 2, df)) ** 2
                        lo_p = float(stats.beta.ppf(alpha / 2, n_eff * pm, n_eff * (1 - pm) + 1))
                        hi_p = float(stats.beta.ppf(1 - alpha / 2, n_eff * pm + 1, n_eff * (1 - pm)))
                lo = np.nan if not np.isfinite(lo_p) or lo_p < 0 else qrule(raw, self._w, lo_p)
                hi = np.nan if not np.isfinite(hi_p) or hi_p > 1 else qrule(raw, self._w, hi_p)
            rows.append((var, p, qhat, (hi - lo) / (2 * crit), lo, hi))
        return pd.DataFrame(rows, columns=["variable", "quantile", "estimate", "se", "ci_low", "ci_high"])

    def proportion(self, var: str, na_rm: bool = False, level: float = 0.95, deff: bool | str = False) -> pd.DataFrame:
        """Share of each level of a categorical variable (R ``svymean`` on a factor), replicate variance;
        ``deff`` as in :meth:`mean`."""
        col = self.data[var]
        levels = [c for c in col.cat.categories if (col == c).any()] if isinstance(col.dtype, pd.CategoricalDtype) \
            else sorted(col.dropna().unique().tolist())
        ok = col.notna().to_numpy() if na_rm else np.ones(len(col), dtype=bool)
        if not na_rm and col.isna().any():
            nan = [np.nan] * len(levels)
            out = self._table(np.array(nan), np.array(nan), level, {"variable": [var] * len(levels), "level": levels})
            if deff:
                out["deff"] = np.nan
            return out
        ind = np.column_stack([(col == lev).fillna(False).to_numpy(dtype=float) for lev in levels]) * ok[:, None]
        w = self._w * ok
        est = (w @ ind) / w.sum()
        repw = self._repw * ok[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = (repw.T @ ind) / repw.sum(axis=0)[:, None]
        v = self._variance(reps, est)
        out = self._table(est, v, level, {"variable": [var] * len(levels), "level": levels})
        if deff:
            out["deff"] = self._deff(v, ind, ok, "mean", deff)
        return out

    def ciprop(self, var: str, method: str = "logit", na_rm: bool = False, level: float = 0.95) -> pd.DataFrame:
        """Confidence interval for a proportion on a replicate design (R ``svyciprop``), t with :meth:`degf`.

        ``"logit"``: R fits the intercept-only quasi-binomial GLM to every replicate, i.e. the replicate variance
        of logit(p̂_r); ``"xlogit"``: delta method on the replicate SE of p̂; ``"mean"``: Wald on p̂; ``"asin"``:
        Wald on asin(√p̂) by the delta method; ``"beta"``: Korn & Graubard's interval with the effective sample
        size p̂(1−p̂)/Var(p̂) scaled by (t_{n−1}/t_degf)², n the design's rows (as R, and as
        :meth:`SurveyDesign.ciprop`). ``se`` is the replicate SE of p̂, as R reports. ``"likelihood"`` is
        refused: R 4.1.1's profile on a replicate GLM returns NA bounds, so there is no convention to follow.
        """
        if method == "likelihood":
            raise ValueError("method='likelihood' is not available on replicate designs (R survey 4.1.1 gives NA "
                             "bounds there); use it on the SurveyDesign, or choose 'logit', 'xlogit', 'mean', "
                             "'asin' or 'beta'")
        if method not in ("logit", "xlogit", "mean", "asin", "beta"):
            raise ValueError("method must be 'logit', 'xlogit', 'mean', 'asin' or 'beta'")
        y, ok = self._y(var, na_rm)
        if not na_rm and np.isnan(pd.to_numeric(self.data[var]).to_numpy(dtype=float, na_value=np.nan)).any():
            return self._table(np.array([np.nan]), np.array([np.nan]), level, {"variable": [var]})
        est, reps = self._domain_stat(y, np.ones_like(y), ok, np.zeros(len(y), dtype=np.int64), 1, "mean")
        p = float(est[0])
        se = float(np.sqrt(self._variance(reps, est)[0]))
        from scipy import stats

        crit = float(stats.t.ppf(1 - (1 - level) / 2, self.degf()))
        if p in (0.0, 1.0):
            lo = hi = p
        elif method == "mean":
            lo, hi = p - crit * se, p + crit * se
        elif method == "asin":
            a, se_a = np.arcsin(np.sqrt(p)), se / (2 * np.sqrt(p * (1 - p)))
            lo, hi = (float(np.sin(a + sgn * crit * se_a) ** 2) for sgn in (-1, 1))
        elif method == "beta":
            alpha = 1 - level
            n_eff = p * (1 - p) / se**2 * (stats.t.ppf(alpha / 2, len(self.data) - 1)
                                           / stats.t.ppf(alpha / 2, self.degf())) ** 2
            lo = float(stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
            hi = float(stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
        else:
            b = np.log(p / (1 - p))
            if method == "logit":
                with np.errstate(divide="ignore", invalid="ignore"):
                    b_reps = np.log(reps / (1 - reps))
                se_b = float(np.sqrt(self._variance(b_reps, np.array([b]))[0]))
            else:
                se_b = se / (p * (1 - p))
            lo, hi = (1 / (1 + np.exp(-(b + sgn * crit * se_b))) for sgn in (-1, 1))
        return pd.DataFrame({"variable": [var], "estimate": [p], "se": [se], "ci_low": [lo], "ci_high": [hi]})

    def glm(self, formula: str, family: Literal["gaussian", "binomial"] = "gaussian", level: float = 0.95,
            tol: float = 1e-12, max_iter: int = 100) -> pd.DataFrame:
        """Survey GLM with replicate-weight variance (R ``svyglm`` on a replicate design): the model is refitted
        with every replicate's weights; t interval on ``degf + 1 − p`` degrees of freedom (R ``confint``).

        Returns ``term, estimate, se, ci_low, ci_high, statistic, p_value, df``.
        """
        import patsy
        from scipy import stats

        yy, xx = patsy.dmatrices(formula, self.data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe")
        if yy.shape[1] == 2 and str(yy.columns[1]).endswith("[True]"):
            yy = yy.iloc[:, [1]]
        ok = ~(yy.isna().any(axis=1) | xx.isna().any(axis=1)).to_numpy()
        y = np.where(ok, yy.iloc[:, 0].to_numpy(dtype=float), 0.0)
        x = np.where(ok[:, None], xx.to_numpy(dtype=float), 0.0)

        def fit(w: np.ndarray) -> np.ndarray:
            w = w * ok
            if family == "gaussian":
                xtw = x.T * w
                return np.linalg.solve(xtw @ x, xtw @ y)
            beta = np.zeros(x.shape[1])
            for _ in range(max_iter):
                mu = 1 / (1 + np.exp(-(x @ beta)))
                step = np.linalg.solve((x.T * (w * mu * (1 - mu))) @ x, x.T @ (w * (y - mu)))
                beta = beta + step
                if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
                    break
            return beta

        if family not in ("gaussian", "binomial"):
            raise ValueError("family must be 'gaussian' or 'binomial'")
        beta = fit(self._w)
        betas = np.vstack([fit(self._repw[:, r]) for r in range(self.n_replicates)])
        se = np.sqrt(self._variance(betas, beta))
        df = self.degf() + 1 - len(beta)
        crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
        tstat = beta / se
        return pd.DataFrame({"term": list(xx.columns), "estimate": beta, "se": se, "ci_low": beta - crit * se,
                             "ci_high": beta + crit * se, "statistic": tstat,
                             "p_value": 2 * stats.t.sf(np.abs(tstat), df), "df": df})


def jk1_factors(psu: np.ndarray) -> np.ndarray:
    """Delete-one-PSU jackknife factors: 0 for the dropped PSU, n/(n−1) elsewhere (R ``jk1weights``)."""
    uniq = pd.unique(psu)
    n = len(uniq)
    return (psu[:, None] != uniq[None, :]) * (n / (n - 1))


def jkn_factors(strata: np.ndarray, psu: np.ndarray, popsize: np.ndarray | None = None,
                lonely_psu: str = "fail") -> tuple[np.ndarray, np.ndarray, float]:
    """Stratified delete-one-PSU jackknife (R ``jknweights``): factors, per-replicate ``rscales`` and ``scale``.

    Replicate (h, j) drops PSU j of stratum h and multiplies the stratum's other PSUs by n_h/(n_h − 1); units of
    other strata keep factor 1. ``rscales`` = f_h (n_h − 1)/n_h with f_h = (N_h − n_h)/N_h from a first-stage
    population size (1 without). Strata and PSUs are taken in order of appearance, as R does. A one-PSU stratum
    follows ``lonely_psu``: "fail" raises, "remove"/"certainty" give it no replicate, "average" also scales the
    variance by #PSUs / #replicates, "adjust" gives it one replicate that zeroes the stratum and multiplies every
    other unit by H/(H − 1) with rscale (H − 1)/H.
    """
    strata = np.asarray(strata)
    psu = np.asarray(psu)
    s_codes, s_uniq = pd.factorize(strata)
    p_codes, p_uniq = pd.factorize(psu)
    n_strata = len(s_uniq)
    first = np.unique(p_codes, return_index=True)[1]
    psu_stratum = s_codes[first]
    cols, rscales = [], []
    for h in range(n_strata):
        members = np.flatnonzero(psu_stratum == h)
        n_h = len(members)
        in_h = s_codes == h
        if popsize is None:
            f = 1.0
        else:
            pops = np.unique(np.asarray(popsize, dtype=float)[in_h])
            if len(pops) > 1:
                raise ValueError("More than one fpc value given")
            f = (pops[0] - n_h) / pops[0]
        if n_h == 1 and f != 0:
            if lonely_psu == "fail":
                raise ValueError(f"Stratum {s_uniq[h]} has only one PSU (choose a lonely_psu policy)")
            if lonely_psu == "adjust":
                cols.append(np.where(in_h, 0.0, n_strata / (n_strata - 1)))
                rscales.append((n_strata - 1) / n_strata)
            continue
        for j in members:
            cols.append(np.where(in_h, np.where(p_codes == j, 0.0, n_h / (n_h - 1)), 1.0))
            rscales.append(f * (n_h - 1) / n_h)
    if not cols:
        raise ValueError("All strata were exhaustively sampled: you have the whole population")
    scale = 1.0
    if lonely_psu == "average" and len(cols) < len(p_uniq):
        scale = len(p_uniq) / len(cols)
    return np.column_stack(cols), np.array(rscales), scale


def sylvester_hadamard(min_rows: int) -> np.ndarray:
    """The Sylvester Hadamard matrix (±1) of the smallest order 2^k ≥ ``min_rows``."""
    h = np.ones((1, 1))
    while h.shape[0] < min_rows:
        h = np.block([[h, h], [h, -h]])
    return h


def brr_factors(strata: np.ndarray, psu: np.ndarray, fay_rho: float = 0.0,
                hadamard: np.ndarray | None = None) -> np.ndarray:
    """Balanced repeated replication (and Fay's variant) for two PSUs per stratum (R ``brrweights``).

    Strata are numbered in sorted order of their labels and the two PSUs of a stratum in order of appearance, as R
    does; in replicate r stratum k keeps its first or second PSU by row k + 1 of the Hadamard matrix (R maps its
    first value to "first PSU out"), with factor 2 − ρ for the PSU kept and ρ for the other. ``hadamard`` defaults
    to the Sylvester matrix of order ≥ #strata + 1; R's default ``hadamard()`` can be another matrix of that
    order (pass it, as R's ``hadamard.matrix``, to reproduce R's replicates exactly; the variance is the same
    estimator either way). Strata with other than two PSUs are refused (R's ``small``/``large`` options are not
    implemented).
    """
    strata = np.asarray(strata).astype(str)
    psu = np.asarray(psu)
    p_codes, p_uniq = pd.factorize(psu)
    first = np.unique(p_codes, return_index=True)[1]
    psu_stratum = strata[first]
    labels = sorted(set(psu_stratum))
    sizes = {s: int(np.sum(psu_stratum == s)) for s in labels}
    bad = {s: n for s, n in sizes.items() if n != 2}
    if bad:
        raise ValueError(f"BRR needs exactly two PSUs per stratum; these strata have {bad}")
    h = sylvester_hadamard(len(labels) + 1) if hadamard is None else np.asarray(hadamard)
    if h.shape[0] < len(labels) + 1:
        raise ValueError("the Hadamard matrix needs at least #strata + 1 rows")
    values = pd.unique(h.ravel(order="F"))
    if len(values) != 2:
        raise ValueError("the Hadamard matrix must have exactly two distinct values")
    h01 = np.where(h == values[0], 0, 1)
    k_of_psu = np.array([labels.index(s) for s in psu_stratum])
    order_in_stratum = np.zeros(len(p_uniq), dtype=int)
    for s in labels:
        members = np.flatnonzero(psu_stratum == s)  # in order of appearance
        order_in_stratum[members[1]] = 1
    # weights[:, 0] is 0 for the first PSU and 1 for the second; weights[:, 1] the reverse.
    w = np.column_stack([order_in_stratum, 1 - order_in_stratum]).astype(float)
    factors = np.empty((len(p_uniq), h.shape[1]))
    for r in range(h.shape[1]):
        col = h01[1 + k_of_psu, r]
        wa = w[np.arange(len(p_uniq)), col]
        wb = w[np.arange(len(p_uniq)), 1 - col]
        factors[:, r] = wa * (2 - fay_rho) + wb * fay_rho
    return factors[p_codes]


def bootstrap_factors(
    strata: np.ndarray, psu: np.ndarray, n_reps: int, popsize: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Per-unit bootstrap multiplicities of the unit's PSU (R ``bootweights``)."""
    psu_codes, upsu = pd.factorize(psu)
    first = np.unique(psu_codes, return_index=True)[1]
    psu_stratum = np.asarray(strata)[first]
    psu_pop = None if popsize is None else np.asarray(popsize)[first]
    counts = np.zeros((len(upsu), n_reps))
    for s in pd.unique(psu_stratum):
        members = np.flatnonzero(psu_stratum == s)
        n_h = len(members)
        for r in range(n_reps):
            if psu_pop is None:
                draw = rng.choice(members, size=n_h, replace=True)
            else:
                pool = np.resize(rng.permutation(members), int(psu_pop[members[0]]))
                draw = rng.choice(pool, size=n_h, replace=False)
            counts[:, r] += np.bincount(draw, minlength=len(upsu))
    return counts[psu_codes]


def as_replicate(
    design: SurveyDesign, method: Literal["JK1", "JKn", "BRR", "Fay", "bootstrap"] = "JK1", n_reps: int = 50,
    seed: int | None = None, mse: bool = False, fay_rho: float = 0.0, hadamard: np.ndarray | None = None,
) -> ReplicateDesign:
    """Convert a linearisation design into replicate weights (R ``as.svrepdesign``), carrying the first-stage fpc.

    ``"JK1"`` needs an unstratified design and ``"JKn"`` a stratified one (R refuses the other way round too);
    ``mse=True`` centres the replicates at the full-sample estimate (R ``mse = TRUE``). ``"BRR"`` and ``"Fay"``
    (with ``fay_rho``) need two PSUs per stratum, see :func:`brr_factors`; scale 1 / (R (1 − ρ)²), no fpc.
    """
    if design.is_calibrated:
        raise ValueError("replicate weights of a calibrated design would not be recalibrated; convert first")
    st = design._stages.stages[0]
    psu = st.cluster
    pop = design._popsize_stage1
    if pop is not None and len(design._stages.stages) > 1:
        warnings.warn("Finite population corrections after first stage have been dropped", UserWarning, stacklevel=2)
    if method == "JK1":
        if design.has_strata:
            raise ValueError("Can't use JK1 for a stratified design")
        factors = jk1_factors(psu)
        n = factors.shape[1]
        if pop is None:
            f = 1.0
        else:
            if len(np.unique(pop)) > 1:
                raise ValueError("More than one fpc value given")
            f = (pop[0] - n) / pop[0]
        return ReplicateDesign(design.data, design._weights, factors, scale=f * (n - 1) / n, method="JK1", mse=mse)
    if method == "JKn":
        if not design.has_strata:
            raise ValueError("Must use JK1 or bootstrap for an unstratified design")
        factors, rscales, scale = jkn_factors(design.data[design.spec["strata"][0]].to_numpy(), psu, pop,
                                              design.lonely_psu)
        return ReplicateDesign(design.data, design._weights, factors, scale=scale, rscales=rscales, mse=mse,
                               method="JKn")
    if method in ("BRR", "Fay"):
        if not design.has_strata:
            raise ValueError("Must use JK1 or bootstrap for an unstratified design")
        rho = fay_rho if method == "Fay" else 0.0
        if method == "Fay" and not 0 < rho < 1:
            raise ValueError("Fay's method needs 0 < fay_rho < 1")
        factors = brr_factors(design.data[design.spec["strata"][0]].to_numpy(), psu, rho, hadamard)
        if pop is not None:
            warnings.warn("Finite population correction dropped in conversion", UserWarning, stacklevel=2)
        return ReplicateDesign(design.data, design._weights, factors,
                               scale=1 / (factors.shape[1] * (1 - rho) ** 2), mse=mse, method=method)
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        strata = design._row_strata[0]
        factors = bootstrap_factors(strata, psu, n_reps, pop, rng)
        n_h = np.bincount(st.cluster_stratum)
        nbar = 1 / np.mean(1 / n_h[n_h > 0])
        return ReplicateDesign(
            design.data, design._weights, factors, scale=nbar / ((nbar - 1) * (n_reps - 1)), method="bootstrap",
            mse=mse,
        )
    raise ValueError("method must be 'JK1', 'JKn', 'BRR', 'Fay' or 'bootstrap'")
