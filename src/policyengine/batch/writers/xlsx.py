"""XLSX output: sheets 结果, 问题明细, 输入错误 and 汇总, written as a stream."""

from __future__ import annotations

from pathlib import Path

from ...outcomes import ROW_STATUSES
from ..rows import ResultRow
from ..summary import Summary
from .base import Writer
from .tables import DETAIL_HEADERS, ERROR_HEADERS, RESULT_HEADERS, detail_rows, error_row, result_row


class XlsxWriter(Writer):
    """Sheets 结果 (one row per input row), 问题明细, 输入错误 and 汇总 (the summary)."""

    def __init__(self, path: Path) -> None:
        # openpyxl (the `assess` extra, slow to import) loads only when an XLSX is written
        from openpyxl import Workbook

        self.path = path
        self.wb = Workbook(write_only=True)
        self.results = self.wb.create_sheet("结果")
        self.details = self.wb.create_sheet("问题明细")
        self.errors = self.wb.create_sheet("输入错误")
        self.results.append(RESULT_HEADERS)
        self.details.append(DETAIL_HEADERS)
        self.errors.append(ERROR_HEADERS)

    def write(self, row: ResultRow) -> None:
        self.results.append(result_row(row))
        for d in detail_rows(row):
            self.details.append(d)
        for e in row.errors:
            self.errors.append(error_row(e))

    def close(self, summary: Summary) -> None:
        ws = self.wb.create_sheet("汇总")
        data = summary.to_dict()
        ws.append(["评估基准日", data["as_of"]])
        ws.append(["政策包", ", ".join(f"{p['id']} {p['version']}" for p in data["packs"])])
        ws.append(["记录数", data["rows"]])
        for status in ROW_STATUSES:
            ws.append([status.label_zh, data["verdicts"].get(status.value, 0)])
        ws.append([])
        ws.append(["不符合最多的规则", "次数", "条款", "规则名称"])
        for r in data["top_failed_rules"]:
            ws.append([r["rule"], r["count"], r.get("clause"), r.get("title")])
        ws.append([])
        ws.append(["地区", *[status.label_zh for status in ROW_STATUSES]])
        for area, counts in data["by_area"].items():
            ws.append([area, *[counts.get(status.value, 0) for status in ROW_STATUSES]])
        self.wb.save(self.path)
