import pandas as pd
import pytest

from evaluation.data.contract import TABLES
from evaluation.privacy.detect import detect_personal_columns, header_kind

SPEC_HEADERS = {
    "name": ["name", "姓名", "名字", "full_name", "联系人", "Full Name", "姓名（必填）"],
    "phone": ["phone", "mobile", "tel", "手机", "手机号", "联系电话", "电话", "Phone-Number", "手机号码"],
    "id_number": ["id_number", "id_card", "身份证", "身份证号", "证件号码", "ID Card"],
    "email": ["email", "邮箱", "E-mail"],
}


@pytest.mark.parametrize(("kind", "header"), [(k, h) for k, hs in SPEC_HEADERS.items() for h in hs])
def test_headers_named_in_the_issue_are_personal(kind, header):
    assert header_kind(header) == kind


@pytest.mark.parametrize("header", ["name_zh", "unit_name", "community_id", "person_key", "comment", "事件描述",
                                    "社区名称", "domain_name", "telephone_count", "attendance"])
def test_other_headers_are_not(header):
    assert header_kind(header) is None


def test_every_personal_header_of_the_data_contract_is_detected():
    for table in TABLES:
        for col in table.columns:
            if col.personal:
                assert {header_kind(h) for h in col.headers} == {col.name}, (table.name, col.headers)


def test_detection_by_content_and_by_name():
    df = pd.DataFrame({
        "respondent_id": ["R1", "R2", "R3", "R4"],
        "联系人": ["张三", "李四", "欧阳娜娜", "无"],
        "contact": ["138 1234 5678", "+86 13912345678", "", None],
        "cert": ["11010519491231002X", "11010519491231002x", "110105194912310021", "x"],
        "mail_to": ["a@b.cn", "c.d@e.com", "f@g.org", "h@i.net"],
        "phone_as_int": [13812345678, 13912345678, 15012345678, 18612345678],
        "comment": ["电话13812345678", "很好", "没意见", "一般"],
        "count17": ["12345678901234567", "23456789012345678", "34567890123456789", "45678901234567890"],
        "score": [1.0, 2.5, 3.0, 4.0],
    })
    out = detect_personal_columns(df)
    got = {r.column: (r.kind, r.reason, round(r.share_matched, 3), r.n_values) for r in out.itertuples()}
    assert got == {
        "联系人": ("name", "name", 0.75, 4),
        "contact": ("phone", "content", 1.0, 2),
        "cert": ("id_number", "content", 0.75, 4),  # the wrong check digit is still ID-shaped
        "mail_to": ("email", "content", 1.0, 4),
        "phone_as_int": ("phone", "content", 1.0, 4),
    }
    assert detect_personal_columns(df, min_share=0.8)["column"].tolist() == [
        "联系人", "contact", "mail_to", "phone_as_int"]


def test_phone_numbers_read_as_floats_are_recognised():
    df = pd.DataFrame({"x": [13812345678.0, 13912345678.0, None]})
    assert detect_personal_columns(df)[["column", "kind"]].values.tolist() == [["x", "phone"]]


def test_empty_table_gives_an_empty_frame_with_the_columns():
    out = detect_personal_columns(pd.DataFrame({"a": pd.Series([], dtype="str")}))
    assert out.empty and list(out.columns) == ["column", "kind", "reason", "share_matched", "n_values"]
