"""The first lines of every notebook, once: run parameters from the ``parameters`` cell, the district, the chart style
and the data notice.

A notebook's parameters cell declares the run parameters it reads, with :class:`~evaluation.params.RunParams`'s
defaults (tests/test_parameters_cells.py); papermill injects a run's values after it. :func:`setup` reads exactly
those names back from the notebook's namespace, so a parameter is written once in the notebook instead of being
listed again in a ``RunParams(...)`` call.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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
    ``tables`` loads only those tables) and, given a catalogue ``title``, shows the title and the data notice that
    opens every notebook: synthetic data says so, real data names its source.
    """
    from ..config import resolve
    from ..data import load_district
    from .style import use_style

    params = run_params(namespace)
    if style:
        use_style()
    district = load_district(resolve(params.data_dir), tables=tables)
    if title is not None:
        say(title, params.language)
        say("synthetic_notice" if district.synthetic else "real_notice", params.language, label=district.label)
    return params, district, params.language


def say(key: str, lang: str, /, **fmt: object) -> None:
    """Show the catalogue text ``key`` as Markdown (``display(Markdown(t(key, lang, **fmt)))``)."""
    from IPython.display import display

    from .display import md

    display(md(key, lang, **fmt))
