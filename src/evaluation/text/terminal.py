"""Text in a terminal: how many columns it takes, Chinese counted two a character.

Plain-text tables (``jinlin audit``'s verdicts, ``jinlin diff``) line up only when a wide character (汉字, full-width
punctuation) counts as the two columns a terminal gives it; ``len`` and pandas' ``to_string`` count one, so the
columns drift.
"""

from __future__ import annotations

import unicodedata

__all__ = ["display_width", "pad"]


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters (Unicode East Asian Width W and F) take two.

    >>> display_width("abc"), display_width("社区"), display_width("（1）")
    (3, 4, 5)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns, on the left when ``right`` (numbers), else on the
    right; text already as wide or wider is left as it is.

    >>> pad("社区", 6) + "|", pad("7", 3, right=True)
    ('社区  |', '  7')
    """
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap
