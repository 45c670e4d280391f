"""Match each extracted figure to the indicator that can recompute it: readable keyword rules plus hand pins.

The rules live in ``src/evaluation/resources/claims/claims_rules.csv`` (package data, so an installed wheel has
them), one row per rule, so that a reviewer can read and extend them without
touching code:

============== ==========================================================================================
column         meaning
============== ==========================================================================================
rule_id        stable name of the rule (shown in ``match_rule``)
indicator      dotted key of ``docs/conventions.md`` the rule assigns
kinds          accepted ``kind`` values of the figure, ``|``-separated (count|change …)
units          accepted units, ``|``-separated; empty = any
role           ``from`` or ``to`` (one end of a two-row change) or empty = any role
keywords_all   every keyword must occur near the figure
keywords_any   at least one must occur (empty = no condition)
keywords_none  none may occur
scale          ``fraction`` when the indicator is a proportion (0–1) and a % figure is compared ×100; else empty
requires       the tables and columns the indicator needs, ``table:col,col;table2`` (named when not checkable)
priority       larger wins when several rules match one figure
note_zh        what the rule is for, in Chinese
============== ==========================================================================================

**Near the figure** means the figure's own words plus its *segment*: the text of the sentence from the end of the
previous figure or clause mark to the start of the next one, where clause marks include the enumeration comma 、.
Chinese puts the counted noun right after the classifier (27个机关企事业单位) or the topic right before the number
(召开党建联席会议230余场), so the segment holds both, and the 、 boundary keeps 450余家社区社会组织 apart from
560余支志愿者队伍 in one clause. A keyword written ``^词`` must open the text right after the figure
(``^社区级`` for 43个社区级) and ``词$`` must close the text right before it.

Pins and exclusions by hand come from a ``claims.yaml`` beside the submission (:func:`load_overrides`)::

    pins:
      - {claim: F012, indicator: organisation.issues_resolved.count}
      - {raw: "2000余名", indicator: grid.staff.count}
      - {raw: "43个", contains: "社区级", indicator: service_circle.stations.community.count}
    ignore:
      - F050
      - {raw: "一批"}

A pin selects figures by ``claim`` id, by ``raw`` text and/or by a substring of their sentence (``contains``);
a pin or exclusion that selects no figure is an error, since it usually means the text changed. No library offers
keyword rules over Chinese number segments of this kind, hence this small module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

__all__ = ["match_claims", "load_rules", "load_overrides", "parse_requires", "RULE_COLUMNS", "DEFAULT_RULES_PATH",
           "segments"]

RULE_COLUMNS = ("rule_id", "indicator", "kinds", "units", "role", "keywords_all", "keywords_any", "keywords_none",
                "scale", "requires", "priority", "note_zh")
_SEGMENT_MARKS = "，,；;：:。！？!?、\n"
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_ID_RE = re.compile(r"^F\d{3,}$")


def _default_rules_path() -> Path:
    from evaluation.config import CLAIMS_RULES

    return CLAIMS_RULES


DEFAULT_RULES_PATH = _default_rules_path()


def _split(cell: Any) -> list[str]:
    if cell is None or (isinstance(cell, float) and cell != cell) or pd.isna(cell):
        return []
    return [p.strip() for p in str(cell).split("|") if p.strip()]


def load_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Read the matching rules (default: the package's ``claims_rules.csv``) and check them.

    Raises
    ------
    ValueError
        If a column is missing, a rule id repeats or an indicator is not a dotted lower-snake-case key.
    """
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    rules = pd.read_csv(p, dtype="string", keep_default_na=False, comment=None)
    missing = [c for c in RULE_COLUMNS if c not in rules.columns]
    if missing:
        raise ValueError(f"{p}: missing rule column(s) {missing}; expected {list(RULE_COLUMNS)}")
    return _checked(rules, str(p))


