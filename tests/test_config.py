"""Paths: the files the package ships are found in the package, and in a checkout they are the checkout's own files
(one copy in git); relative paths naming them fall back to the package's copies (issue 18)."""

from __future__ import annotations

from conftest import ROOT

from evaluation import config
from evaluation.claims.criteria import load_award_criteria
from evaluation.claims.match import load_rules
from evaluation.params import load_params


def test_linked_resources_are_the_checkouts_files():
    # resources/notebooks, params and submissions are links: editing notebooks/ edits what the package runs
    assert config.NOTEBOOKS_DIR == ROOT / "notebooks" and config.PARAMS_DIR == ROOT / "params"
    assert config.bundled("params/default.yaml").samefile(ROOT / "params" / "default.yaml")
    assert config.bundled("data/submissions/daya_bay_2024.md").samefile(
        ROOT / "data" / "submissions" / "daya_bay_2024.md")
    assert config.bundled("./notebooks/50_award_claims.ipynb").samefile(ROOT / "notebooks" / "50_award_claims.ipynb")


def test_only_shipped_files_are_bundled():
    for path in ("params/no_such.yaml", "data/synthetic/truth.json", "params", "../params/default.yaml",
                 ROOT / "params" / "default.yaml", "data/claims_rules.csv"):
        assert config.bundled(path) is None, path


def test_resolve_falls_back_to_the_package_only_for_missing_shipped_files(tmp_path):
    submission = "data/submissions/daya_bay_2024.md"
    assert config.resolve(submission, base=tmp_path) == config.bundled(submission)
    (tmp_path / "data" / "submissions").mkdir(parents=True)
    (tmp_path / submission).write_text("own text", encoding="utf-8")
    assert config.resolve(submission, base=tmp_path) == tmp_path / submission  # the folder's own file wins
    assert config.resolve("data/synthetic", base=tmp_path) == tmp_path / "data" / "synthetic"


def test_default_parameter_set_and_claims_tables_from_any_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params, name = load_params("params/default.yaml")
    assert name == "default" and params.data_dir == "data/synthetic"
    assert config.CLAIMS_RULES.is_relative_to(config.RESOURCES_DIR)
    assert len(load_rules()) > 0 and len(load_award_criteria()) > 0
