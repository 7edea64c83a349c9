"""Batch assessment: every row of an input through the engine, into a summary and outputs.

Rows are read, evaluated and written one chunk at a time, so memory stays flat whatever the
number of rows. A row that cannot be read or validated is kept, with its sheet, row number
and reasons, and appears in every output as `invalid`: no input row is ever lost.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from typing import Any

from .errors import Location, PolicyEngineError, Problem
from .evaluate.engine import Engine
from .io.readers import Input

INVALID = "invalid"
_QUIET = ("pass", "not_applicable")  # outcomes no table or summary lists
CHUNK = 256


class AssessedRow:
    """One input row and what the assessment made of it.

    ``report`` is the full report (``Report.to_dict()``), or None when the row could not be
    read. Rows that come back from worker processes carry it as JSON text and decode it only
    when ``report`` is read: a 40-finding report dict costs more to unpickle in the parent than
    it cost to evaluate in the worker. ``notable`` (the report with only the findings that are
    neither pass nor not_applicable) and ``report_text()`` serve the summary and the writers
    without decoding.
    """

    __slots__ = (
        "_full",
        "_notable",
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
        report: dict[str, Any] | None,
        errors: list[dict[str, Any]],
        area: str | None = None,
        record_id: str | None = None,
        record_name: str | None = None,
    ) -> None:
        self.index, self.sheet, self.line = index, sheet, line
        self.errors = errors
        self.area = area  # county (or city, province) from the input record
        self.record_id = record_id  # as given in the input, even when the row is invalid
        self.record_name = record_name
        self._full = report
        self._text: str | None = None
        self._notable: dict[str, Any] | None = None

    @property
    def report(self) -> dict[str, Any] | None:
        if self._full is None and self._text is not None:
            self._full = json.loads(self._text)
        return self._full

    @property
    def notable(self) -> dict[str, Any] | None:
        """The report without pass and not_applicable findings: what tables and summaries list."""
        if self._notable is None and self._full is not None:
            slim = dict(self._full)
            slim["findings"] = [f for f in self._full["findings"] if f["outcome"] not in _QUIET]
            self._notable = slim
        return self._notable

    def report_text(self) -> str | None:
        """The full report as JSON text (``ensure_ascii=False``)."""
        if self._text is None and self._full is not None:
            self._text = json.dumps(self._full, ensure_ascii=False)
        return self._text

    def for_transfer(self) -> AssessedRow:
        """This row as a worker sends it back: the notable part as a dict, the rest as text."""
        if self._full is not None:
            self._notable = self.notable
            self._text = self.report_text()
            self._full = None
        return self

    @property
    def verdict(self) -> str:
        rep = self.notable
        return str(rep["verdict"]) if rep is not None else INVALID

    @property
    def subject(self) -> dict[str, Any]:
        rep = self.notable
        return rep["subject"] if rep else {}

    def where(self) -> str:
        return f"{self.sheet} row {self.line}" if self.sheet else f"line {self.line}"


# -- evaluation, in this process or in workers -------------------------------------------

_worker_engine: Engine | None = None


def _init_worker(packs: Sequence[str]) -> None:
    global _worker_engine
    _worker_engine = Engine.from_packs(packs)


def _evaluate(
    engine: Engine,
    item: tuple[
        int,
        str,
        int,
        dict[str, Any] | None,
        list[dict[str, Any]],
        dict[str, list[tuple[str, int]]],
        str | None,
        date,
    ],
) -> AssessedRow:
    index, sheet, line, record, problems, child_rows, kind, as_of = item
    errors = list(problems)
    report = None
    if record is not None and not errors:
        try:
            report = engine.evaluate(record, as_of=as_of, trace=False, kind=kind).to_dict()
        except PolicyEngineError as exc:
            errors.extend(_locate(p, sheet, line, child_rows) for p in exc.problems)
    elif record is None and not errors:
        errors.append({"sheet": sheet, "row": line, "field": None, "message": "empty row", "hint": None})
    given = record or {}
    return AssessedRow(
        index,
        sheet,
        line,
        report,
        errors,
        area_of(record),
        _text_or_none(given.get("id")),
        _text_or_none(given.get("name")),
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _worker(item: Any) -> AssessedRow:
    assert _worker_engine is not None
    return _evaluate(_worker_engine, item).for_transfer()


_ITEM = re.compile(r"^(\w+)\[(\d+)\]\.?(.*)$")


def _locate(
    problem: Problem, sheet: str, line: int, child_rows: dict[str, list[tuple[str, int]]]
) -> dict[str, Any]:
    """A record error as sheet/row/field; items from a second sheet point at their own row."""
    path = problem.location.path if problem.location else None
    if path:
        m = _ITEM.match(path)
        if m and m.group(1) in child_rows and int(m.group(2)) < len(child_rows[m.group(1)]):
            child_sheet, child_line = child_rows[m.group(1)][int(m.group(2))]
            return {
                "sheet": child_sheet,
                "row": child_line,
                "field": m.group(3) or None,
                "message": problem.message,
                "hint": problem.hint,
            }
    return {"sheet": sheet, "row": line, "field": path, "message": problem.message, "hint": problem.hint}


def _problem_dict(p: Problem, sheet: str, line: int) -> dict[str, Any]:
    loc = p.location or Location()
    return {
        "sheet": loc.file or sheet,
        "row": loc.line or line,
        "field": loc.path,
        "message": p.message,
        "hint": p.hint,
    }


def assess(
    packs: Sequence[str],
    source: Input,
    *,
    as_of: date,
    kind: str | None,
    jobs: int = 1,
    engine: Engine | None = None,
    on_row: Callable[[AssessedRow], None] | None = None,
) -> Iterator[AssessedRow]:
    """Evaluate every row of ``source``; yields rows in input order.

    ``engine``, when given, must be built from ``packs``; it saves loading them again in this
    process (workers always load their own).
    """

    def items() -> Iterator[Any]:
        for row in source.rows():
            yield (
                row.index,
                row.sheet,
                row.line,
                row.record,
                [_problem_dict(p, row.sheet, row.line) for p in row.problems],
                row.child_rows,
                kind,
                as_of,
            )

    if jobs <= 1:
        engine = engine or Engine.from_packs(packs)
        for item in items():
            result = _evaluate(engine, item)
            if on_row:
                on_row(result)
            yield result
        return
    # Workers evaluate one chunk while this process reads the next and writes the last:
    # at most two chunks are in flight, so memory stays flat.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(list(packs),)) as pool:
        it = items()

        def submit() -> AsyncResult[list[AssessedRow]] | None:
            chunk = [x for _, x in zip(range(CHUNK * jobs), it, strict=False)]
            if not chunk:
                return None
            return pool.map_async(_worker, chunk, chunksize=max(1, len(chunk) // (jobs * 2)))

        pending = submit()
        while pending is not None:
            following = submit()
            for result in pending.get():
                if on_row:
                    on_row(result)
                yield result
            pending = following


# -- summary ------------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts built up row by row (constant memory apart from the capped error list)."""

    as_of: date
    packs: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    failed_rules: Counter[tuple[str, str]] = field(default_factory=Counter)
    unknown_rules: Counter[tuple[str, str]] = field(default_factory=Counter)
    rule_info: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    by_area: dict[str, Counter[str]] = field(default_factory=dict)
    grades: dict[str, Counter[str]] = field(default_factory=dict)
    score_sums: dict[str, Decimal] = field(default_factory=dict)
    score_counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    max_errors_kept: int = 1000

    def add_errors(self, errors: Sequence[dict[str, Any]]) -> None:
        """Count input errors; keep the first `max_errors_kept` for reports."""
        for e in errors:
            self.error_count += 1
            if len(self.errors) < self.max_errors_kept:
                self.errors.append(e)

    def add(self, row: AssessedRow) -> None:
        self.rows += 1
        self.verdicts[row.verdict] += 1
        self.add_errors(row.errors)
        self.by_area.setdefault(row.area or "(未填地区)", Counter())[row.verdict] += 1
        report = row.notable
        if report is None:
            return
        if not self.packs:
            self.packs = report["packs"]
        for f in report["findings"]:
            key = (f["pack"], f["rule"])
            if f["outcome"] == "fail":
                self.failed_rules[key] += 1
            elif f["outcome"] in ("unknown", "error"):
                self.unknown_rules[key] += 1
            else:
                continue
            if key not in self.rule_info:
                self.rule_info[key] = {
                    "title": f["title"]["zh"],
                    "clause": f["citation"]["clause"],
                    "document": f["citation"]["document"] or "",
                    "severity": f["severity"],
                }
        for s in report.get("scores", []):
            card = s["scorecard"]
            grade = s["grade"]["zh"] if s["grade"] else "—"
            self.grades.setdefault(card, Counter())[grade] += 1
            self.score_sums[card] = self.score_sums.get(card, Decimal(0)) + Decimal(s["score"])
            self.score_counts[card] += 1

    def top_failed(self, n: int = 10) -> list[dict[str, Any]]:
        return [
            {"pack": k[0], "rule": k[1], "count": c, **self.rule_info.get(k, {})}
            for k, c in self.failed_rules.most_common(n)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "packs": self.packs,
            "rows": self.rows,
            "verdicts": dict(self.verdicts),
            "top_failed_rules": self.top_failed(),
            "by_area": {k: dict(v) for k, v in sorted(self.by_area.items())},
            "scores": {
                card: {
                    "mean": str((self.score_sums[card] / self.score_counts[card]).quantize(Decimal("0.1"))),
                    "grades": dict(self.grades.get(card, {})),
                }
                for card in self.score_counts
            },
            "input_errors": self.error_count,
        }


def area_of(record: dict[str, Any] | None) -> str | None:
    """The county (or city, or province) a record names, for the table by district."""
    region = (record or {}).get("region") or {}
    if isinstance(region, dict):
        value = region.get("county") or region.get("city") or region.get("province")
        return str(value) if value else None
    return None
