"""``policyengine assess``: a ledger through the packs, into the outputs its suffixes name."""

from __future__ import annotations

import argparse
import sys

from ..batch.progress import RichProgress
from ..batch.run import run_assessment
from ..batch.summary import Summary
from ..batch.writers.options import OutputOptions
from ..errors import PolicyEngineError, Problem
from ..outcomes import Verdict
from .evaluate import exit_code
from .parser import EXIT_FINDINGS


def output_options(args: argparse.Namespace) -> OutputOptions:
    """The report options ``assess`` was given."""
    if args.station_format and args.station_reports is None:
        hint = "add --station-reports DIR (the directory for one report per record)"
        raise PolicyEngineError([Problem("--station-format needs --station-reports", None, hint, "usage")])
    return OutputOptions(
        issuer=args.issuer,
        assessor=args.assessor,
        fail_on=args.fail_on,
        encoding=args.encoding,
        source=args.input.name,
        record_reports=args.station_reports,
        record_formats=tuple(dict.fromkeys(f".{f}" for f in args.station_format or ["pdf"])),
    )


def gate(summary: Summary, fail_on: str) -> int:
    """The exit code: 1 for input errors and for the rows ``--fail-on`` fails (non-compliant
    ones always; incomplete ones unless ``non-compliant``; with ``warning`` also rows failing a
    warning rule), else 3 if a row was not assessed (or, with ``non-compliant``, incomplete),
    else 0."""
    if summary.error_count or (fail_on == "warning" and summary.warned_rows):
        return EXIT_FINDINGS
    statuses = list(summary.verdicts.elements())
    if fail_on == "non-compliant":  # an incomplete row is then not a failure, nor a pass
        statuses = [Verdict.NOT_ASSESSED if s == Verdict.INCOMPLETE else s for s in statuses]
    return exit_code(statuses)


def cmd_assess(args: argparse.Namespace) -> int:
    from ..batch.planned import pick_engine
    from ..batch.run import run_planned_assessment

    engine, why = pick_engine(args.engine, args.input)
    if args.engine == "auto":
        print(f"评估引擎 / engine: {engine} ({why})", file=sys.stderr)
    run = run_planned_assessment if engine == "plan" else run_assessment
    summary = run(
        args.pack,
        args.input,
        args.out,
        as_of=args.as_of,
        kind=args.kind,
        jobs=args.jobs,
        mapping=args.mapping,
        sheets=args.sheet,
        records_sheet=args.records_sheet,
        header_row=args.header_row,
        list_sheets=args.list_sheet,
        progress=RichProgress if sys.stderr.isatty() and not args.no_progress else None,
        ignore_scope=args.ignore_scope,
        events=args.events,
        events_from=args.from_,
        backend=args.backend,
        output=output_options(args),
    )
    for line in summary.console_lines(args.out):
        print(line)
    return gate(summary, args.fail_on)
