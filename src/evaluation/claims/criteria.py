"""Award criteria against the evidence: where a submission is strong and where a jury will find it weak.

``resources/claims/award_criteria.csv`` (package data) maps each award and criterion (真实性, 创新性, 实效性, 示范性, 干群满意度 …; domain notes
§2.6 and §5) to evidence items, ``|``-separated:

* ``verdicts`` — the audit's verdicts on the submission's own figures (真实性, 基础评价);
* a result key, ``*`` allowed (``organisation.*``, ``survey.satisfaction_index.mean``) — a *level* the data give;
* a result key with a direction, ``impact.satisfaction_index.att:+`` or ``impact.log_time_to_close.att:-`` — a
  programme *effect* (staggered DiD, notebook 40) and the direction that counts as improvement;
* ``text:mechanisms`` — the named mechanisms of the text (slogans, structural formulas, lists): novelty is judged
  by the jury, data can only show that what is named exists.

Strength of one item (strong > some > weak > missing):

============== =================================================================================================
item           rule
============== =================================================================================================
verdicts       missing: no figure could be checked. weak: any figure contradicted, or fewer than half of the
               countable figures checkable. strong: none contradicted, ≥ 90 % of the checked figures supported and
               ≥ 80 % of the countable figures checked. some: otherwise. A figure within sampling error counts as
               checked but not supported.
effect (±)     missing: no matching key. strong: at least half the matching keys have a 95 % interval wholly on
               the improving side of 0 *and*, where the run recorded one (``impact.<outcome>.conclusion``), a
               conclusion of ``clear`` (significant after the Holm adjustment and robust in the Rambachan–Roth
               sensitivity analysis; notebook 40) on an outcome fixed in advance (``impact.<outcome>.role``
               not ``secondary``). An interval clear of 0 whose conclusion is not ``clear``, or a clear effect on an
               exploratory outcome (a lead to confirm, not evidence: :func:`evaluation.impact.summary.verdict_wording`),
               counts as pointing the right way only. some: at least one point estimate on the improving side.
               weak: otherwise (every estimate points the wrong way).
level          missing: no matching key with a value. some: otherwise (a level alone shows no change and no cause,
               so it is never strong).
text           some: the text names at least one mechanism; weak: none.
============== =================================================================================================

A criterion takes the strength of its strongest item; its sentence names the items that fall short. No library
scores award rubrics, hence this module; the thresholds are parameters of :func:`self_assessment`.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["self_assessment", "load_award_criteria", "evidence_strength", "STRENGTHS", "CRITERIA_COLUMNS",
           "DEFAULT_CRITERIA_PATH", "ASSESSMENT_COLUMNS"]

STRENGTHS = ("strong", "some", "weak", "missing")
_RANK = {s: i for i, s in enumerate(reversed(STRENGTHS))}  # missing 0 … strong 3
_ZH = {"strong": "强", "some": "一般", "weak": "弱", "missing": "缺失"}
CRITERIA_COLUMNS = ("award_id", "award_zh", "award_en", "criterion_id", "criterion_zh", "criterion_en", "evidence",
                    "source_note")
ASSESSMENT_COLUMNS = ("award_id", "award_zh", "award_en", "criterion_id", "criterion_zh", "criterion_en",
                      "evidence", "evidence_zh", "evidence_en", "strength", "statement_zh", "statement_en")
_MECHANISM_KINDS = ("slogan", "structural", "enumeration")


def _default_path() -> Path:
    from evaluation.config import AWARD_CRITERIA

    return AWARD_CRITERIA


DEFAULT_CRITERIA_PATH = _default_path()


def load_award_criteria(path: str | Path | None = None) -> pd.DataFrame:
    """Read the package's ``award_criteria.csv`` (or ``path``) and check its columns."""
    p = Path(path) if path is not None else DEFAULT_CRITERIA_PATH
    df = pd.read_csv(p, dtype="string", keep_default_na=False)
    missing = [c for c in CRITERIA_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; expected {list(CRITERIA_COLUMNS)}")
    return df


def _value(obj: Any) -> float | None:
    v = obj.get("value") if isinstance(obj, Mapping) else obj
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _verdict_item(verdicts: pd.DataFrame, strong_supported: float, strong_checked: float
                  ) -> tuple[str, str, str, str, str]:
    counts = verdicts["verdict"].value_counts() if len(verdicts) else pd.Series(dtype="int64")
    sup, fra, wse, con, nck = (int(counts.get(k, 0)) for k in ("supported", "fragile", "within_sampling_error",
                                                               "contradicted", "not_checkable"))
    checked, countable = sup + fra + wse + con, sup + fra + wse + con + nck
    zh = f"可核验数字{checked}个：相符{sup}、不稳{fra}、不符{con}；无法核验{nck}个"
    en = f"{checked} figures checked: {sup} supported, {fra} fragile, {con} contradicted; {nck} not checkable"
    if wse:
        zh = zh.replace(f"、不符{con}", f"、在抽样误差内{wse}、不符{con}")
        en = en.replace(f", {con} contradicted", f", {wse} within sampling error, {con} contradicted")
    weak_zh, weak_en = [], []
    if wse:
        raws = "、".join(verdicts.loc[verdicts["verdict"] == "within_sampling_error", "raw"].astype(str))
        weak_zh.append(f"{wse}个数字偏离复算值但在抽样误差范围内（{raws}）")
        weak_en.append(f"{wse} figure(s) off the recomputed value but within sampling error "
                       f"({raws.replace('、', ', ')})")
    if con:
        raws = "、".join(verdicts.loc[verdicts["verdict"] == "contradicted", "raw"].astype(str))
        weak_zh.append(f"{con}个数字与数据不符（{raws}）")
        weak_en.append(f"{con} figure(s) contradicted by the data ({raws.replace('、', ', ')})")
    if fra:
        raws = "、".join(verdicts.loc[verdicts["verdict"] == "fragile", "raw"].astype(str))
        weak_zh.append(f"{fra}个数字在统计上不稳（{raws}）")
        weak_en.append(f"{fra} figure(s) statistically fragile ({raws.replace('、', ', ')})")
    if nck:
        raws = "、".join(verdicts.loc[verdicts["verdict"] == "not_checkable", "raw"].astype(str))
        weak_zh.append(f"{nck}个数字无法用数据核验（{raws}）")
        weak_en.append(f"{nck} figure(s) cannot be checked against data ({raws.replace('、', ', ')})")
    if checked == 0:
        s = "missing"
    elif con or checked < 0.5 * countable:
        s = "weak"
    elif sup >= strong_supported * checked and checked >= strong_checked * countable:
        s = "strong"
    else:
        s = "some"
    return s, zh, en, "；".join(weak_zh), "; ".join(weak_en)


def _keys(pattern: str, results: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in results if fnmatch.fnmatchcase(k, pattern) and _value(results[k]) is not None)


def _label(key: str, lang: str) -> str:
    # A Chinese statement names the figure (居民满意度指数的推行效果), not its results.json key (issue 17).
    from evaluation.text.i18n import result_label

    return result_label(key, lang)


def _names(keys: list[str], pattern: str, lang: str = "en") -> str:
    from evaluation.text.i18n import plain

    lang = "zh" if lang == "zh" else "en"
    if len(keys) <= 2:
        return plain("punct.list", lang).join(_label(k, lang) for k in keys)
    # an English statement names the key pattern itself (result_label keeps English keys)
    return plain("claims.names.many", lang, label=_label(pattern, lang), n=len(keys))


def _recorded(key: str, field: str, results: Mapping[str, Any]) -> str | None:
    """What the run recorded about the outcome of an effect key (``impact.<outcome>.<field>``: its ``conclusion``,
    its ``role``), if anything."""
    parts = key.split(".")
    if len(parts) < 3 or parts[0] != "impact":
        return None
    rec = results.get(f"impact.{parts[1]}.{field}")
    v = rec.get("value") if isinstance(rec, Mapping) else rec
    return None if v is None else str(v)


def _effect_item(pattern: str, sign: int, results: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    keys = _keys(pattern, results)
    if not keys:
        return ("missing", f"{_label(pattern, 'zh')}：无结果", f"{pattern}: no result",
                f"缺少{_label(pattern, 'zh')}的估计", f"no effect estimate {pattern}")
    clear, unsure, no_ci, wrong, not_shown, exploratory = [], [], [], [], [], []
    for k in keys:
        r = results[k]
        v = _value(r)
        lo = _value({"value": r.get("ci_low")}) if isinstance(r, Mapping) else None
        hi = _value({"value": r.get("ci_high")}) if isinstance(r, Mapping) else None
        if sign * v <= 0:
            wrong.append(k)
        elif lo is None or hi is None:
            no_ci.append(k)
        elif sign * lo > 0 and sign * hi > 0:
            if _recorded(k, "conclusion", results) not in (None, "clear"):
                not_shown.append(k)
            else:
                (exploratory if _recorded(k, "role", results) == "secondary" else clear).append(k)
        else:
            unsure.append(k)
    right = unsure + no_ci + not_shown + exploratory
    zh = f"{_label(pattern, 'zh')}：{len(keys)}项估计中{len(clear)}项显著改善、{len(right)}项方向正确但未显示显著、{len(wrong)}项方向相反"
    en = (f"{pattern}: of {len(keys)} estimate(s), {len(clear)} improve with a 95% interval clear of 0, "
          f"{len(right)} point the right way without shown significance, {len(wrong)} point the wrong way")
    if len(clear) >= 0.5 * len(keys):
        s = "strong"
    elif clear or right:
        s = "some"
    else:
        s = "weak"
    weak_zh, weak_en = [], []
    if unsure:
        weak_zh.append(f"{_names(unsure, pattern, 'zh')}的置信区间包含0")
        weak_en.append(f"the interval of {_names(unsure, pattern)} includes 0")
    if not_shown:
        weak_zh.append(f"{_names(not_shown, pattern, 'zh')}的区间虽不含0，但经多重比较校正或敏感性分析后结论不稳健")
        weak_en.append(f"the interval of {_names(not_shown, pattern)} excludes 0, but the "
                       "conclusion does not hold after the multiplicity adjustment or the sensitivity analysis")
    if exploratory:
        weak_zh.append(f"{_names(exploratory, pattern, 'zh')}虽明确，但不是事先指定的主要结果，只能作为有待验证的线索")
        weak_en.append(f"the effect on {_names(exploratory, pattern)} is clear but exploratory (not fixed in "
                       "advance): a lead to confirm, not evidence")
    if no_ci:
        weak_zh.append(f"{_names(no_ci, pattern, 'zh')}没有置信区间")
        weak_en.append(f"{_names(no_ci, pattern)} come(s) without an interval")
    if wrong:
        weak_zh.append(f"{_names(wrong, pattern, 'zh')}方向与预期相反")
        weak_en.append(f"{_names(wrong, pattern)} point(s) the wrong way")
    return s, zh, en, "；".join(weak_zh), "; ".join(weak_en)


def _level_item(pattern: str, results: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    keys = _keys(pattern, results)
    if not keys:
        return ("missing", f"{_label(pattern, 'zh')}：无结果", f"{pattern}: no result",
                f"缺少{_label(pattern, 'zh')}", f"no {pattern}")
    return ("some", f"{_label(pattern, 'zh')}：{len(keys)}项水平指标", f"{pattern}: {len(keys)} level indicator(s)",
            f"{_label(pattern, 'zh')}只是现状水平，不能说明变化或成因", f"{pattern} shows levels only, not change or cause")


def _text_item(verdicts: pd.DataFrame) -> tuple[str, str, str, str, str]:
    named = verdicts[verdicts["kind"].isin(_MECHANISM_KINDS)] if len(verdicts) else verdicts
    n = len(named)
    s = "some" if n else "weak"
    return (s, f"原文列出{n}处机制名称、结构式或列举", f"the text names {n} mechanisms, formulas or lists",
            "创新性由评委判断，数据只能说明所列机制确有推行（需推行台账和日期）",
            "novelty is for the jury to judge; data can only show that the named mechanisms operate (this needs "
            "rollout records with dates)")


def evidence_strength(item: str, verdicts: pd.DataFrame, results: Mapping[str, Any], *,
                      strong_supported: float = 0.9, strong_checked: float = 0.8) -> dict[str, str]:
    """Strength of one evidence item (module table) with short summaries and what falls short, zh and en."""
    item = item.strip()
    if item == "verdicts":
        parts = _verdict_item(verdicts, strong_supported, strong_checked)
    elif item == "text:mechanisms":
        parts = _text_item(verdicts)
    elif item.endswith((":+", ":-")):
        parts = _effect_item(item[:-2], 1 if item.endswith("+") else -1, results)
    else:
        parts = _level_item(item, results)
    keys = ("strength", "summary_zh", "summary_en", "weakness_zh", "weakness_en")
    return dict(zip(keys, parts))


def self_assessment(verdicts: pd.DataFrame, results: Mapping[str, Any], criteria: pd.DataFrame | None = None, *,
                    strong_supported: float = 0.9, strong_checked: float = 0.8) -> pd.DataFrame:
    """Per award criterion: its evidence, the strength of that evidence, and where the submission is weak.

    Parameters
    ----------
    verdicts : DataFrame
        Output of :func:`~evaluation.claims.verdict.verdict_claims`.
    results : dict
        ``{dotted key: {"value", "ci_low"?, "ci_high"?, …}}``: the headline figures and whatever else the run
        recorded (``survey.*``, ``impact.*``; a ``results.json``'s ``results``).
    criteria : DataFrame, optional
        :data:`CRITERIA_COLUMNS`; default :func:`load_award_criteria`.
    strong_supported, strong_checked : float
        Thresholds of the ``verdicts`` item (module table).

    Returns
    -------
    pandas.DataFrame
        :data:`ASSESSMENT_COLUMNS`: one row per award and criterion; ``strength`` is one of :data:`STRENGTHS`;
        ``statement_zh``/``statement_en`` say plainly how strong the evidence is and what is missing.
    """
    criteria = load_award_criteria() if criteria is None else criteria
    rows = []
    for c in criteria.itertuples(index=False):
        items = [i for i in str(c.evidence).split("|") if i.strip()]
        ev = [evidence_strength(i, verdicts, results, strong_supported=strong_supported,
                                strong_checked=strong_checked) for i in items]
        best = max((e["strength"] for e in ev), key=_RANK.__getitem__, default="missing")
        gaps_zh = [e["weakness_zh"] for e in ev if e["weakness_zh"]]
        gaps_en = [e["weakness_en"] for e in ev if e["weakness_en"]]
        zh = f"{c.criterion_zh}：证据{_ZH[best]}。"
        en = f"{str(c.criterion_en)[:1].upper()}{str(c.criterion_en)[1:]}: {best} evidence."
        if gaps_zh:
            # Even strong evidence has soft spots a jury may probe; they are named either way.
            zh += ("仍需注意：" if best == "strong" else "薄弱处：") + "；".join(gaps_zh) + "。"
            en += (" Still to note: " if best == "strong" else " Weak points: ") + "; ".join(gaps_en) + "."
        elif best == "strong":
            zh += "现有数据能支撑这一项。"
            en += " The data support this criterion."
        rows.append({
            "award_id": c.award_id, "award_zh": c.award_zh, "award_en": c.award_en, "criterion_id": c.criterion_id,
            "criterion_zh": c.criterion_zh, "criterion_en": c.criterion_en, "evidence": c.evidence,
            "evidence_zh": "；".join(e["summary_zh"] for e in ev), "evidence_en": "; ".join(e["summary_en"] for e in ev),
            "strength": best, "statement_zh": zh, "statement_en": en,
        })
    return pd.DataFrame(rows, columns=list(ASSESSMENT_COLUMNS)).astype("string")
