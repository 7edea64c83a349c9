"""XLSX output: sheets 结果, 问题明细, 输入错误 and 汇总, written as a stream.

Every text is written as a text cell (``t="inlineStr"``/shared string), never as a formula or
an error value, whatever it starts with: ``=HYPERLINK(…)`` in a record's name stays those
characters. What XML cannot hold becomes U+FFFD and a text longer than a cell holds is cut;
both are counted on 汇总 and on the console (:class:`~policyengine.batch.summary.OutputChanges`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...outcomes import ROW_STATUSES
from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .tables import DETAIL_HEADERS, ERROR_HEADERS, RESULT_HEADERS, detail_rows, error_row, result_row

#: the most characters (UTF-16 code units, as Excel counts) a cell holds
CELL_LIMIT = 32767
CUT_MARK = "…"


def fit_cell(text: str) -> str | None:
    """``text`` cut to what a cell holds (ending in …), or None when it fits."""
    if len(text) <= CELL_LIMIT // 2 or len(text.encode("utf-16-le")) // 2 <= CELL_LIMIT:
        return None
    room, units = CELL_LIMIT - len(CUT_MARK), 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1  # beyond the BMP a character counts twice
        if units > room:
            return text[:i] + CUT_MARK
    return None  # unreachable: the text is longer than the room


class XlsxWriter(Writer):
    """Sheets 结果 (one row per input row), 问题明细, 输入错误 and 汇总 (the summary)."""

    def __init__(self, path: Path) -> None:
        # openpyxl (the `assess` extra, slow to import) loads only when an XLSX is written
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self.path = path
        self.changes = OutputChanges()
        self._cell = WriteOnlyCell
        self.wb = Workbook(write_only=True)
        self.results = self.wb.create_sheet("结果")
        self.details = self.wb.create_sheet("问题明细")
        self.errors = self.wb.create_sheet("输入错误")
        self._append(self.results, RESULT_HEADERS)
        self._append(self.details, DETAIL_HEADERS)
        self._append(self.errors, ERROR_HEADERS)

    def release(self) -> None:
        """Finish each sheet's stream and remove its temp file (openpyxl writes every sheet to
        a file in the system temp directory first, and removes it only at exit)."""
        for ws in self.wb.worksheets:
            try:
                ws.close()
            except Exception:
                pass
            out = getattr(getattr(ws, "_writer", None), "out", None)
            if isinstance(out, str):
                Path(out).unlink(missing_ok=True)

    def _append(self, ws: Any, values: Iterable[Any]) -> None:
        """One row: numbers as numbers, every text as a text cell."""
        ws.append([self._text_cell(ws, v) if isinstance(v, str) else v for v in values])

    def _text_cell(self, ws: Any, value: str) -> Any:
        text = self.changes.xml(value)
        cut = fit_cell(text)
        if cut is not None:
            self.changes.truncated += 1
            text = cut
        if not text.startswith(("=", "#")):
            return text  # openpyxl writes any other text as a text cell
        cell = self._cell(ws, value=text)
        cell.data_type = "s"  # openpyxl would take "=…" for a formula and "#N/A" for an error
        return cell

    def write(self, row: ResultRow) -> None:
        self._append(self.results, result_row(row))
        for d in detail_rows(row):
            self._append(self.details, d)
        for e in row.errors:
            self._append(self.errors, error_row(e))

    def close(self, summary: Summary) -> None:
        ws = self.wb.create_sheet("汇总")
        data = summary.to_dict()
        rows: list[list[Any]] = [
            ["评估基准日", data["as_of"]],
            ["政策包", ", ".join(f"{p['id']} {p['version']}" for p in data["packs"])],
            ["记录数", data["rows"]],
            *[[status.label_zh, data["verdicts"].get(status.value, 0)] for status in ROW_STATUSES],
            [],
            ["不符合最多的规则", "次数", "条款", "规则名称"],
            *[[r["rule"], r["count"], r.get("clause"), r.get("title")] for r in data["top_failed_rules"]],
            [],
            ["地区", *[status.label_zh for status in ROW_STATUSES]],
            *[
                [area, *[counts.get(status.value, 0) for status in ROW_STATUSES]]
                for area, counts in data["by_area"].items()
            ],
        ]
        for r in rows:
            self._append(ws, r)
        if self.changes:  # counted over every sheet, this one included
            self._append(ws, [])
            self._append(ws, ["本文件的改动 / changes in this file"])
            for line in self.changes.lines():
                self._append(ws, [line])
        summary.note_changes(self.path, self.changes)
        self.wb.save(self.path)
