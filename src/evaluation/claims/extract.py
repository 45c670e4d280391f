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
* **rate** (%, ‰, 百分之…, X分之Y, 成), **amount** (元, 美元; 万元 -> 元 with ``multiplier`` 10000), **duration**
  (年, 个月, 天, 日, 小时, 分钟, 周, 个工作日 when not a date), **age** (岁, 周岁), **score** (分), **ratio** (1:3),
  **count** (any other unit) and **number** (an Arabic number with no unit). :data:`FIGURE_KINDS` are these.
* **enumeration**: the number of items listed with 、 and closed by 等 (端午、重阳、中秋、春节等 -> at least 4), of
  adjacent quoted names closed by 等 (“友邻服务队”“邻里帮帮团”“爱心商家联盟”等 -> at least 3), and of a 、-list of three
  or more items inside a long quotation, also when photo captions interrupt the quotation (the captions are left
  out of ``raw``, which is then the joined quotation rather than ``text[start:end]``).

* **Shares in words** are percentages (unit %) with the interval of their rounding: 七成 = 70 in [65, 75), 七成五
  = 75 in [74.5, 75.5); 半数/一半 is 五成; X分之Y with a denominator up to 12 covers the values nearer Y/X than the
  neighbouring fractions with denominator ≤ max(X, 5) (the Farey midpoints: 三分之一 = [29.17, 36.67)), a larger
  denominator states the numerator to the unit (千分之三 = [2.5, 3.5) ‰). 近 takes the lower half of the rounding
  (近四成 = [35, 40)), 多 the next step (五成多 = [50, 60)). 过半, 超过半数 and 半数以上 are a majority, (50, ∞).
* **Multiples**: after 增长/增加/提高 (with nothing but 了 between), N倍 is an increase of N × 100 % (增长1.5倍 =
  +150 %, role relative_change); otherwise it is a level N times the base (是原来的1.5倍 = ×1.5, unit 倍, role
  multiple). 翻一番/翻番 = ×2, 翻两番 = ×4; 翻两番还多 = (4, ∞). A decline by a multiple (减少了1倍) is unparsed.
* **Vague counts**: 数十/几十 = [20, 100), 数百 = [200, 1000), 十几 = [11, 20), 上百 = [100, ∞); adjacent numerals
  are a range (七八个 = [7, 8], 三五家 = [3, 5], 二三十名 = [20, 30], 十七八人 = [17, 18]), never 78.
* **Ranges** are one figure with the unit written once or on both ends (20%～30%, 20万元至50万元); a range whose
  ends have different units, or 从……到……, is read as two figures.
* **Units that change meaning**: 人次/户次/件次 are not 人/户/件; 周岁 is an age (60周岁及以上 = [60, ∞)); 分 after
  Arabic digits is a **score**; 个百分点 is unit 百分点; N:M after 比/比例 is a **ratio** (value N/M); 美元 is an
  amount. After a duration, 内 means at most (3个工作日内 = [0, 3]).
* **Hedges away from the number**: across a verb (约占四成, 约有3000人, 最多需要48小时), across 占……的 (约占常住人口
  的14%: ``raw`` is the number) and across a per-capita denominator (不低于每万人18人).
* **Per capita**: 每千名, 每万人, 每百户, 每10万人 are not figures; the figure after them in the clause becomes a
  rate with unit 张/千名, 人/万人 … and ``detail`` 每千名.
* **Not figures**: phone numbers (also masked, 0571-8601xxxx, 138xxxxxxxx), 12345 and other hotline numbers in any
  hotline name, document numbers (〔2023〕15号), section numbers (1.基础数据, 1.2 at a line start; (1) and （2）
  anywhere), months and days without a year (1—10月), 九十年代, house numbers (3号楼), 5—8人一组, determiners (的一次,
  每一个), and programme names with or without quotation marks (:data:`PROGRAMME_NAMES`: 十四五, 八类严重暴力案件;
  15分钟便民生活圈; 一户一档), whose numerals are slogans. An Arabic 4-digit year with no unit (2019—2024) is a date.
* **unparsed**: a numeral whose reading is not certain (七九个, 十来个, a colon between numbers outside a ratio or
  clock time, a range with its ends reversed) gives a row with kind ``unparsed``, the raw text and no value; it is
  never read as a confident number.

Hedges and intervals follow :mod:`~evaluation.claims.hedges`; a range (3至5个) has ``value`` = its lower end and
``detail`` "3–5". ``raw`` is ``text[start:end]`` (hedge words included) except for interrupted quotations.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from evaluation.claims.documents import split_sentences
from evaluation.claims.hedges import PREFIX_HEDGES, SUFFIX_HEDGES, Interval, hedge_interval, negate
from evaluation.claims.numerals import CN_DIGITS, NUMERAL_CHARS, ParsedNumber, parse_number
from evaluation.claims.periods import Period, find_period_cues, resolve_period

__all__ = ["extract_claims", "CLAIM_COLUMNS", "UNITS", "IDIOMS", "PROGRAMME_NAMES", "SLOGAN_MAX_CHARS", "KINDS",
           "FIGURE_KINDS"]

KINDS = ("count", "rate", "change", "amount", "duration", "age", "score", "ratio", "number", "structural", "date",
         "ordinal", "slogan", "enumeration", "unparsed")
# Kinds that state a quantity (the others are names, dates, ordinals, lists, or a form that could not be read).
FIGURE_KINDS = ("count", "rate", "change", "amount", "duration", "age", "score", "ratio", "number")

