"""CSV output: the results table, UTF-8 with BOM so that Excel opens it in Chinese, or
GB18030 (``--encoding gb18030``) for old Excel and WPS on Chinese Windows, which open it
without asking. GB18030 encodes every Unicode character, so nothing is lost either way.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and TAB or CR before one). So, as OWASP advises, a *text* cell starting with one of
:data:`FORMULA_START` gets a leading ``'`` (``=1+1`` is written ``'=1+1``). Numbers are
written as numbers and never prefixed, and neither is a text that is only a plain number
(``-5``, ``+3.2``): a spreadsheet reads it as that number, not as a formula. What the file
cannot hold (characters XML cannot, lone surrogates) becomes U+FFFD. Both are counted
(:class:`~policyengine.batch.summary.OutputChanges`) and the console says how many.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .options import CSV_ENCODINGS, DEFAULT_OPTIONS, OutputOptions
from .tables import RESULT_HEADERS, result_row

#: what a cell a spreadsheet takes for a formula starts with
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a text that is only a number in plain notation: read as that number, never as a formula
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any, changes: OutputChanges) -> Any:
    """One value as the CSV holds it: None empty, numbers as they are, text made safe."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = changes.xml(value)
    if text.startswith(FORMULA_START) and PLAIN_NUMBER.fullmatch(text) is None:
        changes.prefixed += 1
        return "'" + text
    return text


class CsvWriter(Writer):
    """One row per input row: the 结果 table."""

    accepts_options = True

    def __init__(self, path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> None:
        self.path = path
        self.changes = OutputChanges()
        self.fh = path.open("w", encoding=CSV_ENCODINGS[options.encoding], newline="")
        self.out = csv.writer(self.fh)
        self.out.writerow(RESULT_HEADERS)

    def write(self, row: ResultRow) -> None:
        self.out.writerow([csv_cell(v, self.changes) for v in result_row(row)])

    def close(self, summary: Summary) -> None:
        summary.note_changes(self.path, self.changes)
        self.fh.close()

    def release(self) -> None:
        self.fh.close()
