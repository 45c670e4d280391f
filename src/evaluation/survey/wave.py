"""One survey wave as a design: the sampling design from the data, weighting to the population margins, and the
wave's estimates (satisfaction index and perceptions, by community), its weighting summary and group differences.

The district's survey is stratified by community and clustered by building (PSU) with design weights
(``base_weight``); :func:`wave_design` builds that design, or a simple random sample when the columns are missing,
as the data contract says. :func:`weighted_design` then calibrates it to ``population_margins`` of the same year:
post-stratification to community totals, or raking to community × sex, community × age group and community × hukou
margins (Deville & Särndal 1992; Lumley 2010, ch. 7). Calibration-aware standard errors come from the engine
(:mod:`evaluation.survey.calibration`), checked against R ``survey`` in ``tests/reference/survey``.

Empty weighting cells. With 50 respondents per community a margin level can have nobody in the sample (no
respondent over 60 in a community, say). Raking to it is impossible, and simply dropping that level's target would
make the community's margins disagree (sex adds up to N, age to less) so the iteration would never converge.
Such levels are collapsed with an adjacent level of the same dimension in that community — the usual cell-collapsing
rule (Kalton & Flores-Cervantes 2003) — until every level has at least ``min_respondents`` respondents and a
positive population; a dimension collapsed to one level simply fixes the community total. The collapsed cells are
reported in :attr:`WaveDesign.collapsed`. A sample can also lack a combination (no male migrants in a community, say)
that makes the community's margins unreachable together; raking then drives some weights to zero without converging.
Each community is raked on its own first (the margins are all within-community, so the problem separates); where that
fails to converge, or needs a weight below 1/1000 of its design weight, the community's last dimension (hukou, then
age group) is reduced to its total, and the fact is reported in ``collapsed`` too.

References
----------
Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87, 376–382.
Kalton, G. & Flores-Cervantes, I. (2003). Weighting methods. *Journal of Official Statistics* 19(2), 81–97.
Kish, L. (1992). Weighting for unequal P_i. *Journal of Official Statistics* 8(2), 183–200.
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, ch. 7. Wiley.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..results import ResultFrame
from .calibration import calibrate_matrix
from .design import SurveyDesign
from .indices import SERVICE_ITEMS, satisfaction_index

__all__ = ["Weighting", "WaveDesign", "MIN_CELL", "age_band", "wave_design", "margin_targets", "weighted_design",
           "with_weights", "weighting_summary", "wave_estimates", "domain_difference", "wave_differences",
           "pooled_trend", "trend_verdict", "TrendVerdict", "WeightingSummary", "WaveEstimates", "DomainDifference",
           "WaveDifferences", "PooledTrend"]

Weighting = Literal["none", "poststratify", "rake"]
_BAND = re.compile(r"^(\d+)\D+(\d+)$|^(\d+)\s*(?:p|\+|plus|及以上|以上)$")
_DESIGN_COLUMNS = ("stratum", "psu", "base_weight")
MIN_CELL = 10  # smallest raking cell (respondents); see weighted_design


@dataclass(frozen=True, eq=False)
class WaveDesign:
    """A wave's design as analysed, and what was done to build it.

    Attributes
    ----------
    design : the (possibly calibrated) design; its data carry a ``satisfaction_index`` column.
    wave : the wave (None: all waves pooled).
    kind : ``"stratified"`` (strata, PSUs and design weights from the data) or ``"srs"``.
    weighting : the calibration applied: ``"none"``, ``"poststratify"`` or ``"rake"`` (``"none"`` also when the
        margins of the wave's year are missing).
    dimensions : the margins raked to (empty unless ``weighting == "rake"``).
    n_respondents : respondents in the wave.
    n_dropped : respondents left out of the calibrated design because no population margin covers them (missing
        or out-of-band sex, age or hukou; a community without margins).
    collapsed : ``community_id, dimension, level, cell`` for every margin level merged into a wider cell.
    """

    design: SurveyDesign
    wave: int | None
    kind: str
    weighting: str
    dimensions: tuple[str, ...] = ()
    n_respondents: int = 0
    n_dropped: int = 0
    collapsed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["community_id", "dimension", "level", "cell"]), repr=False)


def age_band(age: pd.Series, levels: Sequence[str]) -> pd.Series:
    """Map ages (completed years) onto margin levels written like ``18_39``, ``40-59`` or ``60p``.

    Bands include both ends; a fractional age counts by its completed years. Ages outside every band, and missing
    ages, are NA.
    """
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    a = np.floor(pd.to_numeric(age, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    for level in levels:
        m = _BAND.match(str(level).strip())
        if not m:
            raise ValueError(f"age_group level {level!r} is not a band like 18_39 or 60p")
        lo, hi = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), np.inf)
        out[(a >= lo) & (a <= hi)] = level  # NaN compares False: missing ages stay NA
    return out


def _design_of(df: pd.DataFrame, kind: str, weights: str | None = None) -> SurveyDesign:
    if kind == "stratified":
        return SurveyDesign(df, ids=["psu"], strata="stratum", weights=weights or "base_weight", nest=True,
                            lonely_psu="adjust")
    return SurveyDesign(df, weights=weights)


def wave_design(responses: pd.DataFrame, wave: int | None = None) -> WaveDesign:
    """The sampling design of one wave (all waves when ``wave`` is None), uncalibrated.

    Stratified by ``stratum`` with PSUs ``psu`` (made unique within strata) and weights ``base_weight`` when all
    three columns are present and complete; otherwise a simple random sample with equal weights (data contract).
    A stratum with a single PSU contributes its PSU's deviation from zero (R ``survey.lonely.psu = "adjust"``).
    The satisfaction index (``docs/conventions.md``, over whichever of the eight items the data have) is added as a
    column.
    """
    df = responses if wave is None else responses[responses["wave"] == wave]
    if df.empty:
        raise ValueError(f"the survey has no respondents in wave {wave}")
    items = [c for c in SERVICE_ITEMS if c in df.columns]
    index = satisfaction_index(df, items) if items else pd.Series(np.nan, index=df.index, name="satisfaction_index")
    df = df.assign(satisfaction_index=index.to_numpy()).reset_index(drop=True)
    kind = "stratified" if all(c in df.columns for c in _DESIGN_COLUMNS) and \
        df[list(_DESIGN_COLUMNS)].notna().all().all() else "srs"
    return WaveDesign(design=_design_of(df, kind), wave=wave, kind=kind, weighting="none", n_respondents=len(df))


def with_weights(design: SurveyDesign, weights: np.ndarray | pd.Series | None = None) -> SurveyDesign:
    """The same strata and PSUs with other weights taken as fixed (None: equal weights, the unweighted analysis).

    Used for the unweighted comparison and for replicate methods (bootstrap), which cannot recalibrate each
    replicate; treating calibrated weights as fixed ignores the variance calibration removes, so it is conservative.

    Key: ``survey.satisfaction_index.unweighted``: the report year's mean with equal weights (notebook 20), beside the
    weighted one.
    """
    w = np.ones(len(design.data)) if weights is None else np.asarray(weights, dtype=float)
    df = design.data.assign(_analysis_weight=w)
    spec = design.spec
    return SurveyDesign(df, ids=spec["ids"] or None, strata=spec["strata"] or None, weights="_analysis_weight",
                        fpc=spec["fpc"] or None, nest=spec["nest"], lonely_psu=design.lonely_psu)


def margin_targets(margins: pd.DataFrame, year: int, dimensions: Sequence[str] = ("sex", "age_group", "hukou"),
                   communities: Sequence[str] | None = None) -> dict[str, pd.Series]:
    """Raking targets ``{"m_<dimension>": Series indexed by "<community>|<level>"}`` for ``year``."""
    m = margins[margins["year"] == year]
    if communities is not None:
        m = m[m["community_id"].isin(set(communities))]
    if m.empty:
        raise ValueError(f"population_margins has no rows for {year}")
    out = {}
    for dim in dimensions:
        d = m[m["dimension"] == dim]
        if d.empty:
            continue
        key = d["community_id"].astype(str) + "|" + d["level"].astype(str)
        out[f"m_{dim}"] = pd.Series(d["count"].astype(float).to_numpy(), index=key.to_numpy())
    return out


def _level_order(dim: str, levels: Sequence[str]) -> list[str]:
    if dim == "age_group":
        def lower(level: str) -> int:
            m = _BAND.match(str(level).strip())
            return int(m.group(1) or m.group(3)) if m else 10**6
        return sorted(levels, key=lower)
    return sorted(levels)


def _pop_sum(pop: dict[str, float], members: Sequence[str]) -> float:
    """``pop.reindex(members).sum()`` of the Series ``pop`` as a dict (every member a level of it): the same float,
    numpy's sum of the same values in the same order, without a pandas reindex per call."""
    return np.array([pop[m] for m in members], dtype=float).sum()


def _collapse(pop: pd.Series, sample: pd.Series, min_respondents: int) -> dict[str, list[str]]:
    """Groups of adjacent levels (in ``pop``'s order) so that each has ≥ ``min_respondents`` and population > 0."""
    groups = [[lev] for lev in pop.index]
    # plain dicts: this runs for every community, dimension and wave, and a pandas reindex per test cost seconds
    pop_of = dict(zip(pop.index, pop.to_numpy(dtype=float)))
    n_of = dict(zip(sample.index, sample.to_numpy()))

    def n_in(g: list[str]) -> int:
        return sum(int(n_of.get(lev, 0)) for lev in g)

    def short(g: list[str]) -> bool:
        return n_in(g) < min_respondents or _pop_sum(pop_of, g) <= 0

    while len(groups) > 1:
        bad = next((i for i, g in enumerate(groups) if short(g)), None)
        if bad is None:
            break
        # Merge with the neighbour that has fewer respondents (the previous one on a tie).
        nbrs = [j for j in (bad - 1, bad + 1) if 0 <= j < len(groups)]
        j = min(nbrs, key=lambda k: (n_in(groups[k]), k != bad - 1))
        lo, hi = sorted((bad, j))
        groups[lo:hi + 1] = [groups[lo] + groups[hi]]
    return {"+".join(g): g for g in groups}


def _ipf_ok(w: np.ndarray, dims: list[tuple[np.ndarray, dict[str, list[str]], pd.Series]], tol: float,
            max_iter: int) -> bool:
    """Whether raking one community's weights ``w`` to its cells converges without weights collapsing to ~0."""
    codes, targets = [], []
    for values, groups, pop in dims:
        code = np.full(len(values), -1)
        t = np.empty(len(groups))
        pop_of = dict(zip(pop.index, pop.to_numpy(dtype=float)))
        for i, members in enumerate(groups.values()):
            code[np.isin(values, members)] = i
            t[i] = _pop_sum(pop_of, members)
        codes.append(code)
        targets.append(t)
    g = w.astype(float).copy()
    for _ in range(max_iter):
        for code, t in zip(codes, targets):
            g *= (t / np.bincount(code, weights=g, minlength=len(t)))[code]
        gap = max(np.max(np.abs(np.bincount(c, weights=g, minlength=len(t)) - t)) for c, t in zip(codes, targets))
        if gap < max(tol, 1e-10) * g.sum():
            return bool(np.min(g / w) > 1e-3)
    return False


def weighted_design(responses: pd.DataFrame, margins: pd.DataFrame | None, wave: int,
                    method: Weighting = "rake", dimensions: Sequence[str] = ("sex", "age_group", "hukou"),
                    min_respondents: int = MIN_CELL, tol: float = 1e-10, max_iter: int = 200,
                    bounds: tuple[float, float] | None = None) -> WaveDesign:
    """The wave's design calibrated to the population margins of the same year by ``method``.

    Keys (notebook 20, means of the report year's weighted design among those answering): ``survey.participation_rate``
    (``q_participated_12m``: took part in a community activity in the last 12 months) and
    ``survey.volunteer_rate_12m`` (``q_volunteered_12m``: volunteered in the last 12 months), shares of 0/1 answers.

    Parameters
    ----------
    responses
        ``survey_responses`` (answers already recoded: 8/9 missing).
    margins
        ``population_margins`` (``community_id, year, dimension, level, count``); None leaves the design weights.
    wave
        The wave; its year's margins are used.
    method
        ``"none"`` (design weights), ``"poststratify"`` (to the communities' adult totals, R ``postStratify``) or
        ``"rake"`` (to community × level margins of each dimension, R ``rake``).
    dimensions
        Margins raked to; those absent from the survey or from the year's margins are skipped.
    min_respondents
        Smallest number of respondents of a raking cell; smaller cells are collapsed with a neighbour. The default,
        :data:`MIN_CELL` = 10, keeps a cell's adjustment factor from resting on two or three people (with 1 the
        2024 wave of the bundled district had g-weights from 0.13 to 6.4); weighting-class practice asks for 20–30
        (Kalton & Flores-Cervantes 2003), which with about 50 respondents per community would reduce most
        dimensions to the community total, so 10 is the compromise.
    bounds
        ``(L, U)`` for the g-weights (calibrated / design weight) when raking: the same margins are then met by
        logit calibration (R ``calibrate(calfun = "logit", bounds = c(L, U))``, Deville & Särndal 1992), which keeps
        every g inside (L, U); None is plain raking (R ``rake``). Bounds that cannot be met raise a ``ValueError``.
    tol, max_iter
        Raking convergence (relative to the sum of the weights) and sweep limit.

    Returns
    -------
    WaveDesign
        Respondents whose cell has no population margin (e.g. missing age) are left out of the calibrated design
        (``n_dropped``); their strata stay.
    """
    base = wave_design(responses, wave)
    if method not in ("none", "poststratify", "rake"):
        raise ValueError("method must be 'none', 'poststratify' or 'rake'")
    year_m = None if margins is None else margins[margins["year"] == wave]
    if method == "none" or year_m is None or year_m.empty:
        return base
    df = base.design.data.copy()
    comm = df["community_id"].astype(str)
    counts = year_m.assign(count=year_m["count"].astype(float), level=year_m["level"].astype(str),
                           community_id=year_m["community_id"].astype(str))
    known = set(counts["community_id"])

    if method == "poststratify":
        keep = comm.isin(known).to_numpy()
        # Every dimension sums to the community's adults; take the first requested one that the margins have.
        first = next((d for d in dimensions if d in set(counts["dimension"])), sorted(set(counts["dimension"]))[0])
        pop = counts[counts["dimension"] == first].groupby("community_id")["count"].sum()
        design = _design_of(df[keep].reset_index(drop=True), base.kind)
        pop = pop[pop.index.isin(set(design.data["community_id"].astype(str)))]
        design = design.with_columns(_community=design.data["community_id"].astype(str))
        return WaveDesign(design=design.poststratify("_community", pop), wave=wave, kind=base.kind,
                          weighting="poststratify", n_respondents=base.n_respondents,
                          n_dropped=int((~keep).sum()))

    dims = [d for d in dimensions if d in set(counts["dimension"]) and (d in df.columns or d == "age_group")]
    if "age_group" in dims:
        if "age" not in df.columns:
            dims.remove("age_group")
        else:
            df["age_group"] = age_band(df["age"], counts.loc[counts["dimension"] == "age_group", "level"].unique())
    if not dims:
        return base
    keep = comm.isin(known).to_numpy().copy()
    for dim in dims:
        keep &= df[dim].notna().to_numpy()
        valid = counts.loc[counts["dimension"] == dim, ["community_id", "level"]]
        pairs = set(zip(valid["community_id"], valid["level"]))
        keep &= np.array([(c, str(v)) in pairs for c, v in zip(comm, df[dim].astype(object))])
    df = df[keep].reset_index(drop=True)
    comm = df["community_id"].astype(str)

    # Cells per community: {community: {dim: (population by level, groups of levels)}}.
    plan: dict[str, dict[str, tuple[pd.Series, dict[str, list[str]]]]] = {}
    levels = {dim: df[dim].astype(str).to_numpy() for dim in dims}
    w0 = base.design.weights.to_numpy()[keep]
    comm_of = comm.to_numpy()
    rows_of = {c: comm_of == c for c in sorted(set(comm))}
    # Each community's population by level, from one grouping of the year's margins rather than a filter and a
    # groupby per community and dimension (the same sums: the same rows added in the same order).
    by_cell = counts.groupby(["dimension", "community_id", "level"])["count"].sum()
    pops: dict[tuple[str, str], tuple[list[str], list[float]]] = {}
    for (dim, c, level), value in zip(by_cell.index, by_cell.to_numpy()):
        lv, vs = pops.setdefault((dim, c), ([], []))
        lv.append(level)
        vs.append(value)
    for c, in_c in rows_of.items():
        plan[c] = {}
        for dim in dims:
            lv, vs = pops.get((dim, c), ([], []))
            pop = pd.Series(vs, index=pd.Index(lv, dtype=object, name="level"), dtype=float, name="count")
            pop = pop.reindex(_level_order(dim, list(pop.index)))
            sample = pd.Series(*reversed(np.unique(levels[dim][in_c], return_counts=True)))
            plan[c][dim] = (pop, _collapse(pop, sample, min_respondents))
        # A sample without some combination (no male migrants, say) can make the margins unreachable: IPF then
        # drives weights to zero without converging. Give up that community's last dimension until it converges.
        for dim in reversed(dims[1:]):
            if _ipf_ok(w0[in_c], [(levels[d][in_c], plan[c][d][1], plan[c][d][0]) for d in dims], tol, max_iter):
                break
            pop = plan[c][dim][0]
            plan[c][dim] = (pop, {"+".join(pop.index): list(pop.index)})

    margins_out, collapsed, cells = {}, [], {}
    for dim in dims:
        labels = np.empty(len(df), dtype=object)
        targets = {}
        for c, dims_c in plan.items():
            in_c = rows_of[c]
            pop, groups = dims_c[dim]
            pop_of = dict(zip(pop.index, pop.to_numpy(dtype=float)))
            for name, members in groups.items():
                targets[f"{c}|{name}"] = float(_pop_sum(pop_of, members))
                if len(members) > 1:
                    collapsed += [(c, dim, lev, name) for lev in members]
                labels[in_c & np.isin(levels[dim], members)] = f"{c}|{name}"
        cells[f"m_{dim}"] = labels
        margins_out[f"m_{dim}"] = pd.Series(targets)
    design = _design_of(df, base.kind).with_columns(**cells)
    if bounds is None:
        design = design.rake(margins_out, tol=tol, max_iter=max_iter)
    else:
        x, target = [], []
        for key, targets in margins_out.items():
            labels = design.data[key].to_numpy()
            for cell, total in targets.items():
                x.append(labels == cell)
                target.append(total)
        try:
            design = calibrate_matrix(design, np.column_stack(x).astype(float), np.array(target), calfun="logit",
                                      bounds=bounds, max_iter=max(max_iter, 50))
        except ValueError as err:
            raise ValueError(f"wave {wave}: the margins cannot be met with g-weights inside {bounds} ({err}); "
                             "widen the bounds, raise min_respondents, or rake without bounds") from None
    return WaveDesign(design=design, wave=wave, kind=base.kind, weighting="rake", dimensions=tuple(dims),
                      n_respondents=base.n_respondents, n_dropped=base.n_respondents - len(df),
                      collapsed=pd.DataFrame(collapsed, columns=["community_id", "dimension", "level", "cell"]))


class WeightingSummary(ResultFrame):
    """:func:`weighting_summary`'s table with the result protocol: the estimate is each wave's design effect of the
    mean (``deff``), the cases are the respondents analysed; :meth:`records` writes the three figures notebook 20
    records for one wave."""

    what = "result.what.weighting"
    estimate_column = "deff"
    key = "{wave}"

    def _n(self, frame):
        return frame["analysed"]

    def records(self, prefix: str = "survey", *, wave: int | None = None, **fields):
        """``<prefix>.design.deff``, ``<prefix>.weighting.effect`` (Kish) and ``<prefix>.weighting.g_max`` (with
        ``g_min``) of ``wave`` (default the latest)."""
        frame = pd.DataFrame(self)
        this = frame[frame["wave"] == (frame["wave"].max() if wave is None else wave)].iloc[0]
        return {f"{prefix}.design.deff": {"value": this["deff"], **fields},
                f"{prefix}.weighting.effect": {"value": this["deff_weighting"], **fields},
                f"{prefix}.weighting.g_max": {"value": this["g_max"], "g_min": this["g_min"], **fields}}


class WaveEstimates(ResultFrame):
    """:func:`wave_estimates`'s table with the result protocol; rows keyed ``<community>.<variable>.<statistic>_<wave>``
    (notebook 20 records district rows under its own names: pass ``term=``, e.g. ``"mean_{wave}"``)."""

    what = "result.what.wave_estimates"
    key = "{community_id}.{variable}.{statistic}_{wave}"


class DomainDifference(ResultFrame):
    """:func:`domain_difference`'s table with the result protocol: the estimate is ``difference``, the cases both
    groups' respondents; rows keyed by the group's level."""

    what = "result.what.domain_difference"
    estimate_column = "difference"
    key = "{level}"

    def _n(self, frame):
        return frame["n_level"] + frame["n_reference"]


class WaveDifferences(ResultFrame):
    """:func:`wave_differences`'s table with the result protocol: rows keyed ``change_<wave_to>`` with their
    ``p_value``, as notebook 20 records them."""

    what = "result.what.wave_differences"
    estimate_column = "difference"
    key = "change_{wave_to}"
    record_extras = ("p_value",)


class PooledTrend(ResultFrame):
    """:func:`pooled_trend`'s one row with the result protocol: recorded under the prefix itself with ``p_value``
    and ``df`` (notebook 20 adds ``verdict=``)."""

    what = "result.what.pooled_trend"
    record_extras = ("p_value", "df")


def weighting_summary(waves: Sequence[WaveDesign], var: str = "satisfaction_index", confidence: float = 0.95
                      ) -> pd.DataFrame:
    """What the design and weighting of each wave are, for the report's method section.

    One row per wave: ``wave, kind, weighting, respondents, analysed, strata, psus, population`` (Σ weights),
    ``weight_min, weight_max``, ``g_min, g_max`` (range of the g-weights, analysis weight / design weight: how far
    calibration moved the weights), ``deff_weighting`` (Kish's 1 + CV² of the weights, n Σw² / (Σw)²: the variance
    inflation from unequal weights alone) and ``deff`` (the design effect of the mean of ``var``: clustering,
    stratification and weighting together, R ``svymean(deff = TRUE)``), ``collapsed_cells``.

    Keys (notebook 20, the report year's wave): ``survey.design.deff`` (``deff`` of the satisfaction index),
    ``survey.weighting.effect`` (``deff_weighting``) and ``survey.weighting.g_max`` (``g_max``, with ``g_min``).
    """
    rows = []
    for wd in waves:
        d = wd.design
        w = d.weights.to_numpy()
        spec = d.spec
        design_w = d.data["base_weight"].to_numpy(dtype=float) if wd.kind == "stratified" else np.ones(len(w))
        g = w / design_w
        strata = d.data[spec["strata"][0]].nunique() if spec["strata"] else 1
        psus = d.data[spec["ids"]].drop_duplicates().shape[0] if spec["ids"] else len(d.data)
        if spec["strata"] and spec["ids"] and spec["nest"]:
            psus = d.data[spec["strata"] + spec["ids"]].drop_duplicates().shape[0]
        mean = d.mean(var, na_rm=True, level=confidence)
        rows.append({
            "wave": wd.wave, "kind": wd.kind, "weighting": wd.weighting, "respondents": wd.n_respondents,
            "analysed": len(d.data), "strata": int(strata), "psus": int(psus), "population": float(w.sum()),
            "weight_min": float(w.min()), "weight_max": float(w.max()),
            "g_min": float(g.min()), "g_max": float(g.max()),
            "deff_weighting": float(len(w) * np.sum(w**2) / np.sum(w) ** 2), "deff": float(mean["deff"].iloc[0]),
            "collapsed_cells": int(wd.collapsed[["community_id", "dimension", "cell"]].drop_duplicates().shape[0]),
        })
    return WeightingSummary(rows)


def _flag(values: pd.Series, top: Sequence[int]) -> np.ndarray:
    x = pd.to_numeric(values).astype(float)
    return np.where(x.isna(), np.nan, x.isin(list(top)).astype(float))


def wave_estimates(wave: WaveDesign, variables: Sequence[str], top2: Sequence[str] = (), by: str = "community_id",
                   confidence: float = 0.95, top: Sequence[int] = (4, 5)) -> pd.DataFrame:
    """Design-based means (and top-2-box shares) of one wave, for the whole district and by community.

    Returns a tidy table: ``wave, community_id`` (``"district"`` for the whole), ``variable``, ``statistic``
    (``"mean"`` or ``"top2"``), ``estimate, se, ci_low, ci_high, deff`` and ``n`` (respondents answering).
    Domain variances keep the full design (R ``svyby``). The district interval is normal (R ``confint.svystat``);
    a community's interval uses t with the community's own design degrees of freedom (its PSUs minus its strata,
    R ``confint(..., df = degf(subset(design, community)))``): with ten buildings per community that is t(9) =
    2.262, not 1.96.

    Keys (notebook 20, district rows of each wave's weighted design): ``survey.satisfaction_index.mean`` (the
    report year's wave: the mean of :func:`evaluation.survey.indices.satisfaction_index`), ``.mean_<wave>`` (every
    wave), and ``survey.perception.<item>.<stat>`` (the report year's wave: ``mean`` of the answers, 1–5, or
    ``top2``, the share answering 4 or 5, of the perception items ``q_committee``, ``q_infrastructure``,
    ``q_activities`` and ``q_neighbours``, named without ``q_``).
    """
    d = wave.design
    specs = [(v, "mean", v) for v in variables] + [(v, "top2", f"_top2_{v}") for v in top2]
    extra = {f"_top2_{v}": _flag(d.data[v], top) for v in top2}
    d = d.with_columns(**extra) if extra else d
    parts = []
    for var, stat, col in specs:
        answered = d.data[col].notna() if col in d.data else pd.Series(False, index=d.data.index)
        whole = d.mean(col, na_rm=True, level=confidence)
        whole.insert(0, by, "district")
        whole["n"] = int(answered.sum())
        dom = d.by(col, by, na_rm=True, level=confidence, df="domain").drop(columns="df")
        n_dom = answered.groupby(d.data[by]).sum()
        dom = dom[dom[by].map(n_dom).fillna(0) > 0].copy()
        dom["n"] = dom[by].map(n_dom).astype(int).to_numpy()
        both = pd.concat([whole, dom], ignore_index=True)
        both["variable"], both["statistic"] = var, stat
        parts.append(both)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "wave", wave.wave)
    out = out.rename(columns={by: "community_id"}) if by != "community_id" else out
    return WaveEstimates(out[["wave", "community_id", "variable", "statistic", "estimate", "se", "ci_low", "ci_high",
                              "deff", "n"]])


