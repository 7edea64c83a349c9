"""Events: what happened, when, to whom. Read from JSON Lines, CSV or Python iterables."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from ..errors import Location, Problem, RecordError
from ..models.base import Day, LabelledChoice, Model, choice_labels, field, validation_error_to_record_error


@choice_labels(
    {
        "staff_joined": "入职",
        "staff_notice": "提出离职",
        "staff_left": "离职",
        "staff_filed": "人员变动备案",
        "assignment": "项目派驻",
        "visit": "探访",
        "monitoring": "月度监测",
        "scheduling": "季度调度",
        "evaluation": "评估",
        "report": "报告",
        "payment": "拨款",
    }
)
class EventType(LabelledChoice):
    """Kinds of event the monitors understand."""

    staff_joined = "staff_joined"
    staff_notice = "staff_notice"
    staff_left = "staff_left"
    staff_filed = "staff_filed"
    assignment = "assignment"
    visit = "visit"
    monitoring = "monitoring"
    scheduling = "scheduling"
    evaluation = "evaluation"
    report = "report"
    payment = "payment"


class Event(Model):
    """One dated event. Which fields matter depends on the type."""

    type: Annotated[EventType, BeforeValidator(EventType.coerce)] = Field(
        title="事件类型", description="Event type"
    )
    date: Day = Field(title="日期", description="When it happened (event time)")
    id: str | None = field("事件编号", "Event identifier (made up from the position if absent)")
    station: str | None = field("社工站编号", "Station id")
    project: str | None = field("项目编号", "Project id")
    staff: str | None = field("人员编号", "Staff member id")
    person: str | None = field("服务对象编号", "Person served (e.g. the elder visited)")
    region: str | None = field("地区", "County or city")
    start: Day | None = field("开始日期", "For assignments: first day")
    end: Day | None = field("结束日期", "For assignments: last day")
    note: str | None = field("备注", "Free text")


EVENT_FIELDS = tuple(n for n in Event.model_fields)


def parse_events(items: Iterable[Mapping[str, Any] | Event], source: str = "<events>") -> list[Event]:
    """Validate events; every bad one is reported (with its line) in one RecordError."""
    events: list[Event] = []
    problems: list[Problem] = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, Event):
            event = item
        else:
            try:
                event = Event.model_validate(dict(item))
            except ValidationError as exc:
                for p in validation_error_to_record_error(exc, Event, source).problems:
                    loc = p.location
                    problems.append(
                        Problem(
                            p.message, Location(source, n, path=loc.path if loc else None), p.hint, "event"
                        )
                    )
                continue
            except (TypeError, ValueError):
                problems.append(Problem("an event must be a mapping", Location(source, n), None, "event"))
                continue
        events.append(event)
    if problems:
        raise RecordError(problems)
    return _with_ids(events)


def _with_ids(events: list[Event]) -> list[Event]:
    """Give events without an id one made from their content, so that it does not depend on
    their position: identical events are numbered in order (they are interchangeable)."""
    import hashlib

    seen: dict[str, int] = {}
    out = []
    for e in events:
        if e.id is None:
            digest = hashlib.sha1(e.model_dump_json(exclude={"id"}).encode()).hexdigest()[:10]
            n = seen.get(digest, 0)
            seen[digest] = n + 1
            e = e.model_copy(
                update={"id": f"{e.type.value}-{e.date.isoformat()}-{digest}" + (f"-{n}" if n else "")}
            )
        out.append(e)
    return out


def ordered(events: Iterable[Event]) -> list[Event]:
    """By event time, ties by event id: any feed order gives the same sequence."""
    return sorted(events, key=lambda e: (e.date, e.id or ""))


def read_events(path: Path) -> list[Event]:
    """Events from .jsonl or .csv (headers: field names or their Chinese titles)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
    if suffix == ".jsonl":
        rows: list[dict[str, Any]] = []
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise RecordError(
                            [
                                Problem(
                                    f"not valid JSON: {exc.msg}",
                                    Location(str(path), n),
                                    "each line must be one JSON object",
                                    "input",
                                )
                            ]
                        ) from None
        return parse_events(rows, path.name)
    if suffix == ".csv":
        titles = {fi.title: name for name, fi in Event.model_fields.items()}
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [{titles.get(k, k): v for k, v in r.items() if v not in (None, "")} for r in reader]
        return parse_events(rows, path.name)
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


def iter_days(events: list[Event]) -> Iterator[tuple[Any, list[Event]]]:
    """Events grouped by day, in order."""
    day = None
    batch: list[Event] = []
    for e in events:
        if day is not None and e.date != day:
            yield day, batch
            batch = []
        day = e.date
        batch.append(e)
    if batch:
        yield day, batch
