"""Generated row code (``Engine(codegen=True)``) gives the closures' reports, to the letter.

The closures are the reference: every test compares ``Report.to_dict()`` of the two engines —
outcomes, messages in zh and en, traces, missing fields, errors — on records generated from
the shipped examples and the subject models (tests/test_plan_records.py), on conditions
Hypothesis writes (tests/test_plan_properties.py), and on edge cases written out here.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policyengine import Engine
from policyengine.errors import EvaluationError, PackError
from policyengine.evaluate import codegen, codegen_source
from policyengine.lang import Function
from policyengine.models.base import Subject
from policyengine.packs.runtime import Pack
from policyengine.plugins import default_functions, get_registry, load_pack
from test_plan_properties import CONDITION
from test_plan_records import batch

AS_OF = date(2023, 9, 30)
#: a date inside most packs' periods, one before every parameter's first value, one far after
DATES = [AS_OF, date(2022, 9, 27), date(2019, 1, 1), date(2031, 1, 1)]


def same_reports(
    packs: Sequence[Pack], records: Sequence[Subject], as_of: date = AS_OF, **options: Any
) -> Counter[str]:
    """Assert both engines give equal reports, traces off and on; count the outcomes seen."""
    generated = Engine(list(packs), codegen=True, **options)
    closures = Engine(list(packs), **options)
    seen: Counter[str] = Counter()
    for record in records:
        for trace in (False, True):
            want = closures.evaluate(record, as_of=as_of, trace=trace)
            got = generated.evaluate(record, as_of=as_of, trace=trace)
            assert got.to_dict() == want.to_dict(), (record.id, trace)
            assert got.findings == want.findings  # the objects too, not only their JSON
        seen.update(f.outcome.value for f in want.findings)
    return seen


def _packs(*ids: str) -> list[Pack]:
    return [get_registry().load(i) for i in ids]


def _shipped() -> list[tuple[str, str]]:
    registry = get_registry()
    return [
        (pid, kind)
        for pid in registry.ids()
        for kind in sorted({r.subject for r in registry.load(pid).rules})
    ]


# -- the shipped packs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("pack", "kind"), _shipped())
def test_every_shipped_rule_is_generated_none_left_to_the_closures(pack: str, kind: str) -> None:
    engine = Engine(_packs(pack), codegen=True)
    for trace in (False, True):
        code = engine.generated(engine.packs[0], kind, trace)
        assert code.fallbacks == {}, code.fallbacks
        assert code.source.count("# -- rule ") == len(engine.packs[0].rules_for(kind))


FAST = [
    ("lanzhou_2022", "project"),
    ("hunan", "project"),
    ("sichuan_renshou", "station"),
    ("xizang", "funding"),
]


@pytest.mark.parametrize(("pack", "kind"), FAST)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), as_of=st.sampled_from(DATES))
def test_generated_and_closures_agree_on_random_records(pack: str, kind: str, seed: int, as_of: date) -> None:
    packs = _packs(pack)
    records = batch(packs, kind, dict(Engine(packs).subjects), 15, seed=seed, as_of=as_of)
    same_reports(packs, records, as_of)


@pytest.mark.slow
@pytest.mark.parametrize(("pack", "kind"), _shipped())
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), as_of=st.sampled_from(DATES))
def test_generated_and_closures_agree_for_every_shipped_pack_and_kind(
    pack: str, kind: str, seed: int, as_of: date
) -> None:
    packs = _packs(pack)
    records = batch(packs, kind, dict(Engine(packs).subjects), 60, seed=seed, as_of=as_of)
    seen = same_reports(packs, records, as_of)
    if as_of == AS_OF:
        assert len(seen) >= 2, seen


def test_every_pack_at_once_on_a_mixed_batch_gives_every_outcome() -> None:
    registry = get_registry()
    packs = [registry.load(i) for i in registry.ids()]
    subjects = dict(Engine(packs).subjects)
    records = [
        r
        for kind in ("project", "station", "funding")
        for r in batch(packs, kind, subjects, 40, seed=3, as_of=AS_OF)
    ]
    seen = same_reports(packs, records)
    assert {"pass", "fail", "unknown", "not_applicable"} <= set(seen), seen
    seen_anyway = same_reports(packs, records[:30], ignore_scope=True)
    assert seen_anyway.total() > 0


# -- conditions Hypothesis writes ------------------------------------------------------------------

#: message placeholders: fields, parameters, arithmetic, quantifiers, calendar functions, lists
PLACEHOLDERS = (
    "{site.area_m2} {annual_funding * 0.03} {count(staff, s -> s.full_time)} {level} "
    "{add_months(established, 12)} {systems} {plaque_hung} {sum(staff, s -> s.certificate_allowance)} "
    "{min(staff, s -> s.joined)} {param.area} {default(site.area_m2, 0) / 0}"
)


def _pack(
    rules: dict[str, tuple[str | None, str, str]],
    directory: Path,
    extra: str = "",
    functions: dict[str, Function] | None = None,
) -> Pack:
    """A throwaway pack of station rules: id → (when, require, message)."""
    body = "".join(
        f"  - id: {rid}\n    title: {rid}\n    subject: station\n"
        + (f"    when: '{when}'\n" if when else "")
        + f"    require: '{require}'\n    cite: {{clause: '1', quote: x}}\n"
        + f"    message: {{zh: '{message}', en: 'en {message}'}}\n"
        for rid, (when, require, message) in rules.items()
    )
    head = (
        "pack:\n  id: gen\n  version: 0.1.0\n  title: {zh: 测试, en: test}\n" + extra + "sources:\n"
        "  - id: doc\n    title: 测试\nparameters:\n  area:\n    title: {zh: 面积, en: area}\n    unit: m2\n"
        "    values:\n      2020-01-01: {value: 300, cite: {clause: '1', quote: x}}\n"
        "  later:\n    title: {zh: 后定, en: later}\n"
        "    values:\n      2024-01-01: {value: 2, cite: {clause: '1', quote: x}}\n"
    )
    (directory / "gen").mkdir(parents=True, exist_ok=True)
    (directory / "gen" / "pack.yaml").write_text(head + "rules:\n" + body, encoding="utf-8")
    return load_pack(directory / "gen", functions=functions)


def _any_condition(conditions: list[str], when: str | None, seed: int) -> None:
    rules = {f"r{i}": (when if i == 0 else None, c, PLACEHOLDERS) for i, c in enumerate(conditions)}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pack = _pack(rules, Path(tmp))
        except PackError:  # e.g. a literal the checker refuses for its field
            assume(False)
            return
    records = batch([pack], "station", dict(Engine([pack]).subjects), 12, seed=seed, as_of=AS_OF)
    same_reports([pack], records)
    same_reports([pack], records[:4], max_steps=6)


CONDITIONS = (
    st.lists(CONDITION, min_size=1, max_size=3),
    st.one_of(st.none(), CONDITION),
    st.integers(0, 2**16),
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*CONDITIONS)
def test_any_condition_gives_the_closures_report(conditions: list[str], when: str | None, seed: int) -> None:
    _any_condition(conditions, when, seed)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*CONDITIONS)
def test_any_condition_gives_the_closures_report_many(
    conditions: list[str], when: str | None, seed: int
) -> None:
    _any_condition(conditions, when, seed)


# -- edge cases ----------------------------------------------------------------------------------

EDGE: dict[str, tuple[str | None, str, str]] = {
    "absent_and": (None, "plaque_hung and work_procedures", "{plaque_hung}"),
    "absent_or": (None, "plaque_hung or work_procedures", "{work_procedures}"),
    "at_threshold": (None, "site.area_m2 >= param.area", "面积 {site.area_m2},应不少于 {param.area}"),
    "exact_product": (None, "annual_funding * 0.03 == 9000", "{annual_funding * 0.03}"),
    "empty_lists": (
        None,
        "count(staff, s -> s.full_time) == 0 and all(services, v -> v.government_duty)",
        "{len(staff)}",
    ),
    "min_of_none": (None, 'min(staff, s -> s.joined) <= date("2020-01-01")', "{min(staff, s -> s.joined)}"),
    "when_na": ('level == "village_room"', "plaque_hung", "{level}"),
    "when_unknown": ("site.office_space", "plaque_hung", "x"),
    "divides": (None, "annual_funding / 0 > 1", "{annual_funding / 0}"),
    "period_error": (None, 'period_days(established, date("2000-01-01")) >= 1', "{established}"),
    "later_param": (None, "len(staff) >= param.later", "{param.later}"),
    "later_in_message": (None, "len(staff) > 100", "{param.later} {len(staff) > param.later}"),
    "steps": (
        None,
        "all(staff, s -> any(staff, t -> t.full_time))",
        "{count(staff, s -> any(staff, t -> t.local))}",
    ),
    "message_steps": (None, "len(staff) == 0", "{count(staff, s -> any(staff, t -> t.local))}"),
    "defaults": (
        None,
        "default(site.area_m2, 0) + default(annual_funding, 1) > 0 or null == true",
        "{default(site.area_m2, 0)}",
    ),
    "membership": (None, '"考勤制度" in systems and level not in ["county_centre"]', "{systems}"),
}

STAFF = [
    {"full_time": True, "joined": "2019-05-01"},
    {"full_time": False, "local": True},
    {"name": "无全职信息"},
]
EDGE_RECORDS: list[dict[str, Any]] = [
    {},
    {"plaque_hung": False, "level": "village_room", "site": {"office_space": True}},
    {"plaque_hung": True, "staff": [], "services": [], "systems": []},
    {"site": {"area_m2": "300"}, "annual_funding": 300000},
    {"site": {"area_m2": "300.00"}, "annual_funding": "300000.00", "established": "2021-01-01"},
    {"site": {"area_m2": "299.99"}, "annual_funding": 300001, "established": "1999-12-31"},
    {"staff": STAFF, "services": [{"government_duty": True}, {}], "systems": ["考勤制度"]},
    {"staff": STAFF * 4, "level": "county_centre", "work_procedures": True},
]


def test_edge_cases_give_the_closures_report(tmp_path: Path) -> None:
    pack = _pack(EDGE, tmp_path)
    model = Engine([pack]).subjects["station"]
    records = [model.model_validate({"id": f"E{i}", **r}) for i, r in enumerate(EDGE_RECORDS)]
    seen: Counter[str] = Counter()
    for as_of in DATES:
        for steps in (100_000, 12):
            seen += same_reports([pack], records, as_of, max_steps=steps)
    assert {"pass", "fail", "unknown", "not_applicable", "error"} <= set(seen), seen
    closures = Engine([pack], max_steps=12).evaluate(records[7], as_of=AS_OF)
    assert closures.finding("steps").outcome.value == "error"  # 12 staff: past 12 steps
    assert "（缺失）" in closures.finding("message_steps").message["zh"]  # the message's loop, too
    assert closures.finding("later_param").outcome.value == "error"  # no value before 2024
    assert closures.finding("at_threshold").outcome.value == "unknown"


def _half(x: Decimal) -> Decimal | None:
    """A plugin's function: absent for 0, a plain error for a negative number, an error of
    the library's own for one over a million."""
    if x == 0:
        return None
    if x < 0:
        raise ValueError("negative")
    if x > 1_000_000:
        raise EvaluationError("too large")
    return x / 2


