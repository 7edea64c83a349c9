"""What a model field holds, in the condition language's terms.

The condition checker and the spreadsheet readers both need to know, for a field path,
whether it is a number, a date, a list of staff members, a closed set of codes, ...
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class TypeInfo:
    """A field's type reduced to what conditions care about."""

    kind: str  # number | string | bool | date | list | dict | model | any
    model: type[BaseModel] | None = None
    item: TypeInfo | None = None
    choices: tuple[str, ...] | None = None
    enum: type[Enum] | None = None

    def describe(self) -> str:
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item.describe()}"
        if self.kind == "model" and self.model is not None:
            return self.model.__name__
        if self.choices:
            return "one of " + ", ".join(f'"{c}"' for c in self.choices)
        return self.kind


ANY = TypeInfo("any")
NUMBER = TypeInfo("number")
STRING = TypeInfo("string")
BOOL = TypeInfo("bool")
DATE = TypeInfo("date")
NULL = TypeInfo("null")


def _strip(annotation: Any) -> Any:
    """Remove Optional/Annotated wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def field_type_info(annotation: Any) -> TypeInfo:
    ann = _strip(annotation)
    origin = typing.get_origin(ann)
    if origin is dict:
        args = typing.get_args(ann)
        return TypeInfo("dict", item=field_type_info(args[1]) if len(args) == 2 else ANY)
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(ann)
        return TypeInfo("list", item=field_type_info(args[0]) if args else ANY)
    if origin is typing.Literal:
        values = tuple(str(v) for v in typing.get_args(ann))
        return TypeInfo("string", choices=values)
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return TypeInfo("model", model=ann)
        if issubclass(ann, Enum):
            return TypeInfo("string", choices=tuple(str(m.value) for m in ann), enum=ann)
        if issubclass(ann, bool):
            return BOOL
        if issubclass(ann, (int, float, Decimal)):
            return NUMBER
        if issubclass(ann, str):
            return STRING
        if issubclass(ann, date):
            return DATE
    return ANY


@functools.lru_cache(maxsize=4096)
def titled_path(model: type[BaseModel], path: str) -> str:
    """A field path as people read it, by the fields' Chinese titles joined with ``/`` as the
    spreadsheet headers are (``community.site.area_m2`` → ``试点社区/场地/服务面积(平方米)``,
    ``staff[].certification`` → ``项目社工/职业水平证书``, ``staff[2].id`` → ``项目社工(第3项)/人员编号``).
    A step the model does not know
    (a parameter, a plugin's field) is kept as written."""
    out: list[str] = []
    current: type[BaseModel] | None = model
    for step in path.split("."):
        name, _, index = step.removesuffix("]").partition("[")
        fi = current.model_fields.get(name) if current is not None else None
        if fi is None:
            out.append(step)
            current = None
            continue
        out.append((fi.title or name) + (f"(第{int(index) + 1}项)" if index.isdigit() else ""))
        info = field_type_info(fi.annotation)
        while info.kind == "list" and info.item is not None:
            info = info.item
        current = info.model if info.kind == "model" else None
    return "/".join(out)
