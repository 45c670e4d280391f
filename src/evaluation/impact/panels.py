"""Community-by-year outcome panels for the impact estimators, built from a district's tables.

Each outcome of ``docs/conventions.md`` ("Planted programme effects") is computed as a ratio of two additive
quantities per recorded community and year (e.g. Σ weight·index over Σ weight; events on time over events due).
Rows recorded under the 10 legacy communities are carried to the 43 current ones by splitting both quantities by
``pop_share`` (:func:`evaluation.indicators.lineage.carry_to_current`) before the ratio is taken, so a legacy mean is
copied to its children and a legacy count is shared out. The ``carried`` column marks cells that rest on such an
allocation (any part of it), ``carried_share`` the share of the cell's denominator (respondents' weights, events,
residents) that was allocated: 1 before the split, small afterwards (e.g. events reported under a legacy community in
late 2019 and due in 2020). ``legacy_id`` names the legacy community a current one came from (:func:`legacy_parents`).

The outcomes' definitions (numerator and denominator per recorded community and year) are in
:mod:`evaluation.indicators.panel_outcomes`.

With a data cut-off (``data_cutoff``) the panels see the data as they stood at the cut-off, as the indicators do
(``docs/conventions.md``): records dated after it (events reported, petitions received, activities held, volunteers
registered) are left out, a closing after it has not happened, the on-time rate counts only the events due by the
cut-off (one due later and still open is not yet late), and the per-resident rates of counts (petitions, activities)
drop the year the cut-off falls in when it ends before that year does, since part of a year's count over a whole
year's residents would read as a fall. Survey waves carry no date and are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..indicators.lineage import carry_to_current
# the definitions sit in indicators, below both this package and the synthetic generator, which needs them too
from ..indicators.panel_outcomes import OUTCOMES, SHARE_OUTCOMES, display_scale, outcome_parts

__all__ = ["OUTCOMES", "SHARE_OUTCOMES", "display_scale", "adoption_cohorts", "legacy_parents", "outcome_panel", "attach_covariates"]


def adoption_cohorts(rollout: pd.DataFrame, component: str = "jinlin_model") -> pd.Series:
    """First adoption year of ``component`` per community (the staggered-DiD cohort); absent = never treated."""
    rows = rollout[rollout["component"] == component]
    return pd.to_datetime(rows["start_date"]).dt.year.groupby(rows["community_id"].astype(str)).min() \
        .rename("first_treat")


def legacy_parents(lineage: pd.DataFrame | None) -> pd.Series:
    """Legacy community of each current one: the community it was created from (``to_id`` -> ``from_id``; the
    largest ``pop_share`` if several), followed up a chain to the first one (C44, split off C01 in 2023, which came
    from L01 in 2020, has L01). A community that keeps its code through a split is not its own parent."""
    if lineage is None or not len(lineage):
        return pd.Series(dtype="object", name="legacy_id")
    lin = lineage.assign(pop_share=pd.to_numeric(lineage["pop_share"]), to_id=lineage["to_id"].astype(str),
                         from_id=lineage["from_id"].astype(str))
    lin = lin[lin["from_id"] != lin["to_id"]]
    lin = lin.sort_values(["to_id", "pop_share", "from_id"], ascending=[True, False, True], kind="stable")
    parent = lin.drop_duplicates("to_id").set_index("to_id")["from_id"]
    root = parent.copy()
    for _ in range(len(parent)):  # a chain is at most as long as the lineage (the validation refuses cycles)
        up = root.map(parent)
        if up.isna().all():
            break
        root = up.where(up.notna(), root)
    return root.rename("legacy_id")


def outcome_panel(tables: Mapping[str, pd.DataFrame], outcome: str, years: Sequence[int] | None = None,
                  communities: Sequence[str] | None = None, component: str = "jinlin_model",
                  data_cutoff=None) -> pd.DataFrame:
    """A balanced-as-possible panel of the current communities for one outcome of :data:`OUTCOMES`.

    Parameters
    ----------
    tables : mapping of DataFrame
        The district's tables (as loaded by :func:`evaluation.data.load_district`).
    outcome : str
        A key of :data:`OUTCOMES`; definitions in the module docstring.
    years, communities : sequence, optional
        Keep only these years / current communities.
    component : str
        ``programme_rollout.component`` whose first start year is the cohort.
    data_cutoff : str or Timestamp, optional
        See the module docstring; default none (every record in the tables).

    Returns
    -------
    DataFrame
        ``community_id, year, y, first_treat, n, carried, carried_share, legacy_id``: ``n`` counts the respondents,
        events or records behind the cell (shared out by ``pop_share`` when carried), ``first_treat`` is 0 for
        never-treated communities, ``legacy_id`` the legacy community (the community itself when there is no
        lineage).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    cut = None if data_cutoff is None else pd.Timestamp(data_cutoff)
    parts = outcome_parts(tables, outcome, cut)
    if parts["den"].eq(0).all() and outcome != "volunteer_rate" and cut is not None and \
            cut < pd.Timestamp(year=cut.year, month=12, day=31, hour=23, minute=59, second=59):
        parts = parts[parts["year"] < cut.year]  # the cut-off's year holds only part of a year's count
    if parts["den"].eq(0).all():  # a per-resident rate: the denominator is the population
        pop = tables["population"][["community_id", "year", "resident_pop"]].rename(columns={"resident_pop": "den"})
        pop = pop.assign(num=0.0, n=0.0, year=pop["year"].astype(int), community_id=pop["community_id"].astype(str))
        # only the years the source table covers: before its first record the rate is unknown, not zero
        pop = pop[pop["year"].between(parts["year"].min(), parts["year"].max())]
        parts = pd.concat([parts, pop[["community_id", "year", "num", "den", "n"]]], ignore_index=True)
        parts = parts.groupby(["community_id", "year"], as_index=False)[["num", "den", "n"]].sum()
    lineage = tables.get("community_lineage")
    if lineage is not None and len(lineage):
        # a year is carried when it ends before a split: the year a split takes effect stays with its recorder
        parts = carry_to_current(parts, lineage, counts=("num", "den", "n"), date_column="year")
    else:
        parts["carried"] = False
    parts["den_carried"] = parts["den"].where(parts["carried"], 0.0)
    panel = parts.groupby(["community_id", "year"], as_index=False).agg(
        num=("num", "sum"), den=("den", "sum"), n=("n", "sum"), carried=("carried", "any"),
        den_carried=("den_carried", "sum"))
    panel = panel[panel["den"] > 0]
    panel["y"] = panel["num"] / panel["den"]
    panel["carried_share"] = panel["den_carried"] / panel["den"]
    cohorts = adoption_cohorts(tables["programme_rollout"], component) if "programme_rollout" in tables \
        else pd.Series(dtype="float64")
    current = tables["communities"]
    current_ids = set(current.loc[current["valid_to"].isna(), "community_id"].astype(str)) \
        if "valid_to" in current.columns else set(current["community_id"].astype(str))
    panel = panel[panel["community_id"].isin(current_ids)]
    if communities is not None:
        panel = panel[panel["community_id"].isin(set(communities))]
    if years is not None:
        panel = panel[panel["year"].isin(set(years))]
    panel["first_treat"] = panel["community_id"].map(cohorts).fillna(0).astype(int)
    parent = legacy_parents(lineage)
    panel["legacy_id"] = panel["community_id"].map(parent).fillna(panel["community_id"]).astype(str)
    cols = ["community_id", "year", "y", "first_treat", "n", "carried", "carried_share", "legacy_id"]
    return panel[cols].sort_values(
        ["community_id", "year"]).reset_index(drop=True)


