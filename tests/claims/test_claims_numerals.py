"""Numeral parser: property tests against an independent reference writer, plus the forms policy texts use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.claims.documents import normalise_submission
from evaluation.claims.numerals import parse_chinese_integer, parse_number

_DIGITS = "零一二三四五六七八九"


def _write_section(n: int, leading: bool, liang: bool) -> str:
    """Chinese for 0 < n < 10000 as a standard writer spells it: 零 for each run of skipped places.

    ``leading``: this section opens the number, so 10..19 are written 十, 十一 (not 一十). ``liang``: write 两 for a
    2 before 百/千 (两千), as officials often do.
    """
    out = []
    units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
    zero_pending = False
    started = False
    for value, name in units:
        d = (n // value) % 10
        if d == 0:
            if started:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        if value == 10 and d == 1 and leading and not started:
            out.append("十")
        else:
            digit = "两" if (liang and d == 2 and value in (100, 1000)) else _DIGITS[d]
            out.append(digit + name)
        started = True
    return "".join(out)


def to_chinese(n: int, liang: bool = False) -> str:
    """Reference writer: integer 0..99,999,999 -> Chinese numeral (12345 -> 一万二千三百四十五)."""
    if n == 0:
        return "零"
    high, low = divmod(n, 10_000)
    if not high:
        return _write_section(low, True, liang)
    text = _write_section(high, True, liang) + "万"
    if low:
        # A gap below 万 (10,005 -> 一万零五) needs 零 when the thousands place is empty.
        text += ("零" if low < 1000 else "") + _write_section(low, False, liang)
    return text


def test_reference_writer_spot_checks():
    # The writer itself, against textbook spellings.
    assert to_chinese(10) == "十"
    assert to_chinese(18) == "十八"
    assert to_chinese(105) == "一百零五"
    assert to_chinese(110) == "一百一十"
    assert to_chinese(1005) == "一千零五"
    assert to_chinese(10005) == "一万零五"
    assert to_chinese(100000) == "十万"
    assert to_chinese(2000, liang=True) == "两千"
    assert to_chinese(99_999_999) == "九千九百九十九万九千九百九十九"


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=0, max_value=99_999_999), st.booleans())
def test_chinese_integers_round_trip(n, liang):
    assert parse_chinese_integer(to_chinese(n, liang)) == n


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=9_999), st.sampled_from([("万", 10**4), ("亿", 10**8)]))
def test_arabic_with_multiplier(n, mult):
    word, factor = mult
    assert parse_number(f"{n}{word}").value == n * factor


@settings(max_examples=500, deadline=None)
@given(st.decimals(min_value=0, max_value=9999, places=2, allow_nan=False, allow_infinity=False),
       st.sampled_from([("万", 10**4), ("亿", 10**8)]))
def test_arabic_decimal_with_multiplier(x, mult):
    word, factor = mult
    text = f"{x:f}"
    parsed = parse_number(text + word)
    assert parsed.value == Decimal(text) * factor
    assert parsed.multiplier == factor


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_full_width_digits(n):
    full = "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    norm = normalise_submission(full)
    assert len(norm) == len(full)
    assert parse_number(norm).value == n


@pytest.mark.parametrize("text, value", [
    ("两千", 2000), ("三十", 30), ("十八", 18), ("一千零五", 1005), ("二〇二三", 2023), ("〇", 0), ("零", 0),
    ("百万", 1_000_000), ("百", 100), ("壹佰贰拾", 120), ("二百五", 250), ("三万五", 35000), ("3万5千", 35000),
    ("一万亿", 10**12), ("三亿五千万", 350_000_000), ("16,295", 16295), ("五十万", 500000),
])
def test_forms(text, value):
    assert parse_number(text).value == value


@pytest.mark.parametrize("text, value, stated, nonzero, mult", [
    ("7.3万", 73000, 1000, 1000, 10**4),
    ("51.6", Decimal("51.6"), Decimal("0.1"), Decimal("0.1"), 1),
    ("4000", 4000, 1, 1000, 1),
    ("450", 450, 1, 10, 1),
    ("15万", 150000, 10000, 10000, 10**4),
    ("1.2亿", 120_000_000, 10**7, 10**7, 10**8),
    ("三十万", 300000, 100000, 100000, 10**4),
    ("三点五", Decimal("3.5"), Decimal("0.1"), Decimal("0.1"), 1),
])
def test_places(text, value, stated, nonzero, mult):
    n = parse_number(text)
    assert (n.value, n.stated_place, n.nonzero_place, n.multiplier) == (value, stated, nonzero, mult)


@pytest.mark.parametrize("bad", ["", "年", "十四五", "五三十", "千百"])
def test_rejects_non_numerals(bad):
    with pytest.raises(ValueError):
        parse_number(bad)
