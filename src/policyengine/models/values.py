"""The value types of records: money, quantities, counts, dates, lists.

Each type reads what people write (``30万``, ``2022年9月27日``) and publishes the same forms in
its JSON Schema (``WithJsonSchema``, validation mode), built from the very patterns the parser
uses, so that an editor accepts what the engine accepts.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, WithJsonSchema

#: Most items accepted in any one list of a record (staff, services, ...).
MAX_LIST_ITEMS = 10_000

#: Largest amount accepted anywhere (yuan): one trillion. Anything above is a typing slip.
MAX_AMOUNT = Decimal("1000000000000")

# The pieces of an amount written as text; the parser and the schema share them.
_AMOUNT_NUMBER = r"[0-9][0-9,，]*(?:\.[0-9]+)?"
_AMOUNT_UNIT = "亿元|亿|万元|万|元"
_MONEY_RE = re.compile(rf"^(?P<sign>-)?\s*[¥￥]?\s*(?P<num>{_AMOUNT_NUMBER})\s*(?P<unit>{_AMOUNT_UNIT})?$")
_UNITS = {None: 1, "元": 1, "万": 10_000, "万元": 10_000, "亿": 100_000_000, "亿元": 100_000_000}
#: An amount as text, as a JSON Schema (ECMA-262) pattern: no sign, since negatives are refused.
MONEY_TEXT_PATTERN = rf"^\s*[¥￥]?\s*{_AMOUNT_NUMBER}\s*(?:{_AMOUNT_UNIT})?\s*$"
#: A quantity as text: digits, thousands commas, a decimal part.
QUANTITY_TEXT_PATTERN = r"^\s*(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*$"


def parse_money(value: Any) -> Any:
    """Turn what people write for an amount into ``Decimal`` yuan.

    Accepts ints, Decimals, floats (through their shortest text, so 156.3 stays 156.3),
    and strings such as ``"300000"``, ``"300,000"``, ``"30万"``, ``"108.8万元"``, ``"¥1,000"``.
    Refuses NaN, infinities, negative amounts and amounts above :data:`MAX_AMOUNT`.
    """
    if isinstance(value, bool):
        raise ValueError("an amount must be a number, not true/false")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("an amount must be a finite number")
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        m = _MONEY_RE.match(text)
        if not m:
            raise ValueError(f"{value!r} is not an amount; write e.g. 300000, 300,000, 30万 or 108.8万元")
        num = Decimal(m.group("num").replace(",", "").replace("，", ""))
        value = num * _UNITS[m.group("unit")]
        if m.group("sign"):
            value = -value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("an amount must be a finite number")
        if value < 0:
            raise ValueError("an amount cannot be negative")
        if value > MAX_AMOUNT:
            raise ValueError(f"{value} yuan is above the largest accepted amount ({MAX_AMOUNT})")
        return value
    return value


def parse_decimal(value: Any) -> Any:
    """A non-money quantity (area, ratio, hours): exact, finite, not negative."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("expected a finite number")
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("expected a finite number")
        if value < 0:
            raise ValueError("cannot be negative")
        if value > MAX_AMOUNT:
            raise ValueError(f"{value} is implausibly large")
    return value


def parse_count(value: Any) -> Any:
    """A whole number of things: true/false is not a count."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    return value


_CN_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"
_SLASH_DATE = r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})"
_DATE_RES = (re.compile(f"^{_CN_DATE}$"), re.compile(f"^{_SLASH_DATE}$"))


def parse_date(value: Any) -> Any:
    """Dates as ISO ``2022-09-27``, ``2022/9/27`` or ``2022年9月27日``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        m = _DATE_RES[0].match(text) or _DATE_RES[1].match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a real date ({exc})") from None
    return value


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
            {"pattern": rf"^\s*{_SLASH_DATE}\s*$"},
        ],
        "examples": ["2022-09-27", "2022年9月27日", "2022/9/27"],
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
