"""``runs.home``: the absolute cache folder ($VADBENCH_HOME) a run used, so ``plot`` and ``export`` find its stage
outputs from any working directory.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("home", sa.Text(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop ``runs`` and cascade-delete every job
    op.execute("ALTER TABLE runs DROP COLUMN home")