def domain_difference(design: SurveyDesign, var: str, group: str, reference: str, confidence: float = 0.95
                      ) -> pd.DataFrame:
    """Design-based difference of domain means, each level of ``group`` minus ``reference``.

    It is the coefficient of the level's indicator in the survey regression of ``var`` on the group (R
    ``svyglm(var ~ group)``), whose linearised SE is that of the difference of the two domain means, covariance
    included; the interval uses t with ``degf + 1 − p`` degrees of freedom as R ``confint.svyglm``. Respondents
    missing ``var`` or ``group`` are out of the domain but stay in the design.

    Returns one row per non-reference level: ``variable, group, level, reference, mean_level, mean_reference,
    difference, se, ci_low, ci_high, p_value, df, n_level, n_reference``.

    Keys (notebook 20: the satisfaction index of migrant minus local residents, ``hukou``): ``survey.migrant_gap.index``
    (the report year's wave) and ``.index_<wave>`` (every wave); ``n`` counts both groups.
    """
    y = pd.to_numeric(design.data[var]).astype(float)
    g = design.data[group].astype(object)
    levels = [lev for lev in sorted(g.dropna().astype(str).unique()) if lev != str(reference)]
    if str(reference) not in set(g.dropna().astype(str)):
        raise ValueError(f"no respondent in the reference level {reference!r} of {group!r}")
    if not levels:
        raise ValueError(f"{group!r} has no level other than {reference!r}")
    gs = g.where(g.isna(), g.astype(str))
    cols = {"_y": y.to_numpy()}
    for i, lev in enumerate(levels):
        cols[f"_g{i}"] = np.where(gs.isna(), np.nan, (gs == lev).astype(float))
    fit = design.with_columns(**cols).glm("_y ~ " + " + ".join(f"_g{i}" for i in range(len(levels))), level=confidence)
    ok = y.notna() & gs.notna()
    intercept = float(fit["estimate"].iloc[0])
    rows = []
    for i, lev in enumerate(levels):
        r = fit.iloc[i + 1]
        rows.append({"variable": var, "group": group, "level": lev, "reference": str(reference),
                     "mean_level": intercept + float(r["estimate"]), "mean_reference": intercept,
                     "difference": float(r["estimate"]), "se": float(r["se"]), "ci_low": float(r["ci_low"]),
                     "ci_high": float(r["ci_high"]), "p_value": float(r["p_value"]), "df": int(r["df"]),
                     "n_level": int((ok & (gs == lev)).sum()), "n_reference": int((ok & (gs == str(reference))).sum())})
    return DomainDifference(rows)


