"""Rules that span rows or tables: foreign keys, lineage shares, time order and status consistency.

Single-table rules (types, ranges, codes, duplicate keys) live in the pandera schemas; what is here needs more than
one column or more than one table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import Problem
from .contract import COMMUNITY_FK, TABLES
from .schemas import quote

__all__ = ["cross_table_problems"]


def _rows(mask: pd.Series, first_data_row: int) -> list[int]:
    return [int(i) + first_data_row for i in mask[mask].index]


def cross_table_problems(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str],
                         first_rows: Mapping[str, int]) -> list[Problem]:
    """All cross-row and cross-table problems of typed ``tables`` (name -> frame; files: name -> file name)."""
    problems: list[Problem] = []
    communities = tables.get("communities")
    known = set(communities["community_id"].dropna()) if communities is not None else set()
    for t in TABLES:
        df = tables.get(t.name)
        if df is None:
            continue
        file, first = files[t.name], first_rows[t.name]
        for col in t.columns:
            if col.foreign_key == COMMUNITY_FK and col.name in df.columns and communities is not None:
                bad = df[col.name].notna() & ~df[col.name].isin(known)
                for r, v in zip(_rows(bad, first), df.loc[bad, col.name]):
                    problems.append(Problem(file, r, col.name, "error", "unknown_community",
                                            f"community {quote(v)} is not in the community register",
                                            "use a community_id listed in communities, or add the community there",
                                            f"社区 {quote(v)} 不在社区名册（communities）中",
                                            "使用社区名册中已有的 community_id，或先在名册中加入该社区"))
        for early, late in t.order:
            if early in df.columns and late in df.columns:
                bad = df[early].notna() & df[late].notna() & (df[late] < df[early])
                for r in _rows(bad, first):
                    problems.append(Problem(file, r, late, "error", "time_order",
                                            f"{late} is before {early}",
                                            f"correct {late} or {early}: {late} cannot precede {early}",
                                            f"{late} 早于 {early}",
                                            f"更正 {late} 或 {early}：{late} 不能早于 {early}"))
    problems += _lineage(tables, files, first_rows)
    problems += _grid_status(tables, files, first_rows)
    problems += _service_hours(tables, files, first_rows)
    problems += _survey(tables, files, first_rows)
    return problems


def _lineage(tables, files, first_rows) -> list[Problem]:
    """Lineage rules: the analysis (:func:`evaluation.indicators.lineage.carry_to_current`) carries a legacy
    community's series to its children by ``from_id``, so each parent splits once, on one date, into shares summing
    to 1; no community descends from itself; the change falls within both communities' lifetimes.

    A parent that keeps its code when part of it is split off is written as a row to itself beside the new child
    (C01 → C01 0.7 and C01 → C44 0.3 on the same date): that is the one form of ``from_id == to_id`` allowed.
    """
    df = tables.get("community_lineage")
    if df is None or not {"from_id", "to_id", "effective_date", "pop_share"} <= set(df.columns):
        return []
    file, first = files["community_lineage"], first_rows["community_lineage"]
    out: list[Problem] = []

    def row(mask: pd.Series) -> int:
        return int(df.index[mask][0]) + first

    sums = df.groupby(["from_id", "effective_date"], dropna=True)["pop_share"].sum()
    for (from_id, date), s in sums.items():
        if not np.isclose(s, 1.0, atol=1e-6):
            out.append(Problem(file, row((df["from_id"] == from_id) & (df["effective_date"] == date)), "pop_share",
                               "error", "lineage_shares",
                               f"the shares leaving {quote(from_id)} on {pd.Timestamp(date).date()} sum to {s:.4f}, "
                               "not 1", f"correct the pop_share values of {from_id} so that they sum to 1",
                               f"{quote(from_id)} 在 {pd.Timestamp(date).date()} 划出的人口比例之和为 {s:.4f}，不等于 1",
                               f"更正 {from_id} 的 pop_share，使其合计为 1"))
    dates = df.dropna(subset=["from_id", "effective_date"]).groupby("from_id")["effective_date"].unique()
    for from_id, ds in dates.items():
        if len(ds) > 1:
            later = sorted(pd.Timestamp(d) for d in ds)[1]
            out.append(Problem(file, row((df["from_id"] == from_id) & (df["effective_date"] == later)),
                               "effective_date", "error", "lineage_second_split",
                               f"{quote(from_id)} is split again on {later.date()}: the analysis carries a community's "
                               "series to its children once, by from_id, so a second split cannot be followed",
                               f"give the community that keeps {from_id}'s code after the first split a new code "
                               "in communities and in the later lineage rows",
                               f"{quote(from_id)} 在 {later.date()} 再次拆分：分析只按 from_id 把一个社区的数据向其"
                               "新社区划转一次，第二次拆分无法追踪",
                               f"给第一次拆分后沿用 {from_id} 代码的社区一个新代码，在社区名册和后来的沿革行中一并修改"))
    siblings = df.groupby(["from_id", "effective_date"])["to_id"].transform("size")
    lone_self = (df["from_id"] == df["to_id"]) & (siblings < 2)
    for r in _rows(lone_self, first):
        out.append(Problem(file, r, "to_id", "error", "lineage_self_loop",
                           "a community is listed as its own successor with no community split off",
                           "delete the row, or add the community that split off on the same date (a parent that "
                           "keeps its code is written as a row to itself beside the new child)",
                           "一个社区被列为自己的后继，却没有分出任何社区",
                           "删除这一行，或补上同一日期分出的社区（保留原代码的老社区写作指向自己的一行，与新社区并列）"))
    out += _lineage_cycles(df, file, first)
    communities = tables.get("communities")
    if communities is not None and "community_id" in communities.columns:
        life = communities.drop_duplicates("community_id").set_index("community_id")
        for side, col in (("from_id", "parent"), ("to_id", "child")):
            start = df[side].map(life["valid_from"]) if "valid_from" in life.columns else None
            end = df[side].map(life["valid_to"]) if "valid_to" in life.columns else None
            date = df["effective_date"]
            before = date.notna() & start.notna() & (date < start) if start is not None else None
            # a parent ends the day before its split takes effect
            grace = pd.Timedelta(days=1) if side == "from_id" else pd.Timedelta(0)
            after = date.notna() & end.notna() & (date > end + grace) if end is not None else None
            for mask, what in ((before, "before it was established (valid_from)"),
                               (after, "after it was merged or split (valid_to)")):
                if mask is None:
                    continue
                for idx in mask[mask].index:
                    out.append(Problem(file, int(idx) + first, "effective_date", "error", "lineage_lifetime",
                                       f"the change on {pd.Timestamp(date.loc[idx]).date()} falls {what} of the "
                                       f"{col} {quote(df.loc[idx, side])}",
                                       f"correct effective_date, or the valid_from / valid_to of "
                                       f"{df.loc[idx, side]} in communities",
                                       f"{pd.Timestamp(date.loc[idx]).date()} 的调整发生在"
                                       f"{'原' if col == 'parent' else '新'}社区 {quote(df.loc[idx, side])} "
                                       f"{'设立（valid_from）之前' if 'before' in what else '撤并或拆分（valid_to）之后'}",
                                       f"更正 effective_date，或社区名册中 {df.loc[idx, side]} 的 valid_from / valid_to"))
    return out


def _lineage_cycles(df: pd.DataFrame, file: str, first: int) -> list[Problem]:
    """Communities that descend from themselves through other communities (A → B → A)."""
    edges = df[(df["from_id"] != df["to_id"]) & df["from_id"].notna() & df["to_id"].notna()]
    children: dict[object, list[object]] = {}
    for a, b in zip(edges["from_id"], edges["to_id"]):
        children.setdefault(a, []).append(b)
    state: dict[object, int] = {}  # 1 on the path, 2 done
    on_cycle: set[object] = set()
    for start in children:
        if state.get(start):
            continue
        stack = [(start, iter(children.get(start, ())))]
        state[start] = 1
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                on_cycle.update(path[path.index(nxt):])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(children.get(nxt, ()))))
    if not on_cycle:
        return []
    mask = df["from_id"].isin(on_cycle) & df["to_id"].isin(on_cycle) & (df["from_id"] != df["to_id"])
    names = ", ".join(sorted(quote(c) for c in on_cycle))
    return [Problem(file, int(df.index[mask][0]) + first, "to_id", "error", "lineage_cycle",
                    f"the lineage goes round in a circle through {names}",
                    "a community cannot descend from its own successor: correct from_id / to_id of these rows",
                    f"社区沿革形成循环，经过 {names}",
                    "一个社区不能由自己的后继社区演变而来：更正这些行的 from_id / to_id")]


def _grid_status(tables, files, first_rows) -> list[Problem]:
    df = tables.get("grid_events")
    if df is None or not {"status", "closed_at"} <= set(df.columns):
        return []
    file, first = files["grid_events"], first_rows["grid_events"]
    out = []
    for r in _rows((df["status"] == "closed") & df["closed_at"].isna(), first):
        out.append(Problem(file, r, "closed_at", "error", "closed_without_time",
                           "the event is closed but has no closing time",
                           "fill in closed_at, or set status to open / in_progress",
                           "事件已办结，但没有办结时间", "填写 closed_at，或把 status 改为 open / in_progress"))
    for r in _rows((df["status"] != "closed") & df["closed_at"].notna(), first):
        out.append(Problem(file, r, "status", "warning", "open_with_close_time",
                           "the event has a closing time but its status is not closed; it is treated as closed",
                           "set status to closed, or clear closed_at",
                           "事件有办结时间，但状态不是已办结；按已办结处理", "把 status 改为 closed，或清空 closed_at"))
    return out


def _service_hours(tables, files, first_rows) -> list[Problem]:
    hours, vols = tables.get("service_hours"), tables.get("volunteers")
    if hours is None or vols is None or "person_key" not in hours.columns:
        return []
    keys, known = hours["person_key"], vols["person_key"].dropna().unique()
    if isinstance(keys.dtype, pd.StringDtype) and isinstance(known.dtype, pd.StringDtype):
        # pandas' isin of Arrow strings turns a million known keys into Python scalars first
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.chunked_array(keys.array.__arrow_array__())
        found = pc.is_in(arr, value_set=pa.chunked_array(known.__arrow_array__()).combine_chunks().cast(arr.type))
        bad = keys.notna() & ~pd.Series(found.to_numpy(zero_copy_only=False), index=keys.index).fillna(False)
    else:
        bad = keys.notna() & ~keys.isin(set(known))
    rows = _rows(bad, first_rows["service_hours"])
    return [Problem(files["service_hours"], r, "person_key", "error", "unknown_volunteer",
                    "the person_key is not in the volunteer register",
                    "add the volunteer to volunteers, or correct the key",
                    "person_key 不在志愿者名册中", "把该志愿者加入 volunteers，或更正这个键") for r in rows]


def _survey(tables, files, first_rows) -> list[Problem]:
    df = tables.get("survey_responses")
    if df is None:
        return []
    file, first = files["survey_responses"], first_rows["survey_responses"]
    out = []
    if "interview_date" in df.columns:
        off = df["interview_date"].notna() & (df["interview_date"].dt.year - df["wave"]).abs().gt(1)
        out += [Problem(file, r, "interview_date", "warning", "interview_outside_wave",
                        "the interview date is more than a year away from the wave",
                        "check the wave or the interview date",
                        "访问日期与调查轮次相差一年以上", "核对调查轮次或访问日期") for r in _rows(off, first)]
    out += _zero_weight_strata(df, file, first)
    return out


def _zero_weight_strata(df: pd.DataFrame, file: str, first: int) -> list[Problem]:
    """A stratum of a wave whose design weights are all 0 (or whose weights sum to 0).

    Its respondents would stand for nobody: the weighted total of the stratum is 0, raking divides by it and the
    district mean becomes NaN. The contract allows a 0 weight for a single respondent (min 0), not for a stratum.
    """
    if "base_weight" not in df.columns:
        return []
    group = ["wave", "stratum"] if "stratum" in df.columns else ["wave"]
    w = df["base_weight"].astype("float64")
    d = df.assign(_w=w).dropna(subset=["_w"])
    if d.empty:
        return []
    sums = d.groupby(group, dropna=False)["_w"].sum()
    out = []
    for key, total in sums.items():
        if total > 0:
            continue
        key = key if isinstance(key, tuple) else (key,)
        mask = pd.Series(True, index=d.index)
        for g, k in zip(group, key):
            mask &= (d[g] == k) if pd.notna(k) else d[g].isna()
        where = " ".join(f"{g} {k}" for g, k in zip(group, key))
        out.append(Problem(file, int(d.index[mask][0]) + first, "base_weight", "error", "zero_weight_stratum",
                           f"every design weight of {where} is 0: the stratum would stand for nobody and the "
                           "raked mean cannot be computed",
                           "give the stratum's respondents their design weights (population / sample size), or "
                           "remove the stratum",
                           f"{where} 的设计权数全部为 0：该层不代表任何人，无法计算校准后的均值",
                           "给该层受访者填写设计权数（总体数 ÷ 样本量），或删除该层"))
    return out
