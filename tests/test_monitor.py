"""Monitoring over event logs: both backends, replay of sample years, isolation, order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from event_logs import year_log
from policyengine import PackError, RecordError, load_pack
from policyengine.monitor import Monitor
from policyengine.monitor.api import durable_available

ROOT = Path(__file__).resolve().parent.parent
END = date(2023, 12, 31)
BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(packs: list[str], log: list[dict], backend: str, until: date = END) -> list[dict]:
    return [f.to_dict() for f in Monitor(packs, backend=backend).feed(log).advance(until).findings()]


@pytest.fixture(scope="module")
def big_log() -> list[dict]:
    log = year_log(stations=100, seed=7)
    assert len(log) >= 10_000
    return log


@pytest.mark.slow
@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
@pytest.mark.parametrize("packs", [["haining"], ["chengdu"], ["hunan"], ["lanzhou_2022"]])
def test_both_backends_give_identical_findings_on_ten_thousand_events(
    big_log: list[dict], packs: list[str]
) -> None:
    plain = run(packs, big_log, "plain")
    durable = run(packs, big_log, "durable")
    assert plain == durable
    outcomes = {f["outcome"] for f in plain}
    assert "fail" in outcomes and "pass" in outcomes  # the log exercises both


@pytest.mark.parametrize("backend", BACKENDS)
def test_replaying_haining_2023_names_each_problem_and_its_clause(backend: str) -> None:
    log = load(ROOT / "packs/haining/examples/events-2023.jsonl")
    found = {(f["monitor"], f["outcome"], tuple(f["events"])) for f in run(["haining"], log, backend)}
    # worked out by hand from the log and the statement's part 三
    assert found == {
        ("staff.departure_filed", "pass", ("e01", "e02")),  # filed after 5 days
        ("staff.departure_filed", "fail", ("e03",)),  # filed after 16 days
        ("staff.departure_filed", "fail", ("e05",)),  # never filed
        ("staff.arrival_filed", "pass", ("e07", "e08")),
        ("staff.arrival_filed", "unknown", ("e14",)),  # due 2024-01-05, after the log ends
        ("staff.notice_given", "fail", ("e01",)),  # A, B and C left with no notice at all
        ("staff.notice_given", "fail", ("e03",)),
        ("staff.notice_given", "fail", ("e05",)),
        ("staff.vacancy_refilled", "pass", ("e06", "e07")),  # replaced within 2 months
        ("staff.vacancy_refilled", "fail", ("e09",)),  # S3 not refilled by 2023-08-10
        ("staff.project_filed", "pass", ("e10", "e15")),  # W1 filed 5 days after joining P1
        ("staff.project_filed", "fail", ("e11",)),  # W1 not filed again after joining P2
        ("staff.project_filed", "fail", ("e12",)),  # W2 never filed
        ("staff.project_filed", "fail", ("e13",)),
        ("worker.one_project", "fail", ("e10", "e11")),  # W1 on P1 and P2 from July
    }
    fails = [f for f in run(["haining"], log, backend) if f["outcome"] == "fail"]
    assert all(f["citation"]["clause"] in ("三 一", "三 二") and f["citation"]["quote"] for f in fails)
    late = next(f for f in fails if f["events"] == ["e03"])
    assert late["message"]["zh"] == "人员 B 于 2023-05-04 离职,2023-05-11 前未到民政局备案"


@pytest.mark.parametrize("backend", BACKENDS)
def test_replaying_chengdu_visits_finds_the_short_months(backend: str) -> None:
    log = load(ROOT / "packs/chengdu/examples/visits-2023.jsonl")
    findings = run(["chengdu"], log, backend)
    fails = {(f["key"]["person"], f["period"]): f for f in findings if f["outcome"] == "fail"}
    assert set(fails) == {("L2", "2023-03"), ("L2", "2023-05")}
    assert fails[("L2", "2023-05")]["events"] == []  # no visit at all that month
    assert len(fails[("L2", "2023-03")]["events"]) == 1
    assert fails[("L2", "2023-03")]["message"]["zh"] == "老人 L2 在 2023-03 只被探访 1 次,每月至少 2 次"
    assert sum(f["outcome"] == "pass" for f in findings) == 22  # 12 months of L1, 10 of L2


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_pilot_allows_one_departure_not_two(backend: str) -> None:
    log = [
        {"id": "a", "type": "staff_left", "date": "2022-12-01", "project": "LZ1", "staff": "X"},
        {"id": "b", "type": "staff_left", "date": "2023-03-01", "project": "LZ2", "staff": "Y"},
        {"id": "c", "type": "staff_left", "date": "2023-05-01", "project": "LZ2", "staff": "Z"},
        {
            "id": "d",
            "type": "staff_left",
            "date": "2023-10-15",
            "project": "LZ1",
            "staff": "V",
        },  # after the pilot
    ]
    found = {
        (f["key"]["project"], f["outcome"], tuple(f["events"])) for f in run(["lanzhou_2022"], log, backend)
    }
    assert found == {("LZ1", "pass", ("a",)), ("LZ2", "fail", ("b", "c"))}
    during = run(["lanzhou_2022"], log[:1], backend, until=date(2023, 6, 1))
    assert [f["outcome"] for f in during] == ["unknown"]  # the pilot has not ended


@pytest.mark.parametrize("backend", BACKENDS)
def test_feeding_the_log_in_another_order_gives_the_same_findings(big_log: list[dict], backend: str) -> None:
    shuffled = list(big_log)
    random.Random(99).shuffle(shuffled)
    assert run(["haining"], big_log, backend) == run(["haining"], shuffled, backend)


def test_events_without_ids_get_the_same_ids_in_any_order() -> None:
    log = [
        {"type": "visit", "date": "2023-01-05", "person": "P"},
        {"type": "visit", "date": "2023-01-05", "person": "Q"},
        {"type": "visit", "date": "2023-01-20", "person": "P"},
    ]
    a = run(["chengdu"], log, "plain", until=date(2023, 1, 31))
    b = run(["chengdu"], list(reversed(log)), "plain", until=date(2023, 1, 31))
    assert a == b and {f["outcome"] for f in a} == {"pass", "fail"}


SEPARATE_RULESETS = textwrap.dedent("""
    import json
    from policyengine.monitor.durable import SENTINEL, Run
    from policyengine.plugins import get_registry
    mon = get_registry().load("haining").monitors[0]
    rules = {"seen": {"all": [{"x": {"t": "x"}}, SENTINEL]}}
    a, b = Run(mon, rules), Run(mon, rules)  # two rulesets alive in one process, same shape
    a.assert_fact({"t": "x", "v": 1})
    first = [[name for name, _ in a.take()], [name for name, _ in b.take()]]  # only a fires
    b.assert_fact({"t": "x", "v": 2})
    second = [[name for name, _ in a.take()], [name for name, _ in b.take()]]  # only b fires
    values = [sorted(f.get("v", 0) for f in run.facts()) for run in (a, b)]
    print(json.dumps([first, second, values, a.errors + b.errors]))
    a.close(); b.close()
