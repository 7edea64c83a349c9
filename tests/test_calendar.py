"""Calendar arithmetic in conditions: the semantics table of docs/condition-language.md.

Every expected value below was worked out by hand (the comment says how), not read from the
code; each boundary is checked from both sides. Calls go through the whole language (parse,
check, compile), with dates written as `date("...")` literals.
"""

from __future__ import annotations

from datetime import date

import pytest

from policyengine import MISSING, ConditionTypeError
from policyengine.errors import EvaluationError
from policyengine.lang import Scope, compile_condition
from policyengine.lang.functions import BUILTIN_FUNCTIONS
from policyengine.models import BUILTIN_SUBJECTS, Project, validate_record

SCOPE = Scope(Project, {}, BUILTIN_FUNCTIONS)


def project(**period: str) -> Project:
    record = {"kind": "project", "id": "P1", "period": period}
    return validate_record(record, BUILTIN_SUBJECTS)  # type: ignore[return-value]


def value_of(expr: str, record: Project | None = None) -> object:
    cond = compile_condition(expr, SCOPE, expect_bool=False)
    return cond.evaluate(record or project()).value


def d(text: str) -> str:
    return f'date("{text}")'


# (expression, expected, how it was worked out by hand)
DATES: list[tuple[str, str, str]] = [
    # add_days: plain day counting, across month and year ends and 29 February
    (f"add_days({d('2022-09-27')}, 4)", "2022-10-01", "Sep has 30 days: 28, 29, 30, Oct 1"),
    (f"add_days({d('2022-10-01')}, -4)", "2022-09-27", "the same four days back"),
    (f"add_days({d('2024-02-28')}, 1)", "2024-02-29", "2024 is a leap year (divisible by 4)"),
    (f"add_days({d('2023-02-28')}, 1)", "2023-03-01", "2023 is not: February has 28 days"),
    (f"add_days({d('2022-12-31')}, 1)", "2023-01-01", "year end"),
    (f"add_days({d('2022-09-27')}, 0)", "2022-09-27", "zero days"),
    # add_months: same day of the month, clamped to a shorter month's last day
    (f"add_months({d('2023-01-31')}, 1)", "2023-02-28", "Feb 2023 has 28 days: 31 clamps to 28"),
    (f"add_months({d('2024-01-31')}, 1)", "2024-02-29", "Feb 2024 has 29 days: 31 clamps to 29"),
    (f"add_months({d('2023-01-28')}, 1)", "2023-02-28", "28 exists in February: no clamping"),
    (f"add_months({d('2023-01-31')}, 2)", "2023-03-31", "counted from Jan 31, not from Feb 28"),
    (f"add_months({d('2023-02-28')}, 1)", "2023-03-28", "Feb 28 is not 'the month end' later"),
    (f"add_months({d('2023-03-31')}, 1)", "2023-04-30", "April has 30 days"),
    (f"add_months({d('2023-03-31')}, -1)", "2023-02-28", "backwards clamps the same way"),
    (f"add_months({d('2022-11-30')}, 3)", "2023-02-28", "Dec, Jan, Feb of the next year; clamps"),
    (f"add_months({d('2022-09-27')}, 12)", "2023-09-27", "one year: the same day"),
    (f"add_months({d('2024-02-29')}, 12)", "2025-02-28", "no 29 Feb in 2025: clamps"),
    (f"add_months({d('2024-02-29')}, 48)", "2028-02-29", "2028 is a leap year again"),
    (f"add_months({d('2024-02-29')}, -12)", "2023-02-28", "no 29 Feb in 2023 either"),
]


@pytest.mark.parametrize(("expr", "expected", "how"), DATES, ids=[e for e, _, _ in DATES])
def test_adding_days_and_months(expr: str, expected: str, how: str) -> None:
    assert value_of(expr) == date.fromisoformat(expected), how


