"""Comparing two runs: changes, and the conclusions that turned over (sign, significance, claim verdicts)."""

from __future__ import annotations

import json
import math

import pytest

from evaluation.errors import JinlinError
from evaluation.run.diff import DIFF_COLUMNS, diff_html, diff_results, diff_runs, diff_table_text

# z for a two-sided 95 % and 99 % interval (Abramowitz & Stegun, table 26.5)
Z95, Z99 = 1.959963984540054, 2.5758293035489004

A = {"results": {
    "impact.satisfaction_index.att": {"value": 2.5, "se": 1.0, "ci_low": 0.54, "ci_high": 4.46, "n": 43},
    "impact.on_time_rate.att": {"value": 0.04, "ci_low": -0.01, "ci_high": 0.09},
    "impact.volunteer_rate.att": {"value": 1.2, "se": 0.5},
    "grid.events_closed.count": {"value": 16295},
    "petitions.real_estate.yoy_change": {"value": -0.3448275862},
    "claims.c21.verdict": {"value": "一致"},
    "claims.c22.verdict": {"value": "不可核实"},
    "data.rows.grid_events": {"value": 3},
}}
B = {"results": {
    "impact.satisfaction_index.att": {"value": 1.1, "se": 1.0, "ci_low": -0.86, "ci_high": 3.06, "n": 43},
    "impact.on_time_rate.att": {"value": -0.02, "ci_low": -0.05, "ci_high": 0.01},
    "impact.volunteer_rate.att": {"value": 1.2, "se": 0.5},
    "grid.events_closed.count": {"value": 16000},
    "petitions.real_estate.yoy_change": {"value": -0.3448275862 * (1 + 1e-12)},
    "claims.c21.verdict": {"value": "不一致"},
    "claims.c22.verdict": {"value": "不可核实"},
    "survey.satisfaction_index.mean": {"value": 71.3, "ci_low": 69.0, "ci_high": 73.6},
}}


@pytest.fixture
def df():
    return diff_results(A, B).set_index("key")


def test_one_row_per_key_in_either_run(df):
    assert list(diff_results(A, B).columns) == list(DIFF_COLUMNS)
    assert set(df.index) == set(A["results"]) | set(B["results"])
    assert df.loc["data.rows.grid_events", "only_in"] == "a"
    assert df.loc["survey.satisfaction_index.mean", "only_in"] == "b"
    assert df["only_in"].isna().sum() == 7


def test_changes_are_b_minus_a(df):
    r = df.loc["grid.events_closed.count"]
    assert r["abs_change"] == -295
    assert r["rel_change"] == pytest.approx(-295 / 16295, rel=1e-12)
    r = df.loc["impact.on_time_rate.att"]
    assert r["abs_change"] == pytest.approx(-0.06, abs=1e-15)
    assert r["rel_change"] == pytest.approx(-1.5, rel=1e-12)
    assert math.isnan(df.loc["claims.c21.verdict", "abs_change"])


def test_tiny_float_noise_is_not_a_change(df):
    assert not df.loc["petitions.real_estate.yoy_change", "changed"]
    assert not df.loc["impact.volunteer_rate.att", "changed"]
    assert df.loc["grid.events_closed.count", "changed"]


def test_sign_and_significance_flags(df):
    sat = df.loc["impact.satisfaction_index.att"]
    assert not sat["sign_changed"] and sat["significance_changed"] and sat["conclusion_changed"]
    assert bool(sat["significant_a"]) and not bool(sat["significant_b"])
    ontime = df.loc["impact.on_time_rate.att"]
    assert ontime["sign_changed"] and not ontime["significance_changed"]
    count = df.loc["grid.events_closed.count"]
    assert not count["conclusion_changed"] and count["significant_a"] is not True
    assert df["significant_a"].isna()["grid.events_closed.count"]


def test_se_only_keys_use_a_wald_interval_at_the_confidence():
    # value 1.0, se 0.5: 1 - Z95 * 0.5 = 0.02 > 0 (significant), 1 - Z99 * 0.5 = -0.29 < 0 (not)
    a = {"impact.x.att": {"value": 1.0, "se": 0.5}}
    b = {"impact.x.att": {"value": 1.0, "se": 0.55}}
    d95 = diff_results(a, b).iloc[0]
    assert d95["ci_low_a"] == pytest.approx(1 - Z95 * 0.5, rel=1e-12)
    assert d95["ci_high_b"] == pytest.approx(1 + Z95 * 0.55, rel=1e-12)
    assert bool(d95["significant_a"]) and not bool(d95["significant_b"]) and d95["significance_changed"]
    d99 = diff_results(a, b, confidence=0.99).iloc[0]
    assert d99["ci_low_a"] == pytest.approx(1 - Z99 * 0.5, rel=1e-12)
    assert not bool(d99["significant_a"]) and not d99["significance_changed"]
    with pytest.raises(ValueError):
        diff_results(a, b, confidence=1.5)


def test_verdicts_only_under_claims(df):
    assert df.loc["claims.c21.verdict", "verdict_changed"]
    assert not df.loc["claims.c22.verdict", "verdict_changed"]
    other = diff_results({"data.x.label": {"value": "a"}}, {"data.x.label": {"value": "b"}}).iloc[0]
    assert other["changed"] and not other["verdict_changed"]


def test_accepts_inner_results_mapping():
    assert diff_results(A["results"], B).equals(diff_results(A, B))


