"""Parameters: YAML's traps, unknown keys and wrong types are refused with the key named, before any kernel starts."""

from __future__ import annotations

import pytest

from evaluation.errors import ParameterError
from evaluation.params import RunParams, load_params, load_yaml_strict, parse_override


def _write(tmp_path, text):
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_params_load():
    params, name = load_params("params/default.yaml")
    assert name == "default" and params.report_year == 2024 and params.language == "zh"
    assert params.comparison == 2023 and params.cutoff == "2024-12-31 23:59:59"


def test_yaml_traps_stay_strings():
    data = load_yaml_strict("a: NO\nb: 012345\nc: 2024-12-31\nd: true\ne: 1.5\nf: 7\ng: on")
    assert data == {"a": "NO", "b": "012345", "c": "2024-12-31", "d": True, "e": 1.5, "f": 7, "g": "on"}


def test_norway_problem_is_refused_with_the_key(tmp_path):
    with pytest.raises(ParameterError) as e:
        load_params(_write(tmp_path, "language: NO\n"))
    assert "language" in str(e.value) and "'NO'" in str(e.value)


def test_unknown_key_suggests_the_right_one(tmp_path):
    with pytest.raises(ParameterError) as e:
        load_params(_write(tmp_path, "report_yaer: 2024\n"))
    assert "report_yaer: unknown parameter (did you mean 'report_year'?)" in str(e.value)


def test_wrong_type_and_range(tmp_path):
    with pytest.raises(ParameterError) as e:
        load_params(_write(tmp_path, "report_year: 1066\nmin_cell: 0\n"))
    msg = str(e.value)
    assert "report_year = 1066" in msg and "min_cell = 0" in msg


def test_dates_in_yaml_are_checked(tmp_path):
    params, _ = load_params(_write(tmp_path, "data_cutoff: 2024-06-30\n"))
    assert params.data_cutoff == "2024-06-30"
    with pytest.raises(ParameterError, match="data_cutoff"):
        load_params(_write(tmp_path, "data_cutoff: 2024年6月\n"))


def test_overrides_parse_like_yaml():
    assert parse_override("language=en") == ("language", "en")
    assert parse_override("report_year=2023") == ("report_year", 2023)
    assert parse_override("communities=[C01, C02]") == ("communities", ["C01", "C02"])
    with pytest.raises(ParameterError):
        parse_override("language")


def test_comparison_year_must_precede(tmp_path):
    with pytest.raises(ParameterError, match="comparison_year"):
        load_params(_write(tmp_path, "comparison_year: 2024\n"))


def test_missing_file():
    with pytest.raises(ParameterError, match="does not exist"):
        load_params("params/nope.yaml")


def test_params_are_frozen():
    with pytest.raises(Exception):
        RunParams().report_year = 2020  # type: ignore[misc]


@pytest.mark.parametrize("cutoff, words", [
    ("2023-12-31 23:59:59", "before report_year 2024 starts"),
    ("2020-06-30", "before report_year 2024 starts"),
    ("2025-01-01", "after report_year 2024 ends"),
    ("2024-06-30T00:00:00+08:00", "time zone"),
])
def test_cutoff_outside_the_report_year_is_refused(tmp_path, cutoff, words):
    with pytest.raises(ParameterError) as e:
        load_params(_write(tmp_path, f"report_year: 2024\ndata_cutoff: '{cutoff}'\n"))
    msg = str(e.value)
    assert words in msg and f"data_cutoff {cutoff}" in msg and "2024-01-01 to 2024-12-31 23:59:59" in msg \
        or words == "time zone" and "without an offset" in msg
    # the rule across parameters is stated once, without the whole file's values
    assert "{" not in msg


@pytest.mark.parametrize("cutoff", ["2024-01-01", "2024-06-30", "2024-12-31 23:59:59"])
def test_cutoff_inside_the_report_year_is_accepted(tmp_path, cutoff):
    params, _ = load_params(_write(tmp_path, f"report_year: 2024\ndata_cutoff: '{cutoff}'\n"))
    assert params.cutoff == cutoff


def test_duplicated_key_is_refused_with_both_lines(tmp_path):
    with pytest.raises(ParameterError) as e:
        load_params(_write(tmp_path, "min_cell: 5\nlanguage: en\nmin_cell: 1\n"))
    msg = str(e.value)
    assert "'min_cell' is given twice (first on line 1)" in msg and "line 3" in msg and "fix:" in msg


def test_duplicated_key_in_a_nested_mapping_is_refused():
    with pytest.raises(ParameterError, match="'a' is given twice"):
        load_yaml_strict("outer:\n  a: 1\n  a: 2\n")
    # a merge key may be overridden: that is what merging is for
    assert load_yaml_strict("x: &b {p: 1}\ny:\n  <<: *b\n  p: 2\n") == {"x": {"p": 1}, "y": {"p": 2}}


def test_binary_params_file_is_refused_with_the_place(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"language: en\n\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(ParameterError) as e:
        load_params(p)
    assert str(p) in str(e.value) and "line 2" in str(e.value) and "UTF-8" in str(e.value)
    p.write_bytes(b"language: en\x00\x01\n")  # valid UTF-8, but control characters
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_params(p)


@pytest.mark.parametrize("filename", ["..yaml", ".yaml", "x.failed.yaml", "a b.yaml"])
def test_unsafe_paramset_names_are_refused(tmp_path, filename):
    p = tmp_path / filename
    p.write_text("language: en\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="cannot name a report folder"):
        load_params(p)


def test_a_folder_is_not_a_params_file(tmp_path):
    with pytest.raises(ParameterError, match="is not a file"):
        load_params(tmp_path)


def test_run_names_from_overrides_are_safe_and_distinct():
    from evaluation.params import check_run_name, run_name

    assert run_name("default", {}) == "default"
    assert run_name("default", {"data_cutoff": "2024-06-30"}) == "default+data_cutoff=2024-06-30"
    assert run_name("default", {"notebooks": ["00_data_quality"], "language": "en"}) == \
        "default+language=en+notebooks=00_data_quality"
    a, b = run_name("d", {"data_dir": "../x y"}), run_name("d", {"data_dir": "../x_y"})
    assert a != b and "/" not in a and " " not in a  # sanitising would merge them; the hash keeps them apart
    long = run_name("d", {"communities": [f"C{i:02d}" for i in range(60)]})
    for name in (a, b, long):
        assert check_run_name(name, "t") == name


def test_unique_key_loader_keeps_plain_yaml_and_refuses_duplicates():
    import datetime as dt

    import yaml

    from evaluation.params import DuplicateKeyError, UniqueKeyLoader

    assert yaml.load("a: 2024-06-30\nb: yes\n", Loader=UniqueKeyLoader) == {"a": dt.date(2024, 6, 30), "b": True}
    with pytest.raises(DuplicateKeyError) as e:
        yaml.load("name: x\nsynthetic: true\nname: y\n", Loader=UniqueKeyLoader)
    assert (e.value.key, e.value.first, e.value.second) == ("name", 1, 3)
