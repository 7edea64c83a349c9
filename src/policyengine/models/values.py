"""The value types of records: money, quantities, counts, dates, lists.

Each type reads what people write (``30万``, ``2022年9月27日``) and publishes the same forms in
its JSON Schema (``WithJsonSchema``, validation mode), built from the very patterns the parser
uses, so that an editor accepts what the engine accepts.

Every number a record holds is bounded (:func:`bounded`): at most :data:`MAX_AMOUNT` and at most
:data:`MAX_FRACTION_DIGITS` digits after the decimal point, so it has at most 28 significant
digits and Python's default decimal context (28 digits) reads, compares and adds record values
exactly. A date is one of the forms :data:`DATE_FORMS` names; a number is never a timestamp.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, WithJsonSchema

#: Most items accepted in any one list of a record (staff, services, ...).
MAX_LIST_ITEMS = 10_000

#: Largest amount accepted anywhere (yuan): one trillion. Anything above is a typing slip.
MAX_AMOUNT = Decimal("1000000000000")
#: Most digits before the decimal point of any number in a record, a pack parameter or a
#: condition's literal: 13 (MAX_AMOUNT, 10¹², has 13). Records are further held to MAX_AMOUNT.
MAX_INTEGER_DIGITS = 13
#: Most digits after the decimal point (trailing zeros do not count): 15. Fen need 2, rates and
#: spreadsheet-computed ratios (12/13 = 0.923076923076923) up to 15, the digits a spreadsheet keeps.
MAX_FRACTION_DIGITS = 15
#: Significant digits kept from a float (a spreadsheet cell): 15, as many as a spreadsheet shows,
#: so that binary noise (0.1 + 0.2 = 0.30000000000000004) reads as the 0.3 the cell shows.
FLOAT_DIGITS = 15

_SCALE = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
# Wide enough for every bounded value; Inexact flags digits below 10⁻¹⁵ that are not zeros.
_EXACT = Context(prec=MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2, traps=[Inexact, InvalidOperation])
_FLOAT = Context(prec=FLOAT_DIGITS)
OUT_OF_RANGE = (
    f"数值超出范围 / value out of range: at most {MAX_INTEGER_DIGITS} digits before and "
    f"{MAX_FRACTION_DIGITS} after the decimal point"
)
NOT_FINITE = "数值无效 / not a usable number: NaN and infinity are not values; write a finite number"


def brief(value: Any) -> str:
    """A value as a message quotes it: never longer than about 40 characters."""
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) > 20:
        return format(value, ".6E")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return format(Decimal(value), ".6E")
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def bounded(value: Decimal) -> Decimal:
    """``value`` if it has at most :data:`MAX_INTEGER_DIGITS` digits before the decimal point
    and :data:`MAX_FRACTION_DIGITS` after (trailing zeros do not count), stored with an exponent
    between -15 and 0 (``1E+3`` is kept as 1000, ``1.50000000000000000000`` as 1.500000000000000);
    otherwise ValueError naming the bounds. Decimal operations only: never slow, never raises else.
    """
    if not value.is_finite():
        raise ValueError(f"{NOT_FINITE} (got {brief(value)})")
    if value.is_zero():
        return Decimal(0)
    if value.adjusted() >= MAX_INTEGER_DIGITS or value.adjusted() < -MAX_FRACTION_DIGITS:
        raise ValueError(f"{OUT_OF_RANGE} (got {brief(value)})")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -MAX_FRACTION_DIGITS <= exponent <= 0:
        return value
    try:
        return value.quantize(Decimal(1) if exponent > 0 else _SCALE, context=_EXACT)
    except Inexact:
        raise ValueError(f"{OUT_OF_RANGE} (got {brief(value)})") from None


def _from_float(value: float) -> Decimal:
    """A float through its shortest text, to :data:`FLOAT_DIGITS` significant digits."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{NOT_FINITE} (got {value})")
    number = Decimal(repr(value))
    if len(number.as_tuple().digits) > FLOAT_DIGITS:
        number = _FLOAT.plus(number).normalize(_FLOAT)
    return number


# The pieces of an amount written as text; the parser and the schema share them.
_AMOUNT_NUMBER = r"[0-9][0-9,，]*(?:\.[0-9]+)?"
_AMOUNT_UNIT = "亿元|亿|万元|万|元"
_MONEY_RE = re.compile(rf"^(?P<sign>-)?\s*[¥￥]?\s*(?P<num>{_AMOUNT_NUMBER})\s*(?P<unit>{_AMOUNT_UNIT})?$")
#: Each unit as a power of ten: 万 is 10⁴ yuan, 亿 10⁸ (the decimal point moves; nothing rounds).
_UNITS = {None: 0, "元": 0, "万": 4, "万元": 4, "亿": 8, "亿元": 8}
#: An amount as text, as a JSON Schema (ECMA-262) pattern: no sign, since negatives are refused.
MONEY_TEXT_PATTERN = rf"^\s*[¥￥]?\s*{_AMOUNT_NUMBER}\s*(?:{_AMOUNT_UNIT})?\s*$"
#: A quantity as text: digits, thousands commas, a decimal part.
QUANTITY_TEXT_PATTERN = r"^\s*(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*$"


