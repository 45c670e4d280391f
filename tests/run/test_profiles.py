"""`jinlin profiles`: communities checked before any kernel starts, the Parquet snapshot loads as the same district,
the pool runs real notebooks in worker processes, one failed community does not stop the others, and the index
page links every profile."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import mini_tables, write_tables

import evaluation.run.profiles as profiles_mod
import evaluation.run.kernel as kernel_mod
from evaluation.data import load_district
from evaluation.errors import ParameterError
from evaluation.run.profiles import (ProfileOutcome, index_html, profiles, run_profile, select_communities,
                                        write_snapshot)


def flaky_unit(community_id, parameters, out_dir, *rest):
    """Stand-in for one community's run (top level, so a spawned worker can import it): C02 fails, the others run
    the real notebook. Each call leaves its process id behind."""
    Path(out_dir, f"{community_id}.pid").write_text(str(os.getpid()), encoding="utf-8")
    if community_id == "C02":
        raise RuntimeError("forced failure of C02")
    return run_profile(community_id, parameters, out_dir, *rest)


def _params(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "d", mini_tables())
    p = tmp_path / "mini.yaml"
    p.write_text(f"data_dir: {folder}\nlanguage: en\n", encoding="utf-8")
    return p


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.tags: set[str] = set()
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "a":
            self._href = dict(attrs)["href"]
            self.links[self._href] = ""

    def handle_data(self, data):
        if self._href is not None:
            self.links[self._href] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def test_select_communities_names_every_unknown_id():
    listing = pd.DataFrame({"community_id": ["C01", "C02", "C03"], "name": ["一", "二", "三"]})
    assert select_communities(listing, None) == ["C01", "C02", "C03"]
    assert select_communities(listing, ["C03", " C01"]) == ["C01", "C03"]
    with pytest.raises(ParameterError, match="C09, L01"):
        select_communities(listing, ["C01", "C09", "L01"])


def test_unknown_community_is_refused_before_any_kernel_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles_mod, "run_profile", lambda *a: pytest.fail("must not run"))
    with pytest.raises(ParameterError, match="L01"):
        profiles(_params(tmp_path), communities=["C01", "L01"], out_root=tmp_path / "reports", progress=False)
    assert not (tmp_path / "reports" / "profiles-mini").exists()


def test_snapshot_loads_as_the_same_district(tmp_path):
    district = load_district(write_tables(tmp_path / "d", mini_tables()))
    snap = write_snapshot(district, tmp_path / "snap")
    again = load_district(snap)
    assert set(again.tables) == set(district.tables)
    for name, frame in district.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame)
    assert again.label == district.label and again.synthetic == district.synthetic
    assert {p.suffix for p in snap.iterdir()} == {".parquet", ".yaml"}


def test_index_page_links_every_profile_and_shows_failures():
    outcomes = [ProfileOutcome("C01", "海湾一社区", "ok", 1.0),
                ProfileOutcome("C02", "海湾<二>社区", "failed", 0.5, error="ValueError: bad <data>"),
                ProfileOutcome("C03", "渔港社区", "ok", 1.2)]
    page = index_html(outcomes, "zh", "default", 2024, notice="合成数据")
    parser = _Links()
    parser.feed(page)
    assert parser.links == {"C01.html": "海湾一社区（C01）", "C02.ipynb": "笔记本", "C03.html": "渔港社区（C03）"}
    assert "ValueError: bad &lt;data&gt;" in page and "海湾&lt;二&gt;社区" in page  # escaped, not markup
    assert "script" not in parser.tags and "link" not in parser.tags  # self-contained
    assert "成功 2 个，失败 1 个" in page and '<html lang="zh">' in page
    en = index_html(outcomes, "en", "default", 2024)
    assert "3 communities: 2 done, 1 failed" in en and "海湾一社区 (C01)" in en


def test_index_shows_each_communitys_key_figures_and_word_link():
    outcomes = [ProfileOutcome("C01", "海湾一社区", "ok", 1.0, results={
                    "profile.satisfaction_index.mean": {"value": 71.26, "ci_low": 68.0, "ci_high": 74.0},
                    "profile.on_time_rate.share": {"value": 0.8912},
                    "profile.events_reported.per_10k": {"value": None, "suppressed": "primary"}}),
                ProfileOutcome("C02", "渔港社区", "failed", 0.5, error="boom")]
    page = index_html(outcomes, "zh", "default", 2024, docx=True)
    assert "<th>满意度指数</th>" in page and "<th>按期办结率</th>" in page
    assert '<td class="num">71.3</td>' in page and '<td class="num">89.1%</td>' in page
    assert '<td class="num">—</td>' in page  # withheld or not recorded: a dash, not a number
    parser = _Links()
    parser.feed(page)
    assert parser.links["C01.docx"] == "Word" and "C02.docx" not in parser.links
    assert "C01.docx" not in index_html(outcomes, "zh", "default", 2024)


@pytest.mark.notebook
def test_profile_as_word_is_written_and_scanned(tmp_path):
    import docx as python_docx

    nb = _tiny_notebook(tmp_path / "tiny.ipynb", "海湾 社区")
    out = tmp_path / "out"
    out.mkdir()
    res = run_profile("C01", {}, str(out), "t", "zh", 60, frozenset({"李四光"}), notebook=str(nb), docx=True)
    assert res["status"] == "ok" and sorted(res["scanned"]) == ["C01.docx", "C01.html", "C01.ipynb"]
    doc = python_docx.Document(str(out / "C01.docx"))
    assert round(doc.sections[0].page_width.mm) == 210


@pytest.mark.notebook
def test_pool_of_two_workers_survives_a_failed_community(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles_mod, "run_profile", flaky_unit)
    out_root = tmp_path / "reports"
    result = profiles(_params(tmp_path), workers=2, out_root=out_root, progress=False)
    assert result.out_dir == out_root / "profiles-mini" and result.workers == 2
    assert [o.community_id for o in result.outcomes] == ["C01", "C02", "C03"]
    assert [o.status for o in result.outcomes] == ["ok", "failed", "ok"]
    assert not result.ok and [o.community_id for o in result.failed] == ["C02"]
    assert "forced failure of C02" in result.failed[0].error
    # the other communities ran the real notebook in worker processes, not in this one
    pids = {int(p.read_text()) for p in result.out_dir.glob("*.pid")}
    assert len(pids) >= 1 and os.getpid() not in pids
    for o in result.outcomes:
        if o.status == "ok":
            assert o.results["profile.community_id"]["value"] == o.community_id
            page = (result.out_dir / f"{o.community_id}.html").read_text(encoding="utf-8")
            assert "Community profile" in page and "<script src" not in page
    parser = _Links()
    parser.feed((result.out_dir / "index.html").read_text(encoding="utf-8"))
    assert parser.links == {"C01.html": "新一社区 (C01)", "C02.ipynb": "notebook", "C03.html": "新三社区 (C03)"}
    body = json.loads((result.out_dir / "results.json").read_text(encoding="utf-8"))["communities"]
    assert body["C02"]["status"] == "failed" and body["C03"]["results"]["profile.community_id"]["value"] == "C03"
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["failed"] == {"C02": result.failed[0].error} and manifest["workers"] == 2
    # published in place; the snapshot, the temporary folder and the lock are gone
    assert not (result.out_dir / ".snapshot").exists()
    assert sorted(p.name for p in out_root.iterdir()) == ["profiles-mini"]


def _tiny_notebook(path: Path, text: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("community_id = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("from IPython.display import Markdown, display\n"
                                          f"display(Markdown('# {text} ' + community_id))")]
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_worker_scan_fails_a_community_whose_outputs_hold_personal_data(tmp_path):
    nb = _tiny_notebook(tmp_path / "tiny.ipynb", "张三丰 联系")
    out = tmp_path / "out"
    out.mkdir()
    ok = run_profile("C01", {}, str(out), "t", "zh", 60, frozenset({"李四光"}), notebook=str(nb))
    assert ok["status"] == "ok" and sorted(ok["scanned"]) == ["C01.html", "C01.ipynb"]
    assert "张三丰 联系 C01" in (out / "C01.html").read_text(encoding="utf-8")
    leak = run_profile("C02", {}, str(out), "t", "zh", 60, frozenset({"张三丰"}), notebook=str(nb))
    assert leak["status"] == "failed" and "personal data" in leak["error"] and "张三丰" not in leak["error"]
    assert not (out / "C02.html").exists() and not (out / "C02.ipynb").exists()
    profiles_mod.close_warm_kernel()  # run_profile kept its kernel in this process


def _leftover_notebook(path: Path) -> Path:
    """A profile that shows whether a variable of an earlier profile is still defined, and defines one."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("community_id = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("from evaluation.report import record\n"
                                          "record('profile.leftover', 'earlier' in dir())\n"
                                          "earlier = community_id")]
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_a_reused_kernel_starts_each_profile_from_an_empty_namespace(tmp_path):
    nb = _leftover_notebook(tmp_path / "leftover.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    try:
        first = run_profile("C01", {}, str(out), "t", "en", 60, notebook=str(nb))
        km = kernel_mod._WARM["km"]
        second = run_profile("C02", {}, str(out), "t", "en", 60, notebook=str(nb))
        assert kernel_mod._WARM["km"] is km and km.has_kernel  # the same kernel ran both
    finally:
        profiles_mod.close_warm_kernel()
    assert first["status"] == second["status"] == "ok"
    assert first["results"]["profile.leftover"]["value"] is False
    assert second["results"]["profile.leftover"]["value"] is False


@pytest.mark.notebook
def test_profiles_in_a_reused_kernel_match_those_in_a_fresh_one(tmp_path):
    params = _params(tmp_path)
    # C03 runs after C01 and C02 in the same kernel, then alone in a new one
    warm = profiles(params, workers=1, out_root=tmp_path / "warm", progress=False)
    fresh = profiles(params, workers=1, out_root=tmp_path / "fresh", progress=False, communities=["C03"])
    assert [o.status for o in warm.outcomes] == ["ok", "ok", "ok"] and fresh.ok
    assert dict(warm.outcomes[2].results) == dict(fresh.outcomes[0].results)
    assert kernel_mod._WARM.get("km") is None  # profiles() shut its kernel down


def _snapshot_spy(community_id, parameters, out_dir, *rest):
    """Stand-in for one community's run that records what it was given to read (workers=1: in this process)."""
    import stat

    data = Path(parameters["data_dir"])
    seen = {"data_dir": str(data), "mode": stat.S_IMODE(data.stat().st_mode),
            "columns": {p.stem: list(pd.read_parquet(p).columns) for p in data.glob("*.parquet")}}
    Path(out_dir, f"{community_id}.seen.json").write_text(json.dumps(seen), encoding="utf-8")
    return {"community_id": community_id, "status": "ok", "seconds": 0.0, "error": None, "results": {},
            "scanned": []}


def test_snapshot_is_private_outside_reports_without_personal_or_free_text_columns(tmp_path, monkeypatch):
    import tempfile

    t = mini_tables()
    t["grid_events"]["description"] = ["楼道堆物", "邻里纠纷", "路灯不亮"]
    t["survey_responses"]["comment"] = "很好"
    folder = write_tables(tmp_path / "d", t)
    params = tmp_path / "mini.yaml"
    params.write_text(f"data_dir: {folder}\nlanguage: en\n", encoding="utf-8")
    monkeypatch.setattr(profiles_mod, "run_profile", _snapshot_spy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "systmp"))
    (tmp_path / "systmp").mkdir()
    stale = tmp_path / "systmp" / "jinlin-snapshot-999999999-abc"  # left by a killed run (no such process)
    stale.mkdir()
    (stale / "survey_responses.parquet").write_bytes(b"old")
    out_root = tmp_path / "reports"
    result = profiles(params, workers=1, out_root=out_root, progress=False)
    seen = json.loads((result.out_dir / "C01.seen.json").read_text(encoding="utf-8"))
    data = Path(seen["data_dir"])
    assert data.parent == tmp_path / "systmp" and out_root not in data.parents
    assert seen["mode"] == 0o700
    assert "description" not in seen["columns"]["grid_events"] and "category" in seen["columns"]["grid_events"]
    assert "comment" not in seen["columns"]["survey_responses"] and "q_overall" in seen["columns"]["survey_responses"]
    # removed at the end, and the stale one of the killed run too
    assert list((tmp_path / "systmp").iterdir()) == []
    assert sorted(p.name for p in out_root.iterdir()) == ["profiles-mini"]