def wave_differences(waves: Sequence[WaveDesign], var: str = "satisfaction_index", confidence: float = 0.95
                     ) -> pd.DataFrame:
    """Wave-to-wave change of the district mean of ``var``, each wave against the one before.

    The waves are independent samples (fresh respondents each year), so the difference of two design-based means
    has variance Var₁ + Var₂ (each calibration-aware, from its own design); the interval and the two-sided p-value
    are normal, like the means (R ``svycontrast`` on independent ``svymean`` results; Lumley 2010, §3.5).

    Returns one row per consecutive pair: ``wave_from, wave_to, mean_from, mean_to, difference, se, ci_low, ci_high,
    p_value``.

    Key: ``survey.satisfaction_index.change_<wave>``: the change of the district's satisfaction index from the wave
    before to ``<wave>`` (``wave_to``), with its ``p_value``.
    """
    from scipy import stats

    ordered = sorted(waves, key=lambda w: w.wave)
    means = [w.design.mean(var, na_rm=True, level=confidence).iloc[0] for w in ordered]
    crit = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    rows = []
    for (w0, m0), (w1, m1) in zip(zip(ordered, means), list(zip(ordered, means))[1:]):
        diff = float(m1["estimate"] - m0["estimate"])
        se = float(np.hypot(m0["se"], m1["se"]))
        p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan
        rows.append({"wave_from": w0.wave, "wave_to": w1.wave, "mean_from": float(m0["estimate"]),
                     "mean_to": float(m1["estimate"]), "difference": diff, "se": se, "ci_low": diff - crit * se,
                     "ci_high": diff + crit * se, "p_value": p})
    return WaveDifferences(rows, columns=["wave_from", "wave_to", "mean_from", "mean_to", "difference", "se", "ci_low",
                                          "ci_high", "p_value"])