def _above(value: Decimal, what: str) -> ValueError:
    return ValueError(
        f"数值超出范围 / value out of range: {what} at most {MAX_AMOUNT} (10¹²), not {brief(value)}"
    )


def _money_text(value: str) -> str:
    """An amount's text as the pattern reads it: full-width digits and signs made plain
    (NFKC), spaces gone, a leading 人民币/RMB and a trailing 整 (``30万元整``) dropped."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    for prefix in ("人民币", "RMB", "rmb", "CNY"):
        text = text.removeprefix(prefix)
    return text.removesuffix("整")


def parse_money(value: Any) -> Any:
    """Turn what people write for an amount into ``Decimal`` yuan.

    Accepts ints, Decimals, floats (through their shortest text to 15 significant digits, so
    156.3 stays 156.3), and strings such as ``"300000"``, ``"300,000"``, ``"30万"``,
    ``"108.8万元"``, ``"¥1,000"``, ``"人民币30万元整"`` (full-width digits too). Refuses NaN,
    infinities, negative amounts, amounts above :data:`MAX_AMOUNT` and amounts with more than
    :data:`MAX_FRACTION_DIGITS` decimals.
    """
    if isinstance(value, bool):
        raise ValueError("an amount must be a number, not true/false")
    if isinstance(value, float):
        value = _from_float(value)
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        m = _MONEY_RE.match(_money_text(value))
        if not m:
            raise ValueError(
                f"金额应写作 300000、300,000、30万 或 12.5万元,而不是 {brief(value)} / "
                f"{brief(value)} is not an amount; write e.g. 300000, 300,000, 30万 or 108.8万元"
            )
        _, digits, exponent = Decimal(m.group("num").replace(",", "").replace("，", "")).as_tuple()
        assert isinstance(exponent, int)
        value = Decimal((1 if m.group("sign") else 0, digits, exponent + _UNITS[m.group("unit")]))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{NOT_FINITE} (got {value})")
        if value < 0:
            raise ValueError("an amount cannot be negative")
        if value > MAX_AMOUNT:
            raise _above(value, "an amount is")
        return bounded(value)
    return value


def parse_decimal(value: Any) -> Any:
    """A non-money quantity (area, ratio, hours): exact, finite, not negative, bounded."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, float):
        value = _from_float(value)
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"应为数字,而不是 {brief(value)} / {brief(value)} is not a number") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{NOT_FINITE} (got {value})")
        if value < 0:
            raise ValueError("cannot be negative")
        if value > MAX_AMOUNT:
            raise _above(value, "a quantity is")
        return bounded(value)
    return value


