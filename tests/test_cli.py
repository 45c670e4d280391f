"""The command line: readable help, exit codes, and no traceback on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, mini_tables, write_tables

from evaluation.cli import main


def _jinlin(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    # The messages follow JINLIN_LANG or the locale when nothing else says: fix it, whatever the machine's locale.
    return subprocess.run([sys.executable, "-m", "evaluation.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "JINLIN_LANG": lang})


def test_help_lists_commands():
    r = _jinlin("--help")
    assert r.returncode == 0
    for cmd in ("validate", "generate", "run", "audit", "profiles", "rerun", "diff", "sweep", "docx", "dictionary"):
        assert cmd in r.stdout
    assert "examples:" in r.stdout


def test_validate_clean_folder(mini_district, capsys, monkeypatch):
    monkeypatch.setenv("JINLIN_LANG", "en")
    assert main(["validate", str(mini_district)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["--lang", "zh", "validate", str(mini_district)]) == 0
    assert "通过校验" in capsys.readouterr().out


def test_messages_follow_lang_and_the_run(tmp_path):
    """Issue 17: validation and CLI messages in the run's language, with --lang for the CLI."""
    t = mini_tables()
    t["grid_events"].loc[1, "closed_at"] = "2024-01-01 00:00:00"
    folder = write_tables(tmp_path / "d", t)
    r = _jinlin("validate", str(folder), "--lang", "zh")
    assert r.returncode == 1
    assert "grid_events.csv，第 3 行，closed_at 列" in r.stdout and "修改：" in r.stdout and "fix:" not in r.stdout
    assert "处错误" in r.stdout
    assert "fix:" in _jinlin("--lang", "en", "validate", str(folder), lang="zh").stdout  # --lang wins over the rest
    assert "修改：" in _jinlin("validate", str(folder), lang="zh").stdout  # JINLIN_LANG
    # a Chinese run on bad data stops with the problems in Chinese, an English run in English
    for language, words in (("zh", "不符合数据规范"), ("en", "break the data contract")):
        params = tmp_path / f"{language}.yaml"
        params.write_text(f"data_dir: {folder}\nlanguage: {language}\n", encoding="utf-8")
        r = _jinlin("run", "--params", str(params), lang="en" if language == "zh" else "zh")
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr


def test_validate_bad_folder_exit_1_without_traceback(tmp_path):
    t = mini_tables()
    t["grid_events"].loc[1, "closed_at"] = "2024-01-01 00:00:00"
    folder = write_tables(tmp_path / "d", t)
    r = _jinlin("validate", str(folder))
    assert r.returncode == 1
    assert "grid_events.csv, row 3, column closed_at" in r.stdout and "fix:" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_run_with_bad_parameters_exit_1(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("language: NO\n")
    r = _jinlin("run", "--params", str(p))
    assert r.returncode == 1 and "language" in r.stderr and "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("language: NO\n")
    r = _jinlin("run", "--params", str(p), "--debug")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_generate_writes_the_bundled_district_again(tmp_path):
    r = _jinlin("generate", str(tmp_path / "g"), "--seed", "20241231")
    assert r.returncode == 0 and "synthetic district" in r.stdout
    for name in ("petitions.csv", "truth.json", "dataset.yaml"):
        assert (tmp_path / "g" / name).read_bytes() == (ROOT / "data" / "synthetic" / name).read_bytes()


def test_plain_papermill_with_the_default_parameter_file(tmp_path):
    """Notebooks run under plain papermill with params/default.yaml, outside jinlin."""
    papermill = Path(sys.executable).parent / "papermill"
    out = tmp_path / "00.ipynb"
    r = subprocess.run([str(papermill), "notebooks/00_data_quality.ipynb", str(out), "-f", "params/default.yaml",
                        "-k", "python3", "--no-progress-bar"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "data.rows.grid_events" in out.read_text(encoding="utf-8")


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return out.err


def test_binary_and_badly_named_params_files_exit_1(tmp_path, capsys):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    err = _error(capsys, ["run", "--params", str(binary)])
    assert str(binary) in err and "UTF-8" in err and "fix:" in err
    dots = tmp_path / "..yaml"
    dots.write_text("language: en\n", encoding="utf-8")
    err = _error(capsys, ["run", "--params", str(dots)])
    assert "cannot name a report folder" in err and "fix:" in err
    dup = tmp_path / "dup.yaml"
    dup.write_text("min_cell: 5\nmin_cell: 1\n", encoding="utf-8")
    assert "'min_cell' is given twice" in _error(capsys, ["run", "--params", str(dup)])


def test_unwritable_reports_folder_is_refused_before_the_data_are_read(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    (root / "reports").write_text("a file where the reports folder should be")
    params = root / "p.yaml"
    params.write_text(f"data_dir: {tmp_path / 'no-such-district'}\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "evaluation.cli", "run", "--params", str(params)], capture_output=True,
                       text=True, cwd=root, timeout=120, env={**os.environ, "JINLIN_ROOT": str(root)})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    # refused for the reports folder, before the (missing) district was even looked at
    assert f"the reports folder {root / 'reports'} cannot be written" in r.stderr and "fix:" in r.stderr


def test_generate_refuses_a_non_empty_folder_unless_forced(tmp_path, capsys):
    target = tmp_path / "exports"
    target.mkdir()
    (target / "grid_events.csv").write_text("real data", encoding="utf-8")
    err = _error(capsys, ["generate", str(target)])
    assert "not empty (grid_events.csv)" in err and "--force" in err
    assert (target / "grid_events.csv").read_text(encoding="utf-8") == "real data"
    assert "is a file" in _error(capsys, ["generate", str(target / "grid_events.csv")])
    assert main(["generate", str(target), "--force"]) == 0
    assert (target / "dataset.yaml").exists()


def _results(path: Path, results: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.json").write_text(json.dumps({"results": results}), encoding="utf-8")
    return path


def test_diff_malformed_entries_and_html_folder(tmp_path, capsys):
    good = _results(tmp_path / "a", {"x.count": {"value": 3, "n": 3}, "claims.c1": {"value": "supported"}})
    bad = _results(tmp_path / "b", {"x.count": {"value": 3, "se": "big"}, "y": {"se": 1.0}, "z": 7})
    err = _error(capsys, ["diff", str(good), str(bad)])
    assert f"{bad / 'results.json'}: 3 malformed entries" in err
    assert "x.count, field se: \"big\" is not a number" in err and "y: no value field" in err
    assert "z: the entry is int 7, not a mapping" in err and "fix:" in err
    out = tmp_path / "new" / "folder" / "diff.html"
    assert main(["diff", str(good), str(good), "--html", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "is a folder" in _error(capsys, ["diff", str(good), str(good), "--html", str(tmp_path)])


def test_docx_with_a_bad_manifest_exit_1(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    err = _error(capsys, ["docx", str(run)])
    assert "manifest.json does not exist" in err and "--lang" in err
    (run / "manifest.json").write_text("{not json", encoding="utf-8")
    assert "is not valid JSON" in _error(capsys, ["docx", str(run)])
    (run / "manifest.json").write_text('{"params": {}}', encoding="utf-8")
    assert "no params.language" in _error(capsys, ["docx", str(run)])
    assert "does not exist" in _error(capsys, ["docx", str(tmp_path / "nowhere")])


def test_audit_binary_md_and_non_zip_docx_exit_1(tmp_path, capsys, mini_district):
    md = tmp_path / "s.md"
    md.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    err = _error(capsys, ["audit", str(md), "--data", str(mini_district)])
    assert f"{md} is not a text file" in err and "fix:" in err
    docx = tmp_path / "s.docx"
    docx.write_text("not a zip", encoding="utf-8")
    err = _error(capsys, ["audit", str(docx), "--data", str(mini_district)])
    assert f"{docx} is not a Word .docx file" in err and "fix:" in err


def test_a_file_given_as_the_folder_is_named_as_such(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    r = _jinlin("validate", str(folder / "communities.csv"))
    assert r.returncode == 1
    assert "this is a file" in r.stdout and f"give the folder that holds it: {folder}" in r.stdout
    assert "does not exist" not in r.stdout


def test_audit_and_docx_take_the_language_given_before_the_command(mini_district, tmp_path, capsys, monkeypatch):
    """`jinlin --lang en audit …` is as `jinlin audit --lang en …`: a subcommand's own --lang default used to overwrite
    the one given before the command (the wheel test's audit printed Chinese after --lang en)."""
    monkeypatch.setenv("JINLIN_LANG", "zh")
    sub = ROOT / "data" / "submissions" / "daya_bay_2024.md"
    results = tmp_path / "none.json"
    results.write_text('{"results": {}}', encoding="utf-8")
    outputs = {}
    for args in (["--lang", "en", "audit"], ["audit", "--lang", "en"], ["audit"]):
        assert main([*args, str(sub), "--data", str(mini_district), "--format", "table", "--results",
                     str(results)]) == 0
        outputs[" ".join(args)] = capsys.readouterr().out
    assert outputs["--lang en audit"] == outputs["audit --lang en"]
    assert outputs["audit"] != outputs["audit --lang en"]  # the appendix is Chinese unless asked otherwise