# Longest first, so that 人次 wins over 人, 户次 over 户, 周岁 over 周 and 个百分点 over 个.
UNITS: tuple[str, ...] = tuple(sorted([
    "个多月", "个多小时", "人次", "户次", "件次", "场次", "车次", "批次", "个百分点", "百分点", "平方公里", "平方米", "公里", "千米", "米", "亩", "公顷",
    "元", "美元", "个工作日", "工作日", "个月", "小时", "分钟", "年", "天", "周岁", "周", "岁", "%", "‰", "倍", "名", "个", "家",
    "支", "场", "件", "人", "户", "项", "批", "级", "岗", "次", "位", "所", "座", "处", "条", "份", "台", "辆", "套",
    "间", "栋", "幢", "类", "种", "期", "轮", "届", "本", "册", "张", "块", "组", "队", "宗", "起", "例", "床", "盏",
    "棵", "株", "吨", "篇", "首", "部", "门", "分", "日",
], key=len, reverse=True))
_DURATION_UNITS = {"年", "个月", "小时", "分钟", "天", "周", "日", "个工作日", "工作日"}
_AGE_UNITS = {"岁", "周岁"}
_ORDINAL_UNITS = ("届", "次", "批", "期", "轮", "名", "位", "个", "季度", "年", "类", "种", "条", "项")
# 分 is a score (93.6分) only after Arabic digits and not as the first character of these words.
_NOT_SCORE_NEXT = tuple("之钟别类析布局享解配批期档工层秒项值数")

