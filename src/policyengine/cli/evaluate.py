"""``policyengine evaluate``, ``compare`` and ``monitor``: records and event logs against packs."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import date

from ..compare import compare
from ..errors import PolicyEngineError, Problem
from ..evaluate.engine import Engine
from ..evaluate.subject import evaluate_with_events
from ..io import read_records
from ..monitor.api import Monitor
from ..monitor.events import read_events
from ..monitor.render import MonitorResult
from ..outcomes import Verdict
from ..plugins import default_compare_formats, default_formats, default_monitor_formats
from .output import emit, pick_format
from .parser import EXIT_FINDINGS, EXIT_NOT_ASSESSED, EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    render = pick_format(default_formats(), args.format)
    engine = Engine.from_packs(args.pack, ignore_scope=args.ignore_scope)
    as_of = args.as_of or date.today()
    records = list(read_records(args.file))
    if args.events is None:
        if args.from_ is not None:
            raise_usage("--from needs --events (the window of the monitors over the log)")
        reports = [
            engine.evaluate(rec, as_of=as_of, trace=not args.no_trace, kind=args.kind, source=label)
            for label, rec in records
        ]
    else:
        log = read_events(args.events)
        reports = [
            evaluate_with_events(
                engine,
                rec,
                log,
                as_of=as_of,
                start=args.from_,
                kind=args.kind,
                source=label,
                trace=not args.no_trace,
                backend=args.backend,
            )
            for label, rec in records
        ]
    if args.format == "json" and len(reports) != 1:
        text = "[\n" + ",\n".join(render(r, args.lang) for r in reports) + "\n]"
    else:
        text = "\n".join(render(r, args.lang) for r in reports)
    emit(text, args.out)
    if getattr(args, "record", False):
        from .serve import record_reports  # the history (SQLAlchemy) loads only when asked

        record_reports(args, records, reports)
    return exit_code([r.verdict for r in reports])


def raise_usage(message: str) -> None:
    raise PolicyEngineError([Problem(message, None, "see policyengine evaluate --help")])


def exit_code(statuses: Iterable[Verdict | str]) -> int:
    """1 if any is non-compliant, incomplete or unreadable (a batch row's `invalid`), else 3 if
    any was not assessed, else 0."""
    seen = {str(s) for s in statuses}
    if seen - {Verdict.COMPLIANT, Verdict.NOT_ASSESSED}:
        return EXIT_FINDINGS
    return EXIT_NOT_ASSESSED if Verdict.NOT_ASSESSED in seen else EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    render = pick_format(default_compare_formats(), args.format)
    records = list(read_records(args.file))
    as_of = args.as_of or date.today()
    verdicts: list[str] = []
    for label, record in records:
        result = compare(args.pack, record, as_of=as_of, kind=args.kind, source=label)
        verdicts += result.verdicts.values()
        emit(render(result, args.lang))
    return exit_code(verdicts)


def cmd_monitor(args: argparse.Namespace) -> int:
    render = pick_format(default_monitor_formats(), args.format)
    monitor = Monitor(args.pack, backend=args.backend)
    monitor.read(args.events)  # with --backend duckdb, DuckDB reads the log itself
    if args.until:
        monitor.advance(args.until)
    if args.from_:
        monitor.observe(args.from_)
    start, until = monitor.window()
    found = monitor.findings()
    result = MonitorResult.of(monitor.backend, until, monitor.events_read(), found, args.all, start)
    emit(render(result, args.lang), args.out)
    return EXIT_OK if result.ok else EXIT_FINDINGS
