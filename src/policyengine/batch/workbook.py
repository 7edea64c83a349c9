"""Spreadsheet files as the batch reads them: .xlsx, .xlsm, .xls, .xlsb, .ods and WPS .et.

python-calamine reads every one of these (a Rust reader, about 13× openpyxl on XLSX) and gives
each sheet's merged ranges for XLSX and XLS; a merged cell is filled with its value, so a 地区
merged over five stations gives each of them its city. ODS merges are read from the file's
``content.xml`` (:mod:`.odsmerge`). openpyxl stays as the fallback for an XLSX calamine
refuses (damaged XML): it reads row by row and says after which row the sheet broke.

A formula whose result the file does not keep (a workbook written by a program and never
opened in a spreadsheet) would read as an empty cell: its row comes out as a bad one naming
the columns (:class:`~policyengine._csv.BadRecord`, with the cells that were read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._csv import BadRecord
from ..errors import Location, Problem, RecordError
from .guards import MAX_COLUMNS, check_zip, has_formulas, lost_formulas

#: Spreadsheet files the batch reads (WPS saves .et; its templates are .ett).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett")
_OPENPYXL = (".xlsx", ".xlsm")

#: One sheet row: its number as the user sees it, and its cells (None for an empty cell).
SheetRow = tuple[int, tuple[Any, ...] | BadRecord]


def _unreadable(path: Path, why: str) -> RecordError:
    return RecordError(
        [
            Problem(
                f"not a readable spreadsheet ({why})(无法读取该表格文件)",
                Location(str(path)),
                "save it again from the spreadsheet program (.xlsx, .xls, .ods or .et)",
                "input",
            )
        ]
    )


class Workbook:
    """An opened spreadsheet: its sheet names, and each sheet's rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.suffix = path.suffix.lower()
        self._book: Any = None
        self._fallback: _OpenpyxlBook | None = None
        self._sheets: dict[str, Any] = {}
        check_zip(path)
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:  # pragma: no cover - the assess extra is missing
            raise RecordError(
                [
                    Problem(
                        "reading spreadsheets needs python-calamine",
                        None,
                        "install policyengine[assess]",
                        "input",
                    )
                ]
            ) from None
        try:
            self._book = CalamineWorkbook.from_path(str(path))
            self.sheet_names: list[str] = list(self._book.sheet_names)
        except Exception as exc:
            self._use_fallback(exc)
        self._lost = lost_formulas(path) if self.suffix in _OPENPYXL and has_formulas(path) else {}

    def _use_fallback(self, exc: Exception) -> None:
        """calamine refused the file: openpyxl reads an XLSX row by row (and names the row
        where damage stops it); any other kind is unreadable."""
        if self.suffix not in _OPENPYXL:
            raise _unreadable(self.path, f"{type(exc).__name__}: {str(exc)[:200]}") from None
        self._fallback = _OpenpyxlBook(self.path)
        self.sheet_names = self._fallback.sheet_names

    def _sheet(self, name: str) -> Any:
        if name not in self._sheets:
            try:
                self._sheets[name] = self._book.get_sheet_by_name(name)
            except Exception as exc:
                self._use_fallback(exc)
                return None
        return self._sheets[name]

    def total(self, name: str) -> int | None:
        """How many rows the sheet holds, header and title rows included (None if unknown)."""
        if self._fallback is None:
            sheet = self._sheet(name)
            if sheet is not None:
                end = sheet.end
                return int(end[0]) + 1 if end is not None else 0
        return self._fallback.total(name) if self._fallback is not None else None

    def rows(self, name: str) -> Iterator[SheetRow]:
        """The sheet's rows from row 1, merged cells filled with their value."""
        lost = self._lost.get(name, {})
        for n, cells in self._rows(name):
            yield (n, _lost_row(n, lost[n], cells)) if n in lost else (n, cells)

    def _rows(self, name: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        sheet = self._sheet(name) if self._fallback is None else None
        if sheet is None:
            assert self._fallback is not None
            yield from self._fallback.rows(name)
            return
        merged = _merges(sheet, self.path, name)
        start = sheet.start
        first_col = int(start[1]) if start is not None else 0
        # iter_rows gives every row from the first, but the columns from the first one used
        for i, raw in enumerate(sheet.iter_rows()):
            cells = [None] * first_col + [None if v == "" else v for v in raw[: MAX_COLUMNS - first_col]]
            if merged:
                merged.fill(i, cells)
            yield i + 1, tuple(cells)

    def release(self, name: str) -> None:
        """Let go of a sheet read in full (a second sheet, once on disk): calamine holds each
        sheet it reads in memory."""
        self._sheets.pop(name, None)

    def close(self) -> None:
        self._sheets.clear()
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._fallback is not None:
            self._fallback.close()


def _lost_row(n: int, columns: list[int], cells: tuple[Any, ...]) -> BadRecord:
    cols = "、".join(str(c) for c in columns)
    zh = f"第 {cols} 列是公式,但文件中没有保存计算结果"
    en = f"column {cols} holds a formula whose result the file does not keep"
    return BadRecord(n, f"{zh};请在表格程序中打开并保存后再读", en, cells)


class _Merges:
    """A sheet's merged ranges, filled row by row: each cell of a range takes the value of
    the range's top-left cell (0-based rows and columns, as calamine gives them)."""

    def __init__(self, ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        self.pending = sorted(ranges, reverse=True)  # by top row; popped from the end
        self.active: list[tuple[int, int, int, Any]] = []  # (last row, first col, last col, value)

    def __bool__(self) -> bool:
        return bool(self.pending or self.active)

    def fill(self, row: int, cells: list[Any]) -> None:
        self.active = [a for a in self.active if a[0] >= row]
        while self.pending and self.pending[-1][0][0] <= row:
            (r0, c0), (r1, c1) = self.pending.pop()
            if r0 == row and c0 < len(cells):
                self.active.append((r1, c0, min(c1, MAX_COLUMNS - 1), cells[c0]))
        for _, c0, c1, value in self.active:
            if value is None:
                continue
            if c1 >= len(cells):
                cells.extend([None] * (c1 + 1 - len(cells)))
            for c in range(c0, c1 + 1):
                if cells[c] is None:
                    cells[c] = value


def _merges(sheet: Any, path: Path, name: str) -> _Merges:
    ranges = getattr(sheet, "merged_cell_ranges", None)  # python-calamine 0.3 and later
    if ranges is None and path.suffix.lower() == ".ods":
        from .odsmerge import ods_merges

        ranges = ods_merges(path, name)
    return _Merges(list(ranges or []))


class _OpenpyxlBook:
    """The fallback: openpyxl's read-only mode, row by row, with damage named at its row."""

    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook

        try:
            self.wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zip or XML damage
            raise _unreadable(path, type(exc).__name__) from None
        self.sheet_names = list(self.wb.sheetnames)

    def total(self, name: str) -> int | None:
        ws = self.wb[name]
        rows, cols = ws.max_row, ws.max_column
        return rows if rows and cols and cols <= MAX_COLUMNS else None

    def rows(self, name: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        ws = self.wb[name]
        ws.reset_dimensions()  # a sheet's <dimension> is a claim, not a fact: read the cells there
        for n, cells in enumerate(_guarded(ws.iter_rows(values_only=True), name), start=1):
            yield n, tuple(cells[:MAX_COLUMNS])

    def close(self) -> None:
        self.wb.close()


def _guarded(rows: Iterator[Any], sheet: str) -> Iterator[Any]:
    """openpyxl parses a sheet's XML as its rows are read: damaged XML (an invalid character
    reference, a broken zip member) is an error naming the sheet and the row, not a crash."""
    n = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise RecordError(
                [
                    Problem(
                        f"sheet `{sheet}` cannot be read after row {n} "
                        f"({type(exc).__name__}: {str(exc)[:200]})(工作表第 {n} 行之后无法读取)",
                        Location(sheet, n + 1),
                        "save the workbook again from the spreadsheet program",
                        "input",
                    )
                ]
            ) from None
        n += 1
        yield row
