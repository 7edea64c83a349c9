"""``preceded_by``: every event is preceded by a matching earlier event, at least a window before.

Haining's staff changes: a social worker who leaves (``staff_left``) must have given notice
(``staff_notice``) for the same post at least a month before — "离职的必须提前一个月提出申请".

The latest allowed day is the event's day minus ``at_least``: ``days`` back, or the same day of
the month ``months`` earlier, clamped to that month's end (leaving 2023-03-31 → 2023-02-28).
A notice on or before it passes; the one named is the last such notice. Otherwise the event
fails, and the first notice after the latest day, on or before the event's day (given too
late), is named if there is one. Notices are sorted per match key once and each event looks
its key's notices up by binary search: O(n log n) in the events.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from ...errors import did_you_mean
from ...lang.functions import add_months
from ...models.events import EVENT_FIELDS, Event, EventType
from ...outcomes import Outcome
from ...packs.monitors import CompiledMonitor
from ...packs.schema import EventFilter, Monitor, Window
from .. import durable as d
from ..findings import GroupKey, MonitorFinding, finding, group_key, lacks_fields, matches
from .base import MonitorKind, spec_of


def _known(what: str, name: str, known: Sequence[str]) -> str:
    suggestion = did_you_mean(name, known)
    hint = f"did you mean `{suggestion}`?" if suggestion else f"use one of {', '.join(known)}"
    return f"unknown {what} `{name}`; {hint}"


class CheckedFilter(EventFilter):
    """An event filter whose type and ``where`` fields are checked by the model itself (the
    loader checks the filters it knows by name: ``event``, ``trigger``, ``response``)."""

    @field_validator("type")
    @classmethod
    def _type_exists(cls, v: str) -> str:
        if v not in EventType.__members__:
            raise ValueError(_known("event type", v, list(EventType.__members__)))
        return v

    @field_validator("where")
    @classmethod
    def _fields_exist(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name not in EVENT_FIELDS:
                raise ValueError(_known("event field", name, EVENT_FIELDS))
        return v


class PrecededBy(Monitor):
    """Each ``event`` must be preceded by a ``by`` event, equal on ``match``, ``at_least`` before."""

    kind: Literal["preceded_by"]
    event: EventFilter
    by: CheckedFilter
    match: list[str] = Field(default_factory=list, description="Fields equal in the event and its `by`")
    at_least: Window

    @field_validator("at_least")
    @classmethod
    def _one_unit(cls, w: Window) -> Window:
        if (w.days is None) == (w.months is None):
            raise ValueError("`at_least` takes exactly one of `days` and `months`")
        return w


PLACEHOLDERS = frozenset({"staff", "station", "project", "person", "date", "notice", "latest", "type"})


def latest_day(day: date, w: Window) -> date:
    """The last day an earlier event may fall on: ``day`` minus the window, calendar-aware."""
    if w.months is not None:
        return add_months(day, Decimal(-w.months))
    return day - timedelta(days=w.days or 0)


def _decide(
    mon: CompiledMonitor,
    e: Event,
    key: GroupKey,
    latest: date,
    early: Event | None,
    late: Event | None,
) -> MonitorFinding:
    """The finding for one event: ``early`` is the notice in time, ``late`` the one too late."""
    notice = early or late
    values = {
        **{k: v for k, v in key},
        "date": e.date,
        "latest": latest,
        "notice": notice.date if notice is not None else None,
        "type": e.type.value,
        "staff": e.staff,
        "station": e.station,
        "project": e.project,
        "person": e.person,
    }
    outcome = Outcome.PASS if early is not None else Outcome.FAIL
    return finding(mon, outcome, [e] if notice is None else [e, notice], values, key)


def _missing(key: GroupKey) -> bool:
    return any(v is None for _, v in key)


def _notices(spec: PrecededBy, events: Sequence[Event]) -> dict[GroupKey, tuple[list[date], list[Event]]]:
    """The ``by`` events per match key, in (date, position) order, with their dates."""
    groups: dict[GroupKey, list[tuple[date, int, Event]]] = defaultdict(list)
    for i, e in enumerate(events):
        if matches(e, spec.by):
            key = group_key(e, spec.match)
            if not _missing(key):
                groups[key].append((e.date, i, e))
    out = {}
    for key, items in groups.items():
        items.sort(key=lambda x: (x[0], x[1]))
        out[key] = ([x[0] for x in items], [x[2] for x in items])
    return out


def _pick(
    dates: list[date], notices: list[Event], e: Event, latest: date
) -> tuple[Event | None, Event | None]:
    """The last notice on or before ``latest``; failing that, the first after it on or before
    ``e``'s day. Never ``e`` itself (when ``event`` and ``by`` select the same events)."""
    i = bisect_right(dates, latest)
    j = i - 1
    while j >= 0 and notices[j].id == e.id:
        j -= 1
    if j >= 0:
        return notices[j], None
    while i < len(notices) and notices[i].id == e.id:
        i += 1
    if i < len(notices) and dates[i] <= e.date:
        return None, notices[i]
    return None, None


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = spec_of(mon, PrecededBy)
    notices = _notices(spec, events)
    out = []
    for e in (e for e in events if matches(e, spec.event)):
        key = group_key(e, spec.match)
        if _missing(key):
            out.append(lacks_fields(mon, e, key))
            continue
        latest = latest_day(e.date, spec.at_least)
        dates, found = notices.get(key, ([], []))
        out.append(_decide(mon, e, key, latest, *_pick(dates, found, e, latest)))
    return out


