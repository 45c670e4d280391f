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
    rec = tidy_to_records(frame)
    assert rec == {"grid.on_time_rate.share": {"value": 0.8, "ci_low": 0.78, "ci_high": 0.82, "n": 1000},
                   "grid.events_reported.per_10k.sanitation": {"value": 12.5, "se": 0.4, "ci_low": 11.7,
                                                               "ci_high": 13.3, "n": 500}}
