"""Extract every figure of a Chinese policy text into a table: one row per figure, with value, unit, hedge interval,
kind and period.

Rules (each documented here so that a reviewer can predict the table):

* **Skipped**: numerals inside 《…》 titles (《“三沉三提三联”……》 is a name), relative time words (10年前, 近3年,
  近年来: they set a period, see :mod:`~evaluation.claims.periods`), a bare Chinese numeral with no unit outside a
  quotation (一定, 统一, 两委), the idioms in :data:`IDIOMS` (百家宴, 千家万户, 一体化…), and ordered-list numbers
  (blanked by :func:`~evaluation.claims.documents.read_submission`).
* **slogan**: numerals inside a short quotation (≤ :data:`SLOGAN_MAX_CHARS` characters): “三融合”, “三岗十八级”,
  “六和六美”, “15分钟党群服务圈”. A bare 一/百/千/万 in a slogan (“一老一小”, “服务万家”, “百家花”) is idiom, not a
  count, and is skipped. Slogans are recorded so a reviewer sees them, but are not audited as counts.
* **structural**: a formula such as 1+3+43+N is one row with ``value`` NaN and the components in ``detail``; it is
  never summed. The counts written out next to it (1个区级、3个街道级、43个社区级) are ordinary count rows.
* **date** (1993年5月, 2024-05-01, 二〇二三年; value = the year, ISO date in ``detail``) and **ordinal** (第三届,
  一等奖) are recorded so that a matcher does not audit them as counts.
* **change**: either a relative change after a change verb (同比下降34.48% -> value -34.48, unit %), or the two
  ends of a 从A……到/为B (原来的10个……优化为43个) construction. The two ends are two rows with ``role`` "from" and "to",
  each with its own hedge and period, linked through ``linked_id`` and both carrying ``from_value`` and ``to_value``.
* **rate** (%, ‰, 百分之…, X分之Y), **amount** (元; 万元 -> 元 with ``multiplier`` 10000), **duration** (年, 个月,
  天, 小时, 分钟, 周 when not a date), **age** (岁), **count** (any other unit) and **number** (an Arabic number with
  no unit).
* **enumeration**: the number of items listed with 、 and closed by 等 (端午、重阳、中秋、春节等 -> at least 4), of
  adjacent quoted names closed by 等 (“友邻服务队”“邻里帮帮团”“爱心商家联盟”等 -> at least 3), and of a 、-list of three
  or more items inside a long quotation, also when photo captions interrupt the quotation (the captions are left
  out of ``raw``, which is then the joined quotation rather than ``text[start:end]``).

Hedges and intervals follow :mod:`~evaluation.claims.hedges`; a range (3至5个) has ``value`` = its lower end and
``detail`` "3–5". ``raw`` is ``text[start:end]`` (hedge words included) except for interrupted quotations.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pandas as pd

from evaluation.claims.documents import split_sentences
from evaluation.claims.hedges import PREFIX_HEDGES, SUFFIX_HEDGES, Interval, hedge_interval, negate
from evaluation.claims.numerals import CN_DIGITS, NUMERAL_CHARS, ParsedNumber, parse_number
from evaluation.claims.periods import Period, find_period_cues, resolve_period

__all__ = ["extract_claims", "CLAIM_COLUMNS", "UNITS", "IDIOMS", "SLOGAN_MAX_CHARS", "KINDS"]

KINDS = ("count", "rate", "change", "amount", "duration", "age", "number", "structural", "date", "ordinal",
         "slogan", "enumeration")

# Longest first, so that 人次 wins over 人 and 个百分点 over 个.
UNITS: tuple[str, ...] = tuple(sorted([
    "人次", "个百分点", "百分点", "平方公里", "平方米", "公里", "千米", "米", "亩", "元", "个月", "小时", "分钟", "年",
    "天", "周", "岁", "%", "‰", "倍", "名", "个", "家", "支", "场", "件", "人", "户", "项", "批", "级", "岗", "次",
    "位", "所", "座", "处", "条", "份", "台", "辆", "套", "间", "栋", "幢", "类", "种", "期", "轮", "届", "本", "册",
    "张", "块", "组", "队", "宗", "起", "例", "床", "盏", "棵", "株", "吨", "篇", "首", "部", "门",
], key=len, reverse=True))
_DURATION_UNITS = {"年", "个月", "小时", "分钟", "天", "周"}
_ORDINAL_UNITS = ("届", "次", "批", "期", "轮", "名", "位", "个", "季度", "年", "类", "种", "条", "项")

# Words whose numeral characters are not figures. Extend here, not in the patterns.
IDIOMS: tuple[str, ...] = (
    "百家宴", "百家饭", "百家姓", "百家花", "百花", "百姓", "千家万户", "万家灯火", "万家", "万众", "千方百计",
    "一体化", "一流", "一线", "一起", "一同", "一次性", "一揽子", "一站式", "一张网", "一盘棋", "一件事", "一条龙",
    "一岗双责", "一家亲", "一家人", "一把手", "统一", "唯一", "进一步", "一定", "一致", "一般", "一直", "一切",
    "一些", "一样", "第一时间", "第一书记", "十分", "万一", "一心", "一道", "两委", "两新", "三农", "四季",
)
SLOGAN_MAX_CHARS = 16

CLAIM_COLUMNS = (
    "claim_id", "sentence_id", "sentence", "start", "end", "raw", "value", "unit", "multiplier", "hedge",
    "hedge_word", "low", "high", "low_inclusive", "high_inclusive", "kind", "role", "linked_id", "from_value",
    "to_value", "detail", "period", "period_year", "compare_year", "period_cue", "in_quote", "left_context",
    "right_context", "sentence_start", "sentence_end",
)

# Financial numerals (壹贰叁肆伍陆柒捌玖拾佰仟) are left out of extraction: 伍, 陆 and 拾 occur in ordinary words (队伍,
# 陆续, 拾起), and policy texts do not write figures that way. parse_number still reads them.
_FINANCIAL = set("壹贰叁肆伍陆柒捌玖拾佰仟")
_CN = "".join(c for c in NUMERAL_CHARS if c not in _FINANCIAL)
_CN_DIG = "".join(c for c in CN_DIGITS if c not in _FINANCIAL)
_NUM = rf"(?:\d+(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{_CN}])+(?:点[{_CN_DIG}]+[万亿]?)?"
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_FIG_RE = re.compile(
    rf"(?P<date>(?P<d_y>(?:1[89]|20)\d\d|[〇○零一二三四五六七八九]{{4}})年"
    rf"(?:(?P<d_m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月"
    rf"(?:(?P<d_d>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?)?)"
    rf"|(?P<iso>(?P<i_y>(?:19|20)\d\d)(?P<i_sep>[-/.])(?P<i_m>1[0-2]|0?[1-9])(?:(?P=i_sep)(?P<i_d>3[01]|[12]\d|0?[1-9]))"
    rf"(?!\d))"
    rf"|(?P<struct>(?:\d+|[NnXx])(?:[ \t]*\+[ \t]*(?:\d+|[NnXx]))+)"
    rf"|(?P<ordinal>第(?P<ord_n>{_NUM})(?P<ord_unit>{'|'.join(_ORDINAL_UNITS)})?)"
    rf"|(?P<rank>(?P<rank_n>[一二三四五六七八九]|\d)等奖)"
    rf"|(?P<pct_cn>百分之(?P<pct_n>{_NUM}))"
    rf"|(?P<fraction>(?P<den>{_NUM})分之(?P<numr>{_NUM}))"
    rf"|(?P<fig>(?P<n1>{_NUM})(?:(?P<rsep>至|到|-|~|—|–)(?P<n2>{_NUM}))?(?P<plus>余|多)?(?P<mult>万亿|亿|万)?"
    rf"(?P<plus2>余|多)?(?P<unit>{_UNIT_RE})?(?P<post>以上|以下|以内|左右|上下)?)"
)
_CHANGE_VERB_RE = re.compile(
    r"(?P<verb>下降|减少|降低|下滑|回落|缩减|减|增长|增加|上升|提高|提升|上涨|增|升|降|增幅为?|降幅为?|增速为?|涨幅为?)"
    r"(?:了|达到?|为)?$")
_NEGATIVE_VERBS = ("下降", "减少", "降低", "下滑", "回落", "缩减", "减", "降", "降幅")
_FROM_MARK_RE = re.compile(r"(从|由|原来的?|原有的?|原先的?|原)")
_TO_MARK_RE = re.compile(r"(到|为|至|成)了?$")
_CLAUSE_PUNCT = "，,；;：:。！？!?"


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Content spans of paired “…” and 「…」 quotations (not crossing a blank line)."""
    spans = []
    for m in re.finditer(r"“([^“”]*?)”|「([^「」]*?)」", text):
        spans.append((m.start() + 1, m.end() - 1))
    return spans


