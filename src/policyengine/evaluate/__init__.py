"""Evaluation: the engine, reports and their renderings (names load on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Engine": ".engine",
    "Citation": "..outcomes",
    "Finding": ".report",
    "Outcome": "..outcomes",
    "PackRef": ".report",
    "Report": ".report",
    "SubjectRef": ".report",
    "Verdict": "..outcomes",
    "Monitoring": ".report",
    "evaluate_with_events": ".subject",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from ..outcomes import Citation as Citation
    from ..outcomes import Outcome as Outcome
    from ..outcomes import Verdict as Verdict
    from .engine import Engine as Engine
    from .report import Finding as Finding
    from .report import Monitoring as Monitoring
    from .report import PackRef as PackRef
    from .report import Report as Report
    from .report import SubjectRef as SubjectRef
    from .subject import evaluate_with_events as evaluate_with_events
