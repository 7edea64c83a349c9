"""Event models: what happened, when, to whom. Monitors read logs of these (``monitor/``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import Location, Problem, RecordError
from .base import LabelledChoice, Model, choice_labels, field, validation_error_to_record_error
from .values import Day


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
        "enrolled": "纳入名册",
        "withdrawn": "移出名册",
        "governance_meeting": "社区治理工作推进会",
        "supervision": "督导",
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
    enrolled = "enrolled"
    withdrawn = "withdrawn"
    governance_meeting = "governance_meeting"
    supervision = "supervision"


class Event(Model):
    """One dated event. Which fields matter depends on the type."""

    model_config = ConfigDict(json_schema_extra={"title": "事件"})

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
    their position. Identical events get the same id: a run counts them once and reports the
    copies (:func:`policyengine.monitor.events.screen`)."""
    out = []
    for e in events:
        if e.id is None:
            digest = hashlib.sha1(e.model_dump_json(exclude={"id"}).encode()).hexdigest()[:10]
            e = e.model_copy(update={"id": f"{e.type.value}-{e.date.isoformat()}-{digest}"})
        out.append(e)
    return out
