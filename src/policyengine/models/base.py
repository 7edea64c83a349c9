"""Shared pieces of the subject models: the base class, money, labelled choices, validation."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import Location, Problem, RecordError, did_you_mean
from .introspect import field_type_info

#: Most items accepted in any one list of a record (staff, services, ...).
MAX_LIST_ITEMS = 10_000

#: Largest amount accepted anywhere (yuan): one trillion. Anything above is a typing slip.
MAX_AMOUNT = Decimal("1000000000000")

_MONEY_RE = re.compile(
    r"^(?P<sign>-)?\s*[¥￥]?\s*(?P<num>[0-9][0-9,，]*(?:\.[0-9]+)?)\s*(?P<unit>亿元|亿|万元|万|元)?$"
)
_UNITS = {None: 1, "元": 1, "万": 10_000, "万元": 10_000, "亿": 100_000_000, "亿元": 100_000_000}


def parse_money(value: Any) -> Any:
    """Turn what people write for an amount into ``Decimal`` yuan.

    Accepts ints, Decimals, floats (through their shortest text, so 156.3 stays 156.3),
    and strings such as ``"300000"``, ``"300,000"``, ``"30万"``, ``"108.8万元"``, ``"¥1,000"``.
    Refuses NaN, infinities, negative amounts and amounts above :data:`MAX_AMOUNT`.
    """
    if isinstance(value, bool):
        raise ValueError("an amount must be a number, not true/false")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("an amount must be a finite number")
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        m = _MONEY_RE.match(text)
        if not m:
            raise ValueError(f"{value!r} is not an amount; write e.g. 300000, 300,000, 30万 or 108.8万元")
        num = Decimal(m.group("num").replace(",", "").replace("，", ""))
        value = num * _UNITS[m.group("unit")]
        if m.group("sign"):
            value = -value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("an amount must be a finite number")
        if value < 0:
            raise ValueError("an amount cannot be negative")
        if value > MAX_AMOUNT:
            raise ValueError(f"{value} yuan is above the largest accepted amount ({MAX_AMOUNT})")
        return value
    return value


def parse_decimal(value: Any) -> Any:
    """A non-money quantity (area, ratio, hours): exact, finite, not negative."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("expected a finite number")
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("expected a finite number")
        if value < 0:
            raise ValueError("cannot be negative")
        if value > MAX_AMOUNT:
            raise ValueError(f"{value} is implausibly large")
    return value


def parse_count(value: Any) -> Any:
    """A whole number of things: true/false is not a count."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    return value


_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_SLASH_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")


def parse_date(value: Any) -> Any:
    """Dates as ISO ``2022-09-27``, ``2022/9/27`` or ``2022年9月27日``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        m = _CN_DATE.match(text) or _SLASH_DATE.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a real date ({exc})") from None
    return value


Money = Annotated[Decimal, BeforeValidator(parse_money)]
Quantity = Annotated[Decimal, BeforeValidator(parse_decimal)]
Day = Annotated[date, BeforeValidator(parse_date)]
T = TypeVar("T")
#: A list in a record: at most MAX_LIST_ITEMS items, checked before the items are validated.
Items = Annotated[list[T], Field(max_length=MAX_LIST_ITEMS)]
Count = Annotated[int, BeforeValidator(parse_count)]


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


class Subject(Model):
    """A thing the packs evaluate: station, project, organization, community or funding."""

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
