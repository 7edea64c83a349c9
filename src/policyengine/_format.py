"""How values read in messages and reports."""

from __future__ import annotations

from datetime import date
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .lang.runtime import MISSING

#: How a message shows a number, when the pack says what it is (:func:`display_kind`).
PERCENT, MONEY = "percent", "money"


def format_value(value: Any, lang: str = "zh", kind: str | None = None) -> str:
    """How a value reads in a message or report. ``kind`` (``percent`` for a ratio such as
    0.03, ``money`` for yuan) makes a number read as a bureau writes it: 3%, 30万元, 1.2亿元."""
    if kind is not None and isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if kind is not None and isinstance(value, Decimal) and value.is_finite():
        return format_percent(value) if kind == PERCENT else format_money(value, lang)
    if kind is not None and isinstance(value, list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(format_value(v, lang, kind) for v in value)
    if value is MISSING or value is None:
        return "（缺失）" if lang == "zh" else "(missing)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Enum):
        labels = getattr(type(value), "__labels__", None)
        if lang == "zh" and labels:
            return str(labels.get(value.value, value.value))
        return str(value.value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(format_value(v, lang) for v in value)
    if isinstance(value, BaseModel):
        name = getattr(value, "name", None) or getattr(value, "id", None)
        return str(name) if name else type(value).__name__
    return str(value)


#: Significant digits a number is shown with: Python's default decimal precision, which every
#: value the library reads (records, packs: at most 13 + 15 digits) or computes fits in.
SHOWN_DIGITS = 28
#: Plain notation from 10⁻¹⁵ (the smallest step a record may hold) up to, not including, 10²⁸;
#: outside, scientific notation (1E+30, 1.5E-20), never hundreds of zeros.
PLAIN_MIN_EXPONENT = -15
PLAIN_MAX_EXPONENT = 27
#: Longest text :func:`format_decimal` returns (a sign, 28 digits, the point, an exponent).
MAX_NUMBER_TEXT = 60

# Rounding to SHOWN_DIGITS over the whole exponent range: no trap, so nothing ever raises.
_SHOWN = Context(prec=SHOWN_DIGITS, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


def format_decimal(value: Decimal) -> str:
    """How a number reads: plain, without an exponent or needless trailing zeros
    (156.3000 → 156.3), for 10⁻¹⁵ <= |value| < 10²⁸; scientific (``1E+30``) outside. At most
    :data:`SHOWN_DIGITS` significant digits. Text and string operations only: any Decimal,
    whatever its size and whatever the caller's decimal context, gives at most
    :data:`MAX_NUMBER_TEXT` characters and never raises. The text reads back with ``Decimal()``.
    """
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "-Infinity" if value.is_signed() else "Infinity"
    if value.is_zero():
        return "0"
    shown = _SHOWN.plus(value)
    if not shown.is_finite():  # rounded past the largest exponent
        return format_decimal(shown)
    sign, digits, exponent = shown.as_tuple()
    assert isinstance(exponent, int)
    coefficient = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(coefficient)
    adjusted = len(coefficient) - 1 + exponent
    minus = "-" if sign else ""
    if not PLAIN_MIN_EXPONENT <= adjusted <= PLAIN_MAX_EXPONENT:
        mantissa = coefficient[0] + ("." + coefficient[1:] if len(coefficient) > 1 else "")
        return f"{minus}{mantissa}E{adjusted:+d}"
    if exponent >= 0:
        return minus + coefficient + "0" * exponent
    if adjusted >= 0:
        point = adjusted + 1
        return f"{minus}{coefficient[:point]}.{coefficient[point:]}"
    return f"{minus}0.{'0' * (-adjusted - 1)}{coefficient}"


def format_percent(ratio: Decimal) -> str:
    """A ratio as a percentage, exactly: 0.03 → 3%, 0.025 → 2.5%, 0.4 → 40%."""
    return f"{format_decimal(ratio.scaleb(2))}%"


#: The most decimals an amount in 万元 or 亿元 is written with; beyond, it reads in 元
#: (240000.01 is 240000.01元, not 24.000001万元).
MONEY_PLACES = 4


def format_money(yuan: Decimal, lang: str = "zh") -> str:
    """Yuan as a bureau writes them, exactly (the decimal point moves, nothing rounds):
    9800元, 30万元, 12.5万元, 1.2亿元; in English, 120,000,000 yuan."""
    if lang == "en":
        whole = format_decimal(yuan)
        head, dot, tail = whole.partition(".")
        sign = "-" if head.startswith("-") else ""
        digits = head.lstrip("-")
        if digits.isdigit():
            digits = f"{int(digits):,}"
        return f"{sign}{digits}{dot}{tail} yuan"
    size = abs(yuan)
    for power, unit in ((8, "亿元"), (4, "万元")):
        scaled = yuan.scaleb(-power)
        if size >= 10**power and -scaled.normalize().as_tuple().exponent <= MONEY_PLACES:  # type: ignore[operator]
            return f"{format_decimal(scaled)}{unit}"
    return f"{format_decimal(yuan)}元"


def format_rounded(value: Decimal, places: int) -> str:
    """``value`` rounded half-even to ``places`` (>= 0) decimals, shown with exactly that many
    (a mean score: 85.0); where :func:`format_decimal` would use scientific notation, its text.
    Never raises, where ``value.quantize(Decimal("0.1"))`` does once the result needs more
    digits than the caller's decimal context holds (a mean of 10²⁸).
    """
    if value.is_finite() and value.adjusted() <= PLAIN_MAX_EXPONENT:
        context = Context(prec=PLAIN_MAX_EXPONENT + 2 + places, traps=[])
        rounded = value.quantize(Decimal(1).scaleb(-places), context=context)
        if rounded.is_finite():
            return format(rounded.copy_abs() if rounded.is_zero() else rounded, f".{places}f")
    return format_decimal(value)
