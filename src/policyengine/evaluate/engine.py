"""The engine: compiled packs + a record + a date → a :class:`Report`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError, EvaluationLimitError, PackError, Problem
from ..lang.runtime import DEFAULT_MAX_STEPS, MISSING, Ctx
from ..models import validate_record
from ..models.base import Subject
from ..models.introspect import titled_path
from ..outcomes import Outcome
from ..packs.runtime import CompiledRule, CompiledScorecard, Pack
from ..plugins import default_subjects, get_registry
from .report import Finding, PackRef, Report, SubjectRef
from .scope import REGION_LEVELS, PackScope, scope_of
from .scoring import score_card

if TYPE_CHECKING:
    from .codegen import GeneratedPack


class Engine:
    """Evaluates records against one or more compiled packs.

    >>> engine = Engine.from_packs(["lanzhou_2022"])          # doctest: +SKIP
    >>> report = engine.evaluate(record, as_of=date(2023, 9, 10))  # doctest: +SKIP
    """

    def __init__(
        self,
        packs: Sequence[Pack],
        subjects: Mapping[str, type[Subject]] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        ignore_scope: bool = False,
        codegen: bool = False,
    ) -> None:
        """``ignore_scope`` judges every record by every pack, whatever the packs' region and
        ``applies_to`` say ("what if this station were in Haining"); the report still states
        each pack's scope. ``codegen`` runs each pack's rules as one generated Python function
        per subject kind (:mod:`.codegen`: the same reports, about twice as fast); the closures
        stay the reference, and run any rule the generator cannot express."""
        if not packs:
            raise PackError(
                [
                    Problem(
                        "an engine needs at least one pack",
                        None,
                        "pass pack ids or directories to Engine.from_packs",
                    )
                ]
            )
        ids = [p.id for p in packs]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise PackError([Problem(f"pack `{sorted(dupes)[0]}` is given twice")])
        self.packs: tuple[Pack, ...] = tuple(packs)
        self.subjects = dict(subjects if subjects is not None else default_subjects())
        self.max_steps = max_steps
        self.ignore_scope = ignore_scope
        self.codegen = codegen
        self._generated: dict[tuple[str, str, bool], GeneratedPack] = {}
        self._titles: dict[tuple[str, str], str] = {}
        self._scopes: dict[tuple[Any, ...], tuple[PackScope, ...]] = {}
        self._pack_refs = tuple(
            PackRef(p.id, p.version, p.content_hash, {"zh": p.title.zh, "en": p.title.en or p.title.zh})
            for p in self.packs
        )
        # Rules and scorecards grouped by subject kind, once.
        self._by_subject: dict[str, list[tuple[Pack, list[CompiledRule]]]] = {}
        self._cards: dict[str, list[CompiledScorecard]] = {}
        for kind in {k for p in self.packs for k in p.subjects()}:
            self._by_subject[kind] = [(p, p.rules_for(kind)) for p in self.packs]
            self._cards[kind] = [c for p in self.packs for c in p.scorecards_for(kind)]

    @classmethod
    def from_packs(cls, packs: Iterable[str | Path | Pack], **kwargs: Any) -> Engine:
        """Build an engine from pack ids, pack directories or loaded packs."""
        registry = get_registry()
        loaded = [p if isinstance(p, Pack) else registry.load(p) for p in packs]
        return cls(loaded, **kwargs)

    def subject_kinds(self) -> list[str]:
        return sorted(self._by_subject)

    def evaluate(
        self,
        record: Mapping[str, Any] | Subject,
        *,
        as_of: date | None = None,
        trace: bool = True,
        kind: str | None = None,
        source: str | None = None,
    ) -> Report:
        """Evaluate one record (a mapping with ``kind:``, or a subject model).

        Raises :class:`~policyengine.errors.RecordError` if the record does not fit its model.
        ``as_of`` defaults to today; parameters in force on that date are used.
        """
        subject = validate_record(record, self.subjects, kind=kind, source=source)
        when = as_of or date.today()
        scope = self._scope(subject)
        judged = {s.pack for s in scope if s.judged or self.ignore_scope}
        findings: list[Finding] = []
        for pack, rules in self._by_subject.get(subject.kind_name, ()):
            if pack.id in judged:
                findings.extend(self._run_pack(pack, rules, subject, when, trace))
        scores = []
        for card in self._cards.get(subject.kind_name, ()):
            pack = next(p for p in self.packs if p.id == card.pack_id)
            if not pack.in_effect(when) or pack.id not in judged:
                continue
            params, _ = pack.params_at(when)
            outcomes = {f.rule: f.outcome for f in findings if f.pack == card.pack_id}
            scores.append(score_card(card, Ctx(subject, params, when, None, self.max_steps), outcomes))
        return Report(
            subject=SubjectRef(subject.kind_name, subject.id, subject.name),
            packs=self._pack_refs,
            as_of=when,
            findings=tuple(findings),
            scores=tuple(scores),
            scope=scope,
        )

    def _scope(self, subject: Subject) -> tuple[PackScope, ...]:
        """Each pack's scope for the record, worked out once per kind, level and region (all
        that :func:`scope_of` reads)."""
        region = getattr(subject, "region", None)
        key = (
            type(subject),
            getattr(subject, "level", None),
            *(getattr(region, k, None) for k in REGION_LEVELS),
        )
        try:
            found = self._scopes.get(key)
        except TypeError:  # a plugin's unhashable level or region
            return tuple(scope_of(p, subject) for p in self.packs)
        if found is None:
            found = tuple(scope_of(p, subject) for p in self.packs)
            if len(self._scopes) < 4096:
                self._scopes[key] = found
        return found

    def evaluate_many(
        self,
        records: Iterable[Mapping[str, Any] | Subject],
        *,
        as_of: date | None = None,
        trace: bool = False,
        kind: str | None = None,
    ) -> Iterator[Report]:
        """Evaluate records one by one, lazily (memory stays flat for any number of records).

        A record that does not validate raises :class:`RecordError` when reached.
        """
        when = as_of or date.today()
        for record in records:
            yield self.evaluate(record, as_of=when, trace=trace, kind=kind)

    def _run_pack(
        self, pack: Pack, rules: list[CompiledRule], subject: Subject, as_of: date, trace: bool
    ) -> Iterator[Finding]:
        if not pack.in_effect(as_of):
            eff = pack.meta.effective
            span = f"{eff.from_ or '…'} – {eff.to or '…'}" if eff else ""
            for rule in rules:
                yield _finding(
                    rule,
                    Outcome.NOT_APPLICABLE,
                    {
                        "zh": f"{as_of.isoformat()} 不在本政策有效期({span})内",
                        "en": f"{as_of.isoformat()} is outside the policy's effective period ({span})",
                    },
                )
            return
        params, absent = pack.params_at(as_of)
        if self.codegen:
            code = self.generated(pack, subject.kind_name, trace)
            if len(rules) == code.rules:  # all of them (a subclass may ask for some)
                yield from code.run(subject, params, as_of, absent, self.max_steps)
                return
        ctx = Ctx(subject, params, as_of, None, self.max_steps)
        for rule in rules:
            yield self._run_one(rule, ctx, absent, trace)

    def _run_one(self, rule: CompiledRule, ctx: Ctx, absent: Mapping[str, str], trace: bool) -> Finding:
        """One rule on its closures."""
        lacking = _lacking(rule, absent)
        if lacking is not None:
            return lacking
        ctx.trace = [] if trace else None
        ctx.missing = []
        ctx.steps = 0
        ctx.vars = {}
        try:
            return self._run_rule(rule, ctx)
        except Exception as exc:  # a rule never takes the report down with it
            return _error(rule, exc, tuple(ctx.trace or ()))

    def generated(self, pack: Pack, kind: str, trace: bool = False) -> GeneratedPack:
        """``pack``'s rules for ``kind`` as one generated function (made on first use)."""
        key = (pack.id, kind, trace)
        found = self._generated.get(key)
        if found is None:
            from .codegen import FindingMakers, generate

            makers = FindingMakers(_made, self._unknown_finding, _error, _lacking, self._closures)
            found = self._generated[key] = generate(pack, kind, trace, makers)
        return found

    def _closures(
        self,
        rule: CompiledRule,
        record: Subject,
        params: Mapping[str, Any],
        as_of: date,
        absent: Mapping[str, str],
        trace: bool,
    ) -> Finding:
        """A rule the generated code hands back: run on its closures."""
        return self._run_one(rule, Ctx(record, dict(params), as_of, None, self.max_steps), absent, trace)

    def _run_rule(self, rule: CompiledRule, ctx: Ctx) -> Finding:
        if ctx.trace is None:
            return self._run_fast(rule, ctx)
        if rule.when is not None:
            applies = rule.when.run(ctx)
            if applies is MISSING:
                return self._unknown(rule, ctx, applicability=True)
            if not applies:
                return _finding(
                    rule,
                    Outcome.NOT_APPLICABLE,
                    {
                        "zh": "不适用:记录不满足本条的适用条件",
                        "en": f"not applicable: {rule.when.source}",
                    },
                    trace=tuple(ctx.trace or ()),
                )
        result = rule.require.run(ctx)
        if result is MISSING:
            return self._unknown(rule, ctx)
        if result:
            return _finding(rule, Outcome.PASS, rule.titles, trace=tuple(ctx.trace or ()))
        message = {lang: tpl.render(ctx, lang) for lang, tpl in rule.message.items()}
        return _finding(rule, Outcome.FAIL, message, trace=tuple(ctx.trace or ()))

    def _run_fast(self, rule: CompiledRule, ctx: Ctx) -> Finding:
        """Traces off: the untraced closures, and the same `pass` finding object every time."""
        if rule.when_fast is not None:
            applies = rule.when_fast(ctx)
            if applies is MISSING:
                return self._unknown(rule, ctx, applicability=True)
            if not applies:
                cached = rule.cached.get("na")
                if cached is None:
                    cached = rule.cached["na"] = _finding(
                        rule,
                        Outcome.NOT_APPLICABLE,
                        {"zh": "不适用:记录不满足本条的适用条件", "en": f"not applicable: {rule.rule.when}"},
                    )
                return cached
        result = rule.require_fast(ctx)
        if result is MISSING:
            return self._unknown(rule, ctx)
        if result:
            cached = rule.cached.get("pass")
            if cached is None:
                cached = rule.cached["pass"] = _finding(rule, Outcome.PASS, rule.titles)
            return cached
        message = {lang: tpl.render(ctx, lang) for lang, tpl in rule.message.items()}
        return _finding(rule, Outcome.FAIL, message)

    def _titled(self, kind: str, path: str) -> str:
        """A missing field's path by its Chinese titles (worked out once per kind and path)."""
        found = self._titles.get((kind, path))
        if found is None:
            model = self.subjects.get(kind)
            found = titled_path(model, path) if model is not None else path
            if len(self._titles) < 10_000:
                self._titles[(kind, path)] = found
        return found

    def _unknown(self, rule: CompiledRule, ctx: Ctx, applicability: bool = False) -> Finding:
        return self._unknown_finding(rule, ctx.missing, tuple(ctx.trace or ()), applicability)

    def _unknown_finding(
        self, rule: CompiledRule, noted: Sequence[str], trace: tuple[Any, ...], applicability: bool
    ) -> Finding:
        missing = tuple(dict.fromkeys(noted))
        titled = [self._titled(rule.subject, m) for m in missing]
        fields = "、".join(titled) or "所需数据"
        what_zh = "无法判断是否适用" if applicability else "无法判断"
        what_en = "cannot tell whether the rule applies" if applicability else "cannot decide"
        return _finding(
            rule,
            Outcome.UNKNOWN,
            {
                "zh": f"{what_zh}:缺少 {fields}",
                "en": f"{what_en}: missing {', '.join(missing) or '?'}",
            },
            trace=trace,
            missing=missing,
        )


