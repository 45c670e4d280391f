"""The first lines of every notebook, once: run parameters from the ``parameters`` cell, the district, the chart style
and the data notice.

A notebook's parameters cell declares the run parameters it reads, with :class:`~evaluation.params.RunParams`'s
defaults (tests/test_parameters_cells.py); papermill injects a run's values after it. :func:`setup` reads exactly
those names back from the notebook's namespace, so a parameter is written once in the notebook instead of being
listed again in a ``RunParams(...)`` call.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..params import RunParams

__all__ = ["setup", "say"]


def run_params(namespace: Mapping[str, Any]) -> RunParams:
    """:class:`RunParams` from the names of ``namespace`` that are its fields (the parameters cell and anything
    papermill injected); every other name (imports, IPython's ``In``/``Out``) is ignored.

    >>> run_params({"report_year": 2023, "language": "en", "In": []}).report_year
    2023
    """
    return RunParams(**{k: namespace[k] for k in RunParams.model_fields if k in namespace})


def setup(namespace: Mapping[str, Any], title: str | None = None, *, tables: Collection[str] | None = None,
          style: bool = True):
    """``P, district, L = setup(globals(), "part.title")``: the run's parameters, the loaded district and the language.

    Applies the chart style (:func:`~evaluation.report.style.use_style`, which also makes every table escape its
    cells), loads the district of ``data_dir`` (through the run's validated snapshot when ``jinlin run`` made one;
    ``tables`` loads only those tables; a snapshot is read once per kernel, :func:`_snapshot_district`) and, given
    a catalogue ``title``, shows the title and the data notice that opens every notebook: synthetic data says so,
    real data names its source.
    """
    from ..config import resolve
    from ..data import load_district
    from .style import use_style

    params = run_params(namespace)
    if style:
        use_style()
    district = _snapshot_district(resolve(params.data_dir), tables) or load_district(resolve(params.data_dir),
                                                                                     tables=tables)
    if title is not None:
        say(title, params.language)
        say("synthetic_notice" if district.synthetic else "real_notice", params.language, label=district.label)
    return params, district, params.language


# The last snapshot this kernel read: (folder, tables asked for, the files' sizes and times) -> District.
_SNAPSHOT: dict[tuple, Any] = {}


def _snapshot_district(folder: Path, tables: Collection[str] | None) -> Any:
    """The district of a run's Parquet snapshot, read once per kernel; None when ``folder`` is not read through one.

    ``jinlin run`` and ``jinlin profiles`` keep a kernel warm between notebooks (evaluation.run.kernel): every
    notebook of a run and every profile loads the same snapshot, a private folder the run writes once, validated,
    and deletes at its end. Its tables are kept after the first load and each notebook gets its own deep copy (a
    few milliseconds against about a second of reading and checking Parquet), so nothing one notebook does to a
    frame reaches the next. The key holds every file's size and modification time, so a snapshot written again
    is read again; any other folder is loaded as ever.
    """
    import copy
    import dataclasses
    from types import MappingProxyType

    import pandas as pd

    from ..data.loader import load_snapshot, snapshot_folder

    at = snapshot_folder(folder)
    if at is None:
        return None
    try:
        stamp = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in at.iterdir()))
    except OSError:
        return None
    key = (str(Path(at).resolve()), None if tables is None else tuple(sorted(tables)), stamp)
    if key not in _SNAPSHOT:
        _SNAPSHOT.clear()
        _SNAPSHOT[key] = load_snapshot(at, tables)
    kept = _SNAPSHOT[key]
    return dataclasses.replace(
        kept, tables=MappingProxyType({k: v.copy(deep=True) if isinstance(v, pd.DataFrame) else v
                                       for k, v in kept.tables.items()}),
        metadata=copy.deepcopy(kept.metadata), recoded_missing=copy.deepcopy(kept.recoded_missing),
        personal_columns_dropped=copy.deepcopy(kept.personal_columns_dropped))


def say(key: str, lang: str, /, **fmt: object) -> None:
    """Show the catalogue text ``key`` as Markdown (``display(Markdown(t(key, lang, **fmt)))``)."""
    from IPython.display import display

    from .display import md

    display(md(key, lang, **fmt))
