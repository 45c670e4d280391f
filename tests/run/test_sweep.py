"""Robustness sweeps: the spec is validated through RunParams, variants run in parallel, failures are isolated."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import mini_tables, write_tables

import evaluation.run.sweep as sweep_mod
from evaluation.config import PROJECT_ROOT
from evaluation.errors import ParameterError
from evaluation.run.sweep import (BASE, SWEEP_COLUMNS, expand_variants, headline_keys, load_sweep,
                                     specification_curve, sweep, sweep_summary)


def fake_unit(base, overrides, out_root, name):
    """Stand-in for one run (top level, so a spawned process or a Dask worker can import it by name)."""
    if overrides.get("min_cell") == 13:
        raise RuntimeError("unlucky variant")
    m = overrides.get("min_cell", 5)
    est = 1.0 + 0.1 * m - (0.5 if overrides.get("language") == "en" else 0.0)
    Path(out_root, name).mkdir(parents=True, exist_ok=True)
    return {"variant": name, "status": "ok", "error": None, "seconds": 0.0, "results": {
        "impact.x.att": {"value": est, "se": 0.2, "ci_low": est - 0.4, "ci_high": est + 0.4},
        "data.rows.grid_events": {"value": 3},
        "claims.c01.verdict": {"value": "一致"},
        "data.worker.pid": {"value": __import__("os").getpid()},
    }}


def _base(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "d", mini_tables())
    p = tmp_path / "mini.yaml"
    p.write_text(f"data_dir: {folder}\nlanguage: zh\nsurvey_planned_n: 3\n", encoding="utf-8")
    return p


def _spec(tmp_path: Path, text: str, name: str = "rob.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_grid_and_variants_expand_and_validate_through_runparams(tmp_path):
    base = _base(tmp_path)
    spec_path = _spec(tmp_path, f"""
base: {base.name}
grid:
  language: [en, zh]
  data_cutoff: {{year_end: null, june: "2024-06-30"}}
variants:
  - {{name: strict_cells, min_cell: 10}}
""")
    spec = load_sweep(spec_path)
    assert spec.name == "rob"  # the file's name
    path, variants = expand_variants(spec, spec_path)
    assert path == base.resolve()  # found next to the sweep file
    names = [v.name for v in variants]
    assert names == [BASE, "language=en+data_cutoff=year_end", "language=en+data_cutoff=june",
                     "language=zh+data_cutoff=year_end", "language=zh+data_cutoff=june", "strict_cells"]
    by = {v.name: v for v in variants}
    assert by["language=en+data_cutoff=june"].overrides == {"language": "en", "data_cutoff": "2024-06-30"}
    # strict YAML: the quoted date stays text
    assert isinstance(by["language=en+data_cutoff=june"].overrides["data_cutoff"], str)
    # every variant labels every varied parameter; the base's null cut-off shares the grid's label
    assert by[BASE].labels == {"language": "zh", "data_cutoff": "year_end", "min_cell": "5"}
    assert by["strict_cells"].labels == {"language": "zh", "data_cutoff": "year_end", "min_cell": "10"}


def test_bad_variants_are_all_reported_before_anything_runs(tmp_path, monkeypatch):
    base = _base(tmp_path)
    monkeypatch.setattr(sweep_mod, "run_variant", lambda *a: pytest.fail("must not run"))
    spec_path = _spec(tmp_path, f"""
base: {base}
grid:
  langauge: [en]
variants:
  - {{name: zero_cells, min_cell: 0}}
  - {{name: ok, min_cell: 10}}
