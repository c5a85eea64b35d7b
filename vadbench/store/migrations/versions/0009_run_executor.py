"""``runs.executor``: where a run's stages ran (``local``, ``ray``, ``slurm``) and, for Slurm, the array job ids
of each stage wave, so ``vadbench runs`` and ``show`` can point at the scheduler's records and logs.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("executor", sa.JSON(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop ``runs`` and cascade-delete every job
    op.execute("ALTER TABLE runs DROP COLUMN executor")