def pooled_trend(waves: Sequence[WaveDesign], var: str = "satisfaction_index", confidence: float = 0.95
                 ) -> pd.DataFrame:
    """Linear trend of ``var`` over the waves: the slope per year of the survey regression on ``wave``.

    The waves are stacked into one design in which every wave's strata are separate strata (independent samples)
    and PSUs are nested in them; each respondent keeps the wave's analysis weight, taken as fixed (the calibration's
    variance reduction is ignored, which is conservative). The slope is R ``svyglm(var ~ wave, design)`` on that
    stacked design, with t on ``degf + 1 − p`` degrees of freedom (``confint.svyglm``). An SRS wave contributes one
    stratum whose PSUs are its respondents.

    Returns one row: ``term`` ("wave"), ``estimate`` (change per year), ``se, ci_low, ci_high, statistic, p_value,
    df, n_waves, first_wave, last_wave``.

    Key: ``survey.satisfaction_index.trend``: the satisfaction index's slope per year, with ``p_value``, ``df`` and
    the ``verdict`` of :func:`trend_verdict`.
    """
    ordered = sorted(waves, key=lambda w: w.wave)
    if len(ordered) < 2:
        raise ValueError("a trend needs at least two waves")
    parts = []
    for w in ordered:
        d = w.design
        spec = d.spec
        frame = pd.DataFrame({
            "_y": pd.to_numeric(d.data[var]).astype(float).to_numpy(),
            "_wave": float(w.wave),
            "_stratum": [f"{w.wave}|{s}" for s in (d.data[spec["strata"][0]].astype(str) if spec["strata"]
                                                     else np.repeat("all", len(d.data)))],
            "_psu": [f"{w.wave}|{p}" for p in (d.data[spec["ids"][0]].astype(str) if spec["ids"]
                                               else pd.Series(np.arange(len(d.data))).astype(str))],
            "_w": d.weights.to_numpy(),
        })
        if spec["strata"] and spec["ids"]:
            frame["_psu"] = frame["_stratum"] + "|" + frame["_psu"]
        parts.append(frame)
    stacked = pd.concat(parts, ignore_index=True)
    lonely = ordered[-1].design.lonely_psu
    design = SurveyDesign(stacked, ids="_psu", strata="_stratum", weights="_w", nest=True, lonely_psu=lonely)
    fit = design.glm("_y ~ _wave", level=confidence)
    row = fit[fit["term"] == "_wave"].iloc[0]
    return PooledTrend([{"term": "wave", "estimate": float(row["estimate"]), "se": float(row["se"]),
                          "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]),
                          "statistic": float(row["statistic"]), "p_value": float(row["p_value"]),
                          "df": int(row["df"]), "n_waves": len(ordered), "first_wave": ordered[0].wave,
                          "last_wave": ordered[-1].wave}])


