import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evaluation.privacy.suppression import (
    PRIMARY,
    SECONDARY,
    SUPPRESSION_NOTE,
    feasible_intervals,
    format_suppressed,
    suppress_series,
    suppress_table,
    suppression_pattern,
)

# --- independent checks ------------------------------------------------------------------------------------


def _with_margins(counts: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(counts, index=[f"r{i}" for i in range(counts.shape[0])],
                      columns=[f"c{j}" for j in range(counts.shape[1])])
    df["All"] = df.sum(axis=1)
    df.loc["All"] = df.sum(axis=0)
    return df


def _lines(full: pd.DataFrame) -> list[list[tuple]]:
    """Every additive line of a table with margins: its entries as (row, column) labels, total last."""
    rows, cols = list(full.index[:-1]), list(full.columns[:-1])
    out = [[(r, c) for c in cols] + [(r, "All")] for r in rows]
    out += [[(r, c) for r in rows] + [("All", c)] for c in cols]
    out.append([("All", c) for c in cols] + [("All", "All")])
    out.append([(r, "All") for r in rows] + [("All", "All")])
    return out


def _linearly_determined(full: pd.DataFrame, withheld: set) -> set:
    """Withheld cells fixed by the linear equations alone (the null space has no component on them), via SVD."""
    cells = sorted(withheld)
    if not cells:
        return set()
    pos = {c: k for k, c in enumerate(cells)}
    a = []
    for line in _lines(full):
        row = np.zeros(len(cells))
        for k, cell in enumerate(line):
            if cell in pos:
                row[pos[cell]] += -1.0 if k == len(line) - 1 else 1.0
        if row.any():
            a.append(row)
    if not a:
        return set()
    a = np.array(a)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    return {c for c in cells if null.shape[0] == 0 or np.abs(null[:, pos[c]]).max() < 1e-9}


def _brute_force_ranges(counts: np.ndarray, withheld: np.ndarray) -> dict[tuple[int, int], tuple[int, int]]:
    """Range of each withheld interior cell over all non-negative integer tables with the published cells and all
    totals (exhaustive enumeration, row by row)."""
    r, c = counts.shape
    per_row = []
    for i in range(r):
        cols = [j for j in range(c) if withheld[i, j]]
        residual = int(counts[i].sum() - counts[i][~withheld[i]].sum())
        options = [comp for comp in itertools.product(range(residual + 1), repeat=len(cols))
                   if sum(comp) == residual]
        per_row.append((cols, options))
    col_residual = counts.sum(axis=0) - np.where(withheld, 0, counts).sum(axis=0)
    seen: dict[tuple[int, int], set[int]] = {}
    for combo in itertools.product(*(opts for _, opts in per_row)):
        col_sum = np.zeros(c)
        for (cols, _), comp in zip(per_row, combo):
            for j, v in zip(cols, comp):
                col_sum[j] += v
        if np.array_equal(col_sum, col_residual):
            for i, ((cols, _), comp) in enumerate(zip(per_row, combo)):
                for j, v in zip(cols, comp):
                    seen.setdefault((i, j), set()).add(v)
    return {k: (min(v), max(v)) for k, v in seen.items()}


small_counts = st.integers(0, 6) | st.integers(5, 40)


@st.composite
def count_tables(draw, max_rows=5, max_cols=5):
    shape = (draw(st.integers(2, max_rows)), draw(st.integers(2, max_cols)))
    return draw(hnp.arrays(np.int64, shape, elements=small_counts))


# --- one-way -----------------------------------------------------------------------------------------------


def test_one_way_single_small_count_gets_a_companion():
    s = pd.Series({"A": 3, "B": 10, "C": 25, "All": 38})
    assert suppression_pattern(s, margins=True).tolist() == [PRIMARY, SECONDARY, "", ""]
    assert suppress_series(s).tolist() == ["<5", "—", 25, 38]
    assert suppress_series(s, total=False).tolist() == ["<5", 10, 25, 38]


def test_one_way_zeros_that_sum_to_zero_are_protected_by_a_positive_count():
    s = pd.Series({"A": 0, "B": 0, "C": 10, "D": 20})
    assert suppression_pattern(s, margins=True).tolist() == [PRIMARY, PRIMARY, SECONDARY, ""]
    assert suppression_pattern(s, margins=True, suppress_zeros=False).tolist() == ["", "", "", ""]


@settings(max_examples=150)
@given(st.lists(small_counts, min_size=1, max_size=8))
def test_one_way_no_withheld_count_is_derivable_from_the_total(values):
    assume(sum(values) > 0)  # a published total of 0 tells every count by itself
    s = pd.Series(values, index=[f"k{i}" for i in range(len(values))])
    status = suppression_pattern(s, margins=True)
    withheld = status != ""
    assert ((s < 5) == (status == PRIMARY)).all()
    assert withheld.sum() != 1 or len(s) == 1
    if withheld.sum() >= 2:
        assert s[withheld].sum() > 0  # otherwise each withheld count is known to be 0


# --- two-way -----------------------------------------------------------------------------------------------


def test_two_way_example_by_hand():
    t = pd.DataFrame({"yes": [12, 3, 20], "no": [8, 9, 15]}, index=["C01", "C02", "C03"])
    status = suppression_pattern(t, margins=True)
    assert status.to_dict("list") == {"yes": [SECONDARY, PRIMARY, ""], "no": [SECONDARY, SECONDARY, ""]}
    assert suppression_pattern(t, margins=False).to_dict("list") == {"yes": ["", PRIMARY, ""], "no": ["", "", ""]}
    shown = suppress_table(t, margins=True)
    assert shown.to_dict("list") == {"yes": ["—", "<5", 20], "no": ["—", "—", 15]}


def test_a_zero_total_published_elsewhere_cannot_be_protected_inside_the_table():
    counts = pd.DataFrame({"a": [0, 7], "b": [0, 9]})
    # Row 0's total (0) tells both cells; everything that can be withheld is, and the loop ends.
    status = suppression_pattern(counts, margins=True)
    assert status.loc[0].tolist() == [PRIMARY, PRIMARY]


def test_margins_inside_the_table_can_be_withheld_too():
    counts = _with_margins(np.array([[1, 2], [20, 30], [12, 15]]))
    status = suppression_pattern(counts, margins=True)
    assert status.loc["r0", "All"] == PRIMARY  # row total 3
    assert status.loc["All", "All"] == ""
    assert _linearly_determined(counts, {(r, c) for r in status.index for c in status.columns
                                         if status.loc[r, c]}) == set()


def test_inconsistent_margins_are_refused():
    counts = _with_margins(np.array([[1, 2], [20, 30]]))
    counts.loc["r0", "All"] = 99
    with pytest.raises(ValueError, match="not the sums"):
        suppression_pattern(counts, margins=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count_tables())
def test_no_withheld_cell_is_derivable_from_totals_and_published_cells(counts):
    assume((counts.sum(axis=0) > 0).all() and (counts.sum(axis=1) > 0).all())  # else the totals tell
    full = _with_margins(counts)
    status = suppression_pattern(pd.DataFrame(counts), margins=True)
    withheld = status.to_numpy() != ""
    # primary suppression is exactly the small cells
    assert np.array_equal(status.to_numpy() == PRIMARY, counts < 5)
    # no row or column (totals published) has exactly one withheld cell
    assert not (withheld.sum(axis=1) == 1).any() and not (withheld.sum(axis=0) == 1).any()
    # nor can any withheld cell be solved for from the whole system of totals
    cells = {(f"r{i}", f"c{j}") for i, j in zip(*np.nonzero(withheld))}
    assert _linearly_determined(full, cells) == set()
    # and non-negativity does not pin one down either (LP bounds, checked against brute force below)
    iv = feasible_intervals(pd.DataFrame(counts), status)
    assert ((iv["upper"] - iv["lower"]) > 0).all()
    assert ((iv["lower"] <= iv["value"]) & (iv["value"] <= iv["upper"])).all()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.int64, st.tuples(st.just(2), st.integers(2, 3)), elements=st.integers(0, 7)))
