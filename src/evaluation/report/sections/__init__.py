"""What each notebook shows, as functions: its display tables, sentences and the figures it records.

One module per notebook (quality 00, participation 10, survey 20, services 30, impact 40, claims 50, profile 60). A
notebook calls these and shows what they return, so that it holds the story and no logic; a figure that two
notebooks show is drawn by :mod:`evaluation.report.plots` and tabulated by :mod:`evaluation.report.display`.
"""

from . import claims, impact, participation, profile, quality, services, survey

# each notebook's module is added here as it is written
__all__: list[str] = ["quality", "participation", "survey", "services", "impact", "claims", "profile"]
