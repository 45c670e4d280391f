"""report.sections.services (notebook 30): the figures of the bundled district computed once, then each table,
sentence, chart and record set the notebook shows, checked against the district's known figures."""

from __future__ import annotations

import json
from dataclasses import replace

import matplotlib
import pytest
from conftest import ROOT

from evaluation.params import RunParams
from evaluation.report.sections import services as page

matplotlib.use("Agg")
BASE = {"data_dir": "data/synthetic"}


@pytest.fixture(scope="module")
def bundled(bundled_district):
    return bundled_district.tables


@pytest.fixture(scope="module")
def zh(bundled):
    return page.compute(bundled, RunParams(**BASE))


@pytest.fixture(scope="module")
def en(zh):
    # the same figures read in English: only the words change
    return replace(zh, params=RunParams(**BASE, language="en"))


def test_compute_runs_every_part_on_the_bundled_district(zh):
    assert len(zh.current) == 43 and zh.shown_ids == zh.current
    assert zh.level == "95%"
    for part in ("grid", "curves", "petitions", "re_change", "its", "its_nw", "its_break", "coverage", "sensitivity",
                 "near", "stations", "station_table"):
        assert getattr(zh, part) is not None, part
    assert zh.its.n == 132                                       # 2014-01 … 2024-12
    assert set(zh.sensitivity["distance_m"]) == {500.0, 800.0, 1000.0}
    assert set(zh.sensitivity["detour_factor"]) == {1.0, 1.2, 1.3, 1.5}


def test_compute_leaves_out_what_the_district_lacks(bundled):
    tables = {k: v for k, v in bundled.items() if k not in ("programme_rollout", "residential_points")}
    s = page.compute(tables, RunParams(**BASE, communities=["C01", "C02"]))
    assert s.petitions is not None and s.its is None and s.coverage is None
    assert s.shown_ids == ["C01", "C02"] and s.headline == {}    # the headline keys are the whole district's


def test_intro_texts_name_the_subset_and_the_cutoff():
    texts = page.intro_texts(RunParams(**BASE, language="en", communities=["C01", "C02"]))
    assert len(texts) == 3 and "95%" in texts[0] and "2024" in texts[0]
    assert "C01, C02" in texts[1] and "2024-12-31" in texts[2]
    assert len(page.intro_texts(RunParams(**BASE))) == 2


def test_grid_summary_and_categories(zh, en):
    table = page.grid_summary(zh.grid, "zh", 2024)
    assert list(table.columns) == ["svc_indicator", "svc_estimate", "svc_denominator"] and len(table) == 7
    closed = table.iloc[2]
    assert closed["svc_estimate"] == "16,295" and closed["svc_denominator"] == ""
    share = page.grid_summary(en.grid, "en", 2024)["svc_estimate"].iloc[3]
    assert share.endswith(")") and "%" in share and "–" in share           # the closure rate with its interval
    cats = page.grid_by_category(en.grid, "en", 5)
    assert cats.columns[0] == "svc_category" and "sanitation" in set(cats["svc_category"])


def test_grid_records_join_the_headline_fields(zh):
    rec = page.grid_records(zh.grid, zh.headline, 5)
    assert rec["grid.events_closed.count"]["value"] == 16295
    assert set(zh.headline["grid.events_closed.count"]) <= set(rec["grid.events_closed.count"])
    assert page.grid_records(zh.grid, {}, 5)["grid.events_closed.count"]["value"] == 16295


def test_km_figure_draws_one_curve_per_category_with_enough_events(en):
    import matplotlib.pyplot as plt

    fig = page.km_figure(en.curves, "en", 5)
    ax = fig.axes[0]
    sizes = en.curves.groupby("group")["n"].first()
    assert len(ax.get_lines()) == int((sizes >= 5).sum()) > 0
    assert ax.get_title().startswith("Time to close") and ax.get_xlim() == (0, 336)
    before = set(plt.get_fignums())
    zh = page.km_figure(en.curves, "zh", 5)
    assert set(plt.get_fignums()) == before  # closed: the notebook displays it, once
    assert "环境卫生" in [line.get_label() for line in zh.axes[0].get_lines()]  # the catalogue's words, not codes
    fig_all = page.km_figure(en.curves, "en", int(sizes.max()) + 1)
    assert fig_all.axes[0].get_lines() == []
    plt.close("all")


def test_time_to_close_tables(zh):
    ttc = page.ttc_by_category(zh.grid, "zh", 5)
    assert list(ttc.columns) == ["svc_category", "svc_events", "svc_p25", "svc_median", "svc_p75"]
    wide = page.ttc_by_community(zh.grid, "en", 5, zh.shown_ids)
    assert wide.data.shape == (15, 9)                             # 43 communities, three a row
    assert wide.data.iloc[-1, -3:].tolist() == ["", "", ""]


def test_callback_note_states_non_response(en):
    table = page.callback_summary(en.grid, "en", 2024)
    assert len(table) == 6
    note = page.callback_note(en.grid, "en")
    assert "91.3% (90.7%–91.9%)" in note                          # the satisfaction rate among those reached


def test_petition_tables_and_records(zh):
    by_year = page.petitions_by_year(zh.petitions, 5)
    assert by_year["year"].astype(int).max() == 2024
    cats = page.petitions_by_category(zh.petitions, "zh", 5)
    assert cats.columns[0] == "svc_category" and cats["svc_category"].iloc[-1] == "合计"
    assert all(isinstance(v, str) for v in cats.iloc[:, 1:].to_numpy().ravel())
    rec = page.petition_records(zh.petitions, 2024, 5)
    assert rec["petitions.real_estate.count"]["value"] == 38


