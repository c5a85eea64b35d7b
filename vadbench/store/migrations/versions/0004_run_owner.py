"""The process that owns a running run (``runs.pid``) and its last sign of life (``runs.heartbeat_at``), so a run
whose process was killed is closed as ``interrupted`` instead of staying ``running`` forever.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("pid", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop ``runs`` and cascade-delete every job
    op.execute("ALTER TABLE runs DROP COLUMN heartbeat_at")
    op.execute("ALTER TABLE runs DROP COLUMN pid")