# Words whose numeral characters are not figures. Extend here, not in the patterns.
IDIOMS: tuple[str, ...] = (
    "百家宴", "百家饭", "百家姓", "百家花", "百花", "百姓", "千家万户", "万家灯火", "万家", "万众", "千方百计",
    "一体化", "一流", "一线", "一起", "一同", "一次性", "一揽子", "一站式", "一张网", "一盘棋", "一件事", "一条龙",
    "一岗双责", "一家亲", "一家人", "一把手", "统一", "唯一", "进一步", "一定", "一致", "一般", "一直", "一切",
    "一些", "一样", "第一时间", "第一书记", "十分", "万一", "一心", "一道", "两委", "两新", "三农", "四季",
    "一部分", "三五成群", "十之八九", "七上八下", "三三两两", "四面八方", "五湖四海", "七嘴八舌", "一成不变",
    "三番五次", "三令五申", "千头万绪", "一年四季", "一年一度", "一件件", "一项项", "一个个", "一次次",
)
# Programme names and slogans that carry numerals, written with or without quotation marks: their numerals are
# read as slogans (recorded, never audited as counts), like a short quotation.
PROGRAMME_NAMES: tuple[str, ...] = (
    "八类严重暴力案件", "八类严重刑事案件", "十四五", "十三五", "十五五", "一核三治", "一核多元", "三治融合",
    "五社联动", "三社联动", "两个覆盖", "三会一课", "四议两公开", "一网统管", "一网通办", "双报到", "一格多员",
)
_PROGRAMME_RES = (
    r"(?:\d+|[一二三四五六七八九十]+)分钟[\u4e00-\u9fff]{0,8}?圈",          # 15分钟便民生活圈, 十五分钟党群服务圈
    r"一[^\W\d个次批项件场名位_]一[\u4e00-\u9fff]",                          # 一户一档, 一事一议 (not 一个一站式)
    r"(?:\d+|[一二三四五六七八九十百千]+)(?:年|天|日)(?:行动|攻坚|计划|专项)",  # 三年行动计划, 百日攻坚
    r"(?:百|千|万)(?:村|企|社|人|名)(?:[\u4e00-\u9fff]{0,2})?(?:工程|行动|计划)",  # 千企帮千村 … 工程
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
_POST_RE = r"及以上|及以下|以上|以下|以内|左右|上下"
_RSEP_RE = r"——|至|到|-|~|—|–"
_ADJ = "一两二三四五六七八九"
_FIG_RE = re.compile(
    rf"(?P<date>(?P<d_y>(?:1[89]|20)\d\d|[〇○零一二三四五六七八九]{{4}})年"
    rf"(?:(?P<d_m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月"
    rf"(?:(?P<d_d>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?)?)"
    rf"|(?P<iso>(?P<i_y>(?:19|20)\d\d)(?P<i_sep>[-/.])(?P<i_m>1[0-2]|0?[1-9])(?:(?P=i_sep)(?P<i_d>3[01]|[12]\d|0?[1-9]))"
    rf"(?!\d))"
    rf"|(?P<struct>(?:\d+|[NnXx])(?:[ \t]*\+[ \t]*(?:\d+|[NnXx]))+)"
    rf"|(?P<ordinal>第(?P<ord_n>{_NUM})(?P<ord_unit>{'|'.join(_ORDINAL_UNITS)})?)"
    rf"|(?P<rank>(?P<rank_n>[一二三四五六七八九]|\d)等奖)"
    rf"|(?P<ratio>(?P<ra>\d+(?:\.\d+)?)[:：](?P<rb>\d+(?:\.\d+)?)(?![\d:：]))"
    rf"|(?P<fan>翻了?(?P<fan_n>[一两二三四]|\d)?番(?P<fan_plus>还多|多|以上)?)"
    rf"|(?P<cheng>(?P<cheng_n>[一两二三四五六七八九十]|\d)成(?![立为效功果员本熟长交都绩就型])"
    rf"(?P<cheng_m>[一二三四五六七八九](?![{_CN}]))?(?P<cheng_post>多|{_POST_RE})?)"
    rf"|(?P<half>(?P<half_word>过半数?(?![年月天日小径])|一半|半数)(?P<half_post>{_POST_RE})?)"
    rf"|(?P<vague>(?:(?P<vg_few>数|几)(?P<vg_big>十万|百万|千万|十|百|千|万|亿)|(?P<vg_teen>十)几(?P<vg_tbig>万)?"
    rf"|上(?P<vg_up>百|千|万))(?P<vg_plus>余|多)?(?P<vg_mult>万|亿)?(?P<vg_unit>{_UNIT_RE}))"
    rf"|(?P<adj>(?P<adj_head>[一二三四五六七八九]?十)?(?P<adj1>[{_ADJ}])(?P<adj2>[{_ADJ}])"
    rf"(?P<adj_tail>十万|百万|千万|十|百|千|万|亿)?(?P<adj_plus>余|多)?(?P<adj_unit>{_UNIT_RE}))"
    rf"|(?P<unread>{_NUM}来(?:{_UNIT_RE}))"
    rf"|(?P<pct_cn>百分之(?P<pct_n>{_NUM})(?P<pct_post>{_POST_RE})?)"
    rf"|(?P<fraction>(?P<den>{_NUM})分之(?P<numr>{_NUM})(?P<frac_post>多|{_POST_RE})?)"
    rf"|(?P<fig>(?P<n1>{_NUM})(?:(?P<mult1>万亿|亿|万)?(?P<unit1>{_UNIT_RE})?(?P<rsep>{_RSEP_RE})(?P<n2>{_NUM}))?"
    rf"(?P<plus>余|多)?(?P<mult>万亿|亿|万)?(?P<plus2>余|多)?(?P<unit>{_UNIT_RE})?(?P<post>{_POST_RE}|内(?![容部涵外在心地务])|多)?)"
)
# The same figure without a range, for when a range reading is refused (从10个到43个 is a change, not a range).
_SINGLE_RE = re.compile(
    rf"(?P<fig>(?P<n1>{_NUM})(?P<plus>余|多)?(?P<mult>万亿|亿|万)?(?P<plus2>余|多)?"
    rf"(?P<unit>{_UNIT_RE})?(?P<post>{_POST_RE})?)")
_CHANGE_VERB_RE = re.compile(
    r"(?P<verb>下降幅度为?|增长幅度为?|下降|减少|降低|下滑|回落|缩减|减|增长|增加|上升|提高|提升|上涨|增|升|降|增幅为?|降幅为?"
    r"|增速为?|涨幅为?)"
    r"(?:了|达到?|为)?$")
# A multiple after one of these verbs (with nothing but 了 between) is an increase: 增长1.5倍 = +150%.
_MULTIPLE_GROWTH_RE = re.compile(r"(?:增长|增加|提高|提升|上升|上涨|扩大|增)了?(?:近|约|超过|超|逾|将近|接近)?$")
_MULTIPLE_DECLINE_RE = re.compile(r"(?:下降|减少|降低|下滑|回落|缩减|缩小|减)了?(?:近|约|超过|超|逾|将近|接近)?$")
# Verbs that may stand between a hedge word and its number: 约占四成, 约有3000人, 近达.
_HEDGE_VERBS = ("占比为", "占比", "达到", "共计", "累计", "需要", "还有", "占", "有", "达", "为", "是", "计", "需")
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
    # An idiom followed by 之 is a fraction (十分之一), not the adverb 十分.
    pat = "|".join(re.escape(w) + "(?!之)" for w in sorted(IDIOMS, key=len, reverse=True))
    return [m.span() for m in re.finditer(pat, text)]


# Numbers that are not figures: phone numbers (also masked, 0571-8601xxxx, 138xxxxxxxx), the 12345 hotline and its
# kin in any name (12345市民服务热线), document numbers (〔2023〕15号), section numbers at a line start (1.基础数据,
# 2、, 1.2) and in brackets anywhere ((1), （2）), months and days without a year (1—10月, 5月12日, 15号), clock
# times (9:30) and house numbers.
_NON_FIGURE_RES = (
    r"(?<![A-Za-z\d.])0\d{2,3}[-—]?[\dXx*]{7,8}(?![\dXx*])",
    r"(?<![A-Za-z\d.])1[3-9]\d[\dXx*]{8}(?![\dXx*])",
    r"(?<![A-Za-z\d.])400[-—]?\d{3}[-—]?\d{4}(?!\d)",
    r"(?<![\d.,])(?:12345|12315|12319|12348|12349|12351|12388|110|119|120|122)(?![\d.,])"
    r"(?=[\u4e00-\u9fff]{0,10}?(?:热线|平台|工单|专线|电话|报警|急救|政务|便民))",
    rf"(?<![\d.,])12345(?![\d.,])(?!{_UNIT_RE})",
    r"[〔\[［【(（]\s*(?:19|20)\d\d\s*[〕\]］】)）]\s*第?\s*\d+\s*号",
    r"^[ \t]*\d{1,2}(?:\.\d{1,2})*(?:[.、．](?!\d)|[)）])",
    rf"^[ \t]*\d{{1,2}}(?:\.\d{{1,2}})+(?=[ \t]|[\u4e00-\u9fff])(?!万|亿|{_UNIT_RE})",
    r"[（(][ \t]*\d{1,2}[ \t]*[）)]",
    r"(?<![\d.,个])(?:1[0-2]|0?[1-9])(?:(?:——|[-—~至到])(?:1[0-2]|0?[1-9]))?月份?(?:(?:3[01]|[12]\d|0?[1-9])[日号])?",
    r"(?<![\d.,])(?:3[01]|[12]\d|0?[1-9])(?:——|[-—~至到])(?:3[01]|[12]\d|0?[1-9])日(?!内|以内)",
    r"(?<![\d.,])\d{1,4}号(?:楼|院|线|门|文件)?",
    r"(?:\d{2,4}|[一二三四五六七八九十〇零]{2,4})年代",
    r"(?<=[人名户个家])一(?:组|队|班|岗|格|片)",  # 5—8人一组: groups of, not one group
    r"(?<=[的这那哪每])一(?:次|场|个|项|件|位|名|批)",  # 最多的一次活动, 每一个: a determiner, not a count
)
_NON_FIGURE_RE = re.compile("|".join(f"(?:{p})" for p in _NON_FIGURE_RES), re.M)
# 每千名, 每万人, 每百户, 每10万人: the denominator of a per-capita figure, not a figure.
_PER_CAPITA_RE = re.compile(
    r"每(?P<den>(?:\d+(?:\.\d+)?[万亿]?|[十百千万]+)(?:名|人|户|位|家|个|平方公里|平方米))")


def _non_figure_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NON_FIGURE_RE.finditer(text):
        if m.group(0).strip():
            spans.append(m.span())
    return spans


def _programme_spans(text: str) -> list[tuple[int, int]]:
    pat = "|".join([re.escape(w) for w in sorted(PROGRAMME_NAMES, key=len, reverse=True)] + list(_PROGRAMME_RES))
    return [m.span() for m in re.finditer(pat, text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    for a, b in spans:
        if a <= pos < b:
            return (a, b)
    return None


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(x < b and a < y for x, y in spans)


_HEDGE_WORDS_RE = "|".join(re.escape(w) for w in PREFIX_HEDGES)
# 约占常住人口的14%, 约占全区总量30%: the hedge and 占 stand before the noun the share is of.
_SHARE_OF_RE = re.compile(rf"(?P<h>{_HEDGE_WORDS_RE})占(?:[^，,。；;：:、\d%“”]{{1,12}}?)(?:比重|比例)?(?:为|是|达)?$")
_PER_CAPITA_END_RE = re.compile(r"每(?:\d+(?:\.\d+)?[万亿]?|[十百千万]+)(?:名|人|户|位|家|个|平方公里|平方米)$")


def _prefix_hedge(sentence: str, pos: int) -> tuple[str, str, str]:
    """Hedge written before the numeral at ``pos``: (text to include in ``raw``, hedge, hedge word), or ("", "", "").

    The hedge may stand right before the number (近4000), before one of :data:`_HEDGE_VERBS` that stands right
    before it (约占四成, 约有3000人; ``raw`` then starts at the hedge), or further off: before 占……的 (约占常住人口的
    14%) or before a per-capita denominator (不低于每万人18人). In the last two ``raw`` starts at the number.
    """
    def direct(end: int) -> tuple[str, str]:
        before = sentence[max(0, end - 4):end]
        for word, hedge in PREFIX_HEDGES.items():
            if before.endswith(word):
                if word == "近" and before.endswith(("最近", "附近")):
                    continue
                return word, hedge
        return "", ""

    word, hedge = direct(pos)
    if word:
        return word, hedge, word
    for verb in _HEDGE_VERBS:
        if sentence[max(0, pos - len(verb)):pos] == verb:
            word, hedge = direct(pos - len(verb))
            if word:
                return word + verb, hedge, word + verb
    head = sentence[max(0, pos - 24):pos]
    m = _SHARE_OF_RE.search(head)
    if m:
        word = m.group("h")
        if not (word == "近" and head[:m.start()].endswith(("最", "附"))):
            return "", PREFIX_HEDGES[word], word + "占"
    m = _PER_CAPITA_END_RE.search(head)
    if m:
        word, hedge = direct(pos - len(head) + m.start())
        if word:
            return "", hedge, word
    return "", "", ""


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
    rounded = (num.decimals > 0 or unit in ("%", "‰", "百分点", "个百分点", "倍") or num.multiplier > 1)
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
    skipped = _idiom_spans(text) + _non_figure_spans(text)
    programmes = _programme_spans(text)
    rows: list[dict] = []
    for srow in sentences.itertuples(index=False):
        s0 = int(srow.start)
        sent = str(srow.sentence)
        cues = find_period_cues(sent, report_year)
        relative = [(c.start, c.end) for c in cues if c.relative]
        per_capita = [(m.start(), m.end(), m.group("den")) for m in _PER_CAPITA_RE.finditer(sent)]
        sent_rows: list[dict] = []
        pos = 0
        while True:
            m = _FIG_RE.search(sent, pos)
            if m is None:
                break
            a, b = m.span()
            pos = b if b > a else a + 1
            dated = bool(m.group("date") or m.group("iso"))  # a full date wins over the month/day spans inside it
            if (_overlaps(a, b, relative) or _inside(s0 + a, titles)
                    or (not dated and _overlaps(s0 + a, s0 + b, skipped))
                    or _overlaps(a, b, [(x, y) for x, y, _ in per_capita])):
                continue
            q = _inside(s0 + a, quotes)
            slogan = (q is not None and (q[1] - q[0]) <= SLOGAN_MAX_CHARS) or _overlaps(s0 + a, s0 + b, programmes)
            period = resolve_period(cues, a)
            row = _match_to_row(m, sent, s0, srow, text, period, slogan, q is not None, report_year,
                                near_tolerance)
            if row is _SPLIT:
                # A range refused (从10个到43个): read the first number alone, the change linker pairs the ends.
                m = _SINGLE_RE.match(sent, a)
                pos = m.end()
                row = _match_to_row(m, sent, s0, srow, text, period, slogan, q is not None, report_year,
                                    near_tolerance)
            if row is None:
                continue
            if row["kind"] in FIGURE_KINDS:
                _apply_per_capita(row, sent, s0, per_capita)
            sent_rows.append(row)
        _carry_changes(sent_rows, sent, s0)
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


_SPLIT = object()  # sentinel: refuse a range reading and read the first number alone
_BIG = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6, "千万": 10**7, "亿": 10**8,
        "万亿": 10**12}


def _grp(m: re.Match, name: str) -> str | None:
    return m.group(name) if name in m.re.groupindex else None


def _apply_per_capita(row: dict, sent: str, s0: int, per_capita: list[tuple[int, int, str]]) -> None:
    """A figure after 每千名/每万人/每百户 in its clause is per that denominator: unit 张/千名, kind rate."""
    a = row["start"] - s0
    for x, y, den in reversed(per_capita):
        if y <= a and not any(p in sent[y:a] for p in _CLAUSE_PUNCT):
            row["unit"] = f"{row['unit']}/{den}" if row["unit"] else f"/{den}"
            row["kind"] = "rate"
            row["detail"] = f"每{den}"
            return


def _unparsed(srow, s0: int, a: int, b: int, text: str, period: Period, in_quote: bool, why: str) -> dict:
    """A row for a numeral whose reading is not certain: the raw text, no value (never a guessed number)."""
    row = _row_base(srow, s0 + a, s0 + b, text)
    row.update(value=math.nan, unit="", kind="unparsed", detail=why, in_quote=in_quote)
    _set_interval(row, None)
    _set_period(row, period)
    return row


def _digit(ch: str) -> int:
    return int(ch) if ch.isdigit() else int(parse_number(ch).value)


_FAREY_MAX_DEN = 12


def _farey_interval(x: Fraction, den: int) -> tuple[Fraction, Fraction]:
    """Values closer to ``x`` than to any other fraction with denominator ≤ max(den, 5) (midpoints to its Farey
    neighbours): the values a writer choosing among the common fractions 1/2, 1/3, 1/4, 1/5, 2/3 … would call x."""
    n = max(den, 5)
    grid = sorted({Fraction(p, q) for q in range(1, n + 1) for p in range(0, q + 1)})
    i = grid.index(x)
    lo = (grid[i - 1] + x) / 2 if i > 0 else x
    hi = (grid[i + 1] + x) / 2 if i + 1 < len(grid) else x
    return lo, hi


def _share_interval(v: float, lo: float, hi: float, hedge: str, plus_high: float) -> Interval:
    """Interval of a share written in words (七成, 半数, 三分之一), ``[lo, hi)`` being its rounding interval."""
    inf = math.inf
    if hedge in ("exact", "rounded", "about"):
        return Interval(lo, hi, True, hi == lo)
    if hedge == "near":
        return Interval(lo, v, True, False)
    if hedge == "plus":
        return Interval(v, plus_high, True, False)
    if hedge == "over":
        return Interval(v, inf, False, False)
    if hedge == "at_least":
        return Interval(v, inf, True, False)
    if hedge == "under":
        return Interval(0.0, v, True, False)
    if hedge == "at_most":
        return Interval(0.0, v, True, True)
    raise ValueError(hedge)


def _change_verb(sent: str, a: int) -> str:
    cm = _CHANGE_VERB_RE.search(sent[max(0, a - 6):a])
    return cm.group("verb") if cm else ""


def _is_negative(verb: str) -> bool:
    return verb.startswith(_NEGATIVE_VERBS) or verb in _NEGATIVE_VERBS


def _share_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, slogan: bool, in_quote: bool
               ) -> dict | None:
    """七成, 七成五, 近四成, 半数以上, 过半, 三分之一, 千分之三以内 … as a percentage with its interval."""
    a, b = m.span()
    prefix_word, prefix, prefix_hw = _prefix_hedge(sent, a)
    if _grp(m, "cheng"):
        try:
            n = _digit(m.group("cheng_n"))
            if m.group("cheng_n") == "十":
                n = 10
            v = float(n * 10 + (_digit(m.group("cheng_m")) if m.group("cheng_m") else 0))
        except ValueError:
            return _unparsed(srow, s0, a, b, text, period, in_quote, "成")
        step = 1.0 if m.group("cheng_m") else 10.0
        lo, hi = v - step / 2, v + step / 2
        post = m.group("cheng_post") or ""
        plus_high = v + step
        detail = f"{v / 10:g}/10"
        hedge = prefix or ("plus" if post == "多" else SUFFIX_HEDGES.get(post, "rounded"))
    elif _grp(m, "half"):
        v, lo, hi, plus_high = 50.0, 45.0, 55.0, 60.0
        post = m.group("half_post") or ""
        word = m.group("half_word")
        detail = "1/2"
        if word.startswith("过"):
            hedge = "over"
        elif post in ("以上", "及以上"):
            hedge = "over"  # 半数以上 is a majority (过半数): the half itself is excluded
        else:
            hedge = prefix or SUFFIX_HEDGES.get(post, "rounded")
    else:
        post = m.group("frac_post") or ""
        try:
            den = parse_number(m.group("den")).value
            num = parse_number(m.group("numr")).value
        except ValueError:
            return _unparsed(srow, s0, a, b, text, period, in_quote, "分之")
        if den != den.to_integral_value() or num != num.to_integral_value() or not 0 <= num <= den or den == 0:
            return _unparsed(srow, s0, a, b, text, period, in_quote, "分之")
        x = Fraction(int(num), int(den))
        if den <= _FAREY_MAX_DEN:
            flo, fhi = _farey_interval(x, int(den))
        else:
            # 万分之三: a large denominator states the numerator to the unit, like 千分之三.
            flo, fhi = Fraction(2 * int(num) - 1, 2 * int(den)), Fraction(2 * int(num) + 1, 2 * int(den))
        v, lo, hi = float(100 * x), float(100 * flo), float(100 * fhi)
        plus_high = hi
        detail = f"{int(num)}/{int(den)}"
        hedge = prefix or ("plus" if post == "多" else SUFFIX_HEDGES.get(post, "rounded"))
    a2 = a - len(prefix_word)
    row = _row_base(srow, s0 + a2, s0 + b, text)
    iv = _share_interval(v, lo, hi, hedge, plus_high)
    verb = "" if slogan else _change_verb(sent, a2)
    value = v
    if slogan:
        kind = "slogan"
    elif verb:
        kind = "change"
        row["role"] = "relative_change"
        if _is_negative(verb):
            value, iv = -v, negate(iv)
    else:
        kind = "rate"
    row.update(value=value, unit="%", hedge=hedge, hedge_word=prefix_hw + post, kind=kind, in_quote=in_quote,
               detail=detail if not verb else f"{verb} {detail}")
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a2
    return row


def _unit_kind(unit: str) -> str:
    if unit in ("%", "‰"):
        return "rate"
    if unit in ("元", "美元"):
        return "amount"
    if unit in _DURATION_UNITS:
        return "duration"
    if unit in _AGE_UNITS:
        return "age"
    if unit == "分":
        return "score"
    return "count" if unit else "number"


def _vague_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, slogan: bool, in_quote: bool
               ) -> dict:
    """数十场, 几百人, 十几个, 数十万元, 上百人: a count known only to its order, as an interval."""
    a, b = m.span()
    mult = _BIG[m.group("vg_mult")] if m.group("vg_mult") else 1
    if m.group("vg_few"):
        base = _BIG[m.group("vg_big")] * mult
        hedge, lo, hi = "vague", 2 * base, 10 * base
    elif m.group("vg_teen"):
        base = (_BIG[m.group("vg_tbig")] if m.group("vg_tbig") else 1) * mult
        hedge, lo, hi = "vague", 11 * base, 20 * base
    else:
        base = _BIG[m.group("vg_up")] * mult
        hedge, lo, hi = "at_least", base, math.inf
    unit = m.group("vg_unit")
    row = _row_base(srow, s0 + a, s0 + b, text)
    iv = hedge_interval(lo, hedge, range_high=hi if hedge == "vague" else None)
    row.update(value=float(lo), unit=unit, multiplier=mult if mult > 1 else (10**4 if base >= 10**4 else 1),
               hedge=hedge, hedge_word=m.group(0)[:2], kind="slogan" if slogan else _unit_kind(unit),
               detail=f"{lo}–{hi}" if hedge == "vague" else "", in_quote=in_quote)
    if row["kind"] == "duration":
        period = Period("unspecified")
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a
    return row


