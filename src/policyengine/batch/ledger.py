"""A sheet as a 民政局 keeps it: a title and notes above the header row, 序号 and 备注 columns,
合计 and 小计 rows among the records.

- :func:`find_header` takes the row whose cells name the most fields (among the first
  :data:`HEADER_SCAN` rows) as the header; the rows above it are the sheet's caption.
- :func:`total_kind` recognises a total row (合计, 小计, 总计, 共计, 全县合计, 本页小计, ...): it
  is no record, and is left out of the results.
- :class:`Totals` adds up the records' amounts and quantities column by column, and checks a
  total row's figures against them (a 小计 against the rows since the last 小计, a 合计 against
  all): a difference is a note on the run, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .._csv import BadRecord
from .cellforms import normalize_header

#: Rows searched for the header row.
HEADER_SCAN = 30
_TOTAL = re.compile(r"^.{0,6}?(合计|小计|总计|共计)(?:[(:].*)?$")

#: One row as read: its number, and its cells or why it could not be read.
Row = tuple[int, Any]


@dataclass
class SheetLayout:
    """Where a sheet's records start and what stands above them."""

    header_row: int
    header: tuple[Any, ...]
    caption: list[str] = field(default_factory=list)
    #: the rows read past the header while looking for it (to read on from, in order)
    ahead: list[Row] = field(default_factory=list)


def row_text(cells: Sequence[Any]) -> str:
    """A caption row's text: its distinct non-empty cells (a merged title once), spaced."""
    seen: list[str] = []
    for c in cells:
        text = str(c).strip() if c is not None else ""
        if text and text not in seen:
            seen.append(text)
    return "  ".join(seen)


def _cells(row: Any) -> tuple[Any, ...] | None:
    if isinstance(row, BadRecord):
        return row.cells
    return tuple(row) if row is not None else None


def find_header(
    rows: Iterator[Row], matches: Callable[[str], bool], forced: int | None = None
) -> SheetLayout | None:
    """The header row: ``forced``, or of the first :data:`HEADER_SCAN` non-empty rows the first
    with the most cells naming a field (the first non-empty row when none does, so that the
    error names its columns); the non-empty rows above it are the caption. None for an empty
    sheet (or a forced row past its end)."""
    read: list[Row] = []
    candidates: list[tuple[int, tuple[Any, ...]]] = []
    for n, row in rows:
        read.append((n, row))
        cells = _cells(row)
        if cells is not None and any(c is not None and str(c).strip() for c in cells):
            candidates.append((n, cells))
        if (forced is not None and n >= forced) or (forced is None and len(candidates) >= HEADER_SCAN):
            break
    if forced is not None:
        chosen = next((i for i, (n, _) in enumerate(candidates) if n == forced), None)
        if chosen is None:
            return None
    elif not candidates:
        return None
    else:
        scores = [sum(1 for c in cells if isinstance(c, str) and matches(c)) for _, cells in candidates]
        chosen = scores.index(max(scores))
    n, header = candidates[chosen]
    caption = [t for _, cells in candidates[:chosen] if (t := row_text(cells))]
    return SheetLayout(n, header, caption, [r for r in read if r[0] > n])


def total_kind(cells: Sequence[Any]) -> str | None:
    """``小计`` for a subtotal row, ``合计`` for a grand total (合计, 总计, 共计), None for a
    record: read from the row's first non-empty cell."""
    first = next((c for c in cells if c is not None and str(c).strip()), None)
    if not isinstance(first, str):
        return None
    m = _TOTAL.match(normalize_header(first))
    if m is None:
        return None
    return "小计" if m.group(1) == "小计" else "合计"


@dataclass
class Totals:
    """The records' sums by column, and the notes on the total rows checked against them."""

    sheet: str
    #: column index → (header, field path) for the columns that add up (amounts, quantities)
    columns: dict[int, tuple[str, tuple[str, ...]]]
    all: dict[int, Decimal] = field(default_factory=dict)
    since: dict[int, Decimal] = field(default_factory=dict)
    missing: dict[int, int] = field(default_factory=dict)  # unreadable cells left out, by column
    notes: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # the total rows, by number

    def add(self, record: dict[str, Any], cells: Sequence[Any]) -> None:
        """A record's figures into the sums (a cell that could not be read is counted apart)."""
        for i, (_, path) in self.columns.items():
            value = _get(record, path)
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                self.all[i] = self.all.get(i, Decimal(0)) + value
                self.since[i] = self.since.get(i, Decimal(0)) + value
            elif i < len(cells) and cells[i] is not None and str(cells[i]).strip():
                self.missing[i] = self.missing.get(i, 0) + 1

    def check(self, n: int, kind: str, record: dict[str, Any]) -> None:
        """A total row (``record``: its figures as read) against the sums; notes what differs."""
        self.rows.append(n)
        sums = self.since if kind == "小计" else self.all
        checked, differ = [], []
        for i, (header, path) in self.columns.items():
            stated = _get(record, path)
            if not isinstance(stated, (int, Decimal)) or isinstance(stated, bool):
                continue
            total = sums.get(i, Decimal(0))
            if Decimal(stated) == total:
                checked.append(header)
                continue
            left = f"(另有 {self.missing[i]} 个单元格无法读取,未计入)" if self.missing.get(i) else ""
            differ.append(
                f"{self.sheet} 第{n}行({kind})“{header}”为 {_num(stated)},各记录之和为 {_num(total)},"
                f"相差 {_num(Decimal(stated) - total)}{left} / the {kind} row {n} of {self.sheet} says "
                f"{_num(stated)} for `{header}`; the records add up to {_num(total)}"
            )
        ok = f";{'、'.join(checked)} 与各记录之和一致" if checked else ""
        self.notes.append(
            f"{self.sheet} 第{n}行是{kind}行,不作为记录评估{ok} / row {n} of {self.sheet} is a "
            f"{'subtotal' if kind == '小计' else 'total'} row, not a record"
            + (f"; {len(checked)} column(s) match the records' sums" if checked else "")
        )
        self.notes.extend(differ)
        if kind == "小计":
            self.since = {}


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = record
    for step in path:
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def _num(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():,f}"
