"""Correlations: checks across the records of one ``assess`` run (a pack's ``correlations:``).

Rows are streamed, so a correlation takes two passes. :func:`build_index` reads the input once
more before anything is evaluated and keeps, for each correlation of the loaded packs, only
what it compares (for ``no_overlap``: each key's stints, ``key → [Stint(record, start, end)]``);
with no correlation in the packs it reads nothing and returns None. Then
:meth:`CorrelationIndex.judge` adds one finding per correlation to each record's report (here
or in a ``--jobs`` worker, which is given the index once).

``no_overlap`` exactly, for a record R of the correlation's subject kind that the pack judges
(in scope, or ``--ignore-scope``), evaluated on a day within the pack's ``effective``:

- each item of R's list field (``items``) with a ``key`` has a **stint**: from the latest of
  R's ``period.start`` and the item's ``item_period.start`` (e.g. ``joined``) to the earliest
  of R's ``period.end`` and the item's ``item_period.end`` (e.g. ``left``), both days
  included; the item's dates narrow the period when they are given. Without ``period``, an
  item without an end day is still there (its stint has no end). A stint that ends before it
  starts (the person left before the project began) takes no part.
- **fail** when a stint of R and a stint of another record with the same key overlap
  (``a.start <= b.end and b.start <= a.end``): every such record is named in ``related`` and
  in the message with the overlap's days. Records are told apart by their ``id`` (rows
  without one by their place in the input), so two rows with one id are one record.
- **unknown** otherwise when R lacks its period (or a start or end of it), its list field, an
  item's key, or (without ``period``) an item's start day — ``missing`` lists the paths — or
  when another record with one of R's keys cannot be placed in time (``P2:period.end``).
- **pass** otherwise; **not_applicable** for a record of another kind, a record whose list is
  empty, or a day outside the pack's ``effective``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ..errors import PolicyEngineError
from ..evaluate.engine import Engine
from ..evaluate.report import Finding, Report
from ..evaluate.scope import scope_of
from ..models import validate_record
from ..models.base import Subject
from ..models.introspect import titled_path
from ..outcomes import Outcome
from ..packs.correlations import CompiledCorrelation
from ..packs.runtime import Pack
from ..packs.schema import NoOverlapCorrelation
from .rows import InputRow

#: At most this many conflicts are spelt out in one message (``related`` names them all).
SHOWN = 10


@dataclass(frozen=True, slots=True)
class Stint:
    """One keyed item of one record in time; ``start`` None: it cannot be placed (``lacks``
    says why); ``end`` None otherwise: no end day (still there)."""

    record: str
    start: date | None
    end: date | None
    lacks: str = ""


@dataclass
class Collected:
    """What one record gives one correlation: its keyed stints, what it lacks, its item count
    (None when the list field itself is absent)."""

    stints: list[tuple[str, Stint]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    count: int | None = 0
    #: the list field, as a message names it
    items: str = ""
    #: the record's model, to name fields by their Chinese titles
    model: type[Subject] | None = None


def identity(subject: Subject, row: InputRow) -> str:
    """How a record is named in other records' findings: its id, else its place in the input."""
    return str(subject.id).strip() if subject.id and str(subject.id).strip() else row.where()


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(getattr(value, "value", value)).strip()
    return text or None


def collect_no_overlap(corr: CompiledCorrelation, subject: Subject, record: str) -> Collected:
    """Each keyed item's stint (see the module's docstring)."""
    spec = corr.spec
    assert isinstance(spec, NoOverlapCorrelation)
    out = Collected(items=spec.items, model=type(subject))
    items = _get(subject, spec.items)
    if items is None:
        out.count = None
        out.missing.append(spec.items)
        return out
    out.count = len(items)
    start: date | None = None
    end: date | None = None
    unplaced = ""  # why no stint of the record can be placed: its period lacks a start or an end
    if spec.period is not None:
        period = _get(subject, spec.period)
        start, end = _get(period, "start"), _get(period, "end")
        lacking = [f"{spec.period}.{e}" for e, v in (("start", start), ("end", end)) if v is None]
        out.missing += lacking
        unplaced = ", ".join(lacking)
    dates = spec.item_period
    for i, item in enumerate(items):
        key = _text(_get(item, spec.key))
        if key is None:
            out.missing.append(f"{spec.items}[{i}].{spec.key}")
            continue
        lo = _get(item, dates.start) if dates is not None and dates.start else None
        hi = _get(item, dates.end) if dates is not None and dates.end else None
        lo = max(start, lo) if start and lo else start or lo
        hi = min(end, hi) if end and hi else end or hi
        if unplaced:
            out.stints.append((key, Stint(record, None, None, unplaced)))
        elif lo is None:
            assert dates is not None and dates.start is not None  # checked at load
            path = f"{spec.items}[{i}].{dates.start}"
            out.missing.append(path)
            out.stints.append((key, Stint(record, None, None, path)))
        elif hi is None or lo <= hi:
            out.stints.append((key, Stint(record, lo, hi)))
    return out


