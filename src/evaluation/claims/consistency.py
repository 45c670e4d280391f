"""Internal-consistency checks on the figures of one text: what the figures imply on their own terms.

These checks need no data beyond the text (domain-notes §1.2): person-times presented as people, percentages with
no denominator, coverage arithmetic (43 centres for 43 communities; a 1+3+43+N formula against the counts written
next to it), and the small-number signature of a rounded percentage change (−34.48% is only reachable from a few
small count pairs such as 29→19 and 58→38).

Every check takes the claims table of :func:`~evaluation.claims.extract.extract_claims` and returns findings with
the columns ``check``, ``claim_id``, ``severity`` (info | warning | error), ``finding_zh`` and ``finding_en``.

The signature searches use exact integer arithmetic rather than floating point, so a pair on the rounding boundary
is decided exactly; both boundaries are accepted (round-half-up and round-half-even writers differ only there).
"""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["rate_signatures", "fraction_signatures", "check_person_times", "check_denominators", "check_coverage",
           "check_small_numbers", "check_consistency", "FINDING_COLUMNS"]

FINDING_COLUMNS = ("check", "claim_id", "severity", "finding_zh", "finding_en")
_CLAUSE_PUNCT = "，,；;：:。！？!?"


def _findings(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    return df.astype({c: "string" for c in FINDING_COLUMNS})


def _scaled(x: float | str | Decimal, decimals: int) -> int:
    """``x`` × 10**decimals as an exact integer (x given to at most ``decimals`` places)."""
    d = Decimal(str(x)).scaleb(decimals)
    if d != d.to_integral_value():
        raise ValueError(f"{x} has more than {decimals} decimals")
    return int(d)


def _ceil_div(a: np.ndarray, b: int) -> np.ndarray:
    return -((-a) // b)


def rate_signatures(change: float, max_n: int = 400, decimals: int = 2, min_n: int = 1,
                    confidence_level: float = 0.95) -> pd.DataFrame:
    """All (before, after) count pairs whose relative change, as a percentage rounded to ``decimals``, is ``change``.

    Parameters
    ----------
    change : float
        The relative change as a fraction, as published (−34.48% -> ``-0.3448``).
    max_n : int
        Largest ``before`` count searched.
    decimals : int
        Decimals of the published percentage (34.48% -> 2).
    min_n : int
        Smallest ``before`` count searched.
    confidence_level : float
        Level of the exact interval for the rate ratio.

    Returns
    -------
    pandas.DataFrame
        ``before``, ``after``, ``change_exact`` (after/before − 1), ``rate_ratio``, ``rr_ci_low``, ``rr_ci_high``
        (exact conditional interval of after/before treating the counts as Poisson with equal exposure: the
        Clopper–Pearson interval for after/(after+before), mapped by p/(1−p); R ``poisson.test(c(after, before))``),
        and ``change_ci_low``/``change_ci_high`` (the same minus 1). One row per pair, by ``before``.

    References
    ----------
    Clopper & Pearson (1934), Biometrika 26:404; the conditional test for two Poisson counts (Przyborowski &
    Wilenski 1940), as in R ``stats::poisson.test``.

    Examples
    --------
    >>> rate_signatures(-0.3448, max_n=60)[["before", "after"]].values.tolist()
    [[29, 19], [58, 38]]
    """
    if max_n < min_n or min_n < 1:
        raise ValueError("need 1 <= min_n <= max_n")
    target = _scaled(Decimal(str(change)) * 100, decimals)
    scale = 10 ** (decimals + 2)
    b = np.arange(min_n, max_n + 1, dtype=np.int64)
    # |scale·(a−b)/b − target| ≤ 1/2  ⇔  (2·target − 1)·b ≤ 2·scale·(a−b) ≤ (2·target + 1)·b
    k_lo = _ceil_div((2 * target - 1) * b, 2 * scale)
    k_hi = ((2 * target + 1) * b) // (2 * scale)
    k_lo = np.maximum(k_lo, -b)  # after ≥ 0
    befores, afters = [], []
    for bi, lo, hi in zip(b[k_lo <= k_hi], k_lo[k_lo <= k_hi], k_hi[k_lo <= k_hi]):
        for k in range(int(lo), int(hi) + 1):
            befores.append(int(bi))
            afters.append(int(bi + k))
    before = np.array(befores, dtype=np.int64)
    after = np.array(afters, dtype=np.int64)
    alpha = 1 - confidence_level
    total = before + after
    with np.errstate(divide="ignore", invalid="ignore"):
        p_lo = np.where(after > 0, stats.beta.ppf(alpha / 2, after, total - after + 1), 0.0)
        p_hi = np.where(before > 0, stats.beta.ppf(1 - alpha / 2, after + 1, total - after), 1.0)
        rr_lo = p_lo / (1 - p_lo)
        rr_hi = np.where(p_hi < 1, p_hi / (1 - p_hi), np.inf)
        ratio = after / before
    return pd.DataFrame({
        "before": before, "after": after, "change_exact": ratio - 1, "rate_ratio": ratio,
        "rr_ci_low": rr_lo, "rr_ci_high": rr_hi, "change_ci_low": rr_lo - 1, "change_ci_high": rr_hi - 1,
    })


def fraction_signatures(percent: float, decimals: int = 1, max_n: int = 1000, min_n: int = 1) -> pd.DataFrame:
    """All (k, n) with k/n, as a percentage rounded to ``decimals``, equal to ``percent`` (51.6 -> 16/31, 32/62…).

    Returns
    -------
    pandas.DataFrame
        ``numerator``, ``denominator``, ``percent_exact``; one row per pair, by denominator.
    """
    if max_n < min_n or min_n < 1:
        raise ValueError("need 1 <= min_n <= max_n")
    target = _scaled(percent, decimals)
    scale = 10 ** (decimals + 2)
    n = np.arange(min_n, max_n + 1, dtype=np.int64)
    k_lo = np.maximum(_ceil_div((2 * target - 1) * n, 2 * scale), 0)
    k_hi = np.minimum(((2 * target + 1) * n) // (2 * scale), n)
    ks, ns = [], []
    for ni, lo, hi in zip(n[k_lo <= k_hi], k_lo[k_lo <= k_hi], k_hi[k_lo <= k_hi]):
        for k in range(int(lo), int(hi) + 1):
            ks.append(k)
            ns.append(int(ni))
    k_arr, n_arr = np.array(ks, dtype=np.int64), np.array(ns, dtype=np.int64)
    return pd.DataFrame({"numerator": k_arr, "denominator": n_arr,
                         "percent_exact": 100 * k_arr / np.where(n_arr > 0, n_arr, 1)})


def _decimals_of(raw: str, value: float | None = None) -> int:
    """Decimals of a percentage as written: 51.6% -> 1; in words (百分之三十四点五) those of its value."""
    m = re.search(r"\d+(?:\.(\d+))?\s*[%‰]", raw)
    if m:
        return len(m.group(1)) if m.group(1) else 0
    if value is not None and not re.search(r"\d", raw) and re.search("百分之|千分之", raw):
        return max(0, -int(Decimal(str(abs(value))).normalize().as_tuple().exponent))
    return 0


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _clause_after(claims_row) -> str:
    """Text from the end of the figure to the end of its clause."""
    sent = str(claims_row.sentence)
    i = int(claims_row.end) - int(claims_row.sentence_start)
    j = min([sent.find(p, i) for p in _CLAUSE_PUNCT if sent.find(p, i) >= 0] + [len(sent)])
    return sent[i:j]


def _clause_before(claims_row) -> str:
    sent = str(claims_row.sentence)
    i = int(claims_row.start) - int(claims_row.sentence_start)
    j = max([sent.rfind(p, 0, i) for p in _CLAUSE_PUNCT] + [-1]) + 1
    return sent[j:i]


def check_person_times(claims: pd.DataFrame) -> pd.DataFrame:
    """Person-times (人次) are visits, not people; a 人 count in an activity context may be person-times relabelled.

    For each 人次 figure the finding gives the mean per activity when the same sentence states an activity count
    (73,000 person-times over 1,119 activities ≈ 65 per activity). A 人 figure whose clause speaks of serving or
    taking part in activities (服务/参与/参加/惠及/受益 … 活动) is flagged as possibly person-times.
    """
    rows = []
    figs = claims[claims["kind"].isin(["count", "change"])]
    for r in figs.itertuples(index=False):
        if r.unit == "人次":
            acts = figs[(figs["sentence_id"] == r.sentence_id) & figs["unit"].isin(["场", "次"])
                        & (figs["claim_id"] != r.claim_id)]
            per = ""
            per_en = ""
            if len(acts):
                n_act = float(acts["value"].iloc[0])
                mean = r.value / n_act
                per = f"按同句{_fmt(n_act)}场活动计，场均约{mean:.0f}人次。"
                per_en = f" Over the {_fmt(n_act)} activities in the same sentence that is about {mean:.0f} per activity."
            rows.append({
                "check": "person_times", "claim_id": r.claim_id, "severity": "info",
                "finding_zh": f"“{r.raw}”是人次（参与次数），不是人数；同一居民多次参加会重复计数，覆盖人数未知。{per}",
                "finding_en": f"'{r.raw}' counts person-times (attendances), not people: a resident who comes "
                              f"several times is counted each time, and the number of people reached is unknown.{per_en}",
            })
        elif r.unit == "人":
            context = _clause_before(r) + str(r.raw) + _clause_after(r)
            if re.search(r"服务|参与|参加|惠及|受益|接待|覆盖", context) and re.search(r"活动|场|人次|次", str(r.sentence)):
                rows.append({
                    "check": "person_times", "claim_id": r.claim_id, "severity": "warning",
                    "finding_zh": f"“{r.raw}”出现在活动或服务语境中，请核实是人数还是人次（人次不能写作“人”）。",
                    "finding_en": f"'{r.raw}' appears in an activity/service context: check whether it counts people "
                                  "or person-times (人次 must not be presented as 人).",
                })
    return _findings(rows)


def check_denominators(claims: pd.DataFrame, max_n: int = 1000, show: int = 4) -> pd.DataFrame:
    """Percentages stated without the counts behind them.

    A rate with no count in its sentence is a warning. For a rounded rate (51.6%) the finding lists the smallest
    numerator/denominator pairs that produce it, so a reviewer sees how small the base may be; a level reached
    (提升至/提高到/达到) with no starting value is noted as a missing baseline.
    """
    rows = []
    for r in claims[(claims["unit"] == "%") & claims["kind"].isin(["rate", "change"])].itertuples(index=False):
        same = claims[(claims["sentence_id"] == r.sentence_id) & (claims["kind"] == "count")]
        if r.kind == "rate" and len(same) == 0:
            sig = ""
            sig_en = ""
            if r.hedge == "rounded" and "/" not in str(r.detail):  # 七成, 三分之一: no decimals to match
                pairs = fraction_signatures(abs(float(r.value)), _decimals_of(str(r.raw), r.value), max_n=max_n)
                if len(pairs):
                    shown = "、".join(f"{k}/{n}" for k, n in pairs[["numerator", "denominator"]].values[:show])
                    sig = f"与之相符的最小分子/分母有：{shown}……"
                    sig_en = f" The smallest numerator/denominator pairs giving it are {shown.replace('、', ', ')}, …"
            rows.append({
                "check": "denominator", "claim_id": r.claim_id, "severity": "warning",
                "finding_zh": f"“{r.raw}”未给出分子和分母（基数），无法复核。{sig}",
                "finding_en": f"'{r.raw}' is stated without its numerator and denominator, so it cannot be "
                              f"recomputed.{sig_en}",
            })
        before = _clause_before(r)
        if r.kind == "rate" and re.search(r"(提升|提高|增长|上升|增加|达)(至|到|为)?$", before) and not r.role:
            rows.append({
                "check": "baseline", "claim_id": r.claim_id, "severity": "info",
                "finding_zh": f"“{r.raw}”描述提升后的水平，但未说明起点（基线）和时间。",
                "finding_en": f"'{r.raw}' is a level reached after an increase, but the starting level and date are "
                              "not stated.",
            })
    return _findings(rows)


def _infer_communities(claims: pd.DataFrame) -> float | None:
    """Number of communities as the text states it (优化为43个社区): a 个 figure followed directly by 社区."""
    cand = claims[(claims["unit"] == "个") & claims["right_context"].str.match(r"^社区(?:[^\w]|$)").fillna(False)
                  & claims["kind"].isin(["count", "change"])]
    if len(cand) == 0:
        return None
    to = cand[cand["role"] == "to"]
    return float((to if len(to) else cand)["value"].iloc[-1])


def check_coverage(claims: pd.DataFrame, n_communities: int | None = None) -> pd.DataFrame:
    """Coverage arithmetic of structural formulas and of counts stated per community.

    * A formula (1+3+43+N) is compared with the counts written in its sentence: a numeric component with no
      matching count is a warning; an unspecified component (N) is a warning (the count should be reported).
    * A component equal to the number of communities claims one per community (100% coverage).
    * A count whose clause mentions 社区 is set against the number of communities: fewer than the communities means
      at most that share can have their own (27 paired units for 43 communities), more gives a per-community mean.

    ``n_communities`` defaults to the number the text states (……为43个社区); without either, only the formula
    checks run.
    """
    rows = []
    n = float(n_communities) if n_communities is not None else _infer_communities(claims)
    for r in claims[claims["kind"] == "structural"].itertuples(index=False):
        parts = str(r.detail).split("+")
        same = claims[(claims["sentence_id"] == r.sentence_id) & (claims["kind"] == "count")]
        stated = set(same["value"].tolist())
        for p in parts:
            if not p.isdigit():
                rows.append({
                    "check": "coverage", "claim_id": r.claim_id, "severity": "warning",
                    "finding_zh": f"“{r.raw}”中的“{p}”未给出具体数量，应报告实际个数；该式是分层结构，不是求和。",
                    "finding_en": f"In '{r.raw}' the component '{p}' is not a number: the actual count should be "
                                  "reported. The formula lists levels; it is not a sum.",
                })
            elif len(same) and float(p) not in stated:
                rows.append({
                    "check": "coverage", "claim_id": r.claim_id, "severity": "warning",
                    "finding_zh": f"“{r.raw}”中的{p}在同句的数量中找不到对应。",
                    "finding_en": f"The component {p} of '{r.raw}' matches none of the counts in its sentence.",
                })
            elif n is not None and float(p) == n:
                rows.append({
                    "check": "coverage", "claim_id": r.claim_id, "severity": "info",
                    "finding_zh": f"“{r.raw}”中的{p}等于社区数{_fmt(n)}，即声称每个社区都有一处（覆盖率100%），"
                                  "需用阵地台账逐社区核实。",
                    "finding_en": f"The component {p} of '{r.raw}' equals the {_fmt(n)} communities: it claims one "
                                  "in every community (100% coverage); verify community by community.",
                })
    if n is None:
        return _findings(rows)
    with_formula = set(claims.loc[claims["kind"] == "structural", "sentence_id"])
    for r in claims[claims["kind"] == "count"].itertuples(index=False):
        after = _clause_after(r)
        if float(r.value) == n or "社区" not in after or r.sentence_id in with_formula:
            continue
        v = float(r.value)
        one_each = after.startswith("社区") or re.search(r"结对|共建|覆盖|每个社区|各社区", after)
        if v < n and (not one_each or v < 2):
            continue
        if v < n:
            rows.append({
                "check": "coverage", "claim_id": r.claim_id, "severity": "info",
                "finding_zh": f"“{r.raw}”对应{_fmt(n)}个社区：即使每个社区一个，也最多覆盖{v / n:.0%}的社区"
                              f"（至少{_fmt(n - v)}个社区没有）。",
                "finding_en": f"'{r.raw}' against {_fmt(n)} communities: even at one per community, at most "
                              f"{v / n:.0%} of communities have one (at least {_fmt(n - v)} have none).",
            })
        else:
            rows.append({
                "check": "coverage", "claim_id": r.claim_id, "severity": "info",
                "finding_zh": f"“{r.raw}”平均每个社区约{v / n:.1f}。",
                "finding_en": f"'{r.raw}' is about {v / n:.1f} per community ({_fmt(n)} communities).",
            })
    return _findings(rows)


def check_small_numbers(claims: pd.DataFrame, max_n: int = 400, show: int = 3) -> pd.DataFrame:
    """Rounded percentage changes that only small counts can produce (−34.48%: 29→19, 58→38, …).

    For each relative change in % with decimals, :func:`rate_signatures` lists the count pairs up to ``max_n``. If
    there are any, the finding (a warning) names the smallest and the exact 95% interval of the change for the
    smallest pair, which shows how little such a change proves.
    """
    rows = []
    sel = claims[(claims["kind"] == "change") & (claims["unit"] == "%") & (claims["role"] == "relative_change")]
    for r in sel.itertuples(index=False):
        d = _decimals_of(str(r.raw), r.value)
        if d == 0:
            continue
        # Divide in decimal: 5.8 / 100 in binary floating point is 0.057999…, which has more than d decimals.
        sig = rate_signatures(float(Decimal(str(r.value)) / 100), max_n=max_n, decimals=d)
        if len(sig) == 0:
            rows.append({
                "check": "small_numbers", "claim_id": r.claim_id, "severity": "info",
                "finding_zh": f"“{r.raw}”在基数不超过{max_n}时无法得到，基数应较大。",
                "finding_en": f"'{r.raw}' cannot arise from a prior-year count of {max_n} or less.",
            })
            continue
        pairs = "、".join(f"{a}→{b}" for a, b in sig[["before", "after"]].values[:show])
        s0 = sig.iloc[0]
        lo, hi = s0["change_ci_low"], s0["change_ci_high"]
        rows.append({
            "check": "small_numbers", "claim_id": r.claim_id, "severity": "warning",
            "finding_zh": f"“{r.raw}”这一精确到{d}位小数的变化在基数不超过{max_n}时只有{len(sig)}种可能的"
                          f"前后数量，最小的是{pairs}……说明实际件数可能很少。以{int(s0['before'])}→"
                          f"{int(s0['after'])}计，变化的95%精确置信区间为{lo:+.0%}至{hi:+.0%}。应公布实际件数和多年序列。",
            "finding_en": f"'{r.raw}', given to {d} decimals, arises from only {len(sig)} count pairs with a prior "
                          f"count up to {max_n}; the smallest are {pairs.replace('、', ', ')}, … so the counts may be "
                          f"tiny. For {int(s0['before'])}→{int(s0['after'])} the exact 95% interval of the change "
                          f"runs from {lo:+.0%} to {hi:+.0%}. Publish the counts and a series of several years.",
        })
    return _findings(rows)


def check_consistency(claims: pd.DataFrame, n_communities: int | None = None, max_n: int = 400) -> pd.DataFrame:
    """All internal-consistency checks, one table, with a ``finding_id`` (K001…) in check order."""
    parts = [check_person_times(claims), check_denominators(claims), check_coverage(claims, n_communities),
             check_small_numbers(claims, max_n=max_n)]
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "finding_id", pd.Series([f"K{i + 1:03d}" for i in range(len(out))], dtype="string"))
    return out