def _title_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"《[^《》\n]*》", text)]


def _idiom_spans(text: str) -> list[tuple[int, int]]:
    pat = "|".join(re.escape(w) for w in sorted(IDIOMS, key=len, reverse=True))
    spans = [m.span() for m in re.finditer(pat, text)]
    spans += [m.span() for m in re.finditer(r"12345(?=热线|政务|平台|工单|便民)", text)]
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    for a, b in spans:
        if a <= pos < b:
            return (a, b)
    return None


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(x < b and a < y for x, y in spans)


def _prefix_hedge(sentence: str, pos: int) -> tuple[str, str]:
    """Hedge word written right before the numeral at ``pos`` (longest match), or ("", "")."""
    before = sentence[max(0, pos - 4):pos]
    for word, hedge in PREFIX_HEDGES.items():
        if before.endswith(word):
            if word == "近" and before.endswith(("最近", "附近")):
                continue
            return word, hedge
    return "", ""


def _row_base(sent_row, s_abs: int, e_abs: int, text: str) -> dict:
    ss, se = int(sent_row.start), int(sent_row.end)
    return {
        "sentence_id": sent_row.sentence_id, "sentence": str(sent_row.sentence), "start": s_abs, "end": e_abs,
        "raw": text[s_abs:e_abs], "sentence_start": ss, "sentence_end": se,
        "left_context": text[max(ss, s_abs - 8):s_abs], "right_context": text[e_abs:min(se, e_abs + 8)],
        "multiplier": 1, "hedge": "exact", "hedge_word": "", "role": "", "linked_id": "", "detail": "",
        "from_value": math.nan, "to_value": math.nan, "in_quote": False,
    }