def test_text_table_marks_conclusions_and_aligns_chinese(df):
    text = diff_table_text(diff_results(A, B))
    lines = text.splitlines()
    marked = [ln for ln in lines if ln.startswith(">> ") and not ln.startswith(">> =")]
    assert {ln.split()[1] for ln in marked} == {"impact.satisfaction_index.att", "impact.on_time_rate.att",
                                                "claims.c21.verdict"}
    assert any("SIGNIFICANCE LOST" in ln for ln in marked) and any("SIGN FLIPPED" in ln for ln in marked)
    assert any("VERDICT CHANGED" in ln for ln in marked)
    assert "claims.c22.verdict" not in text  # unchanged, left out by default
    assert "8 changed" not in text and "9 keys compared: 6 changed, 3 conclusion(s) changed" in text
    full = diff_table_text(diff_results(A, B), only_changed=False)
    assert "claims.c22.verdict" in full

    from evaluation.text.terminal import display_width as _width

    table = full.splitlines()
    head = table[0]
    what_col = _width(head[:head.index("conclusion")])
    rel_end = _width(head[:head.index("rel.") + len("rel.")])
    words = ("SIGN FLIPPED", "SIGNIFICANCE", "VERDICT CHANGED", "only in")
    body = table[2:table.index("")]
    with_what = [ln for ln in body if any(w in ln for w in words)]
    assert any("一致" in ln for ln in with_what)
    # the conclusion column starts at the same display column on every row, 汉字 counted as two columns
    for ln in with_what:
        start = min(ln.index(w) for w in words if w in ln)
        assert _width(ln[:start]) == what_col, ln
    numeric = [ln for ln in body if ln.endswith("%")]
    assert numeric and all(_width(ln) == rel_end for ln in numeric)


def test_html_is_self_contained_and_highlights():
    df = diff_results(A, {"results": {**B["results"], "data.note.text": {"value": "<script>x</script>"}}})
    page = diff_html(df, "默认 vs 重跑")
    assert page.startswith("<!DOCTYPE html>") and "<title>默认 vs 重跑</title>" in page
    assert "http" not in page and "<script>" not in page and "&lt;script&gt;" in page
    assert page.count('<tr class="conclusion">') == 3
    # conclusions first
    assert page.index("claims.c21.verdict") < page.index("grid.events_closed.count")


def test_diff_runs_reads_folders_or_files(tmp_path):
    for name, body in (("a", A), ("b", B)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    d1 = diff_runs(tmp_path / "a", tmp_path / "b" / "results.json")
    assert d1.drop(columns=[]).equals(diff_results(A, B))
    assert "A = " in diff_table_text(d1)
    with pytest.raises(JinlinError, match="does not exist"):
        diff_runs(tmp_path / "a", tmp_path / "c")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(JinlinError, match="not valid JSON"):
        diff_runs(tmp_path / "a", tmp_path / "c")


def _run_folder(path, results, params, sha="ab" * 32):
    path.mkdir(parents=True)
    (path / "results.json").write_text(json.dumps({"results": results}), encoding="utf-8")
    manifest = {"params": params, "data": {"files": {"grid_events": {"file": "grid_events.parquet", "sha256": sha}}}}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


DEFAULT_PARAMS = {"language": "zh", "min_cell": 5, "report_year": 2024, "did_method": "dr"}
RESULTS_5 = {
    "grid.events_reported.count.labour": {"value": 7, "n": 7},
    "grid.events_reported.count.other": {"value": 12, "n": 12},
    "grid.events_reported.count.safety": {"value": 2620, "n": 2620},
    "survey.suppressed.cells": {"value": 0},
}
# the same data with min_cell=10: one figure under 10 withheld, one withheld so it cannot be recovered from the total,
# and three more table cells suppressed in the survey chapter
RESULTS_10 = {
    "grid.events_reported.count.labour": {"value": None, "suppressed": "primary"},
    "grid.events_reported.count.other": {"value": None, "suppressed": "secondary"},
    "grid.events_reported.count.safety": {"value": 2620, "n": 2620},
    "survey.suppressed.cells": {"value": 3},
}


def test_min_cell_rerun_names_the_parameter_and_the_suppressed_cells(tmp_path):
    a = _run_folder(tmp_path / "default", RESULTS_5, DEFAULT_PARAMS)
    b = _run_folder(tmp_path / "min10", RESULTS_10, {**DEFAULT_PARAMS, "min_cell": 10})
    df = diff_runs(a, b)
    assert df.attrs["manifest"]["params"] == [("min_cell", 5, 10)]
    assert set(df.loc[df["suppression_changed"], "key"]) == {"grid.events_reported.count.labour",
                                                             "grid.events_reported.count.other",
                                                             "survey.suppressed.cells"}
    text = diff_table_text(df)
    lines = text.splitlines()
    # parameters first (after the A/B lines), in Chinese for a Chinese run
    assert lines[3] == "参数差异（A → B）：" and lines[4] == "  min_cell: 5 → 10"
    assert "两次运行的输入数据相同。" in text
    assert "小单元隐去有变化的数字：3 个（B 中新隐去 2，不再隐去 0，隐去单元计数变化 1）。" in text
    assert "B 中隐去" in text and "没有差异" not in text and "no differences" not in text
    page = diff_html(df, "A 与 B")
    assert "参数差异" in page and "突出显示的行" in page and "<th>指标代码</th>" in page and "Highlighted" not in page


def test_different_data_and_english_labels(tmp_path):
    params = {**DEFAULT_PARAMS, "language": "en"}
    a = _run_folder(tmp_path / "a", RESULTS_5, params)
    b = _run_folder(tmp_path / "b", RESULTS_5, params, sha="cd" * 32)
    text = diff_table_text(diff_runs(a, b))
    assert "The two runs have the same parameters." in text
    assert "These runs have different data (input hashes differ: grid_events)." in text
    assert "no differences in the recorded figures" in text
