"""Batch inputs: spreadsheets (.xlsx .xls .ods, WPS .et; with second sheets), CSV and JSON
Lines, read row by row, as ledgers come.

Every row comes out as an :class:`~policyengine.batch.rows.InputRow` that knows its sheet and
row number as the user sees them, so an error can say "sheet 项目, row 17". A sheet's header
row is found (the row naming the most fields; ``header_row`` forces one), and what stands
above it is kept as the ledger's caption (:mod:`.ledger`); 序号 and 备注 columns are left out
and listed; 合计 and 小计 rows are no records, and their figures are checked against the
records'. Each cell is read on its own (:mod:`.cells`): one that cannot be read is a note on
its row, whose other fields are still evaluated. A row that cannot be read at all still comes
out, with its problems, so that no input row is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .._csv import BadRecord, csv_records
from ..errors import Location, Problem, RecordError
from .children import ChildStore
from .guards import json_line
from .ledger import SheetLayout, Totals
from .rows import InputProblem, InputRow
from .sheets import SheetSource, child_key, child_sheet, count_lines, open_source, read_layout, records_rows
from .summary import Summary
from .tabular import build_header_map, split_mapping

INPUT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett", ".csv", ".jsonl")


class Input:
    """An opened batch input.

    ``mapping`` is a mapping file's content (:func:`~policyengine.batch.tabular.load_mapping`):
    its ``表头: field.path`` lines apply to the records sheet, a second sheet's own part to that
    sheet. ``extra_sheets`` are second tables in CSV files (``{"staff": Path("staff.csv")}``);
    ``list_sheets`` names a workbook's sheets that hold a list field under another name
    (``{"社工名册": "staff"}``); ``records_sheet`` chooses the sheet of records (default: the
    first that is not a second sheet); ``header_row`` forces the records sheet's header row.
    """

    def __init__(
        self,
        path: Path,
        model: type[BaseModel],
        mapping: dict[str, Any] | None = None,
        extra_sheets: dict[str, Path] | None = None,
        *,
        records_sheet: str | None = None,
        header_row: int | None = None,
        list_sheets: dict[str, str] | None = None,
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
        for field_name, child in (extra_sheets or {}).items():
            if not child.is_file():
                hint = f"--sheet {field_name}=FILE names a CSV file of {field_name} rows; 找不到该文件"
                raise RecordError([Problem("no such file", Location(str(child)), hint, "input")])
        if header_row is not None and header_row < 1:
            raise RecordError([Problem("--header-row counts from 1", None, None, "usage")])
        main_mapping, self.sheet_mappings = split_mapping(mapping)
        self.hm = build_header_map(model, main_mapping) if self.suffix != ".jsonl" else None
        self.header_row = header_row
        self.store = ChildStore() if self.suffix != ".jsonl" else None
        #: (sheet, list field) of each second sheet, by its index in the store
        self.children: list[tuple[str, str]] = []
        self._key_headers: list[str] = []  # each second sheet's parent-id header
        #: second-sheet rows that could not be read (reported with the orphans)
        self.bad_child_rows: list[InputProblem] = []
        #: what the sheets said beyond their records: notes on total rows, ignored columns
        self.notes: list[str] = []
        self.ignored: list[str] = []
        self.caption: list[str] = []
        self.main_sheet = ""
        self.total: int | None = None
        self.source: SheetSource | None = None
        self.layout: SheetLayout | None = None
        self.totals: Totals | None = None
        try:
            self._prepare(records_sheet, extra_sheets or {}, list_sheets or {})
        except BaseException:
            self.close()
            raise

    # -- set-up --------------------------------------------------------------------------

    def _prepare(self, records_sheet: str | None, extra: dict[str, Path], lists: dict[str, str]) -> None:
        if self.suffix == ".jsonl":
            self.total = count_lines(self.path)
            return
        assert self.hm is not None and self.store is not None
        self.source = open_source(self.path, self.hm, records_sheet, lists)
        for sheet, field_name in self.source.child_sheets():
            self._load_child(sheet, field_name, self.source.rows(sheet))
            self.source.release(sheet)
        for field_name, child_path in extra.items():
            self._load_child(child_path.name, field_name, csv_records(child_path))
        self.main_sheet = self.source.main
        self.layout, columns, ignored = read_layout(
            self.source.rows(self.main_sheet), self.hm, self.main_sheet, self.header_row
        )
        self._columns = columns
        self.ignored.extend(f"{self.main_sheet}: {h}" for h in ignored)
        if self.layout is not None:
            self.caption = list(self.layout.caption)
        total = self.source.total(self.main_sheet)
        if total is not None and self.layout is not None:
            self.total = max(0, total - self.layout.header_row)

    def _load_child(self, sheet: str, field_name: str, rows: Iterator[tuple[int, Any]]) -> None:
        assert self.hm is not None and self.store is not None
        table = len(self.children)
        self.children.append((sheet, field_name))
        mapping = self.sheet_mappings.get(sheet) or self.sheet_mappings.get(field_name)
        for title, (name, _) in self.hm.sheets.items():  # the field's title names it too
            if name == field_name and mapping is None:
                mapping = self.sheet_mappings.get(title)
        loaded = child_sheet(rows, self.hm, sheet, field_name, mapping)
        self._key_headers.append(loaded.key_header if loaded else "")
        if loaded is None:
            return
        self.ignored.extend(f"{sheet}: {h}" for h in loaded.ignored)
        for n, key, item, notes in loaded.rows:
            if isinstance(item, BadRecord):
                self.bad_child_rows.append(InputProblem(sheet, n, None, f"{item.zh} / {item.en}"))
            else:
                self.store.add(key, table, n, item, notes)
        self.notes.extend(loaded.totals.notes)

    # -- rows ------------------------------------------------------------------------------

    def rows(self) -> Iterator[InputRow]:
        if self.suffix == ".jsonl":
            yield from self._jsonl_rows()
            return
        if self.source is None or self.layout is None or self._columns is None:
            return
        assert self.hm is not None
        sheet = self.main_sheet
        self.totals = Totals(sheet, {})
        rows = records_rows(self.source.rows(sheet), self.layout, self._columns, self.hm, sheet, self.totals)
        for index, (n, record, problems, notes) in enumerate(rows):
            row = InputRow(index, sheet, n, record, problems, notes=notes)
            self._attach_children(row)
            yield row

    def _attach_children(self, row: InputRow) -> None:
        if not self.children or row.record is None or self.store is None:
            return
        rid = child_key(row.record.get("id"))
        if not rid:
            for sheet, field_name in self.children:
                row.notes.append(
                    InputProblem(
                        row.sheet,
                        row.line,
                        None,
                        f"该行没有编号,无法匹配工作表“{sheet}”中的 {field_name}",
                        "请填写编号列",
                    )
                )
            return
        for table, line, item, notes in self.store.take(rid):
            sheet, field_name = self.children[table]
            row.record.setdefault(field_name, []).append(item)
            row.child_rows.setdefault(field_name, []).append((sheet, line))
            row.notes.extend(notes)

    def describe(self, summary: Summary) -> None:
        """Tell the run's summary what the ledger said beside its records: its caption, the
        columns left out, the notes on total rows (call after reading all rows)."""
        summary.caption, summary.ignored_columns = list(self.caption), list(self.ignored)
        by_sheet: dict[str, list[str]] = {}
        for entry in self.ignored:
            sheet, _, header = entry.partition(": ")
            by_sheet.setdefault(sheet, []).append(header)
        if by_sheet:
            left = ";".join(f"{sheet}:{'、'.join(headers)}" for sheet, headers in by_sheet.items())
            summary.notes.append(f"未读取的列(不对应任何字段):{left} / columns left out: {left}")
        summary.notes.extend(self.notes + (self.totals.notes if self.totals else []))

    def orphan_rows(self) -> Iterator[tuple[str, int, list[InputProblem]]]:
        """Second-sheet rows no record took, as (sheet, row, problems): rows that could not be
        read, and rows whose parent id matched no record, with their cell notes (call after
        reading all rows; streamed from disk)."""
        for problem in self.bad_child_rows:
            yield problem.sheet or "", problem.row or 0, [problem]
        if self.store is None:
            return
        for table, key, line, notes in self.store.orphans():
            sheet, _ = self.children[table]
            unmatched = InputProblem(
                sheet,
                line,
                self._key_headers[table] or None,
                f"所属编号“{key or '(空)'}”在主表中不存在,该行未被使用",
                "请核对编号,或在主表中补充该记录",
            )
            yield sheet, line, [unmatched, *notes]

    def orphans(self) -> list[InputProblem]:
        """Every problem of :meth:`orphan_rows`, one list."""
        return [p for _, _, problems in self.orphan_rows() for p in problems]

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
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.store is not None:
            self.store.close()
            self.store = None