def parse_count(value: Any) -> Any:
    """A whole number of things: true/false is not a count, nor anything above 10¹².

    Whether it is whole is pydantic's check (``5.0`` is 5, ``5.5`` is refused); this one keeps
    ``1e999999`` from ever becoming a million-digit int.
    """
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    number: Any = value
    if isinstance(value, float):
        number = _from_float(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return value  # not a number at all: pydantic says so
    if isinstance(number, int) and abs(number) > MAX_AMOUNT:
        raise _above(Decimal(number), "a count is")
    if isinstance(number, Decimal):
        if not number.is_finite():
            raise ValueError(f"{NOT_FINITE} (got {number})")
        if number.copy_abs() > MAX_AMOUNT:
            raise _above(number, "a count is")
        bounded(number)
    return value


_CN_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
#: 2022-09-27, 2022-9-27, 2022/9/27, 2022.9.27: one separator used twice.
_SEP_DATE = r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
#: ISO with a midnight time, as spreadsheet exports write dates (2022-09-27 00:00:00).
_MIDNIGHT = r"(?:[T ]0?0:00(?::00(?:\.0+)?)?)?"
#: Eight digits, as many Chinese ledgers write a date: 20220927.
_COMPACT_DATE = r"(\d{4})(\d{2})(\d{2})"
_DATE_RES = (
    re.compile(f"^{_CN_DATE}$"),
    re.compile(f"^{_SEP_DATE}{_MIDNIGHT}$"),
    re.compile(f"^{_COMPACT_DATE}$"),
)
#: The other date forms records may use, as messages name them.
DATE_FORMS = "2022/9/27, 2022.9.27, 2022年9月27日 or 20220927"
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


def _not_a_date(value: Any) -> ValueError:
    text = "日期应写作 YYYY-MM-DD / a date must be written YYYY-MM-DD"
    text += f" (also {DATE_FORMS}), not {brief(value)}"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text += ": a number is never read as a Unix timestamp"
    return ValueError(text)


#: A month without its day: 2023年3月, 2023-03, 2023/3, 2023.3 (and 2023年3月份).
_MONTH_RE = re.compile(r"^(\d{4})\s*(?:年\s*(\d{1,2})\s*月份?|[-/.](\d{1,2}))$")


def month_only(value: Any) -> tuple[int, int] | None:
    """(year, month) when ``value`` is a month written without a day (``2023年3月``)."""
    if not isinstance(value, str):
        return None
    m = _MONTH_RE.match(unicodedata.normalize("NFKC", value).strip())
    if m is None:
        return None
    year, month = int(m.group(1)), int(m.group(2) or m.group(3))
    return (year, month) if 1 <= month <= 12 else None


def _only_a_month(value: str, year: int, month: int) -> ValueError:
    return ValueError(
        f"只写到月份,此处需要具体日期,如 {year}年{month}月1日 / "
        f"{brief(value)} names a month, not a day: write the day too, e.g. {year}-{month:02d}-01"
    )


def parse_date(value: Any) -> Any:
    """A date: ``2022-09-27``, ``2022/9/27``, ``2022.9.27``, ``2022年9月27日`` or ``20220927``.

    A ``date`` or ``datetime`` (YAML dates, spreadsheet date cells) is taken as it is (the day
    of a datetime). An 8-digit integer is the compact form (20220927); any other number is
    refused: a number in a date field is never read as a Unix timestamp. Every other text is
    refused naming the accepted forms (week dates, ordinal dates, times of day, timestamps).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 10_000_000 <= value <= 99_999_999:
        text = str(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
    else:
        raise _not_a_date(value)
    month = month_only(text)
    if month is not None:
        raise _only_a_month(value, *month)
    for pattern in _DATE_RES:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups() if g.isdigit())
            try:
                return date(y, mo, d)
            except ValueError as exc:
                raise ValueError(f"没有这一天(日期不存在) / {value!r} is not a real date ({exc})") from None
    raise _not_a_date(value)


def parse_month(value: Any) -> Any:
    """A month, kept as its first day: ``2023年3月``, ``2023-03``, ``2023/3``, ``2023.3``, or a
    date (its month). For fields that hold a month (a report's month, a pay period); a date
    field refuses a month without its day (:func:`parse_date`)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    month = month_only(value)
    if month is not None:
        return date(month[0], month[1], 1)
    if isinstance(value, str):
        day = parse_date(value)
        return day.replace(day=1) if isinstance(day, date) else day
    raise ValueError(
        f"月份应写作 2023年3月 或 2023-03,而不是 {brief(value)} / a month must be written 2023-03 "
        f"or 2023年3月, not {brief(value)}"
    )


def iso_date(text: str) -> date:
    """Strictly ``YYYY-MM-DD`` (the condition language's ``date("...")``): no week dates
    (2023-W01-1), ordinal dates (2023-060), compact forms or times."""
    m = _ISO_DATE.match(text)
    if not m:
        raise ValueError(f"{brief(text)} is not a date written YYYY-MM-DD")
    try:
        return date(*(int(g) for g in m.groups()))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None


def _number_or_text(pattern: str, examples: list[Any]) -> WithJsonSchema:
    """A non-negative number, or text of the accepted forms (what the parser reads)."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
                {"type": "string", "pattern": pattern},
            ],
            "examples": examples,
        },
        mode="validation",
    )


_DATE_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "anyOf": [
            {"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            {"pattern": rf"^\s*{_CN_DATE}\s*$"},
            {"pattern": rf"^\s*{_SEP_DATE.replace('[-/.]', '[/.]')}{_MIDNIGHT}\s*$"},
            {"pattern": rf"^\s*{_COMPACT_DATE}\s*$"},
        ],
        "examples": ["2022-09-27", "2022年9月27日", "2022/9/27", "20220927"],
    },
    mode="validation",
)

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    _number_or_text(MONEY_TEXT_PATTERN, [300000, "300,000", "30万", "108.8万元"]),
]
Quantity = Annotated[
    Decimal, BeforeValidator(parse_decimal), _number_or_text(QUANTITY_TEXT_PATTERN, [280, "12.5"])
]
Day = Annotated[date, BeforeValidator(parse_date), _DATE_SCHEMA]
T = TypeVar("T")
#: A list in a record: at most MAX_LIST_ITEMS items, checked before the items are validated.
Items = Annotated[list[T], Field(max_length=MAX_LIST_ITEMS)]
Count = Annotated[int, BeforeValidator(parse_count)]
#: A month (kept as its first day): 2023年3月, 2023-03; a date means its month.
Month = Annotated[
    date,
    BeforeValidator(parse_month),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\s*[0-9]{4}\s*(?:年\s*[0-9]{1,2}\s*月|[-/.][0-9]{1,2})\s*$"},
        mode="validation",
    ),
]