def _adjacent_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, slogan: bool,
                  in_quote: bool) -> dict:
    """七八个, 三五家, 一两个, 十七八人, 二三十名, 三四百户: two adjacent numerals are a range, never 78."""
    a, b = m.span()
    d1, d2 = _digit(m.group("adj1")), _digit(m.group("adj2"))
    if not (d2 == d1 + 1 or (d1, d2) == (3, 5)):
        return _unparsed(srow, s0, a, b, text, period, in_quote, "adjacent numerals")
    head = int(parse_number(m.group("adj_head")).value) if m.group("adj_head") else 0
    tail = _BIG[m.group("adj_tail")] if m.group("adj_tail") else 1
    lo, hi = (head + d1) * tail, (head + d2) * tail
    unit = m.group("adj_unit")
    row = _row_base(srow, s0 + a, s0 + b, text)
    if m.group("adj_plus"):
        hedge, iv = "plus", Interval(float(lo), float((head + d2 + 1) * tail), True, False)
    else:
        hedge, iv = "range", hedge_interval(lo, "range", range_high=hi)
    row.update(value=float(lo), unit=unit, multiplier=10**4 if tail >= 10**4 else 1, hedge=hedge,
               hedge_word=m.group("adj_plus") or "", kind="slogan" if slogan else _unit_kind(unit),
               detail=f"{lo}–{hi}", in_quote=in_quote)
    if row["kind"] == "duration":
        period = Period("unspecified")
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a
    return row


