"""``at_least_per_period``: at least ``min`` events in every calendar month, quarter or year —
Hunan's 每月监测、每季度调度, Chengdu's monthly visits to each elder.

Which periods are judged, for each group that has an event in the log: with an observation
window start (:func:`.base.window_start`), every period from the one containing it; without
one, every period from the one containing the group's first event. Either way through the last
period that is over by ``until``; a period with no event fails with count 0.

A ``population:`` (a roster in the log) and members given by the caller add the groups that
have no event at all, judged over their own membership (:mod:`..population`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from ...models.events import Event
from ...outcomes import Outcome
from ...packs.monitors import CompiledMonitor
from ...packs.schema import EventFilter, Monitor
from .. import durable as d
from ..findings import (
    GroupKey,
    MonitorFinding,
    finding,
    group_key,
    lacks_fields,
    matches,
    period_of,
    period_values,
)
from ..population import Judged, Population, members_of, plan
from .base import MonitorKind, spec_of, window_start


class AtLeastPerPeriod(Monitor):
    """At least ``min`` matching events per calendar ``period``, per group."""

    kind: Literal["at_least_per_period"]
    event: EventFilter
    group_by: list[str] = Field(default_factory=list)
    period: Literal["month", "quarter", "year"]
    min: int = Field(ge=1)
    population: Population | None = None


PLACEHOLDERS = frozenset({"group", "period", "count", "min"})


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = spec_of(mon, AtLeastPerPeriod)
    start = window_start(params)
    found = members_of(spec.population, spec.group_by, events, params)
    members = plan(mon, spec.population, found, spec.period, events, until, start)
    groups: dict[GroupKey, list[Event]] = {key: [] for key in members.members}
    out = []
    for e in events:
        if not matches(e, spec.event):
            continue
        key = group_key(e, spec.group_by)
        if any(v is None for _, v in key):
            out.append(lacks_fields(mon, e, key))
            continue
        groups.setdefault(key, []).append(e)
    out += members.uncovered
    for key, items in groups.items():
        judged = members.members[key] if key in members.members else _from_log(start, items, spec, until)
        if judged is not None:
            out += _judge(mon, spec, key, items, judged)
    return out


def _from_log(start: date | None, items: list[Event], spec: AtLeastPerPeriod, until: date) -> Judged:
    """A group that is no member: from the window start's period, or its first event's."""
    return Judged(period_of(start or items[0].date, spec.period)[1], until)


def _judge(
    mon: CompiledMonitor, spec: AtLeastPerPeriod, key: GroupKey, items: list[Event], judged: Judged
) -> list[MonitorFinding]:
    by_period: dict[str, list[Event]] = defaultdict(list)
    for e in items:
        by_period[period_of(e.date, spec.period)[0]].append(e)
    out = []
    day = judged.first
    while True:
        label, _, last = period_of(day, spec.period)
        if last > judged.last:  # judged once it is over (the log runs through `until`)
            break
        hits = by_period.get(label, [])
        outcome = Outcome.PASS if len(hits) >= spec.min else Outcome.FAIL
        out.append(finding(mon, outcome, hits, period_values(key, label, len(hits), spec.min), key, label))
        day = last + timedelta(days=1)
    return out


_RULES = {
    "count": {
        "all": [
            {"ev": {"t": "event"}},
            {
                "counter": d.and_(
                    {"t": "counter"},
                    {"key": d.ref("ev", "key")},
                    {"period": d.ref("ev", "period")},
                )
            },
            d.SENTINEL,
        ]
    },
    "close": {
        "all": [
            {"counter": {"t": "counter"}},
            {"clock": d.and_({"t": "clock"}, {"$gt": {"day": d.ref("counter", "last")}})},
            d.SENTINEL,
        ]
    },
}


class _Durable:
    """A counter fact per group and period, opened as the clock reaches the period (from the
    window start's period, or else the group's first event's), counted up by each event, closed
    (and judged) when the clock passes its last day."""

    def __init__(
        self, mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
    ) -> None:
        start = window_start(params)
        self.mon = mon
        self.spec = spec_of(mon, AtLeastPerPeriod)
        found = members_of(self.spec.population, self.spec.group_by, events, params)
        self.plan = plan(mon, self.spec.population, found, self.spec.period, events, until, start)
        #: each member's last day judged (no counter opens for a period ending after it)
        self.limits = {d.key_text(k): j.last for k, j in self.plan.members.items() if j}
        #: each member's first judged period's first day (counters open from there)
        self.starts = {d.key_text(k): j.first for k, j in self.plan.members.items() if j}
        #: members with no period to judge: their events are not counted
        self.skip = {d.key_text(k) for k, j in self.plan.members.items() if j is None}
        #: first day of the first period judged for every group (None: each group's first event's)
        self.first = period_of(start, self.spec.period)[1] if start else None
        self.run = d.Run(mon, _RULES)
        self.by_id = {str(e.id): e for e in events}
        self.out: list[MonitorFinding] = []
        self.closed: list[tuple[str, str, MonitorFinding]] = []
        self.groups: dict[str, date] = {}  # key → first day of the next period without a counter
        self.counters: dict[tuple[str, str], dict[str, Any]] = {}
        self.clock: dict[str, Any] | None = None

    def settle(self) -> None:
        for rule, m in self.run.take():
            c = m["counter"]
            slot = (c["key"], c["period"])
            if self.counters.get(slot, {}).get("id") != c["id"]:
                continue  # a counter already replaced
            if rule == "count":
                self.run.retract_fact(m["ev"])
                self.run.retract_fact(c)
                self.counters[slot] = self.run.assert_fact(
                    {
                        **{k: v for k, v in c.items() if k != "id"},
                        "n": c["n"] + 1,
                        "eids": [*c["eids"], m["ev"]["eid"]],
                    }
                )
                self.settle()
                return
            self.close(c, slot)

    def close(self, c: dict[str, Any], slot: tuple[str, str]) -> None:
        self.run.retract_fact(c)
        del self.counters[slot]
        key = d.key_of(c["key"])
        hits = [self.by_id[i] for i in c["eids"]]
        values = period_values(key, c["period"], c["n"], self.spec.min)
        outcome = Outcome.PASS if c["n"] >= self.spec.min else Outcome.FAIL
        self.closed.append(
            (c["key"], c["period"], finding(self.mon, outcome, hits, values, key, c["period"]))
        )

    def open_counters(self, day: date) -> None:
        for key, nxt in list(self.groups.items()):
            while nxt <= day:
                label, _, last = period_of(nxt, self.spec.period)
                if key in self.limits and last > self.limits[key]:
                    break  # past the member's last judged period: never opened
                fact = {"t": "counter", "key": key, "period": label, "last": last.toordinal()}
                self.counters[(key, label)] = self.run.assert_fact({**fact, "n": 0, "eids": []})
                nxt = last + timedelta(days=1)
            self.groups[key] = nxt

    def advance(self, day: date) -> None:
        self.open_counters(day)
        if self.clock is not None:
            self.run.retract_fact(self.clock)
        self.clock = self.run.assert_fact({"t": "clock", "day": day.toordinal()})
        self.settle()

    def event(self, e: Event, day: date) -> None:
        key = group_key(e, self.spec.group_by)
        if any(v is None for _, v in key):
            self.out.append(lacks_fields(self.mon, e, key))
            return
        k = d.key_text(key)
        label, first, _ = period_of(e.date, self.spec.period)
        if k in self.skip:
            return  # a member with no period to judge
        if k not in self.groups:  # no window: the group's counters open from its first event
            self.groups[k] = first
            self.open_counters(day)
        if first < self.starts.get(k, self.first or first):
            return  # a period before the window's or the member's first: not judged
        self.run.assert_fact({"t": "event", "eid": str(e.id), "key": k, "period": label})
        self.settle()

    def __call__(self, events: Sequence[Event], until: date) -> list[MonitorFinding]:
        for k in [d.key_text(k) for k in self.plan.members]:
            if k not in self.skip:
                self.groups[k] = self.starts[k]
        if self.first:  # a window: every group in the log has counters from its start on
            for e in events:
                key = group_key(e, self.spec.group_by)
                known = matches(e, self.spec.event) and all(v is not None for _, v in key)
                if known and d.key_text(key) not in self.skip:
                    self.groups.setdefault(d.key_text(key), self.first)
        for day, batch in d.days(events):
            self.advance(day)
            for e in batch:
                if matches(e, self.spec.event):
                    self.event(e, day)
        self.advance(until + timedelta(days=1))  # the log is complete through `until`
        # the plain backend lists groups in order of first appearance, periods in order
        first_seen = {k: i for i, k in enumerate(self.groups)}
        self.closed.sort(key=lambda x: (first_seen[x[0]], x[1]))
        uncovered = self.plan.uncovered
        return self.out + uncovered + [c[2] for c in self.closed] + d.errors(self.mon, self.run)


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    runner = _Durable(mon, events, until, params)
    try:
        return runner(events, until)
    finally:
        runner.run.close()


KIND = MonitorKind("at_least_per_period", AtLeastPerPeriod, PLACEHOLDERS, run_plain, run_durable)
