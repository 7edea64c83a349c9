"""What compiled conditions work with at evaluation time: absence, the context, the trace.

Absent data is the value :data:`MISSING`, which propagates through arithmetic and
comparisons and follows three-valued logic in ``and``/``or``/``not``: ``false and MISSING``
is false, ``true or MISSING`` is true, everything else with MISSING is MISSING.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any


class _Missing:
    """The value of an absent fact."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Most quantifier iterations one evaluation may take.
DEFAULT_MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One decision: the source text, the values on both sides, the result."""

    text: str
    op: str
    left: Any
    right: Any
    result: bool | None  # None when a side was absent
    start: int
    end: int


class Ctx:
    """Per-evaluation state."""

    __slots__ = ("as_of", "max_steps", "missing", "params", "record", "steps", "trace", "vars")

    def __init__(
        self,
        record: Any,
        params: dict[str, Any],
        as_of: date,
        trace: list[TraceEntry] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        self.record = record
        self.params = params
        self.as_of = as_of
        self.vars: dict[int, Any] = {}
        self.steps = 0
        self.max_steps = max_steps
        self.trace = trace
        self.missing: list[str] = []


#: A compiled node: evaluates to a value (or MISSING) in a context.
Fn = Callable[[Ctx], Any]


def plain(value: Any) -> Any:
    """A value as shown in traces and reports (enum members as their code)."""
    if isinstance(value, Enum):
        return value.value
    return value
