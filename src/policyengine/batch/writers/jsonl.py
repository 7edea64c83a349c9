"""JSON Lines output: one object per input row, with the full report or the row's errors.

JSON is the data format: every string is kept exactly. Control characters other than TAB and
LF (which JSON escapes anyway), DEL, C1 controls and lone surrogates are written as their
``\\uXXXX`` escapes, so each line is valid UTF-8 with no byte a terminal acts on, and
``json.loads`` gives back the very same strings.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..._text import json_utf8
from ..rows import ResultRow
from ..summary import Summary
from .base import Writer


class JsonlWriter(Writer):
    """``{"row": {index, sheet, line, area}, "verdict", "report", "errors"}`` per input row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("wb")  # lines are encoded by json_utf8

    def write(self, row: ResultRow) -> None:
        where = {"index": row.index, "sheet": row.sheet, "line": row.line, "area": row.area}
        errors = [e.to_dict() for e in row.errors]
        dumps = json.dumps
        # json.dumps({...}, ensure_ascii=False) with the report text reused
        line = (
            f'{{"row": {dumps(where, ensure_ascii=False)}, "verdict": {dumps(row.verdict)}, '
            f'"report": {row.report_text() or "null"}, "errors": {dumps(errors, ensure_ascii=False)}}}\n'
        )
        self.fh.write(json_utf8(line))

    def close(self, summary: Summary) -> None:
        self.fh.close()

    def release(self) -> None:
        self.fh.close()
