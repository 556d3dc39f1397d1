"""Configuration search: one row per candidate of a `config_search` version and seed.

Revision ID: 0005_search
Revises: 0004_families
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_search"
down_revision: str | None = "0004_families"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_candidate",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("search_hash", sa.String(64), nullable=False),
        sa.Column("search_seed", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("parent_idx", sa.Integer(), nullable=True),
        sa.Column("controller", sa.String(64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("edit", sa.Text(), nullable=False),
        sa.Column("move", sa.String(255), nullable=True),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("trial_key", sa.String(255), nullable=True),
        sa.Column("recheck_key", sa.String(255), nullable=True),
        sa.Column("seal_digest", sa.String(64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("loss", sa.Float(), nullable=True),
        sa.Column("recheck_loss", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("best_after", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'scored', 'refused', 'failed')",
            name="ck_search_candidate_status",
        ),
        sa.CheckConstraint("idx >= 0", name="ck_search_candidate_idx"),
        sa.ForeignKeyConstraint(
            ["search_hash"],
            ["hypothesis_version.content_hash"],
            name="fk_search_candidate_search",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_search_candidate_run"),
        sa.UniqueConstraint("search_hash", "search_seed", "idx", name="uq_search_candidate_slot"),
    )
    op.create_index(
        "ix_search_candidate_search", "search_candidate", ["search_hash", "search_seed"]
    )


def downgrade() -> None:
    op.drop_index("ix_search_candidate_search", table_name="search_candidate")
    op.drop_table("search_candidate")
