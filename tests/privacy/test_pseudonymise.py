import hashlib
import hmac
import os
import stat
import string

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.privacy.pseudonymise import hmac_key, load_salt, normalise_identifier, pseudonymise

SALT = b"test-salt-0123456789abcdef"


def test_hmac_key_matches_rfc_4231_test_case_2():
    # RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?"
    assert hmac_key("what do ya want for nothing?", b"Jefe") == "5bdcc146bf60754e"


@pytest.mark.parametrize(("kind", "variants"), [
    ("phone", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "8613812345678",
               "(+86)13812345678", 13812345678, 13812345678.0, "１３８１２３４５６７８", "138.1234.5678",
               "138 - 1234 - 5678"]),
    ("id_number", ["11010519491231002X", "11010519491231002x", " 110105-19491231-002X "]),
    ("name", ["张三", " 张 三 "]),
])
def test_variants_of_one_identifier_normalise_alike(kind, variants):
    assert len({normalise_identifier(v, kind) for v in variants}) == 1


def _key(v: str) -> str:
    return hmac.new(SALT, v.encode(), hashlib.sha256).hexdigest()[:16]


def test_identifier_priority_id_then_phone_then_name():
    df = pd.DataFrame({
        "姓名": ["张三", "李四", "王五", None],
        "手机号": ["138-1234-5678", "13912345678", None, None],
        "身份证号": ["11010519491231002x", None, None, None],
        "hours": [1.0, 2.0, 3.0, 4.0],
    })
    out, rep = pseudonymise(df, SALT)
    assert list(out.columns) == ["person_key", "hours"]
    assert out["person_key"].iloc[:3].tolist() == [_key("11010519491231002X"), _key("13912345678"), _key("王五")]
    assert pd.isna(out["person_key"].iloc[3])
    assert rep.dropped_columns == ("姓名", "手机号", "身份证号")
    assert dict(rep.keyed_by) == {"id_number": 1, "phone": 1, "name": 1}
    assert (rep.key_source, rep.n_rows, rep.n_keyed, rep.n_without_key, rep.n_distinct_keys) == (
        "derived", 4, 3, 1, 3)
    assert out["hours"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_same_person_gets_the_same_key_across_tables_and_a_different_one_under_another_salt():
    volunteers = pd.DataFrame({"phone": ["+86 139 1234 5678"], "community_id": ["C01"]})
    hours = pd.DataFrame({"联系电话": [13912345678], "hours": [2.5]})
    v, _ = pseudonymise(volunteers, SALT)
    h, _ = pseudonymise(hours, SALT)
    assert v["person_key"].iloc[0] == h["person_key"].iloc[0]
    other, _ = pseudonymise(volunteers, b"another salt")
    assert other["person_key"].iloc[0] != v["person_key"].iloc[0]


def test_existing_person_key_is_kept_and_personal_columns_dropped():
    df = pd.DataFrame({"person_key": ["k1", "k2"], "name": ["张三", "李四"], "community_id": ["C01", "C02"]})
    out, rep = pseudonymise(df, SALT)
    assert out.to_dict("list") == {"person_key": ["k1", "k2"], "community_id": ["C01", "C02"]}
    assert rep.key_source == "existing" and rep.dropped_columns == ("name",)


def test_explicit_columns_and_no_personal_data():
    df = pd.DataFrame({"respondent": ["甲乙", "丙丁"], "x": [1, 2]})
    out, rep = pseudonymise(df, SALT, columns=["respondent"])
    assert list(out.columns) == ["person_key", "x"] and out["person_key"].tolist() == [_key("甲乙"), _key("丙丁")]
    same, rep2 = pseudonymise(df[["x"]], SALT)
    assert same.equals(df[["x"]]) and rep2.key_source == "none"
    with pytest.raises(KeyError):
        pseudonymise(df, SALT, columns=["nope"])


def test_named_columns_are_judged_as_in_the_whole_table():
    df = pd.DataFrame({"contact": ["138 1234 5678", "139 8765 4321"], "姓名": ["张三", "李四"], "note": ["a", "b"],
                       "备用": ["11010519491231002X", "110105194912310021"]})
    whole, rep = pseudonymise(df, SALT)
    named, rep_named = pseudonymise(df, SALT, columns=["contact", "姓名", "备用"])
    assert dict(rep_named.column_kinds) == dict(rep.column_kinds) == {"contact": "phone", "姓名": "name",
                                                                       "备用": "id_number"}
    assert named.equals(whole)


def test_neither_salt_nor_personal_values_reach_the_outputs():
    df = pd.DataFrame({"姓名": ["张三"], "手机号": ["13812345678"], "note": ["x"]})
    out, rep = pseudonymise(df, SALT)
    text = repr(rep) + str(vars(rep)) + out.to_csv()
    for secret in (SALT.decode(), SALT.hex(), "张三", "13812345678"):
        assert secret not in text


def test_salt_from_environment_variable(tmp_path):
    assert load_salt(environ={"JINLIN_SALT": "abc"}, home=tmp_path, repo_root=tmp_path / "repo") == b"abc"


def test_salt_from_named_file_is_stripped(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("  deadbeef\n")
    f.chmod(0o600)
    assert load_salt(environ={"JINLIN_SALT_FILE": str(f)}, home=tmp_path, repo_root=tmp_path / "repo") == b"deadbeef"


def test_default_salt_file_is_created_private_and_reused(tmp_path):
    home = tmp_path / "home"
    first = load_salt(environ={}, home=home, repo_root=tmp_path / "repo")
    path = home / ".config" / "jinlin" / "salt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and bytes.fromhex(first.decode())  # 32 random bytes, as hex
    assert load_salt(environ={}, home=home, repo_root=tmp_path / "repo") == first
    other = load_salt(environ={}, home=tmp_path / "elsewhere", repo_root=tmp_path / "repo")
    assert other != first


def test_salt_file_inside_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "salt").write_text("x")
    with pytest.raises(ValueError, match="inside the repository"):
        load_salt(environ={"JINLIN_SALT_FILE": str(repo / "data" / "salt")}, home=tmp_path, repo_root=repo)
    with pytest.raises(ValueError, match="inside the repository"):
        load_salt(environ={}, home=repo, repo_root=repo)


def test_installed_package_run_from_the_home_folder_keeps_the_default_salt_file(tmp_path, monkeypatch):
    """An installed package has no repository (config.CHECKOUT is None): the working folder, here the home folder
    itself, is not one, so ~/.config/jinlin/salt beneath it is not refused."""
    from evaluation import config

    monkeypatch.setattr(config, "CHECKOUT", None)
    monkeypatch.chdir(tmp_path)
    assert len(load_salt(environ={}, home=tmp_path)) == 64
    assert (tmp_path / ".config" / "jinlin" / "salt").is_file()


def test_readable_salt_file_warns(tmp_path):
    f = tmp_path / "salt"
    f.write_text("abc")
    os.chmod(f, 0o644)
    with pytest.warns(UserWarning, match="readable by other users"):
        load_salt(environ={"JINLIN_SALT_FILE": str(f)}, home=tmp_path, repo_root=tmp_path / "repo")


def test_empty_salt_is_refused():
    with pytest.raises(ValueError):
        hmac_key("x", b"")


@settings(max_examples=300)
@given(st.one_of(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
                 st.from_regex(r"\A86[0-9]{11}\Z"), st.from_regex(r"\A[0-9]{17}[0-9xX]\Z")),
       st.sampled_from(["phone", "id_number", "name", "email", "other"]))
def test_plain_ascii_identifiers_are_normalised_as_spaced_and_dashed_ones(value, kind):
    # the plain form takes the short way; with a space and a dash around it, the full one
    assert normalise_identifier(value, kind) == normalise_identifier(f" {value}-", kind)
