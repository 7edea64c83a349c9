"""Properties, checked by hypothesis over generated expressions and records.

- the parser raises nothing but its own errors, whatever the text;
- compiled conditions agree with an independent reference interpreter;
- the engine returns a report (or a RecordError for a bad record), never anything else;
  outcomes are in the enumerated set; evaluation is deterministic; to_dict() survives JSON.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import ConditionError, Engine, Outcome, RecordError, Verdict
from policyengine.lang import MISSING, Scope, compile_condition, parse
from policyengine.lang.compiler import EvaluationError
from policyengine.lang.functions import BUILTIN_FUNCTIONS
from policyengine.models import BUILTIN_SUBJECTS, Station, validate_record
from reference_interpreter import MISSING as REF_MISSING
from reference_interpreter import RefError, run

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCOPE = Scope(Station, {}, BUILTIN_FUNCTIONS)
AS_OF = date(2023, 6, 30)

# --- the parser -------------------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "site",
        ".",
        "area_m2",
        "staff",
        "(",
        ")",
        "[",
        "]",
        ",",
        "->",
        "s",
        "and",
        "or",
        "not",
        "in",
        "==",
        "<",
        ">=",
        "+",
        "*",
        "/",
        "-",
        "1",
        "0.5",
        '"x"',
        "count",
        "len",
        "true",
        " ",
    ]
)


@SETTINGS
@given(st.text(max_size=200))
def test_the_parser_raises_only_its_own_errors_on_any_text(text: str) -> None:
    try:
        parse(text)
    except ConditionError:
        pass


@SETTINGS
@given(st.lists(TOKENS, max_size=40).map(" ".join))
def test_the_parser_raises_only_its_own_errors_on_token_soup(text: str) -> None:
    try:
        compile_condition(text, SCOPE)
    except ConditionError:
        pass


# --- compiled vs reference ----------------------------------------------------------------

NUMBER_LITERALS = st.sampled_from(["0", "1", "2", "3", "0.03", "280", "300", "300.00", "2.5"])


def numbers(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        NUMBER_LITERALS,
        st.just("site.area_m2"),
        st.just("equipment.computers"),
        st.just("len(staff)"),
        st.just("count(staff, s -> s.full_time)"),
        st.just('count(staff, s -> s.certification in ["intermediate", "senior"])'),
        st.just("sum(staff, s -> 1)"),
        st.just("default(site.area_m2, 0)"),
        st.just("max(staff, s -> len(staff))"),
    )
    if depth <= 0:
        return leaves
    sub = numbers(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda x: f"-({x})"),
    )


def bools(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(
            [
                "true",
                "false",
                "plaque_hung",
                "liaison",
                "site.office_space",
                "exists(site.area_m2)",
                "any(staff, s -> s.full_time)",
                'all(staff, s -> s.certification != "none")',
                'level in ["township_station", "village_room"]',
                "null == 1",
            ]
        ),
        st.tuples(numbers(1), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numbers(1)).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
    )
    if depth <= 0:
        return leaves
    sub = bools(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda x: f"not ({x})"),
        sub.map(lambda x: f"any(staff, s -> {x})"),
    )


maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731

STAFF = st.fixed_dictionaries(
    {},
    optional={
        "full_time": st.booleans(),
        "certification": st.sampled_from(["none", "assistant", "intermediate", "senior"]),
    },
)

STATIONS = st.fixed_dictionaries(
    {"kind": st.just("station")},
    optional={
        "level": st.sampled_from(["township_station", "village_room", "county_centre"]),
        "plaque_hung": st.booleans(),
        "liaison": st.booleans(),
        "site": st.fixed_dictionaries(
            {},
            optional={
                "area_m2": st.sampled_from(["0", "280", "300", "300.00", "1000.5"]),
                "office_space": st.booleans(),
            },
        ),
        "equipment": st.fixed_dictionaries({}, optional={"computers": st.integers(0, 5)}),
        "staff": st.lists(STAFF, max_size=4),
    },
)


def outcome_of(fn: Any) -> Any:
    try:
        value = fn()
    except (EvaluationError, RefError):
        return "error"
    return "missing" if value is MISSING or value is REF_MISSING else value


@SETTINGS
@given(bools(3), STATIONS)
def test_compiled_conditions_agree_with_the_reference_interpreter(expr: str, data: dict) -> None:
    cond = compile_condition(expr, SCOPE)
    record = validate_record(data, BUILTIN_SUBJECTS)
    fast = outcome_of(lambda: cond.evaluate(record, as_of=AS_OF, trace=False).value)
    traced = outcome_of(lambda: cond.evaluate(record, as_of=AS_OF, trace=True).value)
    reference = outcome_of(lambda: run(parse(expr), record, {}, AS_OF))
    assert fast == reference, (expr, data)
    assert traced == reference, (expr, data)


@SETTINGS
@given(numbers(3), STATIONS)
def test_compiled_arithmetic_agrees_with_the_reference_interpreter(expr: str, data: dict) -> None:
    cond = compile_condition(expr, SCOPE, expect_bool=False)
    record = validate_record(data, BUILTIN_SUBJECTS)
    compiled = outcome_of(lambda: cond.evaluate(record, as_of=AS_OF).value)
    reference = outcome_of(lambda: run(parse(expr), record, {}, AS_OF))
    if isinstance(compiled, Decimal) and isinstance(reference, Decimal):
        assert compiled == reference and not compiled.is_nan()
    else:
        assert compiled == reference, (expr, data)


# --- the engine over generated records ----------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just("30万"),
    st.just("2022年9月27日"),
)


def records() -> st.SearchStrategy[dict]:
    """Project and station records mixing good values, junk and unknown keys."""
    project = st.fixed_dictionaries(
        {"kind": st.just("project")},
        optional={
            "budget": st.fixed_dictionaries(
                {},
                optional={
                    "total": st.one_of(st.sampled_from(["30万", "300000", "29万"]), JUNK),
                    "lines": st.lists(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "category": st.sampled_from(["staff", "services", "training", "management"]),
                                "amount": st.one_of(st.sampled_from(["16万", "8万", "1.5万", "3万"]), JUNK),
                            },
                        ),
                        max_size=5,
                    ),
                },
            ),
            "staff": st.lists(STAFF, max_size=4),
            "period": st.fixed_dictionaries(
                {},
                optional={
                    "start": st.one_of(st.dates(date(2020, 1, 1), date(2025, 1, 1)), JUNK),
                    "end": st.dates(date(2020, 1, 1), date(2025, 1, 1)),
                },
            ),
            "community": st.fixed_dictionaries(
                {},
                optional={
                    "site": st.fixed_dictionaries(
                        {}, optional={"area_m2": st.one_of(st.sampled_from(["280", "300", "320"]), JUNK)}
                    )
                },
            ),
            "procurement": st.fixed_dictionaries(
                {},
                optional={
                    "method": st.sampled_from(["public_tender", "direct_award", "邀请招标", "nonsense"])
                },
            ),
            "unexpected_key": JUNK,
        },
    )
    funding = st.fixed_dictionaries(
        {"kind": st.just("funding")},
        optional={
            "funds": st.fixed_dictionaries(
                {},
                optional={
                    "social_assistance": st.one_of(st.sampled_from(["521万", "5210.00"]), JUNK),
                    "purchase_from_special": st.one_of(
                        st.sampled_from(["15.63万", "156.30", "156.31"]), JUNK
                    ),
                },
            ),
            "region": st.fixed_dictionaries({}, optional={"city": st.sampled_from(["三明市", "福州市"])}),
        },
    )
    return st.one_of(project, STATIONS, funding)


ALL_PACKS = Engine.from_packs(["lanzhou_2022", "sichuan_renshou", "hunan", "fujian"])


@SETTINGS
@given(records(), st.dates(date(2020, 1, 1), date(2026, 12, 31)))
def test_the_engine_gives_a_report_or_a_record_error_and_nothing_else(data: dict, as_of: date) -> None:
    try:
        report = ALL_PACKS.evaluate(data, as_of=as_of)
    except RecordError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert all(isinstance(f.outcome, Outcome) for f in report.findings)
    assert report.verdict in set(Verdict)
    again = ALL_PACKS.evaluate(data, as_of=as_of)
    assert again.to_dict() == report.to_dict()  # deterministic
    as_json = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert as_json == report.to_dict()  # JSON-ready, nothing lost on the way
