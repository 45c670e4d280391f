"""The personal-data formats corpus (issue 13, point 7): every format is found by the detectors, masked in free text,
refused in label columns, and found by the final scan in every kind of artefact a run writes."""

from __future__ import annotations

import html
import json
import subprocess

import nbformat
import pandas as pd
import pytest

from evaluation.privacy.detect import label_findings, label_problems, metadata_problems
from evaluation.privacy.masking import mask_text
from evaluation.privacy.patterns import find_personal_data
from evaluation.privacy.scan import scan_artefacts

# (as written, the part that is personal, kind)
CORPUS = [
    ("姓名：王建国", "王建国", "name"),
    ("姓名: 李娜，电话见附件", "李娜", "name"),
    ("联系人 张伟", "张伟", "name"),
    ("申请人为欧阳娜娜", "欧阳娜娜", "name"),
    ("Name: Zhang Wei", "Zhang Wei", "name"),
    ("wxid_wang1958", "wxid_wang1958", "wechat"),
    ("count.wxid_wang1958", "wxid_wang1958", "wechat"),
    ("微信号 wang_1958x", "wang_1958x", "wechat"),
    ("微信号：Li-Na-88", "Li-Na-88", "wechat"),
    ("WeChat ID: zhangwei_hz", "zhangwei_hz", "wechat"),
    ("0752-1234567", "0752-1234567", "landline"),
    ("(0752)1234567", "(0752)1234567", "landline"),
    ("（0752）1234567", "（0752）1234567", "landline"),
    ("075212345678", "075212345678", "landline"),
    ("010-87654321", "010-87654321", "landline"),
    ("0752 2345678", "0752 2345678", "landline"),
    ("13812345678", "13812345678", "phone"),
    ("138.1234.5678", "138.1234.5678", "phone"),
    ("138 - 1234 - 5678", "138 - 1234 - 5678", "phone"),
    ("138-1234-5678", "138-1234-5678", "phone"),
    ("+86 138 1234 5678", "+86 138 1234 5678", "phone"),
    ("86-138-1234-5678", "86-138-1234-5678", "phone"),
    ("+8613812345678", "+8613812345678", "phone"),
    ("１３８１２３４５６７８", "１３８１２３４５６７８", "phone"),
    ("11010519491231002X", "11010519491231002X", "id_number"),
    ("110105194912310021", "110105194912310021", "id_number"),     # wrong check digit
    ("441304198506151234", "441304198506151234", "id_number"),     # wrong check digit
    ("110105491231002", "110105491231002", "id_number"),           # 15 digits (before 1999)
    ("110105 19491231 002X", "110105 19491231 002X", "id_number"),
    ("zhang.wei@example.com", "zhang.wei@example.com", "email"),
]

# Ordinary report text that must not be taken for personal data (else the scan would block every run).
ORDINARY = [
    "16295", "20241231", "2024-06-30", "2024-12-31 23:59:59", "0.13812345678", "22.714557", "114.590102",
    "共处理16295件，截至20241231", "p = 0.0138", "1,234,567", "n = 12345678901234567",
    "sha256 3a1b2c4d5e6f70819a2b3c4d5e6f708191101051949123100214b9e0f6c7d8e9f0a1b2c3d",
    "version 1.38.1234", "姓名、手机号和身份证号在载入时去标识化", "WeChat groups", "name_zh", "Name of the district",
    "2020-2024", "0.75 (0.71–0.79)", "C01 C02 C43", "L01", "XF201400001", "A201800001", "10,000 residents",
    "CI 95%: 12.3–45.6", "1e-05", "2.5e+10", "impact.district.satisfaction.gap_2024",
]


@pytest.mark.parametrize(("text", "personal", "kind"), CORPUS)
def test_every_format_is_found(text, personal, kind):
    found = [(m.kind, text[m.start:m.end]) for m in find_personal_data(text)]
    assert (kind, personal) in found, found


@pytest.mark.parametrize(("text", "personal", "kind"), CORPUS)
def test_every_format_is_masked_in_free_text(text, personal, kind):
    masked = mask_text(f"居民反映：{text}。")
    assert personal not in masked and "[" in masked
    assert mask_text(masked) == masked


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_report_text_is_not_personal(text):
    assert find_personal_data(text) == []


