"""The sheets of one input file, read as ledgers: which sheet holds the records and which the
second sheets, where each sheet's header row is, and each row as a record with its cell notes.

A workbook's records sheet is ``--records-sheet`` when given; otherwise, of the sheets that
are not second sheets (named after a list field, its title, or by ``--list-sheet``), the one
whose header row names the most fields (a 填表说明 sheet before it is passed over). A CSV file
is one sheet.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._csv import MAX_CELL, BadRecord, csv_records
from ..errors import Location, Problem, RecordError
from .cellforms import normalize_header
from .cells import read_row
from .ledger import SheetLayout, Totals, find_header, total_kind
from .rows import InputProblem
from .tabular import PARENT_KEYS, Column, HeaderMap, build_header_map, check_headers
from .workbook import WORKBOOK_SUFFIXES, Workbook

_PARENT_KEYS = frozenset(normalize_header(k) for k in PARENT_KEYS)

#: A records-sheet row as read: number, record (None if unreadable), problems, cell notes.
ReadRow = tuple[int, dict[str, Any] | None, list[Any], list[Any]]


class SheetSource:
    """One input file's sheets: a workbook's, or a CSV file as a single sheet."""

    def __init__(self, path: Path, book: Workbook | None, main: str, children: list[tuple[str, str]]) -> None:
        self.path, self.book, self.main, self._children = path, book, main, children

    def rows(self, name: str) -> Iterator[tuple[int, Any]]:
        if self.book is None:
            return csv_records(self.path)
        return self.book.rows(name)

    def total(self, name: str) -> int | None:
        """Rows in the sheet, header and caption included (None when unknown)."""
        if self.book is None:
            return count_lines(self.path)
        return self.book.total(name)

    def release(self, name: str) -> None:
        """The sheet is read: its memory may go."""
        if self.book is not None:
            self.book.release(name)

    def child_sheets(self) -> list[tuple[str, str]]:
        """(sheet, list field) of each second sheet in the workbook."""
        return list(self._children)

    def close(self) -> None:
        if self.book is not None:
            self.book.close()


def open_source(path: Path, hm: HeaderMap, records_sheet: str | None, lists: dict[str, str]) -> SheetSource:
    """The input's sheets, the records sheet chosen (see the module's text)."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        if records_sheet is not None:
            raise RecordError([Problem("--records-sheet is for workbooks, not CSV", None, None, "usage")])
        return SheetSource(path, None, path.name, [])
    book = Workbook(path)
    try:
        children, others = _second_sheets(book.sheet_names, hm, lists)
        if records_sheet is not None:
            if records_sheet not in book.sheet_names:
                raise RecordError(
                    [
                        Problem(
                            f"the workbook has no sheet `{records_sheet}`(工作簿中没有此工作表)",
                            Location(str(path)),
                            f"its sheets: {', '.join(book.sheet_names)}",
                            "usage",
                        )
                    ]
                )
            main = records_sheet
            children = [(s, f) for s, f in children if s != records_sheet]
        else:
            main = _best_sheet(book, others, hm, path)
        return SheetSource(path, book, main, children)
    except BaseException:
        book.close()
        raise


def _second_sheets(
    names: Sequence[str], hm: HeaderMap, lists: dict[str, str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(sheet, field) for the sheets that hold a list field, and the other sheets."""
    for sheet, target in lists.items():
        if target not in {f for f, _ in hm.sheets.values()} and target not in hm.sheets:
            fields = sorted({f for f, _ in hm.sheets.values()})
            raise RecordError(
                [
                    Problem(
                        f"`{target}` is not a list in these records",
                        None,
                        f"lists: {', '.join(fields)}",
                        "usage",
                    )
                ]
            )
        if sheet not in names:
            raise RecordError(
                [
                    Problem(
                        f"the workbook has no sheet `{sheet}`",
                        None,
                        f"its sheets: {', '.join(names)}",
                        "usage",
                    )
                ]
            )
    by_name = {normalize_header(k): f for k, (f, _) in hm.sheets.items()}
    children: list[tuple[str, str]] = []
    others: list[str] = []
    for name in names:
        named = lists.get(name)
        field_name = by_name.get(normalize_header(name))
        if named is not None:
            field_name = hm.sheets[named][0] if named in hm.sheets else named
        if field_name is not None:
            children.append((name, field_name))
        else:
            others.append(name)
    return children, others


def _best_sheet(book: Workbook, names: list[str], hm: HeaderMap, path: Path) -> str:
    if not names:
        raise RecordError(
            [
                Problem(
                    "the workbook has no sheet of records(工作簿中没有记录表)",
                    Location(str(path)),
                    "the records are on a sheet that is not a staff-like sheet; name it with --records-sheet",
                    "input",
                )
            ]
        )
    if len(names) == 1:
        return names[0]

    def score(name: str) -> int:
        layout = find_header(book.rows(name), hm.matches)
        return sum(1 for c in layout.header if isinstance(c, str) and hm.matches(c)) if layout else -1

    scores = [score(n) for n in names]
    best = names[scores.index(max(scores))]
    for name in names:
        if name != best:
            book.release(name)
    return best


def read_layout(
    rows: Iterator[tuple[int, Any]], hm: HeaderMap, sheet: str, forced: int | None
) -> tuple[SheetLayout | None, list[Column | None] | None, list[str]]:
    """The sheet's header row and caption, its columns (checked now, before any output is
    opened: an unknown header stops the run) and the headers left out."""
    layout = find_header(rows, hm.matches, forced)
    if layout is None and forced is not None:
        raise RecordError(
            [
                Problem(
                    f"row {forced} of `{sheet}` is empty or past the end(第 {forced} 行为空)",
                    None,
                    None,
                    "usage",
                )
            ]
        )
    if layout is None:
        return None, None, []
    headers = _texts(layout.header)
    columns = check_headers(headers, hm, sheet, layout.header_row)
    return layout, columns, [h.strip() for h in headers if h.strip() and hm.ignores(h)]


def _texts(cells: Sequence[Any]) -> list[str]:
    return [str(h).strip() if h is not None else "" for h in cells]


def records_rows(
    rows: Iterator[tuple[int, Any]],
    layout: SheetLayout,
    columns: list[Column | None],
    hm: HeaderMap,
    sheet: str,
    totals: Totals,
) -> Iterator[ReadRow]:
    """The records below the header row: each a record and its cell notes; total rows are
    checked against the records' sums and left out."""
    headers = _texts(layout.header)
    totals.columns = {i: (headers[i], c.path) for i, c in enumerate(columns) if c is not None and c.summable}
    id_col = next((i for i, c in enumerate(columns) if c is not None and c.path == ("id",)), None)
    for n, cells in _body(rows, layout.header_row, sheet, totals, columns, headers):
        if isinstance(cells, BadRecord):
            yield n, None, [_problem(sheet, n, f"{cells.zh} / {cells.en}")], []
            continue
        long = next((i for i, c in enumerate(cells) if isinstance(c, str) and len(c) > MAX_CELL), None)
        if long is not None:
            why = (
                f"第 {long + 1} 列的单元格超过 {MAX_CELL:,} 个字符 / "
                f"the cell in column {long + 1} is over {MAX_CELL:,} characters"
            )
            yield n, None, [_problem(sheet, n, why)], []
            continue
        record, notes = read_row(columns, headers, cells, sheet, n)
        if id_col is not None and id_col < len(cells) and cells[id_col] is not None and "id" not in record:
            yield n, None, notes, []  # the id could not be read: no record without it
            continue
        totals.add(record, cells)
        yield n, record, [], notes


def _body(
    rows: Iterator[tuple[int, Any]],
    header_row: int,
    sheet: str,
    totals: Totals,
    columns: list[Column | None],
    headers: list[str],
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows below the header that hold a record: blank rows skipped, total rows checked
    and left out, a row that could not be read given back as ``(n, BadRecord)`` cells."""
    for n, cells in rows:
        if n <= header_row:
            continue
        if isinstance(cells, BadRecord):
            kind = total_kind(cells.cells) if cells.cells else None
            if kind is not None:
                totals.rows.append(n)
                totals.notes.append(
                    f"{sheet} 第{n}行是{kind}行,不作为记录评估;{cells.zh},未核对 / {cells.en}"
                )
                continue
            yield n, cells  # type: ignore[misc]  # handled by the caller's record reader
            continue
        if cells is None or all(c is None or str(c).strip() == "" for c in cells):
            continue
        kind = total_kind(cells)
        if kind is not None:
            figures, _ = read_row(columns, headers, cells, sheet, n)
            totals.check(n, kind, figures)
            continue
        yield n, tuple(cells)


def _problem(sheet: str, n: int, why: str) -> InputProblem:
    return InputProblem(sheet, n, None, why)


@dataclass
class ChildSheet:
    """A second sheet: its rows (number, parent id, item or BadRecord, cell notes)."""

    rows: Iterator[tuple[int, str, Any, list[Any]]]
    ignored: list[str]
    totals: Totals = field(default_factory=lambda: Totals("", {}))
    key_header: str = ""  # the header of the column naming the parent


@dataclass
class ChildLayout:
    """Where a second sheet's header is, its headers, the column naming the parent, and the
    items' columns (the parent column left out)."""

    layout: SheetLayout
    headers: list[str]
    key_col: int
    columns: list[Any]
    ignored: list[str]


def child_layout(
    rows: Iterator[tuple[int, Any]],
    hm: HeaderMap,
    sheet: str,
    field_name: str,
    mapping: dict[str, str | None] | None,
) -> ChildLayout | None:
    """A second sheet's header (found as the records sheet's is), keyed by the column naming
    the parent (所属编号, 站点编号, ... or one the sheet's mapping maps to ``parent_id``); the
    sheet's own mapping applies, never the records sheet's. None: no header row."""
    item_model = next(m for f, m in hm.sheets.values() if f == field_name)
    keys = {normalize_header(h) for h, t in (mapping or {}).items() if t == "parent_id"} | _PARENT_KEYS
    own = {h: t for h, t in (mapping or {}).items() if t != "parent_id"}
    item_hm = build_header_map(item_model, own)
    is_key: Callable[[str], bool] = lambda h: normalize_header(h) in keys  # noqa: E731
    layout = find_header(rows, lambda h: is_key(h) or item_hm.matches(h))
    if layout is None:
        return None
    headers = _texts(layout.header)
    key_col = next((i for i, h in enumerate(headers) if is_key(h)), None)
    if key_col is None:
        raise RecordError(
            [
                Problem(
                    f"sheet `{sheet}` has no column naming the record each row belongs to",
                    Location(sheet, layout.header_row, 1),
                    f"add a column titled one of: {', '.join(PARENT_KEYS)}",
                    "header",
                )
            ]
        )
    item_headers = list(headers)
    item_headers[key_col] = ""
    columns = check_headers(item_headers, item_hm, sheet, layout.header_row)
    ignored = [h for h in headers if h and item_hm.ignores(h)]
    return ChildLayout(layout, headers, key_col, columns, ignored)


def child_sheet(
    rows: Iterator[tuple[int, Any]],
    hm: HeaderMap,
    sheet: str,
    field_name: str,
    mapping: dict[str, str | None] | None,
) -> ChildSheet | None:
    """A second sheet's header (:func:`child_layout`) and rows, each with its parent's id."""
    found = child_layout(rows, hm, sheet, field_name, mapping)
    if found is None:
        return None
    layout, headers, key_col, columns, ignored = (
        found.layout, found.headers, found.key_col, found.columns, found.ignored
    )  # fmt: skip
    totals = Totals(
        sheet, {i: (headers[i], c.path) for i, c in enumerate(columns) if c is not None and c.summable}
    )

    def items() -> Iterator[tuple[int, str, Any, list[Any]]]:
        body = itertools.chain(layout.ahead, rows)
        for n, cells in _body(body, layout.header_row, sheet, totals, columns, headers):
            if isinstance(cells, BadRecord):
                yield n, "", cells, []
                continue
            item, notes = read_row(columns, headers, cells, sheet, n)
            totals.add(item, cells)
            yield n, child_key(cells[key_col] if key_col < len(cells) else None), item, notes

    return ChildSheet(items(), ignored, totals, headers[key_col])


def child_key(value: Any) -> str:
    """A parent id as written in a cell (12.0 → \"12\"), compared as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def count_lines(path: Path) -> int:
    """Lines of a text file, read in 1 MiB blocks."""
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n
