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


def _calls_of(name: str):
    for path in sorted((ROOT / "src" / "evaluation").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                yield path.relative_to(ROOT), node


def test_every_parameter_error_the_package_raises_has_chinese_text():
    """Issue 17: a bad -p or parameter file is explained in the run's language, so each ParameterError carries a
    Chinese text (second argument or zh=) beside the English one, and each validator message of the parameter and
    sweep models is bilingual (InvalidValue), not a bare ValueError."""
    calls = list(_calls_of("ParameterError"))
    missing = [f"{path}:{node.lineno}" for path, node in calls
               if len(node.args) < 2 and "zh" not in {k.arg for k in node.keywords}]
    assert len(calls) > 20 and missing == []
    bare = []
    for rel in ("src/evaluation/params.py", "src/evaluation/run/sweep.py"):
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in ("RunParams", "SweepSpec")):
            bare += [f"{rel}:{n.lineno}" for n in ast.walk(cls) if isinstance(n, ast.Raise) and n.exc is not None
                     and getattr(getattr(n.exc, "func", None), "id", None) == "ValueError"]
    assert bare == []


# Constructions of JinlinError/RunFailed that may go without a Chinese text, as {(file, enclosing function): why}.
# Only a re-raise that wraps another error's text belongs here, and only when its Chinese text cannot simply be
# built from ``e.text("zh")``; today every wrapper does that (cli._manifest_language, profiles, runner), so the list
# is empty. An entry that no longer matches a construction fails the test, so the list cannot go stale.
_NO_CHINESE_ALLOWED: dict[tuple[str, str], str] = {}


def _calls_with_function(names: tuple[str, ...]):
    """(file, innermost enclosing function or "<module>", call) of every call of one of ``names`` (bare or as an
    attribute) in src/."""
    for path in sorted((ROOT / "src" / "evaluation").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: dict[int, tuple[str, ast.Call]] = {}
        # ast.walk goes breadth first, so a nested function comes after its parent and its name wins
        for scope in ast.walk(tree):
            if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(scope):
                    name = isinstance(node, ast.Call) and (getattr(node.func, "id", None)
                                                           or getattr(node.func, "attr", None))
                    if name in names:
                        found[id(node)] = (getattr(scope, "name", "<module>"), node)
        for fn, node in sorted(found.values(), key=lambda f: f[1].lineno):
            yield path.relative_to(ROOT).as_posix(), fn, node


def test_every_jinlin_error_the_package_raises_has_chinese_text():
    """Issue 17: every error the CLI prints is in the run's language, so each construction of a JinlinError or
    RunFailed in src/ passes a Chinese text (second argument or zh=), not only the ParameterErrors."""
    calls = list(_calls_with_function(("JinlinError", "RunFailed")))
    missing, allowed_used = [], set()
    for path, fn, node in calls:
        if len(node.args) >= 2 or "zh" in {k.arg for k in node.keywords}:
            continue
        if (path, fn) in _NO_CHINESE_ALLOWED:
            allowed_used.add((path, fn))
            continue
        missing.append(f"{path}:{node.lineno} ({fn})")
    assert len(calls) > 30 and missing == []
    assert allowed_used == set(_NO_CHINESE_ALLOWED)


def test_errors_outside_parameters_are_explained_in_chinese(tmp_path, capsys):
    from evaluation.cli import main
    from evaluation.run.runfiles import read_run_file

    assert main(["--lang", "zh", "generate", "--scale", "0", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "--scale 至少为 1" in err and "must be" not in err
    assert main(["--lang", "zh", "docx", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "不存在" in err and "修改：" in err and "fix:" not in err
    bad = tmp_path / "manifest.json"
    bad.write_text("{}", encoding="utf-8")
    import pytest

    from evaluation.errors import JinlinError

    with pytest.raises(JinlinError) as e:
        read_run_file(bad, "manifest.json", lambda m: False, "not a run manifest", "不是运行清单")
    assert e.value.text("zh").startswith(f"{bad} 不是运行清单") and str(e.value).startswith(f"{bad} is not")


def test_a_bad_parameter_is_explained_in_chinese(capsys):
    from evaluation.cli import main

    assert main(["--lang", "zh", "run", "-p", "report_year=abc", "-p", "min_cell=0", "-p", "reprot=1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "参数有误" in err and "report_year = 'abc'：应为整数" in err
    assert "min_cell = 0：应不小于 1" in err and "没有这个参数" in err
    assert "Input should" not in err and "fix:" not in err
    assert main(["--lang", "en", "run", "-p", "report_year=abc"]) == 1
    assert "Input should be a valid integer" in capsys.readouterr().err


def test_a_bad_parameter_file_and_a_validator_are_explained_in_chinese(tmp_path):
    import pickle

    import pytest

    from evaluation.errors import ParameterError
    from evaluation.params import load_params, parse_override

    bad = tmp_path / "bad.yaml"
    bad.write_text("language: zh\nlanguage: en\n", encoding="utf-8")
    with pytest.raises(ParameterError) as e:
        load_params(bad)
    assert "出现了两次" in e.value.text("zh") and "given twice" in str(e.value)
    with pytest.raises(ParameterError) as e:
        load_params(tmp_path / "none.yaml")
    assert "不存在" in e.value.text("zh")
    with pytest.raises(ParameterError) as e:
        load_params(None, {"data_cutoff": "2023-06-30"})
    assert "早于报告年份 2024 的开始" in e.value.text("zh") and "Value error" not in e.value.text("zh")
    with pytest.raises(ParameterError) as e:
        parse_override("language")
    assert "不是 键=值 的形式" in e.value.text("zh")
    # sweep and profile workers send errors across processes: the Chinese text survives pickling
    again = pickle.loads(pickle.dumps(e.value))
    assert type(again) is ParameterError and again.text("zh") == e.value.text("zh") and str(again) == str(e.value)
