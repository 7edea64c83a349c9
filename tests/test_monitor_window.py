"""The observation window (``Monitor.observe(start, until)``, ``monitor --from``): periodic
monitors judge every period from the one containing the window start, also those before a
group's first event, so a project whose January–March records are missing does not pass."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from event_logs import year_log
from policyengine.monitor import Monitor, MonitorFinding, MonitorResult
from policyengine.monitor.api import durable_available

BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]
JAN1, DEC31 = date(2023, 1, 1), date(2023, 12, 31)
MONTHLY, QUARTERLY = "oversight.monthly_monitoring", "oversight.quarterly_scheduling"


def hunan_log() -> list[dict[str, Any]]:
    """P1: monitoring April–December except July, scheduling in Q2–Q4 only. P2: monitoring
    every month, scheduling every quarter."""
    log: list[dict[str, Any]] = []
    for month in range(1, 13):
        if month >= 4 and month != 7:
            log.append(
                {
                    "id": f"p1m{month:02d}",
                    "type": "monitoring",
                    "date": f"2023-{month:02d}-10",
                    "project": "P1",
                }
            )
        log.append(
            {"id": f"p2m{month:02d}", "type": "monitoring", "date": f"2023-{month:02d}-12", "project": "P2"}
        )
    for q in range(4):
        if q >= 1:
            log.append(
                {"id": f"p1s{q}", "type": "scheduling", "date": f"2023-{3 * q + 2:02d}-05", "project": "P1"}
            )
        log.append(
            {"id": f"p2s{q}", "type": "scheduling", "date": f"2023-{3 * q + 2:02d}-06", "project": "P2"}
        )
    return log


def visits_log() -> list[dict[str, Any]]:
    """L1 visited twice a month, April–December only."""
    return [
        {"id": f"v{m:02d}{d}", "type": "visit", "date": f"2023-{m:02d}-{d}", "person": "L1", "station": "CD1"}
        for m in range(4, 13)
        for d in (10, 20)
    ]


def run(
    packs: list[str], log: list[dict[str, Any]], backend: str, start: date | None, until: date = DEC31
) -> list[dict[str, Any]]:
    monitor = Monitor(packs, backend=backend).feed(log)
    monitor = monitor.observe(start, until) if start else monitor.advance(until)
    return [f.to_dict() for f in monitor.findings()]


def periods(findings: list[dict[str, Any]], monitor: str, group: str) -> dict[str, dict[str, Any]]:
    return {f["period"]: f for f in findings if f["monitor"] == monitor and group in f["key"].values()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_monthly_monitor_fails_the_months_before_the_first_record(backend: str) -> None:
    windowed = run(["hunan"], hunan_log(), backend, JAN1)
    p1 = periods(windowed, MONTHLY, "P1")
    assert list(p1) == [f"2023-{m:02d}" for m in range(1, 13)]  # every month of the window, in order
    for month in ("2023-01", "2023-02", "2023-03"):
        assert p1[month]["outcome"] == "fail" and p1[month]["events"] == []
        assert p1[month]["message"]["zh"] == f"项目 P1 在 {month} 没有月度监测记录"
    # April–December are judged as before
    before = periods(run(["hunan"], hunan_log(), backend, None), MONTHLY, "P1")
    assert list(before) == [f"2023-{m:02d}" for m in range(4, 13)]
    assert {m: p1[m] for m in before} == before
    assert before["2023-07"]["outcome"] == "fail" and before["2023-04"]["events"] == ["p1m04"]
    # P2, recorded every month, passes every month either way
    assert {f["outcome"] for f in periods(windowed, MONTHLY, "P2").values()} == {"pass"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_count_of_a_month_before_the_first_record_is_zero(backend: str) -> None:
    p = periods(run(["chengdu"], visits_log(), backend, JAN1), "visits.twice_monthly", "L1")
    assert [m for m, f in p.items() if f["outcome"] == "fail"] == ["2023-01", "2023-02", "2023-03"]
    assert p["2023-02"]["message"]["en"] == (
        "Elder L1 was visited 0 time(s) in 2023-02; at least 2 a month are required"
    )
    assert p["2023-04"]["outcome"] == "pass" and p["2023-04"]["events"] == ["v0410", "v0420"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_quarterly_monitor_fails_the_quarters_before_the_first_record(backend: str) -> None:
    windowed = periods(run(["hunan"], hunan_log(), backend, JAN1), QUARTERLY, "P1")
    assert {q: f["outcome"] for q, f in windowed.items()} == {
        "2023-Q1": "fail",
        "2023-Q2": "pass",
        "2023-Q3": "pass",
        "2023-Q4": "pass",
    }
    assert windowed["2023-Q1"]["events"] == []
    before = periods(run(["hunan"], hunan_log(), backend, None), QUARTERLY, "P1")
    assert {q: windowed[q] for q in before} == before and "2023-Q1" not in before


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_a_window_start_earlier_periods_are_not_judged_and_the_output_says_so(
    backend: str,
) -> None:
    monitor = Monitor(["hunan"], backend=backend).feed(hunan_log()).advance(DEC31)
    found = monitor.findings()
    p1 = {f.period for f in found if f.monitor == MONTHLY and f.key == (("project", "P1"),)}
    assert p1 == {f"2023-{m:02d}" for m in range(4, 13)}  # January–March not judged
    start, until = monitor.window()
    assert (start, until) == (None, DEC31)
    result = MonitorResult.of(monitor.backend, until, len(hunan_log()), found, False, start)
    data = result.to_dict()
    assert data["from"] is None and data["until"] == "2023-12-31"
    assert "earlier periods were not judged" in data["window_note"]["en"]
    assert "此前的周期未判断" in data["window_note"]["zh"]
    for lang in ("zh", "en"):
        for fmt in ("table", "markdown"):
            text = _render(fmt, result, lang)
            assert ("此前的周期未判断" if lang == "zh" else "earlier periods were not judged") in text


def _render(fmt: str, result: MonitorResult, lang: str) -> str:
    from policyengine.monitor.render import FORMATS

    return FORMATS[fmt](result, lang)


def test_every_format_shows_the_window() -> None:
    found = Monitor(["hunan"], backend="plain").feed(hunan_log()).observe(JAN1, DEC31).findings()
    result = MonitorResult.of("plain", DEC31, 40, found, False, JAN1)
    data = json.loads(_render("json", result, "zh"))
    assert (data["from"], data["until"], data["window_note"]) == ("2023-01-01", "2023-12-31", None)
    for fmt in ("table", "markdown"):
        assert "观察期 2023-01-01 至 2023-12-31" in _render(fmt, result, "zh")
        assert "window 2023-01-01 to 2023-12-31" in _render(fmt, result, "en")
        assert "not judged" not in _render(fmt, result, "en")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_window_start_in_the_middle_of_a_month_judges_that_whole_month(backend: str) -> None:
    log = [
        {"id": "a", "type": "visit", "date": "2023-02-20", "person": "L1"},  # before the window's month
        {"id": "b", "type": "visit", "date": "2023-03-02", "person": "L1"},  # before the start, same month
        {"id": "c", "type": "visit", "date": "2023-03-20", "person": "L1"},
        {"id": "d", "type": "visit", "date": "2023-05-20", "person": "L2"},  # first seen in May
    ]
    p = run(["chengdu"], log, backend, date(2023, 3, 15), date(2023, 5, 31))
    l1 = periods(p, "visits.twice_monthly", "L1")
    assert list(l1) == ["2023-03", "2023-04", "2023-05"]  # February is before the window
    assert l1["2023-03"]["outcome"] == "pass" and l1["2023-03"]["events"] == ["b", "c"]
    l2 = periods(p, "visits.twice_monthly", "L2")
    assert {m: f["outcome"] for m, f in l2.items()} == {
        "2023-03": "fail",
        "2023-04": "fail",
        "2023-05": "fail",
    }


def test_a_window_that_starts_after_it_ends_is_refused() -> None:
    from policyengine import PolicyEngineError

    monitor = Monitor(["chengdu"], backend="plain").feed(visits_log()).observe(date(2024, 1, 1), DEC31)
    with pytest.raises(PolicyEngineError, match="after it ends"):
        monitor.findings()


def _cli(log_path: Any, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "policyengine.cli", "monitor", "-p", "hunan", str(log_path), *extra]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_the_cli_takes_the_window_start_and_shows_it(tmp_path: Any) -> None:
    path = tmp_path / "hunan.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in hunan_log()), encoding="utf-8")
    out = _cli(path, "--from", "2023-01-01", "--until", "2023-12-31", "-f", "json", "--backend", "plain")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert (data["from"], data["until"], data["window_note"]) == ("2023-01-01", "2023-12-31", None)
    fails = {(f["monitor"], f["period"]) for f in data["findings"] if f["key"] == {"project": "P1"}}
    assert fails == {
        (MONTHLY, "2023-01"),
        (MONTHLY, "2023-02"),
        (MONTHLY, "2023-03"),
        (MONTHLY, "2023-07"),
        (QUARTERLY, "2023-Q1"),
    }
    without = json.loads(_cli(path, "--until", "2023-12-31", "-f", "json", "--backend", "plain").stdout)
    assert without["from"] is None and without["window_note"]["en"].startswith("no window start given")
    assert {f["period"] for f in without["findings"]} == {"2023-07"}
    table = _cli(path, "--from", "2023-01-01", "--backend", "plain", "--lang", "en").stdout
    assert "window 2023-01-01 to 2023-12-12" in table  # until: the last event's day
    assert "--from" in _cli(path, "--help").stdout


def gappy_log(seed: int) -> list[dict[str, Any]]:
    """A generated year over 12 stations, where each station's records of each kind start in a
    random month and some months in between are missing."""
    rng = random.Random(seed)
    first = {}
    out = []
    for e in year_log(stations=12, seed=seed):
        group = e.get("person") or e.get("project")
        if e["type"] in ("visit", "monitoring", "scheduling"):
            start = first.setdefault((e["type"], group), rng.choice([1, 1, 2, 4, 6, 11]))
            month = int(e["date"][5:7])
            if month < start or rng.random() < 0.08:
                continue
        out.append(e)
    return out


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
@pytest.mark.parametrize("start", [None, JAN1, date(2023, 2, 14), date(2023, 5, 31)])
@pytest.mark.parametrize("seed", [3, 11])
def test_both_backends_give_identical_findings_with_a_window(start: date | None, seed: int) -> None:
    log = gappy_log(seed)
    for packs, log_ in (
        (["hunan"], log),
        (["chengdu"], log),
        (["hunan"], hunan_log()),
        (["chengdu"], visits_log()),
    ):
        plain = run(packs, log_, "plain", start)
        assert plain == run(packs, log_, "durable", start)
    if start == JAN1:  # the window judged periods that no run without it judged
        assert len(run(["hunan"], log, "plain", start)) > len(run(["hunan"], log, "plain", None))


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_the_window_reaches_durable_rules_in_process_and_in_a_spawned_child() -> None:
    from policyengine.monitor import api
    from policyengine.monitor.events import ordered, parse_events

    log = gappy_log(5)
    expected = run(["hunan"], log, "plain", JAN1)
    in_process = Monitor(["hunan"], backend="durable", isolate=False).feed(log).observe(JAN1, DEC31)
    assert [f.to_dict() for f in in_process.findings()] == expected
    monitor = Monitor(["hunan"], backend="durable").feed(log).observe(JAN1, DEC31)
    spawned = api._in_child(monitor, ordered(parse_events(log)), DEC31)
    assert [f.to_dict() for f in sorted(spawned, key=MonitorFinding.sort_key)] == expected


def _joins(rules: dict[str, Any]) -> list[list[Any]]:
    return [
        terms["$and"]
        for rule in rules.values()
        for fact in rule["all"]
        for terms in fact.values()
        if "$and" in terms
    ]


def _rulesets() -> dict[str, dict[str, Any]]:
    from policyengine.monitor.kinds import (
        at_least_per_period,
        at_most_distinct,
        followed_by,
        no_overlap,
        preceded_by,
    )

    return {
        "at_least_per_period": at_least_per_period._RULES,
        "at_most_distinct": at_most_distinct._rules(3),
        "followed_by": followed_by._RULES,
        "no_overlap": no_overlap._RULES,
        "preceded_by": preceded_by._RULES,
    }


def _cross(term: dict[str, Any]) -> bool:
    """`{field: {fact: field}}` or `{"$op": {field: {fact: field}}}`: refers to another fact."""
    ((op, value),) = term.items()
    inner = next(iter(value.values())) if op.startswith("$") and isinstance(value, dict) else value
    return isinstance(inner, dict) and len(inner) == 1 and isinstance(next(iter(inner.values())), str)


def test_every_join_of_every_durable_run_ends_with_a_term_that_is_always_true() -> None:
    """durable-rules, when the last cross-fact term of a join is false, skips past the join's end
    marker and reads on through the memory that follows (a segmentation fault, depending on the
    heap). The adapter ends each join with `ok == <other fact>.ok`, true for every pair of facts,
    for every kind's rules and for rules a plugin kind writes by hand."""
    from policyengine.monitor.durable import guard_joins

    by_hand = {"all": [{"a": {"t": "x"}}, {"b": {"$and": [{"t": "y"}, {"k": {"a": "k"}}]}}]}
    for kind, rules in {**_rulesets(), "by hand": {"r": by_hand}}.items():
        joins = _joins({n: guard_joins(copy.deepcopy(r)) for n, r in rules.items()})
        assert joins, kind
        for terms in joins:
            cross = [t for t in terms if _cross(t)]
            if not cross:
                continue  # a test of one fact (`n > max`), not a join
            assert list(cross[-1]) == ["ok"], (kind, terms)
            assert terms[-1] == {"ok": 1}, (kind, terms)
            again = guard_joins({"all": [{"f": {"$and": terms}}]})
            assert again["all"][0]["f"]["$and"] == terms, "guarding twice changes nothing"


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_the_rules_a_durable_run_is_given_are_guarded() -> None:
    from policyengine.monitor.durable import Run

    mon = Monitor(["hunan"], backend="durable").monitors[0]
    by_hand = {"all": [{"a": {"t": "x"}}, {"b": {"$and": [{"t": "y"}, {"k": {"a": "k"}}]}}]}
    run = Run(mon, {"r": by_hand})
    try:
        assert run.rules["r"]["all"][1]["b"]["$and"][-2:] == [{"ok": {"a": "ok"}}, {"ok": 1}]
    finally:
        run.close()


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_durable_runs_survive_a_heap_that_is_not_clean() -> None:
    """MALLOC_PERTURB_ fills freed memory, as a long-lived process's heap is: before each join
    ended with an always-true term, about half of these runs crashed."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from test_monitor_window import *\n"
        "for start in (None, JAN1, None, JAN1):\n"
        "    for packs, log in ((['hunan'], hunan_log()), (['chengdu'], visits_log())):\n"
        "        m = Monitor(packs, backend='durable', isolate=False).feed(log)\n"
        "        found = (m.observe(start, DEC31) if start else m.advance(DEC31)).findings()\n"
        "        assert not [f for f in found if f.outcome.value == 'error'], found\n"
    )
    env = {**os.environ, "MALLOC_PERTURB_": "255"}
    here = str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", script, here], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
