"""User-facing errors and the problem records that validation produces.

A :class:`JinlinError` is something the user can fix (a file, a parameter); the CLI prints its message without a
traceback and exits 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Problem", "JinlinError", "DataValidationError", "ParameterError", "RunFailed", "format_problems",
           "InvalidValue", "validation_message_zh"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is and how to fix it.

    ``row`` is the row as a spreadsheet shows it (the header is row 1), so a user can jump to it in Excel or WPS.
    ``message_zh`` and ``fix_zh`` say the same in Chinese, for a Chinese run or ``jinlin --lang zh`` (issue 17); they
    take no part in comparing problems, which the English fields already identify.
    """

    file: str
    row: int | None
    column: str | None
    severity: Literal["error", "warning"]
    rule: str
    message: str
    fix: str
    message_zh: str = field(default="", compare=False)
    fix_zh: str = field(default="", compare=False)

    def render(self, lang: str = "en") -> str:
        if lang == "zh":
            where = self.file
            if self.row is not None:
                where += f"，第 {self.row} 行"
            if self.column:
                where += f"，{self.column} 列"
            head = {"error": "错误", "warning": "提示"}.get(self.severity, self.severity)
            return f"{head}：{where}：{self.message_zh or self.message}\n    修改：{self.fix_zh or self.fix}"
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{self.severity.upper()}: {where}: {self.message}\n    fix: {self.fix}"


def format_problems(problems: list[Problem] | tuple[Problem, ...], limit_per_rule: int = 20, lang: str = "en") -> str:
    """Render problems grouped by file and rule, showing at most ``limit_per_rule`` of each and counting the rest;
    in Chinese with ``lang="zh"``."""
    lines: list[str] = []
    shown: dict[tuple[str, str, str | None], int] = {}
    hidden: dict[tuple[str, str, str | None], int] = {}
    for p in sorted(problems, key=lambda p: (p.severity != "error", p.file, p.rule, p.column or "", p.row or 0)):
        k = (p.file, p.rule, p.column)
        if shown.get(k, 0) >= limit_per_rule:
            hidden[k] = hidden.get(k, 0) + 1
            continue
        shown[k] = shown.get(k, 0) + 1
        lines.append(p.render(lang))
    for (file, rule, column), n in hidden.items():
        if lang == "zh":
            col = f"的 {column} 列" if column else ""
            lines.append(f"……{file}{col}另有 {n} 处同类问题（{rule}）")
        else:
            col = f", column {column}" if column else ""
            lines.append(f"... and {n} more of the same kind ({rule}) in {file}{col}")
    return "\n".join(lines)


class JinlinError(Exception):
    """An error the user can fix; its message is complete and is shown without a traceback.

    ``zh`` is the same message in Chinese (issue 17): the CLI prints :meth:`text` in the run's language. ``str(e)``
    stays English, so logs, tests and wrapped messages that quote it do not change with the locale.
    """

    def __init__(self, message: str = "", zh: str = ""):
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``; English when no Chinese text was given."""
        return self.zh if lang == "zh" and self.zh else str(self)

    def __reduce__(self):  # keep the Chinese text across processes (sweep and profile workers pickle errors)
        return (self.__class__, (str(self), self.zh))


class ParameterError(JinlinError):
    """A parameter file or override is invalid."""


class DataValidationError(JinlinError):
    """A district folder breaks the data contract."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], folder: str = ""):
        self.problems = tuple(problems)
        self.folder = folder
        super().__init__(self.text("en"), self.text("zh"))

    def __reduce__(self):
        return (self.__class__, (self.problems, self.folder))

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``: the CLI prints it in the run's language."""
        errors = [p for p in self.problems if p.severity == "error"]
        if lang == "zh":
            head = f"{self.folder or '数据目录'}中的数据不符合数据规范：{len(errors)} 处错误。"
            return head + "\n" + format_problems(errors, lang="zh") + "\n未运行任何笔记本，也没有写出报告。"
        head = f"The data in {self.folder or 'the district folder'} break the data contract: {len(errors)} error(s)."
        return head + "\n" + format_problems(errors) + "\nNothing was run and no report was written."


class RunFailed(JinlinError):
    """A notebook failed during a run; the previous report is intact."""


class InvalidValue(ValueError):
    """A pydantic validator's message in English and Chinese: pydantic keeps the exception in the error's ``ctx``,
    from where :func:`validation_message_zh` takes the Chinese text for a Chinese run."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


# pydantic's messages by error type, in Chinese; a type not listed keeps pydantic's English message
_PYDANTIC_ZH = {
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数，不能有小数",
    "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "string_type": "应为文本", "list_type": "应为列表",
    "literal_error": "应为下列之一：{expected}", "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}", "less_than_equal": "应不大于 {le}",
    "missing": "缺少此项", "dict_type": "应为 键: 值 的映射",
}


def validation_message_zh(error: dict) -> str:
    """The Chinese message of one pydantic error (an item of ``ValidationError.errors()``)."""
    err = (error.get("ctx") or {}).get("error")
    if isinstance(err, InvalidValue):
        return err.zh
    template = _PYDANTIC_ZH.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    try:
        # literal_error's "'zh' or 'en'" reads 'zh'、'en' in Chinese
        return template.format(**{k: str(v).replace(" or ", "、") for k, v in (error.get("ctx") or {}).items()})
    except KeyError:
        return error["msg"]
