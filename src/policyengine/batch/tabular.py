"""Spreadsheet rows ↔ nested records.

Assessors keep one row per station or project, with Chinese column headers, and the people
(staff) on a second sheet keyed by the station's or project's id. This module maps headers
to model fields and turns cells into the values the models accept:

- a header may be a field path (``site.area_m2``), the field's Chinese title (``服务面积(平方米)``)
  when that title is unique, the title qualified by its parent (``场地/服务面积(平方米)``), or
  anything a mapping file maps to a path;
- true/false cells accept 是/否, 有/无, √/×, Y/N, true/false, 1/0;
- list-of-text cells are split on 、,，;；| and new lines;
- a cell that says "none" (:data:`NONE_CELLS`: 无, 没有, 否, 暂无, —, –, -, /) is an empty list in a
  list field and 0 in a count field (a :data:`~policyengine.models.values.Count` that may be 0),
  never the one item "无"; a blank cell is still a missing value;
- amounts and dates are left to the models (``30万``, ``2022年9月27日`` are understood there).
"""

from __future__ import annotations

import re
import typing
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .._yaml import load_yaml_file, strip_positions
from ..errors import Location, PolicyEngineError, Problem, RecordError, did_you_mean
from ..models.introspect import TypeInfo, field_type_info
from ..models.values import parse_count

#: Headers that name the parent id on a second sheet.
PARENT_KEYS = ("parent_id", "所属编号", "上级编号", "站点编号", "项目编号", "机构编号")

_TRUE = {"是", "有", "√", "✓", "y", "yes", "true", "1", "对", "已"}
_FALSE = {"否", "无", "×", "✗", "n", "no", "false", "0", "未", "没有"}
_SPLIT = re.compile(r"[、,，;；|\n]+")
_BLANK = {"", "-", "—", "/", "N/A", "n/a"}  # a missing value in any field
#: Whole cells that say "none" (compared after NFKC, so ／ and － are / and -, and stripping):
#: an empty list in a list field, 0 in a count field. Other fields read them as before.
NONE_CELLS = frozenset({"无", "没有", "否", "暂无", "—", "–", "-", "/"})


@dataclass(frozen=True)
class Column:
    """Where a header's values go."""

    path: tuple[str, ...]
    info: TypeInfo
    count: bool = False  # a Count field that may be 0: a "none" cell is 0


@dataclass
class HeaderMap:
    """Headers → field paths for one model, and which headers are list-of-record sheets."""

    model: type[BaseModel]
    by_header: dict[str, Column] = field(default_factory=dict)
    sheets: dict[str, tuple[str, type[BaseModel]]] = field(default_factory=dict)  # name → (field, model)
    ignored: set[str] = field(default_factory=set)

    def known_headers(self) -> list[str]:
        return sorted(self.by_header)


def build_header_map(model: type[BaseModel], mapping: Mapping[str, str | None] | None = None) -> HeaderMap:
    """Every accepted header for ``model``, plus the names of its second sheets."""
    hm = HeaderMap(model)
    leaves: list[tuple[tuple[str, ...], tuple[str, ...], Column]] = []  # path, titles, column

    def walk(m: type[BaseModel], path: tuple[str, ...], titles: tuple[str, ...], depth: int) -> None:
        for name, fi in m.model_fields.items():
            if name == "kind":
                continue
            info = field_type_info(fi.annotation)
            p, t = (*path, name), (*titles, fi.title or name)
            if info.kind == "model" and info.model is not None and depth < 4:
                walk(info.model, p, t, depth + 1)
            elif info.kind == "list" and info.item is not None and info.item.kind == "model":
                if not path and info.item.model is not None:  # top-level lists: second sheets
                    for sheet_name in (name, fi.title or name):
                        hm.sheets[sheet_name] = (name, info.item.model)
            else:
                leaves.append((p, t, Column(p, info, _is_count(fi))))

    walk(model, (), (), 0)
    # A bare title names the shallowest field with that title, if only one is that shallow:
    # `县(市、区)` is the record's own region.county, not its operator's.
    by_title: dict[str, dict[int, list[Column]]] = {}
    for path, titles, col in leaves:
        hm.by_header[".".join(path)] = col
        hm.by_header["/".join(titles)] = col
        by_title.setdefault(titles[-1], {}).setdefault(len(path), []).append(col)
    for title, depths in by_title.items():
        shallowest = depths[min(depths)]
        if len(shallowest) == 1:
            hm.by_header.setdefault(title, shallowest[0])
    for header, target in (mapping or {}).items():
        if target is None:
            hm.ignored.add(header)
        elif target in hm.by_header:
            hm.by_header[header] = hm.by_header[target]
        else:
            suggestion = did_you_mean(target, [h for h in hm.by_header if "." in h or h.isascii()])
            raise PolicyEngineError(
                [
                    Problem(
                        f"the mapping file maps `{header}` to `{target}`, which is not a field",
                        None,
                        f"did you mean `{suggestion}`?" if suggestion else None,
                        "mapping",
                    )
                ]
            )
    return hm


