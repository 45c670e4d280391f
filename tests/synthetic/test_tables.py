"""Every table follows the data contract: columns, keys, foreign keys, value domains and formats."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evaluation.data import contract
from evaluation.synthetic import DISTRICT_TABLES, TABLE_ORDER

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
BBOX = {"lat": (22.55, 22.90), "lon": (114.40, 114.75)}


def test_all_contract_tables_present(tables):
    assert set(tables) == {t.name for t in contract.TABLES}
    assert list(tables) == [*TABLE_ORDER, *DISTRICT_TABLES]


@pytest.mark.parametrize("name", [*TABLE_ORDER, *DISTRICT_TABLES])
def test_required_columns_and_no_unknown_columns(tables, name):
    t = contract.table(name)
    df = tables[name]
    assert set(t.required_columns) <= set(df.columns)
    known = {c.name for c in t.columns}
    assert set(df.columns) <= known, f"{name}: columns outside the contract {set(df.columns) - known}"
    for col in t.required_columns:
        if t.column(col).may_be_empty:
            continue
        assert df[col].notna().all(), f"{name}.{col} has empty required cells"


@pytest.mark.parametrize("name", [*TABLE_ORDER, *DISTRICT_TABLES])
def test_keys_unique(tables, name):
    t = contract.table(name)
    if t.key:
        assert not tables[name].duplicated(list(t.key)).any()


@pytest.mark.parametrize("name", [*TABLE_ORDER, *DISTRICT_TABLES])
def test_community_foreign_keys(tables, name):
    known = set(tables["communities"]["community_id"])
    t = contract.table(name)
    for col in t.columns:
        if col.foreign_key == contract.COMMUNITY_FK and col.name in tables[name].columns:
            assert tables[name][col.name].dropna().isin(known).all(), f"{name}.{col.name}"


@pytest.mark.parametrize("name", [*TABLE_ORDER, *DISTRICT_TABLES])
def test_value_domains_and_formats(tables, name):
    t = contract.table(name)
    df = tables[name]
    for col in t.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name].dropna()
        if col.kind == "date":
            assert s.astype(str).str.match(DATE).all(), f"{name}.{col.name}"
            pd.to_datetime(s, format="%Y-%m-%d")                       # real calendar dates
        elif col.kind == "datetime":
            assert s.astype(str).str.match(DATETIME).all(), f"{name}.{col.name}"
        elif col.kind == "flag":
            assert pd.api.types.is_integer_dtype(df[col.name]) and set(s.unique()) <= {0, 1}, f"{name}.{col.name}"
        elif col.kind in ("int", "float"):
            v = s[~s.isin(col.missing_codes)].astype(float)
            if col.min is not None:
                assert (v >= col.min).all(), f"{name}.{col.name} below {col.min}"
            if col.max is not None:
                assert (v <= col.max).all(), f"{name}.{col.name} above {col.max}"
            if col.kind == "int":
                assert pd.api.types.is_integer_dtype(df[col.name]), f"{name}.{col.name} is not integer"
        if col.allowed:
            assert set(s.unique()) <= set(col.allowed), f"{name}.{col.name}: {set(s.unique()) - set(col.allowed)}"


@pytest.mark.parametrize("name", [*TABLE_ORDER, *DISTRICT_TABLES])
def test_time_order(tables, name):
    t = contract.table(name)
    df = tables[name]
    for early, late in t.order:
        if early in df.columns and late in df.columns:
            both = df[early].notna() & df[late].notna()
            assert (df.loc[both, late] >= df.loc[both, early]).all(), f"{name}: {late} before {early}"


def _date_columns(name):
    return {"survey_responses": "interview_date", "activities": "date", "organisations": "founded",
            "volunteers": "registered", "grid_events": "reported_at", "petitions": "received_date",
            "service_stations": "opened", "community_workers": "hired", "pairings": "start_date",
            "committee_members": "appointed", "joint_meetings": "date", "grid_staff": "joined",
            "programme_rollout": "start_date"}.get(name)


@pytest.mark.parametrize("name", [n for n in TABLE_ORDER if _date_columns(n)])
def test_legacy_ids_before_split_current_after(tables, name, config):
    df = tables[name]
    year = df[_date_columns(name)].str[:4].astype(int)
    legacy = df["community_id"].str.startswith("L")
    assert (legacy == (year < config.split_year)).all()


def test_population_tables_use_the_id_of_their_year(tables, config):
    for name in ("population", "population_margins"):
        df = tables[name]
        assert (df["community_id"].str.startswith("L") == (df["year"] < config.split_year)).all()


def test_geography(tables):
    c = tables["communities"]
    assert c["community_id"].str.match(r"^L\d{2}$").sum() == 10
    assert c["community_id"].str.match(r"^C\d{2}$").sum() == 43
    assert c["street"].nunique() == 3
    assert c["name_zh"].is_unique and c["name_zh"].str.endswith("社区").all()
    assert set(c["community_type"]) <= {"old_town", "new_build", "village_to_urban", "industrial"}
    legacy = c["community_id"].str.startswith("L")
    assert (c.loc[legacy, "valid_to"] == "2019-12-31").all() and c.loc[~legacy, "valid_to"].isna().all()
    for name in ("communities", "service_stations", "residential_points"):
        df = tables[name]
        for axis, (lo, hi) in BBOX.items():
            assert df[axis].between(lo, hi).all(), f"{name}.{axis} outside the bounding box"


def test_lineage_shares(tables):
    lin = tables["community_lineage"]
    assert lin["from_id"].nunique() == 10 and lin["to_id"].nunique() == 43 and len(lin) == 43
    sums = lin.groupby("from_id")["pop_share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    assert (lin["effective_date"] == "2020-01-01").all()


def test_lineage_shares_are_population_shares_on_the_eve_of_the_split(tables):
    pop = tables["population"]
    lin = tables["community_lineage"].merge(pop[pop.year == 2019], left_on="from_id", right_on="community_id")
    # Children's 2020 populations, after a year of growth, are close to share x the parent's 2019 population.
    kids = pop[pop.year == 2020].set_index("community_id")["resident_pop"]
    implied = lin["pop_share"] * lin["resident_pop"]
    ratio = kids.reindex(lin["to_id"]).to_numpy() / implied.to_numpy()
    assert np.all((ratio > 1.0) & (ratio < 1.4))


def test_population_growth(tables):
    tot = tables["population"].groupby("year")["resident_pop"].sum()
    assert tot[2014] < 150_000 and tot[2024] > 500_000
    assert tot[2014] == 148_000 and tot[2020] == 360_000 and tot[2024] == 515_000
    assert tot.is_monotonic_increasing
    assert set(tables["population"]["year"]) == set(range(2014, 2025))
    pop = tables["population"]
    assert (pop["migrant_pop"] <= pop["resident_pop"]).all()
    assert (pop["pop_60p"] + pop["pop_0_14"] <= pop["resident_pop"]).all()
    share = pop.groupby("year")[["migrant_pop", "resident_pop"]].sum()
    share = share["migrant_pop"] / share["resident_pop"]
    assert abs(share[2014] - 0.55) < 0.02 and abs(share[2024] - 0.72) < 0.02


def test_margins_describe_one_adult_population(tables):
    m = tables["population_margins"]
    tot = m.groupby(["community_id", "year", "dimension"])["count"].sum().unstack("dimension")
    assert (tot["sex"] == tot["age_group"]).all() and (tot["sex"] == tot["hukou"]).all()
    assert set(m["level"]) == {"male", "female", "18_39", "40_59", "60p", "local", "migrant"}
    pop = tables["population"].set_index(["community_id", "year"])
    old = m[m.level == "60p"].set_index(["community_id", "year"])["count"]
    assert (old == pop["pop_60p"].reindex(old.index)).all()
    adults = tot["sex"]
    assert ((adults < pop["resident_pop"].reindex(adults.index)) & (adults > 0.6 * pop["resident_pop"].reindex(adults.index))).all()


def test_rollout_cohorts(tables, config):
    r = tables["programme_rollout"]
    jl = r[r.component == "jinlin_model"]
    assert jl["community_id"].is_unique and len(jl) == 43
    cohorts = jl["start_date"].str[:4].astype(int).value_counts().sort_index()
    assert cohorts.to_dict() == dict(config.cohorts)
    assert set(r["component"]) - {"jinlin_model"}, "other components exist"


def test_pilots_have_a_higher_baseline_level(tables):
    """Pilots were chosen on a higher level (parent-level premium): their legacy areas scored higher in 2018-2019."""
    from evaluation.synthetic.survey import ITEMS, satisfaction_index

    s = tables["survey_responses"]
    pre = s[s.wave < 2020].assign(idx=lambda d: satisfaction_index(d[list(ITEMS)].to_numpy()))
    lin = tables["community_lineage"]
    jl = tables["programme_rollout"].query("component == 'jinlin_model'")
    pilots = jl.loc[jl.start_date.str.startswith("2020"), "community_id"]
    pilot_parents = set(lin.loc[lin.to_id.isin(pilots), "from_id"])
    by_parent = pre.groupby("community_id")["idx"].mean()
    assert by_parent[list(pilot_parents)].mean() > by_parent.drop(list(pilot_parents)).mean()


def test_grid_events_status_and_censoring(tables, config):
    e = tables["grid_events"]
    closed = e["status"] == "closed"
    assert e.loc[closed, "closed_at"].notna().all() and e.loc[~closed, "closed_at"].isna().all()
    assert (~closed).sum() > 0, "some events are still open at the cut-off"
    assert (e.loc[closed, "closed_at"] <= config.data_cutoff).all()
    assert e.loc[closed, "callback"].notna().all() and e.loc[~closed, "callback"].isna().all()
    assert (e["deadline_at"] > e["reported_at"]).all()
    assert e["reported_at"].str[:4].astype(int).between(2018, 2024).all()
    assert set(e["category"]) == set(config.grid_categories)
    hours = (pd.to_datetime(e["deadline_at"]) - pd.to_datetime(e["reported_at"])).dt.total_seconds() / 3600
    assert set(hours.round().astype(int)) == set(config.deadline_hours.values())
    # Volume rises with the population.
    per_year = e.groupby(e["reported_at"].str[:4]).size()
    assert per_year.is_monotonic_increasing


def test_petitions_seasonality_and_fields(tables):
    p = tables["petitions"]
    assert p["received_date"].str[:4].astype(int).between(2014, 2024).all()
    assert set(p.loc[p.real_estate_related == 0, "category"]).isdisjoint(set(p.loc[p.real_estate_related == 1,
                                                                                   "category"]))
    months = p["received_date"].str[5:7].astype(int).value_counts()
    assert months.max() > 1.2 * months.min()          # visible seasonality
    assert (p["persons"] >= 1).all()


def test_residential_points_sum_to_population_and_coverage(tables):
    from evaluation.synthetic.geography import haversine_m

    pts = tables["residential_points"]
    pop = tables["population"].query("year == 2024").set_index("community_id")["resident_pop"]
    assert (pts.groupby("community_id")["residents"].sum() == pop).all()
    assert 1000 < len(pts) < 10_000
    st = tables["service_stations"]
    st = st[st["closed"].isna()]
    d = haversine_m(pts.lat.to_numpy()[:, None], pts.lon.to_numpy()[:, None],
                    st.lat.to_numpy()[None, :], st.lon.to_numpy()[None, :]).min(axis=1)
    uncovered = pts.loc[d > 1000, "residents"].sum() / pts["residents"].sum()
    assert 0.02 < uncovered < 0.30


def test_volunteers_and_service_hours(tables):
    v, h = tables["volunteers"], tables["service_hours"]
    assert v["person_key"].str.match(r"^P[0-9a-f]{10}$").all()
    assert h["person_key"].isin(set(v["person_key"])).all()
    assert (v.loc[v.returned_party_member == 1, "is_party_member"] == 1).all()
    teams = tables["organisations"].query("org_type == 'volunteer_team'")["org_id"]
    assert v["team_id"].dropna().isin(set(teams)).all()
    reg = v.set_index("person_key")["registered"]
    assert (h["date"].to_numpy() >= reg.reindex(h["person_key"]).to_numpy()).all()
    linked = h["activity_id"].dropna()
    assert linked.isin(set(tables["activities"]["activity_id"])).all()


def test_survey_design(tables, config):
    s = tables["survey_responses"]
    assert sorted(s["wave"].unique()) == list(config.survey_waves)
    per = s.groupby(["wave", "community_id"]).size()
    assert (per.loc[2024] == config.n_per_community).all() and len(per.loc[2024]) == 43
    lin = tables["community_lineage"].groupby("from_id").size()
    assert (per.loc[2018] == config.n_per_community * lin).all()
    assert (s.groupby(["wave", "psu"]).size() == config.psu_size).all()
    assert (s["stratum"] == s["community_id"]).all()
    dates = pd.to_datetime(s["interview_date"])
    assert (dates.dt.year == s["wave"]).all() and dates.dt.month.between(10, 11).all()
    assert (s["age"] >= 18).all() and (s["years_resident"] <= s["age"]).all()
    # Base weights: inverse selection probability, summing to the adult population of each stratum.
    m = tables["population_margins"].query("dimension == 'sex'").groupby(["community_id", "year"])["count"].sum()
    wsum = s.groupby(["community_id", "wave"])["base_weight"].sum()
    np.testing.assert_allclose(wsum.to_numpy(), m.reindex(wsum.index).to_numpy(), rtol=1e-4)


def test_dont_know_codes_present(tables):
    s = tables["survey_responses"]
    likert = [c.name for c in contract.table("survey_responses").columns if c.missing_codes == (8, 9)]
    vals = s[likert].to_numpy()
    assert set(np.unique(vals)) == {1, 2, 3, 4, 5, 8, 9}
    share = np.isin(vals, [8, 9]).mean()
    assert 0.01 < share < 0.06
    for col in ("q_overall", "q_recommend"):
        assert s[col].isin([98, 99]).any()
    assert s["q_overall"][~s["q_overall"].isin([98, 99])].between(1, 10).all()


def test_no_personal_columns_by_default(tables):
    for df in tables.values():
        assert not {"name", "phone", "id_number"} & set(df.columns)
