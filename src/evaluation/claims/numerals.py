"""Numbers as Chinese policy texts write them: Arabic, Chinese, and the two mixed (7.3万, 3万5千, 两千, 二〇二三).

The parser is hand-written because no maintained Python library covers what these texts need together: Chinese
numerals with 万/亿 sections, the financial forms (壹贰叁), positional year digits (二〇二三), Arabic coefficients on
Chinese multipliers (7.3万, 1.2亿) and, for the hedge rules, the place value of the last stated digit
(``cn2an`` parses values only and rejects the mixed forms). Arithmetic is done in :class:`decimal.Decimal` so that
7.3万 is 73000 exactly and the rounding intervals built on it are exact.

Grammar (the standard one of 《现代汉语》 numerals): a number is split at its last highest big unit (亿, then 万);
each part below 10,000 is a sequence of digit × small unit (十, 百, 千), with 零 marking a skipped place. A leading
十 means 一十. An elided final place (二百五 = 250, 三万五 = 35,000) is read as one place below the last unit.
A run of digits with no unit (二〇二三) is positional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["ParsedNumber", "parse_number", "parse_chinese_integer", "place_of_last_nonzero", "CN_DIGITS",
           "CN_SMALL_UNITS", "CN_BIG_UNITS", "NUMERAL_CHARS"]

CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_SMALL_UNITS) + "".join(CN_BIG_UNITS)

_ZERO = {"零", "〇", "○"}
_TOKEN_RE = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|.", re.S)


@dataclass(frozen=True)
class ParsedNumber:
    """A parsed numeral.

    Attributes
    ----------
    value : Decimal
        The value, exact (7.3万 -> 73000).
    stated_place : Decimal
        Place value of the last digit the writer stated: 51.6 -> 0.1, 7.3万 -> 1000, 16295 -> 1, 三十万 -> 100000.
        Rounding of an unhedged figure is half of this.
    nonzero_place : Decimal
        Place value of the last non-zero digit: 4000 -> 1000, 450 -> 10, 7.3万 -> 1000. The step of 余/多 and the
        precision of 约 are this.
    multiplier : int
        The trailing big unit applied to the coefficient (1, 10**4, 10**8 or 10**12): 7.3万 -> 10000.
    script : str
        ``"arabic"`` (digits only), ``"chinese"`` (no Arabic digit) or ``"mixed"`` (7.3万).
    """

    value: Decimal
    stated_place: Decimal
    nonzero_place: Decimal
    multiplier: int
    script: str

    @property
    def decimals(self) -> int:
        """Digits stated after the decimal point of the coefficient (51.6% -> 1; 7.3万 -> 1)."""
        exp = (self.stated_place / self.multiplier).normalize().as_tuple().exponent
        return max(0, -int(exp))


def place_of_last_nonzero(value: Decimal) -> Decimal:
    """Place value of the last non-zero digit of ``value`` (4000 -> 1000, 7.35 -> 0.01, 0 -> 1)."""
    if value == 0:
        return Decimal(1)
    exp = value.normalize().as_tuple().exponent
    return Decimal(1).scaleb(int(exp))


def _tokens(text: str) -> list[tuple[str, object]]:
    """Split into ("num", Decimal, decimals) / ("small", int) / ("big", int) / ("zero",) tokens."""
    out: list[tuple[str, object]] = []
    for m in _TOKEN_RE.finditer(text):
        t = m.group(0)
        if t[0].isdigit():
            out.append(("num", t.replace(",", "")))
        elif t in _ZERO:
            out.append(("zero", 0))
        elif t in CN_DIGITS:
            out.append(("num", str(CN_DIGITS[t])))
        elif t in CN_SMALL_UNITS:
            out.append(("small", CN_SMALL_UNITS[t]))
        elif t in CN_BIG_UNITS:
            out.append(("big", CN_BIG_UNITS[t]))
        else:
            raise ValueError(f"not a numeral character: {t!r} in {text!r}")
    return out


def _section(tokens: list[tuple[str, object]], elide_unit: int | None) -> tuple[Decimal, Decimal]:
    """Value and last stated place of a part below the next big unit (digit × 十/百/千 sequences).

    ``elide_unit`` is the big unit just before this part, for the elided form 三万五 (= 35,000).
    """
    if not tokens:
        return Decimal(0), Decimal(0)
    total = Decimal(0)
    digit: Decimal | None = None
    digit_place = Decimal(1)
    last_unit: int | None = None
    after_zero = False
    place = Decimal(0)
    used_small = False
    for kind, val in tokens:
        if kind == "num":
            if digit is not None:
                raise ValueError("two digits in a row inside a section")
            digit = Decimal(str(val))
            digit_place = Decimal(1).scaleb(Decimal(str(val)).as_tuple().exponent)
        elif kind == "zero":
            if digit is not None:
                raise ValueError("digit before 零 without a unit")
            after_zero = True
        elif kind == "small":
            if last_unit is not None and val >= last_unit:
                raise ValueError("small units out of order")
            coef = digit if digit is not None else Decimal(1)
            if digit is None and (used_small or total):
                raise ValueError("bare unit in the middle of a number")
            total += coef * val
            place = digit_place * val if digit is not None else Decimal(val)
            digit, digit_place, last_unit, after_zero, used_small = None, Decimal(1), val, False, True
    if digit is not None:
        if last_unit is not None and not after_zero:
            # 二百五 = 250: the elided place is one below the last unit.
            unit = Decimal(last_unit) / 10
            total += digit * unit
            place = digit_place * unit
        elif last_unit is None and elide_unit is not None and not after_zero and len(tokens) == 1:
            unit = Decimal(elide_unit) / 10
            total += digit * unit
            place = digit_place * unit
        else:
            total += digit
            place = digit_place
    return total, place


def _evaluate(tokens: list[tuple[str, object]], elide_unit: int | None = None) -> tuple[Decimal, Decimal]:
    bigs = [i for i, (k, _) in enumerate(tokens) if k == "big"]
    if not bigs:
        return _section(tokens, elide_unit)
    top = max(tokens[i][1] for i in bigs)
    split = max(i for i in bigs if tokens[i][1] == top)
    left, right = tokens[:split], tokens[split + 1:]
    if left:
        lval, lplace = _evaluate(left)
    else:
        lval, lplace = Decimal(1), Decimal(1)
    if right and right[0][0] == "zero":
        right = right[1:]
        elide = None
    else:
        elide = top
    rval, rplace = _evaluate(right, elide) if right else (Decimal(0), Decimal(0))
    if rval >= top:
        raise ValueError("lower part exceeds its big unit")
    value = lval * top + rval
    place = rplace if right and rplace else lplace * top
    return value, place


def parse_chinese_integer(text: str) -> int:
    """Integer value of a Chinese numeral (一千零五 -> 1005, 两千 -> 2000, 二〇二三 -> 2023, 十八 -> 18).

    Raises ``ValueError`` when ``text`` is not a well-formed numeral or is not an integer.
    """
    num = parse_number(text)
    if num.value != num.value.to_integral_value():
        raise ValueError(f"not an integer: {text!r}")
    return int(num.value)


def parse_number(text: str) -> ParsedNumber:
    """Parse an Arabic, Chinese or mixed numeral, without unit or hedge words.

    Accepts ``16295``, ``16,295``, ``51.6``, ``7.3万``, ``1.2亿``, ``3万5千``, ``两千``, ``三十``, ``十八``,
    ``一千零五``, ``二〇二三`` (positional), ``壹佰`` (financial), ``百万``, ``三点五`` (Chinese decimal point).

    Returns
    -------
    ParsedNumber
        The exact value with its stated and last non-zero place values and trailing multiplier.

    Raises
    ------
    ValueError
        When ``text`` is not a numeral.

    References
    ----------
    The numeral grammar of 《现代汉语》 (黄伯荣、廖序东), §数词; GB/T 15835-2011 《出版物上数字用法》 on
    Arabic numerals with 万/亿.

    Examples
    --------
    >>> n = parse_number("7.3万")
    >>> int(n.value), int(n.stated_place), int(n.nonzero_place), n.multiplier
    (73000, 1000, 1000, 10000)
    """
    text = text.strip()
    if not text:
        raise ValueError("empty numeral")
    script = "arabic" if re.fullmatch(r"[\d.,]+", text) else (
        "chinese" if not re.search(r"\d", text) else "mixed")
    if "点" in text:
        whole, _, frac = text.partition("点")
        big = ""
        while frac and frac[-1] in CN_BIG_UNITS:
            big = frac[-1] + big
            frac = frac[:-1]
        if not frac or any(c not in CN_DIGITS for c in frac):
            raise ValueError(f"bad decimal part in {text!r}")
        int_part = parse_number(whole).value if whole else Decimal(0)
        coef = Decimal(f"{int_part}.{''.join(str(CN_DIGITS[c]) for c in frac)}")
        mult = 1
        for c in big:
            mult *= CN_BIG_UNITS[c]
        stated = Decimal(1).scaleb(-len(frac)) * mult
        value = coef * mult
        return ParsedNumber(value, stated, max(place_of_last_nonzero(value), stated), mult, script)
    tokens = _tokens(text)
    kinds = [k for k, _ in tokens]
    if all(k in ("num", "zero") for k in kinds) and script == "chinese" and len(tokens) > 1:
        # 二〇二三: positional digits, as in years and phone numbers.
        digits = "".join("0" if k == "zero" else str(v) for k, v in tokens)
        value = Decimal(digits)
        return ParsedNumber(value, Decimal(1), place_of_last_nonzero(value), 1, script)
    if kinds and kinds[0] == "zero" and len(tokens) == 1:
        return ParsedNumber(Decimal(0), Decimal(1), Decimal(1), 1, script)
    if kinds.count("num") == 0 and not any(k in ("small", "big") for k in kinds):
        raise ValueError(f"no digit in {text!r}")
    if "zero" in kinds[:1]:
        raise ValueError(f"numeral starts with 零: {text!r}")
    value, stated = _evaluate(tokens)
    mult = 1
    i = len(tokens) - 1
    while i >= 0 and tokens[i][0] == "big":
        mult *= int(tokens[i][1])
        i -= 1
    if stated == 0:
        stated = Decimal(1)
    nonzero = place_of_last_nonzero(value)
    return ParsedNumber(value, stated, max(nonzero, stated) if value else stated, mult, script)
