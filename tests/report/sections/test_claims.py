"""Notebook 50's sections (:mod:`evaluation.report.sections.claims`): a two-figure submission audited against the
small district of conftest (3 current communities, 2 closed grid events)."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from conftest import mini_tables, write_tables
from IPython.display import Markdown

from evaluation.data import load_district
from evaluation.params import RunParams
from evaluation.report.sections import claims as page

TEXT = "全区现有3个社区。今年办结网格事件5件。"


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    folder = write_tables(tmp_path_factory.mktemp("d"), mini_tables())
    sub = tmp_path_factory.mktemp("s") / "s.md"
    sub.write_text(TEXT, encoding="utf-8")
    params = RunParams(data_dir=str(folder), submission=str(sub), language="en")
    return load_district(folder), params


@pytest.fixture(scope="module")
def result(setting):
    district, params = setting
    return page.audit_submission(district, params)[0]


def test_audit_submission_reads_the_run_submission_and_prior_results(setting, result, tmp_path):
    district, params = setting
    assert result.verdicts["raw"].tolist() == ["3个", "5件"]
    assert set(result.data_hashes) == set(district.files)
    prior = tmp_path / "results.json"
    prior.write_text(json.dumps({"results": {"survey.satisfaction_index.mean": {"value": 0.9}}}), encoding="utf-8")
    again, path = page.audit_submission(district, params, str(prior))
    assert path.name == "s.md" and again.figures["survey.satisfaction_index.mean"] == {"value": 0.9}
    (path.parent / "claims.yaml").write_text("ignore:\n  - 5件\n", encoding="utf-8")  # a hand pin beside the text
    pinned = page.audit_submission(district, params)[0].verdicts.set_index("raw")
    assert pinned.loc["5件", "reason"] == "ignored"
    (path.parent / "claims.yaml").unlink()


def test_readable_writes_figures_and_intervals_as_words():
    frame = pd.DataFrame({"value": [148000.0, 51.5504], "unit": ["", "%"], "kind": ["count", "rate"],
                          "computed": [None, 51.5504], "low": [100000.0, 50.0], "high": [150000.0, 60.0],
                          "low_inclusive": [True, True], "high_inclusive": [False, False],
                          "ci_low": [None, 49.0], "ci_high": [None, 62.0]})
    zh = page.readable(frame, "zh")
    assert zh["value"].tolist()[0] == "14.8万" and zh["computed"].tolist() == ["", "51.55%"]
    assert zh["interval"].tolist()[1] == "50%至60%（不含60%）"
    assert zh["ci"].tolist() == ["", "49%至62%"]
    assert page.readable(frame, "en")["ci"].tolist() == ["", "49% to 62%"]
    assert frame["value"].tolist() == [148000.0, 51.5504]  # the input is left as it was


def test_extracted(result):
    views, records = page.extracted(result, "en")
    assert records == {"claims.figures.count": {"value": 2}}
    assert views[0].data.shape == (2, 7) and "3个" in views[0].to_html()


def test_verdicts_name_the_contradicted_figure_and_record_each_check(result):
    views, records = page.verdicts(result, "en")
    assert records["claims.verdict.supported"] == {"value": 1}
    assert records["claims.verdict.contradicted"] == {"value": 1}
    assert records["claims.figures.checked"] == {"value": 2}
    assert records["claims.check.grid_events_closed_count"] == {"value": "contradicted", "computed": 2.0}
    assert records["claims.check.data_communities_current"]["value"] == "supported"
    summary, note, table, contradicted = views
    assert isinstance(summary, Markdown) and "2" in summary.data
    assert "5件" in contradicted.data
    html = table.to_html()
    assert "contradicted" in html and "supported" in html
    zh = page.verdicts(result, "zh")[0]
    assert "不符" in zh[2].to_html() and zh[3].data != contradicted.data


def test_consistency_and_criteria(result):
    views, records = page.consistency(result, "en")  # two figures that cannot contradict each other
    assert records == {"claims.consistency.findings": {"value": 0}, "claims.consistency.warnings": {"value": 0}}
    assert isinstance(views[0], Markdown) and result.consistency.empty
    findings = pd.DataFrame({"claim_id": ["F001", "F002"], "raw": ["3个", "5件"], "check": ["a", "b"],
                             "severity": ["warning", "note"], "finding_zh": ["甲", "乙"], "finding_en": ["A", "B"]})
    views, records = page.consistency(replace(result, consistency=findings), "zh")
    assert records == {"claims.consistency.findings": {"value": 2}, "claims.consistency.warnings": {"value": 1}}
    assert views[0].data.iloc[:, -1].tolist() == ["甲", "乙"]
    views, records = page.criteria(result, "zh")
    assert records["claims.criteria.count"] == {"value": len(result.criteria)} and len(result.criteria) > 0
    weak = int(result.criteria["strength"].isin(["weak", "missing"]).sum())
    assert records["claims.criteria.weak_or_missing"] == {"value": weak}
    table = views[0].data
    assert table.shape == (len(result.criteria), 4)
    assert table.iloc[:, 1].tolist() == result.criteria["criterion_zh"].tolist()
