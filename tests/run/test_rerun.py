"""Re-runs: same parameters plus overrides, refused on changed data unless accepted, reproducible byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from conftest import mini_tables, write_tables

import evaluation.run.runner as runner
from evaluation.errors import JinlinError, ParameterError
from evaluation.report.record import MIME
from evaluation.run.rerun import RerunResult, data_changes, overrides_hash, read_manifest, rerun
from evaluation.run.runner import run


def _params(tmp_path: Path, folder: Path) -> Path:
    p = tmp_path / "mini.yaml"
    p.write_text(f"data_dir: {folder}\nlanguage: zh\nsurvey_planned_n: 3\nmin_cell: 7\n", encoding="utf-8")
    return p


def _fake_execute(names, params, out_dir, progress=None):
    """Stand-in for papermill: one notebook per name recording the parameters it was given."""
    for name in names:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("record(...)")
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            MIME: {"key": f"test.{k}.value", "result": {"value": getattr(params, k)}},
            "text/plain": "recorded"}) for k in ("language", "min_cell", "survey_planned_n")]
        nb.cells.append(cell)
        nbformat.write(nb, out_dir / f"{name}.ipynb")
    return dict.fromkeys(names, 0.0)


@pytest.fixture
def fake_notebooks(monkeypatch):
    monkeypatch.setattr(runner, "execute_notebooks", _fake_execute)


@pytest.fixture
def original(tmp_path, fake_notebooks):
    folder = write_tables(tmp_path / "d", mini_tables())
    return run(_params(tmp_path, folder), out_root=tmp_path / "reports"), folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_data_changes_finds_changed_missing_and_added_files(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    manifest = {"data": {"folder": str(folder), "files": {
        t: {"file": f"{t}.csv", "sha256": _sha(folder / f"{t}.csv")}
        for t in mini_tables()}}}
    assert data_changes(manifest) == ()
    del manifest["data"]["files"]["survey_responses"]  # as if the original run had no survey file
    old_grid = _sha(folder / "grid_events.csv")
    with open(folder / "grid_events.csv", "a", encoding="utf-8") as f:
        f.write("E4,C01,safety,2024-06-01 08:00:00,,open\n")
    (folder / "population.csv").unlink()
    changes = {c.table: c for c in data_changes(manifest)}
    assert set(changes) == {"grid_events", "population", "survey_responses"}
    assert changes["grid_events"].kind == "changed"
    assert changes["grid_events"].old_sha256 == old_grid
    assert changes["grid_events"].new_sha256 == _sha(folder / "grid_events.csv")
    assert changes["population"].kind == "missing" and changes["population"].new_sha256 is None
    assert changes["survey_responses"].kind == "added"
    assert old_grid[:12] in changes["grid_events"].describe()


def test_rerun_applies_overrides_to_the_manifest_params(original, tmp_path):
    first, _ = original
    result = rerun(first.out_dir / "manifest.json", {"language": "en"})
    assert isinstance(result, RerunResult)
    expected = hashlib.sha256(json.dumps({"language": "en"}, sort_keys=True).encode()).hexdigest()[:8]
    assert overrides_hash({"language": "en"}) == expected
    assert result.out_dir == tmp_path / "reports" / f"mini-rerun-{expected}"
    # the override changed; everything else is the original run's
    assert result.results["test.language.value"]["value"] == "en"
    assert result.results["test.min_cell.value"]["value"] == 7
    assert result.results["test.survey_planned_n.value"]["value"] == 3
    manifest = read_manifest(result.out_dir)
    assert manifest["params"]["language"] == "en" and manifest["params"]["min_cell"] == 7
    assert manifest["rerun"]["of"] == str(first.out_dir / "manifest.json")
    assert manifest["rerun"]["overrides"] == {"language": "en"}
    assert manifest["command"].startswith("jinlin rerun ") and "-p language=en" in manifest["command"]
    assert manifest["params_file"] == read_manifest(first.out_dir)["params_file"]
    assert result.data_changes == ()


def test_rerun_named_and_into_another_folder(original, tmp_path):
    first, _ = original
    with pytest.raises(JinlinError, match="would replace the run it re-runs"):
        rerun(first.out_dir, {}, name="mini")
    result = rerun(first.out_dir, {}, out_root=tmp_path / "elsewhere", name="check")
    assert result.out_dir == tmp_path / "elsewhere" / "check"
    assert result.results == first.results


def test_rerun_refuses_changed_data_and_names_the_file(original):
    first, folder = original
    old = _sha(folder / "grid_events.csv")
    (folder / "grid_events.csv").write_text(
        (folder / "grid_events.csv").read_text(encoding="utf-8").replace("dispute", "safety"), encoding="utf-8")
    new = _sha(folder / "grid_events.csv")
    with pytest.raises(JinlinError) as e:
        rerun(first.out_dir / "manifest.json", {"language": "en"})
    msg = str(e.value)
    assert "grid_events.csv" in msg and old[:12] in msg and new[:12] in msg
    assert "--accept-changed-data" in msg
    assert "population.csv" not in msg  # unchanged files are not named
    assert not list((first.out_dir.parent).glob("mini-rerun-*"))


def test_rerun_accepts_changed_data_when_asked_and_records_it(original):
    first, folder = original
    (folder / "population.csv").unlink()
    result = rerun(first.out_dir / "manifest.json", {}, accept_changed_data=True)
    assert [c.file for c in result.data_changes] == ["population.csv"]
    assert any("population.csv" in n for n in result.notes)
    manifest = read_manifest(result.out_dir)
    assert manifest["rerun"]["data_changes"][0]["kind"] == "missing"
    assert manifest["command"].endswith("--accept-changed-data")


def test_rerun_notes_a_different_commit(original):
    first, _ = original
    path = first.out_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    now = runner.git_commit()
    if not now["commit"]:
        pytest.skip("not a git checkout")
    manifest["git"] = {"commit": "0" * 40, "dirty": False}
    manifest["versions"]["pandas"] = "0.0.1"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    messages = []
    result = rerun(path, {"language": "en"}, progress=messages.append)
    assert any("0000000000" in n and now["commit"][:10] in n for n in result.notes)
    assert any("pandas 0.0.1" in n for n in result.notes)
    assert any(m.startswith("note: the code differs") for m in messages)


def test_rerun_drops_a_parameter_the_code_no_longer_has(original):
    first, _ = original
    path = first.out_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["params"]["retired_option"] = "x"
    manifest["params_sha256"] = runner.manifest_checksum(manifest)  # as an older version would have written it
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = rerun(path, {})
    assert any("retired_option='x'" in n for n in result.notes)
    assert "retired_option" not in read_manifest(result.out_dir)["params"]


def test_rerun_rejects_invalid_overrides_before_running(original, monkeypatch):
    first, _ = original
    monkeypatch.setattr(runner, "execute_notebooks", lambda *a, **k: pytest.fail("must not run"))
    with pytest.raises(ParameterError, match="langauge: unknown parameter.*did you mean 'language'") as e:
        rerun(first.out_dir / "manifest.json", {"langauge": "en"})
    assert str(e.value).startswith(f"the parameters of {first.out_dir / 'manifest.json'} with the overrides")
    assert "jinlin-rerun-" not in str(e.value)  # not the temporary parameter file
    with pytest.raises(ParameterError, match="min_cell"):
        rerun(first.out_dir / "manifest.json", {"min_cell": 0})


def test_read_manifest_rejects_other_files(tmp_path):
    (tmp_path / "manifest.json").write_text('{"results": {}}', encoding="utf-8")
    with pytest.raises(JinlinError, match="not a run manifest"):
        read_manifest(tmp_path)
    with pytest.raises(JinlinError, match="does not exist"):
        read_manifest(tmp_path / "nope" / "manifest.json")


def test_rerun_refuses_a_hand_edited_manifest(original, monkeypatch):
    first, _ = original
    monkeypatch.setattr(runner, "execute_notebooks", lambda *a, **k: pytest.fail("must not run"))
    path = first.out_dir / "manifest.json"
    text = path.read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert manifest["params"]["min_cell"] == 7
    manifest["params"]["min_cell"] = 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(JinlinError, match="was edited after the run") as e:
        rerun(path, {})
    assert "-p key=value" in str(e.value)
    del manifest["params_sha256"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(JinlinError, match="has no params_sha256"):
        rerun(path, {})


@pytest.mark.parametrize("paramset", ["../outside", "a/b", "..", ""])
def test_rerun_refuses_a_paramset_that_escapes(original, monkeypatch, paramset):
    first, _ = original
    monkeypatch.setattr(runner, "execute_notebooks", lambda *a, **k: pytest.fail("must not run"))
    path = first.out_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["paramset"] = paramset
    manifest["params_sha256"] = runner.manifest_checksum(manifest)  # even with a matching hash
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ParameterError, match="cannot name a report folder"):
        rerun(path, {})
    with pytest.raises(ParameterError, match="cannot name a report folder"):
        rerun(first.out_dir, {}, name="../x")


def test_rerun_never_replaces_the_parameter_set_report(original):
    first, _ = original
    before = (first.out_dir / "results.json").read_bytes()
    result = rerun(first.out_dir, {"language": "en"})
    assert result.out_dir.name.startswith("mini-rerun-") and result.out_dir != first.out_dir
    assert (first.out_dir / "results.json").read_bytes() == before
    with pytest.raises(JinlinError, match="would replace"):
        rerun(result.out_dir, {"language": "zh"}, name="mini")
    assert read_manifest(result.out_dir)["params_sha256"] == runner.manifest_checksum(read_manifest(result.out_dir))


@pytest.mark.slow
@pytest.mark.notebook
def test_real_rerun_without_overrides_reproduces_results_byte_for_byte(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    first = run(_params(tmp_path, folder), out_root=tmp_path / "reports")
    again = rerun(first.out_dir / "manifest.json")
    assert (again.out_dir / "results.json").read_bytes() == (first.out_dir / "results.json").read_bytes()
    assert again.out_dir.name == f"mini-rerun-{overrides_hash({})}"
