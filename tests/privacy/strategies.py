"""Hypothesis strategies for personal data, written independently of the package's validators.

The check character is computed with the iterative form of ISO 7064 MOD 11-2 (ISO/IEC 7064:2003, §7: p ← 2(p + d)
mod 11, check = (12 − p) mod 11), not with the weight table the package uses, so the two implementations check each
other.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

PROVINCES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
             "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]


def iso7064_mod11_2(digits: str) -> str:
    p = 0
    for d in digits:
        p = ((p + int(d)) * 2) % 11
    c = (12 - p) % 11
    return "X" if c == 10 else str(c)


@st.composite
def resident_ids(draw, lower_x: bool | None = None) -> str:
    province = draw(st.sampled_from(PROVINCES))
    rest = draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = f"{province}{rest}{born:%Y%m%d}{seq}"
    check = iso7064_mod11_2(first17)
    if check == "X" and (lower_x if lower_x is not None else draw(st.booleans())):
        check = "x"
    return first17 + check


@st.composite
def invalid_checksum_ids(draw) -> str:
    valid = draw(resident_ids(lower_x=False))
    wrong = draw(st.sampled_from([c for c in "0123456789" if c != valid[-1]]))
    return valid[:-1] + wrong


@st.composite
def mobile_numbers(draw) -> str:
    return "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))


@st.composite
def formatted_mobiles(draw) -> tuple[str, str]:
    """(digits, as written): plain, grouped 3-4-4 by spaces or dashes, with +86 / 86 / (+86) prefixes."""
    d = draw(mobile_numbers())
    sep = draw(st.sampled_from(["", " ", "-"]))
    body = f"{d[:3]}{sep}{d[3:7]}{sep}{d[7:]}"
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "+86", "86 ", "86-", "(+86) ", "(86)"]))
    return d, prefix + body


# Text that cannot contain a digit, an at-sign or a separator-joined number: letters, CJK, punctuation, spaces.
digit_free_text = st.text(
    st.characters(exclude_categories=["Nd", "Cs"], exclude_characters="@＠"), max_size=200)
# Neighbours of a planted value: text ending and starting with a non-digit.
boundary = st.text(st.sampled_from(list("，。：；、 ()（）abcXYZ王李社区电话身份证号码\n")), max_size=8)
