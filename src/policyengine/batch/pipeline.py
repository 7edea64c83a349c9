"""Evaluating rows, in this process or in ``--jobs`` worker processes, in input order.

Rows are read, evaluated and written one chunk at a time, so memory stays flat whatever the
number of rows. A value the models refuse makes only its field missing: the row is evaluated
without it and the refusal is reported with the row (:func:`lenient_subject`). A row that
cannot be read at all, or whose id or kind cannot, is kept with its sheet, row number and
reasons, and comes out as ``invalid``; so do second-sheet rows no record took, after the
records: no input row is ever lost.

When a pack declares ``correlations:`` (checks across the records of the batch), the input is
read once more before evaluation to index what they compare (:mod:`.correlate`); each report
then gets one finding per correlation. Without any, that pass is skipped.
"""

from __future__ import annotations

import copy
import multiprocessing
import re
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from ..errors import PluginWarning, PolicyEngineError, Problem, RecordError
from ..evaluate.engine import Engine
from ..models import Subject, validate_record
from .correlate import CorrelationIndex, build_index
from .events import SubjectLogs
from .readers import Input
from .rows import InputProblem, InputRow, ResultRow, WorkItem

#: Rows per worker per round; at most two rounds are in flight.
CHUNK = 256

_ITEM = re.compile(r"^(\w+)\[(\d+)\]\.?(.*)$")


def evaluate_item(
    engine: Engine,
    item: WorkItem,
    index: CorrelationIndex | None = None,
    logs: SubjectLogs | None = None,
) -> ResultRow:
    """One row through the engine, the batch's correlations when ``index`` is given, and its
    monitors over its events when ``logs`` are. A field the models refuse is left out and
    noted (the row is still evaluated, the rules needing the field are unknown); a row whose
    id or kind cannot be read gives its problems instead of a report."""
    row = item.row
    errors = list(row.problems)
    notes = list(row.notes)
    report = None
    if row.record is not None and not errors:
        try:
            subject, dropped = lenient_subject(engine, row, item.kind)
            notes.extend(dropped)
            report = engine.evaluate(subject, as_of=item.as_of, trace=False, kind=item.kind)
            if index is not None:
                report = index.judge(engine, subject, report, row)
            if logs is not None:
                report = logs.judge(engine, subject, report)
        except PolicyEngineError as exc:
            errors.extend(_locate(p, row.sheet, row.line, row.child_rows) for p in exc.problems)
        except Exception as exc:  # a bad row is a bad row: it is reported, the run goes on
            text = f"{type(exc).__name__}: {str(exc)[:300]}"
            errors.append(
                InputProblem(
                    row.sheet, row.line, None, f"此行无法评估({text}) / the row could not be evaluated"
                )
            )
    elif row.record is None and not errors:
        errors.append(InputProblem(row.sheet, row.line, None, "empty row"))
    given = row.record or {}
    return ResultRow(
        row.index,
        row.sheet,
        row.line,
        report,
        errors + notes,
        area_of(row.record),
        _text_or_none(given.get("id")),
        _text_or_none(given.get("name")),
    )


def lenient_subject(engine: Engine, row: InputRow, kind: str | None) -> tuple[Subject, list[InputProblem]]:
    """The row's record as its subject model, each field the model refuses left out and noted
    (its sheet and row, the field): one bad value does not sink the record. Raises the
    :class:`RecordError` when what is refused is the id or the kind, or is not one field."""
    record = row.record
    assert record is not None
    dropped: list[InputProblem] = []
    for _ in range(_RETRIES):
        try:
            return validate_record(record, engine.subjects, kind=kind), dropped
        except RecordError as exc:
            paths = [_steps(p.location.path if p.location else None) for p in exc.problems]
            if any(steps is None or steps[0] in _VITAL for steps in paths):
                raise
            record = copy.deepcopy(record)
            # the last of a list's refused values first, so the others keep their places
            for problem, steps in sorted(zip(exc.problems, paths, strict=True), key=_last_first):
                assert steps is not None
                _drop(record, steps)
                note = _locate(problem, row.sheet, row.line, row.child_rows)
                dropped.append(replace(note, message=f"{note.message}(此项按缺失处理)"))
    return validate_record(record, engine.subjects, kind=kind), dropped


#: Fields without which a record is no record: a row whose id or kind is refused is invalid.
_VITAL = frozenset({"id", "kind"})
_RETRIES = 3
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _last_first(pair: tuple[Problem, list[str | int] | None]) -> list[tuple[int, int | str]]:
    """Sort key putting a list's later items first (names keep their order)."""
    return [(1, -s) if isinstance(s, int) else (0, s) for s in pair[1] or []]


def _steps(path: str | None) -> list[str | int] | None:
    """``staff[1].joined`` → ["staff", 1, "joined"]; None for no path."""
    if not path:
        return None
    return [int(i) if i else name for name, i in _STEP.findall(path)] or None


