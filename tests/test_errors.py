"""Problems say what is wrong in the run's language (issue 17): every problem the package raises has a Chinese
message and fix beside the English ones, and renders in Chinese on request."""

from __future__ import annotations

import ast

from conftest import ROOT, mini_tables, write_tables

from evaluation.errors import DataValidationError, Problem, format_problems


def _problem_calls():
    for path in sorted((ROOT / "src" / "evaluation").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                yield path.relative_to(ROOT), node


def test_every_problem_the_package_raises_has_chinese_text():
    missing = []
    calls = list(_problem_calls())
    for path, node in calls:
        starred = any(isinstance(a, ast.Starred) for a in node.args)  # Problem(..., *_describe(...))
        keywords = {k.arg for k in node.keywords}
        if not (starred or len(node.args) >= 9 or {"message_zh", "fix_zh"} <= keywords):
            missing.append(f"{path}:{node.lineno}")
    assert len(calls) > 40 and missing == []


def test_render_in_chinese_and_english():
    p = Problem("grid_events.csv", 12, "closed_at", "error", "closed_without_time",
                "the event is closed but has no closing time", "fill in closed_at",
                "事件已办结，但没有办结时间", "填写 closed_at")
    assert p.render() == ("ERROR: grid_events.csv, row 12, column closed_at: the event is closed but has no closing "
                          "time\n    fix: fill in closed_at")
    assert p.render("zh") == "错误：grid_events.csv，第 12 行，closed_at 列：事件已办结，但没有办结时间\n    修改：填写 closed_at"
    # a problem without Chinese text still renders, in English words under Chinese labels
    bare = Problem("x.csv", None, None, "warning", "r", "msg", "fix")
    assert bare.render("zh") == "提示：x.csv：msg\n    修改：fix"
    assert p == Problem(*[getattr(p, f) for f in ("file", "row", "column", "severity", "rule", "message", "fix")])
    many = [Problem("a.csv", r, "c", "error", "rule", "m", "f", "中", "改") for r in range(5)]
    assert "另有 3 处同类问题" in format_problems(many, limit_per_rule=2, lang="zh")


def test_a_broken_district_is_explained_in_chinese(tmp_path):
    from evaluation.data import read_district

    tables = mini_tables()
    tables["grid_events"].loc[0, "community_id"] = "C99"
    tables["grid_events"].loc[1, "reported_at"] = "2024年13月1日"
    tables["survey_responses"].loc[0, "q_overall"] = 42
    folder = write_tables(tmp_path / "d", tables)
    _, problems = read_district(folder)
    errors = [p for p in problems if p.severity == "error"]
    assert {p.rule for p in errors} >= {"unknown_community", "out_of_range"}
    assert all(p.message_zh and p.fix_zh for p in errors)
    text = DataValidationError(errors, str(folder)).text("zh")
    assert "不符合数据规范" in text and "不在社区名册" in text and "超出范围" in text and "fix:" not in text
