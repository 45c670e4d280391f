"""Consistency checks: signatures against brute force, the domain notes and R's poisson.test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation.claims import (
    check_consistency, check_coverage, check_denominators, check_person_times, check_small_numbers, extract_claims,
    fraction_signatures, rate_signatures,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "claims" / "poisson_rate_ratio.json"


def _brute_rate(change_pct: str, max_n: int) -> list[tuple[int, int]]:
    """Independent search: format each change with Python's decimal formatting, compare strings."""
    d = len(change_pct.split(".")[1]) if "." in change_pct else 0
    out = []
    for b in range(1, max_n + 1):
        for a in range(0, 3 * b + 1):
            if f"{100 * (a - b) / b:.{d}f}" == change_pct:
                out.append((b, a))
    return out


def test_rate_signatures_match_brute_force():
    got = rate_signatures(-0.3448, max_n=400, decimals=2)
    assert list(zip(got["before"], got["after"])) == _brute_rate("-34.48", 400)
    got = rate_signatures(0.125, max_n=200, decimals=1)
    assert list(zip(got["before"], got["after"])) == _brute_rate("12.5", 200)


def test_rate_signatures_domain_note():
    # domain-notes §1.2: under 400, −34.48% needs a prior count that is a multiple of 29 (29→19, 58→38, 87→57 …).
    got = rate_signatures(-0.3448, max_n=399)
    assert (got["before"] % 29 == 0).all()
    assert (got["after"] * 29 == got["before"] * 19).all()
    assert list(zip(got["before"], got["after"]))[:3] == [(29, 19), (58, 38), (87, 57)]
    assert len(got) == 13


def test_rate_ratio_interval_matches_r():
    ref = json.loads(REF.read_text())
    for p in ref["pairs"]:
        before, after = p["before"], p["after"]
        change = round(after / before - 1, 4)
        sig = rate_signatures(change, max_n=before, min_n=before, decimals=2)
        row = sig[sig["after"] == after].iloc[0]
        assert row["rate_ratio"] == pytest.approx(p["rate_ratio"], rel=1e-12)
        assert [row["rr_ci_low"], row["rr_ci_high"]] == pytest.approx(p["ci95"], rel=1e-9, abs=1e-12)
        sig90 = rate_signatures(change, max_n=before, min_n=before, decimals=2, confidence_level=0.90)
        row90 = sig90[sig90["after"] == after].iloc[0]
        assert [row90["rr_ci_low"], row90["rr_ci_high"]] == pytest.approx(p["ci90"], rel=1e-9, abs=1e-12)


def test_fraction_signatures_match_brute_force():
    got = fraction_signatures(51.6, decimals=1, max_n=600)
    brute = [(k, n) for n in range(1, 601) for k in range(n + 1) if f"{100 * k / n:.1f}" == "51.6"]
    assert list(zip(got["numerator"], got["denominator"])) == brute
    # domain-notes §1.2 lists 16/31 (the smallest) … 266/516 (the synthetic truth).
    assert (16, 31) == brute[0] and (266, 516) in brute


def test_signature_argument_checks():
    with pytest.raises(ValueError):
        rate_signatures(-0.3448, max_n=0)
    with pytest.raises(ValueError):
        rate_signatures(-0.34481, decimals=2)


def test_person_times_presented_as_people():
    claims = extract_claims("今年开展活动500场，服务群众3万人。另有常住人口50万人。")
    f = check_person_times(claims)
    assert len(f) == 1 and f.iloc[0]["severity"] == "warning"
    assert claims.set_index("claim_id").loc[f.iloc[0]["claim_id"], "raw"] == "3万人"
    assert "人次" in f.iloc[0]["finding_zh"] and "person-times" in f.iloc[0]["finding_en"]


def test_denominator_not_flagged_when_counts_given():
    f = check_denominators(extract_claims("516名社区工作者中266名获得晋升，占51.6%。"))
    assert "denominator" not in set(f["check"])
    f = check_denominators(extract_claims("51.6%的社区工作者获得晋升。"))
    assert f.iloc[0]["check"] == "denominator" and "16/31" in f.iloc[0]["finding_zh"]


def test_coverage_formula_against_counts():
    ok = check_coverage(extract_claims("构建1个区级、3个街道级、43个社区级的“1+3+43”体系。"), n_communities=43)
    assert list(ok["severity"]) == ["info"]          # 43 = 43 communities, one each
    bad = check_coverage(extract_claims("构建1个区级、3个街道级、40个社区级的“1+3+43”体系。"), n_communities=43)
    assert "warning" in set(bad["severity"])
    assert bad["finding_en"].str.contains("matches none").any()


def test_coverage_infers_communities_from_text():
    claims = extract_claims("将原来的10个社区优化为43个社区。推动27个单位与社区结对共建。")
    f = check_coverage(claims)
    assert len(f) == 1 and "16" in f.iloc[0]["finding_zh"] and "63%" in f.iloc[0]["finding_en"]
    assert len(check_coverage(extract_claims("推动27个单位与社区结对共建。"))) == 0  # no community count


def test_small_numbers_large_counts_are_fine():
    f = check_small_numbers(extract_claims("事件同比下降12.3456%。"), max_n=50)
    assert list(f["severity"]) == ["info"]


def test_check_consistency_columns():
    f = check_consistency(extract_claims("服务群众约7.3万人次，同比下降34.48%。"))
    assert list(f.columns) == ["finding_id", "check", "claim_id", "severity", "finding_zh", "finding_en"]
    assert np.all(f["finding_zh"].str.len() > 0) and np.all(f["finding_en"].str.len() > 0)


def test_small_numbers_on_a_change_that_is_not_a_binary_fraction():
    # 5.8 / 100 is 0.057999… in floating point; the search must still run at one decimal (52 → 55 is +5.77%).
    k = check_small_numbers(extract_claims("地区生产总值同比增长5.8%。"))
    assert len(k) == 1 and "52→55" in k.loc[0, "finding_zh"]


def test_denominators_of_percentages_in_words():
    k = check_denominators(extract_claims("百分之三十四点五的居民参与。三分之一的居民参与。"))
    assert "10/29" in k.loc[0, "finding_zh"]          # one decimal, read from the value
    assert "分子/分母有" not in k.loc[1, "finding_zh"]  # a fraction in words has no decimals to match
