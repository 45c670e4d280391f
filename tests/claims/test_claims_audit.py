"""The audit end to end: the article on the synthetic district (planted truth), an altered copy, criteria, JSON,
the file layer and the Word appendix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import mini_tables, write_tables

from evaluation.claims import (
    AuditResult, audit, audit_files, read_submission, self_assessment,
    verdicts_json,
)
from evaluation.claims.audit import find_overrides, table_hashes, verdict_counts
from evaluation.claims.criteria import evidence_strength, load_award_criteria

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "data" / "submissions" / "daya_bay_2024.md"
from evaluation.config import SHARED_DIR  # noqa: E402
SEED = next((SHARED_DIR / "seed").glob("*.txt"), None) if (SHARED_DIR / "seed").is_dir() else None

# What the generator planted (docs/conventions.md, truth.json) and so what the audit must find, figure by figure:
# raw text -> (indicator, recomputed value on the claim's scale, verdict).
EXPECTED = {
    "不到15万人": ("data.population.resident", 148000, "supported"),
    "50多万人": ("data.population.resident", 515000, "supported"),
    "27个": ("organisation.paired_units.count", 27, "supported"),
    "近4000名": ("organisation.returned_party_members.count", 3968, "supported"),
    "247名": ("organisation.part_time_committee_members.count", 247, "supported"),
    "230余场": ("organisation.joint_meetings.count", 234, "supported"),
    "100多个": ("organisation.issues_resolved.count", 106, "supported"),
    "10个": ("data.communities.legacy", 10, "supported"),
    "51.6%": ("organisation.workers_promoted.rate", 100 * 266 / 516, "supported"),
    "近70%": ("organisation.workers_certified.rate", 100 * 358 / 516, "supported"),
    "450余家": ("participation.csos_active.count", 452, "supported"),
    "560余支": ("participation.volunteer_teams_active.count", 563, "supported"),
    "11个": ("participation.community_funds.count", 11, "supported"),
    "近百万元": ("participation.fund_inflow_cny.total", 968000, "supported"),
    "1个": ("service_circle.stations.district.count", 1, "supported"),
    "3个": ("service_circle.stations.street.count", 3, "supported"),
    "1119场": ("participation.activities.count", 1119, "supported"),
    "约7.3万人次": ("participation.attendance.person_times", 73000, "supported"),
    "18个": ("organisation.departments_sent_down.count", 18, "supported"),
    "2000余名": ("grid.staff.count", 2046, "supported"),
    "16295件": ("grid.events_closed.count", 16295, "supported"),
    "34.48%": ("petitions.real_estate.yoy_change", 100 * (38 / 58 - 1), "fragile"),
}
# 43个 appears twice: communities after the split and community-level stations.
EXPECTED_43 = {"data.communities.current": 43, "service_circle.stations.community.count": 43}
ALTERED = {"16295件": "18295件", "247名": "274名", "1119场": "1319场"}


@pytest.fixture(scope="module")
def district():
    from evaluation.synthetic import generate_district

    return generate_district()


@pytest.fixture(scope="module")
def text() -> str:
    return read_submission(ARTICLE)


@pytest.fixture(scope="module")
def result(text, district) -> AuditResult:
    impact = {k: v for k, v in district.truth.items() if k.startswith(("impact.", "survey."))}
    return audit(text, district.tables, 2024, results=impact)


def test_shipped_article_is_the_seed_text(text):
    if SEED is None:
        pytest.skip("shared seed not mounted")
    seed = SEED.read_text(encoding="utf-8")
    shipped = ARTICLE.read_text(encoding="utf-8")
    assert seed and shipped.endswith(seed)  # verbatim, after a one-line provenance comment
    note = shipped[:-len(seed)]
    assert note.startswith("<!--") and note.strip().endswith("-->") and note.count("\n") == 1
    assert text.startswith(" " * len(note.rstrip("\n")))  # the comment is blanked, so it adds no figure


def test_every_checkable_figure_gets_the_planted_verdict(result):
    v = result.verdicts
    for raw, (indicator, computed, verdict) in EXPECTED.items():
        row = v[v["raw"] == raw]
        assert len(row) == 1, raw
        row = row.iloc[0]
        assert (row["indicator"], row["verdict"]) == (indicator, verdict), raw
        assert row["computed"] == pytest.approx(computed, rel=1e-9), raw
    forty_three = v[v["raw"] == "43个"]
    assert dict(zip(forty_three["indicator"], forty_three["computed"])) == EXPECTED_43
    assert set(forty_three["verdict"]) == {"supported"}
    # Nothing else is audited as a number: the rest is qualitative or names what is missing.
    rest = v[~v["raw"].isin([*EXPECTED, "43个"])]
    assert set(rest["verdict"]) <= {"qualitative", "not_checkable"}
    assert set(rest.loc[rest["verdict"] == "not_checkable", "raw"]) == {"三十余年", "1批", "一批"}


def test_fragile_change_shows_the_exact_interval(result):
    row = result.verdicts.set_index("raw").loc["34.48%"]
    assert row["ci_low"] < -50 and row["ci_high"] > 0  # 58 → 38: about −58% … +0.3%
    assert row["n"] == 96
    assert "0.3292%" in row["ci"]


def test_altered_article_changes_exactly_three_verdicts(text, district, result):
    altered = text
    for old, new in ALTERED.items():
        assert altered.count(old) == 1
        altered = altered.replace(old, new)
    res = audit(altered, district.tables, 2024)
    before = result.verdicts.set_index("claim_id")
    after = res.verdicts.set_index("claim_id")
    assert before.index.equals(after.index)
    changed = after.index[after["verdict"] != before["verdict"]]
    assert sorted(after.loc[changed, "raw"]) == sorted(ALTERED.values())
    assert set(after.loc[changed, "verdict"]) == {"contradicted"}
    assert verdict_counts(res.verdicts)["contradicted"] == 3
    # The criteria notice: authenticity is no longer strong.
    auth = res.criteria[res.criteria["criterion_id"] == "authenticity"]
    assert set(auth["strength"]) == {"weak"} and "18295件" in auth["statement_zh"].iloc[0]


def test_a_cut_off_run_audits_the_figures_as_of_the_cut_off(text, district, result):
    from evaluation.indicators import headline_figures

    res = audit(text, district.tables, 2024, data_cutoff="2024-06-30")
    cut = headline_figures(dict(district.tables), 2024, "2024-06-30")
    closed = res.verdicts.set_index("raw").loc["16295件"]
    assert closed["computed"] == cut["grid.events_closed.count"]["value"]
    assert closed["computed"] < 16295 / 2 + 1000        # half a year of closures, not the whole year's
    assert closed["verdict"] == "contradicted"
    assert result.verdicts.set_index("raw").loc["16295件", "verdict"] == "supported"


def test_consistency_findings_are_attached(result):
    c = result.consistency
    assert {"person_times", "denominator", "coverage", "small_numbers"} <= set(c["check"])
    assert c.loc[c["check"] == "small_numbers", "raw"].tolist() == ["34.48%"]


def test_verdicts_json_is_plain_json(result):
    out = verdicts_json(result)
    assert len(out) == len(result.verdicts)
    json.dumps(out, ensure_ascii=False, allow_nan=False)
    one = next(o for o in out if o["raw"] == "16295件")
    assert {k: one[k] for k in ("value", "indicator", "computed", "verdict")} == {
        "value": 16295.0, "indicator": "grid.events_closed.count", "computed": 16295.0, "verdict": "supported"}
    assert "今年办结网格事件16295件" in one["sentence"]


def test_self_assessment_on_the_planted_district(result):
    crit = result.criteria.set_index(["award_id", "criterion_id"])
    assert len(crit) == len(load_award_criteria())
    assert crit.loc[("gd_party_case", "authenticity"), "strength"] == "strong"
    assert "34.48%" in crit.loc[("gd_party_case", "authenticity"), "statement_zh"]
    assert crit.loc[("yuezhi", "innovation"), "strength"] == "some"
    assert set(crit["strength"]) <= {"strong", "some", "weak", "missing"}


def test_evidence_strength_rules():
    empty = pd.DataFrame({"verdict": pd.Series(dtype="string"), "raw": pd.Series(dtype="string"),
                          "kind": pd.Series(dtype="string")})
    res = {
        "impact.a.att": {"value": 2.0, "ci_low": 0.5, "ci_high": 3.5},
        "impact.b.att": {"value": 1.0, "ci_low": -0.5, "ci_high": 2.5},
        "impact.c.att": {"value": -1.0, "ci_low": -2.0, "ci_high": -0.1},
        "survey.satisfaction_index.mean": {"value": 74.0, "ci_low": 73.0, "ci_high": 75.0, "n": 2000},
    }
    s = lambda item: evidence_strength(item, empty, res)["strength"]  # noqa: E731
    assert s("impact.a.att:+") == "strong"
    assert s("impact.b.att:+") == "some"
    assert s("impact.c.att:+") == "weak"
    assert s("impact.c.att:-") == "strong"
    assert s("impact.*.att:+") == "some"      # 1 of 3 clear: less than half
    assert s("impact.z.att:+") == "missing"
    assert s("survey.*") == "some"            # a level is never strong
    assert s("verdicts") == "missing"         # nothing checked
    assert s("text:mechanisms") == "weak"
    # An interval clear of 0 is strong evidence only when the run's verdict on that outcome is clear.
    for verdict, strength in [("clear", "strong"), ("sensitive", "some"), ("not_after_adjustment", "some")]:
        item = evidence_strength("impact.a.att:+", empty, {**res, "impact.a.conclusion": {"value": verdict}})
        assert item["strength"] == strength
        assert (verdict == "clear") != ("multiplicity adjustment" in item["weakness_en"])
    # ... and the outcome was fixed in advance: a clear effect on an exploratory one is a lead, not evidence
    clear = {**res, "impact.a.conclusion": {"value": "clear"}}
    for role, strength in [("primary", "strong"), ("secondary", "some"), (None, "strong")]:
        roled = clear if role is None else {**clear, "impact.a.role": {"value": role}}
        item = evidence_strength("impact.a.att:+", empty, roled)
        assert item["strength"] == strength
        assert (role == "secondary") == ("exploratory" in item["weakness_en"]) == ("探索" not in item["weakness_zh"]
                                                                                   and "主要结果" in item["weakness_zh"])


def test_verdict_item_thresholds():
    def v(*verdicts):
        return pd.DataFrame({"verdict": list(verdicts), "raw": [f"x{i}" for i in range(len(verdicts))],
                             "kind": ["count"] * len(verdicts)})

    s = lambda d: evidence_strength("verdicts", d, {})["strength"]  # noqa: E731
    assert s(v(*["supported"] * 9, "fragile")) == "strong"
    assert s(v(*["supported"] * 8, "fragile", "fragile")) == "some"
    assert s(v(*["supported"] * 9, "contradicted")) == "weak"
    assert s(v("supported", "not_checkable", "not_checkable")) == "weak"
    assert s(v(*["supported"] * 7, "not_checkable", "not_checkable", "not_checkable")) == "some"
    # Within sampling error: checked, not supported, never weak on its own.
    assert s(v(*["supported"] * 9, "within_sampling_error")) == "strong"
    assert s(v(*["supported"] * 8, "within_sampling_error", "within_sampling_error")) == "some"
    assert s(v("within_sampling_error", "not_checkable")) == "some"
    item = evidence_strength("verdicts", v("supported", "within_sampling_error"), {})
    assert "x1" in item["weakness_zh"] and "within sampling error" in item["summary_en"]


def test_self_assessment_with_custom_criteria():
    crit = pd.DataFrame([{"award_id": "x", "award_zh": "某奖", "award_en": "an award", "criterion_id": "eff",
                          "criterion_zh": "实效性", "criterion_en": "effectiveness",
                          "evidence": "impact.a.att:+|impact.b.att:-", "source_note": ""}])
    verdicts = pd.DataFrame({"verdict": ["supported"], "raw": ["1"], "kind": ["count"]})
    out = self_assessment(verdicts, {"impact.a.att": {"value": 1.0, "ci_low": -1.0, "ci_high": 3.0}}, crit)
    row = out.iloc[0]
    assert row["strength"] == "some"
    assert "impact.a.att" in row["statement_zh"] and "impact.b.att" in row["statement_zh"]
    assert row["statement_en"].startswith("Effectiveness: some evidence.")


def test_chinese_statements_name_the_figures_not_their_keys():
    """Issue 17: the award criteria's Chinese statements carry no results.json key (the docx check found 28)."""
    from evaluation.text.i18n import latin_codes

    crit = pd.DataFrame([{"award_id": "x", "award_zh": "某奖", "award_en": "an award", "criterion_id": "eff",
                          "criterion_zh": "实效性", "criterion_en": "effectiveness",
                          "evidence": "organisation.*|impact.on_time_rate.att:+|impact.on_time_rate.dynamic.e*:+",
                          "source_note": ""}])
    verdicts = pd.DataFrame({"verdict": ["supported"], "raw": ["1"], "kind": ["count"]})
    results = {"organisation.paired_units.count": {"value": 27},
               "impact.on_time_rate.att": {"value": 0.05, "ci_low": 0.01, "ci_high": 0.09},
               "impact.on_time_rate.conclusion": {"value": "not_robust"},
               **{f"impact.on_time_rate.dynamic.e{k}": {"value": 0.05, "ci_low": -0.01, "ci_high": 0.1}
                  for k in range(4)}}
    row = self_assessment(verdicts, results, crit).iloc[0]
    zh = row["statement_zh"]
    assert "组织建设各项指标只是现状水平" in zh
    assert "网格事件按期办结率的推行效果的区间虽不含0" in zh
    assert "网格事件按期办结率推行后各年的效果（4项）的置信区间包含0" in zh
    assert latin_codes(zh) == []
    assert "impact.on_time_rate.att" in row["statement_en"]  # English keeps the keys a reviewer looks up


