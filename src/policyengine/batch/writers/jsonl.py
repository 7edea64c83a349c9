"""JSON Lines output: one object per input row, with the full report or the row's errors."""

from __future__ import annotations

import json
from pathlib import Path

from ..rows import ResultRow
from ..summary import Summary
from .base import Writer


class JsonlWriter(Writer):
    """``{"row": {index, sheet, line, area}, "verdict", "report", "errors"}`` per input row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8")

    def write(self, row: ResultRow) -> None:
        where = {"index": row.index, "sheet": row.sheet, "line": row.line, "area": row.area}
        errors = [e.to_dict() for e in row.errors]
        dumps = json.dumps
        # the bytes of json.dumps({...}, ensure_ascii=False), with the report text reused
        self.fh.write(
            f'{{"row": {dumps(where, ensure_ascii=False)}, "verdict": {dumps(row.verdict)}, '
            f'"report": {row.report_text() or "null"}, "errors": {dumps(errors, ensure_ascii=False)}}}\n'
        )

    def close(self, summary: Summary) -> None:
        self.fh.close()

    def release(self) -> None:
        self.fh.close()
