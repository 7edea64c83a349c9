"""The library's own plugin: built-in subject models, functions and report formats.

Registered through the same hooks as a third party's (see :mod:`policyengine.hookspecs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .evaluate.render import render_json, render_markdown, render_table
from .hookspecs import Formatter, hookimpl
from .lang.functions import BUILTIN_FUNCTIONS, Function
from .models import BUILTIN_SUBJECTS
from .models.base import Subject


@hookimpl
def policyengine_subject_models() -> Sequence[type[Subject]]:
    return list(BUILTIN_SUBJECTS.values())


@hookimpl
def policyengine_functions() -> Sequence[Function]:
    return list(BUILTIN_FUNCTIONS.values())


@hookimpl
def policyengine_report_formats() -> dict[str, Formatter]:
    return {"json": render_json, "markdown": render_markdown, "table": render_table}