def _set_interval(row: dict, iv: Interval | None) -> None:
    if iv is None:
        row.update(low=math.nan, high=math.nan, low_inclusive=pd.NA, high_inclusive=pd.NA)
    else:
        row.update(low=iv.low, high=iv.high, low_inclusive=iv.low_inclusive, high_inclusive=iv.high_inclusive)


def _set_period(row: dict, period: Period) -> None:
    row.update(period=period.label, period_year=period.year, compare_year=period.compare_year,
               period_cue=period.cue)


def _cn_small_int(s: str | None) -> int | None:
    if not s:
        return None
    return int(parse_number(s).value)


def _figure_hedge(num: ParsedNumber, unit: str, prefix: str, post: str, plus: str) -> str:
    if prefix:
        return prefix
    if post:
        return SUFFIX_HEDGES[post]
    if plus:
        return "plus"
    rounded = (num.decimals > 0 or unit in ("%", "‰", "百分点", "个百分点") or num.multiplier > 1)
    return "rounded" if rounded else "exact"


def extract_claims(text: str, report_year: int = 2024, near_tolerance: float = 0.05) -> pd.DataFrame:
    """Extract every figure of a Chinese policy text, one row per figure.

    Parameters
    ----------
    text : str
        The submission text, as returned by :func:`~evaluation.claims.documents.read_submission` (or any string;
        full-width digits should have been normalised).
    report_year : int
        The year 今年 refers to; 同比 compares it with ``report_year - 1`` and 10年前 is ``report_year - 10``.
    near_tolerance : float
        Relative width of 近 (近4000 -> [4000 (1 - tol), 4000)).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLAIM_COLUMNS`: ``claim_id`` (F001… in text order), the sentence and its id, the span
        ``start``/``end`` and surface text ``raw``; ``value`` (float, multiplier applied, negative for declines),
        ``unit`` (万元 -> 元), ``multiplier``, ``hedge`` and ``hedge_word``, the interval ``low``/``high`` with
        ``low_inclusive``/``high_inclusive``; ``kind`` (one of :data:`KINDS`), ``role``/``linked_id``/
        ``from_value``/``to_value`` for changes, ``detail`` (structural formula, ISO date, range, list items);
        ``period`` (label), ``period_year``, ``compare_year``, ``period_cue``; ``in_quote``; eight characters of
        context each side within the sentence.

    References
    ----------
    GB/T 15835-2011 《出版物上数字用法》; the module docstring lists the extraction rules.

    Examples
    --------
    >>> df = extract_claims("今年召开党建联席会议230余场，服务群众约7.3万人次。")
    >>> df[["raw", "value", "unit", "hedge", "low", "high", "period"]].values.tolist()
    [['230余场', 230.0, '场', 'plus', 230.0, 240.0, '2024'], ['约7.3万人次', 73000.0, '人次', 'about', 72500.0, 73500.0, '2024']]
    """
    sentences = split_sentences(text)
    quotes = _quote_spans(text)
    titles = _title_spans(text)
    idioms = _idiom_spans(text)
    rows: list[dict] = []
    for srow in sentences.itertuples(index=False):
        s0 = int(srow.start)
        sent = str(srow.sentence)
        cues = find_period_cues(sent, report_year)
        relative = [(c.start, c.end) for c in cues if c.relative]
        sent_rows: list[dict] = []
        for m in _FIG_RE.finditer(sent):
            a, b = m.span()
            if _overlaps(a, b, relative) or _inside(s0 + a, titles) or _overlaps(s0 + a, s0 + b, idioms):
                continue
            q = _inside(s0 + a, quotes)
            slogan = q is not None and (q[1] - q[0]) <= SLOGAN_MAX_CHARS
            period = resolve_period(cues, a)
            row = _match_to_row(m, sent, s0, srow, text, period, slogan, q is not None, report_year,
                                near_tolerance)
            if row is not None:
                sent_rows.append(row)
        _link_changes(sent_rows, sent, s0, cues, report_year)
        rows += sent_rows
    rows += _enumerations(text, sentences, titles)
    rows.sort(key=lambda r: (r["start"], r["end"]))
    for k, r in enumerate(rows):
        r["claim_id"] = f"F{k + 1:03d}"
    by_start = {r["_key"]: r["claim_id"] for r in rows if "_key" in r}
    for r in rows:
        if r.get("_link") is not None:
            r["linked_id"] = by_start[r["_link"]]
    df = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    return _typed(df)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("claim_id", "sentence_id", "sentence", "raw", "unit", "hedge", "hedge_word", "kind", "role",
              "linked_id", "detail", "period", "period_cue", "left_context", "right_context"):
        df[c] = df[c].astype("string")
    for c in ("start", "end", "sentence_start", "sentence_end", "multiplier"):
        df[c] = df[c].astype("int64")
    for c in ("value", "low", "high", "from_value", "to_value"):
        df[c] = df[c].astype("float64")
    for c in ("period_year", "compare_year"):
        df[c] = df[c].astype("Int64")
    for c in ("low_inclusive", "high_inclusive"):
        df[c] = df[c].astype("boolean")
    df["in_quote"] = df["in_quote"].astype(bool)
    return df.reset_index(drop=True)


