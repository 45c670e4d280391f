"""The report layer: recording figures, chart style, display helpers, and rendering the report (HTML, Word, the
figures workbook, the summary and 摘要). The catalogue ``t`` is re-exported from :mod:`evaluation.text` for the
notebooks; running the notebooks is :mod:`evaluation.run`."""

from .audit import format_verdicts, render_appendix_docx
from .display import table_view
from ..text.i18n import CATALOGUE, t
from .notebook import say, setup
from .record import record, record_many, tidy_to_records
from .style import plain_log_axis, use_style

__all__ = ["record", "record_many", "tidy_to_records", "t", "CATALOGUE", "use_style", "plain_log_axis", "table_view",
           "setup", "say", "format_verdicts", "render_appendix_docx"]
