"""The seed article, claim by claim against the careful reading in shared/design/reference/claims.yaml."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from evaluation.claims import check_consistency, extract_claims, read_submission

# Copies kept in the repository: the article (data/submissions/, source noted there) and the careful reading of it
# from the steering notes (shared/design/reference/claims.yaml), so the test runs from a fresh clone.
_ROOT = Path(__file__).resolve().parents[2]
ARTICLE = _ROOT / "data" / "submissions" / "daya_bay_2024.md"
CLAIMS_YAML = _ROOT / "tests" / "reference" / "claims" / "claims_article.yaml"

pytestmark = pytest.mark.skipif(ARTICLE is None or not CLAIMS_YAML.exists(), reason="shared reference missing")

INF = math.inf
# What the extraction must produce inside each numeric claim's fragment: raw text -> expected fields. The values
# restate claims.yaml (e.g. C14 '>230' is 230余 = [230, 240); C12 '≈4000 (近 = slightly below)' is [3800, 4000)).
EXPECTED: dict[str, list[dict]] = {
    "C01": [dict(raw="1993年5月", value=1993, kind="date", detail="1993-05")],
    "C02": [dict(raw="三十余年", value=30, unit="年", kind="duration", hedge="plus", low=30, high=40)],
    "C03": [dict(raw="不到15万人", value=150000, kind="change", role="from", hedge="under", low=0, high=150000,
                 period_year=2014),
            dict(raw="50多万人", value=500000, kind="change", role="to", hedge="plus", low=500000, high=600000,
                 period_year=2024)],
    "C09": [dict(raw="三", value=3, kind="slogan"), dict(raw="三", value=3, kind="slogan")],
    "C11": [dict(raw="27个", value=27, unit="个", kind="count", hedge="exact", low=27, high=27)],
    "C12": [dict(raw="近4000名", value=4000, unit="名", kind="count", hedge="near", low=3800, high=4000)],
    "C13": [dict(raw="247名", value=247, unit="名", kind="count", hedge="exact")],
    "C14": [dict(raw="230余场", value=230, unit="场", kind="count", hedge="plus", low=230, high=240,
                 period_year=2024)],
    "C15": [dict(raw="100多个", value=100, unit="个", kind="count", hedge="plus", low=100, high=200)],
    "C16": [dict(raw="10个", value=10, kind="change", role="from", to_value=43),
            dict(raw="43个", value=43, kind="change", role="to", from_value=10)],
    "C19": [dict(raw="三岗", value=3, unit="岗", kind="slogan"), dict(raw="十八级", value=18, unit="级", kind="slogan")],
    "C20": [dict(raw="51.6%", value=51.6, unit="%", kind="rate", hedge="rounded", low=51.55, high=51.65)],
    "C21": [dict(raw="近70%", value=70, unit="%", kind="rate", hedge="near", low=66.5, high=70)],
    "C23": [dict(raw="450余家", value=450, unit="家", kind="count", hedge="plus", low=450, high=460)],
    "C24": [dict(raw="560余支", value=560, unit="支", kind="count", hedge="plus", low=560, high=570)],
    "C25": [dict(raw="11个", value=11, unit="个", kind="count", hedge="exact"),
            dict(raw="近百万元", value=1_000_000, unit="元", kind="amount", hedge="near", low=950_000, high=1_000_000)],
    "C27": [dict(raw="1批", value=1, unit="批", kind="count", period="annual")],
    "C28": [dict(raw="1个", value=1, kind="count"), dict(raw="3个", value=3, kind="count"),
            dict(raw="43个", value=43, kind="count"), dict(raw="1+3+43+N", kind="structural", detail="1+3+43+N")],
    "C30": [dict(raw="15分钟", value=15, unit="分钟", kind="slogan")],
    "C31": [dict(raw="养老、托育、卫生、心理", value=4, kind="enumeration", hedge="at_least")],
    "C32": [dict(raw="1119场", value=1119, unit="场", kind="count", hedge="exact", period_year=2024)],
    "C33": [dict(raw="约7.3万人次", value=73000, unit="人次", kind="count", hedge="about", low=72500, high=73500,
                 multiplier=10000, period_year=2024)],
    "C35": [dict(raw="18个", value=18, unit="个", kind="count")],
    "C36": [dict(raw="2000余名", value=2000, unit="名", kind="count", hedge="plus", low=2000, high=3000)],
    "C37": [dict(raw="16295件", value=16295, unit="件", kind="count", hedge="exact", low=16295, high=16295,
                 period_year=2024)],
    "C38": [dict(raw="34.48%", value=-34.48, unit="%", kind="change", role="relative_change", low=-34.485,
                 high=-34.475, period_year=2024, compare_year=2023)],
    "C39": [dict(raw="4+3+N", kind="structural", detail="4+3+N")],
    "C41": [dict(raw="端午、重阳、中秋、春节", value=4, kind="enumeration")],
    "C43": [dict(raw="“友邻服务队”“邻里帮帮团”“爱心商家联盟”", value=3, kind="enumeration", hedge="at_least")],
    "C45": [dict(raw="六", value=6, kind="slogan"), dict(raw="六", value=6, kind="slogan")],
    "C50": [dict(value=4, kind="enumeration", hedge="exact",
                 raw="社区‘两委’更精干了、社区基础设施更完善了、社区活动更丰富了、邻里关系更和谐了")],
}


@pytest.fixture(scope="module")
def text() -> str:
    return read_submission(ARTICLE)


@pytest.fixture(scope="module")
def claims(text) -> "pd.DataFrame":  # noqa: F821
    return extract_claims(text, report_year=2024)


@pytest.fixture(scope="module")
def reference() -> dict:
    return yaml.safe_load(CLAIMS_YAML.read_text(encoding="utf-8"))


def test_every_numeric_claim_has_expectations(reference):
    assert set(reference["summary"]["numeric_claims"]) == set(EXPECTED)


def _region(text: str, fragment: str) -> tuple[int, int]:
    """Where a claims.yaml fragment lies in the text (fragments drop line breaks; C50 joins two parts with …)."""
    parts = [p for p in fragment.replace("\n", "").split("…") if p]
    start = text.find(parts[0][:12])
    assert start >= 0, fragment
    end = text.find(parts[-1][-12:], start) + 12
    assert end > start, fragment
    return start, end


@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_claim_found(claim_id, text, claims, reference):
    entry = next(c for c in reference["claims"] if c["id"] == claim_id)
    a, b = _region(text, entry["fragment_zh"])
    inside = claims[(claims["start"] >= a) & (claims["start"] < b)]
    used: set[str] = set()
    for exp in EXPECTED[claim_id]:
        cand = inside[(inside["raw"] == exp["raw"]) & ~inside["claim_id"].isin(used)]
        assert len(cand), f"{claim_id}: no row {exp['raw']!r} in {inside['raw'].tolist()}"
        row = cand.iloc[0]
        used.add(row["claim_id"])
        for key, want in exp.items():
            got = row[key]
            if isinstance(want, float | int) and not isinstance(want, bool):
                assert got == pytest.approx(want, rel=1e-12, abs=1e-9), (claim_id, key)
            else:
                assert got == want, (claim_id, key)


def test_spans_point_at_raw(text, claims):
    plain = claims[claims["kind"] != "enumeration"]
    for r in plain.itertuples():
        assert text[r.start:r.end] == r.raw
        assert r.sentence_start <= r.start < r.end <= r.sentence_end
        assert text[r.sentence_start:r.sentence_end] == r.sentence


def test_ids_are_stable_and_ordered(text, claims):
    again = extract_claims(text, report_year=2024)
    assert claims["claim_id"].tolist() == again["claim_id"].tolist() == [f"F{i + 1:03d}" for i in range(len(claims))]
    assert claims["start"].is_monotonic_increasing


def test_no_invented_figures(text, claims):
    titles = [(i, text.index("》", i)) for i in range(len(text)) if text[i] == "《"]
    for a, b in titles:
        assert not ((claims["start"] > a) & (claims["start"] < b)).any(), "figure taken from a 《…》 title"
    audited = claims[claims["kind"].isin(["count", "rate", "amount", "change"])]
    assert 49 not in audited["value"].tolist()  # 1+3+43+N is not a sum
    assert 20 not in audited["value"].tolist()  # 4+3+N neither
    for word in ("一老一小", "服务万家", "百家宴", "一体化", "一流", "百家花", "一定"):
        at = text.find(word)
        assert not ((claims["start"] >= at) & (claims["start"] < at + len(word))).any(), word
    slogans = claims[claims["in_quote"] & (claims["kind"] != "structural")]
    assert set(slogans["kind"]) == {"slogan"}


def test_report_year_is_a_parameter(text):
    df = extract_claims(text, report_year=2023)
    c38 = df[df["raw"] == "34.48%"].iloc[0]
    assert (c38["period_year"], c38["compare_year"]) == (2023, 2022)
    assert df.loc[df["raw"] == "不到15万人", "period_year"].iloc[0] == 2013


def test_near_tolerance_is_a_parameter(text):
    df = extract_claims(text, near_tolerance=0.1)
    assert df.loc[df["raw"] == "近4000名", "low"].iloc[0] == pytest.approx(3600)


def test_consistency_on_article(claims):
    f = check_consistency(claims)
    assert f["finding_id"].is_unique
    assert set(f["severity"]) <= {"info", "warning", "error"}
    by = {(r.check, str(claims.set_index("claim_id").loc[r.claim_id, "raw"])) for r in f.itertuples()}
    assert ("person_times", "约7.3万人次") in by
    assert ("denominator", "51.6%") in by and ("denominator", "近70%") in by
    assert ("small_numbers", "34.48%") in by
    assert ("coverage", "1+3+43+N") in by and ("coverage", "27个") in by
    pt = f[f["check"] == "person_times"].iloc[0]
    assert "65" in pt["finding_en"] and "65" in pt["finding_zh"]  # 73,000 / 1,119
    small = f[f["check"] == "small_numbers"].iloc[0]
    assert "29→19" in small["finding_en"] and "58→38" in small["finding_en"]
