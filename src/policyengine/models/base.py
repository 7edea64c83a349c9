"""Shared pieces of the subject models: the base class, labelled choices, validation.

The value types (money, quantities, dates, ...) are in :mod:`.values` and re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, ValidationError
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ..errors import Location, Problem, RecordError, did_you_mean
from .introspect import field_type_info
from .values import (  # re-exported (__all__): their home before values.py
    MAX_AMOUNT,
    MAX_LIST_ITEMS,
    Count,
    Day,
    Items,
    Money,
    Quantity,
    parse_count,
    parse_date,
    parse_decimal,
    parse_money,
)


class LabelledChoice(StrEnum):
    """A closed set of codes, each with a Chinese label people may also type."""

    __labels__: ClassVar[dict[str, str]]
    __synonyms__: ClassVar[dict[str, str]] = {}

    @classmethod
    def label(cls, code: str, lang: str = "zh") -> str:
        if lang != "zh":
            return str(code)
        return cls.__labels__.get(str(code), str(code))

    @classmethod
    def coerce(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            for code, zh in cls.__labels__.items():
                if text == zh:
                    return code
            return cls.__synonyms__.get(text, text)
        return value

    @classmethod
    def accepted(cls) -> dict[str, str]:
        """Every text :meth:`coerce` turns into a code, and that code: codes, labels, synonyms."""
        codes = [str(m.value) for m in cls]
        labels = {zh: code for code, zh in cls.__labels__.items() if code in codes}
        synonyms = {text: code for text, code in cls.__synonyms__.items() if code in codes}
        # In coerce's order of precedence: a label, else a synonym, else the text as a code.
        meaning = {**{code: code for code in codes}, **synonyms, **labels}
        return {text: meaning[text] for text in [*codes, *labels, *synonyms]}

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """What a record may say (validation mode): the codes, then their Chinese labels and the
        other wordings :meth:`coerce` maps to them, each described as "label(code)" for editors
        (``enumDescriptions``); ``x-labels`` maps each code to its label for programs."""
        json_schema = handler(core_schema)
        if handler.mode != "validation":
            return json_schema
        target = handler.resolve_ref_schema(json_schema)
        accepted = cls.accepted()
        target["enum"] = list(accepted)
        target["enumDescriptions"] = [f"{cls.label(code)}({code})" for code in accepted.values()]
        target["x-labels"] = {str(m.value): cls.label(str(m.value)) for m in cls}
        return json_schema


def choice_labels(labels: dict[str, str], synonyms: dict[str, str] | None = None) -> Any:
    """Decorator: attach the zh labels (and other wordings people use) to a LabelledChoice."""

    def wrap(cls: type[LabelledChoice]) -> type[LabelledChoice]:
        cls.__labels__ = labels
        cls.__synonyms__ = synonyms or {}
        return cls

    return wrap


def field(zh: str, en: str, **kwargs: Any) -> Any:
    """A model field that may be absent: titles in zh (reports, spreadsheets) and en."""
    kwargs.setdefault("default", None)
    return Field(title=zh, description=en, **kwargs)


class Model(BaseModel):
    """Base of every subject model and component.

    Unknown keys are errors; values are immutable once validated so that rules can never
    change a record.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        use_enum_values=False,
        validate_default=False,
    )


def _subject_json_schema(schema: JsonDict, cls: type[Any]) -> None:
    """A subject's schema is titled with its Chinese name, and so is its ``kind`` field (also in
    a plugin's subject kinds, which need not title it)."""
    title = getattr(cls, "kind_title", None)
    if title:
        schema["title"] = title["zh"]
    properties = schema.get("properties")
    kind = properties.get("kind") if isinstance(properties, dict) else None
    if isinstance(kind, dict) and kind.get("title") in (None, "Kind"):
        kind["title"] = "记录类型"
        kind["description"] = "Record kind"


class Subject(Model):
    """A thing the packs evaluate: station, project, organization, community or funding."""

    model_config = ConfigDict(json_schema_extra=_subject_json_schema)

    #: the subject kind, as written in records (`kind: station`) and rules (`subject: station`)
    kind_name: ClassVar[str]
    #: Chinese and English names of the kind
    kind_title: ClassVar[dict[str, str]]

    id: str | None = field("编号", "Identifier")
    name: str | None = field("名称", "Name")


def validation_error_to_record_error(
    exc: ValidationError, model: type[BaseModel], source: str | None = None
) -> RecordError:
    """Turn pydantic's error list into a RecordError naming each field, with suggestions."""
    return RecordError(
        pydantic_problems(exc, model, lambda loc: Location(file=source, path=_loc_text(loc) or None))
    )


