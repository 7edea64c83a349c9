"""A compiled pack as the engine, the monitors and the batch use it: rules, scorecards,
monitors and correlations with their conditions compiled and their citations resolved,
parameters by date."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._format import format_value
from ..lang import Condition
from ..lang.runtime import MISSING, Ctx
from ..outcomes import Citation
from .correlations import CompiledCorrelation
from .monitors import CompiledMonitor
from .schema import Cite, Dimension, Indicator, NotChecked, PackMeta, Parameter, Rule, Scorecard, Source, Text


@dataclass(frozen=True)
class Template:
    """A message with ``{expr}`` placeholders, compiled against the rule's subject."""

    parts: tuple[str | Condition, ...]
    #: per part, how its value is shown (``percent``, ``money``; None: as it is)
    kinds: tuple[str | None, ...] = ()

    def render(self, ctx: Ctx, lang: str) -> str:
        out: list[str] = []
        kinds = self.kinds or (None,) * len(self.parts)
        for part, kind in zip(self.parts, kinds, strict=True):
            if isinstance(part, str):
                out.append(part)
                continue
            mark = len(ctx.missing)
            try:
                value = part.run(ctx)
            except Exception:  # a message never breaks a finding
                value = MISSING
            del ctx.missing[mark:]
            out.append(format_value(value, lang, kind))
        return "".join(out)


@dataclass
class CompiledRule:
    """A rule with its conditions compiled and its citation resolved."""

    pack_id: str
    rule: Rule
    source: Source | None
    when: Condition | None
    require: Condition
    message: dict[str, Template]
    origin: Path
    citation: Citation

    def __post_init__(self) -> None:
        title = self.rule.title
        #: title in both languages, built once (findings share it)
        self.titles: Mapping[str, str] = MappingProxyType({"zh": title.zh, "en": title.en or title.zh})
        #: every parameter the rule reads, for the "no value yet" check
        used = self.require.params_used
        if self.when is not None:
            used = used | self.when.params_used
        self.params_used: tuple[str, ...] = tuple(sorted(used))
        #: the untraced closures, called directly on the engine's fast path
        self.require_fast = self.require._fast
        self.when_fast = self.when._fast if self.when is not None else None
        #: findings that never vary when traces are off, built on first use
        self.cached: dict[str, Any] = {}

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def subject(self) -> str:
        return self.rule.subject

    @property
    def severity(self) -> str:
        return self.rule.severity


@dataclass(frozen=True)
class CompiledIndicator:
    dimension: Dimension
    indicator: Indicator
    condition: Condition | None
    value: Condition | None


@dataclass(frozen=True)
class CompiledScorecard:
    pack_id: str
    card: Scorecard
    indicators: tuple[CompiledIndicator, ...]

    @property
    def id(self) -> str:
        return self.card.id

    @property
    def subject(self) -> str:
        return self.card.subject


@dataclass
class Pack:
    """A loaded, resolved and compiled pack."""

    meta: PackMeta
    sources: dict[str, Source]
    parameters: dict[str, Parameter]
    rules: list[CompiledRule]
    not_checked: list[NotChecked]
    path: Path
    chain: list[str]  # ids from this pack up through what it extends
    content_hash: str
    scorecards: list[CompiledScorecard] = field(default_factory=list)
    monitors: list[CompiledMonitor] = field(default_factory=list)
    #: checks across the records of one batch: ``assess`` runs them, ``evaluate`` cannot
    correlations: list[CompiledCorrelation] = field(default_factory=list)
    _param_cache: dict[date, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def title(self) -> Text:
        return self.meta.title

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    def rules_for(self, subject: str) -> list[CompiledRule]:
        return [r for r in self.rules if r.subject == subject]

    def scorecards_for(self, subject: str) -> list[CompiledScorecard]:
        return [c for c in self.scorecards if c.subject == subject]

    def subjects(self) -> list[str]:
        """The kinds of record the pack checks: by its rules, scorecards and correlations."""
        return sorted(
            {r.subject for r in self.rules}
            | {c.subject for c in self.scorecards}
            | {c.subject for c in self.correlations}
        )

    def in_effect(self, as_of: date) -> bool:
        eff = self.meta.effective
        if eff is None:
            return True
        if eff.from_ is not None and as_of < eff.from_:
            return False
        return not (eff.to is not None and as_of > eff.to)

    def params_at(self, as_of: date) -> tuple[dict[str, Any], dict[str, str]]:
        """Parameter values in force on ``as_of``, and the names that have none yet (→ why)."""
        cached = self._param_cache.get(as_of)
        if cached is not None:
            return cached
        values: dict[str, Any] = {}
        absent: dict[str, str] = {}
        for name, param in self.parameters.items():
            dates = sorted(param.values)
            i = bisect_right(dates, as_of)
            if i == 0:
                absent[name] = f"parameter `{name}` has no value before {dates[0].isoformat()}"
            else:
                values[name] = param.values[dates[i - 1]].value
        if len(self._param_cache) > 256:
            self._param_cache.clear()
        self._param_cache[as_of] = (values, absent)
        return values, absent

    def param_cite(self, name: str, as_of: date) -> Cite | None:
        param = self.parameters.get(name)
        if param is None:
            return None
        dates = sorted(d for d in param.values if d <= as_of)
        return param.values[dates[-1]].cite if dates else None