def test_label_columns_refuse_personal_values_and_quote_them_masked():
    values = [t for t, _, _ in CORPUS] + ["sanitation", "环境卫生", "金林社区服务中心"]
    frame = pd.DataFrame({"category": values, "channel": "hotline_12345"})
    problems = label_problems(frame, "petitions", "petitions.csv", 2, known_values={"陈小红"})
    assert sorted(p.row for p in problems) == [i + 2 for i in range(len(CORPUS))]
    assert {p.rule for p in problems} == {"personal_data_in_label"} and {p.column for p in problems} == {"category"}
    for p, (_, personal, _) in zip(sorted(problems, key=lambda p: p.row), CORPUS):
        assert personal not in p.render(), p.render()
    # a name is recognisable in a label only as a known value of a 姓名 column
    known = label_findings(pd.DataFrame({"unit_name": ["陈小红", "街道办"]}), ["unit_name"], {"陈小红"})
    assert known[["position", "kind", "masked"]].values.tolist() == [[0, "known_value", "陈**"]]
    # leftmost-longest: the longer of two overlapping known names is masked whole, then matching goes on after it
    found = label_findings(pd.DataFrame({"unit_name": ["张三丰与李四组", "张三组"]}), ["unit_name"],
                           {"张三", "张三丰", "李四", " "})
    assert found[["position", "masked"]].values.tolist() == [[0, "张**与李*组"], [1, "张*组"]]
    # any iterable of values; a value shorter than two characters (after stripping) is no personal value
    assert label_findings(pd.DataFrame({"unit_name": ["张三丰与李四组", "张三组"]}), ["unit_name"],
                          iter(["张三", "张三丰", "李四", "组", " 李 "])).equals(found)


def test_the_district_name_is_screened():
    problems = metadata_problems({"name": "联系人：王建国 13812345678", "synthetic": False})
    assert len(problems) == 1 and "13812345678" not in problems[0].render() and "王建国" not in problems[0].render()
    assert metadata_problems({"name": "惠州市大亚湾区"}) == []


def _docx_from_html(html_path, out):
    import pypandoc

    subprocess.run([pypandoc.get_pandoc_path(), "--sandbox", "-f", "html", "-t", "docx", "-o", str(out),
                    str(html_path)], check=True, capture_output=True)


def test_the_final_scan_finds_every_format_in_every_artefact(tmp_path):
    texts = [t for t, _, _ in CORPUS]
    rows = "\n".join(f"<tr><td>{html.escape(t)}</td><td>3</td></tr>" for t in texts)  # one value per line
    (tmp_path / "report.html").write_text(f"<html><body><table>{rows}</table></body></html>", encoding="utf-8")
    _docx_from_html(tmp_path / "report.html", tmp_path / "report.docx")
    (tmp_path / "results.json").write_text(json.dumps(
        {"results": {f"petitions.count.k{i}": {"value": t} for i, t in enumerate(texts)}
         | {"petitions.count.wxid_wang1958": {"value": 4}}}, ensure_ascii=False), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(table)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<table>{r}</table>",
                                                                 "text/plain": ""}) for r in rows.split("\n")]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "30_service_outcomes.ipynb")
    failed = tmp_path / "default.failed"
    failed.mkdir()
    (failed / "manifest.json").write_text(json.dumps({"data": {"name": texts}}, ensure_ascii=False), encoding="utf-8")
    findings = scan_artefacts(tmp_path)
    for name in ("report.html", "report.docx", "results.json", "30_service_outcomes.ipynb", "manifest.json"):
        mine = findings[findings["file"].str.endswith(name)]
        kinds = set(mine["kind"])
        assert {k for _, _, k in CORPUS} <= kinds, (name, kinds)
        # every value found: each sits in its own unit (line, cell, JSON path, output)
        assert mine["location"].nunique() >= len(CORPUS), (name, mine["location"].nunique())
    key_hits = findings[findings["location"].str.contains("(key)", regex=False)]
    assert len(key_hits) >= 1
    for _, personal, _ in CORPUS:
        assert not findings["excerpt"].str.contains(personal, regex=False).any()
