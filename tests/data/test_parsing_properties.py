"""Property-based tests of the parsers: every valid date in every accepted form, numbers with separators and
full-width digits, and every encoding a district may export in."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.data.parsing import parse_dates, parse_flags, parse_numbers
from evaluation.data.readers import _decode

DATES = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31))
TIMES = st.times().map(lambda t: t.replace(microsecond=0))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _forms(d: dt.date) -> list[str]:
    return [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
            f"{d.year}.{d.month:02d}.{d.day:02d}", f"{d.year}{d.month:02d}{d.day:02d}",
            f"{d.year}年{d.month}月{d.day}日".translate(FULLWIDTH)]


@given(DATES)
def test_every_date_form_parses_to_the_same_day(d):
    forms = _forms(d)
    values, bad = parse_dates(pd.Series(forms, dtype=object))
    assert not bad.any()
    assert (values == pd.Timestamp(d)).all()


@given(DATES, TIMES)
def test_datetimes_keep_their_time(d, t):
    stamp = pd.Timestamp(dt.datetime.combine(d, t))
    forms = [stamp.strftime("%Y-%m-%d %H:%M:%S"), f"{d.year}年{d.month}月{d.day}日 {t.hour}时{t.minute}分{t.second}秒",
             f"{d.year}/{d.month}/{d.day} {t.hour}:{t.minute:02d}:{t.second:02d}"]
    values, bad = parse_dates(pd.Series(forms, dtype=object), with_time=True)
    assert not bad.any() and (values == stamp).all()


@given(st.integers(1950, 2099), st.integers(1, 12), st.integers(29, 40))
def test_impossible_days_are_refused_not_shifted(y, m, d):
    try:
        dt.date(y, m, d)
        return
    except ValueError:
        pass
    _, bad = parse_dates(pd.Series([f"{y}-{m:02d}-{d:02d}", f"{y}年{m}月{d}日"], dtype=object))
    assert bad.all()


@given(st.integers(-10**12, 10**12))
def test_integers_with_separators_and_fullwidth_digits(n):
    forms = [str(n), f"{n:,}", str(n).translate(FULLWIDTH), f"{n:,}".replace(",", "，")]
    values, bad = parse_numbers(pd.Series(forms, dtype=object), integer=True)
    assert not bad.any() and (values == n).all()


@given(st.floats(-1e6, 1e6, allow_nan=False).filter(lambda x: x != round(x)))
def test_fractions_are_not_integers(x):
    _, bad = parse_numbers(pd.Series([repr(x)], dtype=object), integer=True)
    assert bad.all()


@given(st.sampled_from(["1", "0", "是", "否", "true", "FALSE", "Yes", "n"]))
def test_flags(v):
    values, bad = parse_flags(pd.Series([v], dtype=object))
    assert not bad.any() and values.iloc[0] in (0, 1)


CJK_TEXT = st.text(alphabet=st.sampled_from(list("近邻党建和美善治社区居委网格事件信访办结满意度大亚湾澳头霞涌西区")
                                            + list("abcXYZ0123456789 ,.-")), min_size=1, max_size=40)


@settings(max_examples=200)
@given(CJK_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
def test_every_encoding_round_trips(text, encoding):
    decoded = _decode(text.encode(encoding))
    assert decoded is not None and decoded[0] == text


@settings(max_examples=100)
@given(st.lists(CJK_TEXT.filter(lambda s: "," not in s and s.strip() == s and s), min_size=1, max_size=5),
       st.sampled_from(["utf-8-sig", "gbk"]))
def test_csv_in_any_encoding_reads_the_same(values, encoding):
    from evaluation.data.readers import read_table_file

    frame = pd.DataFrame({"community_id": values})
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "communities.csv"
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        path.write_bytes(buf.getvalue().encode(encoding))
        raw, problems = read_table_file(path)
    # a GBK file whose Chinese is all valid UTF-8 too (涌 = D3 BF = "ӿ") is read as GBK, with a warning of the tie
    assert all(p.severity == "warning" and p.rule == "encoding_ambiguous" for p in problems)
    assert raw.frame["community_id"].tolist() == values