def test_a_plugins_function_gives_the_same_findings(tmp_path: Path) -> None:
    functions = {**default_functions(), "half": Function("half", ("number",), "number", _half)}
    rules = {
        "uses_half": (None, "half(annual_funding - 10) >= 100", "{half(annual_funding)} {half(0 - 1)}"),
        "half_in_loop": (
            None,
            "all(staff, s -> half(s.certificate_allowance - 10) > 10)",
            "{annual_funding}",
        ),
    }
    pack = _pack(rules, tmp_path, functions=functions)
    model = Engine([pack]).subjects["station"]
    values = [10, 5, 150, 400, 2_000_100]
    records = [
        model.model_validate({"id": f"F{i}", "annual_funding": v, "staff": [{"certificate_allowance": v}]})
        for i, v in enumerate(values)
    ]
    seen = same_reports([pack], records)
    assert {"pass", "fail", "unknown", "error"} <= set(seen), seen


def test_a_pack_out_of_its_effective_period_is_not_applicable_in_both(tmp_path: Path) -> None:
    extra = "  effective: {from: 2023-01-01, to: 2023-12-31}\n"
    pack = _pack(EDGE, tmp_path, extra)
    model = Engine([pack]).subjects["station"]
    records = [model.model_validate({"id": f"E{i}", **r}) for i, r in enumerate(EDGE_RECORDS)]
    assert set(same_reports([pack], records, date(2024, 1, 1))) == {"not_applicable"}
    assert "fail" in same_reports([pack], records, AS_OF)  # in effect: judged