# (expression, expected number, how)
NUMBERS: list[tuple[str, int, str]] = [
    # days_between: b - a, signed
    (f"days_between({d('2022-09-27')}, {d('2022-10-01')})", 4, "Sep 27 → Oct 1: 3 + 1"),
    (f"days_between({d('2022-10-01')}, {d('2022-09-27')})", -4, "the other way round"),
    (f"days_between({d('2022-09-27')}, {d('2023-09-27')})", 365, "no 29 Feb between"),
    (f"days_between({d('2023-09-27')}, {d('2022-09-27')})", -365, "negative span"),
    (f"days_between({d('2023-09-27')}, {d('2024-09-27')})", 366, "29 Feb 2024 is between"),
    (f"days_between({d('2024-02-28')}, {d('2024-03-01')})", 2, "28 → 29 → Mar 1 (leap)"),
    (f"days_between({d('2023-02-28')}, {d('2023-03-01')})", 1, "28 → Mar 1 (not leap)"),
    (f"days_between({d('2022-09-27')}, {d('2022-09-27')})", 0, "the same day"),
    # months_between: the largest n with add_months(a, n) not past b (signed)
    (f"months_between({d('2022-09-27')}, {d('2023-09-27')})", 12, "add_months(a, 12) == b"),
    (f"months_between({d('2022-09-27')}, {d('2023-09-26')})", 11, "12 months would be 09-27 > b"),
    (f"months_between({d('2022-09-27')}, {d('2023-09-28')})", 12, "13 would be 10-27 > b"),
    (f"months_between({d('2023-01-31')}, {d('2023-02-28')})", 1, "add_months(Jan 31, 1) = Feb 28"),
    (f"months_between({d('2023-01-31')}, {d('2023-02-27')})", 0, "Feb 28 is past Feb 27"),
    (f"months_between({d('2024-01-31')}, {d('2024-02-29')})", 1, "leap: Jan 31 + 1 = Feb 29"),
    (f"months_between({d('2024-01-31')}, {d('2024-02-28')})", 0, "leap: Feb 29 is past Feb 28"),
    (f"months_between({d('2023-02-28')}, {d('2023-03-28')})", 1, "Feb 28 + 1 = Mar 28"),
    (f"months_between({d('2023-02-28')}, {d('2023-03-27')})", 0, "Mar 28 is past Mar 27"),
    (f"months_between({d('2024-02-29')}, {d('2025-02-28')})", 12, "29 Feb + 12 = 2025-02-28"),
    (f"months_between({d('2024-02-29')}, {d('2025-02-27')})", 11, "2025-02-28 is past 02-27"),
    (f"months_between({d('2023-09-27')}, {d('2022-09-27')})", -12, "negative span: a year back"),
    (f"months_between({d('2023-09-26')}, {d('2022-09-27')})", -11, "09-26 - 12 = 2022-09-26 < b"),
    (f"months_between({d('2023-03-31')}, {d('2023-02-28')})", -1, "Mar 31 - 1 = Feb 28 == b"),
    (f"months_between({d('2023-02-28')}, {d('2023-01-31')})", 0, "Feb 28 - 1 = Jan 28 < Jan 31"),
    (f"months_between({d('2023-02-28')}, {d('2023-01-28')})", -1, "Feb 28 - 1 = Jan 28 == b"),
    (f"months_between({d('2022-09-27')}, {d('2022-09-27')})", 0, "the same day"),
    # period_days: both ends included, end - start + 1
    (f"period_days({d('2022-09-27')}, {d('2022-09-27')})", 1, "a one-day period"),
    (f"period_days({d('2022-09-27')}, {d('2022-09-28')})", 2, "two days"),
    (f"period_days({d('2022-09-27')}, {d('2023-09-26')})", 365, "365 days difference + 1 - 1"),
    (f"period_days({d('2022-09-27')}, {d('2023-09-27')})", 366, "365 days difference + 1"),
    (f"period_days({d('2024-02-01')}, {d('2024-02-29')})", 29, "February of a leap year"),
    (f"period_days({d('2023-02-01')}, {d('2023-02-28')})", 28, "February of another year"),
    # period_months: months_between(start, end + 1 day)
    (f"period_months({d('2023-03-01')}, {d('2023-03-31')})", 1, "end + 1 = Apr 1 = start + 1"),
    (f"period_months({d('2023-03-01')}, {d('2023-03-30')})", 0, "end + 1 = Mar 31 < Apr 1"),
    (f"period_months({d('2022-09-27')}, {d('2022-09-27')})", 0, "a one-day period"),
    (f"period_months({d('2023-01-31')}, {d('2023-02-27')})", 1, "end + 1 = Feb 28 = Jan 31 + 1"),
    (f"period_months({d('2023-01-31')}, {d('2023-02-26')})", 0, "end + 1 = Feb 27 < Feb 28"),
    (f"period_months({d('2022-09-27')}, {d('2023-09-26')})", 12, "end + 1 = start + 12"),
    (f"period_months({d('2022-09-27')}, {d('2023-09-25')})", 11, "end + 1 = 09-26 < 09-27"),
    # period_years: whole years, year n reached when end >= add_months(start, 12n) - 1 day
    (f"period_years({d('2022-09-27')}, {d('2023-09-26')})", 1, "start + 12 months - 1 day"),
    (f"period_years({d('2022-09-27')}, {d('2023-09-25')})", 0, "a day short of that"),
    (f"period_years({d('2022-09-27')}, {d('2023-09-27')})", 1, "the Lanzhou phase, 八(二)"),
    (f"period_years({d('2022-09-27')}, {d('2024-09-25')})", 1, "a day short of two years"),
    (f"period_years({d('2022-09-27')}, {d('2024-09-26')})", 2, "start + 24 months - 1 day"),
    (f"period_years({d('2024-02-29')}, {d('2025-02-27')})", 1, "29 Feb + 12 = 2025-02-28, - 1"),
    (f"period_years({d('2024-02-29')}, {d('2025-02-26')})", 0, "a day short of that"),
    (f"period_years({d('2023-03-01')}, {d('2024-02-29')})", 1, "end + 1 = 2024-03-01"),
    (f"period_years({d('2023-03-01')}, {d('2024-02-28')})", 0, "end + 1 = 02-29 < 03-01"),
]


