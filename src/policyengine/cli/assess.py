"""``policyengine assess``: a ledger through the packs, into the outputs its suffixes name."""

from __future__ import annotations

import argparse
import sys

from ..batch.progress import RichProgress
from ..batch.run import run_assessment
from .evaluate import exit_code
from .parser import EXIT_FINDINGS


def cmd_assess(args: argparse.Namespace) -> int:
    summary = run_assessment(
        args.pack,
        args.input,
        args.out,
        as_of=args.as_of,
        kind=args.kind,
        jobs=args.jobs,
        mapping=args.mapping,
        sheets=args.sheet,
        progress=RichProgress if sys.stderr.isatty() and not args.no_progress else None,
        ignore_scope=args.ignore_scope,
        events=args.events,
        events_from=args.from_,
        backend=args.backend,
    )
    for line in summary.console_lines(args.out):
        print(line)
    if summary.error_count:
        return EXIT_FINDINGS
    return exit_code(summary.verdicts.elements())