def test_table_hashes_change_with_the_data():
    df = pd.DataFrame({"a": [1, 2]})
    h = table_hashes({"t": df})["t"]
    assert len(h) == 64 and h == table_hashes({"t": df.copy()})["t"]
    assert h != table_hashes({"t": df.assign(a=[1, 3])})["t"]


def test_audit_files_on_a_small_district(tmp_path):
    folder = write_tables(tmp_path / "district", mini_tables())
    sub = tmp_path / "sub" / "submission.md"
    sub.parent.mkdir()
    sub.write_text("# 申报\n\n全区现有3个社区。今年办结网格事件2件。推动27个机关企事业单位与社区党组织结对共建。\n",
                   encoding="utf-8")
    (sub.parent / "claims.yaml").write_text("ignore:\n  - 27个\n", encoding="utf-8")
    assert find_overrides(sub, folder) == sub.parent / "claims.yaml"
    res, prov = audit_files(sub, folder, 2024)
    v = res.verdicts.set_index("raw")
    assert v.loc["3个", ["indicator", "verdict"]].tolist() == ["data.communities.current", "supported"]
    assert v.loc["2件", ["indicator", "verdict"]].tolist() == ["grid.events_closed.count", "supported"]
    assert v.loc["27个", "reason"] == "ignored"
    import hashlib
    want = hashlib.sha256((folder / "grid_events.csv").read_bytes()).hexdigest()
    assert prov["files"]["grid_events"]["sha256"] == want
    assert v.loc["2件", "data_files"] == f"grid_events:{want[:12]}"
    assert prov["submission_sha256"] == hashlib.sha256(sub.read_bytes()).hexdigest()
    (sub.parent / "claims.yaml").unlink()
    res, _ = audit_files(sub, folder, 2024)
    row = res.verdicts.set_index("raw").loc["27个"]
    assert row["verdict"] == "not_checkable" and "pairings" in row["explanation_en"]  # the table is absent