def _overlap(a: Stint, b: Stint) -> tuple[date, date | None] | None:
    """The days two placed stints share (both ends included), or None."""
    assert a.start is not None and b.start is not None
    if (b.end is None or a.start <= b.end) and (a.end is None or b.start <= a.end):
        ends = [e for e in (a.end, b.end) if e is not None]
        return max(a.start, b.start), min(ends) if ends else None
    return None


def _span(lo: date, hi: date | None, lang: str) -> str:
    if hi is None:
        return f"{lo.isoformat()} 起" if lang == "zh" else f"from {lo.isoformat()}"
    return (
        f"{lo.isoformat()} 至 {hi.isoformat()}" if lang == "zh" else f"{lo.isoformat()} to {hi.isoformat()}"
    )


@dataclass(frozen=True)
class BatchKind:
    """How the batch runs one correlation kind: what a record gives the index, and its finding."""

    collect: Callable[[CompiledCorrelation, Subject, str], Collected]
    judge: Callable[[CompiledCorrelation, Collected, str, Mapping[str, list[Stint]]], Finding]


def judge_no_overlap(
    corr: CompiledCorrelation, own: Collected, record: str, index: Mapping[str, list[Stint]]
) -> Finding:
    """fail / unknown / pass for a record with items (see the module's docstring)."""
    conflicts: dict[tuple[str, str, date, date | None], None] = {}
    unplaced: dict[tuple[str, str], None] = {}  # (other record, what it lacks)
    for key, mine in own.stints:
        if mine.start is None:
            continue
        for other in index.get(key, ()):
            if other.record == record:
                continue
            if other.start is None:
                unplaced[(other.record, other.lacks)] = None
                continue
            shared = _overlap(mine, other)
            if shared is not None:
                conflicts[(key, other.record, *shared)] = None
    if conflicts:
        related = tuple(dict.fromkeys(other for _, other, _, _ in conflicts))
        return _finding(corr, Outcome.FAIL, _conflict_message(corr, record, list(conflicts)), related=related)
    if own.missing or unplaced:

        def title(path: str) -> str:
            return titled_path(own.model, path) if own.model is not None else path

        zh = [
            *map(title, own.missing),
            *(f"{r} 的 {'、'.join(map(title, lacks.split(', ')))}" for r, lacks in unplaced),
        ]
        en = [*own.missing, *(f"{lacks} of {r}" for r, lacks in unplaced)]
        message = {"zh": f"无法判断:缺少 {'、'.join(zh)}", "en": f"cannot decide: missing {', '.join(en)}"}
        missing = (*own.missing, *(f"{r}:{lacks}" for r, lacks in unplaced))
        related = tuple(dict.fromkeys(r for r, _ in unplaced))
        return _finding(corr, Outcome.UNKNOWN, message, missing=missing, related=related)
    return _finding(corr, Outcome.PASS, corr.titles)


def _conflict_message(
    corr: CompiledCorrelation, record: str, conflicts: list[tuple[str, str, date, date | None]]
) -> dict[str, str]:
    out = {}
    for lang, sep, more in (("zh", ";", "等共 {n} 处"), ("en", "; ", "… ({n} in all)")):
        template = corr.spec.message.get(lang)
        lines = [
            template.format_map(
                {
                    "key": key,
                    "record": record,
                    "other": other,
                    "overlap": _span(lo, hi, lang),
                    "overlap_start": lo.isoformat(),
                    "overlap_end": hi.isoformat() if hi else "—",
                }
            )
            for key, other, lo, hi in conflicts[:SHOWN]
        ]
        tail = more.format(n=len(conflicts)) if len(conflicts) > SHOWN else ""
        out[lang] = sep.join(lines) + tail
    return out