def test_yoy_texts_and_records(zh, en):
    texts = page.yoy_texts(en)
    assert "58 in 2023 to 38 in 2024" in texts[0] and "-34.5%" in texts[0]
    assert "cannot be told apart" in texts[1] and "0.599" in texts[2] and "(95% interval 0.387 to 0.917)" in texts[2]
    assert "无法与“没有变化”区分开" in page.yoy_texts(zh)[1]
    # the counts cannot tell a fall, the ratio per resident can: the text says why the two differ (the population
    # grew) and still does not call it a decline; with both readings agreeing there is nothing to reconcile
    assert len(texts) == 4 and "The two readings differ" in texts[3] and "should still not be presented" in texts[3]
    assert "两种算法结论不同" in page.yoy_texts(zh)[3]
    from evaluation.indicators import rate_ratio_exact

    agree = replace(en, rr_pop=rate_ratio_exact(58, 58, en.rr_pop.exposure, en.rr_pop.exposure_ref))
    assert not agree.rr_pop.distinguishable and len(page.yoy_texts(agree)) == 3
    rec = page.yoy_records(zh)
    distinguishable = rec["petitions.real_estate.yoy_distinguishable"]
    assert distinguishable == {"value": False, "p_value": pytest.approx(0.0519, abs=1e-4)}
    assert rec["petitions.real_estate.yoy_change"]["p_value"] == pytest.approx(0.0519, abs=1e-4)   # headline field
    table = page.yoy_summary(zh.re_change, "zh", 2024)
    assert table["svc_estimate"].iloc[0] == "38" and table["svc_estimate"].iloc[1] == "58"


def test_its_words_table_and_records(zh, en):
    note = page.its_note(en)
    assert "132" in note and "2020-01" in note and "100%" in note
    subset = replace(en, params=RunParams(**BASE, language="en", communities=["C01"]))
    assert page.its_note(subset).startswith(note) and len(page.its_note(subset)) > len(note)
    table = page.its_table(en, "en")
    assert table["svc_estimate"].iloc[0] == "0.267 (0.166–0.430)" and table["svc_its_nw"].iloc[0] == "0.162–0.441"
    texts = page.its_texts(en)
    assert len(texts) == 5 and "0.267" in texts[0]
    assert "2020-01-01" in texts[3] and "6" in texts[3] and "43" in texts[3]
    assert "COVID" in texts[4]                                   # the first adoptions fall in 2020
    rec = page.its_records(zh)
    assert rec["petitions.its.adoption_rate_ratio"]["finding"] == "lower"
    assert rec["petitions.its.adoption_rate_ratio"]["newey_west_lags"] == 4
    assert rec["petitions.its.break.level_change"]["n"] == 132


def test_its_caveat_names_the_reorganisation(en):
    caveat = page.its_caveat(en)
    assert "2020-01-01" in caveat                                # the 10 → 43 reorganisation beside the adoptions
    no_lineage = page.its_caveat(replace(en, lineage=None))
    assert "2020-01-01" not in no_lineage and len(no_lineage) < len(caveat)


def test_its_figure(en):
    import matplotlib.pyplot as plt

    fig = page.its_figure(en)
    ax, ax2 = fig.axes
    assert ax.get_title().startswith("Real-estate petitions") and ax2.get_ylim() == (0, 1.05)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "observed" and labels[-1] == "adopted share (right axis)" and len(labels) == 5
    plt.close("all")


def test_service_circle_tables_map_and_records(zh, en):
    import matplotlib.pyplot as plt

    st = page.stations_table(zh.stations, zh.coverage, "zh")
    assert st["svc_level"].iloc[-1] == "任一级别" and st["svc_stations"].iloc[-1] == "133"
    assert st["svc_coverage"].iloc[-1] == "90.0%"
    sens = page.sensitivity_table(en.sensitivity, "en")
    assert list(sens["svc_distance_m"]) == ["500", "800", "1,000"] and sens.shape[1] == 5
    cov = page.coverage_by_community(zh.coverage, 5, zh.shown_ids)
    assert "community" in cov.columns and len(cov) == 43
    unc = page.uncovered(zh.near, 1000.0)
    assert len(unc) == 296 and (unc["walk_m"] > 1000).all()
    fig = page.coverage_map(en)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:2] == ["covered points", "points not covered"] and "street" in labels
    plt.close("all")
    rec = page.circle_records(zh)
    base = json.loads((ROOT / "data" / "synthetic" / "truth.json").read_text(encoding="utf-8"))
    assert rec["service_circle.uncovered_points.count"] == {"value": 296}
    assert rec["service_circle.stations.total.count"] == {"value": 133}
    assert rec["service_circle.coverage.within_500m"]["n"] == 515000
    for key in (k for k in base if k.startswith("service_circle.") and k in rec):
        assert rec[key]["value"] == pytest.approx(base[key]["value"], rel=1e-9), key


def test_code_label_falls_back_to_the_code():
    from evaluation.report.display import code_label

    assert code_label("svc.cat", "sanitation", "zh") == "环境卫生"
    assert code_label("svc.cat", "unknown_category", "en") == "unknown_category"
