"""What each notebook shows, as functions: its display tables, sentences and the figures it records.

One module per notebook (quality 00, participation 10, survey 20, services 30, impact 40, claims 50, profile 60). A
notebook calls these and shows what they return, so that it holds the story and no logic; a figure that two
notebooks show is drawn by :mod:`evaluation.report.plots` and tabulated by :mod:`evaluation.report.display`.

Each module is imported when first used (``from evaluation.report.sections import survey as page`` imports that one
only): a kernel that runs the survey page need not import the impact estimators or the claims audit, about two
seconds of CPU.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import claims, impact, participation, profile, quality, services, survey

# each notebook's module is added here as it is written
__all__: list[str] = ["quality", "participation", "survey", "services", "impact", "claims", "profile"]


def __getattr__(name: str):
    if name in __all__:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