def attach_covariates(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame], names: Sequence[str]) -> pd.DataFrame:
    """Add community-level covariates to an outcome panel, for the DiD's conditional parallel trends.

    A name is a numeric column of ``population`` (by community and year; legacy counts shared out by ``pop_share``,
    so a count before the split is the child's allocated share) or of ``communities`` (constant per community).
    A text column of ``communities`` (e.g. ``community_type``) becomes 0/1 indicators ``<name>_<level>``, the first
    level left out.

    Returns
    -------
    DataFrame
        ``panel`` with the covariate columns; rows with a missing covariate are dropped. ``attrs["covariates"]``
        lists the columns added (what to pass to the estimator).
    """
    out = panel.copy()
    pop = tables.get("population")
    comm = tables.get("communities")
    for name in names:
        if pop is not None and name in pop.columns and name not in ("community_id", "year"):
            part = pop[["community_id", "year", name]].assign(
                community_id=pop["community_id"].astype(str), year=pop["year"].astype(int),
                **{name: pd.to_numeric(pop[name], errors="coerce")})
            lineage = tables.get("community_lineage")
            if lineage is not None and len(lineage):
                part = carry_to_current(part, lineage, counts=(name,), date_column="year")
            part = part.groupby(["community_id", "year"], as_index=False)[name].sum(min_count=1)
            out = out.merge(part, on=["community_id", "year"], how="left")
        elif comm is not None and name in comm.columns and name != "community_id":
            col = comm.set_index(comm["community_id"].astype(str))[name]
            if pd.api.types.is_numeric_dtype(col):
                out[name] = out["community_id"].map(col).astype(float)
            else:
                levels = sorted(col.dropna().astype(str).unique())
                mapped = out["community_id"].map(col).astype("string")
                for level in levels[1:]:
                    out[f"{name}_{level}"] = (mapped == level).astype(float).where(mapped.notna())
        else:
            raise ValueError(f"covariate {name!r} is not a column of population or communities")
    cov_cols = [c for c in out.columns if c not in panel.columns]
    out = out.dropna(subset=cov_cols).reset_index(drop=True)
    out.attrs["covariates"] = cov_cols
    return out
