"""Read a finished run's JSON files (``results.json``, ``manifest.json``) with a clear error when they are not one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import JinlinError

__all__ = ["read_run_file"]


def read_run_file(path: str | Path, filename: str, valid: Callable[[Any], bool], expected: str,
                  expected_zh: str = "") -> dict[str, Any]:
    """The JSON body of ``filename`` in a report folder (or the file itself), checked by ``valid``.

    ``expected`` ends the error message '<path> is ...' when the file is not valid; ``expected_zh`` says the same
    in Chinese ('<path> ...') for the Chinese text of the error.
    """
    path = Path(path)
    if path.is_dir():
        path = path / filename
    if not path.is_file():
        raise JinlinError(f"{path} does not exist\nfix: give a report folder (reports/<run>) or its {filename}",
                          zh=f"{path} 不存在\n修改：给出报告文件夹（reports/<运行>）或其中的 {filename}")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise JinlinError(f"{path} is not valid JSON ({e})\nfix: give the {filename} written by jinlin run",
                          zh=f"{path} 不是有效的 JSON（{e}）\n修改：给出 jinlin run 写出的 {filename}") from None
    if not valid(body):
        raise JinlinError(f"{path} is {expected}\n"
                          f"fix: give the {filename} written by jinlin run",
                          zh=f"{path} {expected_zh or expected}\n修改：给出 jinlin run 写出的 {filename}")
    return body