def _match_to_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, slogan: bool,
                  in_quote: bool, report_year: int, near_tolerance: float) -> dict | None:
    a, b = m.span()
    g = m.lastgroup
    if m.group("date") or m.group("iso"):
        if m.group("date"):
            y = int(parse_number(m.group("d_y")).value)
            mo, d = _cn_small_int(m.group("d_m")), _cn_small_int(m.group("d_d"))
        else:
            y, mo, d = int(m.group("i_y")), int(m.group("i_m")), _cn_small_int(m.group("i_d"))
        row = _row_base(srow, s0 + a, s0 + b, text)
        iso = f"{y:04d}" + (f"-{mo:02d}" if mo else "") + (f"-{d:02d}" if d else "")
        row.update(value=float(y), unit="date", kind="date", detail=iso, in_quote=in_quote)
        _set_interval(row, hedge_interval(y, "exact"))
        _set_period(row, Period(str(y), y, None, m.group(0)))
        return row
    if m.group("struct"):
        row = _row_base(srow, s0 + a, s0 + b, text)
        formula = re.sub(r"\s+", "", m.group("struct")).upper()
        row.update(value=math.nan, unit="", kind="structural", detail=formula, in_quote=in_quote)
        _set_interval(row, None)
        _set_period(row, period)
        return row
    if m.group("ordinal") or m.group("rank"):
        ntext = m.group("ord_n") or m.group("rank_n")
        try:
            n = parse_number(ntext)
        except ValueError:
            return None
        unit = (m.group("ord_unit") or "") if m.group("ordinal") else "等奖"
        row = _row_base(srow, s0 + a, s0 + b, text)
        row.update(value=float(n.value), unit=unit, kind="ordinal", in_quote=in_quote)
        _set_interval(row, hedge_interval(n.value, "exact"))
        _set_period(row, period)
        return row
    if m.group("pct_cn") or m.group("fraction"):
        try:
            if m.group("pct_cn"):
                num, den = parse_number(m.group("pct_n")), Decimal(100)
            else:
                den = parse_number(m.group("den")).value
                num = parse_number(m.group("numr"))
        except ValueError:
            return None
        if den == 0:
            return None
        prefix_word, prefix = _prefix_hedge(sent, a)
        a2 = a - len(prefix_word)
        row = _row_base(srow, s0 + a2, s0 + b, text)
        if den in (100, 1000):
            unit = "%" if den == 100 else "‰"
            value, stated, nonzero = num.value, num.stated_place, num.nonzero_place
            hedge = prefix or ("rounded" if num.decimals > 0 else "exact")
            detail = ""
        else:
            unit = "share"
            value = num.value / den
            stated = nonzero = None
            hedge = "exact" if not prefix else prefix
            detail = f"{num.value}/{den}"
        row.update(value=float(value), unit=unit, kind="slogan" if slogan else "rate", hedge=hedge,
                   hedge_word=prefix_word, detail=detail, in_quote=in_quote)
        if stated is None:
            iv = hedge_interval(value, hedge if hedge in ("exact", "over", "at_least", "under", "at_most", "near")
                                else "exact", near_tolerance=near_tolerance)
        else:
            iv = hedge_interval(value, hedge, stated_place=stated, nonzero_place=nonzero,
                                near_tolerance=near_tolerance)
        _set_interval(row, iv)
        _set_period(row, period)
        return row
    # An ordinary figure.
    n1, n2 = m.group("n1"), m.group("n2")
    rsep = m.group("rsep")
    unit = m.group("unit") or ""
    plus = m.group("plus") or m.group("plus2") or ""
    mult_text = m.group("mult") or ""
    post = m.group("post") or ""
    has_digit = bool(re.search(r"\d", n1))
    if n2 is None and rsep:
        return None
    if rsep == "到" and _FROM_MARK_RE.search(sent[max(0, a - 12):a]):
        # 从3到5 is a change, not a range: read the first number alone and let the change linker pair them.
        return None
    if not has_digit:
        if slogan:
            if n1 in ("一", "百", "千", "万", "亿"):  # 一老一小, 服务万家: idiom, not a count
                return None
        elif not unit and not (plus and mult_text):
            return None
    elif not unit and not mult_text and re.fullmatch(r"[\d.,]+", n1) is None:
        return None
    try:
        num = parse_number(n1 + mult_text)
        num2 = None
        if n2 is not None:
            tail = "" if re.search(r"[万亿]$", n1) else mult_text
            num2 = parse_number(n2 + tail)
            if not re.search(r"[万亿]$", n1) and re.search(r"[万亿]+$", n2) and not mult_text:
                big = re.search(r"[万亿]+$", n2).group(0)
                num = parse_number(n1 + big)
    except ValueError:
        return None
    prefix_word, prefix = ("", "") if n2 is not None else _prefix_hedge(sent, a)
    change_verb = ""
    if not slogan:
        cm = _CHANGE_VERB_RE.search(sent[max(0, a - len(prefix_word) - 6):a - len(prefix_word)])
        if cm:
            change_verb = cm.group("verb")
    a2 = a - len(prefix_word)
    row = _row_base(srow, s0 + a2, s0 + b, text)
    value = num.value
    if n2 is not None:
        hedge = "range"
        iv = hedge_interval(num.value, "range", range_high=num2.value)
        row["detail"] = f"{num.value.normalize():f}–{num2.value.normalize():f}"
    else:
        hedge = _figure_hedge(num, unit, prefix, post, plus)
        iv = hedge_interval(num.value, hedge, stated_place=num.stated_place, nonzero_place=num.nonzero_place,
                            near_tolerance=near_tolerance)
    hedge_word = "".join(w for w in (prefix_word, plus, post) if w)
    # Kind.
    if slogan:
        kind = "slogan"
    elif unit == "年" and hedge in ("exact", "range") and 1800 <= value <= 2100 and not plus:
        kind = "date"
        years = [int(value)] + ([int(num2.value)] if num2 is not None else [])
        row["detail"] = "/".join(str(y) for y in years)
        unit = "date"
        period = Period(str(int(value)), int(value), None, m.group(0)) if num2 is None else Period(
            f"{years[0]}–{years[-1]}", None, None, m.group(0))
    elif change_verb:
        kind = "change"
        row["role"] = "relative_change" if unit in ("%", "‰", "倍", "百分点", "个百分点") else "absolute_change"
        row["detail"] = change_verb
        if change_verb.startswith(_NEGATIVE_VERBS) or change_verb in _NEGATIVE_VERBS:
            value = -value
            iv = negate(iv)
    elif unit in ("%", "‰"):
        kind = "rate"
    elif unit in ("百分点", "个百分点", "倍"):
        kind = "change"
        row["role"] = "relative_change"
    elif unit == "元":
        kind = "amount"
    elif unit in _DURATION_UNITS:
        kind = "duration"
    elif unit == "岁":
        kind = "age"
    elif unit:
        kind = "count"
    else:
        kind = "number"
    if kind == "duration":
        period = Period("unspecified")
    row.update(value=float(value), unit=unit, multiplier=num.multiplier, hedge=hedge, hedge_word=hedge_word,
               kind=kind, in_quote=in_quote)
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a2
    return row


