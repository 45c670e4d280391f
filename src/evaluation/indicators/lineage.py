"""Carry a pre-split series (keyed by the 10 legacy communities L01–L10) to the 43 current communities.

``community_lineage`` gives, for each legacy community, its children and the share of its population each took
(``pop_share``, summing to 1 per ``from_id``). A count (events, petitions, residents) is split by that share; a rate
or mean (per-capita rate, satisfaction score) is copied to every child, since the share says nothing about how the
rate differed within the old community. The ``carried`` flag lets the report say where this was done: a carried value
is an allocation, not an observation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import as_number

__all__ = ["carry_to_current"]


def carry_to_current(frame: pd.DataFrame, lineage: pd.DataFrame, counts: Sequence[str] = (),
                     rates: Sequence[str] = (), id_column: str = "community_id",
                     tolerance: float = 1e-6) -> pd.DataFrame:
    """Map rows of legacy communities onto their current children.

    Parameters
    ----------
    frame : DataFrame
        A community-level series (e.g. one row per community and year) with ``id_column``.
    lineage : DataFrame
        ``community_lineage``: from_id, to_id, effective_date, pop_share.
    counts : sequence of str
        Columns split by ``pop_share`` (additive quantities).
    rates : sequence of str
        Columns copied unchanged to each child (rates, means, shares).
    id_column : str
    tolerance : float
        Allowed deviation of a legacy community's shares from 1.

    Returns
    -------
    DataFrame
        ``frame`` with legacy rows replaced by one row per child; ``id_column`` holds the child, ``from_id`` the
        legacy community (empty when not carried), ``pop_share`` the share used and ``carried`` a bool flag. Other
        columns are copied as they are.
    """
    overlap = set(counts) & set(rates)
    if overlap:
        raise ValueError(f"columns cannot be both counts and rates: {sorted(overlap)}")
    missing = [c for c in (*counts, *rates, id_column) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    lin = lineage[["from_id", "to_id", "pop_share"]].copy()
    lin["from_id"] = lin["from_id"].astype(str)
    lin["to_id"] = lin["to_id"].astype(str)
    lin["pop_share"] = as_number(lin["pop_share"])
    sums = lin.groupby("from_id")["pop_share"].sum()
    bad = sums[(sums - 1).abs() > tolerance]
    if len(bad):
        sums_txt = ", ".join(f"{k} ({v:.4f})" for k, v in bad.items())
        raise ValueError(f"pop_share does not sum to 1 for {sums_txt}")
    data = frame.copy()
    data[id_column] = data[id_column].astype(str)
    legacy = data[id_column].isin(set(lin["from_id"]))
    kept = data[~legacy].copy()
    kept["from_id"] = ""
    kept["pop_share"] = np.nan
    kept["carried"] = False
    old = data[legacy].merge(lin, left_on=id_column, right_on="from_id", how="inner")
    old[id_column] = old["to_id"]
    old = old.drop(columns=["to_id"])
    for c in counts:
        old[c] = as_number(old[c]) * old["pop_share"]
    old["carried"] = True
    out = pd.concat([kept, old[kept.columns]], ignore_index=True)
    out["carried"] = out["carried"].astype(bool)
    return out
