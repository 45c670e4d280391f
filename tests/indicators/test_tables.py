"""Breakdown tables: cells withheld on their cases (not on their values), complementary suppression, formatting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.indicators._common import result_row, tidy
from evaluation.indicators.tables import carried_indicators, community_table, cross_table, district_rows, \
    estimate_text, format_cells, group_table
from evaluation.privacy.suppression import feasible_intervals, suppression_pattern


def _frame():
    rows = []
    counts = {"C01": 12, "C02": 3, "C03": 20, "C04": 40}
    pops = {"C01": 8000, "C02": 9000, "C03": 20000, "C04": 30000}
    for cid, n in counts.items():
        rows.append(result_row("x.count", cid, 2024, n, n=n))
        rows.append(result_row("x.per_1k", cid, 2024, n / pops[cid] * 1000, n=n, denominator=pops[cid]))
        # a share over workers: C04 has 4 workers, the others 10; numerators 1..
        den = 4 if cid == "C04" else 10
        rows.append(result_row("y.rate", cid, 2024, 1 / den, n=1, denominator=den))
    rows.append(result_row("x.count", "district", 2024, 75, n=75))
    return tidy(rows)


def test_community_table_withholds_on_cases_and_complements():
    t = community_table(_frame(), {"count": "x.count", "rate": "x.per_1k", "share": "y.rate"}, min_cell=5,
                        cases={"share": "denominator"})
    t = t.set_index("community_id")
    assert list(t.index) == ["C01", "C02", "C03", "C04"]          # the district row is not a community
    assert t.loc["C02", "count"] == "<5"
    # with the total published, the 3 would be 75 − 12 − 20 − 40: the next smallest count goes too
    assert t.loc["C01", "count"] == "—"
    assert t.loc["C03", "count"] == 20
    # the rate rests on the same cases as the count, so it is withheld in the same places; "<5" there would read
    # as a rate below 5 (issue 17), so it says what is small: the cases
    assert t.loc["C02", "rate"] == "n<5" and t.loc["C01", "rate"] == "—"
    assert t.loc["C03", "rate"] == pytest.approx(1.0)
    # the share rests on its denominator (4 workers in C04), not on its value or numerator
    assert t.loc["C04", "share"] == "n<5"
    assert t.loc["C02", "share"] == pytest.approx(0.1)


def test_community_table_without_total_is_primary_only():
    t = community_table(_frame(), {"count": "x.count"}, min_cell=5, total=False).set_index("community_id")
    assert t["count"].tolist() == [12, "<5", 20, 40]


def test_community_table_rejects_unknown_case_column():
    with pytest.raises(ValueError):
        community_table(_frame(), {"count": "x.count"}, cases={"count": "value"})


def test_cross_table_matches_the_suppression_module_and_hides_every_cell():
    cells = {("a", 2023): 3, ("a", 2024): 10, ("b", 2023): 10, ("b", 2024): 12, ("c", 2023): 25, ("c", 2024): 30}
    rows = [result_row("p.count", "district", y, n, group=g, n=n) for (g, y), n in cells.items()]
    rows += [result_row("p.count", "district", y, sum(n for (g, yy), n in cells.items() if yy == y), n=0)
             for y in (2023, 2024)]
    frame = tidy(rows)
    frame.loc[frame["group"] == "", "n"] = frame.loc[frame["group"] == "", "value"]
    out = cross_table(frame, "p.count", min_cell=5)
    assert list(out.index) == ["a", "b", "c", "All"]
    assert out.loc["a", 2023] == "<5"
    counts = pd.DataFrame({2023: [3, 10, 25, 38], 2024: [10, 12, 30, 52]}, index=["a", "b", "c", "All"])
    pattern = suppression_pattern(counts.astype(float), 5, True)
    assert ((out == "<5") | (out == "—")).to_numpy().tolist() == (pattern != "").to_numpy().tolist()
    # no withheld cell can be worked out from the published cells and totals
    bounds = feasible_intervals(counts.astype(float), pattern)
    assert (bounds["upper"] > bounds["lower"]).all()


def test_format_cells_keeps_markers():
    t = pd.DataFrame({"a": [1234.5, "<5", np.nan], "b": ["x", "y", "z"]}, dtype=object)
    out = format_cells(t, {"a": "{:,.1f}", "missing": "{}"})
    assert out["a"].tolist() == ["1,234.5", "<5", "—"] and out["b"].tolist() == ["x", "y", "z"]


def test_formatted_cells_show_intervals_and_markers():
    f = _frame()
    f.loc[f["indicator"] == "y.rate", "ci_low"] = 0.05
    f.loc[f["indicator"] == "y.rate", "ci_high"] = 0.4
    t = community_table(f, {"share": "y.rate", "count": "x.count"}, cases={"share": "denominator"},
                        formats={"share": "{:.0%}", "count": "{:,.0f}"}, intervals=["share"])
    t = t.set_index("community_id")
    assert t.loc["C02", "share"] == "10% (5%–40%)" and t.loc["C04", "share"] == "n<5"
    assert t.loc["C01", "share"] == "—"   # else 4 = district workers − 30 gives C04 away
    assert t.loc["C03", "count"] == "20" and t.loc["C02", "count"] == "<5"


def test_group_table_breaks_down_the_district():
    rows = [result_row("e.count", "district", 2024, 30, n=30),
            result_row("e.count", "district", 2024, 2, group="a", n=2),
            result_row("e.count", "district", 2024, 28, group="b", n=28),
            result_row("e.count", "C01", 2024, 9, group="a", n=9),
            result_row("e.share", "district", 2024, 0.5, group="a", n=1, denominator=2, ci_low=0.1, ci_high=0.9),
            result_row("e.share", "district", 2024, 0.75, group="b", n=21, denominator=28, ci_low=0.6,
                       ci_high=0.9)]
    t = group_table(tidy(rows), {"count": "e.count", "share": "e.share"}, cases={"share": "denominator"},
                    total=False).set_index("group")
    assert list(t.index) == ["a", "b"]                      # the total row and C01's rows are not groups
    assert t.loc["a", "count"] == "<5" and t.loc["a", "share"] == "n<5"
    assert t.loc["b", "count"] == 28 and t.loc["b", "share"] == pytest.approx(0.75)


def test_estimate_text():
    s = estimate_text([1.0, 2.0, np.nan, 4.0], [0.5, np.nan, 1.0, 3.0], [1.5, np.nan, 2.0, np.nan], "{:.1f}")
    assert s.tolist() == ["1.0 (0.5–1.5)", "2.0", "—", "4.0 (3.0–)"]


def test_district_rows_in_order_with_previous_year():
    now, prev = _frame(), _frame()
    prev.loc[prev["indicator"] == "x.count", "value"] = 70
    out = district_rows(now, ["x.count", "missing.key", ("x.count", "nogroup")], previous=prev)
    assert out["indicator"].tolist() == ["x.count"]
    assert out.loc[0, "value"] == 75 and out.loc[0, "previous"] == 70


def test_carried_indicators_read_the_notes():
    f = _frame()
    f.loc[0, "note"] = "records; includes legacy-community records split by pop_share"
    assert carried_indicators(f) == ["x.count"]
    assert carried_indicators(_frame()) == []


def test_other_fields_and_kept_rows():
    f = _frame()
    t = community_table(f, {"residents": ("x.per_1k", "", "denominator"), "count": "x.count"},
                        keep=["C03", "C04"], total=False).set_index("community_id")
    assert list(t.index) == ["C03", "C04"] and t.loc["C04", "residents"] == 30000


def test_year_table():
    from evaluation.indicators.tables import year_table

    rows = [result_row("r.count", "district", y, n, n=n, ci_low=n - 1, ci_high=n + 1) for y, n in ((2023, 58), (2024, 3))]
    rows.append(result_row("r.count", "C01", 2024, 1, n=1))
    t = year_table(tidy(rows), {"count": "r.count"}, formats={"count": "{:.0f}"}, intervals=["count"])
    assert t["year"].tolist() == ["2023", "2024"] and t["count"].tolist() == ["58 (57–59)", "<5"]
