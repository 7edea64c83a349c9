"""A whole batch run, as ``policyengine assess`` does it: load the packs, settle the kind of
record, open the input and the outputs, evaluate every row, and close (or abort) the outputs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ..errors import Location, PolicyEngineError, Problem
from ..evaluate.engine import Engine
from .events import load_logs
from .pipeline import assess
from .readers import Input
from .rows import ResultRow
from .summary import Summary
from .tabular import load_mapping
from .writers.options import DEFAULT_OPTIONS, OutputOptions
from .writers.registry import open_writers


class ProgressBar(Protocol):
    """What shows a run's progress: told of each row, then stopped."""

    def advance(self) -> None: ...

    def stop(self) -> None: ...


#: Starts a progress display, given the number of rows the input holds (None if unknown).
ProgressFactory = Callable[[int | None], ProgressBar]


def run_assessment(
    packs: Sequence[str | Path],
    input_path: Path,
    outs: Sequence[Path],
    *,
    as_of: date | None = None,
    kind: str | None = None,
    jobs: int = 1,
    mapping: Path | None = None,
    sheets: Sequence[str] = (),
    progress: ProgressFactory | None = None,
    ignore_scope: bool = False,
    events: Path | None = None,
    events_from: date | None = None,
    backend: str = "plain",
    output: OutputOptions = DEFAULT_OPTIONS,
    records_sheet: str | None = None,
    header_row: int | None = None,
    list_sheets: Sequence[str] = (),
    planned: bool = False,
) -> Summary:
    """Assess every row of ``input_path`` under ``packs`` and write each of ``outs`` (the
    writer is chosen by suffix). ``kind`` defaults to the only kind the packs check (JSONL
    rows may say their own); ``as_of`` to today; ``mapping`` is a ``表头: field.path`` YAML
    file; ``sheets`` are second tables for CSV input as ``--sheet`` gives them
    (``"staff=staff.csv"``); ``ignore_scope`` judges rows outside a pack's region or
    ``applies_to`` by it all the same. ``events`` is an event log: each row's packs' monitors
    also run over the events naming it, in the row's report and verdict (``events_from`` and
    ``backend`` as ``evaluate --events`` takes them). ``output`` holds the report options (issuer,
    assessor, ``--fail-on``, CSV encoding, per-record reports); ``records_sheet``,
    ``header_row`` and ``list_sheets`` say how to read a ledger (:func:`open_input`). Raises
    :class:`PolicyEngineError` for unusable input before any row is evaluated; if the run fails
    later, every output is removed. ``planned`` has the relational plan judge the rows
    (:mod:`.planned`) instead of the row engine: the same outputs, order and input errors;
    a CSV ledger with CSV outputs is read and judged columnar by DuckDB (:mod:`.columnar`).
    """
    _check_usage(jobs, events, events_from)
    # load and check the packs first; rules run as generated code (the closures are the reference)
    engine = Engine.from_packs(packs, ignore_scope=ignore_scope, codegen=True)
    kind = _resolve_kind(engine, kind, input_path)
    model = engine.subjects[kind] if kind else next(iter(engine.subjects.values()))
    logs = load_logs(engine, events, kind, events_from, backend) if events is not None else None
    source: Any = None
    if planned and records_sheet is None and not list_sheets:  # columnar where it applies
        when = as_of or date.today()
        source = _columnar(input_path, outs, engine, kind, when, logs, mapping, sheets, header_row)
    if source is None:
        source = open_input(input_path, model, outs, mapping, sheets, records_sheet, header_row, list_sheets)
    summary = Summary(as_of=as_of or date.today(), keep_ids=logs is not None)
    # SIGTERM exits cleanly from before the first partial output exists (no window in which a
    # stopped run leaves one behind)
    previous = _terminate_as_exit()
    try:
        run = replace(output, as_of=summary.as_of, generated_at=summary.generated_at, kind=kind)
        writers = open_writers(outs, run)
    except BaseException:
        source.close()  # its second sheets' temporary file goes with it
        _restore(previous)
        raise
    bar = progress(source.total) if progress is not None else None
    try:
        rows = _judged_rows(packs, source, summary.as_of, kind, jobs, engine, ignore_scope, logs, planned)
        _write_rows(rows, summary, writers, bar)
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        _restore(previous)
        if bar is not None:
            bar.stop()
        source.close()
    source.describe(summary)
    if logs is not None:
        summary.notes.extend(logs.unused_note(summary.record_ids, kind))
    for w in writers:
        w.close(summary)
    return summary


def run_planned_assessment(*args: Any, **kwargs: Any) -> Summary:
    """:func:`run_assessment` with the plan evaluating the rows: the same arguments, the same
    checks, outputs and summary. ``jobs`` is accepted for the same command line; DuckDB runs
    the plan on every core by itself."""
    return run_assessment(*args, **kwargs, planned=True)


def _judged_rows(
    packs: Sequence[str | Path],
    source: Any,
    as_of: date,
    kind: str | None,
    jobs: int,
    engine: Engine,
    ignore_scope: bool,
    logs: Any,
    planned: bool,
) -> Iterable[ResultRow]:
    """The rows, judged by the row engine (``jobs`` processes) or by the relational plan."""
    if planned and hasattr(source, "results"):  # the columnar path (.columnar)
        rows: Iterable[ResultRow] = source.results()
        return rows
    if planned:  # `assess --engine plan`
        from .planned import assess_planned

        return assess_planned(
            source, as_of=as_of, kind=kind, engine=engine, ignore_scope=ignore_scope, logs=logs
        )
    return assess(
        [str(p) for p in packs],
        source,
        as_of=as_of,
        kind=kind,
        jobs=jobs,
        engine=engine,
        ignore_scope=ignore_scope,
        logs=logs,
    )


