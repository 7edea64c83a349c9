"""The ``preceded_by`` monitor kind, from Haining's rule (浙江海宁, part 三 一): a social worker
who leaves "必须提前一个月提出申请" — must have given notice at least a month before leaving.

The rule as the kind reads it: a departure on day D passes when the same worker (same staff,
same station) gave notice on or before ``latest = D − 1 month`` — the same day of the previous
month, or that month's last day when it is shorter. Every case runs on both backends where
durable-rules imports.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from event_logs import year_log
from policyengine import PackError, load_pack
from policyengine.monitor import Monitor
from policyengine.monitor.api import durable_available
from policyengine.monitor.kinds.preceded_by import latest_day
from policyengine.packs.schema import Window

BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]

HAINING = """\
monitors:
  - id: staff.notice_given
    title: {zh: 离职须提前一个月提出申请, en: Notice is given a month before leaving}
    kind: preceded_by
    event: {type: staff_left}
    by: {type: staff_notice}
    match: [staff, station]
    at_least: {months: 1}
    cite: {clause: 三 一, quote: 离职的必须提前一个月提出申请}
    message:
      zh: "社工 {staff}({station})于 {date} 离职,应不晚于 {latest} 提出申请,实际申请:{notice}"
      en: "{staff} at {station} left on {date}; notice was due by {latest}, given: {notice}"
"""


@pytest.fixture
def haining(write_pack: Callable[..., Path]) -> Path:
    return write_pack(HAINING, pid="notice_demo")


def left(day: str, staff: str | None = "W1", station: str = "S1", eid: str = "left") -> dict[str, Any]:
    e = {"id": eid, "type": "staff_left", "date": day, "station": station}
    return e if staff is None else {**e, "staff": staff}


def notice(day: str, staff: str = "W1", station: str = "S1", eid: str = "notice") -> dict[str, Any]:
    return {"id": eid, "type": "staff_notice", "date": day, "station": station, "staff": staff}


def run(pack: Path, log: list[dict[str, Any]], backend: str) -> list[dict[str, Any]]:
    """The findings through the log's last day (`preceded_by` decides each event on its day)."""
    return [f.to_dict() for f in Monitor([pack], backend=backend).feed(log).findings()]


def one(pack: Path, log: list[dict[str, Any]], backend: str) -> dict[str, Any]:
    [found] = run(pack, log, backend)
    return found


# --- the rule's boundaries: a departure on 2023-06-15 needs notice by 2023-05-15 ---------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_notice_exactly_one_month_before_passes_and_names_both_events(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15"), notice("2023-05-15")], backend)
    assert (found["outcome"], found["events"]) == ("pass", ["left", "notice"])
    assert found["key"] == {"staff": "W1", "station": "S1"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_notice_one_day_later_than_that_fails_and_says_when_it_was_given(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15"), notice("2023-05-16")], backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left", "notice"])
    zh = "社工 W1(S1)于 2023-06-15 离职,应不晚于 2023-05-15 提出申请,实际申请:2023-05-16"
    en = "W1 at S1 left on 2023-06-15; notice was due by 2023-05-15, given: 2023-05-16"
    assert found["message"] == {"zh": zh, "en": en}


