"""XLSX output (XlsxWriter, streaming): sheets 结果, 问题明细, 输入错误 and 汇总, each with a
styled header row that stays in view (frozen), a filter on every column, set column widths,
and colour where it matters: 不合规 red, 数据不全 amber, 无法读取 grey (conditional formats on
the 结论/结果 columns, so a re-sorted or filtered sheet keeps them). Every code is its Chinese
label (结论, 结果, 严重程度 不合规/警告/提示, the pack's title); 规则编号 stays as the rule's id.

Every text is written as a text cell (``write_string``; the workbook's ``strings_to_formulas``,
``strings_to_numbers`` and ``strings_to_urls`` are off), never a formula or an error value,
whatever it starts with: ``=HYPERLINK(…)`` in a record's name stays those characters. What XML
cannot hold becomes U+FFFD and a text longer than a cell holds is cut; both are counted on 汇总
and on the console (:class:`~policyengine.batch.summary.OutputChanges`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .options import DEFAULT_OPTIONS, OutputOptions
from .tables import DETAIL_HEADERS, ERROR_HEADERS, RESULT_HEADERS, detail_rows, error_row, result_row

#: the most characters (UTF-16 code units, as Excel counts) a cell holds
CELL_LIMIT = 32767
CUT_MARK = "…"
#: column widths (in characters) of each sheet, as the headers are in :mod:`.tables`
WIDTHS = {
    "结果": [6, 10, 6, 12, 24, 12, 10, 10, 8, 10, 10, 12, 50, 40, 40],
    "问题明细": [6, 12, 24, 20, 28, 9, 9, 44, 28, 8, 44, 26],
    "输入错误": [12, 7, 20, 50, 40],
}
#: the column of each sheet whose text is coloured, and how: text → (fill, font colour)
TONED = {"结果": 6, "问题明细": 5}
TONES = {
    "不合规": ("FDECEA", "B71C1C"),
    "不符合": ("FDECEA", "B71C1C"),
    "数据不全": ("FFF4E5", "8A5300"),
    "数据不足": ("FFF4E5", "8A5300"),
    "无法评估": ("FFF4E5", "8A5300"),
    "无法读取": ("EEEEEE", "424242"),
}


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

    accepts_options = True

    def __init__(self, path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> None:
        # XlsxWriter (the `assess` extra) loads only when an XLSX is written
        import xlsxwriter  # type: ignore[import-untyped]

        self.path = path
        self.options = options
        self.changes = OutputChanges()
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,  # rows stream to disk: memory stays flat
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": False,
            },
        )
        self.header = self.wb.add_format(
            {"bold": True, "bg_color": "#DCE3EA", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.body = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.sheets: dict[str, Any] = {}
        self.next_row: dict[str, int] = {}
        for name, headers in (
            ("结果", RESULT_HEADERS),
            ("问题明细", DETAIL_HEADERS),
            ("输入错误", ERROR_HEADERS),
        ):
            ws = self.wb.add_worksheet(name)
            self.sheets[name] = ws
            self.next_row[name] = 0
            for col, width in enumerate(WIDTHS[name]):
                ws.set_column(col, col, width, self.body)
            ws.freeze_panes(1, 0)
            self._append(name, headers, self.header)

    def _append(self, sheet: str, values: Iterable[Any], fmt: Any = None) -> None:
        """One row: numbers as numbers, every text as a text cell."""
        ws, r = self.sheets[sheet], self.next_row[sheet]
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(r, c, self._text(v), fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v, fmt)
            elif isinstance(v, int | float):
                ws.write_number(r, c, v, fmt)
            else:
                ws.write_string(r, c, self._text(str(v)), fmt)
        self.next_row[sheet] = r + 1

    def _text(self, value: str) -> str:
        text = self.changes.xml(value)
        cut = fit_cell(text)
        if cut is not None:
            self.changes.truncated += 1
            text = cut
        return text

    def write(self, row: ResultRow) -> None:
        self._append("结果", result_row(row))
        for d in detail_rows(row):
            self._append("问题明细", d)
        for e in row.errors:
            self._append("输入错误", error_row(e))

    def _finish_sheets(self, summary: Summary) -> None:
        for name, ws in self.sheets.items():
            headers = {"结果": RESULT_HEADERS, "问题明细": DETAIL_HEADERS, "输入错误": ERROR_HEADERS}[name]
            last = max(self.next_row[name] - 1, 1)
            ws.autofilter(0, 0, last, len(headers) - 1)
            col = TONED.get(name)
            if col is None:
                continue
            for text, (fill, font) in TONES.items():
                fmt = self.wb.add_format({"bg_color": f"#{fill}", "font_color": f"#{font}", "bold": True})
                ws.conditional_format(
                    1, col, last, col, {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": fmt}
                )
        if not summary.score_counts:  # no scorecard: 得分 and 等级 are empty, so hidden
            self.sheets["结果"].set_column(7, 8, None, None, {"hidden": True})

    def close(self, summary: Summary) -> None:
        from .summary_sheet import summary_rows

        self._finish_sheets(summary)
        name = "汇总"
        self.sheets[name] = ws = self.wb.add_worksheet(name)
        self.next_row[name] = 0
        ws.set_column(0, 0, 34)
        ws.set_column(1, 5, 14)
        title = self.wb.add_format({"bold": True, "font_size": 14})
        for kind, values in summary_rows(summary, self.options):
            fmt = {"title": title, "header": self.header}.get(kind)
            self._append(name, values, fmt)
        if self.changes:  # counted over every sheet, this one included
            self._append(name, [])
            self._append(name, ["本文件的改动 / changes in this file"])
            for line in self.changes.lines():
                self._append(name, [line])
        summary.note_changes(self.path, self.changes)
        self.wb.close()

    def release(self) -> None:
        """Close each sheet's stream and remove its temp file (XlsxWriter writes every sheet to
        a file in the system temp directory first, and removes it only when the book closes)."""
        for ws in self.wb.worksheets():
            fh, name = getattr(ws, "row_data_fh", None), getattr(ws, "row_data_filename", None)
            try:
                if fh is not None:
                    fh.close()
            except OSError:
                pass
            if name:
                try:
                    os.unlink(name)
                except OSError:
                    pass
