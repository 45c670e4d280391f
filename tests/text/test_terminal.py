"""evaluation.text.terminal: terminal columns of mixed Chinese and Latin text, and padding to them."""

from __future__ import annotations

from evaluation.text.terminal import display_width, pad


def test_wide_and_full_width_characters_take_two_columns():
    assert display_width("") == 0
    assert display_width("C01") == 3
    assert display_width("环境卫生") == 8
    assert display_width("14.8万（约）") == 4 + 2 + 2 * 3          # 万 and the full-width brackets: two each
    assert display_width("ｱ") == 1                                  # half-width katakana: one


def test_pad_left_or_right_to_terminal_columns():
    assert pad("社区", 6) == "社区  "
    assert pad("12", 5, right=True) == "   12"
    assert pad("环境卫生", 4) == "环境卫生"                         # already wider: unchanged
    assert [display_width(pad(x, 10)) for x in ("abc", "社区abc", "")] == [10, 10, 10]
