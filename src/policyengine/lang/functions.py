"""The function table conditions may call.

Two kinds of entry:

- **forms** the checker and compiler know by name because they take a lambda or look at
  absence itself: ``count any all sum min max filter`` (``f(list, x -> ...)``),
  ``exists(path)`` and ``default(expr, fallback)``;
- plain :class:`Function` objects: fixed arity, argument kinds checked at load, called
  only when no argument is missing. Plugins add these through the
  ``policyengine_functions`` hook.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: Kinds an argument or a result can have.
KINDS = ("number", "string", "bool", "date", "list", "any")

#: Names handled by the checker and compiler themselves.
QUANTIFIERS = ("count", "any", "all", "sum", "min", "max", "filter")
FORMS = (*QUANTIFIERS, "exists", "default")


@dataclass(frozen=True)
class Function:
    """A function conditions may call.

    ``params`` and ``returns`` are kinds from :data:`KINDS`. ``impl`` receives plain values
    (``Decimal`` for numbers, ``datetime.date`` for dates) and must not mutate them. If an
    argument is absent from the record, ``impl`` is not called and the result is absent.
    """

    name: str
    params: tuple[str, ...]
    returns: str
    impl: Callable[..., Any]
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ValueError(f"function name {self.name!r} must be a plain identifier")
        for kind in (*self.params, self.returns):
            if kind not in KINDS:
                raise ValueError(f"function {self.name}: unknown kind {kind!r}; use {KINDS}")


def add_months(day: date, months: Decimal) -> date:
    """Same day ``months`` later (clamped to the month's end: Jan 31 + 1 month = Feb 28/29)."""
    n = int(months)
    if n != months:
        raise ValueError("add_months takes a whole number of months")
    index = day.year * 12 + (day.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _add_days(day: date, days: Decimal) -> date:
    n = int(days)
    if n != days:
        raise ValueError("add_days takes a whole number of days")
    return day + timedelta(days=n)


def _days_between(a: date, b: date) -> Decimal:
    return Decimal((b - a).days)


def _months_between(a: date, b: date) -> Decimal:
    """Whole calendar months from ``a`` to ``b`` (2022-09-27 → 2023-09-27 is 12)."""
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return Decimal(months)


def _round(value: Decimal, places: Decimal) -> Decimal:
    exp = Decimal(1).scaleb(-int(places))
    return value.quantize(exp, rounding=ROUND_HALF_UP)


def _len(value: Any) -> Decimal:
    return Decimal(len(value))


def _parse_date(text: str) -> date:
    return date.fromisoformat(text)


BUILTIN_FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("len", ("any",), "number", _len, "Number of items in a list, or characters in text."),
        Function("date", ("string",), "date", _parse_date, 'A date from "YYYY-MM-DD".'),
        Function("add_days", ("date", "number"), "date", _add_days, "A date n days later."),
        Function(
            "add_months",
            ("date", "number"),
            "date",
            add_months,
            "The same day n calendar months later, clamped to the month's end.",
        ),
        Function(
            "days_between",
            ("date", "date"),
            "number",
            _days_between,
            "Days from the first date to the second (negative if earlier).",
        ),
        Function(
            "months_between",
            ("date", "date"),
            "number",
            _months_between,
            "Whole calendar months from the first date to the second.",
        ),
        Function("year", ("date",), "number", lambda d: Decimal(d.year), "The year of a date."),
        Function("month", ("date",), "number", lambda d: Decimal(d.month), "The month of a date (1-12)."),
        Function("abs", ("number",), "number", lambda x: abs(x), "Absolute value."),
        Function("round", ("number", "number"), "number", _round, "Round half up to n decimal places."),
    )
}
