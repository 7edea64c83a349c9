"""Evaluation: the engine, reports and their renderings."""

from .engine import Engine
from .report import Citation, Finding, Outcome, PackRef, Report, SubjectRef, Verdict

__all__ = ["Citation", "Engine", "Finding", "Outcome", "PackRef", "Report", "SubjectRef", "Verdict"]