def _checked(rules: pd.DataFrame, source: str) -> pd.DataFrame:
    rules = rules.copy()
    for c in RULE_COLUMNS:
        if c not in rules.columns:
            rules[c] = ""
    rules["priority"] = pd.to_numeric(rules["priority"].replace("", "0")).astype("int64")
    dup = rules["rule_id"][rules["rule_id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{source}: duplicate rule_id {dup}")
    bad = [k for k in rules["indicator"] if not _KEY_RE.match(str(k))]
    if bad:
        raise ValueError(f"{source}: indicator(s) {bad} are not dotted keys such as grid.events_closed.count")
    bad_role = [r for r in rules["role"] if str(r) not in ("", "from", "to")]
    if bad_role:
        raise ValueError(f"{source}: role must be from, to or empty, not {bad_role}")
    return rules.reset_index(drop=True)


def parse_requires(spec: str) -> dict[str, list[str]]:
    """``"pairings:unit_name,start_date;communities"`` -> ``{"pairings": ["unit_name", "start_date"],
    "communities": []}``."""
    out: dict[str, list[str]] = {}
    for part in str(spec or "").split(";"):
        part = part.strip()
        if not part:
            continue
        table, _, cols = part.partition(":")
        out[table.strip()] = [c.strip() for c in cols.split(",") if c.strip()]
    return out


def load_overrides(path: str | Path) -> dict[str, list]:
    """Read a ``claims.yaml`` of hand pins and exclusions (see the module docstring).

    Returns
    -------
    dict
        ``{"pins": [ {claim?, raw?, contains?, indicator}, … ], "ignore": [ {claim?, raw?, contains?}, … ]}``;
        a bare string in ``ignore`` is a claim id (F012) or else a raw text.
    """
    from evaluation.yamlkeys import DuplicateKeyError, UniqueKeyLoader

    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=UniqueKeyLoader) or {}  # noqa: S506 (safe)
    except DuplicateKeyError as e:
        raise ValueError(f"{path}, line {e.second}: the key {e.key!r} is given twice (first on line {e.first}); "
                         "keep one of the two lines") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping with 'pins' and/or 'ignore'")
    unknown = set(data) - {"pins", "ignore"}
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {sorted(unknown)}; use 'pins' and 'ignore'")
    return _normalise_overrides(data, str(path))


def _selector(item: Any, where: str) -> dict[str, str]:
    if isinstance(item, str):
        return {"claim": item} if _ID_RE.match(item) else {"raw": item}
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: {item!r} must be a claim id, a raw text or a mapping")
    sel = {k: str(item[k]) for k in ("claim", "raw", "contains") if item.get(k) is not None}
    if not sel:
        raise ValueError(f"{where}: {dict(item)!r} selects nothing; give claim, raw or contains")
    return sel


def _normalise_overrides(data: Mapping[str, Any], source: str = "overrides") -> dict[str, list]:
    pins = []
    for item in data.get("pins") or []:
        sel = _selector(item, f"{source} pins")
        ind = str(item.get("indicator", "")) if isinstance(item, Mapping) else ""
        if not _KEY_RE.match(ind):
            raise ValueError(f"{source} pins: {dict(item)!r} needs an indicator such as grid.staff.count")
        pins.append({**sel, "indicator": ind})
    ignore = [_selector(item, f"{source} ignore") for item in (data.get("ignore") or [])]
    return {"pins": pins, "ignore": ignore}


def _select(claims: pd.DataFrame, sel: Mapping[str, str]) -> pd.Series:
    mask = pd.Series(True, index=claims.index)
    if "claim" in sel:
        mask &= claims["claim_id"] == sel["claim"]
    if "raw" in sel:
        mask &= claims["raw"] == sel["raw"]
    if "contains" in sel:
        mask &= claims["sentence"].str.contains(sel["contains"], regex=False)
    return mask.fillna(False).astype(bool)


def segments(claims: pd.DataFrame) -> pd.DataFrame:
    """The text right before and right after each figure, up to a clause mark (incl. 、) or a neighbouring figure.

    Returns
    -------
    pandas.DataFrame
        ``claim_id``, ``before`` and ``after`` (strings), in the order of ``claims``.
    """
    before, after = [], []
    spans = {sid: g[["start", "end"]].to_numpy() for sid, g in claims.groupby("sentence_id", sort=False)}
    for r in claims.itertuples(index=False):
        sent, s0 = str(r.sentence), int(r.sentence_start)
        a, b = int(r.start) - s0, int(r.end) - s0
        others = [(int(x) - s0, int(y) - s0) for x, y in spans[r.sentence_id] if not (x == r.start and y == r.end)]
        lo = max([i + 1 for i, c in enumerate(sent[:a]) if c in _SEGMENT_MARKS] + [0]
                 + [y for x, y in others if y <= a])
        hi = min([b + i for i, c in enumerate(sent[b:]) if c in _SEGMENT_MARKS] + [len(sent)]
                 + [x for x, y in others if x >= b])
        before.append(sent[lo:a] if 0 <= a <= len(sent) else "")
        after.append(sent[b:hi] if 0 <= b <= len(sent) else "")
    return pd.DataFrame({"claim_id": claims["claim_id"].to_numpy(), "before": before, "after": after})


def _keyword_hit(word: str, before: str, raw: str, after: str) -> bool:
    if word.startswith("^"):
        return after.startswith(word[1:])
    if word.endswith("$"):
        return before.endswith(word[:-1])
    return word in before + raw + after


