"""The decision history: where it is, and recording one evaluation in it.

``History(url)`` opens (and, unless told not to, migrates to the newest schema) a database:
SQLite by default (one file, :func:`default_url`), PostgreSQL by URL
(``postgresql+psycopg://user@host/db``). :meth:`History.record` stores one report — the subject,
its region, the as-of date, the packs with versions and content hashes, the input's hash, the
verdict and each finding's outcome, and the input itself (masked) when ``keep_inputs`` — and
moves the subject's rectification items (:mod:`.rectification`), in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, make_url, not_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import Location, PolicyEngineError, Problem
from ..evaluate.report import Report
from .masking import mask_record
from .rectification import Moves, apply
from .regions import Region, Scope
from .tables import Evaluation, EvaluationPack, FindingRow

#: The environment variable naming the history's database URL.
ENV_URL = "POLICYENGINE_DB"
#: ``1``/``true``: ``evaluate --record`` and ``serve`` keep each input (masked) in the history
KEEP_INPUTS_ENV = "POLICYENGINE_KEEP_INPUTS"
#: Tries of one recording when a concurrent one took the same rectification item first.
_TRIES = 3


def default_url() -> str:
    """``$POLICYENGINE_DB``, else a SQLite file in the user's data directory
    (``$XDG_DATA_HOME/policyengine/history.sqlite3``, ``~/.local/share/...`` by default)."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'policyengine' / 'history.sqlite3'}"


def keep_inputs_default() -> bool:
    """Whether ``$POLICYENGINE_KEEP_INPUTS`` asks for the inputs to be kept."""
    return os.environ.get(KEEP_INPUTS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def utcnow() -> datetime:
    """Now in UTC, without a zone (how the history stores times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def input_hash(record: Any) -> str:
    """``sha256:`` of the record as canonical JSON (keys sorted, numbers as text)."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One report to store, with the record it is about and where that is."""

    report: Report
    record: Any = None
    region: Region | None = None
    source: str = "cli"
    recorded_by: str | None = None
    job_id: str | None = None


@dataclass
class Recorded:
    """One evaluation stored: its id, and what it did to the rectification ledger."""

    evaluation_id: int
    moves: Moves = field(default_factory=Moves)
    #: False when an evaluation of the subject with a later as-of date was already recorded
    ledger: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"evaluation_id": self.evaluation_id, "ledger": self.ledger, **self.moves.to_dict()}


