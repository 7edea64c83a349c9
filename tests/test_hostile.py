"""Hostile packs and records: each is refused or stopped within a bound, with a clear error.

These tests assert what happens, not how fast. `no_hang` only turns an endless loop into a
failure (a termination guard, not a timing assertion); the figures for how quickly each
input is refused are in docs/security.md.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import (
    ConditionLimitError,
    Engine,
    Function,
    PackError,
    RecordError,
    UnknownFunctionError,
    load_pack,
)
from policyengine.lang import Scope, compile_condition
from policyengine.lang.functions import BUILTIN_FUNCTIONS
from policyengine.models import BUILTIN_SUBJECTS, Station


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def stop(*_: object) -> None:
        raise TimeoutError("hostile input was not refused: the library kept running")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def load_text(tmp_path: Path, text: str | bytes) -> PackError:
    d = tmp_path / "p"
    d.mkdir(exist_ok=True)
    target = d / "pack.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as err:
        load_pack(d)
    return err.value


# --- hostile packs ----------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_at_the_first_anchor(tmp_path: Path) -> None:
    err = load_text(tmp_path, BILLION_LAUGHS)
    [problem] = err.problems
    assert "anchors" in problem.message and problem.location.line == 1


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/name:os.system",
        "!!python/object/new:subprocess.Popen [['ls']]",
        "!custom {a: 1}",
    ],
)
def test_python_and_custom_tags_are_refused(tmp_path: Path, tag: str) -> None:
    err = load_text(tmp_path, f"pack: {tag}\n")
    assert "tag" in err.render() or "not allowed" in err.render()


def test_a_file_of_tens_of_megabytes_is_refused_before_parsing(tmp_path: Path) -> None:
    err = load_text(tmp_path, b"# " + b"x" * (20 * 1024 * 1024) + b"\n")
    assert "bytes, more than the" in err.render()


def test_deeply_nested_mappings_are_refused(tmp_path: Path) -> None:
    err = load_text(tmp_path, "a: " + "{b: " * 200 + "1" + "}" * 200 + "\n")
    assert "nesting deeper than 64" in err.render()


def test_deeply_nested_block_sequences_are_refused(tmp_path: Path) -> None:
    text = "".join("  " * i + "-\n" for i in range(100)) + "  " * 100 + "- 1\n"
    err = load_text(tmp_path, text)
    assert "nesting deeper" in err.render()


def test_duplicate_keys_are_refused_not_last_wins(tmp_path: Path) -> None:
    err = load_text(tmp_path, "pack: {id: a, version: 1.0.0, title: t}\npack: {id: b}\n")
    assert "duplicate key 'pack'" in err.render()


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    err = load_text(tmp_path, b"\xff\xfe\x00garbage\x00")
    assert "UTF-8" in err.render()


SCOPE = Scope(Station, {}, BUILTIN_FUNCTIONS)


@pytest.mark.parametrize(
    "expr",
    [
        "__class__.__bases__ == 1",
        "site.__globals__ == 1",
        "staff.__len__ == 1",
        "getattr(site, '__class__') == 1",
        "__import__('os').system('ls') == 0",
        "count(staff, f -> f(f)) > 0",  # a lambda calling itself
        "open('/etc/passwd') == 1",
        "exec('1') == 1",
    ],
)
def test_escape_attempts_are_refused_at_load(expr: str) -> None:
    with pytest.raises((UnknownFunctionError, PackError, Exception)) as err:
        compile_condition(expr, SCOPE)
    assert type(err.value).__name__ in (
        "UnknownFieldError",
        "UnknownFunctionError",
        "ConditionSyntaxError",
        "ConditionTypeError",
    )


@pytest.mark.parametrize(
    "expr",
    [
        "len(staff) > " + "9" * 5000,  # a huge literal
        "(" * 5000 + "true" + ")" * 5000,  # deep nesting
        "not " * 3000 + "true",
        " and ".join(["true"] * 3000),  # too long
        "[" + ",".join(["1"] * 1500) + "] == [1]",  # a huge list literal (and too long)
    ],
)
def test_pathological_expressions_are_refused_at_load(expr: str) -> None:
    with pytest.raises(ConditionLimitError):
        compile_condition(expr, SCOPE)


def test_nested_quantifiers_over_large_lists_are_stopped_by_the_step_budget() -> None:
    pack_rule = "count(staff, a -> count(staff, b -> count(staff, c -> a.id == c.id) > 0) > 0) > 0"
    cond = compile_condition(pack_rule, SCOPE)
    record = Station(staff=[{"id": str(i)} for i in range(500)])  # type: ignore[list-item]
    from policyengine import EvaluationLimitError

    with pytest.raises(EvaluationLimitError, match="more than 100000 steps"):
        cond.evaluate(record)


def test_a_runaway_rule_becomes_an_error_finding_not_a_crash(write_pack) -> None:
    pack = load_pack(
        write_pack("""\
