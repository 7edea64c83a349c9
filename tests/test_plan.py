"""The relational plan against the row engine, which stays the reference.

For every shipped pack and every kind of record it checks, the plan (SQL on DuckDB) and the
engine give the same outcome for every rule on every record, the same verdict and the same
report; where the plan hands a rule to the row engine (a rule it cannot express, or a row
where the engine would raise, round or pass its step limit) the row engine decides. The
edge cases of three-valued logic are checked one by one with the outcome written down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from policyengine import Engine, load_pack
from policyengine.models.base import Subject
from policyengine.packs.runtime import Pack
from policyengine.plan import PlannedEngine, compile_plan, plan_for, run
from policyengine.plan.build import OUTCOMES, ROWS
from policyengine.plugins import default_functions, get_registry
from test_plan_records import batch

AS_OF = date(2023, 9, 30)


def differential(
    packs: Sequence[Pack],
    kind: str,
    records: Sequence[Subject],
    *,
    max_steps: int | None = None,
    ignore_scope: bool = False,
    reports_every: int = 1,
) -> Counter[str]:
    """Assert that the plan agrees with the engine on ``records``; count what was seen."""
    options: dict[str, Any] = {"ignore_scope": ignore_scope}
    if max_steps is not None:
        options["max_steps"] = max_steps
    engine = Engine(list(packs), **options)
    plan = compile_plan(
        list(packs),
        kind,
        engine.subjects[kind],
        AS_OF,
        default_functions(),
        max_steps=engine.max_steps,
        ignore_scope=ignore_scope,
    )
    result = run(plan, records)
    planned = PlannedEngine(list(packs), **options)
    seen: Counter[str] = Counter()
    for i, record in enumerate(records):
        report = engine.evaluate(record, as_of=AS_OF, trace=False)
        codes = result.codes(i)
        for f in report.findings:
            code = codes[f"{f.pack}:{f.rule}"]
            seen["rows" if code == ROWS else f.outcome.value] += 1
            assert code == ROWS or OUTCOMES[code] is f.outcome, (record.id, f.pack, f.rule, code, f.outcome)
        for scope in report.scope:
            assert result.judged(i, scope.pack) == (scope.judged or ignore_scope), (record.id, scope)
        verdict = result.verdict(i)
        assert verdict in (None, report.verdict.value), (record.id, verdict, report.verdict)
        seen[f"verdict:{verdict or 'by rows'}"] += 1
        if i % reports_every == 0:
            assert planned.evaluate_planned(record, codes, as_of=AS_OF).to_dict() == report.to_dict()
    return seen


def _packs(*ids: str) -> list[Pack]:
    return [get_registry().load(i) for i in ids]


# -- every shipped pack ----------------------------------------------------------------------


FAST = [
    ("lanzhou_2022", "project"),
    ("hunan", "project"),
    ("sichuan_renshou", "station"),
    ("xizang", "funding"),
]


@pytest.mark.parametrize(("pack", "kind"), FAST)
def test_plan_and_rows_agree_on_a_small_mixed_batch(pack: str, kind: str) -> None:
    packs = _packs(pack)
    records = batch(packs, kind, dict(Engine(packs).subjects), 80, seed=5, as_of=AS_OF)
    seen = differential(packs, kind, records)
    assert {"pass", "fail", "unknown", "not_applicable"} <= set(seen), seen


def _shipped() -> list[tuple[str, str]]:
    registry = get_registry()
    return [
        (pid, kind)
        for pid in registry.ids()
        for kind in sorted({r.subject for r in registry.load(pid).rules})
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("pack", "kind"), _shipped())
def test_plan_and_rows_agree_for_every_shipped_pack_and_kind(pack: str, kind: str) -> None:
    packs = _packs(pack)
    records = batch(packs, kind, dict(Engine(packs).subjects), 400, seed=11, as_of=AS_OF)
    seen = differential(packs, kind, records)
    decided = {k for k in seen if not k.startswith("verdict:") and k != "rows"}
    assert len(decided) >= 3 and len(records) == 400, seen  # the plan decided rules several ways


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["funding", "project", "station"])
def test_ten_thousand_records_of_each_kind_under_every_pack_that_checks_it(kind: str) -> None:
    registry = get_registry()
    packs = [p for p in (registry.load(i) for i in registry.ids()) if p.rules_for(kind)]
    records = batch(packs, kind, dict(Engine(packs).subjects), 10_000, seed=19, as_of=AS_OF)
    seen = differential(packs, kind, records, reports_every=25)
    verdicts = {k for k in seen if k.startswith("verdict:")}
    assert {"verdict:compliant", "verdict:non_compliant", "verdict:incomplete"} <= verdicts, seen
    assert sum(seen[v] for v in verdicts) == 10_000


# -- three-valued logic, case by case ------------------------------------------------------------

EDGE_RULES = {
    "not_absent": "not plaque_hung",
    "and_unknown": "plaque_hung and work_procedures",
    "or_unknown": "plaque_hung or work_procedures",
    "compare_absent": "site.area_m2 >= 100",
    "count_none": "count(staff, s -> s.full_time) == 0",
    "any_staff": "any(staff, s -> s.full_time)",
    "all_staff": "all(staff, s -> s.full_time)",
    "sum_allowance": "sum(staff, s -> s.certificate_allowance) >= 100",
    "min_joined": 'min(staff, s -> s.joined) <= date("2020-01-01")',
    "filter_local": "len(filter(staff, s -> s.local)) >= 1",
    "in_systems": '"考勤制度" in systems',
    "exists_default": "exists(site.area_m2) or default(annual_funding, 0) > 0",
    "null_literal": "null == true or plaque_hung",
    "divides": "annual_funding / 2 > 1",
    "period_error": 'period_days(established, date("2000-01-01")) >= 1',
    "too_exact": "site.area_m2 * 0.25 > 1",
    "nested_lists": "count(operator.staff, s -> s.full_time) >= count(staff, s -> s.full_time)",
}

STAFF_T, STAFF_F, STAFF_ABSENT = {"full_time": True}, {"full_time": False}, {"name": "无全职信息"}

# record → {rule: expected outcome}; every other rule is only checked against the engine
EDGE_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    (
        {},
        {
            "not_absent": "unknown",
            "compare_absent": "unknown",
            "count_none": "unknown",
            "in_systems": "unknown",
        },
    ),
    ({"plaque_hung": False}, {"and_unknown": "fail", "or_unknown": "unknown", "null_literal": "unknown"}),
    ({"plaque_hung": True}, {"and_unknown": "unknown", "or_unknown": "pass", "null_literal": "pass"}),
    ({"staff": [], "systems": []}, {"count_none": "pass", "any_staff": "fail", "all_staff": "pass"}),
    (
        {"staff": []},
        {"sum_allowance": "fail", "min_joined": "unknown", "filter_local": "fail", "in_systems": "unknown"},
    ),
    (
        {"staff": [STAFF_T, STAFF_ABSENT]},
        {"count_none": "unknown", "any_staff": "pass", "all_staff": "unknown"},
    ),
    ({"staff": [STAFF_F, STAFF_ABSENT]}, {"any_staff": "unknown", "all_staff": "fail"}),
    ({"staff": [{"certificate_allowance": 120}, {}]}, {"sum_allowance": "unknown"}),
    ({"staff": [{"certificate_allowance": 60}, {"certificate_allowance": 40}]}, {"sum_allowance": "pass"}),
    ({"staff": [{"local": True}, {}]}, {"filter_local": "unknown"}),
    ({"systems": ["考勤制度"]}, {"in_systems": "pass"}),
    ({"systems": ["财务制度"]}, {"in_systems": "fail"}),
    ({"annual_funding": 0}, {"exists_default": "fail", "too_exact": "unknown"}),
    ({"site": {"area_m2": 0}}, {"exists_default": "pass", "compare_absent": "fail", "too_exact": "fail"}),
    (
        {"annual_funding": 300000, "site": {"area_m2": "900000000000"}},
        {"divides": "pass", "too_exact": "pass"},
    ),
    ({"established": "2021-01-01"}, {"period_error": "error"}),
    ({"established": "1999-12-31"}, {"period_error": "pass"}),
    ({"operator": {"staff": [STAFF_T]}, "staff": [STAFF_T, STAFF_F]}, {"nested_lists": "pass"}),
    ({"operator": {}, "staff": []}, {"nested_lists": "unknown"}),
]


def _pack(rules: dict[str, str], directory: Path, pid: str = "edge") -> Pack:
    body = "\n".join(
        f"  - id: {rid}\n    title: {rid}\n    subject: station\n    require: '{cond}'\n"
        f"    cite: {{clause: '1', quote: x}}\n    message: x"
        for rid, cond in rules.items()
    )
    head = (
        f"pack:\n  id: {pid}\n  version: 0.1.0\n  title: {{zh: 测试, en: test}}\n"
        "sources:\n  - id: doc\n    title: 测试\n"
    )
    (directory / pid).mkdir(parents=True, exist_ok=True)
    (directory / pid / "pack.yaml").write_text(head + "rules:\n" + body + "\n", encoding="utf-8")
    return load_pack(directory / pid)


def test_three_valued_logic_edge_cases(tmp_path: Path) -> None:
    pack = _pack(EDGE_RULES, tmp_path)
    engine = Engine([pack])
    records = [
        engine.evaluate({"kind": "station", "id": f"E{i}", **r}, as_of=AS_OF)
        for i, (r, _) in enumerate(EDGE_CASES)
    ]
    subjects = [
        engine.subjects["station"].model_validate({"id": f"E{i}", **r}) for i, (r, _) in enumerate(EDGE_CASES)
    ]
    for report, (_, expected) in zip(records, EDGE_CASES, strict=True):  # the engine, as documented
        assert {k: report.finding(k).outcome.value for k in expected} == expected, report.subject.id
    differential([pack], "station", subjects)
    plan = compile_plan([pack], "station", engine.subjects["station"], AS_OF, default_functions())
    assert {r.rule.id for r in plan.not_in_plan()} == {"divides"}  # a quotient: 28 digits in rows
    result = run(plan, subjects)
    rows = {
        (subjects[i].id, c.split(":")[1]) for i in range(len(subjects)) for c, v in result.codes(i).items()
    }
    rows = {(rid, rule) for rid, rule in rows if result.codes(int(rid[1:]))[f"edge:{rule}"] == ROWS}
    assert ("E15", "period_error") in rows  # the engine raises: the period ends before it starts
    assert ("E14", "too_exact") in rows  # 0.25 × 9×10¹¹ may need more digits than the engine keeps
    assert {rule for _, rule in rows} == {"divides", "period_error", "too_exact"}


def test_the_step_limit_hands_rows_to_the_row_engine(tmp_path: Path) -> None:
    rules = {
        "nested": 'all(staff, s -> any(["甲", "乙"], c -> s.name != c))',  # 1 + n + 3n steps
        "flat": "len(staff) >= 0",  # no steps
        "twice": "count(staff, s -> s.full_time) + count(staff, s -> s.local) >= 0",  # 2 (n + 1)
    }
    pack = _pack(rules, tmp_path)
    model = Engine([pack]).subjects["station"]
    records = [model.model_validate({"id": f"S{n}", "staff": [STAFF_T] * n}) for n in (0, 2, 4, 30)]
    seen = differential([pack], "station", records, max_steps=40)
    assert seen["rows"] == 2 and seen["error"] == 0  # 30 staff: 121 and 62 steps, past 40
    report = Engine([pack], max_steps=40).evaluate(records[3], as_of=AS_OF)
    assert [report.finding(r).outcome.value for r in rules] == ["error", "pass", "error"]


# -- the SQL itself ------------------------------------------------------------------------------


def test_the_printed_sql_runs_on_empty_tables_and_transpiles_for_spark() -> None:
    plan = plan_for(["lanzhou_2022"], "project", AS_OF)
    con = duckdb.connect()
    con.execute(plan.create_tables())
    assert con.execute(plan.sql()).fetchall() == []
    assert [r.rule.id for r in plan.not_in_plan()] == ["operator.annual_inspection_years"]
    spark = plan.sql("spark")
    assert "ADD_MONTHS(" in spark and "`budget__lines`" in spark and "INTERVAL" not in spark


def test_money_stays_exact_decimal_in_sql() -> None:
    plan = plan_for(["sichuan"], "funding", AS_OF)
    assert "DOUBLE" not in plan.sql() and "FLOAT" not in plan.sql()
    assert '"funds.social_assistance" DECIMAL(28, 15)' in plan.create_tables()
    model = Engine(_packs("sichuan")).subjects["funding"]
    funds = [
        {"social_assistance": "5210.00", "purchase_from_special": spent} for spent in ("156.30", "156.31")
    ]
    exact, over = (
        model.model_validate({"id": "F", "region": {"province": "四川省"}, "funds": f}) for f in funds
    )
    result = run(plan, [exact, over])
    assert [result.verdict(0), result.verdict(1)] == ["compliant", "non_compliant"]  # 3% of 5210.00 is 156.30


def test_plan_command_prints_the_sql_and_the_rules_left_to_rows() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "policyengine.cli",
            "plan",
            "lanzhou_2022",
            "--as-of",
            "2023-09-30",
            "--dialect",
            "spark",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "WITH outcomes AS" in out.stdout and "ADD_MONTHS" in out.stdout
    assert "lanzhou_2022:operator.annual_inspection_years: a quantifier over" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "plan", "sichuan", "--kind", "park"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "use --kind with one of" in bad.stderr and "Traceback" not in bad.stderr


def test_a_condition_reading_two_lists_at_once_is_named_with_its_reason(tmp_path: Path) -> None:
    pack = _pack({"pairs": "all(staff, s -> any(services, v -> v.people_served >= len(staff)))"}, tmp_path)
    plan = compile_plan([pack], "station", Engine([pack]).subjects["station"], AS_OF, default_functions())
    [left] = plan.not_in_plan()
    assert "inside a quantifier over another list" in (left.reason or "")
    assert '5 AS "edge:pairs"' in plan.sql(pretty=False)  # every row: the row engine decides