def _link_changes(rows: list[dict], sent: str, s0: int, cues, report_year: int) -> None:
    """Pair 从A……到/为B figures in one clause as the two ends of a change."""
    figs = [r for r in rows if r["kind"] in ("count", "amount", "rate", "number", "duration", "age")]
    for r1, r2 in zip(figs, figs[1:]):
        a1, b1 = r1["start"] - s0, r1["end"] - s0
        a2 = r2["start"] - s0
        between = sent[b1:a2]
        if any(p in between for p in _CLAUSE_PUNCT):
            continue
        clause_start = max([sent.rfind(p, 0, a1) for p in _CLAUSE_PUNCT] + [-1]) + 1
        head = sent[clause_start:a1]
        if not _FROM_MARK_RE.search(head) or not _TO_MARK_RE.search(between):
            continue
        for r, role, other in ((r1, "from", r2), (r2, "to", r1)):
            r.update(kind="change", role=role, from_value=r1["value"], to_value=r2["value"])
            r["_link"] = other["_key"]
        # The to-end's period: its own cue if one sits between the two ends, else the present when the from-end
        # was dated by a relative past cue (从10年前……到), else the from-end's.
        own = [c for c in cues if b1 <= c.start and c.end <= a2]
        from_cue = [c for c in cues if c.end <= a1]
        if own:
            _set_period(r2, own[-1].period)
        elif from_cue and from_cue[-1].kind == "year" and from_cue[-1].relative:
            _set_period(r2, Period(str(report_year), report_year, None, "(present)"))


