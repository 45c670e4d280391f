"""Streaming validation: a generated Parquet file of a few hundred thousand rows with planted problems.

Each planted problem must be found at its spreadsheet row with the loader's own message; the counts must cover all
of them while only the first K are listed; a clean file must be canonical; a CSV gives the same findings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.data import read_district
from evaluation.data.contract import table
from evaluation.data.lazy import ParquetTable
from evaluation.data import stream
from evaluation.data.stream import CACHE_ENV, validate_stream

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
N = 300_000


@pytest.fixture(autouse=True)
def _own_verdict_cache(tmp_path, monkeypatch):
    # clean verdicts go to a folder of this test, not to the user's cache
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "verdicts"))


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    base = pd.read_parquet(DATA / "grid_events.parquet")
    reps = -(-N // len(base))
    big = pd.concat([base] * reps, ignore_index=True).iloc[:N].copy()
    big["event_id"] = [f"E{i:09d}" for i in range(N)]
    return big


@pytest.fixture(scope="module")
def communities() -> list[str]:
    return pd.read_csv(DATA / "communities.csv", dtype=str)["community_id"].tolist()


# (0-based data index, column, value, rule)
PLANTED = [(5, "status", "bogus", "unknown_code"), (70_001, "community_id", "X99", "unknown_community"),
           (150_000, "reported_at", "yesterday", "unparseable_datetime"),
           (299_990, "category", None, "empty_required")]
# spread 400 bad codes to exceed the first-K list
MANY = list(range(1000, 201_000, 500))


@pytest.fixture(scope="module")
def bad_file(tmp_path_factory, events) -> Path:
    bad = events.copy()
    for i, col, val, _ in PLANTED:
        bad.loc[i, col] = val
    bad.loc[MANY, "callback"] = "happy"
    bad.loc[250_000, "event_id"] = bad.loc[10, "event_id"]
    path = tmp_path_factory.mktemp("s") / "grid_events.parquet"
    bad.to_parquet(path, row_group_size=50_000)
    return path


def test_planted_problems_found_at_their_rows(bad_file, communities):
    rep = validate_stream(bad_file, table("grid_events"), communities, first_k=500, batch_rows=60_000)
    found = {(p.row, p.column, p.rule) for p in rep.problems}
    for i, col, _, rule in PLANTED:
        assert (i + 1, col, rule) in found  # Parquet: first data row is row 1
    dups = {p.row for p in rep.problems if p.rule == "duplicate_key"}
    assert dups == {11, 250_001}
    counts = {(r, c): n for _, r, c, n in rep.counts}
    assert counts[("unknown_code", "callback")] == len(MANY)
    assert counts[("duplicate_key", "event_id")] == 2
    assert rep.rows == N and not rep.canonical


def test_first_k_and_a_count_of_the_rest(bad_file, communities):
    rep = validate_stream(bad_file, table("grid_events"), communities, first_k=10, batch_rows=100_000)
    assert len(rep.problems) == 10
    assert {p.rule for p in rep.problems if p.row == 6} == {"unknown_code", "open_with_close_time"}
    more = [p for p in rep.summary() if p.row is None and p.column == "callback"]
    assert len(more) == 1 and f"{len(MANY) - sum(p.column == 'callback' for p in rep.problems):,} more" in \
        more[0].message
    # the unparseable time is one problem, not also "a required value is empty" (issue 17); the bogus status is also
    # a warning (not closed, yet a closing time), as the in-memory loader says
    assert rep.n_errors == len(MANY) + len(PLANTED) + 2 and rep.n_warnings == 1


def test_same_problems_as_the_in_memory_loader(tmp_path, events, communities):
    small = events.iloc[:2000].copy()
    small.loc[3, "status"] = "bogus"
    small.loc[7, "closed_at"] = "2001-01-01 00:00:00"
    small.loc[9, "reported_at"] = "2024年5月1日 8时30分"  # valid, but not canonical
    small.loc[12, "event_id"] = small.loc[13, "event_id"]
    folder = tmp_path / "d"
    folder.mkdir()
    for p in DATA.iterdir():
        if p.suffix == ".csv" or p.name == "dataset.yaml":
            (folder / p.name).write_bytes(p.read_bytes())
    small.to_parquet(folder / "grid_events.parquet")
    _, eager = read_district(folder, lazy_rows=None)
    want = sorted(p for p in eager if p.file == "grid_events.parquet")
    rep = validate_stream(folder / "grid_events.parquet", table("grid_events"), communities, batch_rows=500)
    assert sorted(rep.problems) == want and not rep.canonical


def test_clean_file_is_canonical_and_csv_agrees(tmp_path, events, communities):
    part = events.iloc[:50_000]
    pq_path = tmp_path / "grid_events.parquet"
    part.to_parquet(pq_path)
    rep = validate_stream(pq_path, table("grid_events"), communities, batch_rows=20_000)
    assert rep.canonical and not rep.counts and rep.rows == 50_000
    bad = part.copy()
    bad.loc[[4, 40_000], "status"] = "已办结"  # a Chinese synonym: valid, not canonical
    bad.loc[41_000, "status"] = "bogus"
    csv_path = tmp_path / "grid_events.csv"
    bad.to_csv(csv_path, index=False, encoding="gb18030")
    rep = validate_stream(csv_path, table("grid_events"), communities, batch_rows=20_000)
    assert not rep.canonical
    errors = [(p.row, p.rule) for p in rep.problems if p.severity == "error"]
    assert errors == [(41_002, "unknown_code")]  # CSV: the header is row 1


def test_loader_keeps_a_large_clean_table_on_disk(tmp_path, events):
    folder = tmp_path / "d"
    folder.mkdir()
    for p in DATA.iterdir():
        if p.suffix == ".csv" or p.name == "dataset.yaml":
            (folder / p.name).write_bytes(p.read_bytes())
    chunks = folder / "grid_events"
    chunks.mkdir()
    for k, lo in enumerate(range(0, 100_000, 40_000)):
        events.iloc[lo:min(lo + 40_000, 100_000)].to_parquet(chunks / f"part-{k:03d}.parquet")
    district, problems = read_district(folder, lazy_rows=50_000)
    assert district is not None, [p for p in problems if p.severity == "error"][:3]
    ev = district.tables["grid_events"]
    assert isinstance(ev, ParquetTable) and len(ev) == 100_000 and len(ev.paths) == 3
    assert "description" not in ev.columns  # free text is never exposed unmasked
    n = ev.query("SELECT count(*) AS n FROM {t} WHERE status = 'closed'")["n"].item()
    assert n == int((events.iloc[:100_000]["status"] == "closed").sum())
    typed = ev.to_pandas(["reported_at"])["reported_at"]
    # DuckDB does not keep the row order (it need not, for aggregates): compare the sorted values
    np.testing.assert_array_equal(np.sort(typed.to_numpy(dtype="datetime64[us]")),
                                  np.sort(pd.to_datetime(events.iloc[:100_000]["reported_at"]).to_numpy(
                                      dtype="datetime64[us]")))


def test_clean_parquet_duplicates_found_by_the_whole_file_pass(tmp_path, events, communities):
    # no row is flagged, so DuckDB checks the files in one pass; repeated keys must still be found at their rows,
    # across chunk files (row numbers counted from the first file's start)
    part = events.iloc[:90_000].copy()
    part.loc[[70_000, 85_000], "event_id"] = part.loc[[3, 3], "event_id"].to_numpy()
    folder = tmp_path / "grid_events"
    folder.mkdir()
    for k, lo in enumerate(range(0, 90_000, 30_000)):
        part.iloc[lo:lo + 30_000].to_parquet(folder / f"part-{k:03d}.parquet")
    rep = validate_stream(folder, table("grid_events"), communities, first_k=10)
    assert rep.canonical and rep.rows == 90_000
    assert {p.row for p in rep.problems if p.rule == "duplicate_key"} == {4, 70_001, 85_001}
    assert [(r, c, n) for _, r, c, n in rep.counts] == [("duplicate_key", "event_id", 3)]


def test_missing_codes_counted_in_the_whole_file_pass(tmp_path):
    survey = pd.read_csv(DATA / "survey_responses.csv", dtype=str, keep_default_na=False)
    survey = survey[[c for c in survey.columns if c != "interview_date"]]  # no date checks needed here
    # the raw answers holding the contract's missing codes (8/9 on the 1–5 items, 98/99 on the 0–10 ones)
    codes = {c: survey[c].isin([str(int(x)) for x in table("survey_responses").column(c).missing_codes]).sum()
             for c in ("q_trust", "q_overall")}
    assert codes["q_trust"] > 0  # the bundled survey has "don't know" / refused answers
    path = tmp_path / "survey_responses.parquet"
    survey.to_parquet(path)
    rep = validate_stream(path, table("survey_responses"), None)
    assert rep.canonical and not rep.counts and rep.rows == len(survey)
    assert {k: rep.recoded.get(k, 0) for k in codes} == {k: int(v) for k, v in codes.items()}


def test_loader_reads_only_the_tables_asked_for():
    district, problems = read_district(DATA, tables=("grid_events", "population"))
    assert district is not None, [p for p in problems if p.severity == "error"][:3]
    assert set(district.tables) == {"grid_events", "population", "communities"}
    with pytest.raises(ValueError, match="grid_event"):
        read_district(DATA, tables=("grid_event",))


def test_clean_verdict_remembered_until_the_file_changes(tmp_path, events, communities, monkeypatch):
    path = tmp_path / "grid_events.parquet"
    events.iloc[:20_000].to_parquet(path)
    first = validate_stream(path, table("grid_events"), communities)
    assert first.canonical and not first.counts
    assert len(list((tmp_path / "verdicts").glob("*.json"))) == 1

    def no_pass(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(stream, "_clean_parquet", no_pass)
    assert validate_stream(path, table("grid_events"), communities) == first
    # another community register is another check: read again
    with pytest.raises(AssertionError, match="read again"):
        validate_stream(path, table("grid_events"), communities[:-1])
    monkeypatch.undo()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "verdicts"))
    bad = events.iloc[:20_000].copy()
    bad.loc[7, "status"] = "bogus"
    bad.to_parquet(path)  # same name, new size and time: the verdict does not apply
    again = validate_stream(path, table("grid_events"), communities)
    assert [(p.row, p.rule) for p in again.problems if p.severity == "error"] == [(8, "unknown_code")]
    assert len(list((tmp_path / "verdicts").glob("*.json"))) == 1  # problems are never remembered


def test_verdict_cache_off(tmp_path, events, communities, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "off")
    path = tmp_path / "grid_events.parquet"
    events.iloc[:5_000].to_parquet(path)
    assert validate_stream(path, table("grid_events"), communities).canonical
    assert stream.verdict_cache_dir() is None and not (tmp_path / "verdicts").exists()


def test_totals_flag_agrees_with_the_pattern():
    # the first-characters shortcut must give what the regular expression gives, case folding and blanks included
    import duckdb

    from evaluation.data.parsing import _TOTALS_RE
    from evaluation.data.lazy import sql_string

    values = ["合计", " 合计", "总计：", "Total", "TOTAL", "total:", "tOtal ", "\ttotal", "Subtotal", "subtotal x",
              "SUM", "ſum", "ſubtotal", "sum\n", "sun", "su", "s", "t", "g", "Grand Total", "grand  total",
              "grand total：", "gr", "to", "tO", "to tal", "KSUM", "\u212asum", "E000000001", "L0006", "street",
              "grid_patrol", "satisfied", "", " ", ":", "\x1ctotal", "\x7ftotal", "\u3000total", "小计", "共计 :",
              "Total 合计", "totals", "sum:", "sum::", None]
    con = duckdb.connect()
    got = con.execute(
        f"SELECT v, {stream._totals_flag('v')} AS fast, regexp_matches(v, {sql_string(_TOTALS_RE.pattern)}, 'i') "
        f"AS slow FROM (SELECT unnest($vals) AS v)", {"vals": values}).fetchall()
    assert len(got) == len(values)
    assert [(v, fast) for v, fast, _ in got] == [(v, slow) for v, _, slow in got]
    assert sum(bool(slow) for _, _, slow in got) > 10  # labels are among them


def test_few_valued_columns_checked_on_their_distinct_values(tmp_path, events, communities):
    # the code columns of a clean file are settled by their distinct values; one bad row among 300,000 is still
    # found at its row, with the loader's message
    from evaluation.data.lazy import connect, parquet_schema

    path = tmp_path / "grid_events.parquet"
    events.to_parquet(path)
    schema = parquet_schema((path,))
    types = {h: schema.field(h).type for h in schema.names}
    src_of = {h: h for h in schema.names if h in {c.name for c in table("grid_events").columns}}
    cols = [c for c in table("grid_events").columns if c.name in src_of and not c.personal]
    con = connect()
    con.register("known", pd.DataFrame({"community_id": communities}))
    settled = stream._settled(con, (path,), f"read_parquet('{path}')",
                              lambda some, settled=frozenset(): stream._flag_sql(
                                  table("grid_events"), some, src_of, types, True, None, settled),
                              cols, src_of, types)
    assert {"community_id", "category", "status", "callback"} <= settled
    assert not settled & {"event_id", "reported_at", "closed_at"}  # many values: checked row by row
    bad = events.copy()
    bad.loc[123_456, "source"] = "Total"
    bad.loc[234_567, "community_id"] = "X99"
    bad.to_parquet(path)
    rep = validate_stream(path, table("grid_events"), communities)
    assert [(p.row, p.column, p.rule) for p in rep.problems] == [
        (123_457, "source", "totals_row"), (234_568, "community_id", "unknown_community")]


def test_key_scan_order_and_plain_values(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def parts(*chunks, large=True):
        out = []
        for k, values in enumerate(chunks):
            p = tmp_path / f"{len(list(tmp_path.iterdir()))}-{k}.parquet"
            pq.write_table(pa.table({"k": pa.array(values, pa.large_string() if large else pa.string())}), p,
                           row_group_size=2)
            out.append(p)
        return tuple(out)

    assert stream._key_scan(parts(["a", "b", "c"], ["d", "e"]), "k") == (True, True)
    assert stream._key_scan(parts(["a", "b", "c"], ["d", "e"], large=False), "k") == (True, True)
    assert stream._key_scan(parts(["a", "b", "b"]), "k") == (False, True)  # a repeat within a file
    assert stream._key_scan(parts(["a", "c"], ["b", "d"]), "k") == (False, True)  # across files
    assert stream._key_scan(parts(["a", "c"], ["c", "d"]), "k") == (False, True)
    assert stream._key_scan(parts(["b", "a"]), "k") == (False, True)
    assert stream._key_scan(parts(["a", None, "c"]), "k") == (False, False)
    # not plain: a blank at either end, a control character, a marker, a totals letter first, not ASCII, empty
    for odd in (" b", "b ", "b\t", "\x1fb", "NA", "N/A", "-", "null", "Total", "sum", "grand", "éb", "b合", ""):
        assert stream._key_scan(parts(["a", odd, "zz"]), "k")[1] is False, odd
    assert stream._key_scan(parts(["a", "NAB", "D001-E1", "~", "x", "Dtotal"]), "k")[1] is True


def test_plain_key_agrees_with_the_row_flags(tmp_path, communities):
    # the values _key_scan calls plain raise no flag of the key column in the flag query, and a few that it does not
    # call plain do: the shortcut only ever skips flags that are false
    import duckdb
    import pyarrow as pa

    values = ["E1", "D001-E20180000001", "~x", "x~", "A b", "NAB", "Nan0", "a\x7f", "\x7fa"]
    odd = [" E1", "E1 ", "NA", "nan", "Total", "sum", "subtotal", "\u3000E1", "E1\u3000", "ｅ1"]
    cols = [c for c in table("grid_events").columns if c.name == "event_id"]
    sql, _ = stream._flag_sql(table("grid_events"), cols, {"event_id": "event_id"},
                              {"event_id": pa.large_string()}, False)
    con = duckdb.connect()
    con.register("b", pd.DataFrame({"event_id": values + odd, "__i": range(len(values) + len(odd))}))
    flagged = {r for r, in con.execute(f"SELECT __i FROM ({sql}) WHERE form OR rule").fetchall()}
    assert flagged <= set(range(len(values), len(values) + len(odd))) and flagged
    assert stream._plain_flags_only(cols[0])
    for i, v in enumerate(values):
        p = tmp_path / f"v{i}.parquet"
        pd.DataFrame({"k": [v]}).to_parquet(p)
        assert stream._key_scan((p,), "k")[1], v


def test_unsorted_keys_checked_by_hash(tmp_path, events, communities):
    # keys out of order take the hash aggregate; a repeat is found, and distinct keys pass
    shuffled = events.iloc[:50_000].sample(frac=1.0, random_state=1).reset_index(drop=True)
    path = tmp_path / "grid_events.parquet"
    shuffled.to_parquet(path)
    assert not validate_stream(path, table("grid_events"), communities).counts
    shuffled.loc[40_000, "event_id"] = shuffled.loc[17, "event_id"]
    shuffled.to_parquet(path)
    rep = validate_stream(path, table("grid_events"), communities)
    assert {p.row for p in rep.problems if p.rule == "duplicate_key"} == {18, 40_001}
