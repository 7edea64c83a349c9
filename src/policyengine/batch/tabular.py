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
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .._yaml import load_yaml_file, strip_positions
from ..errors import Location, PolicyEngineError, Problem, RecordError, did_you_mean
from ..models.introspect import TypeInfo, field_type_info
from ..models.values import parse_count
from .cellforms import excel_serial_date, normalize_header, parse_percent, split_unit

#: Headers that name the parent id on a second sheet.
PARENT_KEYS = ("parent_id", "所属编号", "上级编号", "站点编号", "项目编号", "机构编号")
#: Columns ledgers add for people, left out unless a field or the mapping claims them
#: (compared normalised: ``备 注`` and ``【备注】`` too); the run summary lists them.
IGNORED_BY_DEFAULT = frozenset(
    {"序号", "序", "No", "No.", "NO", "NO.", "no.", "备注", "备注说明", "说明", "附注"}
)
_KIND_HEADERS = frozenset({"kind", "类型"})
#: How a yes/no header may ask its question: 是否挂牌 for the field 已挂牌.
_ASKING = ("是否", "有无", "有没有")

_TRUE = {"是", "有", "√", "✓", "✔", "☑", "y", "yes", "true", "1", "对", "已"}
_FALSE = {"否", "无", "×", "✗", "✘", "☐", "n", "no", "false", "0", "未", "没有"}
_SPLIT = re.compile(r"[、,，;；|\n]+")
_BLANK = {"", "-", "—", "/", "N/A", "n/a"}  # a missing value in any field
_SERIAL_TEXT = re.compile(r"^[0-9]{5}(?:\.[0-9]+)?$")  # an Excel date serial typed or saved as text
_PLAIN_NUMBER = re.compile(r"^[0-9][0-9,]*(?:\.[0-9]+)?$")
#: Whole cells that say "none" (compared after NFKC, so ／ and － are / and -, and stripping):
#: an empty list in a list field, 0 in a count field. Other fields read them as before.
NONE_CELLS = frozenset({"无", "没有", "否", "暂无", "—", "–", "-", "/"})


@dataclass(frozen=True)
class Column:
    """Where a header's values go, and how its cells read."""

    path: tuple[str, ...]
    info: TypeInfo
    count: bool = False  # a Count field that may be 0: a "none" cell is 0
    #: the model and field name that hold the value (each cell is checked against that field)
    owner: type[BaseModel] | None = field(default=None, compare=False)
    name: str = ""
    percent: bool = False  # a percent field (its title ends in (%)): 95% and 百分之九十五 are 95
    scale: int = 0  # plain numbers are times 10**scale (a 万元 column of a field in 元: 4)
    summable: bool = False  # amounts, quantities and counts of things: a 合计 row adds them up


