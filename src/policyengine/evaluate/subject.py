"""One verdict per subject: a record's rules and its packs' monitors over its events, together.

Hunan's 每月监测 exists only as events; a project's record alone cannot show it. Here the
record is evaluated as usual, the events that name it (``project: <id>`` for a project,
``station: <id>`` for a station) run through the monitors of the packs that judge it, and the
monitor findings join the report (``origin: monitor``), so its verdict covers both.

The monitors observe the subject over its own period: the window starts on ``start`` when
given, else on the record's ``period.start``; the log is taken as complete through ``as_of``;
and the subject is a member of every monitor grouped by its id (``group_by: [project]``), so
a project with no monitoring record at all fails each whole month of its period
(:mod:`policyengine.monitor.population`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..errors import PolicyEngineError, Problem
from ..models import validate_record
from ..models.base import Subject
from ..models.events import Event, parse_events
from ..monitor.api import Monitor
from ..monitor.findings import MonitorFinding
from ..monitor.population import Member
from .engine import Engine
from .report import Finding, Monitoring, Report

#: The event field that names a subject of each kind (events name projects and stations).
EVENT_FIELD = {"project": "project", "station": "station"}


def evaluate_with_events(
    engine: Engine,
    record: Mapping[str, Any] | Subject,
    events: Iterable[Event | Mapping[str, Any]],
    *,
    as_of: date | None = None,
    start: date | None = None,
    kind: str | None = None,
    source: str | None = None,
    trace: bool = True,
    backend: str = "auto",
) -> Report:
    """Evaluate ``record`` and run the packs' monitors over the events that name it: one
    report, one verdict. ``events`` may hold other subjects' events too (only this one's are
    used). Raises :class:`~policyengine.errors.PolicyEngineError` when the record is of a kind
    events cannot name, has no id, or no pack has monitors."""
    subject = validate_record(record, engine.subjects, kind=kind, source=source)
    when = as_of or date.today()
    report = engine.evaluate(subject, as_of=when, trace=trace)
    log = parse_events(events, "<events>")
    return add_monitoring(engine, subject, report, log, start=start, backend=backend)


def add_monitoring(
    engine: Engine,
    subject: Subject,
    report: Report,
    events: Iterable[Event],
    *,
    start: date | None = None,
    backend: str = "auto",
) -> Report:
    """``report`` with the monitor findings about ``subject`` added (see the module)."""
    field = _event_field(engine, subject)
    ident = str(subject.id)
    mine = [e for e in events if getattr(e, field) == ident]
    judged = {s.pack for s in report.scope if s.judged or engine.ignore_scope}
    packs = [p for p in engine.packs if p.monitors and p.id in judged]
    period = getattr(subject, "period", None)
    first, last = (period.start, period.end) if period is not None else (None, None)
    window = start or first
    until = report.as_of
    if not packs or (window is not None and window > until):  # nothing to judge yet
        return dataclasses.replace(report, monitoring=Monitoring(window, until, len(mine), ()))
    monitor = Monitor(packs, backend=backend).feed(mine).members([Member({field: ident}, first, last)])
    if window is not None:
        monitor.observe(window, until)
    else:
        monitor.advance(until)
    found = tuple(_finding(f) for f in monitor.findings())
    ran = tuple(p.id for p in packs)
    return dataclasses.replace(
        report, findings=report.findings + found, monitoring=Monitoring(window, until, len(mine), ran)
    )


def _event_field(engine: Engine, subject: Subject) -> str:
    field = EVENT_FIELD.get(subject.kind_name)
    if field is None:
        raise PolicyEngineError(
            [
                Problem(
                    f"events name projects and stations, not a {subject.kind_name} "
                    f"(事件只能对应到项目或社工站,不能对应到{subject.kind_title['zh']})",
                    None,
                    "leave out --events, or evaluate the project or station the events name",
                )
            ]
        )
    if subject.id is None:
        raise PolicyEngineError(
            [
                Problem(
                    "the record has no id: events are matched to it by id (记录缺少编号,无法对应事件)",
                    None,
                    f"add `id:` with the value the events give as `{field}`",
                )
            ]
        )
    require_monitors(engine)
    return field


def require_monitors(engine: Engine) -> None:
    """Refuse events when no pack of ``engine`` has monitors: nothing would run over them."""
    if not any(p.monitors for p in engine.packs):
        raise PolicyEngineError(
            [
                Problem(
                    "none of these packs has monitors: there is nothing to run over the events "
                    "(所选政策包没有监测规则)",
                    None,
                    "leave out --events, or add a pack with `monitors:` (e.g. hunan, haining, chengdu)",
                    "usage",
                )
            ]
        )


def _finding(f: MonitorFinding) -> Finding:
    return Finding(
        pack=f.pack,
        rule=f.monitor,
        title=f.title,
        outcome=f.outcome,
        severity=f.severity,
        message=f.message,
        citation=f.citation,
        origin="monitor",
        period=f.period,
        events=f.events,
    )
