"""One cell at a time: each cell of a ledger row is checked against its field as it is read,
so that a cell that cannot be read makes only its field missing, never the whole row.

A bad cell becomes an :class:`~policyengine.batch.rows.InputProblem` naming the sheet, the row,
the column's header as written and the value, in Chinese, with what the field accepts; the
row's record goes on without that field (the rules that need it give ``unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..models.values import MAX_LIST_ITEMS, brief
from .rows import InputProblem
from .tabular import Column, cell_value, set_nested

#: what a cell note asks of the person who keeps the ledger
CELL_HINT = "此项按缺失处理,需要它的规则结论为“数据不足”;请在台账中改正"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FORMS = {
    "date": "日期应写作 2022-09-27、2022年9月27日、2022/9/27 或 2022.9.27",
    "bool": "应填 是/否(或 有/无、√/×)",
    "number": "应为数字",
    "string": "应为文本",
}


@cache
def _adapter(owner: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """The field's own type and constraints (ge, le, max_length), to check one cell with."""
    info = owner.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])


def read_row(
    columns: Sequence[Column | None],
    headers: Sequence[str],
    cells: Sequence[Any],
    sheet: str,
    line: int,
) -> tuple[dict[str, Any], list[InputProblem]]:
    """A row's record, each cell checked against its field, and a note for each cell that
    could not be read (its field left out of the record)."""
    record: dict[str, Any] = {}
    notes: list[InputProblem] = []
    for i, (col, raw) in enumerate(zip(columns, cells, strict=False)):
        if col is None:
            continue
        value = cell_value(raw, col.info, col.count, col)
        if value is None:
            continue
        if col.owner is not None and not _plain(col, value):
            try:
                value = _adapter(col.owner, col.name).validate_python(value)
            except ValidationError as exc:
                header = headers[i] if i < len(headers) else ""
                notes.append(cell_problem(sheet, line, header or f"第 {i + 1} 列", raw, col, exc))
                continue
        set_nested(record, col.path, value)
    return record, notes


def _plain(col: Column, value: Any) -> bool:
    """A value its field takes as it is (free text, a yes/no already read, a short list of
    names): no need to check it on its own (most of a ledger's cells)."""
    kind = col.info.kind
    if kind == "string" and not col.info.choices:
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list" and col.info.item is not None and col.info.item.kind == "string":
        return not col.info.item.choices and isinstance(value, list) and len(value) <= MAX_LIST_ITEMS
    return False


def cell_problem(
    sheet: str, line: int, header: str, raw: Any, col: Column, exc: ValidationError
) -> InputProblem:
    """The note for a cell its field refuses: field ``建站日期``, ``值“2023年3月”无法读取:…``."""
    errors = exc.errors(include_url=False)
    why = reason(col, dict(errors[0]) if errors else {})
    shown = brief(raw.strip() if isinstance(raw, str) else raw).strip("'")
    return InputProblem(sheet, line, header, f"值“{shown}”无法读取:{why}", CELL_HINT)


def reason(col: Column, err: dict[str, Any]) -> str:
    """What the field accepts, in Chinese, from pydantic's error for the cell."""
    etype = str(err.get("type", ""))
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    if etype == "value_error" and _CJK.search(message):
        return message.split(" / ")[0].split(",而不是")[0]
    if etype in ("enum", "literal_error"):
        return "应为以下之一:" + "、".join(_choices(col))
    if etype.startswith(("int_", "int")):
        return "应为整数"
    if etype == "greater_than_equal":
        return f"应不小于 {ctx.get('ge')}"
    if etype == "less_than_equal":
        return f"应不大于 {ctx.get('le')}"
    if etype in ("greater_than", "less_than"):
        return f"应{'大于' if etype == 'greater_than' else '小于'} {ctx.get('gt', ctx.get('lt'))}"
    if etype == "too_long":
        return f"项目过多(至多 {ctx.get('max_length')} 项)"
    kind = col.info.item.kind if col.info.kind == "list" and col.info.item else col.info.kind
    return _FORMS.get(kind, f"无法识别({message})")


def _choices(col: Column) -> list[str]:
    info = col.info.item if col.info.kind == "list" and col.info.item else col.info
    labels: dict[str, str] = getattr(info.enum, "__labels__", {}) if info.enum is not None else {}
    codes = list(info.choices or ())
    return [labels.get(c, c) for c in codes]