@dataclass
class HeaderMap:
    """Headers → field paths for one model, and which headers are list-of-record sheets."""

    model: type[BaseModel]
    by_header: dict[str, Column] = field(default_factory=dict)
    sheets: dict[str, tuple[str, type[BaseModel]]] = field(default_factory=dict)  # name → (field, model)
    ignored: set[str] = field(default_factory=set)  # normalised headers a mapping file ignores
    #: normalised header → column; unit-less name → [(column, unit as the title writes it)]
    normalised: dict[str, Column] = field(default_factory=dict)
    by_name: dict[str, list[tuple[Column, str | None]]] = field(default_factory=dict)

    def known_headers(self) -> list[str]:
        return sorted(self.by_header)

    def resolve(self, header: str) -> Column | None:
        """The column a header (as written) fills: matched after normalising it (spaces,
        full-width brackets), then by its name with its unit compared apart (``服务面积(㎡)``
        is ``服务面积(平方米)``; ``年度运营经费(万元)`` fills a field in 元, its numbers times 10⁴)."""
        norm = normalize_header(header)
        col = self.normalised.get(norm)
        if col is not None:
            return col
        for ask in _ASKING:  # 是否挂牌, 有无办公场地: the yes/no field 已挂牌, 办公场地
            if norm.startswith(ask):
                col = self.normalised.get(norm[len(ask) :]) or self.normalised.get("已" + norm[len(ask) :])
                return col if col is not None and col.info.kind == "bool" else None
        name, unit = split_unit(norm)
        found = self.by_name.get(name, [])
        if len(found) != 1:
            return None
        col, title_unit = found[0]
        if unit is None or unit == title_unit:
            return col
        if unit == "万元" and title_unit == "元":
            return replace(col, scale=4)
        return None

    def ignores(self, header: str) -> bool:
        """Whether a column is left out: a mapping file's ``表头: null``, or one of the columns
        ledgers add for people (:data:`IGNORED_BY_DEFAULT`: 序号, 备注, ...)."""
        norm = normalize_header(header)
        bare = norm.removeprefix("(").removesuffix(")")  # 【备注】
        return norm in self.ignored or (bare in IGNORED_BY_DEFAULT and norm not in self.normalised)

    def matches(self, header: str) -> bool:
        """Whether a header names a field, a kind column, or a column ignored by default."""
        norm = normalize_header(header)
        return bool(norm) and (
            norm in _KIND_HEADERS or self.ignores(header) or self.resolve(header) is not None
        )


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
                percent = split_unit(normalize_header(fi.title or ""))[1] == "%"
                count = _is_count(fi)
                summable = info.kind == "number" and not percent and (count or parse_count not in _marks(fi))
                leaves.append((p, t, Column(p, info, count, m, name, percent, 0, summable)))

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
            hm.ignored.add(normalize_header(header))
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
    _index(hm)
    return hm


def _index(hm: HeaderMap) -> None:
    """The normalised lookups: every accepted header normalised, and each title's name apart
    from its unit (a name two fields share matches neither)."""
    for header, col in hm.by_header.items():
        hm.normalised.setdefault(normalize_header(header), col)
    names: dict[str, dict[tuple[str, ...], tuple[Column, str | None]]] = {}
    for header, col in hm.by_header.items():
        name, unit = split_unit(normalize_header(header))
        names.setdefault(name, {}).setdefault(col.path, (col, unit))
    hm.by_name = {name: list(cols.values()) for name, cols in names.items()}


#: A mapping file's content: ``表头: field.path`` (or null) for the records sheet, and
#: ``sheet: {表头: field.path}`` for a second sheet (by its sheet name or list field).
MappingData = dict[str, Any]


def load_mapping(path: Path) -> MappingData:
    """A YAML mapping file: ``表头: field.path`` (``表头: null`` ignores a column) for the
    records sheet; a key whose value is itself such a mapping is a second sheet's own
    (``工作人员: {人员代码: id, 站点代码: parent_id}``)."""
    data = strip_positions(load_yaml_file(path))
    shape = "a mapping file is `表头: field.path` lines, or `工作表: {表头: field.path}` for a second sheet"
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PolicyEngineError([Problem(shape, Location(str(path)), None, "mapping")])
    out: MappingData = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if not all(isinstance(k, str) and not isinstance(v, (dict, list)) for k, v in value.items()):
                raise PolicyEngineError([Problem(shape, Location(str(path), path=key), None, "mapping")])
            out[key] = {k: (None if v is None else str(v)) for k, v in value.items()}
        elif isinstance(value, list):
            raise PolicyEngineError([Problem(shape, Location(str(path), path=key), None, "mapping")])
        else:
            out[key] = None if value is None else str(value)
    return out


def split_mapping(
    mapping: Mapping[str, Any] | None,
) -> tuple[dict[str, str | None], dict[str, dict[str, str | None]]]:
    """A mapping's records-sheet part and its second sheets' parts (by sheet or field name)."""
    main: dict[str, str | None] = {}
    sheets: dict[str, dict[str, str | None]] = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, dict):
            sheets[key] = value
        else:
            main[key] = value
    return main, sheets


