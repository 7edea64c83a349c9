"""What every monitor kind and both backends share: findings, periods, windows, groups.

Event time only: the wall clock never decides a finding. ``until`` is the watermark, the
day through which the log is taken to be complete (inclusive); a window still open after
that day is `unknown`, not `pass` or `fail`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..lang.functions import add_months
from ..models.events import Event
from ..outcomes import Citation, Outcome
from ..packs.monitors import CompiledMonitor
from ..packs.schema import EventFilter, Window

#: A group's identity: each group-by field with its value (None where the event lacks it).
GroupKey = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class MonitorFinding:
    """One conclusion of one monitor, with the events that decided it."""

    pack: str
    monitor: str
    title: Mapping[str, str]
    outcome: Outcome
    severity: str
    message: Mapping[str, str]
    citation: Citation
    events: tuple[str, ...]
    key: GroupKey = ()
    period: str | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.pack,
            self.monitor,
            tuple((k, v or "") for k, v in self.key),
            self.period or "",
            self.events,
            self.outcome.value,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "monitor": self.monitor,
            "title": dict(self.title),
            "outcome": self.outcome.value,
            "severity": self.severity,
            "message": dict(self.message),
            "citation": self.citation.to_dict(),
            "events": list(self.events),
            "key": {k: v for k, v in self.key},
            "period": self.period,
        }


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def finding(
    mon: CompiledMonitor,
    outcome: Outcome,
    events: Sequence[Event],
    values: Mapping[str, Any],
    key: GroupKey = (),
    period: str | None = None,
) -> MonitorFinding:
    spec = mon.spec
    shown = _Safe({k: _show(v) for k, v in values.items()})
    if outcome is Outcome.FAIL:
        message = {
            "zh": spec.message.zh.format_map(shown),
            "en": (spec.message.en or spec.message.zh).format_map(shown),
        }
    elif outcome is Outcome.PASS:
        message = {"zh": spec.title.zh, "en": spec.title.en or spec.title.zh}
    else:
        message = {
            "zh": f"尚无法判断:{values.get('why_zh', '期限未到')}",
            "en": f"not decided yet: {values.get('why_en', 'the window is still open')}",
        }
    return MonitorFinding(
        pack=mon.pack_id,
        monitor=spec.id,
        title={"zh": spec.title.zh, "en": spec.title.en or spec.title.zh},
        outcome=outcome,
        severity=spec.severity,
        message=message,
        citation=mon.citation,
        events=tuple(str(e.id) for e in events),
        key=key,
        period=period,
    )


def _show(v: Any) -> str:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple, set)):
        return "、".join(sorted(str(x) for x in v))
    if v is None:
        return "—"
    return str(v)


def matches(e: Event, f: EventFilter) -> bool:
    if e.type.value != f.type:
        return False
    return all(str(getattr(e, k) or "") == v for k, v in f.where.items())


def deadline(day: date, w: Window) -> date:
    if w.months is not None:
        return add_months(day, Decimal(w.months))
    return day + timedelta(days=w.days or 0)


def period_of(day: date, period: str) -> tuple[str, date, date]:
    """Label, first and last day of the calendar period containing ``day``."""
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last)
    if period == "quarter":
        q = (day.month - 1) // 3
        start = date(day.year, 3 * q + 1, 1)
        end_month = 3 * q + 3
        return (
            f"{day.year}-Q{q + 1}",
            start,
            date(day.year, end_month, calendar.monthrange(day.year, end_month)[1]),
        )
    return str(day.year), date(day.year, 1, 1), date(day.year, 12, 31)


def next_period(day: date, period: str) -> date:
    return period_of(day, period)[2] + timedelta(days=1)


def group_key(e: Event, fields: Sequence[str]) -> GroupKey:
    return tuple((f, value_of(getattr(e, f))) for f in fields)


def value_of(v: Any) -> str | None:
    if v is None:
        return None
    return v.value if hasattr(v, "value") else str(v)


def lacks_fields(mon: CompiledMonitor, e: Event, key: GroupKey = (), what: str = "") -> MonitorFinding:
    """`unknown`: an event lacks a field the monitor needs."""
    missing = [k for k, v in key if v is None] or [what]
    return finding(
        mon,
        Outcome.UNKNOWN,
        [e],
        {"why_zh": f"事件缺少 {'、'.join(missing)}", "why_en": f"the event lacks {', '.join(missing)}"},
        key,
    )


def still_open(
    mon: CompiledMonitor, events: Sequence[Event], until: date, key: GroupKey = ()
) -> MonitorFinding:
    """`unknown`: the deadline or window runs past the end of the log."""
    return finding(
        mon,
        Outcome.UNKNOWN,
        events,
        {"why_zh": f"截至 {until} 尚未到期", "why_en": f"not over by {until}"},
        key,
    )


def trigger_values(t: Event, key: GroupKey, due: date) -> dict[str, Any]:
    return {
        **{k: v for k, v in key},
        "date": t.date,
        "deadline": due,
        "type": t.type.value,
        "staff": t.staff,
        "station": t.station,
        "project": t.project,
        "person": t.person,
    }


def period_values(key: GroupKey, label: str, count: int, minimum: int) -> dict[str, Any]:
    return {"group": "、".join(str(v) for _, v in key), "period": label, "count": count, "min": minimum}


def distinct_values(key: GroupKey, seen: list[str], maximum: int, lo: date, hi: date) -> dict[str, Any]:
    return {
        "group": "、".join(str(v) for _, v in key),
        "count": len(seen),
        "max": maximum,
        "values": seen,
        "from": lo,
        "to": hi,
    }


def overlap_values(spec: Any, key: str | None, a: Event, b: Event) -> dict[str, Any]:
    return {
        "key": key,
        "first": value_of(getattr(a, spec.distinct)),
        "second": value_of(getattr(b, spec.distinct)),
        "first_start": a.start,
        "first_end": a.end,
        "second_start": b.start,
        "second_end": b.end,
    }
