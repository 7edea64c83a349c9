"""Reading the history: a subject's evaluations over time, one evaluation with its findings
(and its stored input), the rectification items, and changing an item's deadline and note.

Every query takes an optional region :class:`~.regions.Scope` (a county token's): what lies
outside it is not there. The views are plain dataclasses with ``to_dict`` (the JSON the service
returns and ``--format json`` prints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from .regions import Scope, region_filter
from .store import History, utcnow
from .tables import Evaluation, RectificationItem

#: the most rows one listing returns
MAX_ROWS = 10_000


@dataclass(frozen=True)
class EvaluationView:
    id: int
    recorded_at: datetime
    source: str
    recorded_by: str | None
    job_id: str | None
    subject_kind: str
    subject_id: str
    subject_name: str | None
    region: str | None
    as_of: date
    verdict: str
    rules_evaluated: int
    input_hash: str
    packs: list[dict[str, str]]
    findings: list[dict[str, Any]]
    input_stored: bool

    @classmethod
    def of(cls, row: Evaluation, findings: bool = True) -> EvaluationView:
        return cls(
            id=row.id,
            recorded_at=row.recorded_at,
            source=row.source,
            recorded_by=row.recorded_by,
            job_id=row.job_id,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            subject_name=row.subject_name,
            region=row.region,
            as_of=row.as_of,
            verdict=row.verdict,
            rules_evaluated=row.rules_evaluated,
            input_hash=row.input_hash,
            packs=[
                {"id": p.pack_id, "version": p.version, "content_hash": p.content_hash} for p in row.packs
            ],
            findings=[
                {
                    "pack": f.pack,
                    "rule": f.rule,
                    "outcome": f.outcome,
                    "severity": f.severity,
                    "origin": f.origin,
                    "period": f.period,
                }
                for f in row.findings
            ]
            if findings
            else [],
            input_stored=row.input_json is not None,
        )

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f["outcome"]] = out.get(f["outcome"], 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "recorded_at": self.recorded_at.isoformat(timespec="seconds") + "Z",
            "source": self.source,
            "recorded_by": self.recorded_by,
            "job_id": self.job_id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id, "name": self.subject_name},
            "region": self.region,
            "as_of": self.as_of.isoformat(),
            "verdict": self.verdict,
            "rules_evaluated": self.rules_evaluated,
            "input_hash": self.input_hash,
            "input_stored": self.input_stored,
            "packs": self.packs,
            "findings": self.findings,
        }


@dataclass(frozen=True)
class ItemView:
    id: int
    subject_kind: str
    subject_id: str
    subject_name: str | None
    region: str | None
    pack: str
    rule: str
    severity: str
    title: dict[str, str]
    status: str
    rounds: int
    opened_evaluation_id: int
    last_evaluation_id: int
    closed_evaluation_id: int | None
    opened_on: date
    last_on: date
    closed_on: date | None
    deadline: date | None
    note: str | None
    updated_at: datetime

    @classmethod
    def of(cls, row: RectificationItem) -> ItemView:
        return cls(
            id=row.id,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            subject_name=row.subject_name,
            region=row.region,
            pack=row.pack,
            rule=row.rule,
            severity=row.severity,
            title={"zh": row.title_zh, "en": row.title_en},
            status=row.status,
            rounds=row.rounds,
            opened_evaluation_id=row.opened_evaluation_id,
            last_evaluation_id=row.last_evaluation_id,
            closed_evaluation_id=row.closed_evaluation_id,
            opened_on=row.opened_on,
            last_on=row.last_on,
            closed_on=row.closed_on,
            deadline=row.deadline,
            note=row.note,
            updated_at=row.updated_at,
        )

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.deadline is not None and self.deadline < today

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id, "name": self.subject_name},
            "region": self.region,
            "pack": self.pack,
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "status": self.status,
            "rounds": self.rounds,
            "opened_evaluation_id": self.opened_evaluation_id,
            "last_evaluation_id": self.last_evaluation_id,
            "closed_evaluation_id": self.closed_evaluation_id,
            "opened_on": self.opened_on.isoformat(),
            "last_on": self.last_on.isoformat(),
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "note": self.note,
            "updated_at": self.updated_at.isoformat(timespec="seconds") + "Z",
        }


def _scoped(query: Select[Any], table: Any, scope: Scope | None) -> Select[Any]:
    return query.where(scope.where(table)) if scope is not None else query


def subject_evaluations(
    history: History, subject_id: str, *, kind: str | None = None, scope: Scope | None = None
) -> list[EvaluationView]:
    """The subject's evaluations, oldest as-of date first (then in the order recorded)."""
    query = select(Evaluation).where(Evaluation.subject_id == subject_id)
    if kind:
        query = query.where(Evaluation.subject_kind == kind)
    query = _scoped(query, Evaluation, scope).order_by(Evaluation.as_of, Evaluation.id).limit(MAX_ROWS)
    with history.reading() as session:
        rows = session.scalars(
            query.options(selectinload(Evaluation.packs), selectinload(Evaluation.findings))
        ).all()
        return [EvaluationView.of(r) for r in rows]


def evaluation(history: History, evaluation_id: int, *, scope: Scope | None = None) -> EvaluationView | None:
    query = _scoped(select(Evaluation).where(Evaluation.id == evaluation_id), Evaluation, scope)
    with history.reading() as session:
        row = session.scalars(query).first()
        return EvaluationView.of(row) if row is not None else None


def stored_input(history: History, evaluation_id: int, *, scope: Scope | None = None) -> Any | None:
    """The evaluation's input as stored (masked), or None when it has none (or is out of scope)."""
    query = _scoped(select(Evaluation.input_json).where(Evaluation.id == evaluation_id), Evaluation, scope)
    with history.reading() as session:
        text = session.scalar(query)
    return json.loads(text) if text else None


def rectification_items(
    history: History,
    *,
    open_only: bool = False,
    region: str | None = None,
    subject_id: str | None = None,
    scope: Scope | None = None,
) -> list[ItemView]:
    """Items, newest opened first; ``region`` as a scope is written (浙江省/嘉兴市/海宁市)."""
    query = select(RectificationItem)
    if open_only:
        query = query.where(RectificationItem.status == "open")
    if subject_id:
        query = query.where(RectificationItem.subject_id == subject_id)
    where = region_filter(RectificationItem, region)
    if where is not None:
        query = query.where(where)
    query = _scoped(query, RectificationItem, scope)
    query = query.order_by(RectificationItem.opened_on.desc(), RectificationItem.id.desc()).limit(MAX_ROWS)
    with history.reading() as session:
        return [ItemView.of(r) for r in session.scalars(query).all()]


_UNSET: Any = object()


def update_item(
    history: History,
    item_id: int,
    *,
    deadline: date | None = _UNSET,
    note: str | None = _UNSET,
    scope: Scope | None = None,
) -> ItemView | None:
    """Set an item's deadline and/or note (None clears it); None when there is no such item."""
    with history.writing() as session:
        row = _item(session, item_id, scope)
        if row is None:
            return None
        if deadline is not _UNSET:
            row.deadline = deadline
        if note is not _UNSET:
            row.note = note
        row.updated_at = utcnow()
        session.flush()
        return ItemView.of(row)


def _item(session: Session, item_id: int, scope: Scope | None) -> RectificationItem | None:
    query = _scoped(
        select(RectificationItem).where(RectificationItem.id == item_id), RectificationItem, scope
    )
    return session.scalars(query.with_for_update()).first()