def test_a_rule_the_generator_cannot_express_runs_on_its_closures_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codegen_source, "MAX_BLOCKS", 1)  # no loop or try fits inside a rule's try
    pack = _pack(EDGE, tmp_path)
    engine = Engine([pack], codegen=True)
    code = engine.generated(pack, "station")
    assert "when_unknown" not in code.fallbacks  # no loop, no placeholder: still generated
    assert {"steps", "message_steps", "at_threshold"} <= set(code.fallbacks), code.fallbacks
    assert all(why == "nested too deeply for one Python function" for why in code.fallbacks.values())
    assert "_closures(_R" in code.source
    model = engine.subjects["station"]
    records = [model.model_validate({"id": f"E{i}", **r}) for i, r in enumerate(EDGE_RECORDS)]
    same_reports([pack], records, max_steps=12)


def test_a_function_cpython_refuses_leaves_every_rule_to_the_closures_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def refusing(source: str, filename: str, mode: str) -> Any:
        calls.append(filename)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded during compilation")
        return compile(source, filename, mode)

    monkeypatch.setattr(codegen, "compile", refusing, raising=False)
    pack = _pack(EDGE, tmp_path)
    code = Engine([pack], codegen=True).generated(pack, "station")
    assert len(calls) == 2 and set(code.fallbacks) == set(EDGE)
    assert all(
        why.startswith("the generated function did not compile: RecursionError")
        for why in code.fallbacks.values()
    )
    monkeypatch.undo()
    model = Engine([pack]).subjects["station"]
    records = [model.model_validate({"id": f"E{i}", **r}) for i, r in enumerate(EDGE_RECORDS)]
    generated = Engine([pack], codegen=True)
    generated._generated[(pack.id, "station", False)] = code
    closures = Engine([pack])
    for record in records:
        want = closures.evaluate(record, as_of=AS_OF, trace=False)
        assert generated.evaluate(record, as_of=AS_OF, trace=False).to_dict() == want.to_dict()


def test_generated_source_reads_as_python_with_the_rules_written_out() -> None:
    engine = Engine(_packs("lanzhou_2022"), codegen=True)
    code = engine.generated(engine.packs[0], "project")
    compile(code.source, "<check>", "exec")  # the source printed is the source run
    assert code.source.startswith("# generated from pack lanzhou_2022 ")
    assert "# require: region.county in param.pilot_districts" in code.source
    assert "ctx" not in code.source and "lambda" not in code.source  # locals, no closures
    assert engine.generated(engine.packs[0], "project") is code  # made once


def test_pack_show_format_code_prints_the_generated_source() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "pack", "show", "lanzhou_2022", "--format", "code"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    engine = Engine(_packs("lanzhou_2022"), codegen=True)
    assert engine.generated(engine.packs[0], "project").source in out.stdout