def _ratio_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, in_quote: bool) -> dict | None:
    """1:3 after 比/比例 (or before 配比/比例): a ratio, value a/b. A clock time (9:30) is no figure; anything else
    with a colon between numbers is left unread."""
    a, b = m.span()
    ra, rb = m.group("ra"), m.group("rb")
    clause = max([sent.rfind(p, 0, a) for p in "，,；;。！？!?"] + [-1]) + 1  # not the colons of ratios
    ctx = sent[max(clause, a - 20):a] + "|" + sent[b:b + 4]  # 车位配比由原来的1:0.4提升到1:0.7
    if "比" not in ctx and "配套" not in ctx:
        if re.fullmatch(r"[01]?\d|2[0-3]", ra) and re.fullmatch(r"[0-5]\d", rb):
            return None
        return _unparsed(srow, s0, a, b, text, period, in_quote, "colon between numbers")
    x, y = Decimal(ra), Decimal(rb)
    if y == 0:
        return _unparsed(srow, s0, a, b, text, period, in_quote, "ratio with zero")
    row = _row_base(srow, s0 + a, s0 + b, text)
    if "." in ra or "." in rb:
        # A term written with decimals is rounded at its last place; a whole term (the 1 of 1:0.4) is exact.
        sx = parse_number(ra).stated_place / 2 if "." in ra else Decimal(0)
        sy = parse_number(rb).stated_place / 2 if "." in rb else Decimal(0)
        hedge, iv = "rounded", Interval(float((x - sx) / (y + sy)), float((x + sx) / (y - sy)), True, False)
    else:
        hedge, iv = "exact", hedge_interval(x / y, "exact")
    row.update(value=float(x / y), unit="ratio", hedge=hedge, kind="ratio", detail=f"{ra}:{rb}", in_quote=in_quote)
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a
    return row


