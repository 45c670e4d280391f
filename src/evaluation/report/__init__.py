"""The report layer: what the notebooks call to show and record a run's figures, and the renderers of the report.

- For the notebooks: :func:`setup` (run parameters, district, chart style and data notice in one line), :func:`say`
  (a catalogue sentence), :func:`table_view` (a display table), :func:`record` and :func:`record_many` (figures
  into ``results.json``), :func:`t` (the catalogue, re-exported from :mod:`evaluation.text`) and :func:`use_style`.
  Each notebook's own tables, sentences and records are in :mod:`evaluation.report.sections` (one module per
  notebook); the chart kinds they share are in :mod:`evaluation.report.plots`, the table helpers in
  :mod:`evaluation.report.display`.
- Renderers: the report as HTML and Word, the figures workbook, the summary and 摘要, and the audit's verdicts and
  Word appendix (:func:`format_verdicts`, :func:`render_appendix_docx`).

Running the notebooks (the runner, reruns, sweeps, profiles, diffs) is :mod:`evaluation.run`, one layer above.
"""

from ..text.i18n import CATALOGUE, t
from .audit import format_verdicts, render_appendix_docx
from .display import table_view
from .notebook import say, setup
from .record import record, record_many, tidy_to_records
from .style import plain_log_axis, use_style

__all__ = [
    # what the notebooks import
    "setup", "say", "record", "record_many", "table_view", "t", "use_style",
    # for code that records or words figures outside a notebook
    "tidy_to_records", "CATALOGUE", "plain_log_axis",
    # the audit's renderers (jinlin audit)
    "format_verdicts", "render_appendix_docx"]