def _join(*terms: dict[str, Any]) -> dict[str, Any]:
    return d.and_(
        {"t": "notice"},
        {"key": d.ref("ev", "key")},
        {"$neq": {"eid": d.ref("ev", "eid")}},
        *terms,
    )


_RULES = {
    "early": {
        "all": [
            {"ev": {"t": "event"}},
            {"notice": _join({"$lte": {"day": d.ref("ev", "latest")}})},
            d.SENTINEL,
        ]
    },
    "late": {
        "all": [
            {"ev": {"t": "event"}},
            {"notice": _join({"$gt": {"day": d.ref("ev", "latest")}}, {"$lte": {"day": d.ref("ev", "day")}})},
            d.SENTINEL,
        ]
    },
}


class _Durable:
    """Notices as facts, asserted in event-time order; each event, asserted after the notices
    of its day, is joined with its key's earlier notices and decided there and then."""

    def __init__(self, mon: CompiledMonitor, events: Sequence[Event]) -> None:
        self.mon = mon
        self.spec = spec_of(mon, PrecededBy)
        self.run = d.Run(mon, _RULES)
        self.by_id = {str(e.id): e for e in events}
        self.seq = {id(e): i for i, e in enumerate(events)}
        self.out: list[MonitorFinding] = []

    def notice(self, e: Event) -> None:
        key = group_key(e, self.spec.match)
        if _missing(key):
            return
        fact = {"t": "notice", "eid": str(e.id), "key": d.key_text(key), "day": e.date.toordinal()}
        self.run.assert_fact({**fact, "seq": self.seq[id(e)]})

    def event(self, e: Event) -> None:
        key = group_key(e, self.spec.match)
        if _missing(key):
            self.out.append(lacks_fields(self.mon, e, key))
            return
        latest = latest_day(e.date, self.spec.at_least)
        fact = self.run.assert_fact(
            {
                "t": "event",
                "eid": str(e.id),
                "key": d.key_text(key),
                "day": e.date.toordinal(),
                "latest": latest.toordinal(),
            }
        )
        fired: dict[str, list[dict[str, Any]]] = {"early": [], "late": []}
        for rule, m in self.run.take():
            fired[rule].append(m["notice"])
        self.run.retract_fact(fact)  # decided: later notices must not join it

        def order(n: dict[str, Any]) -> tuple[int, int]:
            return n["day"], n["seq"]

        early = max(fired["early"], key=order, default=None)
        late = min(fired["late"], key=order, default=None)
        self.out.append(
            _decide(
                self.mon,
                e,
                key,
                latest,
                self.by_id[early["eid"]] if early else None,
                None if early or not late else self.by_id[late["eid"]],
            )
        )

    def __call__(self, events: Sequence[Event]) -> list[MonitorFinding]:
        for _, batch in d.days(events):
            # a day's notices before its events, so that a notice of the same day is seen
            for e in batch:
                if matches(e, self.spec.by):
                    self.notice(e)
            for e in batch:
                if matches(e, self.spec.event):
                    self.event(e)
        return self.out + d.errors(self.mon, self.run)


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    runner = _Durable(mon, events)
    try:
        return runner(events)
    finally:
        runner.run.close()


KIND = MonitorKind("preceded_by", PrecededBy, PLACEHOLDERS, run_plain, run_durable)

__all__ = ["KIND", "CheckedFilter", "PrecededBy", "latest_day"]
