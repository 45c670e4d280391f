"""One survey wave as a design: the sampling design from the data, and weighting to the population margins.

The district's survey is stratified by community and clustered by building (PSU) with design weights
(``base_weight``); :func:`wave_design` builds that design, or a simple random sample when the columns are missing,
as the data contract says. :func:`weighted_design` then calibrates it to ``population_margins`` of the same year:
post-stratification to community totals, or raking to community × sex, community × age group and community × hukou
margins (Deville & Särndal 1992; Lumley 2010, ch. 7). Calibration-aware standard errors come from the engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .design import SurveyDesign
from .indices import satisfaction_index

__all__ = ["wave_design", "age_band", "margin_targets", "weighted_design", "Weighting"]

Weighting = Literal["none", "poststratify", "rake"]
_BAND = re.compile(r"^(\d+)\D+(\d+)$|^(\d+)\s*(?:p|\+|plus|及以上|以上)$")


def age_band(age: pd.Series, levels: Sequence[str]) -> pd.Series:
    """Map ages onto margin levels written like ``18_39``, ``40-59`` or ``60p``; ages outside every band are NA."""
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    a = pd.to_numeric(age, errors="coerce")
    for level in levels:
        m = _BAND.match(str(level).strip())
        if not m:
            raise ValueError(f"age_group level {level!r} is not a band like 18_39 or 60p")
        lo, hi = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), 200)
        out[(a >= lo) & (a <= hi)] = level
    return out


def wave_design(responses: pd.DataFrame, wave: int | None = None) -> tuple[SurveyDesign, str]:
    """The design of one wave (all waves when ``wave`` is None) and its kind: ``stratified`` or ``srs``.

    The satisfaction index (``docs/conventions.md``) is added as a column.
    """
    df = responses if wave is None else responses[responses["wave"] == wave]
    if df.empty:
        raise ValueError(f"the survey has no respondents in wave {wave}")
    df = df.assign(satisfaction_index=satisfaction_index(df)).reset_index(drop=True)
    need = ["stratum", "psu", "base_weight"]
    if all(c in df.columns for c in need) and df[need].notna().all().all():
        return SurveyDesign(df, ids=["psu"], strata="stratum", weights="base_weight", nest=True,
                            lonely_psu="adjust"), "stratified"
    return SurveyDesign(df, ids=None, strata=None, weights=None), "srs"


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


def weighted_design(responses: pd.DataFrame, margins: pd.DataFrame | None, wave: int,
                    method: Weighting = "rake", dimensions: Sequence[str] = ("sex", "age_group", "hukou")
                    ) -> tuple[SurveyDesign, str]:
    """The wave's design calibrated to the population margins of the same year by ``method``.

    Respondents whose cell has no population margin (e.g. under-18s) are dropped from the calibrated design with the
    rest of their stratum intact; raking uses only the dimensions present in both the survey and the margins.
    """
    design, kind = wave_design(responses, wave)
    if method == "none" or margins is None:
        return design, kind
    df = design.data.copy()
    year_m = margins[margins["year"] == wave]
    dims = [d for d in dimensions if d in set(year_m["dimension"])]
    if "age_group" in dims:
        df["age_group"] = age_band(df["age"], sorted(year_m.loc[year_m["dimension"] == "age_group", "level"].unique()))
    cells = {}
    for dim in dims:
        if dim not in df.columns:
            continue
        cells[f"m_{dim}"] = df["community_id"].astype(str) + "|" + df[dim].astype("object").astype(str)
    df = df.assign(**cells)
    keep = np.ones(len(df), dtype=bool)
    for col in cells:
        keep &= df[col].notna().to_numpy() & ~df[col].str.endswith(("|<NA>", "|nan", "|None")).to_numpy()
    if kind == "stratified":
        design = SurveyDesign(df[keep].reset_index(drop=True), ids=["psu"], strata="stratum", weights="base_weight",
                              nest=True, lonely_psu="adjust")
    else:
        design = SurveyDesign(df[keep].reset_index(drop=True))
    if method == "poststratify":
        pop = year_m[year_m["dimension"] == dims[0]].groupby("community_id")["count"].sum().astype(float)
        return design.poststratify("community_id", pop), kind
    targets = margin_targets(margins, wave, dims)
    present = {k: v[v.index.isin(set(design.data[k]))] for k, v in targets.items() if k in design.data.columns}
    return design.rake(present, tol=1e-8, max_iter=200), kind
