"""Correction families: the family table, and each verdict's family, alpha and adjusted CI.

Revision ID: 0004_families
Revises: 0003_trial_device
Create Date: 2026-12-01

A verdict now records the family it was corrected in, the raw alpha, and the level and
interval its adjusted (decisive) outcome used; a family records its members and size as they
were when registered, so a later run cannot grow it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_families"
down_revision: str | None = "0003_trial_device"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_VERDICT_COLUMNS = ("alpha", "family", "adjusted_alpha", "adjusted_ci_low", "adjusted_ci_high")


def upgrade() -> None:
    op.create_table(
        "correction_family",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("size >= 1", name="ck_correction_family_size"),
        sa.CheckConstraint("alpha > 0 AND alpha < 1", name="ck_correction_family_alpha"),
        sa.CheckConstraint("method IN ('holm', 'bh')", name="ck_correction_family_method"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_correction_family_run"),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("verdict") as batch:
        batch.alter_column(
            "correction", existing_type=sa.String(64), type_=sa.String(255), existing_nullable=True
        )
        batch.add_column(sa.Column("alpha", sa.Float(), nullable=True))
        batch.add_column(sa.Column("family", sa.String(255), nullable=True))
        batch.add_column(sa.Column("adjusted_alpha", sa.Float(), nullable=True))
        batch.add_column(sa.Column("adjusted_ci_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("adjusted_ci_high", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verdict") as batch:
        for name in reversed(_NEW_VERDICT_COLUMNS):
            batch.drop_column(name)
        batch.alter_column(
            "correction", existing_type=sa.String(255), type_=sa.String(64), existing_nullable=True
        )
    op.drop_table("correction_family")
