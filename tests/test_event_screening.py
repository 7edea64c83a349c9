"""Events a run must not use as they are: a mistyped year, duplicates, ids used twice. Each
is set aside with its reason (never silently), and both backends see the same log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from policyengine.monitor import Monitor
from policyengine.monitor.api import durable_available
from policyengine.outcomes import Outcome

BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]
MONTHLY = "oversight.monthly_monitoring"


def monthly(year: int = 2023, months: range = range(1, 13)) -> list[dict[str, Any]]:
    return [
        {"id": f"m{year}-{m:02d}", "type": "monitoring", "date": f"{year}-{m:02d}-10", "project": "P1"}
        for m in months
    ]


def findings(monitor: Monitor) -> list[dict[str, Any]]:
    return [f.to_dict() for f in monitor.findings()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_mistyped_year_does_not_stretch_the_default_until(backend: str) -> None:
    typo = {"id": "typo", "type": "monitoring", "date": "9023-05-10", "project": "P1"}
    clean = Monitor(["hunan"], backend=backend, isolate=False).feed(monthly())
    mistyped = Monitor(["hunan"], backend=backend, isolate=False).feed([*monthly(), typo])
    assert mistyped.window() == (None, date(2023, 12, 10))  # the last plausible event's day
    assert findings(mistyped) == findings(clean)
    (aside,) = mistyped.set_aside()
    assert (aside.event.id, aside.kind) == ("typo", "implausible_date")
    assert "9023-05-10" in aside.reason["zh"] and "可能是录入错误" in aside.reason["zh"]


def test_a_date_long_before_the_window_is_set_aside_and_a_given_until_is_kept() -> None:
    old = {"id": "old", "type": "monitoring", "date": "1023-05-10", "project": "P1"}
    m = (
        Monitor(["hunan"], backend="plain")
        .feed([*monthly(), old])
        .observe(date(2023, 1, 1), date(2023, 12, 31))
    )
    assert [(a.event.id, a.kind) for a in m.set_aside()] == [("old", "implausible_date")]
    assert m.window() == (date(2023, 1, 1), date(2023, 12, 31))
    # five years before the window start is still plausible
    ok = {"id": "ok", "type": "monitoring", "date": "2018-01-02", "project": "P1"}
    m = (
        Monitor(["hunan"], backend="plain")
        .feed([*monthly(), ok])
        .observe(date(2023, 1, 1), date(2023, 12, 31))
    )
    assert m.set_aside() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_duplicated_event_counts_once_and_is_reported(backend: str) -> None:
    """Chengdu: two visits a month. An elder visited once in January, the line imported twice:
    January fails, whatever the backend."""
    visit = {"id": "v1", "type": "visit", "date": "2023-01-10", "person": "L1"}
    feb = [{"id": f"f{d}", "type": "visit", "date": f"2023-02-{d}", "person": "L1"} for d in (10, 20)]
    m = Monitor(["chengdu"], backend=backend, isolate=False).feed([visit, dict(visit), *feb])
    m.advance(date(2023, 2, 28))
    by_period = {f.period: (f.outcome, f.events) for f in m.findings()}
    assert by_period["2023-01"] == (Outcome.FAIL, ("v1",))
    assert by_period["2023-02"][0] is Outcome.PASS
    assert [(a.event.id, a.kind) for a in m.set_aside()] == [("v1", "duplicate")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_identical_events_without_ids_are_one_event(backend: str) -> None:
    visit = {"type": "visit", "date": "2023-01-10", "person": "L1"}
    m = (
        Monitor(["chengdu"], backend=backend, isolate=False)
        .feed([visit, dict(visit)])
        .advance(date(2023, 1, 31))
    )
    (only,) = m.findings()
    assert only.outcome is Outcome.FAIL and len(only.events) == 1
    assert [a.kind for a in m.set_aside()] == ["duplicate"]


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_an_id_used_twice_with_other_content_is_set_aside_and_the_backends_agree() -> None:
    log = [
        {"id": "x", "type": "visit", "date": "2023-01-10", "person": "L1"},
        {"id": "x", "type": "visit", "date": "2023-01-20", "person": "L1"},
        {"id": "y", "type": "visit", "date": "2023-01-25", "person": "L1"},
    ]
    runs = {
        b: Monitor(["chengdu"], backend=b, isolate=False).feed(log).advance(date(2023, 1, 31))
        for b in BACKENDS
    }
    assert findings(runs["plain"]) == findings(runs["durable"])
    (jan,) = runs["plain"].findings()
    assert jan.outcome is Outcome.PASS and jan.events == ("x", "y")
    assert [(a.event.date.day, a.kind) for a in runs["plain"].set_aside()] == [(20, "id_conflict")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deadline_past_the_calendar_is_an_error_finding_not_a_crash(backend: str) -> None:
    """A departure on 9999-12-30 whose filing deadline falls after date.max."""
    log = [{"id": "e1", "type": "staff_left", "date": "9999-12-30", "staff": "W1", "station": "S1"}]
    m = Monitor(["haining"], backend=backend, isolate=False).feed(log).advance(date(9999, 12, 31))
    found = m.findings()
    filed = [f for f in found if f.monitor == "staff.departure_filed"]
    assert filed and all(f.outcome in (Outcome.ERROR, Outcome.UNKNOWN) for f in filed)
    assert any(f.outcome is Outcome.ERROR and "Overflow" in f.message["en"] for f in found)
    # the monitors that need no date past the calendar still judge it (no notice: fail)
    assert [f.outcome for f in found if f.monitor == "staff.notice_given"] == [Outcome.FAIL]
