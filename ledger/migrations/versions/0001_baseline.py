"""Baseline: hypothesis versions, runs, trials, verdicts, levers.

Revision ID: 0001_baseline
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOMES = "'confirmed', 'refuted', 'inconclusive'"


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hypothesis_version",
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("hypothesis_id", sa.String(255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("parent_hash", sa.String(64), nullable=True),
        sa.Column("lever_id", sa.String(255), nullable=True),
        sa.Column("registered_at", _tz(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.CheckConstraint("depth >= 0", name="ck_hypothesis_version_depth"),
        sa.ForeignKeyConstraint(
            ["parent_hash"],
            ["hypothesis_version.content_hash"],
            name="fk_hypothesis_version_parent",
        ),
        sa.PrimaryKeyConstraint("content_hash"),
    )
    op.create_index(
        "ix_hypothesis_version_hypothesis_id", "hypothesis_version", ["hypothesis_id"]
    )
    op.create_index("ix_hypothesis_version_parent_hash", "hypothesis_version", ["parent_hash"])

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", _tz(), nullable=False),
        sa.Column("finished_at", _tz(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("budget_seconds", sa.Float(), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("runner", sa.String(255), nullable=False),
        sa.Column("code_version", sa.String(255), nullable=False),
        sa.Column("hypotheses_dir", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("last_heartbeat", _tz(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'budget_exhausted', 'failed', 'interrupted')",
            name="ck_run_status",
        ),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "trial",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("hypothesis_hash", sa.String(64), nullable=False),
        sa.Column("cell_id", sa.Text(), nullable=False),
        sa.Column("arm", sa.String(255), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cut_reason", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("started_at", _tz(), nullable=True),
        sa.Column("finished_at", _tz(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("claimed_at", _tz(), nullable=True),
        sa.Column("heartbeat_at", _tz(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'finished', 'failed', 'cut')",
            name="ck_trial_status",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_trial_attempts"),
        sa.CheckConstraint("seed >= 0", name="ck_trial_seed"),
        sa.ForeignKeyConstraint(
            ["hypothesis_hash"], ["hypothesis_version.content_hash"], name="fk_trial_hypothesis"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_trial_run"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_trial_hypothesis_status", "trial", ["hypothesis_hash", "status"])
    op.create_index("ix_trial_run_id", "trial", ["run_id"])

    op.create_table(
        "verdict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hypothesis_hash", sa.String(64), nullable=False),
        sa.Column("cell_id", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("effect_metric", sa.String(255), nullable=False),
        sa.Column("effect_kind", sa.String(32), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("ci_method", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("seeds", sa.Text(), nullable=False),
        sa.Column("degenerate", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("adjusted_outcome", sa.String(32), nullable=True),
        sa.Column("adjusted_p", sa.Float(), nullable=True),
        sa.Column("correction", sa.String(64), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.CheckConstraint(f"outcome IN ({_OUTCOMES})", name="ck_verdict_outcome"),
        sa.CheckConstraint(
            f"adjusted_outcome IS NULL OR adjusted_outcome IN ({_OUTCOMES})",
            name="ck_verdict_adjusted_outcome",
        ),
        sa.CheckConstraint(
            "effect_kind IN ('difference', 'ratio', 'value')", name="ck_verdict_effect_kind"
        ),
        sa.CheckConstraint("confidence > 0 AND confidence < 1", name="ck_verdict_confidence"),
        sa.CheckConstraint("n >= 0", name="ck_verdict_n"),
        sa.ForeignKeyConstraint(
            ["hypothesis_hash"],
            ["hypothesis_version.content_hash"],
            name="fk_verdict_hypothesis",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_verdict_run"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_verdict_current",
        "verdict",
        ["hypothesis_hash", "cell_id"],
        unique=True,
        sqlite_where=sa.text("NOT superseded"),
        postgresql_where=sa.text("NOT superseded"),
    )
    op.create_index("ix_verdict_hypothesis_hash", "verdict", ["hypothesis_hash"])

    op.create_table(
        "lever",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parent_hash", sa.String(64), nullable=False),
        sa.Column("child_hash", sa.String(64), nullable=True),
        sa.Column("next_id", sa.String(255), nullable=True),
        sa.Column("lever_id", sa.String(255), nullable=False),
        sa.Column("when", sa.String(32), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _tz(), nullable=False),
        sa.CheckConstraint(f'"when" IN ({_OUTCOMES})', name="ck_lever_when"),
        sa.CheckConstraint(
            "(child_hash IS NULL) <> (next_id IS NULL)", name="ck_lever_child_xor_next"
        ),
        sa.ForeignKeyConstraint(
            ["parent_hash"], ["hypothesis_version.content_hash"], name="fk_lever_parent"
        ),
        sa.ForeignKeyConstraint(
            ["child_hash"], ["hypothesis_version.content_hash"], name="fk_lever_child"
        ),
        sa.ForeignKeyConstraint(["verdict_id"], ["verdict.id"], name="fk_lever_verdict"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_lever_run"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_hash", "lever_id", name="uq_lever_parent_lever"),
    )


def downgrade() -> None:
    op.drop_table("lever")
    op.drop_index("ix_verdict_hypothesis_hash", table_name="verdict")
    op.drop_index("uq_verdict_current", table_name="verdict")
    op.drop_table("verdict")
    op.drop_index("ix_trial_run_id", table_name="trial")
    op.drop_index("ix_trial_hypothesis_status", table_name="trial")
    op.drop_table("trial")
    op.drop_table("run")
    op.drop_index("ix_hypothesis_version_parent_hash", table_name="hypothesis_version")
    op.drop_index("ix_hypothesis_version_hypothesis_id", table_name="hypothesis_version")
    op.drop_table("hypothesis_version")
