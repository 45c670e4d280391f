"""The attacker's LP audit of small-cell suppression (issue 13, point 8): every small cell keeps the whole interval its
marker allows, given every published cell, every total and what the markers say (Hundepool et al. 2012, ch. 4)."""

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evaluation.privacy.suppression import PRIMARY, SECONDARY, audit_protection, suppression_pattern


def _brute_force_intruder(counts: np.ndarray, status: np.ndarray, min_cell: int = 5) -> dict:
    """Range of each primary cell over every integer table that agrees with the published cells and the row and
    column totals, with "<5" cells in 0..4 and "—" cells at least 5 (exhaustive enumeration, row by row)."""
    r, c = counts.shape
    per_row = []
    for i in range(r):
        cols = [j for j in range(c) if status[i, j]]
        residual = int(counts[i].sum() - counts[i][status[i] == ""].sum())
        ranges = [range(0, min_cell) if status[i, j] == PRIMARY else range(min_cell, residual + 1) for j in cols]
        per_row.append((cols, [comp for comp in itertools.product(*ranges) if sum(comp) == residual]))
    col_residual = counts.sum(axis=0) - np.where(status == "", counts, 0).sum(axis=0)
    seen: dict = {}
    for combo in itertools.product(*(opts for _, opts in per_row)):
        col_sum = np.zeros(c)
        for (cols, _), comp in zip(per_row, combo):
            for j, v in zip(cols, comp):
                col_sum[j] += v
        if not np.array_equal(col_sum, col_residual):
            continue
        for i, ((cols, _), comp) in enumerate(zip(per_row, combo)):
            for j, v in zip(cols, comp):
                seen.setdefault((i, j), set()).add(v)
    return {k: (min(v), max(v)) for k, v in seen.items() if status[k] == PRIMARY}


def test_c03_two_small_cells_cannot_both_be_solved_as_4():
    # Issue 13: a profile table whose row total 8 was published with its two "<5" cells: both must be 4.
    counts = pd.DataFrame({"a": [4, 12, 30], "b": [4, 25, 31], "c": [0, 17, 40]}, index=["C02", "C03", "C04"])
    counts.loc["C03"] = [4, 4, 12]
    naive = pd.DataFrame("", index=counts.index, columns=counts.columns)
    naive.loc["C03", ["a", "b"]] = PRIMARY
    naive.loc["C02", ["a", "b", "c"]] = PRIMARY
    before = audit_protection(counts, naive)
    c03 = before[before["row"] == "C03"]
    assert (c03["lower"] == 4).all() and (c03["upper"] == 4).all() and not c03["protected"].any()

    pattern = suppression_pattern(counts, 5, margins=True)
    assert (pattern.loc["C03", ["a", "b"]] == PRIMARY).all()
    after = audit_protection(counts, pattern)
    assert after["protected"].all(), after
    assert (after["lower"] == 0).all() and (after["upper"] == 4).all()  # nothing beyond "<5"
    assert (pattern == SECONDARY).to_numpy().sum() >= 1


def test_the_audit_agrees_with_a_brute_force_intruder():
    counts = np.array([[4, 3, 9, 6], [7, 2, 8, 12]])
    for pattern in (suppression_pattern(pd.DataFrame(counts), 5, margins=True),):
        status = pattern.to_numpy().astype(object)
        brute = _brute_force_intruder(counts, status)
        lp = audit_protection(pd.DataFrame(counts), pattern)
        got = {(int(r), int(c)): (lo, hi) for r, c, lo, hi in lp[["row", "column", "lower", "upper"]].itertuples(
            index=False)}
        assert got == {k: (float(a), float(b)) for k, (a, b) in brute.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.int64, st.tuples(st.just(2), st.integers(2, 3)), elements=st.integers(0, 12)))
def test_lp_audit_bounds_equal_brute_force_on_random_tables(counts):
    pattern = suppression_pattern(pd.DataFrame(counts), 5, margins=True)
    status = pattern.to_numpy().astype(object)
    assume((status == SECONDARY).sum() <= 3)  # keeps the enumeration small
    brute = _brute_force_intruder(counts, status)
    lp = audit_protection(pd.DataFrame(counts), pattern)
    got = {(int(r), int(c)): (lo, hi) for r, c, lo, hi in lp[["row", "column", "lower", "upper"]].itertuples(
        index=False)}
    assert got == {k: (float(a), float(b)) for k, (a, b) in brute.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.int64, st.tuples(st.integers(2, 5), st.integers(2, 5)), elements=st.integers(0, 40)))
def test_every_small_cell_keeps_its_whole_interval_or_everything_is_withheld(counts):
    # Totals published outside the table cannot be withheld: where the audit cannot be met, there must be nothing
    # left to withhold (e.g. a row total of 3 tells its cells whatever is done inside the table).
    pattern = suppression_pattern(pd.DataFrame(counts), 5, margins=True)
    audit = audit_protection(pd.DataFrame(counts), pattern)
    assert set(audit.index) == set(range(int((counts < 5).sum())))
    if not audit["protected"].all():
        assert (pattern.to_numpy() != "").all()
    assert (audit["lower"] <= audit["value"]).all() and (audit["value"] <= audit["upper"]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.int64, st.tuples(st.integers(2, 4), st.integers(2, 4)), elements=st.integers(0, 40)))
def test_with_the_margins_inside_the_table_the_audit_holds_unless_all_is_withheld(counts):
    full = pd.DataFrame(counts, index=[f"r{i}" for i in range(counts.shape[0])],
                        columns=[f"c{j}" for j in range(counts.shape[1])])
    full["All"] = full.sum(axis=1)
    full.loc["All"] = full.sum(axis=0)
    pattern = suppression_pattern(full, 5, margins=True)
    audit = audit_protection(full, pattern)
    # [[2, 2], [2, 2]]: every total is "<5" but the grand total is "—" (at least 5), so each row total is at least
    # 1: the markers themselves narrow the cells, and with everything withheld nothing more can be done.
    if not audit["protected"].all():
        assert (pattern.to_numpy() != "").all(), audit


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=12))
def test_one_way_counts_with_a_published_total(values):
    counts = pd.Series(values, index=[f"k{i}" for i in range(len(values))], dtype=float)
    pattern = suppression_pattern(counts, 5, margins=True)
    audit = audit_protection(counts, pattern)
    if not audit["protected"].all():
        assert (pattern != "").all()
    else:
        assert ((audit["upper"] - audit["lower"]) >= 4).all()


def test_a_narrower_protection_width_withholds_less():
    counts = pd.Series([4, 3, 40, 60], index=list("abcd"), dtype=float)
    full = suppression_pattern(counts, 5, margins=True)
    assert audit_protection(counts, full)["protected"].all()
    narrow = suppression_pattern(counts, 5, margins=True, protection=1)
    assert (narrow == PRIMARY).sum() == 2 and (narrow == SECONDARY).sum() == 0  # 4 and 3: each in [3, 4]
    assert audit_protection(counts, narrow, protection=1)["protected"].all()
    assert not audit_protection(counts, narrow)["protected"].all()


def test_counts_that_are_not_whole_numbers_do_not_make_the_audit_infeasible():
    # Weighted cases (4.5 respondents) are "<5" too; the markers' bounds must still hold the true table.
    counts = pd.Series([4.5, 4.5, 30.0], index=list("abc"))  # a + b = 9 > 4 + 4
    pattern = suppression_pattern(counts, 5, margins=True)
    assert (pattern[["a", "b"]] == PRIMARY).all()
    audit = audit_protection(counts, pattern)
    assert audit["protected"].all()
    assert (audit["lower"] <= audit["value"]).all() and (audit["value"] <= audit["upper"]).all()