""")
    with pytest.raises(ParameterError) as e:
        sweep(spec_path, out_root=tmp_path / "r", progress=False)
    msg = str(e.value)
    assert "variant langauge=en" in msg and "did you mean 'language'" in msg
    assert "variant zero_cells" in msg and "min_cell" in msg
    assert "variant ok" not in msg and "Nothing was run" in msg
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("text, match", [
    ("base: x.yaml\ngrid: {language: []}\n", "no values"),
    ("base: x.yaml\nvariants: [{min_cell: 3}]\n", "needs a name"),
    ("base: x.yaml\nvariant: []\n", "Extra inputs"),
    ("grid: {language: [en]}\n", "base"),
])
def test_spec_schema_errors(tmp_path, text, match):
    with pytest.raises(ParameterError, match=match):
        load_sweep(_spec(tmp_path, text))


def test_duplicate_names_and_missing_base(tmp_path):
    base = _base(tmp_path)
    dup = _spec(tmp_path, f"base: {base}\nvariants: [{{name: base, min_cell: 3}}]\n")
    with pytest.raises(ParameterError, match="repeated: base"):
        expand_variants(load_sweep(dup), dup)
    missing = _spec(tmp_path, "base: params/nope.yaml\n", "m.yaml")
    with pytest.raises(ParameterError, match="not found"):
        expand_variants(load_sweep(missing), missing)


def test_project_robustness_file_is_valid():
    path = PROJECT_ROOT / "params" / "robustness.yaml"
    _, variants = expand_variants(load_sweep(path), path)
    assert len(variants) >= 3 and variants[0].name == BASE
    varied = {k for v in variants for k in v.overrides}
    # what a referee varies (issue 17)
    assert {"control_group", "did_method", "anticipation", "base_period", "sensitivity_mbar", "min_cell"} <= varied
    assert {v.overrides.get("did_method") for v in variants} >= {"ipw", "reg"}


def test_robustness_comment_example_validates(tmp_path):
    import re

    text = (PROJECT_ROOT / "params" / "robustness.yaml").read_text(encoding="utf-8")
    example = re.search(r"^#\s+(grid: \{.*\})\s*$", text, re.M)
    assert example, "the comment's grid example is missing"
    spec = tmp_path / "example.yaml"
    spec.write_text(f"base: {PROJECT_ROOT / 'params' / 'default.yaml'}\n{example.group(1)}\n", encoding="utf-8")
    _, variants = expand_variants(load_sweep(spec), spec)
    assert len(variants) == 1 + 2 * 3


def _fake_spec(tmp_path: Path) -> Path:
    base = _base(tmp_path)
    return _spec(tmp_path, f"""
name: fake
base: {base}
grid:
  language: [en, zh]
  min_cell: [5, 13]
