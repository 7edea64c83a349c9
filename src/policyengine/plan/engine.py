"""Reports from the plan's outcomes: the engine, told each rule's outcome.

:class:`PlannedEngine` is the :class:`~policyengine.evaluate.engine.Engine` — scope, scorecards
and the report are its own — except that a rule the plan found passing or not applicable gives
the very finding the engine gives on its fast path (one shared object per rule), and only the
other findings are made by the engine itself, rule by rule, with its messages, missing
fields and errors: explanations are written only where they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from ..evaluate.engine import Engine
from ..evaluate.report import Finding, Report
from ..models.base import Subject
from ..packs.runtime import CompiledRule, Pack
from .build import NOT_APPLICABLE, PASS

_CACHED = {PASS: "pass", NOT_APPLICABLE: "na"}


class PlannedEngine(Engine):
    """An engine whose rule outcomes for one record come from a plan (:meth:`evaluate_planned`)."""

    def __init__(self, packs: Sequence[Pack], **kwargs: Any) -> None:
        super().__init__(packs, **kwargs)
        self._codes: Mapping[str, int] | None = None
        #: each rule's result column (``pack:rule``), by the rule object
        self._columns = {id(r): f"{p.id}:{r.id}" for p in self.packs for r in p.rules}

    def evaluate_planned(self, subject: Subject, codes: Mapping[str, int], *, as_of: date) -> Report:
        """The report on ``subject`` the engine would give with traces off, ``codes`` being the
        plan's outcome per rule column (``pack:rule``)."""
        self._codes = codes
        try:
            return self.evaluate(subject, as_of=as_of, trace=False)
        finally:
            self._codes = None

    def _run_pack(
        self, pack: Pack, rules: list[CompiledRule], subject: Subject, as_of: date, trace: bool
    ) -> Iterator[Finding]:
        codes = self._codes
        if codes is None or trace or not pack.in_effect(as_of):
            yield from super()._run_pack(pack, rules, subject, as_of, trace)
            return
        for rule in rules:
            which = _CACHED.get(codes.get(self._columns[id(rule)], -1))
            cached = rule.cached.get(which) if which is not None else None
            if cached is not None:
                yield cached
            else:  # the engine's own finding (and, the first time, its cached pass or n/a)
                yield from super()._run_pack(pack, [rule], subject, as_of, trace)
