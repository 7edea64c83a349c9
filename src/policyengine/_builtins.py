"""The library's own plugin: built-in subject models, functions, monitor kinds and every output
format (report, monitor and compare renderings; batch writers).

Registered by name through the same hooks as a third party's plugin (see
:mod:`policyengine.hookspecs` and ``plugins.BUILTIN_PLUGINS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import compare
from .batch.writers.csv_writer import CsvWriter
from .batch.writers.docx_writer import DocxWriter
from .batch.writers.html import HtmlWriter
from .batch.writers.jsonl import JsonlWriter
from .batch.writers.junit import JunitWriter
from .batch.writers.pdf import PdfWriter
from .batch.writers.xlsx import XlsxWriter
from .evaluate.render import render_json, render_markdown, render_table
from .hookspecs import Formatter, ResultFormatter, WriterFactory, hookimpl
from .lang.functions import BUILTIN_FUNCTIONS, Function
from .models import BUILTIN_SUBJECTS
from .models.base import Subject
from .monitor import render as monitor_render
from .monitor.kinds import at_least_per_period, at_most_distinct, followed_by, no_overlap, preceded_by
from .monitor.kinds.base import MonitorKind


@hookimpl
def policyengine_subject_models() -> Sequence[type[Subject]]:
    return list(BUILTIN_SUBJECTS.values())


@hookimpl
def policyengine_functions() -> Sequence[Function]:
    return list(BUILTIN_FUNCTIONS.values())


@hookimpl
def policyengine_monitor_kinds() -> Sequence[MonitorKind]:
    return [m.KIND for m in (followed_by, preceded_by, at_least_per_period, at_most_distinct, no_overlap)]


@hookimpl
def policyengine_report_formats() -> dict[str, Formatter]:
    return {"json": render_json, "markdown": render_markdown, "table": render_table}


@hookimpl
def policyengine_monitor_formats() -> dict[str, ResultFormatter]:
    return dict(monitor_render.FORMATS)


@hookimpl
def policyengine_compare_formats() -> dict[str, ResultFormatter]:
    return dict(compare.FORMATS)


@hookimpl
def policyengine_batch_writers() -> Mapping[str, WriterFactory]:
    # in the order `assess` names them when a suffix is unknown
    return {
        ".xlsx": XlsxWriter,
        ".csv": CsvWriter,
        ".jsonl": JsonlWriter,
        ".html": HtmlWriter,
        ".xml": JunitWriter,  # JUnit XML
        ".pdf": PdfWriter,  # the HTML report printed by headless Chromium
        ".docx": DocxWriter,
    }