headline: ["impact.*"]
""")


def _check_fake_result(df: pd.DataFrame, folder: Path) -> None:
    assert list(df.columns[:7]) == list(SWEEP_COLUMNS)
    assert {"param.language", "param.min_cell"} <= set(df.columns)
    status = df.drop_duplicates("variant").set_index("variant")["status"]
    # the unlucky variants failed; the others ran regardless
    assert status.to_dict() == {BASE: "ok", "language=en+min_cell=5": "ok", "language=en+min_cell=13": "failed",
                                "language=zh+min_cell=5": "ok", "language=zh+min_cell=13": "failed"}
    failed = df[df["status"] == "failed"]
    assert failed["key"].isna().all() and failed["error"].str.contains("unlucky variant").all()
    att = df[df["key"] == "impact.x.att"].set_index("variant")
    assert att.loc["language=en+min_cell=5", "value"] == pytest.approx(1.0)
    assert att.loc[BASE, "ci_high"] == pytest.approx(1.9)
    assert att.loc[BASE, "param.language"] == "zh"
    # written as CSV with a BOM (Excel/WPS open the Chinese labels) and read back the same
    raw = (folder / "sweep.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(folder / "sweep.csv", encoding="utf-8-sig")
    assert len(back) == len(df) and "一致" in set(back["value"].astype(str))
    assert (folder / "spec_curve" / "impact.x.att.png").stat().st_size > 1000
    assert not (folder / "spec_curve" / "data.rows.grid_events.png").exists()
    assert (folder / "spec.yaml").exists()
    summary = sweep_summary(df, "en")
    assert "3 of 5 variant(s) ran" in summary and "FAILED language=en+min_cell=13" in summary
    # by default in the run's language: the base parameters are Chinese; names print unescaped
    summary = sweep_summary(df)
    assert df.attrs["language"] == "zh"
    assert "5 个设定中运行成功 3 个" in summary and "失败 language=en+min_cell=13：" in summary


def test_process_pool_runs_variants_in_parallel_and_isolates_failures(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_mod, "run_variant", fake_unit)
    df = sweep(_fake_spec(tmp_path), workers=2, out_root=tmp_path / "r", progress=False)
    folder = tmp_path / "r" / "sweep-fake"
    _check_fake_result(df, folder)
    # the work ran in worker processes, not here (how it spreads over the two is up to the scheduler)
    assert __import__("os").getpid() not in set(df.loc[df["key"] == "data.worker.pid", "value"])


def test_dask_cluster_runs_the_same_unit(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
    monkeypatch.setattr(sweep_mod, "run_variant", fake_unit)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        df = sweep(_fake_spec(tmp_path), scheduler=cluster.scheduler_address, out_root=tmp_path / "r",
                   progress=False)
    _check_fake_result(df, tmp_path / "r" / "sweep-fake")
    assert __import__("os").getpid() not in set(df.loc[df["key"] == "data.worker.pid", "value"])


@pytest.mark.notebook
def test_two_real_variants_end_to_end(tmp_path):
    base = _base(tmp_path)
    spec = _spec(tmp_path, f"name: real\nbase: {base}\ninclude_base: false\ngrid:\n  language: [en, zh]\n")
    df = sweep(spec, workers=2, out_root=tmp_path / "r", progress=False)
    folder = tmp_path / "r" / "sweep-real"
    assert set(df["status"]) == {"ok"}
    rows = df[df["key"] == "data.rows.grid_events"].set_index("variant")["value"]
    assert rows.to_dict() == {"language=en": 3, "language=zh": 3}
    for v in ("language=en", "language=zh"):
        manifest = json.loads((folder / v / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["params"]["language"] == v.split("=")[1]
        assert manifest["paramset"] == v
    en = json.loads((folder / "language=en" / "results.json").read_text(encoding="utf-8"))
    zh = json.loads((folder / "language=zh" / "results.json").read_text(encoding="utf-8"))
    assert en == zh  # the language changes the words, never the figures


def _curve_frame() -> pd.DataFrame:
    rows = []
    specs = {"base": ("zh", "5", 2.0), "a": ("en", "5", 1.0), "b": ("zh", "10", 3.0), "c": ("en", "10", -0.5)}
    for v, (lang, cell, est) in specs.items():
        rows.append({"variant": v, "key": "impact.x.att", "value": est, "ci_low": est - 1, "ci_high": est + 1,
                     "status": "ok", "error": None, "param.language": lang, "param.min_cell": cell})
    rows.append({"variant": "d", "key": None, "value": None, "ci_low": None, "ci_high": None, "status": "failed",
                 "error": "boom", "param.language": "en", "param.min_cell": "20"})
    return pd.DataFrame(rows)


def test_specification_curve_layout():
    df = _curve_frame()
    fig = specification_curve(df, "impact.x.att")
    top, bottom = fig.axes
    ys = list(top.collections[-1].get_offsets()[:, 1])
    assert ys == sorted(ys) == [-0.5, 1.0, 2.0, 3.0]
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels == ["language = en", "language = zh", "min_cell = 10", "min_cell = 5"]
    # the marks of "language = en" sit under the variants that used it (sorted positions 0 and 1: c, a)
    en_marks = sorted(bottom.collections[0].get_offsets()[:, 0])
    assert en_marks == [0, 1]
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["c", "a", "base", "b"]
    assert top.get_title() == "impact.x.att"
    assert any(abs(line.get_ydata()[0]) < 1e-12 for line in top.get_lines())  # zero line: 0 is in range
    with pytest.raises(ValueError, match="no numeric estimate"):
        specification_curve(df, "claims.c01.verdict")


def test_specification_curve_in_chinese():
    """Issue 17: the curves of a Chinese run are labelled in Chinese: axes, the varied parameters, the figure."""
    df = _curve_frame().replace({"impact.x.att": "impact.satisfaction_index.att"})
    fig = specification_curve(df, "impact.satisfaction_index.att", lang="zh")
    top, bottom = fig.axes
    assert top.get_ylabel() == "估计值" and bottom.get_xlabel() == "各设定（按估计值排序）"
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels == ["语言 = en", "语言 = zh", "最小公布单元 = 10", "最小公布单元 = 5"]
    assert top.get_title() != "impact.satisfaction_index.att" and "满意" in top.get_title()
    en = specification_curve(df, "impact.satisfaction_index.att", lang="en")
    assert en.axes[0].get_title() == "impact.satisfaction_index.att" and en.axes[0].get_ylabel() == "estimate"


def test_the_progress_bar_moves_once_per_specification(tmp_path, monkeypatch):
    """The bar counts the variants of the sweep and moves as each finishes, named in the run's language."""
    import tqdm.auto

    bars = []

    class Recorder:
        def __init__(self, total, desc, unit, disable):
            self.total, self.desc, self.unit, self.disable, self.updates = total, desc, unit, disable, []
            bars.append(self)

        def set_postfix_str(self, text, refresh=True):
            pass

        def update(self, n):
            self.updates.append(n)

        def close(self):
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    monkeypatch.setattr(sweep_mod, "run_variant", fake_unit)
    df = sweep(_fake_spec(tmp_path), workers=2, out_root=tmp_path / "r", progress=True)
    n = df["variant"].nunique()
    assert len(bars) == 1 and bars[0].total == n == 5 and bars[0].updates == [1] * n and not bars[0].disable
    assert (bars[0].desc, bars[0].unit) == ("稳健性检验", "个设定")