@pytest.mark.parametrize("backend", BACKENDS)
def test_notice_ten_days_before_fails(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15"), notice("2023-06-05")], backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left", "notice"])
    assert "实际申请:2023-06-05" in found["message"]["zh"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_notice_fails(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15")], backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left"])
    assert found["message"]["zh"].endswith("应不晚于 2023-05-15 提出申请,实际申请:—")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_notice_for_another_worker_or_another_station_does_not_count(haining: Path, backend: str) -> None:
    log = [left("2023-06-15"), notice("2023-04-01", staff="W2"), notice("2023-04-01", station="S2", eid="n2")]
    found = one(haining, log, backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_notice_after_leaving_does_not_count(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15"), notice("2023-06-16")], backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left"])  # not named: it came after
    assert found["message"]["en"].endswith("given: —")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_notice_on_the_day_of_leaving_is_named_as_too_late(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15"), notice("2023-06-15")], backend)
    assert (found["outcome"], found["events"]) == ("fail", ["left", "notice"])


# --- month ends --------------------------------------------------------------------------------
# latest = add_months(D, -1): the same day of the previous month, clamped to that month's end.
#   D = 2023-03-31: February 2023 has no 31st, so latest = 2023-02-28.
#     notice 2023-02-28 <= 2023-02-28: pass;  notice 2023-03-01 > 2023-02-28: fail.
#   D = 2024-03-31 (leap year): latest = 2024-02-29.
#   D = 2023-02-28: latest = 2023-01-28. A notice on 2023-01-31 is late, although
#     2023-01-31 + 1 month = 2023-02-28 (followed_by's counting forward): the month is counted
#     back from the departure (the reading docs/monitoring.md states). Likewise
#   D = 2023-04-30: latest = 2023-03-30; a notice on 2023-03-31 is late.


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("leaving", "given", "outcome"),
    [
        ("2023-03-31", "2023-02-28", "pass"),
        ("2023-03-31", "2023-03-01", "fail"),
        ("2023-03-28", "2023-02-28", "pass"),
        ("2024-03-31", "2024-02-29", "pass"),
        ("2024-03-31", "2024-03-01", "fail"),
        ("2023-02-28", "2023-01-28", "pass"),
        ("2023-02-28", "2023-01-31", "fail"),
        ("2023-04-30", "2023-03-30", "pass"),
        ("2023-04-30", "2023-03-31", "fail"),
        ("2023-01-15", "2022-12-15", "pass"),  # across a year
        ("2023-01-15", "2022-12-16", "fail"),
    ],
)
def test_month_ends(haining: Path, backend: str, leaving: str, given: str, outcome: str) -> None:
    found = one(haining, [left(leaving), notice(given)], backend)
    assert found["outcome"] == outcome, found["message"]


def test_the_latest_day_counts_back_calendar_months_and_days() -> None:
    assert latest_day(date(2023, 3, 31), Window(months=1)) == date(2023, 2, 28)
    assert latest_day(date(2024, 3, 31), Window(months=1)) == date(2024, 2, 29)
    assert latest_day(date(2023, 3, 31), Window(months=2)) == date(2023, 1, 31)
    assert latest_day(date(2023, 3, 31), Window(days=30)) == date(2023, 3, 1)
    assert latest_day(date(2023, 3, 31), Window(days=0)) == date(2023, 3, 31)