def _at(node: Any, step: str | int) -> Any:
    """``node[step]`` for a dict key or a list index; None when there is none."""
    if isinstance(node, dict) and isinstance(step, str):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _drop(record: Any, steps: list[str | int]) -> None:
    """Remove the value at ``steps`` (nothing when it is not there)."""
    node = record
    for step in steps[:-1]:
        inner = _at(node, step)
        if not isinstance(inner, (dict, list)):
            return
        node = inner
    last = steps[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        if isinstance(node[last], dict):
            node[last] = {}  # a record item keeps its place (second-sheet rows are by place)
        else:
            del node[last]  # a refused value in a list of values (a code, a name)


def _locate(
    problem: Problem, sheet: str, line: int, child_rows: dict[str, list[tuple[str, int]]]
) -> InputProblem:
    """A record error as sheet/row/field; items from a second sheet point at their own row."""
    path = problem.location.path if problem.location else None
    if path:
        m = _ITEM.match(path)
        if m and m.group(1) in child_rows and int(m.group(2)) < len(child_rows[m.group(1)]):
            child_sheet, child_line = child_rows[m.group(1)][int(m.group(2))]
            return InputProblem(child_sheet, child_line, m.group(3) or None, problem.message, problem.hint)
    return InputProblem(sheet, line, path, problem.message, problem.hint)


def area_of(record: dict[str, Any] | None) -> str | None:
    """The county (or city, or province) a record names, for the table by district."""
    region = (record or {}).get("region") or {}
    if isinstance(region, dict):
        value = region.get("county") or region.get("city") or region.get("province")
        return str(value) if value else None
    return None


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# -- worker processes ----------------------------------------------------------------------

_worker_engine: Engine | None = None
_worker_index: CorrelationIndex | None = None
_worker_logs: SubjectLogs | None = None


def _init_worker(
    packs: Sequence[str | Path],
    ignore_scope: bool,
    index: CorrelationIndex | None,
    logs: SubjectLogs | None = None,
) -> None:
    global _worker_engine, _worker_index, _worker_logs
    warnings.filterwarnings("ignore", category=PluginWarning)  # the parent has warned already
    # Ctrl-C reaches the whole process group: the parent stops the pool; a worker must not die
    # half-way through a chunk (the pool would start another and the run would never end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_engine = Engine.from_packs(packs, ignore_scope=ignore_scope, codegen=True)
    _worker_index = index
    _worker_logs = logs


def _worker(item: WorkItem) -> ResultRow:
    assert _worker_engine is not None
    return evaluate_item(_worker_engine, item, _worker_index, _worker_logs).for_transfer()


def assess(
    packs: Sequence[str | Path],
    source: Input,
    *,
    as_of: date,
    kind: str | None,
    jobs: int = 1,
    engine: Engine | None = None,
    on_row: Callable[[ResultRow], None] | None = None,
    ignore_scope: bool = False,
    logs: SubjectLogs | None = None,
) -> Iterator[ResultRow]:
    """Evaluate every row of ``source``; yields rows in input order.

    ``engine``, when given, must be built from ``packs`` (and ``ignore_scope``); it saves
    loading them again in this process (workers always load their own). When the packs declare
    correlations, the rows are read twice: once to index them, then to evaluate them.
    """
    engine = engine or Engine.from_packs(packs, ignore_scope=ignore_scope, codegen=True)
    index = build_index(engine, source.rows(), kind)
    items = (WorkItem(row, kind, as_of) for row in source.rows())
    if jobs <= 1:
        results: Iterator[ResultRow] = (evaluate_item(engine, item, index, logs) for item in items)
    else:
        results = _in_workers(packs, items, jobs, ignore_scope, index, logs)
    last = -1
    for result in results:
        last = result.index
        if on_row:
            on_row(result)
        yield result
    # second-sheet rows no record took (a source of rows alone, as tests give, has none)
    orphan_rows = getattr(source, "orphan_rows", None)
    for sheet, line, problems in orphan_rows() if orphan_rows is not None else ():
        last += 1
        orphan = ResultRow(last, sheet, line, None, problems)
        if on_row:
            on_row(orphan)
        yield orphan


def _in_workers(
    packs: Sequence[str | Path],
    items: Iterator[WorkItem],
    jobs: int,
    ignore_scope: bool,
    index: CorrelationIndex | None,
    logs: SubjectLogs | None = None,
) -> Iterator[ResultRow]:
    # Workers evaluate one chunk while this process reads the next and writes the last:
    # at most two chunks are in flight, so memory stays flat.
    ctx = multiprocessing.get_context("spawn")
    with _spawning_ignores_sigint():  # an ignored signal stays ignored across exec
        pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(list(packs), ignore_scope, index, logs))
    with pool:

        def submit() -> AsyncResult[list[ResultRow]] | None:
            chunk = [x for _, x in zip(range(CHUNK * jobs), items, strict=False)]
            if not chunk:
                return None
            return pool.map_async(_worker, chunk, chunksize=max(1, len(chunk) // (jobs * 2)))

        pending = submit()
        while pending is not None:
            following = submit()
            yield from _wait(pending)
            pending = following


@contextmanager
def _spawning_ignores_sigint() -> Iterator[None]:
    """Workers start with Ctrl-C ignored, so that one pressed while they are still importing
    does not print their tracebacks; the parent stops them (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait(pending: AsyncResult[list[ResultRow]]) -> list[ResultRow]:
    """The chunk's rows, waiting in short steps so that Ctrl-C and SIGTERM reach this process
    (leaving the ``with Pool`` terminates the workers)."""
    while True:
        try:
            return pending.get(timeout=0.2)
        except multiprocessing.TimeoutError:
            continue