def test_headline_keys_default_to_keys_with_intervals():
    df = _curve_frame()
    extra = df.iloc[[0]].assign(key="grid.events_closed.count", ci_low=None, ci_high=None)
    df = pd.concat([df, extra], ignore_index=True)
    assert headline_keys(df) == ["impact.x.att"]
    assert headline_keys(df, ["grid.*"]) == ["grid.events_closed.count"]


@pytest.mark.notebook
def test_parallel_and_sequential_paths_give_identical_results(tmp_path):
    """The same parameters run directly and as a sweep variant in a worker process: byte-identical results.json."""
    from conftest import mini_tables, write_tables

    from evaluation.run.runner import run
    from evaluation.run.sweep import sweep

    folder = write_tables(tmp_path / "d", mini_tables())
    base = tmp_path / "same.yaml"
    base.write_text(f"data_dir: {folder}\nsurvey_planned_n: 3\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    spec = tmp_path / "one.yaml"
    spec.write_text(f"name: one\nbase: {base}\nvariants:\n  - {{name: en, language: en}}\n", encoding="utf-8")
    direct = run(base, out_root=tmp_path / "direct")
    table = sweep(spec, workers=2, out_root=tmp_path / "swept", progress=False)
    assert (table.drop_duplicates("variant")["status"] == "ok").all()
    swept = next((tmp_path / "swept").rglob("base/results.json"))
    assert swept.read_bytes() == (direct.out_dir / "results.json").read_bytes()


def test_sweep_file_binary_duplicate_key_and_dot_variant_are_refused(tmp_path):
    from evaluation.errors import ParameterError
    from evaluation.run.sweep import load_sweep

    p = tmp_path / "s.yaml"
    p.write_bytes(b"base: params/default.yaml\n\xff\xfe\x00")
    with pytest.raises(ParameterError, match="UTF-8"):
        load_sweep(p)
    p.write_text("base: params/default.yaml\nbase: params/other.yaml\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'base' is given twice"):
        load_sweep(p)
    p.write_text("base: params/default.yaml\nvariants:\n  - name: ..\n    language: en\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="variant 1 needs a name"):
        load_sweep(p)