def _doubling_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, in_quote: bool,
                  near_tolerance: float) -> dict:
    """翻一番 (翻番) = ×2, 翻两番 = ×4: read as that multiple in 倍, rounded like any integer multiple."""
    a, b = m.span()
    n = _digit(m.group("fan_n")) if m.group("fan_n") else 1
    v = Decimal(2) ** n
    prefix_word, prefix, prefix_hw = _prefix_hedge(sent, a)
    hedge = prefix or ("over" if m.group("fan_plus") else "rounded")  # 翻两番还多: more than ×4
    iv = hedge_interval(v, hedge, stated_place=1, nonzero_place=1, near_tolerance=near_tolerance)
    row = _row_base(srow, s0 + a - len(prefix_word), s0 + b, text)
    row.update(value=float(v), unit="倍", hedge=hedge, hedge_word=prefix_hw + (m.group("fan_plus") or ""),
               kind="change", role="multiple", detail=f"×{v}", in_quote=in_quote)
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a - len(prefix_word)
    return row


def _match_to_row(m: re.Match, sent: str, s0: int, srow, text: str, period: Period, slogan: bool,
                  in_quote: bool, report_year: int, near_tolerance: float) -> dict | None:
    a, b = m.span()
    if _grp(m, "date") or _grp(m, "iso"):
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
    if _grp(m, "struct"):
        row = _row_base(srow, s0 + a, s0 + b, text)
        formula = re.sub(r"\s+", "", m.group("struct")).upper()
        row.update(value=math.nan, unit="", kind="structural", detail=formula, in_quote=in_quote)
        _set_interval(row, None)
        _set_period(row, period)
        return row
    if _grp(m, "ordinal") or _grp(m, "rank"):
        ntext = m.group("ord_n") or m.group("rank_n")
        try:
            n = parse_number(ntext)
        except ValueError:
            return _unparsed(srow, s0, a, b, text, period, in_quote, "ordinal")
        unit = (m.group("ord_unit") or "") if m.group("ordinal") else "等奖"
        row = _row_base(srow, s0 + a, s0 + b, text)
        row.update(value=float(n.value), unit=unit, kind="ordinal", in_quote=in_quote)
        _set_interval(row, hedge_interval(n.value, "exact"))
        _set_period(row, period)
        return row
    if _grp(m, "ratio"):
        return _ratio_row(m, sent, s0, srow, text, period, in_quote)
    if _grp(m, "fan"):
        return _doubling_row(m, sent, s0, srow, text, period, in_quote, near_tolerance)
    if _grp(m, "cheng") or _grp(m, "half"):
        return _share_row(m, sent, s0, srow, text, period, slogan, in_quote)
    if _grp(m, "vague"):
        return _vague_row(m, sent, s0, srow, text, period, slogan, in_quote)
    if _grp(m, "adj"):
        return _adjacent_row(m, sent, s0, srow, text, period, slogan, in_quote)
    if _grp(m, "unread"):
        return _unparsed(srow, s0, a, b, text, period, in_quote, "来 (approximate count)")
    if _grp(m, "fraction"):
        den_text = m.group("den")
        if den_text not in ("百", "一百", "千", "一千"):
            return _share_row(m, sent, s0, srow, text, period, slogan, in_quote)
    if _grp(m, "pct_cn") or _grp(m, "fraction"):
        try:
            if m.group("pct_cn"):
                num, unit, post = parse_number(m.group("pct_n")), "%", m.group("pct_post") or ""
            else:
                num = parse_number(m.group("numr"))
                unit = "%" if m.group("den") in ("百", "一百") else "‰"
                post = m.group("frac_post") or ""
        except ValueError:
            return _unparsed(srow, s0, a, b, text, period, in_quote, "百分之/千分之")
        prefix_word, prefix, prefix_hw = _prefix_hedge(sent, a)
        a2 = a - len(prefix_word)
        row = _row_base(srow, s0 + a2, s0 + b, text)
        hedge = prefix or ("plus" if post == "多" else SUFFIX_HEDGES.get(post, "rounded"))
        # 百分之三十 and 百分之百 are whole percents, like 30% and 100%: the unit 十/百 is not the precision.
        place = min(num.stated_place, Decimal(1))
        iv = hedge_interval(num.value, hedge, stated_place=place, nonzero_place=min(num.nonzero_place, Decimal(1)),
                            near_tolerance=near_tolerance)
        value = num.value
        verb = "" if slogan else _change_verb(sent, a2)
        if slogan:
            kind = "slogan"
        elif verb:
            kind = "change"
            row["role"] = "relative_change"
            row["detail"] = verb
            if _is_negative(verb):
                value, iv = -value, negate(iv)
        else:
            kind = "rate"
        row.update(value=float(value), unit=unit, kind=kind, hedge=hedge, hedge_word=prefix_hw + post,
                   in_quote=in_quote)
        _set_interval(row, iv)
        _set_period(row, period)
        row["_key"] = s0 + a2
        return row
    # An ordinary figure.
    n1, n2 = m.group("n1"), _grp(m, "n2")
    rsep = _grp(m, "rsep")
    unit = m.group("unit") or ""
    unit1 = _grp(m, "unit1") or ""
    plus = m.group("plus") or m.group("plus2") or ""
    mult_text = m.group("mult") or ""
    post = m.group("post") or ""
    if post == "内" and unit not in _DURATION_UNITS:
        b, post = b - 1, ""  # 3个工作日内 is at most 3 days; 12个社区内 is 12 communities
    if unit in ("个多月", "个多小时"):
        unit, plus = unit.replace("多", "").replace("个小时", "小时"), "多"  # 3个多月 = [3, 4) months, not 3个
    if post == "多" and unit != "倍":
        b, post = b - 1, ""  # 2倍多 is [2, 3); 多 after other units belongs to the next word
    has_digit = bool(re.search(r"\d", n1))
    if rsep and _FROM_MARK_RE.search(sent[max(0, a - 12):a]) and rsep in ("到", "至"):
        return _SPLIT  # 从3到5 is a change, not a range
    if unit1 and unit and unit1 != unit:
        return _SPLIT  # 3个至5人: not one range
    if rsep and not unit and unit1:
        return _SPLIT
    if unit in ("分", "日") and (not has_digit or sent[b:b + 1].startswith(_NOT_SCORE_NEXT)):
        # 三分 and 一日 are words; 93.6分 is a score and 5日 a duration
        if not has_digit:
            return None
        return _unparsed(srow, s0, a, b, text, period, in_quote, f"{unit} after a number")
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
        if slogan:
            return None  # 十四五: the numerals of a name are not read
        return _unparsed(srow, s0, a, b, text, period, in_quote, "numeral")
    if num2 is not None and num2.value < num.value:
        return _unparsed(srow, s0, a, b, text, period, in_quote, "range with ends reversed")
    prefix_word, prefix, prefix_hw = ("", "", "") if n2 is not None else _prefix_hedge(sent, a)
    a2 = a - len(prefix_word)
    change_verb = "" if slogan else _change_verb(sent, a2)
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
    hedge_word = "".join(w for w in (prefix_hw, plus, post) if w)
    if unit == "个百分点":
        unit = "百分点"
    # Kind.
    if slogan:
        kind = "slogan"
    elif unit in ("年", "") and hedge in ("exact", "range") and 1800 <= value <= 2100 and not plus and (
            unit or (has_digit and re.fullmatch(r"\d{4}", n1) and (n2 is None or re.fullmatch(r"\d{4}", n2)))):
        kind = "date"
        years = [int(value)] + ([int(num2.value)] if num2 is not None else [])
        row["detail"] = "/".join(str(y) for y in years)
        unit = "date"
        period = Period(str(int(value)), int(value), None, m.group(0)) if num2 is None else Period(
            f"{years[0]}–{years[-1]}", None, None, m.group(0))
    elif unit == "倍" and n2 is None:
        before = sent[:a]
        if _MULTIPLE_DECLINE_RE.search(before):
            return _unparsed(srow, s0, a2, b, text, period, in_quote, "decline by a multiple")
        kind = "change"
        if _MULTIPLE_GROWTH_RE.search(before):
            # 增长1.5倍: the increase is 1.5 times the base, +150%.
            row["role"] = "relative_change"
            row["detail"] = f"+{num.value.normalize():f}倍"
            value, unit = value * 100, "%"
            iv = Interval(iv.low * 100, iv.high * 100, iv.low_inclusive, iv.high_inclusive)
        else:
            # 是原来的1.5倍, 为去年的3倍, 达到……的2倍: the new level is 1.5 times the base.
            row["role"] = "multiple"
            row["detail"] = f"×{num.value.normalize():f}"
    elif change_verb:
        kind = "change"
        row["role"] = "relative_change" if unit in ("%", "‰", "倍", "百分点") else "absolute_change"
        row["detail"] = change_verb
        if _is_negative(change_verb):
            value = -value
            iv = negate(iv)
    elif unit in ("百分点", "倍"):
        kind = "change"
        row["role"] = "relative_change" if unit == "百分点" else "multiple"
    else:
        kind = _unit_kind(unit)
    if kind == "duration":
        period = Period("unspecified")
    row.update(value=float(value), unit=unit, multiplier=num.multiplier, hedge=hedge, hedge_word=hedge_word,
               kind=kind, in_quote=in_quote)
    _set_interval(row, iv)
    _set_period(row, period)
    row["_key"] = s0 + a2
    return row


def _carry_changes(rows: list[dict], sent: str, s0: int) -> None:
    """分别增长4.6%和6.1%: a figure joined to a change by 和/与/及/、 in the same unit is the same kind of change."""
    for r1, r2 in zip(rows, rows[1:]):
        between = sent[r1["end"] - s0:r2["start"] - s0]
        if (r1["kind"] == "change" and r1["role"] in ("relative_change", "absolute_change")
                and r2["kind"] in ("rate", "count", "amount")
                and r2["unit"] == r1["unit"] and between in ("和", "与", "及", "、") and r2["value"] >= 0):
            r2.update(kind="change", role=r1["role"], detail=r1["detail"])
            if r1["value"] < 0:
                iv = negate(Interval(r2["low"], r2["high"], bool(r2["low_inclusive"]), bool(r2["high_inclusive"])))
                r2["value"] = -r2["value"]
                _set_interval(r2, iv)


def _link_changes(rows: list[dict], sent: str, s0: int, cues, report_year: int) -> None:
    """Pair 从A……到/为B figures in one clause as the two ends of a change."""
    figs = [r for r in rows if r["kind"] in ("count", "amount", "rate", "number", "duration", "age", "score", "ratio")]
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
