"""Batch inputs: XLSX (with second sheets), CSV and JSON Lines, read row by row.

Every row comes out as an :class:`~policyengine.batch.rows.InputRow` that knows its sheet and
row number as the user sees them (header = row 1), so an error can say "sheet 项目, row 17". A
row that cannot be read still comes out, with its problems (:class:`InputProblem`), so that no
input row is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .._csv import MAX_CELL, BadRecord, csv_records
from ..errors import Location, Problem, RecordError
from .guards import MAX_COLUMNS, check_zip, has_formulas, json_line
from .rows import InputProblem, InputRow
from .tabular import PARENT_KEYS, build_header_map, check_headers, row_to_record

INPUT_SUFFIXES = (".xlsx", ".csv", ".jsonl")


@dataclass
class ChildTable:
    """Rows of a second sheet, grouped by the parent's id."""

    sheet: str
    field_name: str
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)


class Input:
    """An opened batch input."""

    def __init__(
        self,
        path: Path,
        model: type[BaseModel],
        mapping: dict[str, str | None] | None = None,
        extra_sheets: dict[str, Path] | None = None,
    ) -> None:
        self.path = path
        self.model = model
        self.suffix = path.suffix.lower()
        if self.suffix not in INPUT_SUFFIXES:
            raise RecordError(
                [
                    Problem(
                        f"cannot read {self.suffix or 'this kind of'} file",
                        Location(str(path)),
                        f"give one of {', '.join(INPUT_SUFFIXES)}",
                        "input",
                    )
                ]
            )
        if not path.is_file():
            raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
        self.hm = build_header_map(model, mapping) if self.suffix != ".jsonl" else None
        self.mapping = mapping
        self.extra_sheets = extra_sheets or {}
        self.children: list[ChildTable] = []
        #: second-sheet rows that could not be read (reported with the orphans)
        self.bad_child_rows: list[InputProblem] = []
        self.main_sheet = ""
        self.total: int | None = None
        self._formulas: Any = None
        self._prepare()

    # -- set-up --------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self.suffix == ".xlsx":
            self._prepare_xlsx()
            self._read_header(self._sheet_rows(self._main), self.main_sheet)
        elif self.suffix == ".csv":
            self.total = _count_lines(self.path) - 1
            for name, child_path in self.extra_sheets.items():
                self._load_child(name, child_path.name, _csv_rows(child_path))
            self._read_header(_csv_rows(self.path), self.path.name)
        else:
            self.total = _count_lines(self.path)

    def _read_header(self, rows: Iterator[tuple[int, Any]], sheet: str) -> None:
        """Check the main sheet's headers now, before any output is opened."""
        assert self.hm is not None
        first = next(rows, None)
        header = _header_cells(first, sheet)
        self._columns = (
            check_headers([str(h) if h is not None else "" for h in header], self.hm, sheet)
            if header is not None
            else None
        )

    def _prepare_xlsx(self) -> None:
        try:  # openpyxl (the `assess` extra, slow to import) loads only for XLSX input
            from openpyxl import load_workbook
        except ImportError:  # pragma: no cover - the assess extra is missing
            raise RecordError(
                [Problem("reading XLSX needs openpyxl", None, "install policyengine[assess]", "input")]
            ) from None
        check_zip(self.path)
        try:
            self._wb = load_workbook(self.path, read_only=True, data_only=True)
            # formulas are read beside the values only when the workbook has any
            self._formulas = load_workbook(self.path, read_only=True) if has_formulas(self.path) else None
        except Exception as exc:  # zip or XML damage
            raise RecordError(
                [
                    Problem(
                        f"not a readable XLSX file ({type(exc).__name__})",
                        Location(str(self.path)),
                        "save it again from the spreadsheet program",
                        "input",
                    )
                ]
            ) from None
        assert self.hm is not None
        main = None
        for ws in self._wb.worksheets:
            if ws.title in self.hm.sheets:
                ws.reset_dimensions()
                self._load_child(ws.title, ws.title, self._sheet_rows(ws))
            elif main is None:
                main = ws
        if main is None:
            raise RecordError(
                [
                    Problem(
                        "the workbook has no sheet of records",
                        Location(str(self.path)),
                        "the first sheet that is not a staff-like sheet holds the records",
                        "input",
                    )
                ]
            )
        claimed_rows, claimed_cols = main.max_row, main.max_column
        # a sheet's <dimension> is a claim, not a fact (A1:XFD1048576 in a 2 KB file pads every
        # row to 16,384 cells): read the cells that are there
        main.reset_dimensions()
        self._main = main
        self.main_sheet = main.title
        plausible = claimed_rows and claimed_cols and claimed_cols <= MAX_COLUMNS
        self.total = max(0, claimed_rows - 1) if plausible and claimed_rows else None

    def _sheet_rows(self, ws: Any) -> Iterator[tuple[int, Any]]:
        """A sheet's rows with their numbers; a formula whose result was never saved (a
        workbook written by a program, not opened in a spreadsheet since) makes its row a bad
        one, naming the column: its value would read as empty, and the row could vanish.
        The sheet's XML is parsed while it is read: damage there stops the run with the row."""
        values = _guarded(ws.iter_rows(values_only=True), ws.title)
        if self._formulas is None:
            yield from enumerate(values, start=1)
            return
        other = self._formulas[ws.title]
        other.reset_dimensions()
        formulas = _guarded(other.iter_rows(values_only=True), ws.title)
        for n, cells in enumerate(values, start=1):
            shown = next(formulas, None) or ()
            lost = [
                i + 1
                for i, (v, f) in enumerate(zip(cells or (), shown, strict=False))
                if v is None and isinstance(f, str) and f.startswith("=")
            ]
            if lost:
                cols = "、".join(str(c) for c in lost)
                zh = f"第 {cols} 列是公式,但文件中没有保存计算结果"
                en = f"column {cols} holds a formula whose result the file does not keep"
                yield n, BadRecord(n, f"{zh};请在表格程序中打开并保存后再读", en)
            else:
                yield n, cells

    def _load_child(self, name: str, label: str, rows: Iterator[tuple[int, Any]]) -> None:
        assert self.hm is not None
        if name not in self.hm.sheets:
            raise RecordError(
                [
                    Problem(
                        f"`{name}` is not a list in these records",
                        None,
                        f"sheets may be: {', '.join(sorted(self.hm.sheets))}",
                        "input",
                    )
                ]
            )
        field_name, item_model = self.hm.sheets[name]
        header = _header_cells(next(rows, None), label)
        if header is None:
            return
        headers = [str(h).strip() if h is not None else "" for h in header]
        key_col = next((i for i, h in enumerate(headers) if h in PARENT_KEYS), None)
        if key_col is None:
            raise RecordError(
                [
                    Problem(
                        f"sheet `{label}` has no column naming the record each row belongs to",
                        Location(label, 1, 1),
                        f"add a column titled one of: {', '.join(PARENT_KEYS)}",
                        "header",
                    )
                ]
            )
        item_headers = list(headers)
        item_headers[key_col] = ""
        columns = check_headers(item_headers, build_header_map(item_model, self.mapping), label)
        table = ChildTable(label, field_name)
        for n, cells in rows:
            if isinstance(cells, BadRecord):
                self.bad_child_rows.append(InputProblem(label, n, None, f"{cells.zh} / {cells.en}"))
                continue
            if cells is None or all(c is None or str(c).strip() == "" for c in cells):
                continue
            key = cells[key_col] if key_col < len(cells) else None
            parent = _key(key)
            table.groups.setdefault(parent, []).append((n, row_to_record(columns, list(cells))))
        self.children.append(table)

    # -- rows ------------------------------------------------------------------------------

    def rows(self) -> Iterator[InputRow]:
        if self.suffix == ".jsonl":
            yield from self._jsonl_rows()
            return
        assert self.hm is not None
        if self.suffix == ".xlsx":
            sheet = self.main_sheet
            raw: Iterator[tuple[int, Any]] = self._sheet_rows(self._main)
        else:
            sheet, raw = self.path.name, _csv_rows(self.path)
        if next(raw, None) is None or self._columns is None:
            return
        columns = self._columns
        index = 0
        for n, cells in raw:
            if isinstance(cells, BadRecord):
                problem = InputProblem(sheet, n, None, f"{cells.zh} / {cells.en}")
                yield InputRow(index, sheet, n, None, [problem])
                index += 1
                continue
            if cells is None or all(c is None or str(c).strip() == "" for c in cells):
                continue
            row = self._row(index, sheet, n, columns, cells)
            index += 1
            self._attach_children(row)
            yield row

    def _row(self, index: int, sheet: str, n: int, columns: list[Any], cells: Any) -> InputRow:
        """One row's record, or the row with why it could not be read (never an exception)."""
        long = next((i for i, c in enumerate(cells) if isinstance(c, str) and len(c) > MAX_CELL), None)
        if long is not None:
            why = (
                f"第 {long + 1} 列的单元格超过 {MAX_CELL:,} 个字符 / "
                f"the cell in column {long + 1} is over {MAX_CELL:,} characters"
            )
            return InputRow(index, sheet, n, None, [InputProblem(sheet, n, None, why)])
        try:
            return InputRow(index, sheet, n, row_to_record(columns, list(cells)))
        except Exception as exc:  # a bad row is a bad row: the run goes on
            text = f"{type(exc).__name__}: {str(exc)[:300]}"
            problem = InputProblem(
                sheet, n, None, f"此行无法读取({text})", f"the row could not be read ({text})"
            )
            return InputRow(index, sheet, n, None, [problem])

    def _attach_children(self, row: InputRow) -> None:
        if not self.children or row.record is None:
            return
        rid = _key(row.record.get("id"))
        for table in self.children:
            items = table.groups.get(rid, []) if rid else []
            if items:
                table.used.add(rid)
                row.record[table.field_name] = [item for _, item in items]
                row.child_rows[table.field_name] = [(table.sheet, n) for n, _ in items]
            elif not rid:
                row.problems.append(
                    InputProblem(
                        row.sheet,
                        row.line,
                        None,
                        f"该行没有编号,无法匹配工作表“{table.sheet}”中的 {table.field_name}",
                        "请填写编号列",
                    )
                )

    def orphans(self) -> list[InputProblem]:
        """Second-sheet rows that could not be read, or whose parent id matched no record
        (call after reading all rows)."""
        return self.bad_child_rows + [
            InputProblem(
                table.sheet,
                n,
                None,
                f"所属编号“{key or '(空)'}”在主表中不存在,该行未被使用",
                "请核对编号,或在主表中补充该记录",
            )
            for table in self.children
            for key, items in table.groups.items()
            if key not in table.used
            for n, _ in items
        ]

    def _jsonl_rows(self) -> Iterator[InputRow]:
        index = 0
        with self.path.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                data, why = json_line(raw)
                if why is None and not isinstance(data, dict):
                    why = (
                        f"一行应是一个 JSON 对象,而不是 {type(data).__name__} / a line must be a JSON object"
                    )
                if why is not None:
                    problem = InputProblem(self.path.name, n, None, why, "each line must be one JSON object")
                    yield InputRow(index, "", n, None, [problem])
                else:
                    yield InputRow(index, "", n, data)
                index += 1

    def close(self) -> None:
        for wb in (getattr(self, "_wb", None), getattr(self, "_formulas", None)):
            if wb is not None:
                wb.close()


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


def _key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple[str, ...] | BadRecord]]:
    """CSV records with the line each starts on (:mod:`policyengine._csv`)."""
    return csv_records(path)


def _header_cells(first: tuple[int, Any] | None, sheet: str) -> tuple[Any, ...] | None:
    """The header row's cells; a header that cannot be read stops the run before any output."""
    if first is None:
        return None
    n, cells = first
    if isinstance(cells, BadRecord):
        raise RecordError([Problem(cells.en, Location(sheet, n), "fix the header row", "header")])
    return tuple(cells) if cells is not None else None


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n
