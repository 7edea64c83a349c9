"""Evaluation: the engine, reports and their renderings (names load on first use)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Engine": "engine",
    "Citation": "report",
    "Finding": "report",
    "Outcome": "report",
    "PackRef": "report",
    "Report": "report",
    "SubjectRef": "report",
    "Verdict": "report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(name)


if TYPE_CHECKING:
    from .engine import Engine as Engine
    from .report import Citation as Citation
    from .report import Finding as Finding
    from .report import Outcome as Outcome
    from .report import PackRef as PackRef
    from .report import Report as Report
    from .report import SubjectRef as SubjectRef
    from .report import Verdict as Verdict