def load_mapping(path: Path) -> dict[str, str | None]:
    """A YAML mapping file: ``表头: field.path`` (``表头: null`` ignores a column)."""
    data = strip_positions(load_yaml_file(path))
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PolicyEngineError(
            [Problem("a mapping file is `表头: field.path` lines", Location(str(path)), None, "mapping")]
        )
    return {k: (None if v is None else str(v)) for k, v in data.items()}


def check_headers(headers: list[str], hm: HeaderMap, where: str) -> list[Column | None]:
    """Columns for ``headers``; unknown headers, and two columns filling one field (a header
    twice, or a field under two names), are one error naming all of them."""
    columns: list[Column | None] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}  # field → its first column and header
    for i, raw in enumerate(headers):
        header = (raw or "").strip()
        if not header or header in hm.ignored or header in ("kind", "类型"):
            columns.append(None)
            continue
        col = hm.by_header.get(header)
        if col is not None and col.path in seen:
            j, first = seen[col.path]
            same = "the same header" if first == header else f"`{first}` and `{header}` name the same field"
            problems.append(
                Problem(
                    f"columns {j + 1} and {i + 1} both fill `{'.'.join(col.path)}` ({same}); "
                    f"第 {j + 1} 列和第 {i + 1} 列填写同一字段",
                    Location(where, 1, i + 1, path=header),
                    "keep one of them, or ignore one in a --mapping file (`表头: null`)",
                    "header",
                )
            )
        elif col is not None:
            seen[col.path] = (i, header)
        if col is None:
            suggestion = did_you_mean(header, hm.by_header)
            problems.append(
                Problem(
                    f"column {i + 1} `{header}` matches no field",
                    Location(where, 1, i + 1, path=header),
                    (
                        f"did you mean `{suggestion}`?"
                        if suggestion
                        else "name it after a field (e.g. site.area_m2 or its Chinese title), or map it in "
                        "a --mapping file (`表头: null` to ignore it)"
                    ),
                    "header",
                )
            )
        columns.append(col)
    if problems:
        raise RecordError(problems)
    return columns


def _is_count(fi: FieldInfo) -> bool:
    """Whether a field is a :data:`Count` (whole things: 人数, 台, 个) that may be 0.

    Years and A-grades are ``Count`` typed too, but bounded above 0: "无" is no year.
    """
    ann = fi.annotation
    while typing.get_origin(ann) is not typing.Annotated:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) != 1:
            return False
        ann = args[0]
    marks = typing.get_args(ann)[1:]
    if not any(getattr(m, "func", None) is parse_count for m in marks):
        return False
    for bound in (*marks, *fi.metadata):
        ge, gt = getattr(bound, "ge", None), getattr(bound, "gt", None)
        if (ge is not None and ge > 0) or (gt is not None and gt >= 0):
            return False
    return True


def says_none(text: str) -> bool:
    """Whether a whole cell says "none" (无, 暂无, -, ／, ...)."""
    return unicodedata.normalize("NFKC", text).strip() in NONE_CELLS


def cell_value(raw: Any, info: TypeInfo, count: bool = False) -> Any:
    """A cell as the model expects it, or None for an empty cell.

    In a list field a cell that says "none" is ``[]``; in a count field (``count``) it is 0.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if (info.kind == "list" or count) and says_none(text):
            return [] if info.kind == "list" else 0
        if text in _BLANK:
            return None
        if info.kind == "bool":
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            return text  # the model will say it is not a yes/no
        if info.kind == "list":
            return [p.strip() for p in _SPLIT.split(text) if p.strip()]
        return text
    if isinstance(raw, float) and info.kind == "number" and raw.is_integer():
        return int(raw)
    return raw


def set_nested(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node[path[-1]] = value


def row_to_record(headers: list[Column | None], cells: list[Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for col, raw in zip(headers, cells, strict=False):
        if col is None:
            continue
        value = cell_value(raw, col.info, col.count)
        if value is not None:
            set_nested(record, col.path, value)
    return record
