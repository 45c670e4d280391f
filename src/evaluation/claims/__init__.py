"""Claims: the figures of a Chinese policy text or case-award submission, and their internal consistency.

``read_submission`` reads a .md/.txt/.docx file; ``extract_claims`` turns the text into one row per figure (value,
unit, hedge interval, kind, period); the checks in :mod:`evaluation.claims.consistency` look for figures that do not
add up on their own terms. :func:`match_claims` maps each figure to an indicator (keyword rules in
``resources/claims/claims_rules.csv``, hand pins in a ``claims.yaml``), :func:`verdict_claims` compares it with the recomputed
value, :func:`self_assessment` weighs the evidence against award criteria, and :func:`audit` ties it together. The
terminal table and the Word evidence appendix of an audit are rendered by :mod:`evaluation.report.audit`.
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
from evaluation.claims.match import load_overrides, load_rules, match_claims
from evaluation.claims.verdict import (SHOWN_DIGITS, VERDICTS, audit_figures, context_figures, figure_text, interval_text,
                                       verdict_claims)
from evaluation.claims.criteria import STRENGTHS, load_award_criteria, self_assessment
from evaluation.claims.audit import (
    AuditResult, audit, audit_files, find_overrides, table_hashes, verdict_counts, verdicts_json,
)

__all__ = [
    "extract_claims", "read_submission", "normalise_submission", "strip_markdown", "split_sentences",
    "CLAIM_COLUMNS", "KINDS", "parse_number", "parse_chinese_integer", "ParsedNumber", "hedge_interval", "Interval",
    "Period", "find_period_cues", "rate_signatures", "fraction_signatures", "check_person_times",
    "check_denominators", "check_coverage", "check_small_numbers", "check_consistency",
    "match_claims", "load_rules", "load_overrides", "verdict_claims", "audit_figures", "context_figures", "VERDICTS",
    "figure_text", "interval_text", "SHOWN_DIGITS",
    "self_assessment", "load_award_criteria", "STRENGTHS", "AuditResult", "audit", "audit_files", "verdicts_json",
    "table_hashes", "verdict_counts", "find_overrides",
]
