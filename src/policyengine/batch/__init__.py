"""Batch assessment: every row of a spreadsheet or JSON Lines file through the engine, into a
summary and output files.

    readers (tabular) ─► InputRow ─► pipeline, here or in --jobs workers (WorkItem) ─► ResultRow
        ─► Summary and the writers, chosen by file suffix through the
           ``policyengine_batch_writers`` hook (XLSX, CSV, JSONL, HTML, JUnit XML built in)

:func:`policyengine.batch.run.run_assessment` is the whole run as ``policyengine assess`` does
it. Names load on first use, so that registering the built-in writers stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Input": ".readers",
    "InputProblem": ".rows",
    "InputRow": ".rows",
    "ResultRow": ".rows",
    "Summary": ".summary",
    "WorkItem": ".rows",
    "Writer": ".writers.base",
    "assess": ".pipeline",
    "open_writer": ".writers.registry",
    "run_assessment": ".run",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .pipeline import assess as assess
    from .readers import Input as Input
    from .rows import InputProblem as InputProblem
    from .rows import InputRow as InputRow
    from .rows import ResultRow as ResultRow
    from .rows import WorkItem as WorkItem
    from .run import run_assessment as run_assessment
    from .summary import Summary as Summary
    from .writers.base import Writer as Writer
    from .writers.registry import open_writer as open_writer
