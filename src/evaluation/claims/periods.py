"""Time words in a sentence (今年, 同比, 10年前, 2023年, 近年来, 每年, 累计…) and the period each figure refers to.

Scope rule: a cue applies to the figures after it in the same sentence, up to the next cue; a figure before any cue
has period ``"unspecified"``. Chinese reports put the time word at the head of the clause (今年召开……230余场，商讨
解决……100多个), so the forward scope is the usual reading; it is deliberately not carried across sentences.
同比 compares the year in force (the last explicit or relative year cue before it, else ``report_year``) with the year
before. In a 从A……到B construction the caller gives the to-end the present when the from-end's cue is a
relative past (从10年前不到15万人增长到了50多万人: 2014 -> 2024); see :mod:`evaluation.claims.extract`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evaluation.claims.numerals import NUMERAL_CHARS, parse_number

__all__ = ["PeriodCue", "Period", "find_period_cues", "resolve_period", "UNSPECIFIED"]

_NUM = rf"(?:\d+|[{''.join(c for c in NUMERAL_CHARS if c not in '壹贰叁肆伍陆柒捌玖拾佰仟')}]+)"


@dataclass(frozen=True)
class Period:
    """The period of a figure.

    ``label`` is readable and stable: ``"2024"``, ``"2024 vs 2023"``, ``"2014"``, ``"recent"``, ``"annual"``,
    ``"cumulative"``, ``"last 3 years"``, ``"since 2019"``, ``"previous period"`` or ``"unspecified"``.
    ``year`` is the calendar year the figure describes (None when not one year); ``compare_year`` the year a change
    is measured against; ``cue`` the Chinese words that set it.
    """

    label: str
    year: int | None = None
    compare_year: int | None = None
    cue: str = ""


UNSPECIFIED = Period("unspecified")


@dataclass(frozen=True)
class PeriodCue:
    """A time word found in a sentence, with its offsets within the sentence."""

    start: int
    end: int
    text: str
    period: Period
    relative: bool  # a relative cue (10年前, 近3年, 去年) that is not itself a figure
    kind: str       # "year", "yoy", "recent", "annual", "cumulative", "last_n", "since", "current", "mom"


def _n(text: str) -> int:
    return int(parse_number(text).value)


_CUE_RE = re.compile(
    rf"(?P<since>(?P<since_y>(?:19|20)\d\d)年(?:以来|至今))"
    rf"|(?P<year>(?P<year_y>(?:19|20)\d\d)年(?:度|底|末|初)?)"
    rf"|(?P<ago>(?P<ago_n>{_NUM})(?:个)?年(?:以)?前)"
    rf"|(?P<lastn>(?:近|最近|过去)(?P<last_n>{_NUM})(?:个)?年(?:来|间|内|以来)?|(?P<last_n2>{_NUM})(?:个)?年(?:来|以来))"
    r"|(?P<recent>近年来|近年以来|近些年|近几年|近年)"
    r"|(?P<this>今年|本年度|本年|当年|今年以来)"
    r"|(?P<last>去年|上年度|上年|上一年)"
    r"|(?P<before_last>前年)"
    r"|(?P<yoy>同比|(?:比|较|与)(?:上年|去年|上一年)(?:同期)?(?:相比)?)"
    r"|(?P<mom>环比)"
    r"|(?P<annual>每年|年均|每年度|年度)"
    r"|(?P<cum>累计|累积|总计)"
    r"|(?P<current>目前|现有|如今|当前|截至目前|截止目前|现已)"
)


def find_period_cues(sentence: str, report_year: int = 2024) -> list[PeriodCue]:
    """Time words in ``sentence``, in order, each resolved against ``report_year`` (今年 = report_year)."""
    cues: list[PeriodCue] = []
    current_year = report_year
    for m in _CUE_RE.finditer(sentence):
        g = m.lastgroup
        text = m.group(0)
        rel = False
        try:
            if m.group("since"):
                y = int(m.group("since_y"))
                period, kind = Period(f"since {y}", None, None, text), "since"
            elif m.group("year"):
                y = int(m.group("year_y"))
                current_year = y
                period, kind = Period(str(y), y, None, text), "year"
            elif m.group("ago"):
                y = report_year - _n(m.group("ago_n"))
                current_year = y
                period, kind, rel = Period(str(y), y, None, text), "year", True
            elif m.group("lastn"):
                k = _n(m.group("last_n") or m.group("last_n2"))
                period, kind, rel = Period(f"last {k} years", None, None, text), "last_n", True
            elif g == "recent":
                period, kind, rel = Period("recent", None, None, text), "recent", True
            elif g == "this":
                current_year = report_year
                period, kind = Period(str(report_year), report_year, None, text), "year"
            elif g == "last":
                current_year = report_year - 1
                period, kind = Period(str(report_year - 1), report_year - 1, None, text), "year"
            elif g == "before_last":
                current_year = report_year - 2
                period, kind = Period(str(report_year - 2), report_year - 2, None, text), "year"
            elif g == "yoy":
                period = Period(f"{current_year} vs {current_year - 1}", current_year, current_year - 1, text)
                kind = "yoy"
            elif g == "mom":
                period, kind = Period("previous period", None, None, text), "mom"
            elif g == "annual":
                period, kind = Period("annual", None, None, text), "annual"
            elif g == "cum":
                period, kind = Period("cumulative", None, None, text), "cumulative"
            else:
                period, kind = Period(str(report_year), report_year, None, text), "current"
        except ValueError:
            continue
        cues.append(PeriodCue(m.start(), m.end(), text, period, rel, kind))
    return cues


def resolve_period(cues: list[PeriodCue], position: int) -> Period:
    """Period of a figure at ``position`` in the sentence: the last cue that ends at or before it.

    A 同比 cue that sits after the figure in the same clause (16295件，同比增长5%) does not reach back; only the
    change figure after it takes the comparison.
    """
    chosen = UNSPECIFIED
    for cue in cues:
        if cue.end <= position:
            chosen = cue.period
        else:
            break
    return chosen
