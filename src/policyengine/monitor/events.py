"""Event logs: read from JSON Lines, CSV or Python iterables, put in event-time order.

The event models themselves live with the other models (:mod:`policyengine.models.events`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .._csv import BadRecord, csv_records
from ..errors import Location, Problem, RecordError
from ..models.events import EVENT_FIELDS, Event, EventType, parse_events

__all__ = [
    "EVENT_FIELDS",
    "Event",
    "EventType",
    "SetAside",
    "ordered",
    "parse_events",
    "read_events",
    "screen",
]

#: How far from the bulk of a log an event's date may lie before it is taken for a typing
#: mistake (9023 for 2023): five years either side of the log's median date, or of the window.
PLAUSIBLE_YEARS = 5


@dataclass(frozen=True)
class SetAside:
    """An event left out of a run, and why (never silently): a ``duplicate`` of an earlier
    event, an ``id_conflict`` (an earlier event has its id and other content), or an
    ``implausible_date``."""

    event: Event
    kind: str
    reason: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event.id,
            "date": self.event.date.isoformat(),
            "kind": self.kind,
            "reason": dict(self.reason),
        }


def screen(
    events: Sequence[Event],
    *,
    start: date | None = None,
    until: date | None = None,
    plausible_years: int = PLAUSIBLE_YEARS,
) -> tuple[list[Event], list[SetAside]]:
    """The events a run uses, in order, and those it sets aside.

    - **duplicates**: an event with the same content as an earlier one (every field, the id
      included, or both without an id) is used once; each further copy is set aside. Two
      visits on one day to one elder must differ in something (an id, a note) to count twice.
    - **id conflicts**: an event whose id an earlier event already has, with other content, is
      set aside (the backends key events by id).
    - **implausible dates**: more than ``plausible_years`` before the window start (or, without
      one, the log's median date), or — when ``until`` is not given — after the median by more
      than that. Such a date (9023 for 2023) would otherwise stretch the default ``until``.
    """
    kept: list[Event] = []
    aside: list[SetAside] = []
    by_id: dict[str, Event] = {}
    for e in events:
        first = by_id.get(str(e.id))
        if first is None:
            by_id[str(e.id)] = e
            kept.append(e)
        elif first == e:
            aside.append(SetAside(e, "duplicate", _words("duplicate", e)))
        else:
            aside.append(SetAside(e, "id_conflict", _words("id_conflict", e)))
    if not kept:
        return kept, aside
    days = sorted(e.date for e in kept)
    centre = start or days[len(days) // 2]
    span = timedelta(days=round(365.25 * plausible_years))
    lo = _shift(centre, -span)
    hi = None if until is not None else _shift(days[len(days) // 2], span)
    plausible = []
    for e in kept:
        if e.date < lo or (hi is not None and e.date > hi):
            aside.append(SetAside(e, "implausible_date", _words("implausible_date", e, lo, hi)))
        else:
            plausible.append(e)
    return plausible, aside


def _shift(day: date, by: timedelta) -> date:
    try:
        return day + by
    except OverflowError:
        return date.max if by.days > 0 else date.min


def _words(kind: str, e: Event, lo: date | None = None, hi: date | None = None) -> dict[str, str]:
    if kind == "duplicate":
        return {
            "zh": f"与前面的事件 {e.id} 完全相同,只计一次",
            "en": f"the same as an earlier event {e.id}: counted once",
        }
    if kind == "id_conflict":
        return {
            "zh": f"事件编号 {e.id} 已被前面内容不同的事件使用,此条未使用;请改用唯一编号",
            "en": f"event id {e.id} is already used by an earlier event with other content; "
            "not used: give unique ids",
        }
    span = f"{lo} – {hi or '…'}"
    return {
        "zh": f"日期 {e.date} 不在可信范围 {span} 内(可能是录入错误),此条未使用",
        "en": f"date {e.date} is outside the plausible range {span} (a typing mistake?); not used",
    }


def ordered(events: Iterable[Event]) -> list[Event]:
    """By event time, ties by event id: any feed order gives the same sequence."""
    return sorted(events, key=lambda e: (e.date, e.id or ""))


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8-sig", errors="surrogateescape") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                why = exc.msg
            except RecursionError:
                why = "nested too deeply"
            except ValueError as exc:  # an integer of more digits than Python converts
                why = str(exc)[:200]
            else:
                continue
            raise RecordError(
                [
                    Problem(
                        f"not valid JSON: {why}",
                        Location(str(path), n),
                        "each line must be one JSON object",
                        "input",
                    )
                ]
            )
    return rows


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    """Rows as the ledger reader reads CSV (:mod:`policyengine._csv`: the whole file's
    encoding, UTF-8 or GB18030; each record with its line; a broken record named by it)."""
    titles = {fi.title: name for name, fi in Event.model_fields.items()}
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, cells in csv_records(path):
        if isinstance(cells, BadRecord):
            problems.append(Problem(f"{cells.zh} / {cells.en}", Location(str(path), n), None, "input"))
        elif header is None:
            header = [titles.get(h.strip(), h.strip()) for h in cells]
        elif any(c.strip() for c in cells):
            rows.append({k: v for k, v in zip(header, cells, strict=False) if v not in (None, "")})
    if problems:
        raise RecordError(problems)
    return rows


def read_events(path: Path) -> list[Event]:
    """Events from .jsonl or .csv (headers: field names or their Chinese titles)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
    if suffix == ".jsonl":
        return parse_events(_jsonl_rows(path), path.name)
    if suffix == ".csv":
        return parse_events(_csv_rows(path), path.name)
    raise RecordError(
        [
            Problem(
                f"cannot read {suffix or 'this kind of'} event files",
                Location(str(path)),
                "give .jsonl or .csv",
                "input",
            )
        ]
    )
