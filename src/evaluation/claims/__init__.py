"""Claims: the figures of a Chinese policy text or case-award submission, and their internal consistency.

``read_submission`` reads a .md/.txt/.docx file; ``extract_claims`` turns the text into one row per figure (value,
unit, hedge interval, kind, period); the checks in :mod:`evaluation.claims.consistency` look for figures that do not
add up on their own terms. Matching figures to indicators and verdicts live elsewhere.
"""

from evaluation.claims.consistency import (
    check_consistency, check_coverage, check_denominators, check_person_times, check_small_numbers,
    fraction_signatures, rate_signatures,
)
from evaluation.claims.documents import normalise_submission, read_submission, split_sentences, strip_markdown
from evaluation.claims.extract import CLAIM_COLUMNS, KINDS, extract_claims
from evaluation.claims.hedges import Interval, hedge_interval
from evaluation.claims.numerals import ParsedNumber, parse_chinese_integer, parse_number
from evaluation.claims.periods import Period, find_period_cues

__all__ = [
    "extract_claims", "read_submission", "normalise_submission", "strip_markdown", "split_sentences",
    "CLAIM_COLUMNS", "KINDS", "parse_number", "parse_chinese_integer", "ParsedNumber", "hedge_interval", "Interval",
    "Period", "find_period_cues", "rate_signatures", "fraction_signatures", "check_person_times",
    "check_denominators", "check_coverage", "check_small_numbers", "check_consistency",
]
