"""A whole batch run, as ``policyengine assess`` does it: load the packs, settle the kind of
record, open the input and the outputs, evaluate every row, and close (or abort) the outputs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ..errors import Location, PolicyEngineError, Problem
from ..evaluate.engine import Engine
from .events import load_logs
from .pipeline import assess
from .readers import Input
from .summary import Summary
from .tabular import load_mapping
from .writers.registry import open_writer


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
) -> Summary:
    """Assess every row of ``input_path`` under ``packs`` and write each of ``outs`` (the
    writer is chosen by suffix). ``kind`` defaults to the only kind the packs check (JSONL
    rows may say their own); ``as_of`` to today; ``mapping`` is a ``表头: field.path`` YAML
    file; ``sheets`` are second tables for CSV input as ``--sheet`` gives them
    (``"staff=staff.csv"``); ``ignore_scope`` judges rows outside a pack's region or
    ``applies_to`` by it all the same. ``events`` is an event log: each row's packs' monitors
    also run over the events naming it, in the row's report and verdict (``events_from`` and
    ``backend`` as ``evaluate --events`` takes them). Raises :class:`PolicyEngineError` for
    unusable input before any row is evaluated; if the run fails later, every output is
    removed.
    """
    if jobs < 1:
        raise PolicyEngineError([Problem("--jobs must be 1 or more", None, None, "usage")])
    if events_from is not None and events is None:
        raise PolicyEngineError(
            [Problem("--from needs --events (the window of the monitors over the log)", None, None, "usage")]
        )
    engine = Engine.from_packs(packs, ignore_scope=ignore_scope)  # load and check the packs first
    kind = _resolve_kind(engine, kind, input_path)
    model = engine.subjects[kind] if kind else next(iter(engine.subjects.values()))
    logs = load_logs(engine, events, kind, events_from, backend) if events is not None else None
    extra = parse_sheets(sheets)
    refuse_overwriting_inputs(outs, [input_path, *extra.values(), *([mapping] if mapping else [])])
    source = Input(input_path, model, load_mapping(mapping) if mapping else None, extra)
    writers = [open_writer(out) for out in outs]
    summary = Summary(as_of=as_of or date.today(), keep_ids=logs is not None)
    bar = progress(source.total) if progress is not None else None
    previous = _terminate_as_exit()
    try:
        rows = assess(
            [str(p) for p in packs],
            source,
            as_of=summary.as_of,
            kind=kind,
            jobs=jobs,
            engine=engine,
            ignore_scope=ignore_scope,
            logs=logs,
        )
        for row in rows:
            summary.add(row)
            for w in writers:
                w.write(row)
            if bar is not None:
                bar.advance()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        _restore(previous)
        if bar is not None:
            bar.stop()
        source.close()
    summary.add_errors(source.orphans())
    if logs is not None:
        summary.notes.extend(logs.unused_note(summary.record_ids, kind))
    for w in writers:
        w.close(summary)
    return summary


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
    sheets = {}
    for spec in specs:
        name, _, file = spec.partition("=")
        if not file:
            raise PolicyEngineError(
                [
                    Problem(
                        f"--sheet {spec!r} is not FIELD=FILE", None, "e.g. --sheet staff=staff.csv", "usage"
                    )
                ]
            )
        sheets[name] = Path(file)
    return sheets
