"""initial: evaluations, their packs and findings, rectification items, tokens

Revision ID: v0001
Revises: (none)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _region() -> list[sa.Column[str]]:
    return [
        sa.Column("region", sa.String(length=400), nullable=True),
        sa.Column("province_key", sa.String(length=100), nullable=True),
        sa.Column("city_key", sa.String(length=100), nullable=True),
        sa.Column("county_key", sa.String(length=100), nullable=True),
        sa.Column("township_key", sa.String(length=100), nullable=True),
    ]


def _region_indexes(table: str) -> None:
    for level in ("province", "city", "county"):
        op.create_index(op.f(f"ix_{table}_{level}_key"), table, [f"{level}_key"], unique=False)


def _tokens() -> None:
    op.create_table(
        "pe_api_tokens",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pe_api_tokens_token_hash")),
    )


def _evaluations() -> None:
    op.create_table(
        "pe_evaluations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("subject_kind", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("subject_name", sa.String(length=400), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("rules_evaluated", sa.Integer(), nullable=False),
        sa.Column("input_hash", sa.String(length=71), nullable=False),
        sa.Column("input_json", sa.Text(), nullable=True),
        *_region(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_evaluations")),
    )
    _region_indexes("pe_evaluations")
    op.create_index(
        "ix_pe_evaluations_subject", "pe_evaluations", ["subject_kind", "subject_id", "as_of"], unique=False
    )


def _packs_and_findings() -> None:
    op.create_table(
        "pe_evaluation_packs",
        sa.Column("evaluation_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["pe_evaluations.id"],
            name=op.f("fk_pe_evaluation_packs_evaluation_id_pe_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "position", name=op.f("pk_pe_evaluation_packs")),
    )
    op.create_table(
        "pe_findings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("evaluation_id", ID, nullable=False),
        sa.Column("pack", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["pe_evaluations.id"],
            name=op.f("fk_pe_findings_evaluation_id_pe_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pe_findings")),
    )
    op.create_index(op.f("ix_pe_findings_evaluation_id"), "pe_findings", ["evaluation_id"], unique=False)


def _rectification_items() -> None:
    table = "pe_rectification_items"
    links = [
        sa.ForeignKeyConstraint(
            [f"{which}_evaluation_id"],
            ["pe_evaluations.id"],
            name=op.f(f"fk_{table}_{which}_evaluation_id_pe_evaluations"),
        )
        for which in ("closed", "last", "opened")
    ]
    op.create_table(
        table,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("subject_kind", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("subject_name", sa.String(length=400), nullable=True),
        sa.Column("pack", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_slot", sa.Integer(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("opened_evaluation_id", ID, nullable=False),
        sa.Column("last_evaluation_id", ID, nullable=False),
        sa.Column("closed_evaluation_id", ID, nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        *_region(),
        *links,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(
            "subject_kind", "subject_id", "pack", "rule", "open_slot", name="uq_pe_rectification_items_open"
        ),
    )
    _region_indexes(table)
    op.create_index("ix_pe_rectification_items_status", table, ["status", "opened_on"], unique=False)


def upgrade() -> None:
    _tokens()
    _evaluations()
    _packs_and_findings()
    _rectification_items()


def downgrade() -> None:
    for table in (
        "pe_rectification_items",
        "pe_findings",
        "pe_evaluation_packs",
        "pe_evaluations",
        "pe_api_tokens",
    ):
        op.drop_table(table)