def pydantic_problems(
    exc: ValidationError,
    model: type[BaseModel],
    where: Callable[[tuple[Any, ...]], Location],
    code: str = "record",
) -> list[Problem]:
    """One :class:`Problem` per distinct place, with "did you mean" for unknown keys.

    ``where`` maps a pydantic location tuple to a :class:`Location`.
    """
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], int] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        # Union members show up as extra loc steps ("bool", "date", ...): fold them.
        base = _data_loc(loc, model)
        hint = None
        message = err.get("msg", "invalid value")
        etype = err.get("type", "")
        if etype == "extra_forbidden" and loc:
            parent = _model_at(model, loc[:-1])
            key = str(loc[-1])
            if parent is not None:
                known = [f.alias or name for name, f in parent.model_fields.items()]
                suggestion = did_you_mean(key, known)
                hint = (
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"known fields here: {', '.join(known)}"
                )
            message = f"unknown field `{key}`"
        elif etype == "missing":
            message = f"required field `{loc[-1]}` is missing" if loc else "required field missing"
            hint = "add it"
        elif etype == "enum" or etype == "literal_error":
            ctx = err.get("ctx") or {}
            message = f"{_short(err.get('input'))} is not allowed here"
            expected = ctx.get("expected")
            if expected:
                hint = f"use one of {expected}"
        elif etype.startswith("value_error"):
            message = message.removeprefix("Value error, ")
        else:
            message = f"{message} (got {_short(err.get('input'))})"
        if base in seen:
            # Several union members refused the same value: say it once.
            i = seen[base]
            old = problems[i]
            if base != loc:
                problems[i] = Problem(
                    f"invalid value (got {_short(err.get('input'))})",
                    old.location,
                    "expected a number, text, a date, true/false, or a list of them",
                    code,
                )
            continue
        seen[base] = len(problems)
        problems.append(Problem(message, where(base), hint, code))
    return problems


def _data_loc(loc: tuple[Any, ...], model: type[BaseModel]) -> tuple[Any, ...]:
    """Drop the steps pydantic adds for union members (they are not keys in the data)."""
    out: list[Any] = []
    info = field_type_info(model)
    for step in loc:
        step = _date_key(step)
        if info.kind == "model" and info.model is not None:
            fields = {f.alias or n: f for n, f in info.model.model_fields.items()}
            if str(step) in fields:
                out.append(step)
                info = field_type_info(fields[str(step)].annotation)
                continue
            if out and isinstance(step, str) and step not in fields:
                # a union tag or an unknown key: unknown keys keep their name
                out.append(step)
                info = field_type_info(None)
                continue
            out.append(step)
            info = field_type_info(None)
        elif info.kind in ("list", "dict"):
            out.append(step)
            info = info.item or field_type_info(None)
        elif info.kind == "any":
            if isinstance(step, int) or out == [] or not _looks_like_tag(step):
                out.append(step)
        else:
            if not _looks_like_tag(step):
                out.append(step)
    return tuple(out)


_DATE_REPR = re.compile(r"^datetime\.date\((\d+), (\d+), (\d+)\)$")


def _date_key(step: Any) -> Any:
    """Pydantic reports a date dict key as its repr text; turn it back into the date."""
    if isinstance(step, str):
        m = _DATE_REPR.match(step)
        if m:
            return date(*(int(g) for g in m.groups()))
    return step


def _looks_like_tag(step: Any) -> bool:
    return isinstance(step, str) and (
        step in ("bool", "date", "int", "decimal", "str", "float", "function-after", "function-before")
        or step.startswith(("list[", "function-", "json-or-python["))
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        if isinstance(step, date):
            step = step.isoformat()
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that a validation location points into (for field suggestions)."""
    info = field_type_info(model)
    for step in loc:
        if info.kind in ("list", "dict"):
            info = info.item or field_type_info(None)
            continue
        if info.kind != "model" or info.model is None:
            return None
        fields = {f.alias or n: f for n, f in info.model.model_fields.items()}
        fi = fields.get(str(step))
        if fi is None:
            return None
        info = field_type_info(fi.annotation)
    return info.model if info.kind == "model" else None


def check_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise RecordError(
            [Problem(f"{what} must be a mapping of field names to values, got {type(data).__name__}")]
        )
    return data


__all__ = [
    "MAX_AMOUNT",
    "MAX_LIST_ITEMS",
    "Count",
    "Day",
    "Items",
    "LabelledChoice",
    "Model",
    "Money",
    "Quantity",
    "Subject",
    "check_mapping",
    "choice_labels",
    "field",
    "parse_count",
    "parse_date",
    "parse_decimal",
    "parse_money",
    "pydantic_problems",
    "validation_error_to_record_error",
]