""")


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_two_monitors_in_one_process_do_not_see_each_others_facts() -> None:
    """Two runs alive in one process (durable-rules in that process, as with isolate=False): a
    fact asserted into one is neither among the other's facts nor fires the other's rule. Not
    retried: a crash here fails the test (several monitors run one after another in one process
    can crash durable-rules' C engine, which is why monitors run forked by default)."""
    result = subprocess.run(
        [sys.executable, "-c", SEPARATE_RULESETS], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr[-800:]
    first, second, values, errors = json.loads(result.stdout)
    assert (first, second) == ([["seen"], []], [[], ["seen"]])
    assert values == [[0, 1], [0, 2]]  # each run holds its sentinel and its own fact only
    assert errors == []


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_a_crash_in_durable_rules_does_not_take_the_caller_down() -> None:
    """The default durable backend runs in a child process. A child that really dies (here by
    SIGSEGV) is retried once; if it dies again the caller gets error findings, not a crash."""
    from crashing import segfault
    from policyengine.monitor import api
    from policyengine.monitor.events import parse_events

    monitor = Monitor(["haining"], backend="durable")
    events = parse_events(load(ROOT / "packs/haining/examples/events-2023.jsonl"))
    findings = api._in_child(monitor, events, END, target=segfault)
    assert len(findings) == 6  # one per haining monitor
    assert all(f.outcome.value == "error" and "crashed" in f.message["en"] for f in findings)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_a_forked_monitor_that_dies_gives_an_error_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each monitor runs in a forked child; one that really dies (SIGSEGV) is retried once,
    then reported as an error finding for that monitor alone."""
    from crashing import segfault
    from policyengine.monitor import api, durable
    from policyengine.monitor.events import parse_events

    monkeypatch.setattr(durable, "run_durable", segfault)  # forked children inherit the patch
    monitor = Monitor(["haining"], backend="durable")
    [mon] = monitor.monitors[:1]
    params, _ = monitor.packs[0].params_at(END)
    [found] = api._forked(
        mon, parse_events(load(ROOT / "packs/haining/examples/events-2023.jsonl")), END, params
    )
    assert found.outcome.value == "error" and "crashed twice" in found.message["en"]


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_the_join_shape_known_to_crash_durable_rules_runs_in_the_adapter() -> None:
    """jruizgit/rules#381: two rules, each joining a second fact to the first with a
    comparison, crash the process when the comparison is the last term of the conjunction.
    The adapter ends every conjunction with an always-true term, and every join with a
    sentinel condition."""
    code = textwrap.dedent("""
        from datetime import date
        from policyengine.monitor.durable import Run, SENTINEL, and_
        from policyengine.plugins import get_registry
        mon = get_registry().load("haining").monitors[0]
        run = Run(mon, {
            "detected": {"all": [
                {"first": and_({"metric": "met-A"}, {"$gt": {"amount": 10}})},
                {"second": and_({"metric": "met-B"}, {"$gt": {"amount": {"first": "amount"}}})},
                SENTINEL]},
            "detected2": {"all": [
                {"first": and_({"metric": "met-A"}, {"$gt": {"amount": 50}})},
                {"second": and_({"metric": "met-B"}, {"$lt": {"amount": {"first": "amount"}}})},
                SENTINEL]},
        })
        run.assert_fact({"metric": "met-A", "amount": 100})
        run.assert_fact({"metric": "met-B", "amount": 200})
        fired = sorted(name for name, _ in run.take())
        run.close()
        print(fired, run.errors)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-500:]}"
    assert result.stdout.strip() == "['detected'] []"


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_an_error_inside_an_action_becomes_an_error_finding() -> None:
    from policyengine.evaluate.report import Outcome
    from policyengine.monitor.durable import SENTINEL, Run, errors
    from policyengine.plugins import get_registry

    mon = get_registry().load("haining").monitors[0]

    class Failing(Run):
        def _action(self, rule_name: str):  # type: ignore[no-untyped-def]
            def run(c):  # type: ignore[no-untyped-def]
                raise ValueError("boom in an action")

            return run

    run = Failing(mon, {"r": {"all": [{"x": {"t": "x"}}, SENTINEL]}})
    run.assert_fact({"t": "x"})
    run.close()
    [found] = errors(mon, run)
    assert found.outcome is Outcome.ERROR and "boom in an action" in found.message["en"]


