"""Populations: subjects a periodic monitor must judge although the log has no event of theirs —
an elder on the roster never visited, a project with no monitoring record at all. Expected
values are worked out by hand from the rule "every whole period inside the membership and the
window" (docs/monitoring.md, "Populations")."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from policyengine.monitor import Member, Monitor
from policyengine.monitor.api import durable_available
from test_monitor_window import gappy_log

BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]
JAN1, DEC31 = date(2023, 1, 1), date(2023, 12, 31)
VISITS = "visits.twice_monthly"
MONTHLY, QUARTERLY = "oversight.monthly_monitoring", "oversight.quarterly_scheduling"


def run(
    packs: list[str],
    log: list[dict[str, Any]],
    backend: str,
    start: date | None,
    until: date = DEC31,
    members: list[Member] | None = None,
) -> list[dict[str, Any]]:
    monitor = Monitor(packs, backend=backend, isolate=False).feed(log).members(members or [])
    monitor = monitor.observe(start, until) if start else monitor.advance(until)
    return [f.to_dict() for f in monitor.findings()]


def of(found: list[dict[str, Any]], monitor: str, group: str) -> dict[str, str]:
    """Period → outcome for one group."""
    return {
        f["period"]: f["outcome"] for f in found if f["monitor"] == monitor and group in f["key"].values()
    }


def months(a: int, b: int) -> list[str]:
    return [f"2023-{m:02d}" for m in range(a, b + 1)]


def enrolled(person: str, day: str, eid: str = "") -> dict[str, Any]:
    return {"id": eid or f"en-{person}", "type": "enrolled", "date": day, "person": person, "station": "CD1"}


def visits(person: str, month_from: int, month_to: int) -> list[dict[str, Any]]:
    return [
        {"id": f"v-{person}-{m}-{d}", "type": "visit", "date": f"2023-{m:02d}-{d}", "person": person}
        for m in range(month_from, month_to + 1)
        for d in (10, 20)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_roster_elder_never_visited_fails_every_month_of_the_window(backend: str) -> None:
    log = [enrolled("L9", "2022-06-01"), *visits("L1", 1, 12)]
    found = run(["chengdu"], log, backend, JAN1)
    assert of(found, VISITS, "L9") == dict.fromkeys(months(1, 12), "fail")
    assert of(found, VISITS, "L1") == dict.fromkeys(months(1, 12), "pass")
    without_roster = run(["chengdu"], visits("L1", 1, 12), backend, JAN1)
    assert of(without_roster, VISITS, "L9") == {}  # what the roster adds: L9 is judged at all


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("joined", "left", "judged"),
    [
        ("2023-03-01", None, months(3, 12)),  # on the first day: March is a whole month on the roster
        ("2023-03-02", None, months(4, 12)),  # a day later: March is not
        ("2022-01-01", "2023-04-01", months(1, 3)),  # leaves 1 April: on the roster through 31 March
        ("2022-01-01", "2023-03-31", months(1, 2)),  # leaves 31 March: March is not whole
        ("2023-05-02", "2023-06-30", []),  # no whole month on the roster
    ],
)
def test_a_member_is_judged_for_the_whole_months_of_its_membership(
    backend: str, joined: str, left: str | None, judged: list[str]
) -> None:
    log = [enrolled("L2", joined), *visits("L1", 1, 12)]
    if left:
        log.append({"id": "w-L2", "type": "withdrawn", "date": left, "person": "L2"})
    found = run(["chengdu"], log, backend, JAN1)
    assert of(found, VISITS, "L2") == dict.fromkeys(judged, "fail")


@pytest.mark.parametrize("backend", BACKENDS)
def test_visits_before_enrolment_do_not_count_and_months_on_the_roster_do(backend: str) -> None:
    log = [enrolled("L3", "2023-04-01"), *visits("L3", 1, 6)]
    found = run(["chengdu"], log, backend, JAN1)
    assert of(found, VISITS, "L3") == {
        **dict.fromkeys(months(4, 6), "pass"),
        **dict.fromkeys(months(7, 12), "fail"),
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_a_window_member_months_before_the_log_begins_are_unknown_never_judged(backend: str) -> None:
    # the log (its first event that is not a roster entry) begins on 5 March
    log = [enrolled("L4", "2022-11-01"), *visits("L1", 3, 6)]
    found = run(["chengdu"], log, backend, None, until=date(2023, 6, 30))
    l4 = [f for f in found if f["key"] == {"person": "L4"}]
    assert {f["period"]: f["outcome"] for f in l4} == {
        "2022-11..2023-02": "unknown",
        **dict.fromkeys(months(3, 6), "fail"),
    }
    unknown = next(f for f in l4 if f["outcome"] == "unknown")
    assert "2023-03-10" in unknown["message"]["zh"] and "2022-11..2023-02" in unknown["message"]["zh"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_project_given_as_a_member_with_no_record_at_all_fails_each_whole_period_of_its_own(
    backend: str,
) -> None:
    # P9 runs 15 February – 30 June: whole months March–June, whole quarter Q2 only
    p9 = Member({"project": "P9"}, date(2023, 2, 15), date(2023, 6, 30))
    found = run(["hunan"], [], backend, JAN1, members=[p9])
    assert of(found, MONTHLY, "P9") == dict.fromkeys(months(3, 6), "fail")
    assert of(found, QUARTERLY, "P9") == {"2023-Q2": "fail"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_members_apply_only_to_monitors_grouped_by_exactly_their_fields(backend: str) -> None:
    station = Member({"station": "S1"}, date(2023, 1, 1), date(2023, 12, 31))
    with pytest.raises(Exception, match="no events and no `until`"):
        Monitor(["hunan"], backend=backend, isolate=False).members([station]).findings()
    assert run(["hunan"], [], backend, JAN1, members=[station]) == []


def rostered_log(seed: int) -> tuple[list[dict[str, Any]], list[Member]]:
    """The gappy log, with a roster: every elder in it enrolled on a random day (some before the
    year, some within it, a few withdrawn), and elders enrolled who never appear; projects given
    as members, some that never appear, each with its own period."""
    rng = random.Random(seed)
    log = gappy_log(seed)
    people = sorted({e["person"] for e in log if e.get("person")}) + [f"ABSENT{i}" for i in range(4)]
    for p in people:
        joined = date(rng.choice([2022, 2023]), rng.randint(1, 12), rng.choice([1, 1, 2, 15, 28]))
        log.append({"id": f"en-{p}", "type": "enrolled", "date": joined.isoformat(), "person": p})
        if rng.random() < 0.2:
            log.append(
                {
                    "id": f"wd-{p}",
                    "type": "withdrawn",
                    "date": f"2023-{rng.randint(2, 11):02d}-{rng.choice([1, 2, 17]):02d}",
                    "person": p,
                }
            )
    projects = [*sorted({e["project"] for e in log if e.get("project")})[:5], "ABSENT-P1", "ABSENT-P2"]
    members = [
        Member(
            {"project": p},
            date(2023, rng.randint(1, 6), rng.choice([1, 2, 15])),
            rng.choice([None, date(2023, rng.randint(7, 12), 28)]),
        )
        for p in projects
    ]
    return log, members


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
@pytest.mark.parametrize("start", [None, JAN1, date(2023, 2, 14)])
@pytest.mark.parametrize("seed", [3, 11])
def test_both_backends_agree_with_absent_subjects_and_empty_months(start: date | None, seed: int) -> None:
    log, members = rostered_log(seed)
    for packs in (["hunan"], ["chengdu"]):
        plain = run(packs, log, "plain", start, members=members)
        assert plain == run(packs, log, "durable", start, members=members)
        absent = [f for f in plain if any(str(v).startswith("ABSENT") for v in f["key"].values())]
        assert absent and all(f["outcome"] in ("fail", "unknown") for f in absent), packs


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_members_reach_durable_rules_in_forked_children() -> None:
    log, members = rostered_log(5)
    plain = run(["hunan"], log, "plain", JAN1, members=members)
    forked = Monitor(["hunan"], backend="durable").feed(log).members(members).observe(JAN1, DEC31)
    assert [f.to_dict() for f in forked.findings()] == plain
