"""The ``correlations:`` section: checks across the records of one batch (``policyengine
assess``), e.g. one member of staff on two projects whose periods overlap.

Each entry is checked at load against its kind's model (unknown or missing fields), against the
subject's model (the list field, the key, the period and the item dates it names must exist and
be of the right type) and against the kind's message placeholders, with file:line:col. The
batch evaluates them (:mod:`policyengine.batch.correlate`); a single record has no batch, so
``evaluate`` never gives a correlation finding.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from .._yaml import YamlMap
from ..errors import Location, Problem, did_you_mean
from ..models.base import pydantic_problems
from ..models.introspect import TypeInfo, field_type_info
from ..outcomes import Citation
from .citations import check_cite, citation
from .merge import Merged
from .reading import PackSourceFile
from .schema import Correlation, CorrelationEntry, NoOverlapCorrelation

#: ``where(*path, value=False)``: the location of a part of the entry being compiled.
Where = Callable[..., Location]


@dataclass(frozen=True)
class CorrelationKind:
    """A kind of correlation: the model of its fields, its message placeholders, and what it
    checks of the subject model beyond the model (the batch runs it by ``name``)."""

    name: str
    spec: type[Correlation]
    placeholders: frozenset[str]
    check: Callable[[Any, type[BaseModel], Where], list[Problem]]


@dataclass(frozen=True)
class CompiledCorrelation:
    """A correlation checked against its kind and subject, with its citation resolved."""

    pack_id: str
    spec: Correlation
    citation: Citation
    kind: CorrelationKind

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def subject(self) -> str:
        return self.spec.subject

    @property
    def severity(self) -> str:
        return self.spec.severity

    @property
    def titles(self) -> Mapping[str, str]:
        t = self.spec.title
        return MappingProxyType({"zh": t.zh, "en": t.en or t.zh})


def field_info(model: type[BaseModel], path: str) -> TypeInfo | None:
    """What the dotted field ``path`` of ``model`` holds, or None if there is no such field."""
    info: TypeInfo | None = None
    current: type[BaseModel] | None = model
    for part in path.split("."):
        fields = current.model_fields if current is not None else {}
        if part not in fields:
            return None
        info = field_type_info(fields[part].annotation)
        current = info.model if info.kind == "model" else None
    return info


def _no_field(model: type[BaseModel], path: str, loc: Location, what: str) -> Problem:
    head, _, last = path.rpartition(".")
    parent = field_info(model, head) if head else None
    names = (parent.model if parent and parent.model else model).model_fields
    suggestion = did_you_mean(last, names)
    return Problem(
        f"{model.__name__} has no field `{path}` ({what})",
        loc,
        f"did you mean `{suggestion}`?" if suggestion else f"fields: {', '.join(names)}",
        "correlation",
    )


def _check_no_overlap(spec: NoOverlapCorrelation, model: type[BaseModel], where: Where) -> list[Problem]:
    """``items`` is a list of models, ``key`` a field of its items, ``period`` a field with
    ``start`` and ``end`` days, ``item_period`` days of the items; one of them gives a start."""
    out: list[Problem] = []
    items = field_info(model, spec.items)
    item_model: type[BaseModel] | None = None
    if items is None:
        out.append(_no_field(model, spec.items, where("items", value=True), "a list"))
    elif items.kind != "list" or items.item is None or items.item.model is None:
        out.append(
            Problem(
                f"`{spec.items}` is {items.describe()}, not a list of items with fields",
                where("items", value=True),
                "name a list field of the record, e.g. staff",
                "correlation",
            )
        )
    else:
        item_model = items.item.model
    if item_model is not None:
        key = field_info(item_model, spec.key)
        if key is None:
            out.append(_no_field(item_model, spec.key, where("key", value=True), "the key"))
        elif key.kind not in ("string", "number"):
            out.append(
                _wrong(f"`{spec.key}` is {key.describe()}", where("key", value=True), "text or a number")
            )
        dates = spec.item_period
        for end in ("start", "end"):
            name = getattr(dates, end) if dates is not None else None
            if name is not None:
                out += _date_field(item_model, name, where("item_period", end, value=True))
    if spec.period is not None:
        period = field_info(model, spec.period)
        if period is None:
            out.append(_no_field(model, spec.period, where("period", value=True), "a period"))
        elif period.model is None or not {"start", "end"} <= set(period.model.model_fields):
            out.append(
                _wrong(f"`{spec.period}` is {period.describe()}", where("period", value=True), "a period")
            )
    elif spec.item_period is None or spec.item_period.start is None:
        out.append(
            Problem(
                "a `no_overlap` correlation needs `period` or `item_period.start` (when each item starts)",
                where(),
                "e.g. period: period (the record's) or item_period: {start: joined, end: left}",
                "correlation",
            )
        )
    return out


def _date_field(model: type[BaseModel], name: str, loc: Location) -> list[Problem]:
    info = field_info(model, name)
    if info is None:
        return [_no_field(model, name, loc, "a date")]
    if info.kind != "date":
        return [_wrong(f"`{name}` is {info.describe()}", loc, "a date")]
    return []


def _wrong(message: str, loc: Location, wanted: str) -> Problem:
    return Problem(f"{message}, not {wanted}", loc, None, "correlation")


NO_OVERLAP = CorrelationKind(
    "no_overlap",
    NoOverlapCorrelation,
    frozenset({"key", "record", "other", "overlap", "overlap_start", "overlap_end"}),
    _check_no_overlap,
)

#: The kinds a ``correlations:`` entry may give (the batch has an evaluator for each).
KINDS: Mapping[str, CorrelationKind] = MappingProxyType({k.name: k for k in (NO_OVERLAP,)})


def compile_correlations(
    merged: Merged, subjects: Mapping[str, type[BaseModel]]
) -> list[CompiledCorrelation]:
    """Every correlation without problems; the problems of the others go to ``merged.problems``."""
    out: list[CompiledCorrelation] = []
    taken = {**{r: "rule" for r in merged.rules}, **{m: "monitor" for m in merged.monitors}}
    for entry, src, i in merged.correlations.values():

        def where(*path: Any, value: bool = False, _src: PackSourceFile = src, _i: int = i) -> Location:
            return _src.location(("correlations", _i, *path), value=value)

        found = check_cite(entry.cite, src, ("correlations", i, "cite"), merged.sources)
        if entry.id in taken:
            found.append(
                Problem(
                    f"`{entry.id}` is already the id of a {taken[entry.id]}",
                    where("id", value=True),
                    "findings are named by id: give the correlation its own",
                    "duplicate",
                )
            )
        spec, kind, problems = _validate(entry, src, i, subjects, where)
        found += problems
        if found or spec is None or kind is None:
            merged.problems.extend(found)
            continue
        out.append(CompiledCorrelation(merged.pack_id, spec, citation(entry.cite, src, merged.sources), kind))
    return out


def _validate(
    entry: Correlation, src: PackSourceFile, i: int, subjects: Mapping[str, type[BaseModel]], where: Where
) -> tuple[Correlation | None, CorrelationKind | None, list[Problem]]:
    """The entry as its kind's model, checked against its subject and its placeholders."""
    kind = KINDS.get(entry.kind)
    if kind is None:
        suggestion = did_you_mean(entry.kind, KINDS)
        hint = f"did you mean `{suggestion}`?" if suggestion else f"use one of {', '.join(sorted(KINDS))}"
        problem = Problem(
            f"unknown correlation kind `{entry.kind}`", where("kind", value=True), hint, "correlation"
        )
        return None, None, [problem]
    problems = _placeholders(entry, kind, where)
    model = subjects.get(entry.subject)
    if model is None:
        suggestion = did_you_mean(entry.subject, subjects)
        problems.append(
            Problem(
                f"unknown subject `{entry.subject}`",
                where("subject", value=True),
                f"did you mean `{suggestion}`?"
                if suggestion
                else f"use one of {', '.join(sorted(subjects))}",
                "unknown-subject",
            )
        )
    raw = _raw(src, i, entry)
    try:
        spec = kind.spec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err.get("loc", ()))
            if err.get("type") == "missing" and len(loc) == 1:
                problems.append(
                    Problem(f"a `{kind.name}` correlation needs `{loc[0]}`", where(), None, "correlation")
                )
        problems += [
            p
            for p in pydantic_problems(exc, kind.spec, lambda loc: where(*loc), code="correlation")
            if not p.message.startswith("required field")
        ]
        return None, kind, problems
    if model is not None:
        problems += kind.check(spec, model, where)
    return spec, kind, problems


def _raw(src: PackSourceFile, i: int, entry: Correlation) -> Any:
    raw = src.data.get("correlations") if isinstance(src.data, YamlMap) else None
    if isinstance(raw, list) and i < len(raw) and isinstance(raw[i], dict):
        return raw[i]
    assert isinstance(entry, CorrelationEntry)
    return entry.model_dump(by_alias=True)


def _placeholders(entry: Correlation, kind: CorrelationKind, where: Where) -> list[Problem]:
    """Messages use only ``{name}`` placeholders of the kind (``{{`` and ``}}`` are braces)."""
    out: list[Problem] = []
    hint = f"use {', '.join('{' + p + '}' for p in sorted(kind.placeholders))}"
    for lang in ("zh", "en"):
        text = getattr(entry.message, lang) or ""
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:
            out.append(
                Problem(
                    f"message ({lang}): {exc}", where("message"), "write {{ and }} for braces", "correlation"
                )
            )
            continue
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in kind.placeholders or spec or conversion:
                shown = (
                    "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                )
                out.append(
                    Problem(
                        f"`{shown}` is not available in a {kind.name} message",
                        where("message"),
                        hint,
                        "correlation",
                    )
                )
    return out
