import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.privacy.patterns import (
    find_personal_data,
    is_email,
    is_mobile_number,
    is_valid_resident_id,
    resident_id_check_char,
)

from .strategies import boundary, formatted_mobiles, invalid_checksum_ids, iso7064_mod11_2, resident_ids


def test_check_char_of_the_example_in_gb_11643():
    # GB 11643-1999 prints 11010519491231002X as its example number.
    assert resident_id_check_char("11010519491231002") == "X"
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_resident_id("11010519491231002x")
    assert is_valid_resident_id("110105 19491231 002X")


@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_char_agrees_with_the_iterative_iso_7064_form(first17):
    assert resident_id_check_char(first17) == iso7064_mod11_2(first17)


@pytest.mark.parametrize("value", [
    "110105194912310021",   # wrong check character
    "110105194902300028",   # 30 February
    "110105219912310025",   # born in 2199
    "990105194912310021",   # no such province
    "11010519491231002",    # 17 digits
    "1101051949123100211",  # 19 digits
])
def test_invalid_numbers_are_not_ids(value):
    if len(value) == 18 and value[:2] != "99":
        # make sure only the property under test is wrong: a correct check character would pass otherwise
        fixed = value[:17] + resident_id_check_char(value[:17])
        assert is_valid_resident_id(fixed) is (value[6:14] not in ("19490230", "21991231"))
    assert not is_valid_resident_id(value)


def test_birth_date_must_not_lie_after_today():
    first17 = "44130420250601123"
    number = first17 + resident_id_check_char(first17)
    assert is_valid_resident_id(number, today=dt.date(2025, 12, 31))
    assert not is_valid_resident_id(number, today=dt.date(2024, 12, 31))


@settings(max_examples=300)
@given(resident_ids(), boundary, boundary)
def test_no_valid_id_is_missed(number, before, after):
    text = before + number + after
    found = find_personal_data(text)
    assert [(m.kind, text[m.start:m.end]) for m in found] == [("id_number", number)]


@settings(max_examples=200)
@given(invalid_checksum_ids(), boundary, boundary)
def test_an_id_with_a_wrong_check_character_is_still_found(number, before, after):
    # Issue 13, point 7: anything ID-shaped is personal data, whatever its check character.
    text = before + number + after
    assert [(m.kind, text[m.start:m.end]) for m in find_personal_data(text)] == [("id_number", number)]


@settings(max_examples=300)
@given(formatted_mobiles(), boundary, boundary)
def test_phones_with_separators_and_prefixes_are_found(phone, before, after):
    digits, written = phone
    text = before + written + after
    found = find_personal_data(text)
    assert len(found) == 1 and found[0].kind == "phone"
    span = text[found[0].start:found[0].end]
    assert span.endswith(written[-4:]) and digits[:3] in span
    assert is_mobile_number(written)


def test_full_width_digits_are_read():
    text = "电话：１３８１２３４５６７８，身份证：１１０１０５１９４９１２３１００２Ｘ"
    assert [m.kind for m in find_personal_data(text)] == ["phone", "id_number"]


@pytest.mark.parametrize("text", [
    "16295", "20241231", "共处理16295件，截至20241231", "0.13812345678", "13812345678.5", "12812345678",
    "238123456789", "2024-12-31 13:45:00", "1.3812345678e10",
])
def test_ordinary_numbers_are_not_personal(text):
    assert find_personal_data(text) == []


def test_email_addresses():
    text = "请联系zhang.san+wy@example.com.cn或13812345678@qq.com；图片icon@2x.png与d3@7.min.js不是地址"
    found = [(m.kind, text[m.start:m.end]) for m in find_personal_data(text)]
    assert found == [("email", "zhang.san+wy@example.com.cn"), ("email", "13812345678@qq.com")]
    assert is_email(" a.b@c.org ") and not is_email("a@b")


@pytest.mark.parametrize("text", [
    "<pandas.io.formats.style.Styler at 0x7f0251234567>",     # an object's repr in a notebook's text/plain output
    '"sha256": "' + "0" * 20 + "13812345678" + "f" * 33 + '"',  # a digest in a manifest
])
def test_hex_literals_and_digests_are_not_phone_numbers(text):
    assert find_personal_data(text) == []


def test_a_phone_number_beside_a_hex_literal_is_still_found():
    assert [m.kind for m in find_personal_data("0x7f02 电话 13812345678")] == ["phone"]