class History:
    """A decision history in one database (see the module)."""

    def __init__(self, url: str | None = None, *, keep_inputs: bool = False, migrate: bool = True) -> None:
        self.url = url or default_url()
        self.keep_inputs = keep_inputs
        try:
            self.engine, self._writer = _engines(self.url)
            self._session = sessionmaker(self.engine, expire_on_commit=False)
            self._write_session = sessionmaker(self._writer, expire_on_commit=False)
            if migrate:
                from .migrate import upgrade

                upgrade(self._writer)
        except (SQLAlchemyError, ValueError) as exc:
            raise database_error(self.url, exc) from None

    def close(self) -> None:
        self.engine.dispose()
        if self._writer is not self.engine:
            self._writer.dispose()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._session() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that writes (on SQLite, ``BEGIN IMMEDIATE``: writers queue up instead of
        failing when two processes record at once)."""
        with self._write_session() as session, session.begin():
            yield session

    def elsewhere(self, kind: str, subject_id: str, scope: Scope) -> bool:
        """Whether the subject was evaluated before in a region outside ``scope``: a token of
        one county must not move another county's items by naming its subject's id."""
        with self.reading() as session:
            found = session.scalar(
                select(Evaluation.id)
                .where(
                    Evaluation.subject_kind == kind,
                    Evaluation.subject_id == str(subject_id)[:200],
                    not_(scope.where(Evaluation)),
                )
                .limit(1)
            )
        return found is not None

    def record(
        self,
        report: Report,
        *,
        record: Any = None,
        region: Region | None = None,
        source: str = "cli",
        recorded_by: str | None = None,
        job_id: str | None = None,
    ) -> Recorded:
        """Store ``report`` (about ``record``, the input as given, in ``region``) and move the
        subject's rectification items. Raises :class:`PolicyEngineError` when the subject has
        no id (the history is kept by subject)."""
        return self.record_many([Entry(report, record, region, source, recorded_by, job_id)])[0]

    def record_many(self, entries: Sequence[Entry]) -> list[Recorded]:
        """Store several reports in one transaction (a batch job's rows, a chunk at a time), in
        order, as :meth:`record` stores one."""
        for entry in entries:
            if not entry.report.subject.id:
                raise PolicyEngineError(
                    [
                        Problem(
                            "a record needs an `id` to be kept in the history "
                            "(记录缺少编号,无法存入评估记录)",
                            Location(None, None, None, None, 1, "id"),
                            "give the record its id (the station's or project's code)",
                            "record",
                        )
                    ]
                )
        for attempt in range(_TRIES):
            try:
                with self.writing() as session:
                    return [self._store(session, e) for e in entries]
            except IntegrityError:  # another recording opened the same item first: redo on top of it
                if attempt == _TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _store(self, session: Session, entry: Entry) -> Recorded:
        report, record, region = entry.report, entry.record, entry.region or Region()
        titles = {(f.pack, f.rule): dict(f.title) for f in report.findings}
        subject = report.subject
        assert subject.id is not None
        now = utcnow()
        # An evaluation dated after tomorrow (a typo, or a what-if) is kept but moves no item,
        # and never counts as the newest: it cannot freeze the subject's ledger.
        horizon = now.date() + timedelta(days=1)
        newest = session.scalar(
            select(func.max(Evaluation.as_of)).where(
                Evaluation.subject_kind == subject.kind,
                Evaluation.subject_id == subject.id,
                Evaluation.as_of <= horizon,
            )
        )
        given = record if record is not None else {"kind": subject.kind, "id": subject.id}
        row = Evaluation(
            recorded_at=now,
            source=entry.source,
            recorded_by=entry.recorded_by,
            job_id=entry.job_id,
            subject_kind=subject.kind,
            subject_id=str(subject.id)[:200],
            subject_name=(subject.name or None) and str(subject.name)[:400],
            as_of=report.as_of,
            verdict=report.verdict.value,
            rules_evaluated=report.evaluated,
            input_hash=input_hash(given),
            input_json=json.dumps(mask_record(given), ensure_ascii=False, default=str)
            if self.keep_inputs and record is not None
            else None,
            **region.columns(),
        )
        row.packs = [
            EvaluationPack(position=i, pack_id=p.id, version=p.version, content_hash=p.content_hash)
            for i, p in enumerate(report.packs)
        ]
        row.findings = [
            FindingRow(
                pack=f.pack,
                rule=f.rule,
                outcome=f.outcome.value,
                severity=f.severity,
                origin=f.origin,
                period=f.period,
            )
            for f in report.findings
        ]
        session.add(row)
        session.flush()
        if report.as_of > horizon or (newest is not None and newest > report.as_of):
            return Recorded(row.id, Moves(), ledger=False)
        return Recorded(row.id, apply(session, row, titles, now))


def database_error(url: str, exc: BaseException) -> PolicyEngineError:
    """A database fault as the error the command line and the service report (no password shown)."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:
        shown = "the URL given"
    why = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        if str(exc).strip()
        else type(exc).__name__
    )
    return PolicyEngineError(
        [
            Problem(
                f"the history database cannot be used: {why} (评估记录库不可用)",
                Location(shown),
                "check --db (sqlite:///FILE or postgresql+psycopg://USER@HOST/DB) and that the server is up",
                "history",
            )
        ]
    )


def _engines(url: str) -> tuple[Engine, Engine]:
    """The engine for reading and the one for writing (the same but on SQLite)."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        return engine, engine
    _make_parent(url)
    reader = create_engine(url)
    writer = create_engine(url)
    for eng, immediate in ((reader, False), (writer, True)):
        _sqlite_setup(eng, immediate)
    return reader, writer


_wal_lock = threading.Lock()


def _sqlite_setup(engine: Engine, immediate: bool) -> None:
    """Foreign keys on, a wait instead of "database is locked", the write-ahead log (readers do
    not block the writer), and our own BEGIN (pysqlite's would begin too late)."""

    @event.listens_for(engine, "connect")
    def connect(dbapi: Any, _: Any) -> None:
        dbapi.isolation_level = None
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        with _wal_lock:
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception:  # a read-only medium: the default journal still works
                pass
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _make_parent(url: str) -> None:
    """Create the SQLite file's directory (``sqlite:///path``; not ``:memory:``)."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and not path.startswith(":"):
        try:
            Path(path.split("?", 1)[0]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PolicyEngineError(
                [Problem(f"cannot create the history's directory: {exc}", Location(path), None, "history")]
            ) from None


__all__ = [
    "ENV_URL",
    "KEEP_INPUTS_ENV",
    "Entry",
    "History",
    "Recorded",
    "default_url",
    "input_hash",
    "keep_inputs_default",
    "utcnow",
]
