"""``assess --events``: each row's monitors over the events that name it, so every row gets one
report and one verdict, as ``evaluate --events`` gives one record (:mod:`..evaluate.subject`).

The log is read once, before the first row, and indexed by the subject each event names
(``project``, ``station``). Every row is a member of its monitors over its own period, so a
project of the batch with no event at all is judged too (each whole month of its period fails
a monthly monitor); the batch's records are the population.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import PolicyEngineError, Problem
from ..evaluate.engine import Engine
from ..evaluate.report import Report
from ..evaluate.subject import EVENT_FIELD, add_monitoring, require_monitors
from ..models.base import Subject
from ..models.events import Event
from ..monitor.events import read_events


@dataclass
class SubjectLogs:
    """An event log indexed by the subject each event names: ``(field, id) → events``."""

    events: int
    by_subject: dict[tuple[str, str], list[Event]] = field(default_factory=dict)
    start: date | None = None
    backend: str = "plain"

    def judge(self, engine: Engine, subject: Subject, report: Report) -> Report:
        """``report`` with the monitor findings about ``subject`` from its events."""
        name = EVENT_FIELD.get(subject.kind_name, "")
        mine = self.by_subject.get((name, str(subject.id)), [])
        return add_monitoring(engine, subject, report, mine, start=self.start, backend=self.backend)

    def subjects(self) -> set[tuple[str, str]]:
        """Every subject the log names."""
        return set(self.by_subject)

    def unused_note(self, record_ids: set[str], kind: str | None) -> list[str]:
        """A line saying how many subjects of the batch's kind the log names that no row of
        the batch is (their events were not used), or nothing."""
        names = {EVENT_FIELD[kind]} if kind in EVENT_FIELD else set(EVENT_FIELD.values())
        unused = {k: v for k, v in self.by_subject.items() if k[0] in names and k[1] not in record_ids}
        if not unused:
            return []
        events = len({id(e) for v in unused.values() for e in v})
        return [
            f"事件日志中有 {len(unused)} 个项目或站点编号不在本批记录中,其 {events} 条事件未使用 / "
            f"{len(unused)} projects or stations named in the event log are not rows of this batch; "
            f"their {events} events were not used"
        ]


def load_logs(engine: Engine, path: Path, kind: str | None, start: date | None, backend: str) -> SubjectLogs:
    """Read and index the log; refuse, before any row is read, a kind events cannot name or
    packs none of which has monitors."""
    if kind is not None and kind not in EVENT_FIELD:
        raise PolicyEngineError(
            [
                Problem(
                    f"events name projects and stations, not {kind} records (事件只能对应到项目或社工站)",
                    None,
                    "leave out --events, or assess a ledger of projects or stations",
                    "usage",
                )
            ]
        )
    require_monitors(engine)
    events = read_events(path)
    by_subject: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in events:
        for name in EVENT_FIELD.values():
            value = getattr(e, name)
            if value is not None:
                by_subject[(name, str(value))].append(e)
    return SubjectLogs(len(events), dict(by_subject), start, backend)