def _run_notebook(tmp_path: Path, parameters: dict) -> dict:
    import nbformat
    import papermill as pm

    from evaluation.report.record import read_records

    out = tmp_path / "50.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "50_award_claims.ipynb"), str(out), kernel_name="python3",
                        parameters=parameters, progress_bar=False, execution_timeout=300)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return {"records": read_records([nb]), "text": json.dumps(outputs, ensure_ascii=False)}


@pytest.mark.notebook
def test_notebook_on_a_small_district(tmp_path):
    folder = write_tables(tmp_path / "d", mini_tables())
    sub = tmp_path / "s.md"
    sub.write_text("全区现有3个社区。今年办结网格事件5件。", encoding="utf-8")
    run = _run_notebook(tmp_path, {"data_dir": str(folder), "language": "en", "submission": str(sub)})
    rec = run["records"]
    assert rec["claims.figures.count"]["value"] == 2
    assert rec["claims.verdict.supported"]["value"] == 1       # 3 communities
    assert rec["claims.verdict.contradicted"]["value"] == 1    # 5 closed events against 2 in the data
    assert rec["claims.check.grid_events_closed_count"] == {"value": "contradicted", "computed": 2.0}
    assert "Award submission" in run["text"] and "申报材料数字核验" not in run["text"]
    assert ".000000" not in run["text"]  # figures as written, not as floats (issue 17)


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_on_the_synthetic_district(tmp_path, district):
    folder = ROOT / "data" / "synthetic"
    if not (folder / "dataset.yaml").exists():
        from evaluation.synthetic import write_district

        folder = tmp_path / "synthetic"
        write_district(district, folder)
    rec = _run_notebook(tmp_path, {"data_dir": str(folder), "language": "zh"})["records"]
    assert rec["claims.verdict.contradicted"]["value"] == 0
    assert rec["claims.verdict.fragile"]["value"] == 1
    assert rec["claims.verdict.supported"]["value"] == len(EXPECTED) - 1 + len(EXPECTED_43)


