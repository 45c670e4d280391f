"""The column-wise typing of Parquet registers gives exactly the frame and the problems of the export parsers.

Each case writes a register to Parquet, reads it back as the loader does, and types it both ways
(:func:`~evaluation.data.schemas.coerce_table`, the parsers cell by cell, and
:func:`~evaluation.data.fastcoerce.coerce_table_fast`); the typed frames must be equal with their dtypes, and so must
the problems, including those the schema finds on the typed frame. A whole district read through
:func:`~evaluation.data.read_district` must give the same tables and problems with the fast path switched off.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.data import loader, read_district
from evaluation.data.contract import table
from evaluation.data.fastcoerce import coerce_table_fast
from evaluation.data.lazy import NA_MARKERS
from evaluation.data.parsing import blank_to_na, date_window
from evaluation.data.readers import map_headers, read_table_file
from evaluation.data.schemas import check_table, coerce_table

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
WINDOW = date_window("2024-12-31")


def _both(tmp_path: Path, name: str, frame: pd.DataFrame):
    """Type ``frame`` (written to and read from Parquet) both ways; assert equality; return the problems."""
    path = tmp_path / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    t = table(name)
    raw, _ = read_table_file(path, t)
    mapped, _ = map_headers(raw, t)
    slow, slow_p, slow_r = coerce_table(mapped, t, path.name, 1, WINDOW)
    fast, fast_p, fast_r = coerce_table_fast(mapped, t, path.name, 1, WINDOW)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert fast_p == slow_p
    assert fast_r == slow_r
    checked = check_table(fast, t, path.name, 1, reported=fast_p)
    assert checked == check_table(slow, t, path.name, 1, reported=slow_p)
    return fast_p + checked, fast_r


def _survey(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "wave": np.full(n, 2024, dtype="int64"),
        "respondent_id": [f"R{i:05d}" for i in range(n)],
        "community_id": [f"C{i % 4:02d}" for i in range(n)],
        "stratum": ["城区", "郊区"] * (n // 2),
        "base_weight": rng.uniform(1, 3, n),
        "interview_date": ["2024-05-01", "2024-06-12"] * (n // 2),
        "sex": ["male", "female"] * (n // 2),
        "age": rng.integers(18, 90, n).astype("int64"),
        "hukou": ["local", None] * (n // 2),
        "years_resident": rng.uniform(0, 40, n),
        "q_overall": rng.integers(1, 11, n).astype("int64"),
        "q_recommend": np.where(np.arange(n) % 7 == 0, 98, 5).astype("int64"),
        "q_participated_12m": (np.arange(n) % 2).astype("int64"),
    })


def _events(n: int = 40) -> pd.DataFrame:
    rep = pd.Timestamp("2024-03-01 08:00:00") + pd.to_timedelta(np.arange(n) * 3607, unit="s")
    closed = [str(t + pd.Timedelta(hours=5)) if i % 3 else None for i, t in enumerate(rep)]
    return pd.DataFrame({
        "event_id": [f"E{i:06d}" for i in range(n)],
        "community_id": [f"C{i % 4:02d}" for i in range(n)],
        "grid_id": [f"G{i % 9}" for i in range(n)],
        "category": ["环境卫生", "治安", "矛盾纠纷", "其他"] * (n // 4),
        "reported_at": [str(t) for t in rep],
        "deadline_at": [str(t.date()) for t in rep],
        "closed_at": closed,
        "status": ["closed" if c else "open" for c in closed],
        "callback": ["satisfied", None, "basically", "not_reached"] * (n // 4),
    })


def test_clean_registers_same_both_ways(tmp_path):
    problems, recoded = _both(tmp_path, "survey_responses", _survey())
    assert problems == [] and recoded == {"q_recommend": 6}
    problems, _ = _both(tmp_path, "grid_events", _events())
    assert problems == []


def test_typed_timestamps_same_both_ways(tmp_path):
    e = _events()
    for c in ("reported_at", "deadline_at", "closed_at"):
        e[c] = pd.to_datetime(e[c]).astype("datetime64[us]")
    problems, _ = _both(tmp_path, "grid_events", e)
    assert problems == []
    e.loc[2, "reported_at"] = pd.Timestamp("2204-03-01 08:00:00")
    e.loc[3, "deadline_at"] = pd.NaT
    problems, _ = _both(tmp_path, "grid_events", e)
    assert (3, "reported_at", "implausible_date") in {(p.row, p.column, p.rule) for p in problems}
    s = _survey()
    s["interview_date"] = pd.to_datetime(s["interview_date"]) + pd.Timedelta(hours=7)
    _both(tmp_path, "survey_responses", s)


def test_a_wrong_type_same_problems(tmp_path):
    s = _survey()
    s["age"] = s["age"].astype(str)
    s.loc[3, "age"] = "abc"
    s.loc[5, "age"] = "37.5"
    problems, _ = _both(tmp_path, "survey_responses", s)
    assert {(p.row, p.column, p.rule) for p in problems} >= {(4, "age", "unparseable_int"),
                                                              (6, "age", "unparseable_int")}
    s = _survey()
    s["q_participated_12m"] = s["q_participated_12m"].where(s.index != 2, 2)
    s["base_weight"] = s["base_weight"].where(s.index != 4, np.inf)
    problems, _ = _both(tmp_path, "survey_responses", s)
    assert {(p.row, p.column) for p in problems} >= {(3, "q_participated_12m"), (5, "base_weight")}


def test_an_out_of_range_value_same_problems(tmp_path):
    s = _survey()
    s.loc[7, "age"] = 150
    s.loc[8, "wave"] = 2204
    problems, _ = _both(tmp_path, "survey_responses", s)
    assert {(p.row, p.column, p.rule) for p in problems} >= {(8, "age", "out_of_range"),
                                                              (9, "wave", "implausible_year")}
    e = _events()
    e.loc[2, "reported_at"] = "2204-03-01 08:00:00"
    e.loc[3, "deadline_at"] = "2024-02-30"
    problems, _ = _both(tmp_path, "grid_events", e)
    assert {(p.row, p.column, p.rule) for p in problems} >= {(3, "reported_at", "implausible_date"),
                                                              (4, "deadline_at", "unparseable_datetime")}


def test_an_unknown_code_same_problems(tmp_path):
    s = _survey()
    s.loc[1, "sex"] = "x"
    s.loc[2, "sex"] = "男"  # a synonym is read as its code on both paths
    problems, _ = _both(tmp_path, "survey_responses", s)
    assert [(p.row, p.column, p.rule) for p in problems] == [(2, "sex", "unknown_code")]


def test_a_null_in_a_required_column_same_problems(tmp_path):
    e = _events()
    e.loc[4, "community_id"] = None
    e.loc[5, "event_id"] = "NA"
    problems, _ = _both(tmp_path, "grid_events", e)
    assert {(p.row, p.column, p.rule) for p in problems} >= {(5, "community_id", "empty_required"),
                                                              (6, "event_id", "empty_required")}


def test_untidy_values_same_both_ways(tmp_path):
    e = _events()
    e.loc[1, "reported_at"] = "2024年3月1日 9时5分"
    e.loc[2, "grid_id"] = " G1 "
    e.loc[3, "grid_id"] = "Ｇ１"
    e.loc[4, "category"] = "合计"
    _both(tmp_path, "grid_events", e)
    e = _events()
    e.loc[6, "callback"] = "满意"
    e.loc[7, "event_id"] = "E000000"  # a duplicate key
    problems, _ = _both(tmp_path, "grid_events", e)
    assert [(p.row, p.rule) for p in problems] == [(1, "duplicate_key"), (8, "duplicate_key")]
    s = _survey()
    s["q_participated_12m"] = s["q_participated_12m"].astype(float).where(s.index != 0, -0.0)
    s["age"] = s["age"].astype(float).where(s.index != 9, np.nan)
    _both(tmp_path, "survey_responses", s)


def test_na_markers_are_the_parsers_blanks():
    markers = pd.Series(list(NA_MARKERS), dtype=object)
    assert blank_to_na(markers).isna().all()


@pytest.mark.parametrize("typed", [False, True])
def test_district_same_tables_and_problems(tmp_path, monkeypatch, typed):
    """The bundled district's small tables as Parquet (all text, or typed as pandas writes them), clean and with
    planted problems: read_district gives the same tables and problems with the fast path off."""
    names = ("communities", "population", "activities", "volunteers", "organisations", "service_hours")
    folder = tmp_path / "district"
    folder.mkdir()
    shutil.copy(DATA / "dataset.yaml", folder / "dataset.yaml")
    for name in names:
        src = DATA / f"{name}.csv"
        if src.exists():
            df = pd.read_csv(src, dtype=None if typed else str, keep_default_na=typed)
        else:
            df = pd.read_parquet(DATA / f"{name}.parquet")
        df.to_parquet(folder / f"{name}.parquet", index=False)

    def both():
        fast = read_district(folder, b"salt", tables=names)
        with monkeypatch.context() as m:
            m.setattr(loader, "coerce_table_fast", coerce_table)
            slow = read_district(folder, b"salt", tables=names)
        assert fast[1] == slow[1]
        assert (fast[0] is None) == (slow[0] is None)
        if fast[0] is not None:
            for name in fast[0].tables:
                pd.testing.assert_frame_equal(fast[0][name], slow[0][name], check_exact=True)
        return fast[1]

    assert not [p for p in both() if p.severity == "error"]
    act = pd.read_parquet(folder / "activities.parquet")
    act["attendance"] = act["attendance"].astype(str)
    act.loc[3, "attendance"] = "many"           # a wrong type
    act.loc[4, "attendance"] = "-5"             # out of range
    act.loc[5, "venue_level"] = "palace"        # an unknown code
    act.loc[6, "community_id"] = None           # a null in a required column
    act.loc[7, "community_id"] = "C999"         # an unknown community
    act.to_parquet(folder / "activities.parquet", index=False)
    rules = {(p.row, p.column, p.rule) for p in both() if p.file == "activities.parquet"}
    assert rules >= {(4, "attendance", "unparseable_int"), (5, "attendance", "out_of_range"),
                     (6, "venue_level", "unknown_code"), (7, "community_id", "empty_required"),
                     (8, "community_id", "unknown_community")}


def test_bundled_exports_same_both_ways(monkeypatch):
    """The bundled district's CSV and Excel exports, as the loader reads them (column-wise since it types every
    format that way): the same tables, dtypes, missing-code counts and problems as the parsers cell by cell."""
    fast, fast_p = read_district(DATA)
    monkeypatch.setattr(loader, "coerce_table_fast", coerce_table)
    slow, slow_p = read_district(DATA)
    assert fast_p == slow_p and fast is not None and slow is not None
    assert {f.fmt for f in fast.files.values()} >= {"csv"}
    assert fast.recoded_missing == slow.recoded_missing and list(fast.tables) == list(slow.tables)
    for name, frame in slow.tables.items():
        pd.testing.assert_frame_equal(fast.tables[name], frame, check_exact=True)
