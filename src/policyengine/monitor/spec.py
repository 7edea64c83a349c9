"""Monitors as loaded from packs: checked at load, resolved against parameters at run time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import Problem, did_you_mean
from ..models.events import EVENT_FIELDS, EventType
from ..outcomes import Citation
from ..packs.schema import EventFilter, Monitor

#: What each kind needs.
REQUIRED = {
    "followed_by": ("trigger", "response", "within"),
    "at_least_per_period": ("event", "period", "min"),
    "at_most_distinct": ("event", "distinct", "max"),
    "no_overlap": ("event", "key", "distinct"),
}
#: Placeholders a message may use, per kind.
PLACEHOLDERS = {
    "followed_by": {"staff", "station", "project", "person", "date", "deadline", "type"},
    "at_least_per_period": {"group", "period", "count", "min"},
    "at_most_distinct": {"group", "count", "max", "values", "from", "to"},
    "no_overlap": {"key", "first", "second", "first_start", "first_end", "second_start", "second_end"},
}
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class CompiledMonitor:
    pack_id: str
    spec: Monitor
    citation: Citation

    @property
    def id(self) -> str:
        return self.spec.id

    def resolve(self, value: date | str, params: Mapping[str, Any]) -> date:
        if isinstance(value, date):
            return value
        return params[value.removeprefix("param.")]  # type: ignore[no-any-return]


def check_monitor(m: Monitor, params: Mapping[str, Any], where: Any) -> list[Problem]:
    """Everything wrong with one monitor spec; ``where(*path)`` gives a Location."""
    out: list[Problem] = []
    for name in REQUIRED[m.kind]:
        if getattr(m, name) is None:
            out.append(Problem(f"a `{m.kind}` monitor needs `{name}`", where(), None, "monitor"))
    filters: list[tuple[str, EventFilter]] = [
        (n, f) for n in ("event", "trigger", "response") if (f := getattr(m, n)) is not None
    ]
    for name, f in filters:
        if f.type not in EventType.__members__:
            suggestion = did_you_mean(f.type, EventType.__members__)
            out.append(
                Problem(
                    f"unknown event type `{f.type}`",
                    where(name, "type"),
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"use one of {', '.join(EventType.__members__)}",
                    "monitor",
                )
            )
        for key in f.where:
            out.extend(_field(key, where(name, "where", key)))
    for key in (*m.match, *m.group_by):
        out.extend(_field(key, where("match" if key in m.match else "group_by")))
    for name in ("distinct", "key"):
        value = getattr(m, name)
        if value is not None:
            out.extend(_field(value, where(name)))
    if m.within is not None and (m.within.days is None) == (m.within.months is None):
        out.append(
            Problem("`within` takes exactly one of `days` and `months`", where("within"), None, "monitor")
        )
    if m.during is not None:
        for end in (m.during.from_, m.during.to):
            if isinstance(end, str):
                name = end.removeprefix("param.")
                if not end.startswith("param.") or name not in params:
                    suggestion = did_you_mean(name, params)
                    out.append(
                        Problem(
                            f"`{end}` is neither a date nor a parameter of this pack",
                            where("during"),
                            f"did you mean `param.{suggestion}`?"
                            if suggestion
                            else "write a date (2022-09-27) or param.name",
                            "monitor",
                        )
                    )
    for lang_text in (m.message.zh, m.message.en or ""):
        for name in _FIELD.findall(lang_text):
            if name not in PLACEHOLDERS[m.kind]:
                out.append(
                    Problem(
                        f"`{{{name}}}` is not available in a {m.kind} message",
                        where("message"),
                        f"use {', '.join(sorted(PLACEHOLDERS[m.kind]))}",
                        "monitor",
                    )
                )
    return out


def _field(name: str, loc: Any) -> list[Problem]:
    if name in EVENT_FIELDS:
        return []
    suggestion = did_you_mean(name, EVENT_FIELDS)
    return [
        Problem(
            f"events have no field `{name}`",
            loc,
            f"did you mean `{suggestion}`?" if suggestion else f"fields: {', '.join(EVENT_FIELDS)}",
            "monitor",
        )
    ]
