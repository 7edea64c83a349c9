"""policyengine: check social-work stations and purchased-service projects against policy packs.

The public API is what this module exports; everything else may change.
"""

from __future__ import annotations

from . import models
from .errors import (
    ConditionError,
    ConditionLimitError,
    ConditionSyntaxError,
    ConditionTypeError,
    EvaluationLimitError,
    PackError,
    PackNotFoundError,
    PluginError,
    PolicyEngineError,
    Problem,
    RecordError,
    UnknownFieldError,
    UnknownFunctionError,
)
from .evaluate import Engine, Finding, Outcome, Report, Verdict
from .hookspecs import hookimpl
from .lang import MISSING, Function
from .monitor.api import Monitor
from .packs import Pack, load_pack

__version__ = "0.1.0"

__all__ = [
    "MISSING",
    "ConditionError",
    "ConditionLimitError",
    "ConditionSyntaxError",
    "ConditionTypeError",
    "Engine",
    "EvaluationLimitError",
    "Finding",
    "Function",
    "Monitor",
    "Outcome",
    "Pack",
    "PackError",
    "PackNotFoundError",
    "PluginError",
    "PolicyEngineError",
    "Problem",
    "RecordError",
    "Report",
    "UnknownFieldError",
    "UnknownFunctionError",
    "Verdict",
    "__version__",
    "hookimpl",
    "load_pack",
    "models",
]