@pytest.mark.parametrize(("expr", "expected", "how"), NUMBERS, ids=[e for e, _, _ in NUMBERS])
def test_counting_days_months_and_years(expr: str, expected: int, how: str) -> None:
    assert value_of(expr) == expected, how


# (expression, expected, how): "at most n months/years" allows the same calendar day
PREDICATES: list[tuple[str, bool, str]] = [
    # the acceptance test: 2022-09-27..2023-09-27 is exactly one year; a day more is more
    (f"within_years({d('2022-09-27')}, {d('2023-09-27')}, 1)", True, "same day, a year later"),
    (f"within_years({d('2022-09-27')}, {d('2023-09-28')}, 1)", False, "one day more"),
    (f"within_years({d('2022-09-27')}, {d('2023-09-26')}, 1)", True, "the strict one year"),
    (f"within_years({d('2022-09-26')}, {d('2023-09-27')}, 1)", False, "starts a day earlier"),
    (f"within_months({d('2022-09-27')}, {d('2023-09-27')}, 12)", True, "the same in months"),
    (f"within_months({d('2022-09-27')}, {d('2023-09-28')}, 12)", False, "the same in months"),
    # 29 February: a year from it ends on 28 February (or 29 in a leap year)
    (f"within_years({d('2024-02-29')}, {d('2025-02-28')}, 1)", True, "29 Feb + 12 = Feb 28"),
    (f"within_years({d('2024-02-29')}, {d('2025-03-01')}, 1)", False, "the day after"),
    (f"within_years({d('2024-02-29')}, {d('2028-02-29')}, 4)", True, "+ 48 = 2028-02-29"),
    (f"within_years({d('2024-02-29')}, {d('2028-03-01')}, 4)", False, "the day after"),
    # month ends
    (f"within_months({d('2023-01-31')}, {d('2023-02-28')}, 1)", True, "Jan 31 + 1 = Feb 28"),
    (f"within_months({d('2023-01-31')}, {d('2023-03-01')}, 1)", False, "the day after"),
    (f"within_months({d('2024-01-31')}, {d('2024-02-29')}, 1)", True, "leap: Jan 31 + 1 = Feb 29"),
    (f"within_months({d('2024-01-31')}, {d('2024-03-01')}, 1)", False, "the day after"),
    # one-day periods: within 0 months is the start day only
    (f"within_months({d('2022-09-27')}, {d('2022-09-27')}, 0)", True, "start == end"),
    (f"within_months({d('2022-09-27')}, {d('2022-09-28')}, 0)", False, "two days"),
    (f"within_years({d('2022-09-27')}, {d('2022-09-27')}, 1)", True, "a day is within a year"),
]


@pytest.mark.parametrize(("expr", "expected", "how"), PREDICATES, ids=[e for e, _, _ in PREDICATES])
def test_at_most_months_and_years(expr: str, expected: bool, how: str) -> None:
    assert value_of(expr) is expected, how


