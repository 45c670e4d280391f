"""User-facing errors and the problem records that validation produces.

A :class:`JinlinError` is something the user can fix (a file, a parameter); the CLI prints its message without a
traceback and exits 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Problem", "JinlinError", "DataValidationError", "ParameterError", "RunFailed", "format_problems"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is and how to fix it.

    ``row`` is the row as a spreadsheet shows it (the header is row 1), so a user can jump to it in Excel or WPS.
    """

    file: str
    row: int | None
    column: str | None
    severity: Literal["error", "warning"]
    rule: str
    message: str
    fix: str

    def render(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{self.severity.upper()}: {where}: {self.message}\n    fix: {self.fix}"


def format_problems(problems: list[Problem] | tuple[Problem, ...], limit_per_rule: int = 20) -> str:
    """Render problems grouped by file and rule, showing at most ``limit_per_rule`` of each and counting the rest."""
    lines: list[str] = []
    shown: dict[tuple[str, str, str | None], int] = {}
    hidden: dict[tuple[str, str, str | None], int] = {}
    for p in sorted(problems, key=lambda p: (p.severity != "error", p.file, p.rule, p.column or "", p.row or 0)):
        k = (p.file, p.rule, p.column)
        if shown.get(k, 0) >= limit_per_rule:
            hidden[k] = hidden.get(k, 0) + 1
            continue
        shown[k] = shown.get(k, 0) + 1
        lines.append(p.render())
    for (file, rule, column), n in hidden.items():
        col = f", column {column}" if column else ""
        lines.append(f"... and {n} more of the same kind ({rule}) in {file}{col}")
    return "\n".join(lines)


class JinlinError(Exception):
    """An error the user can fix; its message is complete and is shown without a traceback."""


class ParameterError(JinlinError):
    """A parameter file or override is invalid."""


class DataValidationError(JinlinError):
    """A district folder breaks the data contract."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], folder: str = ""):
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"The data in {folder or 'the district folder'} break the data contract: {len(errors)} error(s)."
        super().__init__(head + "\n" + format_problems(errors) + "\nNothing was run and no report was written.")


class RunFailed(JinlinError):
    """A notebook failed during a run; the previous report is intact."""
