"""Shared fixtures: a small valid district written to a temporary folder, to be broken one rule at a time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]


# Hypothesis's per-example deadline (200 ms) is a timed assertion: on a loaded machine an example that takes 270 ms
# once and 130 ms on replay fails as "flaky". Speed is measured in `make bench`, never in a test.
settings.register_profile("jinlin", deadline=None)
settings.load_profile("jinlin")


def pytest_configure(config: pytest.Config) -> None:
    """Remembered validation verdicts go to the run's own temporary folder, not the user's ~/.cache (notebook kernels
    inherit the variable)."""
    import tempfile

    os.environ.setdefault("JINLIN_VALIDATION_CACHE", tempfile.mkdtemp(prefix="jinlin-validated-"))


# The test files that take longest, longest first: CPU seconds (the pytest process and the kernels and workers it
# waited for) measured one file at a time on 7 December 2026, 16:16–17:10 UTC (wall times were 2–10x these, the
# machine being shared). `make test` gives each pytest-xdist worker whole files in collection order
# (--dist loadfile --no-loadscope-reorder): the long files start first and the many short ones fill the end, so
# neither worker waits alone on a long file at the finish. xdist's own order (files with the most tests first) put
# the one- to four-test files that run the whole pipeline, build a wheel or the docs at the very end.
LONGEST_FIRST = (
    "tests/report/test_planted_district.py",  # the whole default run, every notebook
    "tests/run/test_sweep.py",  # 110 s
    "tests/run/test_runner.py",  # 87 s
    "tests/run/test_privacy_run.py",  # 68 s (20:05 UTC; 114 s before its known-values pattern was built once)
    "tests/corpus/test_corpus.py",  # 65 s
    "tests/impact/test_district_scm.py",  # 64 s
    "tests/run/test_profiles.py",  # 52 s
    "notebooks/40_programme_impact.ipynb",  # 37 s (nbval)
    "tests/run/test_publish.py",  # 34 s
    "tests/notebooks/test_satisfaction_survey_nb.py",  # 31 s
    "tests/test_wheel.py",  # 31 s
    "tests/notebooks/test_programme_impact_nb.py",  # 20 s
    "tests/notebooks/test_community_profile_nb.py",  # 17 s
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files in LONGEST_FIRST first, then every other file that starts a notebook kernel (nbval's notebooks, tests
    marked ``notebook``), then the rest, each group's files with the most tests first (xdist's own guess at length);
    a file's tests stay together and in their order (nbval's cells run in turn, a module's fixtures are built
    once)."""
    from collections import Counter

    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def file_of(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    tests = Counter(file_of(i) for i in items)
    kernels = {file_of(i) for i in items if file_of(i).endswith(".ipynb") or i.get_closest_marker("notebook")}
    items.sort(key=lambda i: (rank.get(file_of(i), len(rank)), file_of(i) not in kernels, -tests[file_of(i)]))


def mini_tables() -> dict[str, pd.DataFrame]:
    """A tiny district that meets the data contract: 2 old communities split into 3, a little of each table."""
    communities = pd.DataFrame({
        "community_id": ["L01", "L02", "C01", "C02", "C03"],
        "name_zh": ["老一社区", "老二社区", "新一社区", "新二社区", "新三社区"],
        "street": ["S01", "S01", "S01", "S01", "S02"],
        "valid_from": ["2014-01-01", "2014-01-01", "2020-01-01", "2020-01-01", "2020-01-01"],
        "valid_to": ["2019-12-31", "2019-12-31", "", "", ""],
    })
    lineage = pd.DataFrame({
        "from_id": ["L01", "L01", "L02"], "to_id": ["C01", "C02", "C03"],
        "effective_date": ["2020-01-01"] * 3, "pop_share": [0.6, 0.4, 1.0],
    })
    population = pd.DataFrame({
        "community_id": ["L01", "L02", "C01", "C02", "C03"], "year": [2019, 2019, 2024, 2024, 2024],
        "resident_pop": [10000, 8000, 9000, 7000, 11000],
    })
    survey = pd.DataFrame({
        "wave": [2024] * 6, "respondent_id": [f"R{i}" for i in range(6)],
        "community_id": ["C01", "C01", "C02", "C02", "C03", "C03"],
        "sex": ["male", "female", "female", "male", "female", "male"], "age": [34, 51, 67, 29, 44, 72],
        "q_committee": [4, 5, 3, 8, 2, 4], "q_overall": [7, 9, 6, 98, 5, 8],
    })
    grid = pd.DataFrame({
        "event_id": ["E1", "E2", "E3"], "community_id": ["C01", "C02", "C03"],
        "category": ["sanitation", "dispute", "safety"],
        "reported_at": ["2024-03-01 09:00:00", "2024-05-02 10:30:00", "2024-12-30 08:00:00"],
        "closed_at": ["2024-03-02 09:00:00", "2024-05-04 10:30:00", ""],
        "status": ["closed", "closed", "open"],
    })
    return {"communities": communities, "community_lineage": lineage, "population": population,
            "survey_responses": survey, "grid_events": grid}


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
    return folder


@pytest.fixture
def mini_district(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "district", mini_tables())


TEST_SALT = "test-salt-not-secret"


@pytest.fixture(scope="session")
def _bundled_district_once():
    """The bundled district, loaded and validated once per test session (once per xdist worker): each load costs
    about 2 s of CPU, and a dozen test modules read it."""
    from evaluation.data import load_district

    with pytest.MonkeyPatch.context() as mp:  # a session fixture starts before the per-test salt below
        mp.setenv("JINLIN_SALT", TEST_SALT)
        return load_district(ROOT / "data" / "synthetic")


@pytest.fixture(scope="module")
def bundled_district(_bundled_district_once):
    """``load_district(data/synthetic)`` for one test module: the session's district with a tables mapping of its
    own, each DataFrame a shallow copy. Under pandas' copy-on-write a module that changes a table, or adds or
    drops one, changes its own copy and never what another module reads."""
    import dataclasses

    d = _bundled_district_once
    return dataclasses.replace(d, tables={name: t.copy(deep=False) if isinstance(t, pd.DataFrame) else t
                                          for name, t in d.tables.items()})


@pytest.fixture(scope="session")
def bundled_snapshot(tmp_path_factory: pytest.TempPathFactory, _bundled_district_once) -> Path:
    """The bundled district, loaded and validated once per test session, as the Parquet snapshot ``jinlin profiles``
    gives its kernels (:func:`evaluation.run.profiles.write_snapshot`: typed tables, no personal or free-text
    column). A notebook test that reads it skips the ~6 s of parsing the CSV exports in its kernel."""
    from evaluation.run.profiles import write_snapshot

    return write_snapshot(_bundled_district_once, tmp_path_factory.mktemp("bundled-snapshot"))


@pytest.fixture(autouse=True)
def _salt(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never touch the user's salt file.
    monkeypatch.setenv("JINLIN_SALT", TEST_SALT)


@contextlib.contextmanager
def reading_snapshot(snapshot: Path | None) -> Iterator[None]:
    """Kernels started inside read the bundled district from ``snapshot`` (none: from its folder), as in
    ``jinlin run``; a kernel inherits the environment when it starts."""
    from evaluation.data.loader import SNAPSHOT_ENV

    with pytest.MonkeyPatch.context() as mp:
        if snapshot is not None:
            mp.setenv(SNAPSHOT_ENV, f"{(ROOT / 'data' / 'synthetic').resolve()}{os.pathsep}{snapshot}")
        yield


def run_notebook(notebook: Path, out: Path, snapshot: Path | None = None, **params) -> tuple[dict, str]:
    """Execute ``notebook`` with papermill into ``out``; return its records and its outputs (the report, not the
    code) as JSON text.

    With ``snapshot`` (:func:`bundled_snapshot`) the kernel reads the bundled district from it, as the kernels of
    ``jinlin run`` do, while ``data_dir`` stays the bundled folder (truth.json, submissions)."""
    import json

    import nbformat
    import papermill as pm

    from evaluation.report.record import read_records

    with reading_snapshot(snapshot):
        pm.execute_notebook(str(notebook), str(out), kernel_name="python3", parameters=params, progress_bar=False,
                            execution_timeout=600, cwd=str(ROOT))
    nb = nbformat.read(out, as_version=4)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return read_records([nb]), json.dumps(shown, ensure_ascii=False)


def copy_with_parquet(source: Path, folder: Path, names: tuple[str, ...]) -> Path:
    """Copy a district folder, turning the CSV tables ``names`` into Parquet in canonical text (NFKC: the bundled
    co-organiser lists use full-width commas), so that the loader may leave them on disk."""
    import shutil
    import unicodedata

    for p in source.iterdir():
        if p.is_file():
            shutil.copy(p, folder / p.name)
    for name in names:
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        frame = frame.apply(lambda col: col.map(lambda v: unicodedata.normalize("NFKC", v)))
        frame.to_parquet(folder / f"{name}.parquet")
        (folder / f"{name}.csv").unlink()
    return folder
