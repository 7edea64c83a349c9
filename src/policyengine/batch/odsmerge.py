"""Merged ranges of an ODS sheet (python-calamine gives them for XLSX and XLS only).

An ODS cell that spans others says so with ``table:number-columns-spanned`` and
``table:number-rows-spanned``; the cells it covers are ``table:covered-table-cell``. They are
read from ``content.xml`` as a stream, in calamine's shape: ((first row, first column),
(last row, last column)), 0-based.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
#: repeat counts past this are the padding of an empty sheet's end, not cells to count one by one
_MAX_REPEAT = 1 << 20

Range = tuple[tuple[int, int], tuple[int, int]]


def _count(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), _MAX_REPEAT))
    except ValueError:
        return 1


def ods_merges(path: Path, sheet: str) -> list[Range]:
    """The merged ranges of ``sheet`` in the ODS file (none when the file cannot be read:
    the reader reports that itself)."""
    ranges: list[Range] = []
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as fh:
            inside, row, col = False, 0, 0
            for event, el in ET.iterparse(fh, events=("start", "end")):
                if el.tag == f"{_TABLE}table":
                    if event == "start":
                        inside, row = el.get(f"{_TABLE}name") == sheet, 0
                    elif inside:
                        break
                    el.clear()
                elif not inside:
                    continue
                elif el.tag == f"{_TABLE}table-row":
                    if event == "start":
                        col = 0
                    else:
                        row += _count(el.get(f"{_TABLE}number-rows-repeated"))
                        el.clear()
                elif el.tag in _CELLS and event == "start":
                    cols = _count(el.get(f"{_TABLE}number-columns-spanned"))
                    rows = _count(el.get(f"{_TABLE}number-rows-spanned"))
                    if el.tag == _CELLS[0] and (cols > 1 or rows > 1):
                        ranges.append(((row, col), (row + rows - 1, col + cols - 1)))
                    col += _count(el.get(f"{_TABLE}number-columns-repeated"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError):
        return ranges
    return ranges
