"""The try-a-rule form, generated from a subject model: which fields it shows, how each is
entered, and the record read back from what was submitted.

A field is named in the form by its path in the record (``funds.social_assistance``,
``staff[1].professional``), titled by the model's Chinese title, and entered by its type:
amounts and numbers as text (``15.63万`` is read as the engine reads a record), dates with a
date picker, yes/no and coded values with a select showing labels, lists of codes with
checkboxes, lists of people or services as a table with one row per item. The form shows the
fields the chosen packs' rules read (with the whole item of a list they read), the region and
the name; ``all`` shows every field of the model.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .._format import format_decimal
from ..lang import Condition, ast
from ..lang.checked import FieldRef
from ..models.base import Subject
from ..models.introspect import TypeInfo, field_type_info
from ..packs.expressions import is_money
from ..packs.runtime import Pack

#: rows a list of people or services shows at first (more with the "add a row" button)
DEFAULT_ROWS = 2
MAX_ROWS = 50
#: how deep the form follows nested models (an operator's rating is two steps down)
MAX_DEPTH = 4
#: the record's own fields always shown
ALWAYS = ("name", "region.province", "region.city", "region.county")
#: the form control saying a list is empty: ``empty.<path>``
EMPTY = "empty."


@dataclass
class Input:
    """One input: its name (the record path), title, how it is entered, its current value."""

    name: str
    title: str
    widget: str  # money | number | text | date | bool | choice | choices | lines
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: str | None = None
    #: a list said to be empty (a known "none", not a fact left out)
    empty: bool = False


@dataclass
class Group:
    """A nested model's fields, or a list of models as rows (``rows`` is not None)."""

    name: str
    title: str
    children: list[Input | Group] = field(default_factory=list)
    columns: list[Input] | None = None
    rows: list[list[Input]] | None = None
    empty: bool = False


def _title(fi: FieldInfo, name: str, lang: str) -> str:
    if lang == "en":
        desc = fi.description or ""
        return desc if desc and "," not in desc and len(desc) < 60 else name.replace("_", " ")
    return fi.title or name


def _options(info: TypeInfo, lang: str) -> list[tuple[str, str]]:
    labels = getattr(info.enum, "__labels__", None) if info.enum is not None else None
    codes = info.choices or ()
    if lang == "en" or not labels:
        return [(c, c.replace("_", " ")) for c in codes]
    return [(c, str(labels.get(c, c))) for c in codes]


def _widget(model: type[BaseModel], name: str, info: TypeInfo) -> str:
    if info.kind == "list":
        item = info.item
        return "choices" if item is not None and item.choices else "lines"
    if info.choices:
        return "choice"
    if info.kind == "number":
        return "money" if is_money(model, (name,)) else "number"
    return {"bool": "bool", "date": "date"}.get(info.kind, "text")


def wanted_paths(packs: Iterable[Pack], kind: str) -> set[str]:
    """The field paths the packs' rules for ``kind`` read: ``staff`` for a list they count, and
    ``staff.professional`` for the field of its items they look at."""
    paths: set[str] = set(ALWAYS)
    for pack in packs:
        for rule in pack.rules_for(kind):
            for cond in (rule.require, rule.when):
                if cond is not None:
                    paths |= set(cond.field_paths) | _item_paths(cond)
    return paths


def _item_paths(cond: Condition) -> set[str]:
    """``staff.professional`` for ``count(staff, s -> s.professional)``: the fields of a list's
    items a condition reads through a lambda variable."""
    lists: dict[str, str] = {}  # lambda variable → the list path it walks
    paths: set[str] = set()
    nodes = [cond.checked.root]
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.Call) and len(node.args) == 2 and isinstance(node.args[1], ast.Lambda):
            ref = cond.checked.refs.get(node.args[0]) if isinstance(node.args[0], ast.Path) else None
            if isinstance(ref, FieldRef):
                base = lists.get(ref.var, "") if ref.var else ""
                lists[node.args[1].param] = ".".join(p for p in (base, *ref.steps) if p)
        nodes.extend(ast.children(node))
    for ref in cond.checked.refs.values():
        if isinstance(ref, FieldRef) and ref.var in lists:
            paths.add(".".join((lists[ref.var], *ref.steps)))
    return paths


def _wanted(prefix: str, wanted: set[str] | None) -> bool:
    """Whether the field at ``prefix`` is wanted: asked for, under something asked for, or
    on the way to something asked for (None: every field)."""
    if wanted is None:
        return True
    return any(w == prefix or w.startswith(prefix + ".") or prefix.startswith(w + ".") for w in wanted)


def build_tree(
    model: type[BaseModel], wanted: set[str] | None, lang: str, prefix: str = "", depth: int = 0
) -> list[Input | Group]:
    """The form's inputs and groups for ``model`` (``wanted`` None: every field)."""
    out: list[Input | Group] = []
    for name, fi in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if (name == "kind" and issubclass(model, Subject)) or not _wanted(path, wanted):
            continue  # a record's kind is chosen above; a part's (its 承接机构) is its type's
        info = field_type_info(fi.annotation)
        title = _title(fi, name, lang)
        if info.kind == "model" and info.model is not None:
            if depth < MAX_DEPTH:
                inner = wanted if wanted is None or path not in wanted else None
                out.append(Group(path, title, build_tree(info.model, inner, lang, path, depth + 1)))
        elif info.kind == "list" and info.item is not None and info.item.model is not None:
            columns = _columns(info.item.model, lang)
            read = {c.name for c in columns if wanted is not None and f"{path}.{c.name}" in wanted}
            if read:  # the fields the rules read, and the name to tell the items apart
                columns = [c for c in columns if c.name in read or c.name == "name"]
            out.append(Group(path, title, columns=columns, rows=[]))
        else:
            out.append(Input(path, title, _widget(model, name, info), _options(info.item or info, lang)))
    return out


