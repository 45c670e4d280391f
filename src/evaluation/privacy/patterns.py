"""Shapes of personal data in text: mainland mobile numbers, resident ID numbers and e-mail addresses.

Every other module of :mod:`evaluation.privacy` finds personal data through :func:`find_personal_data`, so detection,
masking and the output scanner agree on what counts as a phone number or an ID number.

Resident ID numbers follow GB 11643-1999 (公民身份号码): a six-digit administrative-division code whose first two
digits are a province code of GB/T 2260 (11–65, plus 71 Taiwan and 81/82/83 for the residence permits of Hong Kong,
Macao and Taiwan residents), the birth date as YYYYMMDD, a three-digit sequence and a check character computed with
ISO 7064 MOD 11-2 (``X`` stands for 10). An 18-digit string is only treated as an ID number when the checksum, the
province code and the birth date are all valid, so counts, timestamps and order numbers of 18 digits are left alone.
The older 15-digit numbers (before 1999) carry no checksum and are indistinguishable from counts; they are not
detected by shape (a column named 身份证号 is still detected by its header).

Mobile numbers are 11 digits ``1[3-9]xxxxxxxxx`` (MIIT numbering plan), optionally preceded by ``+86``/``86``/
``0086``/``(+86)`` and optionally grouped 3-4-4 by spaces, a dash or a dot, with spaces around the dash allowed
(``138 - 1234 - 5678``, ``138.1234.5678``). A number is never taken out of a longer run of digits or out of the
decimals of a number, so ``0.13812345678`` and a 17-digit count are not phone numbers.

Landlines (``landline``) are a trunk prefix 0, a two- or three-digit area code and a 7- or 8-digit subscriber number:
``0752-1234567``, ``(0752)1234567``, ``010 12345678`` or run together, ``075212345678``.

"ID-shaped" numbers are masked even when their check character is wrong, because a typo in the last digit leaves the
other 17 digits identifying a person: 18 characters (17 digits and a digit or ``X``) or the 15 digits of the older
numbers (before 1999: area, ``YYMMDD``, sequence), with a known province code and a birth date that exists. Valid
numbers are of course ``id_number`` too.

WeChat ids (``wechat``): ``wxid_…`` wherever it stands, and an id (6–20 letters, digits, ``_`` or ``-``, starting
with a letter, as WeChat requires) after ``微信``/``微信号``/``WeChat ID``. Names (``name``): two to four CJK
characters, or capitalised Latin words, after a name label such as ``姓名：``, ``联系人 ``, ``Name:``. A name
without such a label cannot be told from any other word by its shape; the scanner finds those by the known values.

Digits inside a run of 32 or more hexadecimal characters (a SHA-256 or HMAC digest in a manifest), or inside a
hexadecimal literal ``0x…`` (a memory address in an object's repr), are not personal data.

Full-width digits (``１３８…``), the full-width plus and dashes typed by Chinese input methods are matched too: the text
is mapped one character to one character onto ASCII before matching, so the spans refer to the original string.

References
----------
GB 11643-1999 公民身份号码. ISO/IEC 7064:2003, MOD 11-2. GB/T 2260 中华人民共和国行政区划代码.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Kind",
    "Match",
    "PROVINCE_CODES",
    "resident_id_check_char",
    "is_valid_resident_id",
    "is_mobile_number",
    "is_id_shaped",
    "is_landline",
    "is_email",
    "looks_like_name",
    "find_personal_data",
    "to_ascii",
]

Kind = Literal["phone", "landline", "id_number", "email", "wechat", "name"]

PROVINCE_CODES: frozenset[str] = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11, i = 0..16
_ID_CHECK = "10X98765432"  # check character for (weighted sum mod 11) = 0..10

# One-to-one character mapping, so spans found in the mapped text are spans of the original text.
_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({ord("Ｘ"): ord("X"), ord("ｘ"): ord("x"), ord("＋"): ord("+"), ord("－"): ord("-"),
                   ord("—"): ord("-"), ord("–"): ord("-"), ord("\u3000"): ord(" "), ord("\u00a0"): ord(" "),
                   ord("（"): ord("("), ord("）"): ord(")"), ord("＠"): ord("@"), ord("．"): ord(".")})

_SEP = r"[ \-]?"
_PSEP = r"(?:[ \t]*[\-.][ \t]*|[ \t]+)?"   # 138-1234-5678, 138 - 1234 - 5678, 138.1234.5678, 138 1234 5678
_PHONE_RE = re.compile(
    r"(?<![0-9.])"                          # not the tail of a longer number or the decimals of one
    r"(?:(?:\+?86|0086|\(\+?86\))[ \t]*[\-.]?[ \t]*)?"   # optional country code
    rf"1[3-9][0-9]{_PSEP}[0-9]{{4}}{_PSEP}[0-9]{{4}}"
    r"(?![0-9]|\.[0-9])",                   # not the head of a longer number
)
_LANDLINE_RE = re.compile(
    r"(?<![0-9.])"
    r"(?:\(0[1-9][0-9]{1,2}\)[ \t]*|0[1-9][0-9]{1,2}(?:[ \t]*-[ \t]*|[ \t]+)?)"
    r"[0-9]{7,8}"
    r"(?![0-9]|\.[0-9])",
)
_DATE8 = r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_DATE6 = r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_ID_SHAPE_RE = re.compile(
    r"(?<![0-9.])"
    rf"(?:[1-8][0-9]{{5}}{_SEP}{_DATE8}{_SEP}[0-9]{{3}}[0-9Xx]|[1-8][0-9]{{5}}{_DATE6}[0-9]{{3}})"
    r"(?![0-9]|\.[0-9])",
)
_WXID_RE = re.compile(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9_\-]{3,}", re.IGNORECASE)
_WECHAT_CTX_RE = re.compile(
    r"(?:微信号|微信账号|微信[:：]|(?<![A-Za-z])(?:WeChat|Weixin)(?:[ _]?ID)?[ \t]*[:：]|(?<![A-Za-z])(?:VX|vx|wx)[:：])"
    r"[ \t]*[:：]?[ \t]*([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])")
_NAME_LABELS_ZH = ("姓名", "名字", "真实姓名", "联系人", "户主", "申请人", "信访人", "反映人", "当事人", "上报人",
                   "报告人", "志愿者", "受访者", "居民", "网格员")
_NAME_CTX_RE = re.compile(
    r"(?:(?:" + "|".join(sorted(_NAME_LABELS_ZH, key=len, reverse=True)) + r")(?:[ \t]*[:：][ \t]*|[ \t]+|是|为)"
    r"([\u3400-\u9fff\uf900-\ufaff]{2,4}(?:[·•][\u3400-\u9fff]{1,8})*)(?![\u3400-\u9fff\uf900-\ufaff])"
    r"|(?<![A-Za-z])(?:[Ff]ull [Nn]ame|Name|Contact(?: [Pp]erson)?|Resident|Petitioner|Applicant)[ \t]*[:：][ \t]*"
    r"([A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2})(?![A-Za-z]))")
# A digest (32+ hex characters), or a hexadecimal literal such as the memory address in an object's repr
# (``<pandas.io.formats.style.Styler at 0x7f0251234567>``, in a notebook's text/plain output).
_HEX_RUN_RE = re.compile(r"[0-9A-Fa-f]{32,}|\b0x[0-9A-Fa-f]+\b")
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+([A-Za-z]{2,24})"
    r"(?![A-Za-z\-])",
)
# "icon@2x.png", "d3@7.min.js": asset names in HTML exports that are shaped like addresses.
_NOT_TLDS = frozenset("png jpg jpeg gif svg webp ico bmp css js mjs map json html htm xml txt md py ipynb woff woff2 "
                      "ttf otf eot pdf docx csv zip gz tar whl".split())

_DIGIT_RE = re.compile(r"[0-9]")
_CJK_NAME_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,4}(?:[·•][\u3400-\u9fff]{1,8})*")
_LATIN_NAME_RE = re.compile(r"[A-Za-z][A-Za-z'\-.]*(?: [A-Za-z][A-Za-z'\-.]*){0,4}")


@dataclass(frozen=True)
class Match:
    """One piece of personal data found in a text: its kind and its span ``text[start:end]``."""

    kind: Kind
    start: int
    end: int


def to_ascii(text: str) -> str:
    """Map full-width digits, ``X``, plus, dashes and spaces onto ASCII, one character for one character."""
    return text.translate(_FULLWIDTH)


def resident_id_check_char(first17: str) -> str:
    """Check character of a resident ID number (ISO 7064 MOD 11-2, as specified by GB 11643-1999).

    Parameters
    ----------
    first17 : str
        The first 17 digits.

    Returns
    -------
    str
        ``"0"`` … ``"9"`` or ``"X"``.

    Examples
    --------
    >>> resident_id_check_char("11010519491231002")  # the example number printed in GB 11643-1999
    'X'
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("a resident ID number starts with 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _plausible_birth_date(yyyymmdd: str, today: _dt.date | None = None) -> bool:
    try:
        born = _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= (today or _dt.date.today())


def is_valid_resident_id(value: str, today: _dt.date | None = None) -> bool:
    """Whether ``value`` is a valid 18-character resident ID number.

    Valid means: 17 digits and a check character (``X`` or ``x`` for 10) that satisfies ISO 7064 MOD 11-2, a known
    province code in the first two digits, and a birth date in positions 7–14 that exists and lies between
    1900-01-01 and ``today``. Spaces and dashes between the digits are ignored.

    Examples
    --------
    >>> is_valid_resident_id("11010519491231002X")
    True
    >>> is_valid_resident_id("110105194912310021")  # wrong check digit
    False
    """
    v = to_ascii(str(value)).strip().replace(" ", "").replace("-", "")
    if len(v) != 18 or not v[:17].isascii() or not v[:17].isdigit():
        return False
    if v[:2] not in PROVINCE_CODES or not _plausible_birth_date(v[6:14], today):
        return False
    return resident_id_check_char(v[:17]) == v[17].upper()


def is_id_shaped(value: str, today: _dt.date | None = None) -> bool:
    """Whether ``value`` is shaped like a resident ID number, whatever its check character.

    18 characters (17 digits and a digit or ``X``) with a known province code and an existing birth date, or the
    15 digits of a first-generation number (area, ``YYMMDD``, sequence) with a known province code and an existing
    date. Spaces and dashes between the digits are ignored.

    Examples
    --------
    >>> is_id_shaped("110105194912310021"), is_id_shaped("110105491231002"), is_id_shaped("123456789012345")
    (True, True, False)
    """
    v = to_ascii(str(value)).strip().replace(" ", "").replace("-", "")
    if v[:2] not in PROVINCE_CODES or not v[:-1].isascii() or not v[:-1].isdigit():
        return False
    if len(v) == 18:
        return (v[17].isdigit() or v[17] in "Xx") and _plausible_birth_date(v[6:14], today)
    if len(v) == 15:
        return v.isdigit() and _plausible_birth_date("19" + v[6:12], today)
    return False


def is_mobile_number(value: str) -> bool:
    """Whether the whole of ``value`` (after stripping) is one mainland mobile number."""
    v = to_ascii(str(value)).strip()
    m = _PHONE_RE.fullmatch(v)
    return m is not None


def is_landline(value: str) -> bool:
    """Whether the whole of ``value`` (after stripping) is one landline number (area code and subscriber number)."""
    return _LANDLINE_RE.fullmatch(to_ascii(str(value)).strip()) is not None


def is_email(value: str) -> bool:
    """Whether the whole of ``value`` (after stripping) is one e-mail address."""
    v = to_ascii(str(value)).strip()
    m = _EMAIL_RE.fullmatch(v)
    return m is not None and m.group(1).lower() not in _NOT_TLDS


def looks_like_name(value: str) -> bool:
    """Whether ``value`` is shaped like a personal name.

    Two to four CJK characters (optionally followed by ``·``-separated parts, as in transliterated minority names),
    or one to five Latin words. This is only meaningful for values of a column whose header already says it holds
    names; by itself almost any short Chinese word would pass.
    """
    v = str(value).strip()
    return bool(_CJK_NAME_RE.fullmatch(v) or _LATIN_NAME_RE.fullmatch(v))


def find_personal_data(text: str, today: _dt.date | None = None) -> list[Match]:
    """Find every e-mail address, ID-shaped number, mobile number, landline, WeChat id and labelled name in ``text``.

    Matches never overlap. E-mail addresses win over the numbers they contain (``13812345678@qq.com`` is one
    e-mail address), WeChat ids next, then ID numbers, phone numbers, landlines and names. Returned in order of
    position.

    Parameters
    ----------
    text : str
        Any text.
    today : datetime.date, optional
        Latest plausible birth date of an ID number (default: today).

    Returns
    -------
    list of Match
    """
    if not text:
        return []
    t = to_ascii(text)
    found: list[Match] = []
    # Repeat on the text with the matches blanked out: a value next to another one (an ID number glued to a
    # phone number's placeholder, say) is only bounded once its neighbour is gone. Without this, masking the
    # output once more could mask something new, and the scanner would miss what a second masking finds.
    while new := _find_once(t, today):
        found.extend(new)
        pieces, last = [], 0
        for m in sorted(new, key=lambda x: x.start):
            pieces += [t[last:m.start], "\0" * (m.end - m.start)]
            last = m.end
        t = "".join(pieces) + t[last:]
    return sorted(found, key=lambda x: x.start)


def _find_once(t: str, today: _dt.date | None) -> list[Match]:
    found: list[Match] = []
    taken = bytearray(len(t))  # 1 where an earlier kind already matched

    def free(s: int, e: int) -> bool:
        return taken.find(1, s, e) < 0

    def take(kind: Kind, s: int, e: int) -> None:
        found.append(Match(kind, s, e))
        taken[s:e] = b"\x01" * (e - s)

    for m in _EMAIL_RE.finditer(t):
        if m.group(1).lower() not in _NOT_TLDS:
            take("email", *m.span())
    if "wxid_" in t.lower():
        for m in _WXID_RE.finditer(t):
            if free(*m.span()):
                take("wechat", *m.span())
    for m in _WECHAT_CTX_RE.finditer(t):
        if free(*m.span(1)):
            take("wechat", *m.span(1))
    if _DIGIT_RE.search(t):
        hexruns = [h.span() for h in _HEX_RUN_RE.finditer(t)]

        def in_digest(s: int, e: int) -> bool:
            return any(a <= s and e <= b for a, b in hexruns)

        pos = 0
        while (m := _ID_SHAPE_RE.search(t, pos)) is not None:
            # An invalid candidate must not hide a valid number that starts inside it, so step one character on.
            s_, e_ = m.span()
            ok = is_id_shaped(m.group(0), today)
            if free(s_, e_) and ok and not in_digest(s_, e_):
                take("id_number", s_, e_)
                pos = e_
            else:
                pos = s_ + 1
        for rx, kind in ((_PHONE_RE, "phone"), (_LANDLINE_RE, "landline")):
            for m in rx.finditer(t):
                if free(*m.span()) and not in_digest(*m.span()):
                    take(kind, *m.span())
    for m in _NAME_CTX_RE.finditer(t):
        g = 1 if m.group(1) is not None else 2
        if free(*m.span(g)):
            take("name", *m.span(g))
    return found