def test_lp_ranges_equal_brute_force_enumeration(counts):
    assume((counts.sum(axis=0) > 0).all() and (counts.sum(axis=1) > 0).all())
    status = suppression_pattern(pd.DataFrame(counts), margins=True)
    withheld = status.to_numpy() != ""
    iv = feasible_intervals(pd.DataFrame(counts), status)
    brute = _brute_force_ranges(counts, withheld)
    got = {(int(r), int(c)): (lo, hi) for r, c, lo, hi in iv[["row", "column", "lower", "upper"]].itertuples(
        index=False)}
    assert got.keys() == brute.keys()
    for k, (lo, hi) in brute.items():
        assert got[k] == pytest.approx((lo, hi), abs=1e-6)
        assert hi > lo


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count_tables(max_rows=4, max_cols=4))
def test_tables_with_their_margins_inside(counts):
    full = _with_margins(counts)
    status = suppression_pattern(full, margins=True)
    withheld = {(r, c) for r in status.index for c in status.columns if status.loc[r, c]}
    assert np.array_equal(status.to_numpy() == PRIMARY, full.to_numpy() < 5)
    for line in _lines(full):
        assert sum(cell in withheld for cell in line) != 1
    assert _linearly_determined(full, withheld) == set()


# --- tables of shares and means ----------------------------------------------------------------------------


