"""CSV as ledgers are really saved: one encoding for the whole file, every record with the line
it starts on, and a broken record reported at its line while the rest is still read.

- **Encoding**: UTF-8 (with or without BOM) when any line holds UTF-8 text beyond ASCII,
  otherwise GB18030, as Chinese Excel saves CSV. A line that is not valid in the file's
  encoding (a GB18030 line pasted into a UTF-8 file) makes its record a bad one, naming the
  line and the encoding; the other lines are read as they are.
- **Unterminated quotes**: a quote that is never closed would swallow every later line into
  one cell. The record it starts is reported at its line, and reading resumes on the next
  line, so the rows after it are not lost.
- **Long cells**: Python's csv refuses fields over 131,072 characters; the limit here is
  :data:`MAX_FIELD`, and a cell over :data:`MAX_CELL` characters (Excel's own cell limit) makes
  its record a bad one, naming the column.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import Location, Problem, RecordError

#: Python's csv field limit, raised: a longer field is reported, not a crash.
MAX_FIELD = 16 * 1024 * 1024
#: The longest cell a record may have (Excel's limit for one cell).
MAX_CELL = 32_767

csv.field_size_limit(min(MAX_FIELD, sys.maxsize))


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read, at ``line``, and why (zh and en); ``cells`` holds
    what was read of it, when anything was (a spreadsheet row with a lost formula result)."""

    line: int
    zh: str
    en: str
    cells: tuple[Any, ...] | None = None


#: One CSV record: the line it starts on, and its cells or why it could not be read.
Record = tuple[int, tuple[str, ...] | BadRecord]


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if any line holds valid UTF-8 beyond ASCII or every line is ASCII;
    otherwise ``gb18030``."""
    with path.open("rb") as fh:
        for raw in fh:
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return "utf-8-sig"
    with path.open("rb") as fh:
        if all(raw.isascii() for raw in fh):
            return "utf-8-sig"
    return "gb18030"


def csv_records(path: Path, encoding: str | None = None) -> Iterator[Record]:
    """Every record of the CSV file with the line it starts on (header = line 1), streamed:
    only a broken record's lines are held, to read them again."""
    encoding = encoding or detect_encoding(path)
    with path.open("rb") as fh:
        yield from _records(_lines(fh, encoding), encoding)


def _lines(fh: BinaryIO, encoding: str) -> Iterator[tuple[int, str]]:
    for n, raw in enumerate(fh, start=1):
        if n == 1 and encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield n, raw.decode(encoding, errors="surrogateescape")


def _records(source: Iterator[tuple[int, str]], encoding: str) -> Iterator[Record]:
    again: deque[tuple[int, str]] = deque()  # lines of a broken record, to read once more
    span: list[tuple[int, str]] = []  # the lines the current record has taken

    def feed() -> Iterator[str]:
        while True:
            item = again.popleft() if again else next(source, None)
            if item is None:
                return
            span.append(item)
            yield item[1]

    while True:
        reader = csv.reader(feed(), strict=True)
        try:
            for cells in reader:
                yield _checked(list(span), tuple(cells), encoding)
                span.clear()
            return
        except csv.Error as exc:
            line = span[0][0]
            yield line, _broken(line, str(exc))
            again.extendleft(reversed(span[1:]))  # resume on the line after its first
            span.clear()


def _checked(span: list[tuple[int, str]], cells: tuple[str, ...], encoding: str) -> Record:
    line = span[0][0] if span else 0
    bad = next((n for n, text in span if _has_escapes(text)), None)
    if bad is not None:
        name = "UTF-8" if encoding.startswith("utf-8") else "GB18030"
        return line, BadRecord(
            line,
            f"第 {bad} 行不是 {name} 编码(文件其余部分为 {name}),此行未读取;请将整个文件另存为同一种编码",
            f"line {bad} is not {name} like the rest of the file; the record was not read: "
            "save the whole file in one encoding",
        )
    for i, c in enumerate(cells):
        if len(c) > MAX_CELL:
            return line, BadRecord(
                line,
                f"第 {i + 1} 列的单元格有 {len(c):,} 个字符,超过 {MAX_CELL:,} 个的上限",
                f"the cell in column {i + 1} has {len(c):,} characters, over the limit of {MAX_CELL:,}",
            )
    return line, cells


def _has_escapes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _broken(line: int, why: str) -> BadRecord:
    if "unexpected end of data" in why:
        return BadRecord(
            line,
            f"第 {line} 行的引号没有闭合,到文件末尾都被读作一个单元格;此行未读取,其后各行照常读取",
            f"the quote opened on line {line} is never closed; that record was not read, "
            "the lines after it were",
        )
    if "field larger than field limit" in why:
        return BadRecord(
            line,
            f"第 {line} 行的单元格超过 {MAX_FIELD:,} 个字符,未读取",
            f"a cell on line {line} is over {MAX_FIELD:,} characters; not read",
        )
    return BadRecord(
        line,
        f"第 {line} 行不是有效的 CSV(引号不成对或位置有误:{why}),此行未读取",
        f"line {line} is not valid CSV (quotes unpaired or misplaced: {why}); not read",
    )


def refuse_unreadable(path: Path) -> RecordError:
    """The error for a CSV file that is not text at all."""
    return RecordError(
        [Problem("the CSV file is not text", Location(str(path)), "save it as CSV UTF-8", "input")]
    )
