"""The report layer: recording figures, translations, chart style, display helpers, HTML rendering and the runner."""

from .audit import format_verdicts, render_appendix_docx
from .display import table_view
from ..text.i18n import CATALOGUE, t
from .notebook import say, setup
from .record import record, record_many, tidy_to_records
from .style import plain_log_axis, use_style

__all__ = ["record", "record_many", "tidy_to_records", "t", "CATALOGUE", "use_style", "plain_log_axis", "table_view",
           "setup", "say", "format_verdicts", "render_appendix_docx"]
