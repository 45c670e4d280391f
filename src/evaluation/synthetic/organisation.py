"""Synthetic organisation registers: pairings (结对共建), part-time committee members (兼职委员), joint meetings
(联席会议) and community workers (社区工作者), each hitting the article's report-year figure exactly under the counting
rule of ``docs/conventions.md`` ("active at the end of Y": started <= Y-12-31 and ended empty or later).

Each register also holds records that the rule must *not* count (ended pairings, members and workers who left, meetings
of earlier years), so a wrong rule gives a wrong number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._util import fmt_date, hex_keys
from .config import SynthConfig
from .geography import Geography, label_community
from .population import PopulationModel

__all__ = ["build_pairings", "build_committee_members", "build_joint_meetings", "build_community_workers",
           "UNITS"]

# Invented unit names (agency | enterprise | institution); the last four have only ended pairings.
UNITS: tuple[tuple[str, str], ...] = (
    ("区委组织部", "agency"), ("区发展和改革局", "agency"), ("区财政局", "agency"), ("区教育局", "agency"),
    ("区民政局", "agency"), ("区卫生健康局", "agency"), ("区住房和城乡建设局", "agency"), ("区司法局", "agency"),
    ("区市场监督管理局", "agency"), ("区应急管理局", "agency"), ("区城市管理和综合执法局", "agency"),
    ("区人力资源和社会保障局", "agency"), ("区税务局", "agency"), ("区总工会", "agency"),
    ("湾区能源科技有限公司", "enterprise"), ("海湾港口物流有限公司", "enterprise"), ("霞涌新材料有限公司", "enterprise"),
    ("湾区城市建设投资集团", "enterprise"), ("东升电子科技有限公司", "enterprise"), ("湾区公交有限公司", "enterprise"),
    ("湾区农村商业银行", "enterprise"), ("区人民医院", "institution"), ("区第一中学", "institution"),
    ("区职业技术学校", "institution"), ("区妇幼保健院", "institution"), ("区图书馆", "institution"),
    ("区疾病预防控制中心", "institution"),
    ("湾区旅游发展有限公司", "enterprise"), ("区档案馆", "institution"), ("区科技创新局", "agency"),
    ("西湖物业服务有限公司", "enterprise"),
)
_N_FORMER_UNITS = 4


def _days(rng, start: str, end: str, n: int, a: float = 1.0, b: float = 1.0) -> np.ndarray:
    s, e = np.datetime64(start), np.datetime64(end)
    return s + ((e - s).astype(int) * rng.beta(a, b, n)).astype(int).astype("timedelta64[D]")


def _year(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[Y]").astype(int) + 1970


def build_pairings(rng: np.random.Generator, config: SynthConfig, geo: Geography) -> pd.DataFrame:
    """Pairings: exactly ``paired_units`` distinct units active at the end of the report year."""
    ry, k = config.report_year, config.paired_units
    units = UNITS[: k + _N_FORMER_UNITS] if k + _N_FORMER_UNITS <= len(UNITS) else None
    if units is None:
        raise ValueError(f"at most {len(UNITS) - _N_FORMER_UNITS} paired units are supported")
    rows = []
    first = f"{config.split_year}-01-01"
    for u, (name, utype) in enumerate(units):
        current = u < k
        n_pair = int(rng.integers(1, 4))
        kids = rng.choice(geo.n_children, n_pair, replace=False)
        start = _days(rng, first, f"{ry}-09-30", n_pair, 1.0, 1.6)
        end = start + rng.integers(365, 1100, n_pair).astype("timedelta64[D]")
        end = np.where(end <= np.datetime64(f"{ry}-12-31"), end, np.datetime64("NaT"))
        if current:
            end[0] = np.datetime64("NaT")                      # at least one live pairing
        else:
            end = np.minimum(np.where(np.isnat(end), np.datetime64(f"{ry}-06-30"), end), np.datetime64(f"{ry}-06-30"))
            start = np.minimum(start, end - np.timedelta64(180, "D"))
        for c, s, e in zip(kids, start, end):
            rows.append((name, utype, int(c), s, e))
    df = pd.DataFrame(rows, columns=["unit_name", "unit_type", "child", "start", "end"]).sort_values(
        ["start", "unit_name"], kind="stable").reset_index(drop=True)
    table = pd.DataFrame({
        "pairing_id": [f"PR{i + 1:03d}" for i in range(len(df))],
        "unit_name": df["unit_name"],
        "community_id": label_community(geo, df["child"].to_numpy(), _year(df["start"].to_numpy()), config.split_year),
        "start_date": fmt_date(df["start"].to_numpy()),
        "end_date": fmt_date(df["end"].to_numpy()),
        "unit_type": df["unit_type"],
    })
    table["end_date"] = table["end_date"].astype("string")
    return table


def build_committee_members(rng: np.random.Generator, config: SynthConfig, geo: Geography) -> pd.DataFrame:
    """Part-time committee members: exactly ``part_time_committee_members`` active at the end of the report year."""
    ry = config.report_year
    n_act = config.part_time_committee_members
    n_left = int(round(0.15 * n_act))
    n = n_act + n_left
    active = np.r_[np.ones(n_act, bool), np.zeros(n_left, bool)]
    child = rng.integers(0, geo.n_children, n)
    appointed = _days(rng, f"{config.split_year}-03-01", f"{ry}-11-30", n, 1.2, 1.0)
    appointed = np.where(active, appointed, np.minimum(appointed, np.datetime64(f"{ry}-06-30")))
    left = np.minimum(appointed + rng.integers(120, 1200, n).astype("timedelta64[D]"), np.datetime64(f"{ry}-12-31"))
    left = np.where(active, np.datetime64("NaT"), left)
    sources = np.array([u for u, _ in UNITS[: config.paired_units]] + ["驻区企业党组织", "区直机关党组织"], dtype=object)
    order = np.argsort(appointed, kind="stable")
    table = pd.DataFrame({
        "member_key": hex_keys(rng, n, "M", 8),
        "community_id": label_community(geo, child, _year(appointed), config.split_year),
        "appointed": fmt_date(appointed),
        "left": fmt_date(left),
        "source_unit": sources[rng.integers(0, len(sources), n)],
    }).iloc[order].reset_index(drop=True)
    table["left"] = table["left"].astype("string")
    return table


def build_joint_meetings(rng: np.random.Generator, config: SynthConfig, geo: Geography) -> pd.DataFrame:
    """Joint meetings from the split to the report year: exactly ``joint_meetings`` in the report year, whose
    ``issues_resolved`` sum exactly to ``issues_resolved`` (never more than the issues raised at the meeting)."""
    ry = config.report_year
    frames = []
    for year in range(config.split_year, ry + 1):
        n = config.joint_meetings if year == ry else int(round(config.joint_meetings * np.exp(-0.14 * (ry - year))))
        raised = 1 + rng.poisson(0.9, n)
        resolved = rng.binomial(raised, 0.3)
        if year == ry:
            resolved = _adjust_total(rng, resolved, raised, config.issues_resolved)
        date = _days(rng, f"{year}-01-05", f"{year}-12-28", n)
        frames.append(pd.DataFrame({"child": rng.integers(0, geo.n_children, n), "date": date,
                                    "issues_raised": raised, "issues_resolved": resolved}))
    df = pd.concat(frames, ignore_index=True).sort_values("date", kind="stable").reset_index(drop=True)
    yrs = _year(df["date"].to_numpy())
    seq = pd.Series(yrs).groupby(yrs).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "meeting_id": [f"JM{y}{s:04d}" for y, s in zip(yrs, seq)],
        "community_id": label_community(geo, df["child"].to_numpy(), yrs, config.split_year),
        "date": fmt_date(df["date"].to_numpy()),
        "issues_raised": df["issues_raised"].astype(np.int64),
        "issues_resolved": df["issues_resolved"].astype(np.int64),
    })


def _adjust_total(rng: np.random.Generator, x: np.ndarray, cap: np.ndarray, total: int) -> np.ndarray:
    """Move single units at random meetings until sum(x) == total, keeping 0 <= x <= cap."""
    x = x.copy()
    if not 0 <= total <= cap.sum():
        raise ValueError("target outside what the meetings can hold")
    while x.sum() != total:
        up = x.sum() < total
        room = np.flatnonzero(x < cap) if up else np.flatnonzero(x > 0)
        i = room[rng.integers(0, len(room))]
        x[i] += 1 if up else -1
    return x


def build_community_workers(rng: np.random.Generator, config: SynthConfig, geo: Geography,
                            pop: PopulationModel) -> pd.DataFrame:
    """Community workers: exactly ``community_workers`` active, of whom exactly ``workers_promoted`` were promoted in
    [Y-2, Y] and exactly ``workers_certified`` hold a certificate; grades follow the 三岗十八级 scale (1-18)."""
    ry = config.report_year
    n_act = config.community_workers
    n_left = int(round(0.18 * n_act))
    n = n_act + n_left
    active = np.r_[np.ones(n_act, bool), np.zeros(n_left, bool)]
    w = np.sqrt(pop.resident[:, -1].astype(float))
    child = rng.choice(geo.n_children, n, p=w / w.sum())
    hired = _days(rng, "2010-03-01", f"{ry}-10-31", n, 1.6, 1.0)
    hired = np.where(active, hired, np.minimum(hired, np.datetime64(f"{ry - 1}-12-31")))
    left = np.minimum(hired + rng.integers(200, 2500, n).astype("timedelta64[D]"), np.datetime64(f"{ry}-12-31"))
    left = np.where(active, np.datetime64("NaT"), left)
    hy = _year(hired)

    promoted = np.full(n, -1, dtype=np.int64)
    act_idx = np.flatnonzero(active)
    eligible = act_idx[hy[act_idx] <= ry - 1]
    recent = rng.choice(eligible, config.workers_promoted, replace=False)
    lo = np.maximum(hy[recent], ry - 2)
    promoted[recent] = lo + (rng.random(len(recent)) * (ry - lo + 1)).astype(int)
    earlier = np.setdiff1d(np.flatnonzero(hy <= ry - 3), recent)
    earlier = earlier[rng.random(len(earlier)) < 0.4]
    hi = np.where(active[earlier], ry - 3, np.minimum(ry - 1, _year(np.where(np.isnat(left), hired, left))[earlier]))
    hi = np.maximum(hi, hy[earlier])
    promoted[earlier] = hy[earlier] + (rng.random(len(earlier)) * (hi - hy[earlier] + 1)).astype(int)

    certified = np.zeros(n, dtype=np.int64)
    cert_w = 1.0 + 0.15 * (ry - hy[act_idx])
    certified[rng.choice(act_idx, config.workers_certified, replace=False, p=cert_w / cert_w.sum())] = 1
    certified[~active] = (rng.random(n_left) < 0.5).astype(np.int64)
    service = ry - hy
    grade = np.clip(np.rint(1 + 0.7 * service + 2 * (promoted >= 0) + rng.normal(0, 1.5, n)), 1, 18).astype(np.int64)

    order = np.argsort(hired, kind="stable")
    table = pd.DataFrame({
        "worker_key": hex_keys(rng, n, "W", 8),
        "community_id": label_community(geo, child, hy, config.split_year),
        "grade": grade,
        "hired": fmt_date(hired),
        "left": fmt_date(left),
        "promoted_year": pd.array(np.where(promoted >= 0, promoted, 0), dtype="Int64"),
        "certified": certified,
    })
    table.loc[promoted < 0, "promoted_year"] = pd.NA
    table = table.iloc[order].reset_index(drop=True)
    table["left"] = table["left"].astype("string")
    return table