def _lacking(rule: CompiledRule, absent: Mapping[str, str]) -> Finding | None:
    """The `error` finding of a rule reading a parameter that has no value on the date."""
    lacking = [absent[n] for n in rule.params_used if n in absent] if absent else None
    if not lacking:
        return None
    return _finding(rule, Outcome.ERROR, {"zh": lacking[0], "en": lacking[0]}, error=lacking[0])


def _error(rule: CompiledRule, exc: BaseException, trace: tuple[Any, ...]) -> Finding:
    if isinstance(exc, (EvaluationError, EvaluationLimitError)):
        text = exc.render()
    else:  # e.g. a plugin function returning the wrong kind of value
        text = f"rule could not be evaluated: {type(exc).__name__}: {exc}"
    return _finding(rule, Outcome.ERROR, {"zh": f"无法评估:{text}", "en": text}, trace=trace, error=text)


def _made(
    rule: CompiledRule, outcome: Outcome, message: Mapping[str, str], trace: tuple[Any, ...]
) -> Finding:
    return _finding(rule, outcome, message, trace=trace)


def _finding(
    rule: CompiledRule,
    outcome: Outcome,
    message: Mapping[str, str],
    trace: tuple[Any, ...] = (),
    missing: tuple[str, ...] = (),
    error: str | None = None,
) -> Finding:
    r = rule.rule
    return Finding(
        pack=rule.pack_id,
        rule=r.id,
        title=rule.titles,
        outcome=outcome,
        severity=r.severity,
        message=message,
        citation=rule.citation,
        trace=trace,
        missing=missing,
        error=error,
    )


__all__ = ["Engine"]
