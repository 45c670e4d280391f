"""Reading submissions: normalisation, Markdown blanking, .docx, sentence splitting; offsets throughout."""

from __future__ import annotations

import docx
import pytest

from evaluation.claims import extract_claims, normalise_submission, read_submission, split_sentences, strip_markdown
from evaluation.errors import JinlinError


def test_full_width_normalisation_keeps_length_and_chinese_punctuation():
    s = "近４０００名党员，持证率７０％，共１６，２９５件，下降３４．４８％；Ｎ个站点　完成。"
    out = normalise_submission(s)
    assert len(out) == len(s)
    assert out == "近4000名党员，持证率70%，共16,295件，下降34.48%；N个站点 完成。"


def test_markdown_blanked_not_deleted():
    md = "## 标题\n\n- 推动**27个**单位，见[链接](http://x.cn)。\n1. 第一条\n| 指标 | 数值 |\n|---|---|\n| 场次 | 1119场 |\n"
    out = strip_markdown(md)
    assert len(out) == len(md)
    assert out.count("\n") == md.count("\n")
    for word in ("标题", "27个", "链接", "第一条", "1119场"):
        assert out.index(word) == md.index(word)
    for junk in ("#", "**", "](", "http", "|", "---"):
        assert junk not in out


def test_read_markdown_and_text(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# 成效\n\n今年办结网格事件**１６２９５件**。\n", encoding="utf-8")
    text = read_submission(p)
    df = extract_claims(text)
    r = df.iloc[0]
    assert (r["raw"], r["value"], r["period_year"]) == ("16295件", 16295, 2024)
    assert text[r["start"]:r["end"]] == "16295件"
    q = tmp_path / "b.txt"
    q.write_bytes("服务群众约7.3万人次。".encode("gb18030"))
    assert read_submission(q) == "服务群众约7.3万人次。"


def test_read_docx(tmp_path):
    d = docx.Document()
    d.add_heading("大亚湾开发区", level=1)
    d.add_paragraph("今年召开党建联席会议２３０余场，商讨解决社区治理难题100多个。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "活动场次"
    table.rows[0].cells[1].text = "1119场"
    d.add_paragraph("涉地产业务信访事件同比下降34.48%。")
    path = tmp_path / "s.docx"
    d.save(path)
    text = read_submission(path)
    assert text.split("\n") == ["大亚湾开发区", "今年召开党建联席会议230余场，商讨解决社区治理难题100多个。",
                                "活动场次\t1119场", "涉地产业务信访事件同比下降34.48%。"]
    df = extract_claims(text)
    assert df["raw"].tolist() == ["230余场", "100多个", "1119场", "34.48%"]


def test_read_errors(tmp_path):
    with pytest.raises(JinlinError):
        read_submission(tmp_path / "missing.md")
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(JinlinError):
        read_submission(bad)


def test_split_sentences():
    text = "第一句。第二句！“引语。”第三句；\n\n  第四行\n第五句?"
    df = split_sentences(text)
    assert df["sentence"].tolist() == ["第一句。", "第二句！", "“引语。”", "第三句；", "第四行", "第五句?"]
    for r in df.itertuples():
        assert text[r.start:r.end] == r.sentence
    assert df["sentence_id"].tolist() == ["S001", "S002", "S003", "S004", "S005", "S006"]
