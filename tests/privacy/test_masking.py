import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.privacy.masking import mask_free_text, mask_text, mask_value, names_pattern

from .strategies import (
    boundary,
    digit_free_text,
    formatted_mobiles,
    invalid_checksum_ids,
    resident_ids,
)


@settings(max_examples=300)
@given(st.text("0123456789", min_size=17, max_size=17) | st.text("0123456789", min_size=19, max_size=19),
       boundary, boundary)
def test_a_17_or_19_digit_count_is_never_masked(number, before, after):
    text = before + number + after
    assert mask_text(text) == text


@settings(max_examples=200)
@given(invalid_checksum_ids(), boundary, boundary)
def test_an_id_shaped_number_with_a_wrong_checksum_is_masked(number, before, after):
    # A typo in the check digit leaves the other 17 digits identifying the person (issue 13, point 7).
    text = before + number + after
    assert mask_text(text) == before + "[身份证号]" + after


@settings(max_examples=300)
@given(resident_ids(), formatted_mobiles(), boundary, boundary.filter(bool), boundary)
def test_ids_and_phones_are_replaced_and_nothing_else_changes(number, phone, a, b, c):
    text = a + number + b + phone[1] + c
    assert mask_text(text) == a + "[身份证号]" + b + "[手机号]" + c


@settings(max_examples=300)
@given(digit_free_text)
def test_text_without_digits_is_unchanged(text):
    assert mask_text(text) == text


_fragments = st.lists(
    resident_ids() | formatted_mobiles().map(lambda p: p[1]) | invalid_checksum_ids()
    | st.sampled_from(["16295", "20241231", "a.b@qq.com", "王女士", "0.5", "12345678901234567"]) | boundary,
    max_size=8)


@settings(max_examples=300)
@given(_fragments)
def test_masking_is_idempotent(parts):
    once = mask_text("".join(parts))
    assert mask_text(once) == once
    assert mask_text(once, ["王女士"]) == mask_text(mask_text(once, ["王女士"]), ["王女士"])


def test_e_mail_and_names():
    text = "张三丰和张三反映：联系zs@example.com，电话13912345678。"
    assert mask_text(text, ["张三", "张三丰"]) == "[姓名]和[姓名]反映：联系[邮箱]，电话[手机号]。"
    assert names_pattern([]) is None


@pytest.mark.parametrize(("value", "masked"), [("13812345678", "1**********"), ("张三", "张*"), ("x", "x")])
def test_mask_value_keeps_the_first_character_only(value, masked):
    assert mask_value(value) == masked


def test_mask_free_text_masks_string_columns_and_leaves_the_rest():
    df = pd.DataFrame({
        "event_id": ["E1", "E2", "E3"],
        "description": ["李四家漏水，电话138 1234 5678", None, "共16295件"],
        "comment": pd.Series(["身份证11010519491231002X", "好", pd.NA], dtype="str"),
        "n": [1, 2, 3],
    })
    out = mask_free_text(df, names=["李四", "无"])
    assert out["description"].tolist()[0] == "[姓名]家漏水，电话[手机号]"
    assert pd.isna(out["description"].iloc[1]) and out["description"].iloc[2] == "共16295件"
    assert out["comment"].iloc[0] == "身份证[身份证号]" and pd.isna(out["comment"].iloc[2])
    assert out["n"].tolist() == [1, 2, 3] and out["event_id"].tolist() == ["E1", "E2", "E3"]
    assert df["description"].iloc[0].endswith("5678")  # the input is not modified
    only = mask_free_text(df, columns=["comment"])
    assert only["description"].iloc[0] == df["description"].iloc[0]


def test_names_pattern_is_built_once_per_set_of_names():
    first = names_pattern(["张三丰", "张三", "李四"])
    assert names_pattern(iter(["李四", "张三", "张三丰", ""])) is first  # another order, an empty name: same set
    assert names_pattern(["张三", "李四"]) is not first
    assert [m.group() for m in first.finditer("张三丰和张三、李四")] == ["张三丰", "张三", "李四"]


def test_mask_free_text_masks_repeated_texts_like_single_ones():
    texts = ["王五电话13812345678", "好", "王五电话13812345678", "证件11010519491231002X", "好"]
    df = pd.DataFrame({"description": texts, "comment": texts[::-1]})
    out = mask_free_text(df, names=["王五"])
    assert out["description"].tolist() == [mask_text(t, ["王五"]) for t in texts]
    assert out["comment"].tolist() == [mask_text(t, ["王五"]) for t in texts[::-1]]
    assert out["description"].iloc[0] == "[姓名]电话[手机号]"