def test_monitor_specs_are_checked_at_load(write_pack) -> None:
    d = write_pack("""\
monitors:
  - id: m
    title: m
    kind: followed_by
    trigger: {type: staff_leftt}
    response: {type: staff_filed}
    match: [stafff]
    cite: {clause: "1", quote: q}
    message: "{staff} {nope}"
""")
    with pytest.raises(PackError) as err:
        load_pack(d)
    text = err.value.render()
    assert "needs `within`" in text
    assert "did you mean `staff_left`?" in text
    assert "did you mean `staff`?" in text
    assert "`{nope}` is not available" in text


def test_bad_events_are_reported_with_their_line(tmp_path: Path) -> None:
    from policyengine.monitor import read_events

    p = tmp_path / "e.jsonl"
    p.write_text(
        '{"type": "visit", "date": "2023-01-01"}\n{"type": "vist", "date": "2023-02-30"}\n', encoding="utf-8"
    )
    with pytest.raises(RecordError) as err:
        read_events(p)
    assert {(pr.location.line, pr.location.path) for pr in err.value.problems} == {(2, "type"), (2, "date")}


def test_the_cli_monitor_command(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "policyengine.cli",
            "monitor",
            "-p",
            "haining",
            str(ROOT / "packs/haining/examples/events-2023.jsonl"),
            "--until",
            "2023-12-31",
            "--format",
            "json",
            "--backend",
            "plain",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["backend"] == "plain" and data["events"] == 15
    assert sorted(f["outcome"] for f in data["findings"]) == ["fail"] * 10 + ["unknown"]
    helptext = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "monitor", "--help"], capture_output=True, text=True
    ).stdout
    assert "Default backend here:" in helptext
