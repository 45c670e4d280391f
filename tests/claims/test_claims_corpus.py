"""Extraction on the corpus of work-report texts (tests/claims/texts/*.yaml beside *.md): recall of figures with
the right value, unit, interval and kind; no non-figure read as a figure; unreadable forms left unparsed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from evaluation.claims import extract_claims, read_submission
from evaluation.claims.extract import FIGURE_KINDS

TEXTS = Path(__file__).parent / "texts"
CORPUS = sorted(p for p in TEXTS.glob("*.yaml"))


def _interval(s: str) -> tuple[float, float, bool, bool]:
    m = re.fullmatch(r"([\[(])\s*(\S+),\s*(\S+)\s*([\])])", s)
    assert m, s
    return float(m.group(2)), float(m.group(3)), m.group(1) == "[", m.group(4) == "]"


def _load(path: Path):
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = read_submission(TEXTS / spec["text"])
    return spec, text, extract_claims(text, report_year=spec["report_year"])


def _same(row, exp) -> str:
    """Empty when the row reads the expected figure; else what differs."""
    raw, value, unit, interval, kind = exp
    if kind == "unparsed":
        ok = row.kind == "unparsed" and math.isnan(row.value)
        return "" if ok else f"kind {row.kind} value {row.value}, expected unparsed"
    if row.kind == "unparsed":
        return f"unparsed, expected {kind}"
    diffs = []
    if row.kind != kind:
        diffs.append(f"kind {row.kind} != {kind}")
    if row.unit != unit:
        diffs.append(f"unit {row.unit} != {unit}")
    if not row.value == pytest.approx(value, rel=1e-9, abs=1e-3):
        diffs.append(f"value {row.value} != {value}")
    lo, hi, lo_in, hi_in = _interval(interval)
    if not (row.low == pytest.approx(lo, rel=1e-9, abs=1e-3) and row.high == pytest.approx(hi, rel=1e-9, abs=1e-3)
            and bool(row.low_inclusive) == lo_in and bool(row.high_inclusive) == hi_in):
        diffs.append(f"interval {'[' if row.low_inclusive else '('}{row.low}, {row.high}"
                     f"{']' if row.high_inclusive else ')'} != {interval}")
    return "; ".join(diffs)


def _score(path: Path):
    """(expected figures, hits, misses, extra figure rows, non-figures read as figures)."""
    spec, text, df = _load(path)
    figures = [r for r in df.itertuples(index=False) if r.kind in FIGURE_KINDS or r.kind == "unparsed"]
    used: set[int] = set()
    hits, misses = 0, []
    last = -1
    for exp in spec["figures"]:
        cand = [i for i, r in enumerate(figures) if i not in used and r.raw == exp[0] and r.start > last]
        if not cand:
            misses.append(f"{exp[0]}: not found")
            continue
        i = cand[0]
        used.add(i)
        last = figures[i].start
        why = _same(figures[i], exp)
        if why:
            misses.append(f"{exp[0]}: {why}")
        else:
            hits += 1
    extra = [f"{r.raw} ({r.kind})" for i, r in enumerate(figures) if i not in used]
    wrong = []
    for nf in spec["non_figures"]:
        for m in re.finditer(re.escape(nf), text):
            over = [r.raw for r in figures if r.kind in FIGURE_KINDS and r.start < m.end() and m.start() < r.end]
            if over:
                wrong.append(f"{nf} read as {over}")
    return len(spec["figures"]), hits, misses, extra, wrong


def test_corpus_size_and_genres():
    specs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CORPUS]
    assert len(specs) >= 3
    assert sum(len(s["figures"]) for s in specs) >= 150
    assert sum(len(s["non_figures"]) for s in specs) >= 40


def test_recall_of_figures_with_value_unit_and_interval():
    total = hits = 0
    misses = []
    for path in CORPUS:
        n, h, miss, _, _ = _score(path)
        total, hits = total + n, hits + h
        misses += [f"{path.stem}: {m}" for m in miss]
    assert hits / total >= 0.98, "\n".join(misses)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_no_figure_beyond_the_expected_ones(path):
    # Precision: every figure the extractor reports is one the expected reading lists.
    _, _, _, extra, _ = _score(path)
    assert extra == []


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_no_non_figure_read_as_a_figure(path):
    _, _, _, _, wrong = _score(path)
    assert wrong == []


# Every form the issue lists, by the corpus entry that shows it (figures by raw; non-figures by their string).
FORMS = {
    "成 tenths": "超过七成", "成 with a hedge after a verb": "约占四成", "change by 成 with 近": "近四成",
    "半数以上": "半数以上", "过半": "过半", "三分之一": "约占三分之一", "三分之二": "三分之二以上",
    "千分之三以内": "千分之三以内", "增长1.5倍": "1.5倍", "是原来的1.5倍 kin": "1.6倍", "翻了一番": "翻了一番",
    "翻两番": "翻了两番还多", "数十": "数十场", "七八": "七八十个", "三五": "三五家", "千余": "千余个", "近万": "近万人",
    "逾": "逾50万元", "不足": "不足两千人", "不少于": "不少于2万人", "以内": "5%以内", "上下": "200人上下",
    "左右": "300户左右", "range 至": "30至40个", "range —": "5—8人", "range ～ with %": "20%~30%",
    "range with 万元 on both ends": "20万元至50万元", "户次": "1,260户次", "户": "435户", "人次": "2.3万余人次",
    "周岁": "80周岁以上", "周岁及以上": "60周岁及以上", "score": "93.6分", "percentage points": "10个百分点",
    "per mille": "3.2‰", "ratio": "1:3", "full-width digits": "24小时内", "thousands separator": "8,652件",
    "两": "两万三千名", "零": "一千零五十户", "mixed 万余人次": "2.3万余人次", "亿元": "1.2亿元", "unparsed": "十来个",
}
NON_FORMS = {
    "document number": "〔2024〕15号", "landline": "0571-8601xxxx", "mobile": "138xxxxxxxx",
    "12345 in a long hotline name": "12345市民服务热线", "12345热线": "12345热线", "section 1.": "1.基础数据",
    "section 一、": "一、总体情况", "section （一）": "（一）党建引领", "section (1)": "(1)网格治理", "每千名": "每千名",
    "每万人": "每万人", "每百户": "每百户", "15分钟便民生活圈 unquoted": "15分钟便民生活圈", "一核三治": "一核三治",
    "十四五": "十四五", "八类严重暴力案件": "八类严重暴力案件", "year as a date": "2019—2024年",
}


def test_corpus_covers_every_form():
    specs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CORPUS]
    raws = {f[0] for s in specs for f in s["figures"]}
    nons = {n for s in specs for n in s["non_figures"]}
    assert [k for k, v in FORMS.items() if v not in raws] == []
    assert [k for k, v in NON_FORMS.items() if v not in nons] == []


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_consistency_match_and_verdicts_run_on_every_text(path):
    from evaluation.claims import check_consistency, match_claims, verdict_claims

    _, _, claims = _load(path)
    check_consistency(claims)
    v = verdict_claims(match_claims(claims), {}, {}, 2024)
    assert len(v) == len(claims)
    assert (v.loc[v["kind"] == "unparsed", "reason"] == "unparsed").all()