def test_a_one_year_term_written_with_the_functions() -> None:
    # "期限为1年" as a bureau reads it: at least a strict year and at most to the same day
    term = "period_years(period.start, period.end) >= 1 and within_years(period.start, period.end, 1)"
    cond = compile_condition(term, SCOPE)
    ends = {"2023-09-25": False, "2023-09-26": True, "2023-09-27": True, "2023-09-28": False}
    for end, expected in ends.items():
        assert cond.evaluate(project(start="2022-09-27", end=end)).value is expected, end


@pytest.mark.parametrize(
    "expr",
    [
        f"period_days({d('2023-01-02')}, {d('2023-01-01')})",
        f"period_months({d('2023-01-02')}, {d('2023-01-01')})",
        f"period_years({d('2023-01-02')}, {d('2023-01-01')})",
        f"within_months({d('2023-01-02')}, {d('2023-01-01')}, 12)",
        f"within_years({d('2023-01-02')}, {d('2023-01-01')}, 1)",
    ],
)
def test_a_period_that_ends_before_it_starts_is_an_error_not_a_value(expr: str) -> None:
    # end - start + 1 would be 0 here, and "at most a year" would pass a reversed period
    with pytest.raises(EvaluationError, match=r"ends \(2023-01-01\) before it starts \(2023-01-02\)"):
        value_of(expr)


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        (f"add_days({d('2022-09-27')}, 1.5)", "whole number"),
        (f"add_months({d('2022-09-27')}, 0.5)", "whole number"),
        (f"within_months({d('2022-09-27')}, {d('2022-09-27')}, -1)", "must not be negative"),
        (f"within_years({d('2022-09-27')}, {d('2022-09-27')}, 0.5)", "whole number"),
    ],
)
def test_counts_are_whole_numbers(expr: str, fragment: str) -> None:
    with pytest.raises(EvaluationError, match=fragment):
        value_of(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "add_days(period.end, 1) > period.start",
        "add_months(period.end, 12) > period.start",
        "days_between(period.start, period.end) > 0",
        "months_between(period.start, period.end) > 0",
        "period_days(period.start, period.end) > 0",
        "period_months(period.start, period.end) > 0",
        "period_years(period.start, period.end) > 0",
        "within_months(period.start, period.end, 12)",
        "within_years(period.start, period.end, 1)",
    ],
)
def test_an_absent_date_makes_the_result_absent(expr: str) -> None:
    result = compile_condition(expr, SCOPE).evaluate(project(start="2022-09-27"))
    assert result.value is MISSING
    assert result.missing == ("period.end",)


# (expression, message fragment, 1-based column of the offending argument)
MISUSE: list[tuple[str, str, int]] = [
    ("add_days(period.start, period.end) > period.start", "add_days(...) must be a number", 24),
    ('add_months(period.start, "12") > period.start', "add_months(...) must be a number", 26),
    ("add_months(12, period.start) > period.start", "add_months(...) must be a date", 12),
    ("days_between(period.start, 1) > 0", "days_between(...) must be a date", 28),
    ("months_between(period.start, staff) > 1", "months_between(...) must be a date", 30),
    ("period_days(period.start, 30) > 0", "period_days(...) must be a date", 27),
    ("period_months(period, period.end) > 0", "period_months(...) must be a date", 15),
    ("period_years(1, period.end) > 0", "period_years(...) must be a date", 14),
    ('within_years(period.start, period.end, "1")', "within_years(...) must be a number", 40),
    ("within_months(period.start, 12, 12)", "within_months(...) must be a date", 29),
    ("within_years(period.start, period.end)", "takes 3 argument(s), got 2", 1),
    ("period_days(period.start)", "takes 2 argument(s), got 1", 1),
    ("within_years(period.start, period.end, 1) > 0", "cannot compare a bool with a number", 1),
    ("period_years(period.start, period.end)", "must be true or false", 1),
    ("add_months(period.start, 12) > 5", "cannot compare a date with a number", 1),
]


@pytest.mark.parametrize(("expr", "fragment", "column"), MISUSE, ids=[e for e, _, _ in MISUSE])
def test_the_checker_refuses_wrong_kinds_at_load_with_a_position(
    expr: str, fragment: str, column: int
) -> None:
    with pytest.raises(ConditionTypeError) as err:
        compile_condition(expr, SCOPE)
    assert fragment in err.value.render()
    assert err.value.start == column - 1
    problem = err.value.problems[0]
    assert (problem.location.line, problem.location.column) == (1, column)