def _rule_matches(rule, kind: str, unit: str, role: str, before: str, raw: str, after: str) -> bool:
    kinds, units = _split(rule.kinds), _split(rule.units)
    if kinds and kind not in kinds:
        return False
    if units and unit not in units:
        return False
    if rule.role and role != rule.role:
        return False
    if not all(_keyword_hit(w, before, raw, after) for w in _split(rule.keywords_all)):
        return False
    anys = _split(rule.keywords_any)
    if anys and not any(_keyword_hit(w, before, raw, after) for w in anys):
        return False
    return not any(_keyword_hit(w, before, raw, after) for w in _split(rule.keywords_none))


def match_claims(claims: pd.DataFrame, rules: pd.DataFrame | None = None,
                 overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Add to each figure the indicator that recomputes it (keyword rules, then hand pins and exclusions).

    Parameters
    ----------
    claims : DataFrame
        The table of :func:`~evaluation.claims.extract.extract_claims`.
    rules : DataFrame, optional
        Matching rules with :data:`RULE_COLUMNS` (default: :func:`load_rules` of the package's ``claims_rules.csv``).
    overrides : dict, optional
        ``{"pins": [...], "ignore": [...]}`` as :func:`load_overrides` returns (plain dicts are accepted too).

    Returns
    -------
    pandas.DataFrame
        ``claims`` with ``indicator`` (dotted key, empty when none), ``match_rule`` (the rule id, ``pin`` or
        ``ignore``, empty when none), ``scale`` and ``requires`` (from the rule; empty for pins), ``ignored``
        (bool) and the ``before``/``after`` segments the keywords were read in.

    Notes
    -----
    Among the rules that accept a figure the one with the highest ``priority`` wins; ties go to the earlier rule.
    Pins override the rules; ``ignore`` removes the indicator and marks the figure as not audited.
    """
    rules = load_rules() if rules is None else _checked(rules, "rules")
    seg = segments(claims)
    indicator, rule_id, scale, requires = [], [], [], []
    ordered = rules.assign(_order=range(len(rules))).sort_values(["priority", "_order"], ascending=[False, True])
    for r, s in zip(claims.itertuples(index=False), seg.itertuples(index=False)):
        hit = None
        kind, unit, role = str(r.kind), str(r.unit), str(r.role)
        if kind not in ("slogan", "date", "ordinal"):
            for rule in ordered.itertuples(index=False):
                if _rule_matches(rule, kind, unit, role, s.before, str(r.raw), s.after):
                    hit = rule
                    break
        indicator.append(hit.indicator if hit is not None else "")
        rule_id.append(hit.rule_id if hit is not None else "")
        scale.append(hit.scale if hit is not None else "")
        requires.append(hit.requires if hit is not None else "")
    # The two ends of 从A……到B share their topic, written once before the first end (常住人口从……不到15万人增长到了
    # 50多万人): an end that no rule matched takes its partner's indicator when that rule is not tied to one end.
    roles = {str(x): str(y) for x, y in zip(rules["rule_id"], rules["role"])}
    pos = {cid: i for i, cid in enumerate(claims["claim_id"].astype(str))}
    for i, r in enumerate(claims.itertuples(index=False)):
        partner = pos.get(str(r.linked_id)) if str(r.role) in ("from", "to") else None
        if partner is not None and not indicator[i] and rule_id[partner] and not roles.get(rule_id[partner]):
            indicator[i], scale[i], requires[i] = indicator[partner], scale[partner], requires[partner]
            rule_id[i] = f"{rule_id[partner]} (linked)"
    out = claims.copy()
    out["indicator"] = pd.array(indicator, dtype="string")
    out["match_rule"] = pd.array(rule_id, dtype="string")
    out["scale"] = pd.array(scale, dtype="string")
    out["requires"] = pd.array(requires, dtype="string")
    out["ignored"] = False
    out["before"] = pd.array(seg["before"].tolist(), dtype="string")
    out["after"] = pd.array(seg["after"].tolist(), dtype="string")
    if overrides:
        ov = _normalise_overrides(overrides)
        by_indicator = {str(x.indicator): x for x in ordered.itertuples(index=False)}
        for pin in ov["pins"]:
            mask = _select(out, pin)
            if not mask.any():
                raise ValueError(f"claims.yaml pin {pin!r} selects no figure of the text")
            known = by_indicator.get(pin["indicator"])
            out.loc[mask, "indicator"] = pin["indicator"]
            out.loc[mask, "match_rule"] = "pin"
            # A pinned indicator keeps the scale and requirements its rule declares, when a rule knows it.
            out.loc[mask, "scale"] = known.scale if known is not None else ""
            out.loc[mask, "requires"] = known.requires if known is not None else ""
        for sel in ov["ignore"]:
            mask = _select(out, sel)
            if not mask.any():
                raise ValueError(f"claims.yaml ignore {sel!r} selects no figure of the text")
            out.loc[mask, ["indicator", "scale", "requires"]] = ""
            out.loc[mask, "match_rule"] = "ignore"
            out.loc[mask, "ignored"] = True
    return out