def check_headers(headers: list[str], hm: HeaderMap, where: str, row: int = 1) -> list[Column | None]:
    """Columns for ``headers`` (the header row is ``row``); unknown headers, and two columns
    filling one field (a header twice, or a field under two names), are one error naming all
    of them."""
    columns: list[Column | None] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}  # field → its first column and header
    for i, raw in enumerate(headers):
        header = (raw or "").strip()
        if not normalize_header(header) or hm.ignores(header) or normalize_header(header) in _KIND_HEADERS:
            columns.append(None)
            continue
        col = hm.resolve(header)
        if col is not None and col.path in seen:
            j, first = seen[col.path]
            same = "the same header" if first == header else f"`{first}` and `{header}` name the same field"
            problems.append(
                Problem(
                    f"columns {j + 1} and {i + 1} both fill `{'.'.join(col.path)}` ({same}); "
                    f"第 {j + 1} 列和第 {i + 1} 列填写同一字段",
                    Location(where, row, i + 1, path=header),
                    "keep one of them, or ignore one in a --mapping file (`表头: null`)",
                    "header",
                )
            )
        elif col is not None:
            seen[col.path] = (i, header)
        if col is None:
            suggestion = did_you_mean(normalize_header(header), hm.by_header)
            problems.append(
                Problem(
                    f"column {i + 1} `{header}` matches no field(第 {i + 1} 列“{header}”不对应任何字段)",
                    Location(where, row, i + 1, path=header),
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
    if parse_count not in _marks(fi):
        return False
    for bound in fi.metadata:
        ge, gt = getattr(bound, "ge", None), getattr(bound, "gt", None)
        if (ge is not None and ge > 0) or (gt is not None and gt >= 0):
            return False
    return True


def _marks(fi: FieldInfo) -> list[Any]:
    """The validator functions of a field's ``Annotated`` type (parse_money, parse_count, ...)."""
    ann = fi.annotation
    while typing.get_origin(ann) is not typing.Annotated:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) != 1:
            return []
        ann = args[0]
    return [getattr(m, "func", None) for m in typing.get_args(ann)[1:]]


def says_none(text: str) -> bool:
    """Whether a whole cell says "none" (无, 暂无, -, ／, ...)."""
    return unicodedata.normalize("NFKC", text).strip() in NONE_CELLS


def cell_value(raw: Any, info: TypeInfo, count: bool = False, col: Column | None = None) -> Any:
    """A cell as the model expects it, or None for an empty cell.

    In a list field a cell that says "none" is ``[]``; in a count field (``count``) it is 0.
    With its ``col``: a number in a text column is its digits (``1001``, not ``1001.0``), in a
    date column a date serial is its date, in a percent column ``95%`` is 95, and a 万元 column
    of a field in 元 has its plain numbers times 10⁴.
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
            low = unicodedata.normalize("NFKC", text).lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            return text  # the model will say it is not a yes/no
        if info.kind == "list":
            return [p.strip() for p in _SPLIT.split(text) if p.strip()]
        if col is not None and info.kind in ("date", "number"):
            return _typed_text(text, info, col)
        return text
    if isinstance(raw, float) and raw.is_integer() and info.kind in ("number", "string", "list", "date"):
        raw = int(raw)
    if info.kind == "string" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    if col is not None and info.kind == "date" and not isinstance(raw, (date, bool)):
        return excel_serial_date(raw) or raw
    if col is not None and col.scale and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Decimal(repr(raw)).scaleb(col.scale)
    return raw


def _typed_text(text: str, info: TypeInfo, col: Column) -> Any:
    """Text in a date or number column, with a spreadsheet's habits read (see cell_value)."""
    if info.kind == "date":
        return excel_serial_date(text) if _SERIAL_TEXT.match(text) else text
    if col.percent:
        percent = parse_percent(text)
        if percent is not None:
            return percent
    if col.scale and _PLAIN_NUMBER.match(text):
        return Decimal(text.replace(",", "")).scaleb(col.scale)
    return text


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
        value = cell_value(raw, col.info, col.count, col)
        if value is not None:
            set_nested(record, col.path, value)
    return record