rules:
  - id: heavy
    title: heavy
    subject: station
    require: count(staff, a -> count(staff, b -> a.id == b.id) > 0) > 0
    cite: {clause: "1", quote: q}
    message: m
  - id: light
    title: light
    subject: station
    require: len(staff) > 0
    cite: {clause: "2", quote: q}
    message: m
""")
    )
    report = Engine([pack]).evaluate(
        {"kind": "station", "staff": [{"id": str(i)} for i in range(1000)]}, as_of=date(2023, 1, 1)
    )
    assert report.finding("heavy").outcome == "error"
    assert "steps" in (report.finding("heavy").error or "")
    assert report.finding("light").outcome == "pass"
    assert report.verdict == "incomplete"


def test_a_plugin_function_misbehaving_gives_an_error_finding(write_pack) -> None:
    pack_dir = write_pack("""\
rules:
  - id: bad
    title: bad
    subject: station
    require: weird(len(staff)) > 1
    cite: {clause: "1", quote: q}
    message: m
""")
    funcs = dict(BUILTIN_FUNCTIONS)
    funcs["weird"] = Function("weird", ("number",), "number", lambda n: "not a number")
    pack = load_pack(pack_dir, functions=funcs)
    report = Engine([pack]).evaluate({"kind": "station", "staff": []}, as_of=date(2023, 1, 1))
    finding = report.finding("bad")
    assert finding.outcome == "error" and "TypeError" in (finding.error or "")


# --- hostile records --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"kind": "station", "site": {"area_m2": "NaN"}}, "site.area_m2"),
        ({"kind": "station", "site": {"area_m2": float("inf")}}, "site.area_m2"),
        ({"kind": "station", "site": {"area_m2": -5}}, "site.area_m2"),
        ({"kind": "funding", "funds": {"social_assistance": "1" + "0" * 40}}, "funds.social_assistance"),
        ({"kind": "funding", "funds": {"social_assistance": Decimal("-1")}}, "funds.social_assistance"),
        ({"kind": "station", "established": "2023-02-29"}, "established"),
        ({"kind": "station", "established": "2023年13月1日"}, "established"),
        ({"kind": "station", "staff": "张三, 李四"}, "staff"),
        ({"kind": "station", "staff": [{"certification": ["中级"]}]}, "staff[0].certification"),
        ({"kind": "station", "equipment": {"computers": True}}, "equipment.computers"),
        ({"kind": "station", "equipment": {"computers": 2.5}}, "equipment.computers"),
        ({"kind": "station", "equipment": {"computers": -1}}, "equipment.computers"),
        ({"kind": "station", "sitee": {}}, "sitee"),
        ({"kind": "station", "name": {"nested": "object"}}, "name"),
    ],
)
def test_hostile_records_name_the_field(record: dict, path: str) -> None:
    from policyengine.models import validate_record

    with pytest.raises(RecordError) as err:
        validate_record(record, BUILTIN_SUBJECTS)
    assert path in [p.location.path for p in err.value.problems]


@pytest.mark.parametrize("record", [None, 42, "station", ["kind", "station"], {"kind": None}, {"kind": 5}])
def test_records_that_are_not_mappings_or_have_no_kind_are_refused(record: object) -> None:
    from policyengine.models import validate_record

    with pytest.raises(RecordError):
        validate_record(record, BUILTIN_SUBJECTS)


def test_an_enormous_list_is_refused_naming_the_field(lanzhou: Engine, lanzhou_example: dict) -> None:
    lanzhou_example["staff"] = [{"certification": "assistant", "full_time": True}] * 200_000
    with pytest.raises(RecordError, match="at most 10000 items") as err:
        lanzhou.evaluate(lanzhou_example, as_of=date(2023, 9, 28), trace=False)
    assert err.value.problems[0].location.path == "staff"


def test_the_largest_accepted_list_is_evaluated_within_the_step_budget(
    lanzhou: Engine, lanzhou_example: dict
) -> None:
    lanzhou_example["staff"] = [
        {"professional": True, "certification": "assistant", "full_time": True}
    ] * 10_000
    report = lanzhou.evaluate(lanzhou_example, as_of=date(2023, 9, 28), trace=False)
    outcomes = {f.rule: f.outcome.value for f in report.findings}
    assert outcomes["staffing.count"] == "pass"
    assert outcomes["staffing.intermediate"] == "fail"  # 10,000 assistants, no intermediate


def test_a_pack_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    err = load_text(tmp_path, b"# " + b"x" * (1024 * 1024) + b"\n")
    assert "more than the 1048576 allowed" in err.render()
