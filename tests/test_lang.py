"""The condition language: grammar, schema checks, exact numbers, absent data, limits, trace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from policyengine import (
    MISSING,
    ConditionLimitError,
    ConditionSyntaxError,
    ConditionTypeError,
    EvaluationLimitError,
    UnknownFieldError,
    UnknownFunctionError,
)
from policyengine.lang import Scope, compile_condition, type_of_value
from policyengine.lang.functions import BUILTIN_FUNCTIONS
from policyengine.models import BUILTIN_SUBJECTS, Funding, Station, validate_record


def station(**data: object) -> Station:
    return validate_record({"kind": "station", **data}, BUILTIN_SUBJECTS)  # type: ignore[return-value]


def funding(**funds: object) -> Funding:
    return validate_record({"kind": "funding", "funds": funds}, BUILTIN_SUBJECTS)  # type: ignore[return-value]


def scope(model: type = Station, **params: object) -> Scope:
    return Scope(model, {k: type_of_value(v) for k, v in params.items()}, BUILTIN_FUNCTIONS)


THREE_PERCENT = "funds.purchase_services <= 0.03 * funds.social_assistance"


@pytest.mark.parametrize(
    ("spent", "expected"),
    [("156.30", True), ("156.3", True), ("156.29", True), ("156.31", False), ("5210.00", False)],
)
def test_three_percent_limit_is_exact_at_the_boundary(spent: str, expected: bool) -> None:
    cond = compile_condition(THREE_PERCENT, scope(Funding))
    result = cond.evaluate(funding(social_assistance="5210.00", purchase_services=spent))
    assert result.value is expected


def test_money_written_in_wan_compares_exactly() -> None:
    cond = compile_condition("funds.purchase_services == 0.03 * funds.social_assistance", scope(Funding))
    # 3% of 5210万 is 156.3万
    assert cond.evaluate(funding(social_assistance="5210万", purchase_services="156.3万")).value is True


def test_absent_field_is_missing_not_false_and_is_reported() -> None:
    cond = compile_condition("site.area_m2 >= 300", scope())
    result = cond.evaluate(station(site={}))
    assert result.value is MISSING
    assert result.missing == ("site.area_m2",)
    assert compile_condition("site.area_m2 >= 300", scope()).evaluate(station()).missing == ("site.area_m2",)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("site.area_m2 > 1 and false", False),  # false and unknown is false
        ("site.area_m2 > 1 and true", MISSING),
        ("site.area_m2 > 1 or true", True),  # true or unknown is true
        ("site.area_m2 > 1 or false", MISSING),
        ("not (site.area_m2 > 1)", MISSING),
        ("exists(site.area_m2)", False),  # exists never gives unknown
        ("default(site.area_m2, 0) >= 0", True),
    ],
)
def test_three_valued_logic(expr: str, expected: object) -> None:
    assert compile_condition(expr, scope()).evaluate(station(site={})).value is expected


def test_default_does_not_report_the_field_it_covered() -> None:
    result = compile_condition("default(site.area_m2, 0) >= 0", scope()).evaluate(station(site={}))
    assert result.missing == ()


STAFF = [
    {"id": "a", "certification": "intermediate", "full_time": True},
    {"id": "b", "certification": "assistant", "full_time": False},
    {"id": "c", "certification": "none", "full_time": True},
]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('count(staff, s -> s.certification != "none") == 2', True),
        ("count(staff, s -> s.full_time) == 2", True),
        ('any(staff, s -> s.certification == "intermediate")', True),
        ("all(staff, s -> s.full_time)", False),
        ('len(filter(staff, s -> s.certification in ["intermediate", "senior"])) == 1', True),
        ('all(filter(staff, s -> s.id == "zzz"), s -> s.full_time)', True),  # empty: vacuous truth
        ('"a" in ["a", "b"] and "x" not in ["a", "b"]', True),
    ],
)
def test_quantifiers(expr: str, expected: bool) -> None:
    assert compile_condition(expr, scope()).evaluate(station(staff=STAFF)).value is expected


def test_count_with_an_unknown_item_is_unknown() -> None:
    staff = [{"certification": "intermediate"}, {}]
    result = compile_condition('count(staff, s -> s.certification != "none") >= 1', scope()).evaluate(
        station(staff=staff)
    )
    assert result.value is MISSING
    assert result.missing == ("staff[].certification",)


def test_any_is_true_if_one_item_is_true_even_when_another_is_unknown() -> None:
    staff = [{"full_time": True}, {}]
    assert (
        compile_condition("any(staff, s -> s.full_time)", scope()).evaluate(station(staff=staff)).value
        is True
    )


def test_sum_and_arithmetic_stay_decimal() -> None:
    cond = compile_condition("sum(staff, s -> 0.1) == 0.3", scope())
    assert cond.evaluate(station(staff=STAFF)).value is True  # 0.1+0.1+0.1 == 0.3 in Decimal


def test_params_are_read_at_evaluation() -> None:
    cond = compile_condition("site.area_m2 >= param.min_area", scope(min_area=Decimal(300)))
    assert cond.evaluate(station(site={"area_m2": 280}), {"min_area": Decimal(300)}).value is False
    assert cond.evaluate(station(site={"area_m2": 280}), {"min_area": Decimal(200)}).value is True


def test_dates_and_as_of() -> None:
    cond = compile_condition('established <= as_of and established >= date("2022-01-01")', scope())
    rec = station(established="2022年9月27日")
    assert cond.evaluate(rec, as_of=date(2023, 1, 1)).value is True
    assert cond.evaluate(rec, as_of=date(2022, 1, 1)).value is False


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('add_months(date("2023-01-31"), 1) == date("2023-02-28")', True),
        ('months_between(date("2022-09-27"), date("2023-09-27")) == 12', True),
        ('months_between(date("2022-09-27"), date("2023-09-26")) == 11', True),
        ('days_between(date("2022-09-27"), date("2022-10-01")) == 4', True),
        ('year(date("2022-09-27")) == 2022', True),
        ("round(2.345, 2) == 2.35", True),
    ],
)
def test_builtin_functions(expr: str, expected: bool) -> None:
    assert compile_condition(expr, scope()).evaluate(station()).value is expected


def test_trace_records_each_comparison_with_both_values() -> None:
    cond = compile_condition("site.area_m2 >= 300 and len(staff) >= 3", scope())
    result = cond.evaluate(station(site={"area_m2": 280}, staff=STAFF))
    texts = [(t.text, t.left, t.right, t.result) for t in result.trace]
    assert texts == [
        ("site.area_m2 >= 300", Decimal(280), Decimal(300), False),
        ("len(staff) >= 3", Decimal(3), Decimal(3), True),
    ]


# --- refused at load --------------------------------------------------------------------


def test_unknown_field_suggests_the_closest_name_with_position() -> None:
    with pytest.raises(UnknownFieldError) as err:
        compile_condition("site.area_m3 >= 300", scope())
    assert err.value.start == 5
    assert "area_m2" in (err.value.hint or "")
    problem = err.value.problems[0]
    assert (problem.location.line, problem.location.column) == (1, 6)


@pytest.mark.parametrize(
    ("expr", "error"),
    [
        ("__class__ == 1", UnknownFieldError),
        ("site.__class__ == 1", UnknownFieldError),
        ("site.__dict__ == 1", UnknownFieldError),
        ("site.area_m2.__class__ == 1", UnknownFieldError),
        ("model_config == 1", UnknownFieldError),
        ('__import__("os") == 1', UnknownFunctionError),
        ('getattr(site, "x") == 1', UnknownFunctionError),
        ('eval("1") == 1', UnknownFunctionError),
        ("site.model_dump == 1", UnknownFieldError),
        ("(s -> s)(1) == 1", ConditionSyntaxError),
        ("x -> x", ConditionSyntaxError),
        ("count(staff, param -> param.full_time) == 1", ConditionTypeError),
    ],
)
def test_escapes_are_refused_at_load(expr: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        compile_condition(expr, scope())


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ('level == "county"', 'did you mean "county_centre"'),
        ('level == "县级社工总站"', 'did you mean "county_centre"'),
        ("staff.full_time", "is a list"),
        ("site.area_m2 > established", "cannot compare a number with a date"),
        ("site.area_m2", "must be true or false"),
        ("len(staff) + true > 1", "`+` needs numbers, but this is a bool"),
        ("cnt(staff, s -> s.full_time) > 1", "did you mean `count`"),
        ('date("2022-02-30") < as_of', "is not a date"),
        ("param.nope > 1", "no parameter"),
    ],
)
def test_type_and_name_errors_say_what_to_do(expr: str, fragment: str) -> None:
    with pytest.raises((ConditionTypeError, UnknownFieldError, UnknownFunctionError)) as err:
        compile_condition(expr, scope())
    assert fragment in err.value.render()


@pytest.mark.parametrize(
    ("expr", "hint"),
    [("a = 1", "=="), ("a < b < c", "do not chain"), ("a && b", "and"), ("(a > 1", "missing")],
)
def test_syntax_errors_point_and_hint(expr: str, hint: str) -> None:
    with pytest.raises(ConditionSyntaxError) as err:
        compile_condition(expr, scope())
    assert hint in err.value.render()


# --- limits -----------------------------------------------------------------------------


def test_overlong_expression_is_refused() -> None:
    with pytest.raises(ConditionLimitError):
        compile_condition(" or ".join(["true"] * 2000), scope())


@pytest.mark.parametrize(
    "expr", ["(" * 100 + "true" + ")" * 100, "not " * 300 + "true", "- " * 300 + "1 > 0"]
)
def test_deep_nesting_is_refused(expr: str) -> None:
    with pytest.raises(ConditionLimitError):
        compile_condition(expr, scope())


def test_huge_number_literal_is_refused() -> None:
    with pytest.raises(ConditionLimitError):
        compile_condition("len(staff) > " + "9" * 100, scope())


def test_step_budget_stops_nested_quantifiers_over_large_lists() -> None:
    staff = [{"id": str(i)} for i in range(2000)]
    cond = compile_condition("count(staff, a -> any(staff, b -> b.id == a.id)) > 0", scope())
    with pytest.raises(EvaluationLimitError):
        cond.evaluate(station(staff=staff), max_steps=100_000)