def test_shares_are_withheld_by_their_counts():
    counts = pd.DataFrame({"satisfied": [30, 2, 18], "not": [10, 6, 9]}, index=["C01", "C02", "C03"])
    shares = counts.div(counts.sum(axis=1), axis=0).round(3)
    out = suppress_table(shares, counts=counts, margins=True)
    status = suppression_pattern(counts, margins=True)
    for col in shares.columns:
        for idx in shares.index:
            if status.loc[idx, col]:
                assert out.loc[idx, col] in ("n<5", "—")
            else:
                assert out.loc[idx, col] == shares.loc[idx, col]
    # a share withheld for its 2 cases: "<5" would read as a share below 5 (issue 17)
    assert out.loc["C02", "satisfied"] == "n<5"


def test_means_with_one_count_per_row():
    t = pd.DataFrame({"community": ["C01", "C02", "C03"], "mean": [3.2, 4.1, 3.9], "n": [3, 40, 22]})
    out = suppress_table(t, counts="n")
    # the count column is the small count itself ("<5"); the mean beside it rests on it ("n<5")
    assert out["mean"].tolist() == ["n<5", 4.1, 3.9] and out["n"].tolist() == ["<5", 40, 22]
    assert out["community"].tolist() == ["C01", "C02", "C03"]
    out = suppress_table(t.set_index("community"), counts=pd.Series({"C01": 3, "C02": 40, "C03": 22}),
                         value_cols=["mean"], margins=True, primary_marker="(few)", secondary_marker="x")
    assert out["mean"].tolist() == ["(few)", 4.1, "x"] and out["n"].tolist() == [3, 40, 22]


def test_counts_must_cover_the_table():
    with pytest.raises(ValueError):
        suppress_table(pd.DataFrame({"a": [1.0, 2.0]}), counts=pd.DataFrame({"a": [10]}))


def test_suppressed_output_survives_json_and_html_and_formats_for_word():
    t = pd.DataFrame({"yes": [12, 3, 20], "no": [8, 9, 15]}, index=["C01", "C02", "C03"])
    out = suppress_table(t, margins=True)
    assert '"<5"' in out.to_json() and "&lt;5" in out.to_html()
    shown = format_suppressed(pd.DataFrame({"a": [1234, "<5"], "b": [0.456, None]}), decimals=2)
    assert shown.to_dict("list") == {"a": ["1,234", "<5"], "b": ["0.46", "—"]}
    assert "<5" in SUPPRESSION_NOTE.format(min_cell=5)
