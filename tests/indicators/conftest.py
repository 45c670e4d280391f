"""Shared fixtures for the indicator tests: the R reference values and a tiny hand-made district."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REF_DIR = Path(__file__).resolve().parents[1] / "reference" / "indicators"


@pytest.fixture(scope="session", autouse=True)
def _own_verdict_cache(tmp_path_factory):
    # tables left on disk are validated by streaming, whose clean verdicts go to a folder of this session
    from evaluation.data.stream import CACHE_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("verdicts")))
        yield


@pytest.fixture(scope="session")
def ref() -> dict:
    with open(REF_DIR / "indicators_reference.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="session")
def ref_dir() -> Path:
    return REF_DIR


@pytest.fixture()
def population() -> pd.DataFrame:
    rows = [("C01", 2024, 10000), ("C02", 2024, 5000), ("C03", 2024, 20000),
            ("C01", 2023, 9000), ("C02", 2023, 5000), ("C03", 2023, 18000)]
    return pd.DataFrame(rows, columns=["community_id", "year", "resident_pop"])


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


@pytest.fixture()
def tables(population) -> dict[str, pd.DataFrame]:
    """A tiny hand-made district (report year 2024) whose every figure is counted by hand in the tests."""
    na = np.nan
    t = {"population": population}
    t["pairings"] = _frame("pairing_id unit_name community_id start_date end_date", [
        ("P1", "A", "C01", "2023-01-01", na), ("P2", "A", "C02", "2024-05-01", na),
        ("P3", "B", "C01", "2022-01-01", "2024-06-30"), ("P4", "C", "C03", "2025-01-01", na),
        ("P5", "D", "C03", "2020-01-01", "2025-03-01")])
    t["volunteers"] = _frame("person_key community_id registered returned_party_member", [
        ("v1", "C01", "2020-03-01", 1), ("v2", "C01", "2024-12-31", 1), ("v3", "C01", "2025-01-01", 1),
        ("v4", "C02", "2019-05-05", 0), ("v5", "C02", "2023-07-01", 1), ("v6", "C03", "2022-02-02", 0),
        ("v7", "C03", "2024-06-01", 0), ("v8", "C03", "2021-01-01", na)])
    t["service_hours"] = _frame("person_key date hours", [
        ("v1", "2024-03-01", 2.0), ("v1", "2024-05-01", 3.0), ("v2", "2023-12-31", 4.0),
        ("v4", "2024-12-31", 1.5), ("v6", "2024-01-01", 5.0), ("v3", "2024-08-01", 2.0)])
    t["committee_members"] = _frame("member_key community_id appointed left", [
        ("m1", "C01", "2021-01-01", na), ("m2", "C01", "2024-12-31", na), ("m3", "C02", "2020-01-01", "2024-12-31"),
        ("m4", "C03", "2022-01-01", "2025-01-05"), ("m5", "C03", "2025-02-01", na)])
    t["joint_meetings"] = _frame("meeting_id community_id date issues_raised issues_resolved", [
        ("J1", "C01", "2024-02-01", 3, 2), ("J2", "C01", "2024-09-01", 1, 1), ("J3", "C03", "2024-12-31", 4, 0),
        ("J4", "C02", "2023-05-01", 2, 2)])
    t["community_workers"] = _frame("worker_key community_id grade hired left promoted_year certified", [
        ("w1", "C01", 5, "2015-01-01", na, 2023, 1), ("w2", "C01", 6, "2020-01-01", "2024-03-01", 2024, 1),
        ("w3", "C02", 1, "2024-11-01", na, na, 0), ("w4", "C02", 9, "2010-01-01", na, 2021, 1),
        ("w5", "C03", 4, "2018-01-01", na, 2022, 0), ("w6", "C03", 7, "2019-01-01", na, 2024, 1)])
    t["grid_staff"] = _frame("staff_key community_id staff_type department joined left", [
        ("s1", "C01", "department_specialist", "住建", "2023-01-01", na),
        ("s2", "C02", "department_specialist", "城管", "2024-01-01", na),
        ("s3", "C03", "street_cadre", na, "2022-01-01", na),
        ("s4", "C03", "department_specialist", "住建", "2021-01-01", na),
        ("s5", "C01", "department_specialist", "公安", "2021-01-01", "2024-06-01")])
    t["organisations"] = _frame("org_id community_id org_type founded dissolved funds_raised_cny government_seed_cny", [
        ("o1", "C01", "cso", "2019-01-01", na, na, na), ("o2", "C01", "cso", "2020-01-01", "2023-05-01", na, na),
        ("o3", "C02", "cso", "2024-01-01", na, na, na), ("o4", "C03", "volunteer_team", "2022-01-01", na, na, na),
        ("o5", "C03", "community_fund", "2021-01-01", na, 50000.0, 10000.0),
        ("o6", "C01", "community_fund", "2023-01-01", na, 30000.0, 10000.0),
        ("o7", "C02", "community_fund", "2025-01-01", na, 99999.0, 1.0)])
    t["activities"] = _frame("activity_id community_id date activity_type attendance organiser_type co_organisers", [
        ("a1", "C01", "2024-01-10", "culture", 50, "government", ""),
        ("a2", "C01", "2024-02-10", "culture", 30, "government", "物业公司"),
        ("a3", "C02", "2024-03-10", "sports", 80, "cso", na),
        ("a4", "C03", "2024-04-10", "health", 20, na, na),
        ("a5", "C03", "2023-12-31", "health", 99, "cso", na),
        ("a6", "C03", "2024-12-31", "sports", 40, "政府", na)])
    t["grid_events"] = _frame("event_id community_id grid_id category reported_at deadline_at closed_at status callback", [
        ("e1", "C01", "g1", "env", "2024-01-01 08:00", "2024-01-05 08:00", "2024-01-03 08:00", "closed", "satisfied"),
        ("e2", "C01", "g1", "env", "2024-01-20 08:00", "2024-01-25 08:00", "2024-01-30 08:00", "closed", "basically"),
        ("e3", "C01", "g2", "env", "2024-03-01 08:00", "2024-03-05 08:00", na, "open", na),
        ("e4", "C02", "g3", "dispute", "2023-12-20 08:00", "2023-12-30 08:00", "2024-01-02 08:00", "closed",
         "dissatisfied"),
        ("e5", "C02", "g3", "dispute", "2024-02-15 08:00", "2024-02-20 08:00", "2024-02-16 08:00", "closed",
         "not_reached"),
        ("e6", "C03", "g4", "safety", "2024-12-30 08:00", "2025-01-02 08:00", "2025-01-03 08:00", "closed", na),
        ("e7", "C03", "g4", "safety", "2024-06-01 08:00", "2024-06-03 08:00", "2024-06-01 10:00", "closed", na),
        ("e8", "C03", "g4", "env", "2024-06-15 08:00", "2024-06-30 08:00", "2024-06-20 08:00", "closed",
         "satisfied")])
    for c in ("reported_at", "deadline_at", "closed_at"):
        t["grid_events"][c] = pd.to_datetime(t["grid_events"][c])
    t["petitions"] = _frame("case_id community_id received_date category real_estate_related", [
        ("p1", "C01", "2024-01-05", "property", 1), ("p2", "C02", "2024-03-05", "property", 1),
        ("p3", "C03", "2024-12-31", "land", 1), ("p4", "C03", "2024-05-01", "labour", 0),
        ("p5", "C01", "2023-01-05", "property", 1), ("p6", "C01", "2023-02-05", "property", 1),
        ("p7", "C02", "2023-03-05", "land", 1), ("p8", "C03", "2023-04-05", "land", 1),
        ("p9", "C03", "2023-05-05", "property", 1), ("p10", "C03", "2022-05-05", "property", 1)])
    t["service_stations"] = _frame("station_id level community_id lat lon opened closed", [
        ("S0", "district", "C01", 22.70, 114.50, "2019-01-01", na),
        ("S1", "street", "C01", 22.71, 114.51, "2020-01-01", na),
        ("S2", "community", "C02", 22.72, 114.52, "2020-01-01", na),
        ("S3", "community", "C03", 22.73, 114.53, "2020-01-01", "2024-06-01"),
        ("S4", "estate", "C03", 22.74, 114.54, "2025-01-01", na)])
    return t