def test_profiles_with_overrides_write_their_own_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles_mod, "run_profile", _snapshot_spy)
    out_root = tmp_path / "reports"
    base = profiles(_params(tmp_path), workers=1, out_root=out_root, progress=False, communities=["C01"])
    other = profiles(_params(tmp_path), {"report_year": 2023}, workers=1, out_root=out_root, progress=False,
                     communities=["C01"])
    assert base.out_dir.name == "profiles-mini" and other.out_dir.name == "profiles-mini+report_year=2023"
    assert json.loads((other.out_dir / "manifest.json").read_text())["overrides"] == {"report_year": 2023}


@pytest.mark.notebook
def test_chinese_profile_documents_carry_no_internal_codes(tmp_path):
    """One community's profile of the synthetic district as Word (issue 17: the same check as the report's)."""
    import docx as python_docx

    from evaluation.text.i18n import latin_codes

    result = profiles_mod.profiles(communities=["C01"], out_root=tmp_path, progress=False, workers=1, docx=True)
    assert result.ok
    doc = python_docx.Document(str(result.out_dir / "C01.docx"))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for tbl in doc.tables for row in tbl.rows for c in row.cells])
    assert latin_codes(text) == []
    assert '<a href="C01.docx">' in (result.out_dir / "index.html").read_text(encoding="utf-8")
