"""Property: for any condition the language accepts, the plan agrees with the row engine.

Hypothesis writes conditions over station records — arithmetic, comparisons, dates and
calendar functions, ``and``/``or``/``not``, quantifiers over staff and services (with
filters and constant lists inside), membership, ``exists`` and ``default`` — and each one
becomes a rule of a throwaway pack; generated records (built from the conditions' own
literals, so thresholds are met, missed and hit) then go through both executors.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policyengine import Engine
from policyengine.errors import PackError
from test_plan import _pack, differential
from test_plan_records import batch

AS_OF = date(2023, 9, 30)

NUMBERS = st.sampled_from(
    [
        "annual_funding",
        "villages",
        "site.area_m2",
        "len(staff)",
        "len(systems)",
        "equipment.computers",
        "sum(staff, s -> s.certificate_allowance)",
        "max(staff, s -> s.certificate_allowance)",
        "min(services, v -> v.people_served)",
        "default(site.area_m2, 0)",
        "year(established)",
        "period_months(established, as_of)",
        "days_between(established, as_of)",
        "len(name)",
        "0",
        "1",
        "2",
        "100",
        "0.5",
        "280",
        "300000",
    ]
)
DATES = st.sampled_from(
    [
        "established",
        "as_of",
        'date("2022-01-01")',
        "add_months(established, 12)",
        "add_days(established, -1)",
        "min(staff, s -> s.joined)",
    ]
)
STAFF_ITEM = st.recursive(
    st.sampled_from(
        [
            "s.full_time",
            "s.professional",
            's.certification in ["assistant", "senior"]',
            's.certification == "none"',
            "s.certificate_allowance > 100",
            "not exists(s.left)",
            "s.left >= as_of",
            "s.joined <= established",
            'any(["甲", "乙"], c -> s.name == c)',
            '"社工" in s.name',
        ]
    ),
    lambda inner: st.one_of(
        inner.map(lambda a: f"not ({a})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} and {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} or {ab[1]})"),
    ),
    max_leaves=3,
)
SERVICE_ITEM = st.sampled_from(
    [
        'v.domain == "social_assistance"',
        "v.people_served >= 10",
        "v.government_duty",
        "not v.government_duty",
        'v.domain in ["elderly_care", "child_welfare"]',
    ]
)


def _numbers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner, st.sampled_from(["+", "-"])).map(lambda t: f"({t[0]} {t[2]} {t[1]})"),
        inner.map(lambda a: f"{a} * 0.03"),
        inner.map(lambda a: f"-{a}"),
        inner.map(lambda a: f"abs({a})"),
        inner.map(lambda a: f"round({a} * 0.3, 1)"),
        STAFF_ITEM.map(lambda p: f"count(staff, s -> {p})"),
        STAFF_ITEM.map(lambda p: f"len(filter(staff, s -> {p}))"),
        STAFF_ITEM.map(lambda p: f"sum(filter(staff, s -> {p}), s -> s.certificate_allowance)"),
    )


NUMBER = st.recursive(NUMBERS, _numbers, max_leaves=3)
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
LEAVES = st.one_of(
    st.tuples(NUMBER, OPS, NUMBER).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(DATES, OPS, DATES).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.sampled_from(
        [
            "plaque_hung",
            "site.office_space",
            "work_procedures",
            "visual_identity",
            'level == "village_room"',
            'level in ["township_station", "county_centre"]',
            '"示例" in name',
            '"考勤制度" in systems',
            "exists(site.area_m2)",
            "default(plaque_hung, false)",
            "within_months(established, as_of, 12)",
            'all(["收集群众需求", "链接社会资源"], x -> x in functions)',
            "null == true",
            "count(operator.staff, s -> s.full_time) >= 1",
            "count(staff, s -> s.full_time) == 0",
        ]
    ),
    st.tuples(st.sampled_from(["any", "all"]), STAFF_ITEM).map(lambda t: f"{t[0]}(staff, s -> {t[1]})"),
    st.tuples(st.sampled_from(["any", "all"]), SERVICE_ITEM).map(lambda t: f"{t[0]}(services, v -> {t[1]})"),
)
CONDITION = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        inner.map(lambda a: f"not ({a})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} and {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} or {ab[1]})"),
    ),
    max_leaves=4,
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CONDITION, min_size=1, max_size=4), st.integers(0, 2**16))
def test_any_condition_gives_the_row_engines_outcome(conditions: list[str], seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pack = _pack({f"r{i}": c for i, c in enumerate(conditions)}, Path(tmp))
        except PackError:  # e.g. a literal the checker refuses for its field
            assume(False)
            return
    packs = [pack]
    records = batch(packs, "station", dict(Engine(packs).subjects), 40, seed=seed, as_of=AS_OF)
    differential(packs, "station", records)