# Verbs and prepositions that introduce a list; the first item of a 、-list runs back to the clause start.
_LIST_LEADS = ("开展", "利用", "提供", "结合", "打造", "培育", "推动", "组建", "通过", "包括", "涵盖", "围绕", "聚焦",
               "针对", "面临着", "面临", "涉及", "覆盖", "举办", "组织", "建立", "设立", "在", "如", "对", "将")


def _trim_first_item(first: str, longest: int) -> str:
    """Cut the clause head off the first list item (利用端午 -> 端午; 结合社区特色打造邻里节 -> 邻里节).

    Parallel lists have items of similar length: if the first item is longer than the longest other one, cut after
    the last introducing verb it contains, else keep the last ``longest`` characters.
    """
    if len(first) <= longest:
        return first
    best = -1
    for lead in _LIST_LEADS:
        k = first.rfind(lead)
        if k >= 0 and 0 < len(first) - (k + len(lead)) <= longest + 2:
            best = max(best, k + len(lead))
    return first[best:] if best >= 0 else first[-longest:]


_ITEM_PUNCT = "，,。；;：:！？!?“”「」《》（）()\n"


def _enum_row(text: str, sentences: pd.DataFrame, a: int, b: int, items: list[str], at_least: bool,
              raw: str | None = None) -> dict:
    srow = sentences[(sentences["start"] <= a) & (sentences["end"] > a)].iloc[0]
    row = _row_base(srow, a, b, text)
    n = len(items)
    row.update(value=float(n), unit="items", kind="enumeration", hedge="at_least" if at_least else "exact",
               hedge_word="等" if at_least else "", detail="|".join(items), in_quote=False)
    if raw is not None:
        row["raw"] = raw
    _set_interval(row, hedge_interval(n, "at_least" if at_least else "exact"))
    _set_period(row, Period("unspecified"))
    return row