TrendVerdict = Literal["single_wave", "rising_every_wave", "rising", "rising_with_setback", "falling", "no_change"]


def trend_verdict(differences: pd.DataFrame, trend: pd.DataFrame | None, confidence: float = 0.95) -> TrendVerdict:
    """What the tests allow one to say about "satisfaction keeps rising" (the catalogue key ``survey.trend_claim.*``).

    At significance α = 1 − ``confidence`` (two-sided):

    * ``"single_wave"``: fewer than two waves, nothing to test;
    * ``"falling"``: the pooled trend is significantly negative;
    * ``"no_change"``: the pooled trend is not significant (and, with exactly two waves, neither is their
      difference) — no evidence of a rise;
    * ``"rising_with_setback"``: the trend is significantly positive but some wave-to-wave change is a significant
      fall;
    * ``"rising_every_wave"``: the trend is significantly positive and every wave-to-wave rise is significant — only
      then does "keeps rising" hold;
    * ``"rising"``: the trend is significantly positive, no significant fall, but not every step is a significant
      rise (an overall rise, not a rise each year).
    """
    alpha = 1 - confidence
    if trend is None or trend.empty or len(differences) == 0:
        return "single_wave"
    slope = trend.iloc[0]
    if not (slope["p_value"] < alpha):
        return "no_change"
    if slope["estimate"] < 0:
        return "falling"
    sig = differences["p_value"] < alpha
    if (sig & (differences["difference"] < 0)).any():
        return "rising_with_setback"
    if (sig & (differences["difference"] > 0)).all():
        return "rising_every_wave"
    return "rising"
