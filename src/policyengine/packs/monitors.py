"""The ``monitors:`` section of a pack: each monitor checked at load, compiled with its citation,
and its dates resolved against parameters at run time."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from .._yaml import YamlMap
from ..errors import Location, Problem, did_you_mean
from ..models.base import pydantic_problems
from ..models.events import EVENT_FIELDS, EventType
from ..outcomes import Citation
from .citations import check_cite, citation
from .merge import Merged
from .reading import PackSourceFile
from .schema import During, EventFilter, Monitor, MonitorEntry, Window

_FIELD = re.compile(r"\{(\w+)\}")


class MonitorKindSpec(Protocol):
    """What the pack format needs of a monitor kind (``policyengine.monitor.MonitorKind``
    provides it, and how the kind runs)."""

    @property
    def name(self) -> str: ...
    @property
    def spec(self) -> type[Monitor]: ...
    @property
    def placeholders(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class CompiledMonitor:
    """A monitor checked against its kind's model; ``kind`` is the kind it runs as."""

    pack_id: str
    spec: Monitor
    citation: Citation
    kind: MonitorKindSpec

    @property
    def id(self) -> str:
        return self.spec.id

    def resolve(self, value: date | str, params: Mapping[str, Any]) -> date:
        if isinstance(value, date):
            return value
        return params[value.removeprefix("param.")]  # type: ignore[no-any-return]


def compile_monitors(merged: Merged, kinds: Mapping[str, MonitorKindSpec]) -> list[CompiledMonitor]:
    """Every monitor without problems; the problems of the others go to ``merged.problems``."""
    out: list[CompiledMonitor] = []
    for entry, src, i in merged.monitors.values():

        def where(*path: Any, _src: PackSourceFile = src, _i: int = i) -> Location:
            return _src.location(("monitors", _i, *path))

        kind = kinds.get(entry.kind)
        if kind is None:
            suggestion = did_you_mean(entry.kind, kinds)
            merged.problems.append(
                Problem(
                    f"unknown monitor kind `{entry.kind}`",
                    src.location(("monitors", i, "kind"), value=True),
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"use one of {', '.join(sorted(kinds))}",
                    "monitor",
                )
            )
            continue
        assert isinstance(entry, MonitorEntry)  # how pack files are read
        spec, found = _validate(entry, kind, src, i, where)
        found += check_monitor(spec, kind, merged.params, where)
        found += check_cite(entry.cite, src, ("monitors", i, "cite"), merged.sources)
        if found:
            merged.problems.extend(found)
            continue
        out.append(CompiledMonitor(merged.pack_id, spec, citation(entry.cite, src, merged.sources), kind))
    return out


def _validate(
    entry: MonitorEntry, kind: MonitorKindSpec, src: PackSourceFile, i: int, where: Any
) -> tuple[Monitor, list[Problem]]:
    """The entry as the kind's model; a missing field reads "a `kind` monitor needs `field`".

    When the entry does not validate, the spec returned holds the fields that do, so that the
    checks after this one still report everything else wrong with it.
    """
    raw = src.data["monitors"][i] if _has_raw(src, i) else entry.model_dump(by_alias=True)
    try:
        return kind.spec.model_validate(raw), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err.get("loc", ()))
            if err.get("type") == "missing" and len(loc) == 1:
                problems.append(
                    Problem(f"a `{kind.name}` monitor needs `{loc[0]}`", where(), None, "monitor")
                )
        rest = [
            p
            for p in pydantic_problems(exc, kind.spec, lambda loc: where(*loc), code="monitor")
            if not p.message.startswith("required field")
        ]
        return _partial(kind.spec, entry, raw), problems + rest


def _partial(model: type[Monitor], entry: MonitorEntry, raw: Mapping[str, Any]) -> Monitor:
    """An unvalidated ``model``: the common fields as read, and those of the kind's own fields
    that validate on their own."""
    good: dict[str, Any] = {name: getattr(entry, name) for name in Monitor.model_fields}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if name not in good and key in raw:
            with contextlib.suppress(ValidationError):
                good[name] = TypeAdapter(info.annotation).validate_python(raw[key])
    return model.model_construct(**good)


def _has_raw(src: PackSourceFile, i: int) -> bool:
    raw = src.data.get("monitors") if isinstance(src.data, YamlMap) else None
    return isinstance(raw, list) and i < len(raw) and isinstance(raw[i], dict)


def check_monitor(m: Monitor, kind: MonitorKindSpec, params: Mapping[str, Any], where: Any) -> list[Problem]:
    """What the kind's model cannot say: event types and fields exist, ``within`` has one
    unit, ``during`` names parameters, messages use only the kind's placeholders.
    ``where(*path)`` gives a Location."""
    out: list[Problem] = []
    filters: list[tuple[str, EventFilter]] = [
        (n, f) for n in ("event", "trigger", "response") if isinstance(f := getattr(m, n, None), EventFilter)
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
    match: list[str] = getattr(m, "match", [])
    for key in (*match, *getattr(m, "group_by", [])):
        out.extend(_field(key, where("match" if key in match else "group_by")))
    for name in ("distinct", "key"):
        value = getattr(m, name, None)
        if isinstance(value, str):
            out.extend(_field(value, where(name)))
    within = getattr(m, "within", None)
    if isinstance(within, Window) and (within.days is None) == (within.months is None):
        out.append(
            Problem("`within` takes exactly one of `days` and `months`", where("within"), None, "monitor")
        )
    during = getattr(m, "during", None)
    if isinstance(during, During):
        for end in (during.from_, during.to):
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
            if name not in kind.placeholders:
                out.append(
                    Problem(
                        f"`{{{name}}}` is not available in a {m.kind} message",
                        where("message"),
                        f"use {', '.join(sorted(kind.placeholders))}",
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