def _columns(model: type[BaseModel], lang: str) -> list[Input]:
    """The fields of one item of a list: its plain fields (not its nested parts)."""
    out = []
    for name, fi in model.model_fields.items():
        info = field_type_info(fi.annotation)
        if info.kind == "model" or (info.kind == "list" and info.item is not None and info.item.model):
            continue
        out.append(
            Input(name, _title(fi, name, lang), _widget(model, name, info), _options(info.item or info, lang))
        )
    return out


def fill(tree: list[Input | Group], values: Mapping[str, Any], rows: Mapping[str, int]) -> None:
    """Give each input its submitted (or example) value; lists get their rows."""
    for node in tree:
        if isinstance(node, Input):
            node.value = values.get(node.name, [] if node.widget == "choices" else "")
            node.empty = f"{EMPTY}{node.name}" in values
        elif node.rows is not None and node.columns is not None:
            node.empty = f"{EMPTY}{node.name}" in values
            count = max(1, min(MAX_ROWS, rows.get(node.name, DEFAULT_ROWS)))
            node.rows = []
            for i in range(count):
                row = []
                for col in node.columns:
                    leaf = col.name
                    name = f"{node.name}[{i}].{leaf}"
                    empty: Any = [] if col.widget == "choices" else ""
                    row.append(Input(name, col.title, col.widget, col.options, values.get(name, empty)))
                node.rows.append(row)
        else:
            fill(node.children, values, rows)


def inputs(tree: list[Input | Group]) -> Iterable[Input]:
    """Every input of the form, rows included."""
    for node in tree:
        if isinstance(node, Input):
            yield node
        else:
            yield from inputs(node.children)
            for row in node.rows or []:
                yield from row


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def record_from(
    kind: str, form: Mapping[str, list[str]], tree: list[Input | Group], empty: Iterable[str] = ()
) -> dict[str, Any]:
    """The record the form describes: each filled input at its path; empty inputs and empty
    rows left out (absent, as in a ledger), yes/no as true/false; a list said to be empty
    (``empty``: its paths) and left empty is an empty list (a known "none")."""
    record: dict[str, Any] = {"kind": kind}
    for path in empty:
        if _is_list(tree, path):
            _set(record, path, [])
    for field_ in inputs(tree):
        given = [v.strip() for v in form.get(field_.name, []) if v.strip()]
        if not given:
            continue
        value: Any
        if field_.widget == "choices":
            value = given
        elif field_.widget == "lines":
            value = [line.strip() for text in given for line in text.splitlines() if line.strip()]
        elif field_.widget == "bool":
            value = {"true": True, "false": False}.get(given[0], given[0])
        else:
            value = given[0]
        _set(record, field_.name, value)
    compact: dict[str, Any] = _compact(record)
    return compact


def _is_list(tree: list[Input | Group], path: str) -> bool:
    """Whether ``path`` is a list of the form (rows, ticks or lines), outside any row."""
    for node in tree:
        if node.name == path:
            if isinstance(node, Group):
                return node.rows is not None
            return node.widget in ("choices", "lines")
        if isinstance(node, Group) and node.rows is None and path.startswith(node.name + "."):
            return _is_list(node.children, path)
    return False


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    steps: list[str | int] = [int(m.group(2)) if m.group(2) else m.group(1) for m in _STEP.finditer(path)]
    node: Any = record
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            while len(node) <= step:
                node.append(None)
            if node[step] is None:
                node[step] = empty
            node = node[step]
        else:
            node = node.setdefault(step, empty)
    node[steps[-1]] = value


def _compact(value: Any) -> Any:
    """Rows left empty dropped (a list keeps its filled rows, in order)."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value if v is not None]
    return value


def flatten(record: Any, prefix: str = "") -> dict[str, Any]:
    """A record (an example) as form values: path → text, list of codes, or yes/no."""
    out: dict[str, Any] = {}
    if isinstance(record, Mapping):
        for key, value in record.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(record, list) and record and all(isinstance(v, Mapping) for v in record):
        for i, item in enumerate(record):
            out.update(flatten(item, f"{prefix}[{i}]"))
    elif isinstance(record, list) and not record:
        out[f"{EMPTY}{prefix}"] = "1"
    elif isinstance(record, list):
        out[prefix] = [_text(v) for v in record]
    elif record is not None:
        out[prefix] = _text(record)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def rows_in(values: Mapping[str, Any]) -> dict[str, int]:
    """How many rows each list has in ``values`` (``staff[2].name`` → staff has 3)."""
    rows: dict[str, int] = {}
    for name in values:
        for m in re.finditer(r"\[(\d+)\]", name):
            head = name[: m.start()]
            rows[head] = max(rows.get(head, 0), int(m.group(1)) + 1)
    return rows


def example_paths(values: Mapping[str, Any]) -> set[str]:
    """The field paths an example fills (list indexes dropped), to show them in the form."""
    return {re.sub(r"\[\d+\].*$", "", name.removeprefix(EMPTY)) for name in values}
