"""record(): figures travel inside the executed notebook and come back as deterministic JSON."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from evaluation.report.record import MIME, _payload, normalise_value, read_records, results_json


def _nb_with(*payloads):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("record(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: p, "text/plain": "x"}) for p in payloads]
    nb.cells.append(cell)
    return nb


def test_round_trip_through_a_notebook():
    nb = _nb_with(_payload("grid.events_closed.count", np.int64(16295)),
                  _payload("petitions.real_estate.yoy_change", -0.344827586206896, ci_low=-0.6, ci_high=0.1, n=96))
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    rec = read_records([nb])
    assert rec["grid.events_closed.count"] == {"value": 16295}
    assert rec["petitions.real_estate.yoy_change"]["value"] == pytest.approx(-0.3448275862)
    assert rec["petitions.real_estate.yoy_change"]["n"] == 96


def test_later_record_wins():
    rec = read_records([_nb_with(_payload("a.b", 1)), _nb_with(_payload("a.b", 2))])
    assert rec == {"a.b": {"value": 2}}


def test_bad_key_is_refused():
    with pytest.raises(ValueError, match="dotted lower snake case"):
        _payload("Grid Events", 1)


def test_floats_are_rounded_and_json_is_deterministic():
    assert normalise_value(0.1 + 0.2) == 0.3
    assert normalise_value(float("nan")) is None
    a = results_json({"b.x": {"value": 1.0000000000001}, "a.y": {"value": np.float32(2.5)}})
    b = results_json({"a.y": {"value": 2.5}, "b.x": {"value": 1.0}})
    assert a == b and a.endswith("\n")
    assert list(json.loads(a)["results"]) == ["a.y", "b.x"]


def test_tidy_rows_become_records():
    import pandas as pd

    from evaluation.report.record import tidy_to_records

    frame = pd.DataFrame({
        "indicator": ["grid.on_time_rate.share", "grid.events_reported.per_10k", "grid.on_time_rate.share"],
        "community_id": ["district", "district", "C01"], "group": ["", "Sanitation", ""],
        "value": [0.8, 12.5, 0.7], "se": [None, 0.4, None], "ci_low": [0.78, 11.7, 0.6], "ci_high": [0.82, 13.3, 0.8],
        "n": [1000, 500, 30],
    })
    frame["denominator"] = [1250, 400000, 40]
    frame.loc[1, "group"] = "sanitation"
    rec = tidy_to_records(frame, min_cell=5)
    assert rec == {"grid.on_time_rate.share": {"value": 0.8, "ci_low": 0.78, "ci_high": 0.82, "n": 1000},
                   "grid.events_reported.per_10k.sanitation": {"value": 12.5, "se": 0.4, "ci_low": 11.7,
                                                               "ci_high": 13.3, "n": 500}}


def _petitions(counts: dict[str, int]):
    import pandas as pd

    groups = ["", *counts]
    n = [sum(counts.values()), *counts.values()]
    return pd.DataFrame({"indicator": "petitions.received.count", "community_id": "district", "group": groups,
                         "year": 2024, "value": [float(x) for x in n], "se": None, "ci_low": None, "ci_high": None,
                         "n": n, "denominator": None, "denominator_label": "", "note": ""})


def test_small_breakdown_counts_are_withheld_in_results_json_as_in_the_tables():
    from evaluation.report.record import tidy_to_records

    # Issue 13: results.json published petitions.received.count.land_compensation = 4 (n=4) beside "<5" in HTML.
    rec = tidy_to_records(_petitions({"labour": 70, "land_compensation": 4, "environment": 31, "other": 12}),
                          min_cell=5)
    assert rec["petitions.received.count.land_compensation"] == {"value": None, "suppressed": "primary"}
    # the total is published, so one more category is withheld (the smallest that can hide the 4 in [0, 4])
    assert rec["petitions.received.count.other"] == {"value": None, "suppressed": "secondary"}
    assert rec["petitions.received.count"]["value"] == 117
    assert rec["petitions.received.count.labour"]["value"] == 70
    text = results_json(rec)
    assert '"value": 4' not in text and '"n": 4' not in text
    # the same pattern as the report's table of the same counts
    import pandas as pd

    from evaluation.privacy.suppression import suppression_pattern

    pattern = suppression_pattern(pd.Series({"labour": 70, "land_compensation": 4, "environment": 31, "other": 12},
                                            dtype=float), 5, margins=True)
    assert {k for k, v in pattern.items() if v} == {k.rsplit(".", 1)[1] for k, v in rec.items()
                                                   if v.get("suppressed")}


def test_keys_are_built_from_codes_only():
    from evaluation.report.record import tidy_to_records

    frame = _petitions({"labour": 70, "wxid_wang1958": 40, "Zhang San": 30, "土地征收": 20, "138.1234.5678": 10})
    with pytest.warns(UserWarning, match="4 breakdown figure"):
        rec = tidy_to_records(frame, min_cell=5)
    assert sorted(rec) == ["petitions.received.count", "petitions.received.count.labour"]


@pytest.mark.parametrize("key", ["petitions.received.count.wxid_wang1958", "x.count.13812345678",
                                 "x.count.110105194912310021", "x.y.138.1234.5678"])
def test_a_key_shaped_like_personal_data_is_refused_and_not_quoted(key):
    with pytest.raises(ValueError, match="personal data") as e:
        _payload(key, 1)
    assert key.rsplit(".", 1)[1] not in str(e.value)
