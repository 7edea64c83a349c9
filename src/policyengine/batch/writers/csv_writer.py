"""CSV output: the results table, UTF-8 with BOM so that Excel opens it in Chinese."""

from __future__ import annotations

import csv
from pathlib import Path

from ..rows import ResultRow
from ..summary import Summary
from .base import Writer
from .tables import RESULT_HEADERS, result_row


class CsvWriter(Writer):
    """One row per input row: the 结果 table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.fh)
        self.out.writerow(RESULT_HEADERS)

    def write(self, row: ResultRow) -> None:
        self.out.writerow(["" if v is None else v for v in result_row(row)])

    def close(self, summary: Summary) -> None:
        self.fh.close()

    def release(self) -> None:
        self.fh.close()
