"""Words and how numbers are written: the translation catalogue, escaping of data text, Chinese number conventions.

This layer sits beneath the statistics so that every package can name a figure in the reader's language (the
audit's verdicts, a result's ``summary(lang)``) without reaching up into the report; it depends only on the data
contract (for column and value labels) and the packaged YAML catalogue.
"""

from .escape import markdown_text, sanitize_html
from .i18n import CATALOGUE, LATIN_ALLOWED, columns, display_values, latin_codes, plain, result_label, t
from .numbers import magnitude, three_sig, zh_change, zh_count, zh_interval, zh_number, zh_percent, zh_points, zh_pp_change
from .terminal import display_width, pad

__all__ = ["t", "plain", "CATALOGUE", "columns", "display_values", "result_label", "latin_codes", "LATIN_ALLOWED",
           "markdown_text", "sanitize_html", "zh_number", "zh_count", "zh_percent", "zh_points", "zh_change",
           "zh_pp_change", "zh_interval", "three_sig", "magnitude", "display_width", "pad"]
