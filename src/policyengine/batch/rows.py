"""The typed rows of a batch run: what was read, what a worker is given, what it gives back.

- :class:`InputProblem` — one thing wrong with an input row (or a second sheet's row), where
  it is as the user sees it: sheet and row number (header = row 1), field, message, hint.
- :class:`InputRow` — one input row as read, with its problems; a row that cannot be read
  still comes out, so that no input row is ever lost.
- :class:`WorkItem` — one row as the pipeline (or a ``--jobs`` worker) evaluates it.
- :class:`ResultRow` — one input row and what the assessment made of it, for the summary and
  the writers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..evaluate.report import Report
from ..outcomes import Outcome, RowStatus

#: Outcomes that no table or summary lists.
QUIET = frozenset({Outcome.PASS.value, Outcome.NOT_APPLICABLE.value})


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with an input row: where it is, what, and what to do about it."""

    sheet: str | None
    row: int | None
    field: str | None
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the JSONL output gives under ``errors``."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }

    def where_zh(self) -> str:
        """``社工站 第18行`` (or ``第18行`` when there is no sheet)."""
        return f"{self.sheet} 第{self.row}行" if self.sheet else f"第{self.row}行"

    def text_zh(self, hint: bool = True) -> str:
        """``社工站 第18行 site.area_m2:<message>(<hint>)``, as tables and the console show it."""
        field_text = f" {self.field}" if self.field else ""
        hint_text = f"({self.hint})" if hint and self.hint else ""
        return f"{self.where_zh()}{field_text}:{self.message}{hint_text}"


@dataclass
class InputRow:
    """One input row: where it came from, the record it gives, what was wrong with it.

    ``problems`` keep the row from being evaluated (it comes out ``invalid``); ``notes`` are
    cells that could not be read, left out of the record: the row is evaluated without them
    (the rules that need them are ``unknown``) and the notes are reported with its result.
    """

    index: int
    sheet: str
    line: int
    record: dict[str, Any] | None
    problems: list[InputProblem] = field(default_factory=list)
    #: for list fields filled from second sheets: field → [(sheet, row number), ...] per item
    child_rows: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    notes: list[InputProblem] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.sheet} row {self.line}" if self.sheet else f"line {self.line}"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One row to evaluate, and how: the subject kind (None: the record's ``kind:``) and date."""

    row: InputRow
    kind: str | None
    as_of: date


class ResultRow:
    """One input row and what the assessment made of it.

    ``report`` is the typed :class:`~policyengine.evaluate.report.Report`, or None when the row
    could not be read (then ``errors`` says why). Rows that come back from worker processes
    carry the report as JSON text plus its ``notable`` part, and rebuild the typed report (or
    its dict, :meth:`report_dict`) only when it is read: a 40-finding report costs more to
    unpickle in the parent than it cost to evaluate in the worker. ``notable`` (the report's
    dict with only the findings that are neither pass nor not_applicable) and
    :meth:`report_text` serve the summary and the writers without decoding.
    """

    __slots__ = (
        "_dict",
        "_notable",
        "_report",
        "_text",
        "area",
        "errors",
        "index",
        "line",
        "record_id",
        "record_name",
        "sheet",
    )

    def __init__(
        self,
        index: int,
        sheet: str,
        line: int,
        report: Report | None,
        errors: list[InputProblem],
        area: str | None = None,
        record_id: str | None = None,
        record_name: str | None = None,
    ) -> None:
        self.index, self.sheet, self.line = index, sheet, line
        self.errors = errors
        self.area = area  # county (or city, province) from the input record
        self.record_id = record_id  # as given in the input, even when the row is invalid
        self.record_name = record_name
        self._report = report
        self._dict: dict[str, Any] | None = None
        self._text: str | None = None
        self._notable: dict[str, Any] | None = None

    @property
    def report(self) -> Report | None:
        """The typed report (rebuilt from its JSON text on first read for a worker's row)."""
        if self._report is None and self._text is not None:
            full = self.report_dict()
            assert full is not None
            self._report = Report.from_dict(full)
        return self._report

    def report_dict(self) -> dict[str, Any] | None:
        """The full report as ``Report.to_dict()`` gives it."""
        if self._dict is None:
            if self._report is not None:
                self._dict = self._report.to_dict()
            elif self._text is not None:
                self._dict = json.loads(self._text)
        return self._dict

    @property
    def notable(self) -> dict[str, Any] | None:
        """The report's dict without pass and not_applicable findings: what tables list."""
        if self._notable is None:
            full = self.report_dict()
            if full is not None:
                slim = dict(full)
                slim["findings"] = [f for f in full["findings"] if f["outcome"] not in QUIET]
                self._notable = slim
        return self._notable

    def report_text(self) -> str | None:
        """The full report as JSON text (``ensure_ascii=False``)."""
        if self._text is None:
            full = self.report_dict()
            if full is not None:
                self._text = json.dumps(full, ensure_ascii=False)
        return self._text

    def for_transfer(self) -> ResultRow:
        """This row as a worker sends it back: the notable part as a dict, the rest as text."""
        if self._report is not None or self._dict is not None:
            self._notable = self.notable
            self._text = self.report_text()
            self._report = self._dict = None
        return self

    @property
    def verdict(self) -> str:
        """The verdict's code (``compliant``, …), or ``invalid`` for a row without a report."""
        rep = self.notable
        return str(rep["verdict"]) if rep is not None else RowStatus.INVALID.value

    @property
    def subject(self) -> dict[str, Any]:
        rep = self.notable
        return rep["subject"] if rep else {}

    def where(self) -> str:
        return f"{self.sheet} row {self.line}" if self.sheet else f"line {self.line}"
