"""Populations: the subjects a periodic monitor must see, with or without events.

A monitor judges the groups that appear in its log. A population adds the ones that do not:
an elder on the roster who was never visited, a project of the batch with no monitoring
record. Members come from two places:

- **a roster in the log**: the monitor's ``population:`` names the events that enrol a member
  (``joins``, e.g. ``{type: enrolled}``) and, optionally, those that take it off the roster
  (``leaves``, e.g. ``{type: withdrawn}``); the member's group is read from the same
  ``group_by`` fields as the monitored events;
- **the records being judged**: :meth:`.api.Monitor.members` (and ``evaluate --events``, which
  passes the record itself), each with the group fields and the subject's own period.

What is judged for a member: every calendar period that lies wholly inside its membership
(from the day it joins through the day before it leaves, or the subject's period, both ends
inclusive) and ends by ``until``. A member who joins on 20 January is first judged in
February; one who leaves on 10 June is last judged in May. Of those periods:

- the ones the log covers are judged like any other (count 0: fail). The log covers the
  periods from the one containing the observation window's start, or, without a window, from
  the one containing the log's first event;
- without a window, the member's periods before the log's first event are not covered: they
  give one ``unknown`` finding naming them (``2022-10..2022-12``), never a pass or a fail.
  With a window, periods before its start are outside what was asked, as for every group.

Everything here is shared by both backends, so their findings stay identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..models.events import Event
from ..outcomes import Outcome
from ..packs.monitors import CompiledMonitor
from ..packs.schema import EventFilter
from .findings import GroupKey, MonitorFinding, finding, group_key, matches, period_of

#: Members given from outside the log (the records being judged), passed to every run in its
#: parameters under this key, as :class:`Member` objects.
MEMBERS = "@members"


class Population(BaseModel):
    """``population:`` of a periodic monitor: the roster events in its log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    joins: EventFilter
    leaves: EventFilter | None = None


@dataclass(frozen=True)
class Member:
    """One subject the monitor must judge: its group fields and its membership, inclusive
    (None: open on that side)."""

    group: Mapping[str, str]
    start: date | None = None
    end: date | None = None
    #: the roster events that made it a member
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Judged:
    """A group's periods to judge: from the period beginning on ``first`` through the last
    period ending on or before ``last``."""

    first: date
    last: date


@dataclass(frozen=True)
class Plan:
    """For one run: each member's judged periods (members in a stable order), and the
    ``unknown`` findings for member periods the log does not cover."""

    members: dict[GroupKey, Judged | None]
    uncovered: list[MonitorFinding]


def members_of(
    population: Population | None, group_by: Sequence[str], events: Sequence[Event], params: Mapping[str, Any]
) -> dict[GroupKey, Member]:
    """The members of a run: the roster's (in order of enrolment) and the given ones whose
    group fields are exactly the monitor's ``group_by`` (a roster entry for the same group
    narrows nothing: the given membership wins)."""
    out: dict[GroupKey, Member] = {}
    if population is not None:
        left: dict[GroupKey, date] = {}
        for e in events:
            key = group_key(e, group_by)
            if any(v is None for _, v in key):
                continue
            if matches(e, population.joins) and key not in out:
                out[key] = Member(dict(key), e.date, None, (str(e.id),))  # type: ignore[arg-type]
            elif population.leaves and matches(e, population.leaves) and key in out and key not in left:
                left[key] = e.date
                m = out[key]
                out[key] = Member(m.group, m.start, e.date - timedelta(days=1), (*m.events, str(e.id)))
    for m in params.get(MEMBERS, ()):
        if isinstance(m, Member) and set(m.group) == set(group_by):
            out[tuple((f, m.group[f]) for f in group_by)] = m
    return out


def plan(
    mon: CompiledMonitor,
    population: Population | None,
    members: Mapping[GroupKey, Member],
    period: str,
    events: Sequence[Event],
    until: date,
    start: date | None,
) -> Plan:
    """Which periods each member is judged for, and what the log does not cover."""
    logged = (e.date for e in events if not _roster(e, population))
    coverage = start or next(logged, until)
    covered_from = period_of(coverage, period)[1]
    judged: dict[GroupKey, Judged | None] = {}
    uncovered = []
    for key, m in members.items():
        first = _first_whole(m.start, period) if m.start else covered_from
        last = min(until, m.end) if m.end else until
        if first < covered_from and start is None:
            gap_last = min(covered_from - timedelta(days=1), last)
            if period_of(first, period)[2] <= gap_last:
                uncovered.append(_uncovered(mon, m, key, first, gap_last, period, coverage))
        first = max(first, covered_from)
        judged[key] = Judged(first, last) if period_of(first, period)[2] <= last else None
    return Plan(judged, uncovered)


def _roster(e: Event, population: Population | None) -> bool:
    if population is None:
        return False
    return matches(e, population.joins) or (population.leaves is not None and matches(e, population.leaves))


def _first_whole(day: date, period: str) -> date:
    """The first day of the first period that begins on or after ``day``."""
    _, first, last = period_of(day, period)
    return day if first == day else last + timedelta(days=1)


def _last_whole_label(last: date, period: str) -> str:
    """The label of the last period that ends on or before ``last``."""
    label, first, end = period_of(last, period)
    return label if end == last else period_of(first - timedelta(days=1), period)[0]


def _uncovered(
    mon: CompiledMonitor, m: Member, key: GroupKey, first: date, last: date, period: str, coverage: date
) -> MonitorFinding:
    span = f"{period_of(first, period)[0]}..{_last_whole_label(last, period)}"
    return finding(
        mon,
        Outcome.UNKNOWN,
        [],
        {
            "why_zh": f"日志自 {coverage} 起,未覆盖 {span}",
            "why_en": f"the log starts on {coverage} and does not cover {span}",
        },
        key,
        span,
    )
