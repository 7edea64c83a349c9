"""``followed_by``: every trigger event is answered by a response event within a window.

Haining's staff changes: a departure (``staff_left``) must be filed (``staff_filed``) for the
same person within a month.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from ...models.events import Event
from ...outcomes import Outcome
from ...packs.monitors import CompiledMonitor
from ...packs.schema import EventFilter, Monitor, Window
from .. import durable as d
from ..findings import (
    GroupKey,
    MonitorFinding,
    deadline,
    finding,
    group_key,
    lacks_fields,
    matches,
    still_open,
    trigger_values,
)
from .base import MonitorKind, spec_of


class FollowedBy(Monitor):
    """A trigger must be followed by a matching response within ``within``."""

    kind: Literal["followed_by"]
    trigger: EventFilter
    response: EventFilter
    match: list[str] = Field(default_factory=list, description="Fields equal in trigger and response")
    within: Window


PLACEHOLDERS = frozenset({"staff", "station", "project", "person", "date", "deadline", "type"})


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    """Each trigger's answer is the first matching response (in event-time order) dated from
    the trigger's day through its deadline. Responses are grouped by match key and searched by
    date (bisect): O(n log n) in the events, where a scan of every response per trigger was
    quadratic."""
    spec = spec_of(mon, FollowedBy)
    out = []
    responses: dict[GroupKey, tuple[list[date], list[Event]]] = {}
    for r in events:  # in event-time order, as Monitor gives them
        if matches(r, spec.response):
            days, found = responses.setdefault(group_key(r, spec.match), ([], []))
            days.append(r.date)
            found.append(r)
    for t in (e for e in events if matches(e, spec.trigger)):
        due = deadline(t.date, spec.within)
        key = group_key(t, spec.match)
        if any(v is None for _, v in key):
            out.append(lacks_fields(mon, t, key))
            continue
        answer = _first_response(responses.get(key), t, due)
        if answer is not None:
            out.append(finding(mon, Outcome.PASS, [t, answer], trigger_values(t, key, due), key))
        elif due <= until:  # the log is complete through `until`
            out.append(finding(mon, Outcome.FAIL, [t], trigger_values(t, key, due), key))
        else:
            out.append(still_open(mon, [t], until, key))
    return out


def _first_response(group: tuple[list[date], list[Event]] | None, t: Event, due: date) -> Event | None:
    """The first response of the trigger's group dated t.date..due that is not t itself."""
    if group is None:
        return None
    days, found = group
    i = bisect_left(days, t.date)
    while i < len(found) and days[i] <= due:
        if found[i] is not t:
            return found[i]
        i += 1
    return None


_RULES = {
    "answered": {
        "all": [
            {"trig": {"t": "trigger"}},
            {
                "resp": d.and_(
                    {"t": "response"},
                    {"key": d.ref("trig", "key")},
                    {"$neq": {"eid": d.ref("trig", "eid")}},
                    {"$gte": {"day": d.ref("trig", "day")}},
                    {"$lte": {"day": d.ref("trig", "due")}},
                )
            },
            d.SENTINEL,
        ]
    },
    "overdue": {
        "all": [
            {"trig": {"t": "trigger"}},
            {"clock": d.and_({"t": "clock"}, {"$gt": {"day": d.ref("trig", "due")}})},
            d.SENTINEL,
        ]
    },
}


class _Durable:
    """Triggers and responses as facts; a clock fact carries the watermark day."""

    def __init__(self, mon: CompiledMonitor, events: Sequence[Event]) -> None:
        self.mon = mon
        self.spec = spec_of(mon, FollowedBy)
        self.run = d.Run(mon, _RULES)
        self.by_id = {str(e.id): e for e in events}
        self.out: list[MonitorFinding] = []
        self.decided: set[str] = set()
        self.clock: dict[str, Any] | None = None

    def settle(self) -> None:
        for rule, m in self.run.take():
            trig = m["trig"]
            if trig["eid"] in self.decided:
                continue
            self.decided.add(trig["eid"])
            t = self.by_id[trig["eid"]]
            key = d.key_of(trig["key"])
            values = trigger_values(t, key, date.fromordinal(trig["due"]))
            if rule == "answered":
                r = self.by_id[m["resp"]["eid"]]
                self.out.append(finding(self.mon, Outcome.PASS, [t, r], values, key))
            else:
                self.out.append(finding(self.mon, Outcome.FAIL, [t], values, key))
            self.run.retract_fact(trig)

    def advance(self, day: date) -> None:
        if self.clock is not None:
            self.run.retract_fact(self.clock)
        self.clock = self.run.assert_fact({"t": "clock", "day": day.toordinal()})
        self.settle()

    def trigger(self, e: Event) -> None:
        key = group_key(e, self.spec.match)
        if any(v is None for _, v in key):
            self.out.append(lacks_fields(self.mon, e, key))
            self.decided.add(str(e.id))
            return
        due = deadline(e.date, self.spec.within)
        self.run.assert_fact(
            {
                "t": "trigger",
                "eid": str(e.id),
                "key": d.key_text(key),
                "day": e.date.toordinal(),
                "due": due.toordinal(),
            }
        )
        self.settle()

    def response(self, e: Event) -> None:
        """A response answers only triggers already asserted (a trigger's day is on or before
        its response's, and a day's triggers come first): once they have met it, it can answer
        nothing more and is retracted. durable-rules slows with every fact it holds (41 us an
        assertion with none, 248 with 200,000), so keeping them made the run grow as n^1.5."""
        key = d.key_text(group_key(e, self.spec.match))
        fact = self.run.assert_fact(
            {"t": "response", "eid": str(e.id), "key": key, "day": e.date.toordinal()}
        )
        self.settle()
        self.run.retract_fact(fact)

    def __call__(self, events: Sequence[Event], until: date) -> list[MonitorFinding]:
        for day, batch in d.days(events):
            self.advance(day)
            # triggers of a day before its responses, so that "the first response" is the same
            # one the plain backend picks
            for e in batch:
                if matches(e, self.spec.trigger):
                    self.trigger(e)
            for e in batch:
                if matches(e, self.spec.response):
                    self.response(e)
        self.advance(until + timedelta(days=1))  # the log is complete through `until`
        for fact in self.run.facts():
            if fact.get("t") == "trigger" and fact["eid"] not in self.decided:
                key = d.key_of(fact["key"])
                self.out.append(still_open(self.mon, [self.by_id[fact["eid"]]], until, key))
        return self.out + d.errors(self.mon, self.run)


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    runner = _Durable(mon, events)
    try:
        return runner(events, until)
    finally:
        runner.run.close()


KIND = MonitorKind("followed_by", FollowedBy, PLACEHOLDERS, run_plain, run_durable)

__all__ = ["KIND", "FollowedBy"]
