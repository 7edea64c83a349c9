"""``at_most_distinct``: at most ``max`` distinct values of a field per group, optionally
within a date range — "a pilot community's professional social workers stay put" (no more
than three distinct workers during the pilot)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import Field

from ...models.events import Event
from ...outcomes import Outcome
from ...packs.monitors import CompiledMonitor
from ...packs.schema import During, EventFilter, Monitor
from .. import durable as d
from ..findings import (
    GroupKey,
    MonitorFinding,
    distinct_values,
    finding,
    group_key,
    matches,
    still_open,
    value_of,
)
from .base import MonitorKind, spec_of


class AtMostDistinct(Monitor):
    """At most ``max`` distinct values of the field ``distinct`` per group, ``during`` a range."""

    kind: Literal["at_most_distinct"]
    event: EventFilter
    distinct: str
    max: int = Field(ge=0)
    group_by: list[str] = Field(default_factory=list)
    during: During | None = None


PLACEHOLDERS = frozenset({"group", "count", "max", "values", "from", "to"})


def _range(mon: CompiledMonitor, spec: AtMostDistinct, params: Mapping[str, Any]) -> tuple[date, date]:
    lo = mon.resolve(spec.during.from_, params) if spec.during else date.min
    hi = mon.resolve(spec.during.to, params) if spec.during else date.max
    return lo, hi


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = spec_of(mon, AtMostDistinct)
    lo, hi = _range(mon, spec, params)
    groups: dict[GroupKey, list[Event]] = defaultdict(list)
    for e in events:
        if matches(e, spec.event) and lo <= e.date <= hi:
            groups[group_key(e, spec.group_by)].append(e)
    out = []
    for key, items in groups.items():
        seen: list[str] = []
        deciding: list[Event] = []
        for e in items:
            v = value_of(getattr(e, spec.distinct))
            if v is not None and v not in seen:
                seen.append(v)
                deciding.append(e)
                if len(seen) > spec.max:  # decided: the events up to here name the breach
                    break
        values = distinct_values(key, seen, spec.max, lo, hi)
        if len(seen) > spec.max:
            out.append(finding(mon, Outcome.FAIL, deciding, values, key))
        elif hi <= until:
            out.append(finding(mon, Outcome.PASS, deciding, values, key))
        else:
            out.append(still_open(mon, deciding, until, key))
    return out


def _rules(maximum: int) -> dict[str, Any]:
    return {
        "value": {
            "all": [
                {"ev": {"t": "event"}},
                {"tally": d.and_({"t": "tally"}, {"key": d.ref("ev", "key")})},
                d.SENTINEL,
            ]
        },
        "exceeded": {"all": [{"tally": d.and_({"t": "tally"}, {"$gt": {"n": maximum}})}, d.SENTINEL]},
    }


class _Durable:
    """A tally fact per group holds the distinct values seen; a rule fires when it exceeds max."""

    def __init__(self, mon: CompiledMonitor, events: Sequence[Event], params: Mapping[str, Any]) -> None:
        self.mon = mon
        self.spec = spec_of(mon, AtMostDistinct)
        self.lo, self.hi = _range(mon, self.spec, params)
        self.run = d.Run(mon, _rules(self.spec.max))
        self.by_id = {str(e.id): e for e in events}
        self.tallies: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.failed: dict[str, MonitorFinding] = {}

    def settle(self) -> None:
        for rule, m in self.run.take():
            t = m["tally"]
            if self.tallies.get(t["key"], {}).get("id") != t["id"]:
                continue
            if rule == "value":
                self.run.retract_fact(m["ev"])
                v = m["ev"]["value"]
                if v in t["values"]:
                    continue
                self.run.retract_fact(t)
                self.tallies[t["key"]] = self.run.assert_fact(
                    {
                        "t": "tally",
                        "key": t["key"],
                        "n": t["n"] + 1,
                        "values": [*t["values"], v],
                        "eids": [*t["eids"], m["ev"]["eid"]],
                    }
                )
                self.settle()
                return
            key = d.key_of(t["key"])
            values = distinct_values(key, t["values"], self.spec.max, self.lo, self.hi)
            evs = [self.by_id[i] for i in t["eids"]]
            self.failed[t["key"]] = finding(self.mon, Outcome.FAIL, evs, values, key)
            self.run.retract_fact(t)
            del self.tallies[t["key"]]

    def event(self, e: Event) -> None:
        k = d.key_text(group_key(e, self.spec.group_by))
        if k not in self.tallies and k not in self.failed:
            self.order.append(k)
            self.tallies[k] = self.run.assert_fact({"t": "tally", "key": k, "n": 0, "values": [], "eids": []})
        if k in self.failed:
            return
        value = value_of(getattr(e, self.spec.distinct))
        if value is None:
            return
        self.run.assert_fact({"t": "event", "eid": str(e.id), "key": k, "value": value})
        self.settle()

    def __call__(self, events: Sequence[Event], until: date) -> list[MonitorFinding]:
        for e in events:
            if matches(e, self.spec.event) and self.lo <= e.date <= self.hi:
                self.event(e)
        out = []
        for k in self.order:
            if k in self.failed:
                out.append(self.failed[k])
                continue
            t = self.tallies[k]
            key = d.key_of(k)
            evs = [self.by_id[i] for i in t["eids"]]
            values = distinct_values(key, t["values"], self.spec.max, self.lo, self.hi)
            if self.hi <= until:
                out.append(finding(self.mon, Outcome.PASS, evs, values, key))
            else:
                out.append(still_open(self.mon, evs, until, key))
        return out + d.errors(self.mon, self.run)


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    runner = _Durable(mon, events, params)
    try:
        return runner(events, until)
    finally:
        runner.run.close()


KIND = MonitorKind("at_most_distinct", AtMostDistinct, PLACEHOLDERS, run_plain, run_durable)
