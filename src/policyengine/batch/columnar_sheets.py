"""The sheets of a columnar run (``assess --engine plan`` over CSV), laid out as the row path
lays them out — header row, columns, second sheets' parent-id column — and single rows made
into :class:`~policyengine.batch.rows.InputRow` by the row path's own functions, for the
rows the columnar path hands back to the row engine (a refused cell, no id) and for the few
rows whose reports give the messages every like row shares (:mod:`.columnar`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from .._csv import csv_records, detect_encoding
from .cells import read_row
from .ledger import SheetLayout, Totals
from .rows import InputProblem, InputRow
from .sheets import _texts, child_key, child_layout, read_layout, records_rows
from .tabular import Column, HeaderMap


class NotColumnar(Exception):
    """The input has something the columnar path leaves to the row path (the reason)."""


@dataclass
class Sheet:
    """One CSV file as the row path reads it: where its records start and what each column is."""

    name: str  # as outputs name it (the file's name)
    path: Path
    header_row: int
    headers: list[str]
    columns: list[Column | None]
    ignored: list[str]
    field: str | None = None  # the list field a second sheet fills
    key_col: int | None = None  # a second sheet's parent-id column
    key_header: str = ""
    layout: SheetLayout | None = None
    table: str = ""  # its raw cells in DuckDB
    caption: list[str] = dataclasses.field(default_factory=list)


def _check_encoding(path: Path) -> None:
    if detect_encoding(path) != "utf-8-sig":
        raise NotColumnar(f"{path.name}: not UTF-8")


def _first_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """The first rows of a CSV file, as :func:`csv_records` gives them (the header is among them)."""
    records = csv_records(path)
    try:
        rows = list(islice(records, 64))
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()
    return iter(rows)


def main_sheet(path: Path, hm: HeaderMap, header_row: int | None) -> Sheet:
    """The records sheet, its header found and checked as the row path does."""
    _check_encoding(path)
    layout, columns, ignored = read_layout(_first_rows(path), hm, path.name, header_row)
    if layout is None or columns is None:
        raise NotColumnar("no header row")
    headers = _texts(layout.header)
    return Sheet(
        path.name, path, layout.header_row, headers, columns, ignored,
        layout=layout, caption=list(layout.caption),
    )  # fmt: skip


def child_sheet_of(
    path: Path, hm: HeaderMap, field_name: str, mapping: dict[str, str | None] | None
) -> Sheet | None:
    """A ``--sheet`` CSV of ``field_name`` items, laid out as :func:`.sheets.child_sheet` lays it out."""
    _check_encoding(path)
    sheet = path.name
    found = child_layout(_first_rows(path), hm, sheet, field_name, mapping)
    if found is None:
        return None
    layout, headers, key_col, columns, ignored = (
        found.layout, found.headers, found.key_col, found.columns, found.ignored
    )  # fmt: skip
    return Sheet(
        sheet, path, layout.header_row, headers, columns, ignored, field_name, key_col, headers[key_col],
        layout=layout,
    )  # fmt: skip


def child_mapping(mapping: dict[str, Any], hm: HeaderMap, sheet: str, field_name: str) -> Any:
    """A second sheet's part of the mapping file, found as :class:`.readers.Input` finds it."""
    found = mapping.get(sheet) or mapping.get(field_name)
    for title, (name, _) in hm.sheets.items():
        if name == field_name and found is None:
            found = mapping.get(title)
    return found


def input_row(
    main: Sheet,
    hm: HeaderMap,
    index: int,
    line: int,
    cells: Sequence[Any],
    children: Sequence[tuple[Sheet, int, Sequence[Any]]],
    sheets: Sequence[Sheet] = (),
) -> InputRow:
    """One records row and its second-sheet rows as :meth:`.readers.Input.rows` makes it
    (``sheets``: every second sheet, for the notes on a row without an id)."""
    assert main.layout is not None
    totals = Totals(main.name, {})
    cells = ["" if c is None else c for c in cells]  # the csv module's empty cells
    read = list(records_rows(iter([(line, tuple(cells))]), main.layout, main.columns, hm, main.name, totals))
    n, record, problems, notes = read[0]
    row = InputRow(index, main.name, n, record, problems, notes=notes)
    if not sheets or row.record is None:
        return row
    if not child_key(row.record.get("id")):
        for sheet in sheets:
            row.notes.append(
                InputProblem(
                    row.sheet, row.line, None,
                    f"该行没有编号,无法匹配工作表“{sheet.name}”中的 {sheet.field}", "请填写编号列",
                )
            )  # fmt: skip
        return row
    for sheet, child_line, child_cells in children:
        assert sheet.field is not None
        texts = ["" if c is None else c for c in child_cells]
        item, item_notes = read_row(sheet.columns, sheet.headers, texts, sheet.name, child_line)
        row.record.setdefault(sheet.field, []).append(item)
        row.child_rows.setdefault(sheet.field, []).append((sheet.name, child_line))
        row.notes.extend(item_notes)
    return row


def orphan_problems(sheet: Sheet, line: int, cells: Sequence[Any]) -> list[InputProblem]:
    """A second-sheet row whose parent id no record has, as :meth:`.readers.Input.orphan_rows`
    reports it: unmatched, then its cell notes."""
    cells = ["" if c is None else c for c in cells]
    _, notes = read_row(sheet.columns, sheet.headers, cells, sheet.name, line)
    key = child_key(
        cells[sheet.key_col] if sheet.key_col is not None and sheet.key_col < len(cells) else None
    )
    unmatched = InputProblem(
        sheet.name,
        line,
        sheet.key_header or None,
        f"所属编号“{key or '(空)'}”在主表中不存在,该行未被使用",
        "请核对编号,或在主表中补充该记录",
    )
    return [unmatched, *notes]