def _columnar(
    input_path: Path,
    outs: Sequence[Path],
    engine: Engine,
    kind: str | None,
    as_of: date,
    logs: Any,
    mapping: Path | None,
    sheets: Sequence[str],
    header_row: int | None,
) -> Any:
    """The batch read and judged by DuckDB (:mod:`.columnar`), or None where it reads per row."""
    from .columnar import open_columnar
    from .planned import plan_available

    extra = parse_sheets(sheets)
    refuse_overwriting_inputs(outs, [input_path, *extra.values(), *([mapping] if mapping else [])])
    if not plan_available() or not input_path.is_file() or not all(p.is_file() for p in extra.values()):
        return None
    data = load_mapping(mapping) if mapping else None
    return open_columnar(input_path, outs, engine, kind, as_of, logs, data, extra, header_row)


def _write_rows(rows: Iterable[ResultRow], summary: Summary, writers: Sequence[Any], bar: Any) -> None:
    """Each row into the summary and every output, in input order."""
    for row in rows:
        summary.add(row)
        for w in writers:
            w.write(row)
        if bar is not None:
            bar.advance()


def _check_usage(jobs: int, events: Path | None, events_from: date | None) -> None:
    if jobs < 1:
        raise PolicyEngineError([Problem("--jobs must be 1 or more", None, None, "usage")])
    if events_from is not None and events is None:
        raise PolicyEngineError(
            [Problem("--from needs --events (the window of the monitors over the log)", None, None, "usage")]
        )


def open_input(
    input_path: Path,
    model: Any,
    outs: Sequence[Path],
    mapping: Path | None = None,
    sheets: Sequence[str] = (),
    records_sheet: str | None = None,
    header_row: int | None = None,
    list_sheets: Sequence[str] = (),
) -> Input:
    """The ledger opened for ``model``'s records, after checking that no output is an input:
    ``mapping`` a mapping file, ``sheets`` CSV second tables (``"staff=staff.csv"``),
    ``records_sheet`` a workbook's sheet of records (default: found), ``header_row`` its header
    row (default: found), ``list_sheets`` sheets holding a list field (``"社工名册=staff"``)."""
    extra = parse_sheets(sheets)
    refuse_overwriting_inputs(outs, [input_path, *extra.values(), *([mapping] if mapping else [])])
    lists = dict(_pairs(list_sheets, "--list-sheet", "SHEET=FIELD"))
    return Input(
        input_path, model, load_mapping(mapping) if mapping else None, extra,
        records_sheet=records_sheet, header_row=header_row, list_sheets=lists,
    )  # fmt: skip


def refuse_overwriting_inputs(outs: Sequence[Path], inputs: Sequence[Path]) -> None:
    """Before anything is opened: no output may be an input (``assess same.csv --out same.csv``
    destroyed the input and reported 0 rows), and no two outputs the same file."""
    problems = []
    seen: dict[Path, Path] = {}
    for out in outs:
        real = out.resolve()
        for given in inputs:
            if real == given.resolve():
                problems.append(
                    Problem(
                        f"the output {out} is the input {given}: it would be destroyed (输出即输入)",
                        Location(str(out)),
                        "write the results to another file",
                        "usage",
                    )
                )
        if real in seen:
            problems.append(
                Problem(
                    f"{out} is given twice as an output (same file as {seen[real]})",
                    Location(str(out)),
                    "give each --out once",
                    "usage",
                )
            )
        seen[real] = out
    if problems:
        raise PolicyEngineError(problems)


def _terminate_as_exit() -> Any:
    """SIGTERM ends the run like Ctrl-C does: outputs are aborted (the previous files kept, no
    partial file left) and the command exits 143. Only in the main thread (signals cannot be
    set elsewhere); returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, stop)


def _restore(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _resolve_kind(engine: Engine, kind: str | None, input_path: Path) -> str | None:
    """The kind the rows are: as given, else the only one the packs check (JSONL rows may
    each name their own)."""
    if kind is None and input_path.suffix.lower() != ".jsonl":
        kinds = engine.subject_kinds()
        if len(kinds) != 1:
            raise PolicyEngineError(
                [
                    Problem(
                        f"the packs check several kinds of record ({', '.join(kinds)})",
                        None,
                        "say which this input holds with --kind",
                        "usage",
                    )
                ]
            )
        kind = kinds[0]
    if kind is not None and kind not in engine.subjects:
        raise PolicyEngineError(
            [
                Problem(
                    f"unknown kind `{kind}`",
                    None,
                    f"use one of {', '.join(sorted(engine.subjects))}",
                    "usage",
                )
            ]
        )
    return kind


def parse_sheets(specs: Sequence[str]) -> dict[str, Path]:
    """``FIELD=FILE`` specs (``staff=staff.csv``) as ``{field: path}``."""
    return {name: Path(file) for name, file in _pairs(specs, "--sheet", "FIELD=FILE")}


def _pairs(specs: Sequence[str], option: str, shape: str) -> list[tuple[str, str]]:
    """``A=B`` specs as pairs; anything else is a usage error naming the option."""
    pairs = []
    for spec in specs:
        name, _, value = spec.partition("=")
        if not name or not value:
            example = "staff=staff.csv" if option == "--sheet" else "社工名册=staff"
            raise PolicyEngineError(
                [Problem(f"{option} {spec!r} is not {shape}", None, f"e.g. {option} {example}", "usage")]
            )
        pairs.append((name, value))
    return pairs
