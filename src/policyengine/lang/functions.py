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
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from ..models.values import iso_date

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


# --- calendar arithmetic -----------------------------------------------------------------
# The semantics, with worked examples, are the table in docs/condition-language.md
# ("Dates and periods"); tests/test_calendar.py holds the code to it.


def _whole(value: Decimal, what: str) -> int:
    n = int(value)
    if n != value:
        raise ValueError(f"{what} must be a whole number, not {value}")
    return n


def add_months(day: date, months: Decimal) -> date:
    """Same day of the month ``months`` later (earlier if negative), clamped to the month's end.

    2023-01-31 + 1 = 2023-02-28; 2024-01-31 + 1 = 2024-02-29; 2024-02-29 + 12 = 2025-02-28.
    A clamped day stays clamped: 2023-01-31 + 1 + 1 = 2023-03-28, but + 2 = 2023-03-31.
    """
    n = _whole(months, "the number of months")
    index = day.year * 12 + (day.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _add_days(day: date, days: Decimal) -> date:
    return day + timedelta(days=_whole(days, "the number of days"))


def _days_between(a: date, b: date) -> Decimal:
    """``b - a`` in days, signed (2022-09-27 → 2022-10-01 is 4; the other way round -4)."""
    return Decimal((b - a).days)


def months_between(a: date, b: date) -> int:
    """Whole months stepped from ``a`` towards ``b`` with :func:`add_months` without passing ``b``.

    Signed: the largest ``n >= 0`` with ``add_months(a, n) <= b``, or minus the largest
    ``n >= 0`` with ``add_months(a, -n) >= b``. So ``months_between(a, add_months(a, n)) == n``
    for every ``a`` and ``n``: 2023-01-31 → 2023-02-28 is 1 (the month end is reached),
    2022-09-27 → 2023-09-26 is 11, → 2023-09-27 is 12.
    """
    n = (b.year - a.year) * 12 + (b.month - a.month)
    if b >= a and add_months(a, Decimal(n)) > b:
        n -= 1
    elif b < a and add_months(a, Decimal(n)) < b:
        n += 1
    return n


def _months_between(a: date, b: date) -> Decimal:
    return Decimal(months_between(a, b))


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")


def _period_days(start: date, end: date) -> Decimal:
    """Days in the period, both ends included: a one-day period (start == end) is 1."""
    _check_period(start, end)
    return Decimal((end - start).days + 1)


def _period_months(start: date, end: date) -> Decimal:
    """Whole months the period (both ends included) covers: ``months_between(start, end + 1 day)``.

    A month is reached when ``end >= add_months(start, 1) - 1 day``: 2023-03-01..2023-03-31
    is 1, 2022-09-27..2023-09-26 is 12.
    """
    _check_period(start, end)
    return Decimal(months_between(start, end + timedelta(days=1)))


def _period_years(start: date, end: date) -> Decimal:
    """Whole years the period covers: ``period_months // 12`` (2022-09-27..2023-09-26 is 1)."""
    return _period_months(start, end) // 12


def _within_months(start: date, end: date, months: Decimal) -> bool:
    """Whether the period is at most ``months`` long: ``end <= add_months(start, months)``.

    The same calendar day ``months`` later is allowed (2022-09-27..2023-09-27 is within 12,
    as Chinese official documents write a one-year term); the day after is not.
    """
    _check_period(start, end)
    n = _whole(months, "the number of months")
    if n < 0:
        raise ValueError(f"the number of months must not be negative, not {months}")
    return end <= add_months(start, Decimal(n))


def _within_years(start: date, end: date, years: Decimal) -> bool:
    """``within_months(start, end, 12 * years)``."""
    n = _whole(years, "the number of years")
    return _within_months(start, end, Decimal(12 * n))


def _round(value: Decimal, places: Decimal) -> Decimal:
    """Half up to ``places`` decimals, 0 to 15 (the most a record number has), in a context
    wide enough for any record value (13 digits before the point + 15 after)."""
    n = _whole(places, "the number of decimal places")
    if not 0 <= n <= 15:
        raise ValueError(f"round() takes 0 to 15 decimal places, not {n} (保留小数位数应为 0 至 15)")
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)


def _len(value: Any) -> Decimal:
    return Decimal(len(value))


def parse_iso_date(text: str) -> date:
    """``date("...")``: strictly ``YYYY-MM-DD``. Python's ``date.fromisoformat`` also takes week
    dates (2023-W01-1), compact (20230101) and other ISO 8601 forms; the language does not."""
    return iso_date(text)


BUILTIN_FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("len", ("any",), "number", _len, "Number of items in a list, or characters in text."),
        Function("date", ("string",), "date", parse_iso_date, 'A date from "YYYY-MM-DD".'),
        Function(
            "add_days",
            ("date", "number"),
            "date",
            _add_days,
            "The date n days later (earlier if n is negative).",
        ),
        Function(
            "add_months",
            ("date", "number"),
            "date",
            add_months,
            "The same day n calendar months later, clamped to the month's end (Jan 31 + 1 = Feb 28/29).",
        ),
        Function(
            "days_between",
            ("date", "date"),
            "number",
            _days_between,
            "Days from the first date to the second, b - a (negative if b is earlier).",
        ),
        Function(
            "months_between",
            ("date", "date"),
            "number",
            _months_between,
            "Whole months from a to b, signed: the largest n with add_months(a, n) not past b.",
        ),
        Function(
            "period_days",
            ("date", "date"),
            "number",
            _period_days,
            "Days in the period start..end, both ends included (end - start + 1).",
        ),
        Function(
            "period_months",
            ("date", "date"),
            "number",
            _period_months,
            "Whole months the period start..end (both ends included) covers.",
        ),
        Function(
            "period_years",
            ("date", "date"),
            "number",
            _period_years,
            "Whole years the period start..end (both ends included) covers.",
        ),
        Function(
            "within_months",
            ("date", "date", "number"),
            "bool",
            _within_months,
            "Whether start..end is at most n months: end on or before add_months(start, n).",
        ),
        Function(
            "within_years",
            ("date", "date", "number"),
            "bool",
            _within_years,
            "Whether start..end is at most n years: end on or before add_months(start, 12 n).",
        ),
        Function("year", ("date",), "number", lambda d: Decimal(d.year), "The year of a date."),
        Function("month", ("date",), "number", lambda d: Decimal(d.month), "The month of a date (1-12)."),
        Function("abs", ("number",), "number", lambda x: abs(x), "Absolute value."),
        Function("round", ("number", "number"), "number", _round, "Round half up to n decimal places."),
    )
}