def test_catalogue_keys_for_claims_in_both_languages():
    import string

    from evaluation.text.i18n import CATALOGUE

    keys = [k for k in CATALOGUE if k.startswith("claims.")]
    assert {f"claims.verdict.{v}" for v in ("supported", "fragile", "contradicted", "not_checkable",
                                           "qualitative")} <= set(keys)
    for k in keys:
        assert set(CATALOGUE[k]) == {"zh", "en"}, k
        fields = [{f for _, f, _, _ in string.Formatter().parse(CATALOGUE[k][lang]) if f} for lang in ("zh", "en")]
        assert fields[0] == fields[1], k


def test_latest_results_is_the_newest_run_on_the_same_data(tmp_path):
    from evaluation.claims.audit import latest_results

    def run(name, data_dir, finished):
        d = tmp_path / name
        d.mkdir()
        (d / "results.json").write_text('{"results": {}}', encoding="utf-8")
        (d / "manifest.json").write_text(json.dumps({"params": {"data_dir": str(data_dir)}, "finished": finished}),
                                         encoding="utf-8")

    data, other = tmp_path / "district", tmp_path / "elsewhere"
    data.mkdir()
    other.mkdir()
    assert latest_results(data, tmp_path) is None
    run("default", data, "2026-01-01T10:00:00+00:00")
    run("default+min_cell=10", data, "2026-01-02T10:00:00+00:00")
    run("other", other, "2026-01-03T10:00:00+00:00")  # newer, but another district
    run("x.failed", data, "2026-01-04T10:00:00+00:00")  # a failed run is not a source
    assert latest_results(data, tmp_path) == tmp_path / "default+min_cell=10" / "results.json"
    assert latest_results(data, tmp_path / "missing") is None