def _enumerations(text: str, sentences: pd.DataFrame, titles: list[tuple[int, int]]) -> list[dict]:
    rows: list[dict] = []
    taken: list[tuple[int, int]] = []
    # Adjacent quoted names closed by 等: “友邻服务队”“邻里帮帮团”“爱心商家联盟”等.
    for m in re.finditer(r"(?:“[^“”\n]{1,30}”[、，,]?){2,}(?=等)", text):
        items = re.findall(r"“([^“”]*)”", m.group(0))
        rows.append(_enum_row(text, sentences, m.start(), m.end(), items, True))
        taken.append(m.span())
    # 、-lists closed by 等: 端午、重阳、中秋、春节等.
    item = rf"[^{_ITEM_PUNCT}、]"
    for m in re.finditer(rf"{item}+?(?:、{item}+?)+(?=等)", text):
        if _overlaps(m.start(), m.end(), taken) or _inside(m.start(), titles):
            continue
        items = m.group(0).split("、")
        a = m.start() + len(items[0])
        items[0] = _trim_first_item(items[0], max(len(x) for x in items[1:]))
        a -= len(items[0])
        rows.append(_enum_row(text, sentences, a, m.end(), items, True))
        taken.append((a, m.end()))
    # 、-lists of 3+ items inside a long quotation, also when interposed paragraphs (photo captions) cut it.
    for a, b, joined in _long_quotations(text):
        if len(joined) <= SLOGAN_MAX_CHARS or _overlaps(a, b, taken):
            continue
        flat = re.sub(r"‘[^’]*’", lambda q: "x" * len(q.group(0)), joined)  # 、 inside ‘’ does not split
        if flat.count("、") < 2:
            continue
        cuts = [i for i, c in enumerate(flat) if c == "、"]
        items, prev = [], 0
        for c in cuts + [len(joined)]:
            items.append(joined[prev:c])
            prev = c + 1
        rows.append(_enum_row(text, sentences, a, b, items, False, raw=joined))
    return rows


def _long_quotations(text: str) -> list[tuple[int, int, str]]:
    """Quotations as (content start, content end, content), following one across interposed paragraphs.

    A quotation left open at the end of a paragraph continues in the first later paragraph that closes it (a ”
    before any “); the paragraphs skipped on the way must be complete sentences (photo captions). The content is
    returned without them.
    """
    out = []
    paras = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    for i, (p0, p1) in enumerate(paras):
        para = text[p0:p1]
        for m in re.finditer(r"“", para):
            a = p0 + m.end()
            close = para.find("”", m.end())
            if close >= 0:
                if "“" not in para[m.end():close]:
                    out.append((a, p0 + close, text[a:p0 + close]))
                continue
            if "“" in para[m.end():]:
                continue
            for q0, q1 in paras[i + 1:]:
                later = text[q0:q1]
                c = later.find("”")
                o = later.find("“")
                if c >= 0 and (o < 0 or c < o):
                    out.append((a, q0 + c, text[a:p1].strip() + later[:c].strip()))
                    break
                if not later.strip().endswith(("。", "！", "？")):
                    break
    return out
