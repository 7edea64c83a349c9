"""The decision history's tables (SQLAlchemy 2, one declarative base).

The same tables run on SQLite (the default, one file) and PostgreSQL (by URL); the Alembic
migrations in ``migrations/versions`` create them, and a test holds the two together
(upgrading an empty database gives exactly these tables). Dates are ``DATE``; times are
UTC without a zone (``DateTime``), the same on both databases.

- :class:`Evaluation` — one report about one subject on one as-of date: who, where, when, with
  which packs (:class:`EvaluationPack`, versions and content hashes), the hash of the input, the
  verdict, each finding's outcome (:class:`FindingRow`), and the input itself (masked) only when
  the history is configured to keep inputs.
- :class:`RectificationItem` — 整改台账: a rule a subject failed, open until an evaluation where
  the rule passes closes it; ``rounds`` counts the evaluations it failed in.
- :class:`ApiToken` — the service's tokens, stored as SHA-256 hashes, with role and region scope.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names the same on every database (Alembic needs names to alter them later).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: An id column: BIGINT on PostgreSQL, INTEGER (SQLite's rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RegionColumns:
    """Where a subject is, as written (``region``) and as compared (``*_key``: the place name
    without spaces or its administrative suffix, so 海宁 = 海宁市; see
    :func:`policyengine.evaluate.scope.place`)."""

    region: Mapped[str | None] = mapped_column(String(400))
    province_key: Mapped[str | None] = mapped_column(String(100), index=True)
    city_key: Mapped[str | None] = mapped_column(String(100), index=True)
    county_key: Mapped[str | None] = mapped_column(String(100), index=True)
    township_key: Mapped[str | None] = mapped_column(String(100))


class Evaluation(RegionColumns, Base):
    __tablename__ = "pe_evaluations"
    __table_args__ = (Index("ix_pe_evaluations_subject", "subject_kind", "subject_id", "as_of"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    #: what recorded it: ``cli``, ``api``, ``batch``
    source: Mapped[str] = mapped_column(String(32))
    #: the token's name (service) or ``cli``
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200))
    subject_name: Mapped[str | None] = mapped_column(String(400))
    as_of: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(32))
    rules_evaluated: Mapped[int] = mapped_column(Integer)
    #: ``sha256:`` of the input record as canonical JSON (keys sorted), before masking
    input_hash: Mapped[str] = mapped_column(String(71))
    #: the input record as JSON with personal data masked (:mod:`.masking`); only if configured
    input_json: Mapped[str | None] = mapped_column(Text)

    packs: Mapped[list[EvaluationPack]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="EvaluationPack.position"
    )
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class EvaluationPack(Base):
    __tablename__ = "pe_evaluation_packs"

    evaluation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("pe_evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    content_hash: Mapped[str] = mapped_column(String(71))

    evaluation: Mapped[Evaluation] = relationship(back_populates="packs")


class FindingRow(Base):
    __tablename__ = "pe_findings"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("pe_evaluations.id", ondelete="CASCADE"), index=True
    )
    pack: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(32))
    #: ``rule``, ``monitor`` or ``correlation``
    origin: Mapped[str] = mapped_column(String(32))
    #: a monitor finding's calendar period (``2023-Q1``)
    period: Mapped[str | None] = mapped_column(String(32))

    evaluation: Mapped[Evaluation] = relationship(back_populates="findings")


class RectificationItem(RegionColumns, Base):
    """One rule one subject failed (整改事项), keyed by subject, pack and rule.

    At most one item per key is open at a time: ``open_slot`` is 1 while the item is open and
    NULL once it is closed, and (subject, pack, rule, open_slot) is unique. Both databases let
    NULLs repeat in a unique constraint, so closed items pile up while a second open one is
    refused even when two evaluations of the subject are recorded at the same moment.
    """

    __tablename__ = "pe_rectification_items"
    __table_args__ = (
        UniqueConstraint(
            "subject_kind", "subject_id", "pack", "rule", "open_slot", name="uq_pe_rectification_items_open"
        ),
        Index("ix_pe_rectification_items_status", "status", "opened_on"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200))
    subject_name: Mapped[str | None] = mapped_column(String(400))
    pack: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(32))
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    #: ``open`` or ``closed`` (整改完成)
    status: Mapped[str] = mapped_column(String(16))
    open_slot: Mapped[int | None] = mapped_column(Integer)
    #: how many evaluations found the rule failing (1 when opened)
    rounds: Mapped[int] = mapped_column(Integer)
    opened_evaluation_id: Mapped[int] = mapped_column(Id, ForeignKey("pe_evaluations.id"))
    last_evaluation_id: Mapped[int] = mapped_column(Id, ForeignKey("pe_evaluations.id"))
    closed_evaluation_id: Mapped[int | None] = mapped_column(Id, ForeignKey("pe_evaluations.id"))
    #: the as-of dates of the opening, the latest and the closing evaluation
    opened_on: Mapped[date] = mapped_column(Date)
    last_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class ApiToken(Base):
    """A service token: only its SHA-256 is kept (the token is shown once, when created)."""

    __tablename__ = "pe_api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``viewer``, ``assessor`` or ``admin``
    role: Mapped[str] = mapped_column(String(16))
    #: the region the token may see and write, as given (``浙江省/嘉兴市/海宁市``); NULL: all
    scope: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime())
