"""Record headline figures from a notebook, and read them back from executed notebooks into ``results.json``.

Modelled on the Microsoft *recommenders* project, which dropped scrapbook (unmaintained) for a small record function:
``record()`` displays the value under a private MIME type, so it travels inside the executed notebook, and
:func:`read_records` collects it with nbformat. No side files, no global state.

results.json is published beside the report, so it follows the report's privacy rules (issue 13, points 7 and 8):

- keys are built from codes only. A key that holds anything shaped like personal data (``wxid_…``, a phone or ID
  number, see :mod:`evaluation.privacy.patterns`) is refused, and :func:`tidy_to_records` takes a breakdown group
  into a key only if it already is a code (lower snake ASCII, :data:`CODE`); other groups are left out, with a
  warning that counts them and quotes none;
- breakdown figures resting on fewer than ``min_cell`` cases are withheld as in the report's tables
  (:func:`evaluation.privacy.suppression.suppression_pattern`, primary and complementary, the group total taken as
  published): the record keeps its key, its ``value`` is ``null`` and ``suppressed`` says ``primary`` or
  ``secondary``; ``n`` and the interval are dropped with the value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# the indicator tables' records are part of the result protocol, beneath the statistics; named here as before
from ..results import CODE, is_code, tidy_to_records

__all__ = ["MIME", "CODE", "record", "record_many", "read_records", "results_json", "normalise_value",
           "tidy_to_records", "is_code"]

MIME = "application/vnd.jinlin.record+json"
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_FIELDS = ("value", "se", "ci_low", "ci_high", "n")
SIGNIFICANT = 10  # digits kept in results.json: enough for any report, stable across BLAS builds


def _key_problem(key: str) -> str | None:
    if not _KEY.match(key):
        return "must be dotted lower snake case, e.g. grid.events_closed.count"
    from ..privacy.patterns import find_personal_data

    # Segments are checked one by one, and the whole key with dots as spaces, so "x.138.1234.5678" is caught too.
    if any(find_personal_data(seg) for seg in key.split(".")) or find_personal_data(key.replace(".", " ")):
        return "holds something shaped like personal data; keys are built from codes only"
    return None


def normalise_value(v: Any) -> Any:
    """Plain JSON types, floats rounded to :data:`SIGNIFICANT` digits so reruns give byte-identical files."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return None
        if f == 0:
            return 0.0
        return float(f"{f:.{SIGNIFICANT}g}")
    if isinstance(v, Mapping):
        return {str(k): normalise_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalise_value(x) for x in v]
    if v is None or isinstance(v, (int, str)):
        return v
    if hasattr(v, "item"):
        return normalise_value(v.item())
    return str(v)


def _payload(key: str, value: Any, **extra: Any) -> dict[str, Any]:
    problem = _key_problem(key)
    if problem is not None:
        from ..privacy.masking import mask_value

        shown = key if _KEY.match(key) is None and "holds" not in problem else mask_value(key)
        raise ValueError(f"record key {shown!r} {problem}")
    body = {"value": normalise_value(value)}
    for k, v in extra.items():
        if v is not None:
            body[k] = normalise_value(v)
    return {"key": key, "result": body}


def record(key: str, value: Any, *, se: float | None = None, ci_low: float | None = None,
           ci_high: float | None = None, n: int | None = None, **extra: Any) -> None:
    """Record one headline figure under a stable dotted key (shown in the notebook as a one-line summary)."""
    from IPython.display import display

    payload = _payload(key, value, se=se, ci_low=ci_low, ci_high=ci_high, n=n, **extra)
    display({MIME: payload, "text/plain": f"recorded {key} = {payload['result']['value']!r}"}, raw=True)


def record_many(results: Mapping[str, Mapping[str, Any]]) -> None:
    """Record several figures given as ``{key: {"value": ..., "se": ..., ...}}``."""
    for key in sorted(results):
        fields = dict(results[key])
        record(key, fields.pop("value"), **fields)


def read_records(notebooks: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Every recorded figure in the executed notebooks (nbformat nodes), in order; a later record wins."""
    out: dict[str, dict[str, Any]] = {}
    for nb in notebooks:
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if MIME in data:
                    payload = data[MIME]
                    if isinstance(payload, str):
                        payload = json.loads(payload)
                    out[payload["key"]] = payload["result"]
    return out


def results_json(records: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> str:
    """Serialise records deterministically: sorted keys, rounded floats, no timestamps, trailing newline."""
    body = {"results": {k: normalise_value(dict(v)) for k, v in sorted(records.items())}}
    if meta:
        body["meta"] = normalise_value(dict(meta))
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
