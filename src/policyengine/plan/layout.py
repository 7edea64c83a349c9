"""The tables a plan reads: a subject model's fields as columns, each list field as a table.

One row of ``records`` per record, with a column per field path the plan's rules read
(``site.area_m2``, ``operator.governance.financial_system``). Each list field the rules
quantify over is a child table (``staff``, ``operator__staff``, ``budget__lines``, and a list
inside a list's items, ``budget__lines__lines``), one row per item, keyed by ``_key`` (the
item), ``_parent`` (the row of the table holding the list) and ``_root`` (the record's row
in ``records``). A list of plain values (``systems``, ``channels``) has its values in the
column ``value``.

Absent is NULL: a column is NULL when the record does not give the field or any model on
the way to it. A list's length is a column of the table holding it, named ``staff[]``: NULL
when the list is absent, 0 when it is empty, so that ``count`` over an absent list is
unknown and over an empty one is 0.

The layout grows as the compiler asks for paths: only what the rules read is loaded.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ..models.introspect import TypeInfo, field_type_info

#: Every number a record holds fits: at most 13 digits before the point and 15 after.
DECIMAL_TYPE = "DECIMAL(28,15)"
#: The digits a stored number may have: (before the point, after it).
DECIMAL_DIGITS = (13, 15)
#: Counts are whole numbers up to 10^12.
COUNT_DIGITS = (13, 0)

#: Lists inside lists' items deeper than this are left to the row engine.
MAX_LIST_DEPTH = 3

RECORDS = "records"


class NotInPlan(Exception):
    """A condition the plan cannot express; the message says why (the rule runs in rows)."""


@dataclass(frozen=True)
class Column:
    """One column: its name in its table, the field steps from the table's item, its kind."""

    name: str
    steps: tuple[str, ...]
    kind: str  # bool | string | date | int | decimal | length
    sql_type: str

    @property
    def digits(self) -> tuple[int, int] | None:
        if self.kind == "decimal":
            return DECIMAL_DIGITS
        if self.kind in ("int", "length"):
            return COUNT_DIGITS
        return None


@dataclass
class Table:
    """``records`` or a list field's table."""

    name: str
    path: str  # as rules read it: "staff", "budget.lines[].lines"
    steps: tuple[str, ...]  # from the parent table's item to the list
    parent: Table | None
    model: type[BaseModel] | None  # the item's model; None: plain values (column `value`)
    item: TypeInfo
    columns: dict[str, Column] = field(default_factory=dict)
    lists: dict[tuple[str, ...], Table] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def root(self) -> Table:
        return self if self.parent is None else self.parent.root

    def length_column(self) -> str:
        """The name of this list's length column in its parent table."""
        return ".".join(self.steps) + "[]"


def _scalar_kind(info: TypeInfo, annotation: Any) -> tuple[str, str] | None:
    if info.kind == "bool":
        return "bool", "BOOLEAN"
    if info.kind == "string":
        return "string", "VARCHAR"
    if info.kind == "date":
        return "date", "DATE"
    if info.kind == "number":
        return ("int", "BIGINT") if _is_int(annotation) else ("decimal", DECIMAL_TYPE)
    return None


def _is_int(annotation: Any) -> bool:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is not None:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return False
            annotation = args[0]
        else:
            return isinstance(annotation, type) and issubclass(annotation, int) and annotation is not bool


class Layout:
    """The tables of one subject kind, as far as the plan's rules read them."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model
        self.records = Table(RECORDS, "", (), None, model, TypeInfo("model", model=model))
        self.tables: dict[str, Table] = {RECORDS: self.records}

    def resolve(self, table: Table, steps: tuple[str, ...]) -> Column | Table:
        """The column or the list table ``steps`` names from an item of ``table``.

        Raises :class:`NotInPlan` for what has no column (a whole model, a mapping)."""
        if not steps:
            if table.model is None:  # the item is a plain value
                return self._column(table, (), "value", table.item, None)
            raise NotInPlan(f"a whole {table.item.describe()} is used as a value")
        model = table.model
        annotation: Any = None
        info = table.item
        for i, step in enumerate(steps):
            if info.kind != "model" or model is None or step not in model.model_fields:
                raise NotInPlan(f"`{'.'.join(steps)}` has no column")
            annotation = model.model_fields[step].annotation
            info = field_type_info(annotation)
            if info.kind == "list":
                if i != len(steps) - 1:
                    raise NotInPlan(f"`{'.'.join(steps[: i + 1])}` is a list")
                return self._list(table, steps, info)
            model = info.model if info.kind == "model" else None
        if info.kind == "model":
            raise NotInPlan(f"`{'.'.join(steps)}` is a whole {info.describe()}, not a value")
        return self._column(table, steps, ".".join(steps), info, annotation)

    def length(self, table: Table) -> Column:
        """The length column of a list table, in its parent table."""
        assert table.parent is not None
        name = table.length_column()
        column = table.parent.columns.get(name)
        if column is None:
            column = table.parent.columns[name] = Column(name, table.steps, "length", "BIGINT")
        return column

    def _column(
        self, table: Table, steps: tuple[str, ...], name: str, info: TypeInfo, annotation: Any
    ) -> Column:
        column = table.columns.get(name)
        if column is not None:
            return column
        kind = _scalar_kind(info, annotation if annotation is not None else _item_annotation(table))
        if kind is None:
            raise NotInPlan(f"`{name}` holds a {info.describe()}, which has no SQL column")
        column = table.columns[name] = Column(name, steps, kind[0], kind[1])
        return column

    def _list(self, table: Table, steps: tuple[str, ...], info: TypeInfo) -> Table:
        existing = table.lists.get(steps)
        if existing is not None:
            return existing
        item = info.item or TypeInfo("any")
        if item.kind == "list":
            raise NotInPlan(f"`{'.'.join(steps)}` is a list of lists")
        if table.depth + 1 > MAX_LIST_DEPTH:
            raise NotInPlan(f"`{'.'.join(steps)}` is nested deeper than {MAX_LIST_DEPTH} lists")
        if item.kind != "model" and _scalar_kind(item, None) is None:
            raise NotInPlan(f"`{'.'.join(steps)}` holds items of a kind that has no SQL column")
        path = ".".join(steps) if table.parent is None else f"{table.path}[].{'.'.join(steps)}"
        name = path.replace("[]", "").replace(".", "__")
        child = Table(name, path, steps, table, item.model if item.kind == "model" else None, item)
        table.lists[steps] = child
        self.tables[name] = child
        self.length(child)
        return child


def _item_annotation(table: Table) -> Any:
    """The annotation of a plain-value list's items (for int versus decimal)."""
    if table.parent is None or table.parent.model is None:
        return None
    model: Any = table.parent.model
    annotation: Any = None
    for step in table.steps:
        annotation = model.model_fields[step].annotation
        info = field_type_info(annotation)
        model = info.model
    args = typing.get_args(_unwrap(annotation))
    return args[0] if args else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is not None and origin is not list:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def plain_value(value: Any, kind: str) -> Any:
    """A field's value as a table holds it: codes for choices, text for exact numbers and
    dates (cast back in SQL: an exact DECIMAL and a DATE, never a float)."""
    if value is None:
        return None
    if kind == "string":
        return value.value if isinstance(value, Enum) else value
    if kind == "decimal":
        return str(value) if isinstance(value, Decimal) else str(Decimal(value))
    if kind in ("int", "length"):
        return str(int(value))
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    return value
