"""Trial identity and failures: the source hash on each trial, crashes counted apart.

- `trial.code_hash`: the hash of the source the trial's key was computed under (NULL for
  trials recorded before this revision, whose keys did not carry one);
- `trial.crashes`: how often the trial's process died under it (bounded retries);
- status `crashed` joins the allowed trial statuses.

Revision ID: 0002_identity
Revises: 0001_baseline
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_identity"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('pending', 'running', 'finished', 'failed', 'cut')"
_NEW = "status IN ('pending', 'running', 'finished', 'failed', 'cut', 'crashed')"


def upgrade() -> None:
    with op.batch_alter_table("trial") as batch:
        batch.add_column(
            sa.Column("crashes", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("code_hash", sa.String(64), nullable=True))
        batch.drop_constraint("ck_trial_status", type_="check")
        batch.create_check_constraint("ck_trial_status", _NEW)
        batch.create_check_constraint("ck_trial_crashes", "crashes >= 0")


def downgrade() -> None:
    # A crashed trial was a failed one before this revision.
    op.execute("UPDATE trial SET status = 'failed' WHERE status = 'crashed'")
    with op.batch_alter_table("trial") as batch:
        batch.drop_constraint("ck_trial_crashes", type_="check")
        batch.drop_constraint("ck_trial_status", type_="check")
        batch.create_check_constraint("ck_trial_status", _OLD)
        batch.drop_column("code_hash")
        batch.drop_column("crashes")