def _finding(
    corr: CompiledCorrelation,
    outcome: Outcome,
    message: Mapping[str, str],
    missing: tuple[str, ...] = (),
    related: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        pack=corr.pack_id,
        rule=corr.id,
        title=corr.titles,
        outcome=outcome,
        severity=corr.severity,
        message=dict(message),
        citation=corr.citation,
        missing=missing,
        origin="correlation",
        related=related,
    )


#: Each correlation kind the pack format declares (``policyengine.packs.correlations.KINDS``).
BATCH_KINDS: Mapping[str, BatchKind] = {"no_overlap": BatchKind(collect_no_overlap, judge_no_overlap)}


def correlations_of(packs: Iterable[Pack]) -> list[tuple[Pack, CompiledCorrelation]]:
    return [(p, c) for p in packs for c in p.correlations]


@dataclass
class CorrelationIndex:
    """What the first pass kept: per (pack, correlation), each key's stints in the batch."""

    entries: dict[tuple[str, str], dict[str, list[Stint]]] = field(default_factory=dict)

    def add(self, engine: Engine, subject: Subject, row: InputRow) -> None:
        record = identity(subject, row)
        for pack, corr in correlations_of(engine.packs):
            if corr.subject != subject.kind_name:
                continue
            if not (engine.ignore_scope or scope_of(pack, subject).judged):
                continue  # a pack judges only its own records, and only those are compared
            table = self.entries.setdefault((pack.id, corr.id), {})
            for key, stint in BATCH_KINDS[corr.kind.name].collect(corr, subject, record).stints:
                table.setdefault(key, []).append(stint)

    def judge(self, engine: Engine, subject: Subject, report: Report, row: InputRow) -> Report:
        """``report`` with one finding per correlation of each pack that judges the record."""
        judged = {s.pack for s in report.scope if s.judged or engine.ignore_scope}
        found = []
        for pack, corr in correlations_of(engine.packs):
            if pack.id in judged:
                found.append(self._one(engine, pack, corr, subject, report.as_of, row))
        return replace(report, findings=report.findings + tuple(found)) if found else report

    def _one(
        self,
        engine: Engine,
        pack: Pack,
        corr: CompiledCorrelation,
        subject: Subject,
        as_of: date,
        row: InputRow,
    ) -> Finding:
        if subject.kind_name != corr.subject:
            model = engine.subjects.get(corr.subject)
            title = model.kind_title if model is not None else {"zh": corr.subject, "en": corr.subject}
            message = {
                "zh": f"不适用:本项只比对{title['zh']}记录",
                "en": f"not applicable: compares {title['en']} records only",
            }
            return _finding(corr, Outcome.NOT_APPLICABLE, message)
        if not pack.in_effect(as_of):
            eff = pack.meta.effective
            span = f"{eff.from_ or '…'} – {eff.to or '…'}" if eff else ""
            message = {
                "zh": f"{as_of.isoformat()} 不在本政策有效期({span})内",
                "en": f"{as_of.isoformat()} is outside the policy's effective period ({span})",
            }
            return _finding(corr, Outcome.NOT_APPLICABLE, message)
        kind = BATCH_KINDS[corr.kind.name]
        record = identity(subject, row)
        own = kind.collect(corr, subject, record)
        if own.count == 0:
            message = {
                "zh": f"不适用:记录的{titled_path(type(subject), own.items)}为空",
                "en": f"not applicable: the record's {own.items} is empty",
            }
            return _finding(corr, Outcome.NOT_APPLICABLE, message)
        return kind.judge(corr, own, record, self.entries.get((pack.id, corr.id), {}))


def build_index(engine: Engine, rows: Iterable[InputRow], kind: str | None) -> CorrelationIndex | None:
    """The first pass over the input; None (and nothing read) when no pack has a correlation.

    Rows that will not be evaluated (unreadable, or rejected by the models) are left out, as
    they get no report.
    """
    if not correlations_of(engine.packs):
        return None
    index = CorrelationIndex()
    for row in rows:
        if row.record is None or row.problems:
            continue
        try:
            subject = validate_record(row.record, engine.subjects, kind=kind)
        except PolicyEngineError:
            continue
        index.add(engine, subject, row)
    return index
