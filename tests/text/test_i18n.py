"""The catalogue is YAML only (resources/i18n/*.yaml, issue 18), and plain() gives its texts unescaped."""

from __future__ import annotations

import ast

import pytest
import yaml
from conftest import ROOT

import evaluation.config
from evaluation.text import i18n
from evaluation.text.i18n import CATALOGUE, plain, t

I18N = ROOT / "src" / "evaluation" / "resources" / "i18n"


def test_every_entry_comes_from_a_yaml_file():
    from_yaml = {}
    for path in sorted(I18N.glob("*.yaml")):
        from_yaml.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    assert from_yaml == CATALOGUE
    # and the module holds no entries of its own: CATALOGUE is assigned an empty dict only
    tree = ast.parse((ROOT / "src" / "evaluation" / "text" / "i18n.py").read_text(encoding="utf-8"))
    assigned = [n.value for n in ast.walk(tree)
                if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "CATALOGUE"]
    assert len(assigned) == 1 and isinstance(assigned[0], ast.Dict) and not assigned[0].keys


def test_plain_formats_without_markdown_escaping():
    # a run name with Markdown punctuation: t() escapes it for the report, plain() leaves it for the terminal
    assert plain("run.progress.failed", "zh") == "    失败"
    assert plain("cli.run.done", "en", out="reports/a*b", n=3) == \
        "report written to reports/a*b/ (report.html, results.json, manifest.json; 3 recorded figures)"
    assert t("cli.run.done", "en", out="reports/a*b", n=3).startswith("report written to reports/a\\*b/")
    assert plain("punct.list", "zh").join(["甲", "乙"]) == "甲、乙"
    assert plain("punct.list", "en").join(["a", "b"]) == "a, b"
    with pytest.raises(KeyError, match="resources/i18n"):
        plain("no.such.key", "en")


@pytest.mark.parametrize("text, problem", [
    ("yes: {zh: 是, en: yes}\n", "not a string"),  # YAML 1.1 reads a bare yes as True
    ('"a.key": {zh: 甲}\n', "exactly zh and en"),
])
def test_a_malformed_file_is_refused(tmp_path, monkeypatch, text, problem):
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "bad.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(evaluation.config, "RESOURCES_DIR", tmp_path)
    monkeypatch.setattr(i18n, "CATALOGUE", {})
    with pytest.raises(ValueError, match=problem):
        i18n._load_sections()


def test_a_key_defined_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "i18n").mkdir()
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "i18n" / name).write_text('k: {zh: "甲", en: "a"}\n', encoding="utf-8")
    monkeypatch.setattr(evaluation.config, "RESOURCES_DIR", tmp_path)
    monkeypatch.setattr(i18n, "CATALOGUE", {})
    with pytest.raises(ValueError, match="defined twice"):
        i18n._load_sections()