# --- several notices, missing fields ------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_notice_named_is_the_one_nearest_the_latest_day(haining: Path, backend: str) -> None:
    log = [
        left("2023-06-15"),
        notice("2023-03-01", eid="n1"),
        notice("2023-05-10", eid="n2"),  # the last one in time: named
        notice("2023-05-20", eid="n3"),
        notice("2023-06-01", eid="n4"),
    ]
    assert one(haining, log, backend)["events"] == ["left", "n2"]
    late = one(haining, [log[0], *log[3:]], backend)
    assert (late["outcome"], late["events"]) == ("fail", ["left", "n3"])  # the first too late


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_departure_without_staff_is_unknown(haining: Path, backend: str) -> None:
    found = one(haining, [left("2023-06-15", staff=None), notice("2023-04-01")], backend)
    assert (found["outcome"], found["events"]) == ("unknown", ["left"])
    assert "staff" in found["message"]["en"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_days_and_one_event_type_for_both(write_pack: Callable[..., Path], backend: str) -> None:
    """`at_least: {days: 0}` lets a same-day event count; an event never precedes itself."""
    pack = write_pack(
        HAINING.replace("{months: 1}", "{days: 0}")
        .replace("{type: staff_notice}", "{type: staff_left}")
        .replace("match: [staff, station]", "match: [station]"),
        pid="same_type",
    )
    log = [left("2023-06-15", eid="a"), left("2023-06-15", staff="W2", eid="b"), left("2023-06-20", eid="c")]
    found = {f["events"][0]: (f["outcome"], f["events"]) for f in run(pack, log, backend)}
    assert found == {"a": ("pass", ["a", "b"]), "b": ("pass", ["b", "a"]), "c": ("pass", ["c", "b"])}
    alone = run(pack, log[:1], backend)
    assert [(f["outcome"], f["events"]) for f in alone] == [("fail", ["a"])]


# --- both backends agree on a generated log -----------------------------------------------------


def departures_log(stations: int = 40, seed: int = 11) -> list[dict[str, Any]]:
    """A generated year (tests/event_logs.py) plus, for each departure, a notice at a random
    distance before it (some a month or more, some too late, some after, some for someone
    else, some never), and departures at month ends and without a staff field."""
    rng = random.Random(seed)
    log = year_log(stations=stations, seed=seed)
    extra: list[dict[str, Any]] = []
    for e in [e for e in log if e["type"] == "staff_left"]:
        day = date.fromisoformat(e["date"])
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            offset = rng.choice([rng.randint(-10, 75), 31, 30, 28, 29])
            who = e["staff"] if rng.random() < 0.85 else e["staff"] + "x"
            when = (day - timedelta(days=offset)).isoformat()
            extra.append({"type": "staff_notice", "date": when, "station": e["station"], "staff": who})
    for month in range(1, 13):  # month ends, with a notice on each day around a month before
        end = (date(2023, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        extra.append({"type": "staff_left", "date": end.isoformat(), "station": "ME", "staff": f"M{month}"})
        for back in range(26, 35):
            when = (end - timedelta(days=back)).isoformat()
            if rng.random() < 0.3:
                extra.append({"type": "staff_notice", "date": when, "station": "ME", "staff": f"M{month}"})
    extra += [{"type": "staff_left", "date": f"2023-0{m}-10", "station": "S000"} for m in range(1, 4)]
    for i, e in enumerate(extra):
        e["id"] = f"x{i:05d}"
    out = log + extra
    rng.shuffle(out)
    return out


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules does not import on this Python")
def test_both_backends_give_identical_findings_on_many_departures(haining: Path) -> None:
    log = departures_log()
    plain = run(haining, log, "plain")
    durable = run(haining, log, "durable")
    assert plain == durable
    assert len(plain) == sum(e["type"] == "staff_left" for e in log) > 100
    outcomes = {f["outcome"] for f in plain}
    assert outcomes == {"pass", "fail", "unknown"}
    late = [f for f in plain if f["outcome"] == "fail" and len(f["events"]) == 2]
    assert late and len(late) < sum(f["outcome"] == "fail" for f in plain)  # late and missing notices


def test_the_plain_run_does_not_depend_on_the_feed_order(haining: Path) -> None:
    log = departures_log(stations=10, seed=3)
    assert run(haining, log, "plain") == run(haining, list(reversed(log)), "plain")


# --- checked at load ----------------------------------------------------------------------------

BAD = """\
monitors:
  - id: staff.notice_given
    title: t
    kind: preceded_by
    event: {type: staff_left}
    by: {type: staff_notic}
    match: [stafff]
    cite: {clause: 三 一, quote: 离职的必须提前一个月提出申请}
    message: "{staff} {deadline}"
  - id: staff.notice_days
    title: t
    kind: preceded_by
    event: {type: staff_left, where: {statoin: S1}}
    by: {type: staff_notice, where: {sttaion: S1}}
    at_least: {days: 30, months: 1}
    cite: {clause: 三 一, quote: 离职的必须提前一个月提出申请}
    message: m
"""


def test_a_pack_using_it_is_checked_at_load_with_positions(write_pack: Callable[..., Path]) -> None:
    with pytest.raises(PackError) as err:
        load_pack(write_pack(BAD, pid="bad_notice"))
    found = {(p.location.line, p.message) for p in err.value.problems}
    text = err.value.render()
    # the head is 7 lines and `monitors:` the 8th: the first monitor starts on line 9
    assert (9, "a `preceded_by` monitor needs `at_least`") in found
    assert (13, "unknown event type `staff_notic`; did you mean `staff_notice`?") in found
    assert (14, "events have no field `stafff`") in found
    assert "did you mean `staff`?" in text
    assert (16, "`{deadline}` is not available in a preceded_by message") in found
    assert "use date, latest, notice, person, project, staff, station, type" in text
    # the second monitor
    assert (20, "events have no field `statoin`") in found
    assert (21, "unknown event field `sttaion`; did you mean `station`?") in found
    assert (22, "`at_least` takes exactly one of `days` and `months`") in found


def test_the_kind_is_registered_beside_the_others() -> None:
    from policyengine.plugins import default_monitor_kinds

    kinds = default_monitor_kinds()
    assert {"followed_by", "preceded_by"} <= set(kinds)


def test_the_documented_example_is_the_one_tested_here() -> None:
    """docs/monitoring.md shows Haining's notice rule; it is this file's pack, word for word."""
    import re

    from policyengine._yaml import load_yaml_text, strip_positions

    doc = (Path(__file__).resolve().parent.parent / "docs/monitoring.md").read_text(encoding="utf-8")
    block = re.search(r"^```yaml\n(monitors:.*?)^```$", doc, re.M | re.S)
    assert block is not None
    documented = {m["id"]: m for m in strip_positions(load_yaml_text(block.group(1)))["monitors"]}
    assert documented["staff.notice_given"] == strip_positions(load_yaml_text(HAINING))["monitors"][0]
