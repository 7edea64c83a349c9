"""policyengine: check social-work stations and purchased-service projects against policy packs.

The public API is what this module exports; everything else may change. Names are imported
on first use, so that ``import policyengine`` stays fast for command-line start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ConditionError": "errors",
    "ConditionLimitError": "errors",
    "ConditionSyntaxError": "errors",
    "ConditionTypeError": "errors",
    "EvaluationLimitError": "errors",
    "PackError": "errors",
    "PackNotFoundError": "errors",
    "PluginError": "errors",
    "PluginWarning": "errors",
    "AmbiguousPackError": "errors",
    "PolicyEngineError": "errors",
    "Problem": "errors",
    "RecordError": "errors",
    "UnknownFieldError": "errors",
    "UnknownFunctionError": "errors",
    "Engine": "evaluate",
    "Finding": "evaluate",
    "Outcome": "outcomes",
    "Report": "evaluate",
    "evaluate_with_events": "evaluate",
    "Verdict": "outcomes",
    "hookimpl": "hookspecs",
    "MISSING": "lang",
    "Function": "lang",
    "Monitor": "monitor.api",
    "Pack": "packs",
    "load_pack": "plugins",
}

__all__ = [*sorted(_EXPORTS), "__version__", "models"]


def __getattr__(name: str) -> Any:
    if name == "models":
        return import_module(f"{__name__}.models")
    if name in _EXPORTS:
        value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'policyengine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from . import models as models
    from .errors import (
        AmbiguousPackError as AmbiguousPackError,
    )
    from .errors import (
        ConditionError as ConditionError,
    )
    from .errors import (
        ConditionLimitError as ConditionLimitError,
    )
    from .errors import (
        ConditionSyntaxError as ConditionSyntaxError,
    )
    from .errors import (
        ConditionTypeError as ConditionTypeError,
    )
    from .errors import (
        EvaluationLimitError as EvaluationLimitError,
    )
    from .errors import (
        PackError as PackError,
    )
    from .errors import (
        PackNotFoundError as PackNotFoundError,
    )
    from .errors import (
        PluginError as PluginError,
    )
    from .errors import (
        PluginWarning as PluginWarning,
    )
    from .errors import (
        PolicyEngineError as PolicyEngineError,
    )
    from .errors import (
        Problem as Problem,
    )
    from .errors import (
        RecordError as RecordError,
    )
    from .errors import (
        UnknownFieldError as UnknownFieldError,
    )
    from .errors import (
        UnknownFunctionError as UnknownFunctionError,
    )
    from .evaluate import Engine as Engine
    from .evaluate import Finding as Finding
    from .evaluate import Report as Report
    from .evaluate import evaluate_with_events as evaluate_with_events
    from .hookspecs import hookimpl as hookimpl
    from .lang import MISSING as MISSING
    from .lang import Function as Function
    from .monitor.api import Monitor as Monitor
    from .outcomes import Outcome as Outcome
    from .outcomes import Verdict as Verdict
    from .packs import Pack as Pack
    from .plugins import load_pack as load_pack
