"""Personal-data protection (PIPL) and small-cell suppression.

- :mod:`~evaluation.privacy.patterns`: shapes of mobile and landline numbers, resident ID numbers, e-mail addresses,
  WeChat ids and labelled names;
- :mod:`~evaluation.privacy.detect`: which columns are personal, and label columns screened on loading;
- :mod:`~evaluation.privacy.pseudonymise`: salted ``person_key`` on loading, and the salt;
- :mod:`~evaluation.privacy.masking`: placeholders in free text;
- :mod:`~evaluation.privacy.scan`: the output scanner that gates publishing;
- :mod:`~evaluation.privacy.suppression`: primary and complementary small-cell suppression, with its LP audit.

``load_salt`` and the scanner's file reading are the only I/O; everything else is a pure function.
"""

from .detect import detect_personal_columns, header_kind, label_findings, label_problems, metadata_problems
from .masking import mask_free_text, mask_text, mask_value
from .patterns import find_personal_data, is_mobile_number, is_valid_resident_id, resident_id_check_char
from .pseudonymise import PseudonymisationReport, hmac_key, load_salt, normalise_identifier, pseudonymise
from .scan import PersonalDataLeak, assert_clean, collect_personal_values, scan_artefacts
from .suppression import (
    SUPPRESSION_NOTE,
    audit_protection,
    feasible_intervals,
    format_suppressed,
    suppress_series,
    suppress_table,
    suppression_pattern,
)

__all__ = [
    "detect_personal_columns", "header_kind", "label_findings", "label_problems", "metadata_problems",
    "mask_free_text", "mask_text", "mask_value",
    "find_personal_data", "is_mobile_number", "is_valid_resident_id", "resident_id_check_char",
    "PseudonymisationReport", "hmac_key", "load_salt", "normalise_identifier", "pseudonymise",
    "PersonalDataLeak", "assert_clean", "collect_personal_values", "scan_artefacts",
    "SUPPRESSION_NOTE", "audit_protection", "feasible_intervals", "format_suppressed", "suppress_series", "suppress_table",
    "suppression_pattern",
]
