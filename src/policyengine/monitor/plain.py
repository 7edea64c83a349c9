"""The plain-Python monitor backend, and what both backends share: findings, periods, windows.

Event time only: the wall clock never decides a finding. ``until`` is the watermark, the
day through which the log is taken to be complete (inclusive); a window still open after
that day is `unknown`, not `pass` or `fail`.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..lang.functions import add_months
from ..models.events import Event
from ..outcomes import Citation, Outcome
from ..packs.schema import EventFilter, Window
from .spec import CompiledMonitor


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
    key: tuple[tuple[str, str | None], ...] = ()
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
    key: tuple[tuple[str, str | None], ...] = (),
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


def group_key(e: Event, fields: Sequence[str]) -> tuple[tuple[str, str | None], ...]:
    return tuple((f, _value(getattr(e, f))) for f in fields)


def _value(v: Any) -> str | None:
    if v is None:
        return None
    return v.value if hasattr(v, "value") else str(v)


def lacks_fields(
    mon: CompiledMonitor, e: Event, key: tuple[tuple[str, str | None], ...] = (), what: str = ""
) -> MonitorFinding:
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
    mon: CompiledMonitor, events: Sequence[Event], until: date, key: tuple[tuple[str, str | None], ...] = ()
) -> MonitorFinding:
    """`unknown`: the deadline or window runs past the end of the log."""
    return finding(
        mon,
        Outcome.UNKNOWN,
        events,
        {"why_zh": f"截至 {until} 尚未到期", "why_en": f"not over by {until}"},
        key,
    )


def trigger_values(t: Event, key: tuple[tuple[str, str | None], ...], due: date) -> dict[str, Any]:
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


def period_values(
    key: tuple[tuple[str, str | None], ...], label: str, count: int, minimum: int
) -> dict[str, Any]:
    return {"group": "、".join(str(v) for _, v in key), "period": label, "count": count, "min": minimum}


def distinct_values(
    key: tuple[tuple[str, str | None], ...], seen: list[str], maximum: int, lo: date, hi: date
) -> dict[str, Any]:
    return {
        "group": "、".join(str(v) for _, v in key),
        "count": len(seen),
        "max": maximum,
        "values": seen,
        "from": lo,
        "to": hi,
    }


# -- the four kinds ------------------------------------------------------------------------


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    kind = mon.spec.kind
    if kind == "followed_by":
        return followed_by(mon, events, until)
    if kind == "at_least_per_period":
        return at_least_per_period(mon, events, until)
    if kind == "at_most_distinct":
        return at_most_distinct(mon, events, until, params)
    return no_overlap(mon, events)


def followed_by(mon: CompiledMonitor, events: Sequence[Event], until: date) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.trigger and spec.response and spec.within
    out = []
    responses = [e for e in events if matches(e, spec.response)]
    for t in (e for e in events if matches(e, spec.trigger)):
        due = deadline(t.date, spec.within)
        key = group_key(t, spec.match)
        if any(v is None for _, v in key):
            out.append(lacks_fields(mon, t, key))
            continue
        answer = next(
            (
                r
                for r in responses
                if r is not t and t.date <= r.date <= due and group_key(r, spec.match) == key
            ),
            None,
        )
        if answer is not None:
            out.append(finding(mon, Outcome.PASS, [t, answer], trigger_values(t, key, due), key))
        elif due <= until:  # the log is complete through `until`
            out.append(finding(mon, Outcome.FAIL, [t], trigger_values(t, key, due), key))
        else:
            out.append(still_open(mon, [t], until, key))
    return out


def at_least_per_period(mon: CompiledMonitor, events: Sequence[Event], until: date) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.period and spec.min
    groups: dict[tuple[tuple[str, str | None], ...], list[Event]] = defaultdict(list)
    out = []
    for e in events:
        if not matches(e, spec.event):
            continue
        key = group_key(e, spec.group_by)
        if any(v is None for _, v in key):
            out.append(lacks_fields(mon, e, key))
            continue
        groups[key].append(e)
    for key, items in groups.items():
        by_period: dict[str, list[Event]] = defaultdict(list)
        for e in items:
            by_period[period_of(e.date, spec.period)[0]].append(e)
        day = period_of(items[0].date, spec.period)[1]
        while True:
            label, _, last = period_of(day, spec.period)
            if last > until:  # a period is judged once it is over (the log runs through `until`)
                break
            hits = by_period.get(label, [])
            outcome = Outcome.PASS if len(hits) >= spec.min else Outcome.FAIL
            out.append(
                finding(mon, outcome, hits, period_values(key, label, len(hits), spec.min), key, label)
            )
            day = last + timedelta(days=1)
    return out


def at_most_distinct(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.distinct is not None and spec.max is not None
    lo = mon.resolve(spec.during.from_, params) if spec.during else date.min
    hi = mon.resolve(spec.during.to, params) if spec.during else date.max
    groups: dict[tuple[tuple[str, str | None], ...], list[Event]] = defaultdict(list)
    for e in events:
        if matches(e, spec.event) and lo <= e.date <= hi:
            groups[group_key(e, spec.group_by)].append(e)
    out = []
    for key, items in groups.items():
        seen: list[str] = []
        deciding: list[Event] = []
        for e in items:
            v = _value(getattr(e, spec.distinct))
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


def overlap_values(spec: Any, key: str | None, a: Event, b: Event) -> dict[str, Any]:
    return {
        "key": key,
        "first": _value(getattr(a, spec.distinct)),
        "second": _value(getattr(b, spec.distinct)),
        "first_start": a.start,
        "first_end": a.end,
        "second_start": b.start,
        "second_end": b.end,
    }


def no_overlap(mon: CompiledMonitor, events: Sequence[Event]) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.key and spec.distinct
    by_key: dict[str | None, list[Event]] = defaultdict(list)
    out = []
    for e in events:
        if not matches(e, spec.event):
            continue
        if e.start is None or e.end is None or _value(getattr(e, spec.key)) is None:
            out.append(lacks_fields(mon, e, what=f"start/end/{spec.key}"))
            continue
        by_key[_value(getattr(e, spec.key))].append(e)
    for k, items in by_key.items():
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                assert a.start and a.end and b.start and b.end
                if (
                    _value(getattr(a, spec.distinct)) != _value(getattr(b, spec.distinct))
                    and a.start <= b.end
                    and b.start <= a.end
                ):
                    out.append(
                        finding(mon, Outcome.FAIL, [a, b], overlap_values(spec, k, a, b), ((spec.key, k),))
                    )
    return out
