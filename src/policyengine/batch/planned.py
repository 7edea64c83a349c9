"""``assess --engine plan``: the rows of a batch through the relational plan (DuckDB in-process).

Rows are read and validated as the row engine's pipeline does (:func:`.pipeline.lenient_subject`:
the same notes for refused cells), a chunk at a time; the chunk's records go to DuckDB as the
plan's tables and the plan gives every rule's outcome per row. The reports are then the
engine's own (:class:`~policyengine.plan.engine.PlannedEngine`): passing and not-applicable
findings are the engine's shared ones, and every other finding — its message, its missing
fields, its error — is made by the engine for that rule and row. Correlations and monitors
join each report as in the pipeline. A row that cannot be read, validated or judged goes
through :func:`.pipeline.evaluate_item`, so it comes out exactly as with the row engine; and
rows come out in input order, then the second sheets' orphan rows.

``auto`` picks the plan for a spreadsheet or CSV when DuckDB and SQLGlot are installed (the
``plan`` extra), the row engine for JSON Lines.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..evaluate.engine import Engine
from ..models import Subject
from .correlate import CorrelationIndex, build_index
from .events import SubjectLogs
from .pipeline import area_of, evaluate_item, lenient_subject
from .readers import Input
from .rows import InputProblem, InputRow, ResultRow, WorkItem

if TYPE_CHECKING:
    from ..plan.build import Plan
    from ..plan.engine import PlannedEngine
    from ..plan.load import Result

#: Rows per trip to DuckDB: large enough that a trip's fixed cost is small, small enough that
#: memory stays flat.
CHUNK = 4096

ENGINES = ("auto", "rows", "plan")


def plan_available() -> bool:
    """Whether the ``plan`` extra (DuckDB, SQLGlot) is installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("duckdb", "sqlglot"))


def pick_engine(engine: str, input_path: Path | None = None) -> tuple[str, str]:
    """``rows`` or ``plan`` for ``--engine``, and why. ``auto`` picks the plan for tabular
    inputs (spreadsheets, CSV) where it is installed, the row engine for JSON Lines (nested
    records) and where it is not."""
    if engine != "auto":
        return engine, "as asked"
    if not plan_available():
        return "rows", "the plan extra (duckdb, sqlglot) is not installed"
    if input_path is not None and input_path.suffix.lower() == ".jsonl":
        return "rows", "JSON Lines: nested records"
    return "plan", "a table of records"


def assess_planned(
    source: Input,
    *,
    as_of: date,
    kind: str | None,
    engine: Engine,
    ignore_scope: bool = False,
    logs: SubjectLogs | None = None,
    chunk: int = CHUNK,
) -> Iterator[ResultRow]:
    """Every row of ``source``, in input order, as :func:`.pipeline.assess` gives it."""
    from ..plan.engine import PlannedEngine

    planned = PlannedEngine(
        list(engine.packs), subjects=engine.subjects, max_steps=engine.max_steps, ignore_scope=ignore_scope
    )
    index = build_index(engine, source.rows(), kind)
    runner = _Runner(engine, planned, as_of, ignore_scope)
    last = -1
    rows = source.rows()
    while batch := list(islice(rows, chunk)):
        for result in runner.chunk(batch, kind, index, logs):
            last = result.index
            yield result
    for sheet, line, problems in source.orphan_rows():  # second-sheet rows no record took
        last += 1
        yield ResultRow(last, sheet, line, None, problems)


class _Runner:
    """The plans by kind, compiled once, and one DuckDB connection for the run."""

    def __init__(self, engine: Engine, planned: PlannedEngine, as_of: date, ignore_scope: bool) -> None:
        import duckdb

        self.engine, self.planned, self.as_of, self.ignore_scope = engine, planned, as_of, ignore_scope
        self.plans: dict[str, Plan] = {}
        self.con = duckdb.connect()

    def plan(self, kind: str) -> Plan:
        from ..plan.build import compile_plan
        from ..plugins import default_functions

        found = self.plans.get(kind)
        if found is None:
            packs = list(self.engine.packs)
            model = self.engine.subjects[kind]
            found = self.plans[kind] = compile_plan(
                packs,
                kind,
                model,
                self.as_of,
                default_functions(),
                max_steps=self.engine.max_steps,
                ignore_scope=self.ignore_scope,
            )
        return found

    def chunk(
        self,
        rows: list[InputRow],
        kind: str | None,
        index: CorrelationIndex | None,
        logs: SubjectLogs | None,
    ) -> Iterator[ResultRow]:
        from ..plan.load import run

        read = [_read(self.engine, row, kind) for row in rows]
        by_kind: dict[str, list[int]] = {}
        for i, (subject, _) in enumerate(read):
            if subject is not None:
                by_kind.setdefault(subject.kind_name, []).append(i)
        results: dict[int, tuple[Result, int]] = {}
        for k, positions in by_kind.items():
            result = run(self.plan(k), [read[i][0] for i in positions], self.con)
            results.update((i, (result, j)) for j, i in enumerate(positions))
        for i, row in enumerate(rows):
            subject, dropped = read[i]
            found = results.get(i)
            if subject is None or found is None:
                yield evaluate_item(self.engine, WorkItem(row, kind, self.as_of), index, logs)
                continue
            try:
                yield self._judged(row, subject, dropped, found[0].codes(found[1]), index, logs)
            except Exception:  # as the row engine reports it, whatever it was
                yield evaluate_item(self.engine, WorkItem(row, kind, self.as_of), index, logs)

    def _judged(
        self,
        row: InputRow,
        subject: Subject,
        dropped: list[InputProblem],
        codes: dict[str, int],
        index: CorrelationIndex | None,
        logs: SubjectLogs | None,
    ) -> ResultRow:
        report = self.planned.evaluate_planned(subject, codes, as_of=self.as_of)
        if index is not None:
            report = index.judge(self.engine, subject, report, row)
        if logs is not None:
            report = logs.judge(self.engine, subject, report)
        given = row.record or {}
        return ResultRow(
            row.index,
            row.sheet,
            row.line,
            report,
            [*row.problems, *row.notes, *dropped],
            area_of(row.record),
            _text(given.get("id")),
            _text(given.get("name")),
        )


def _read(engine: Engine, row: InputRow, kind: str | None) -> tuple[Subject | None, list[InputProblem]]:
    """The row's subject and the notes on refused cells; None where the row engine's own
    handling must speak (no record, problems, a record that cannot be validated)."""
    if row.record is None or row.problems:
        return None, []
    try:
        return lenient_subject(engine, row, kind)
    except Exception:
        return None, []


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
