"""``claims``: the jobs running runs are computing now, one row per evaluation key, so two processes (or machines)
on the same plan never compute the same job twice.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("eval_key", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(12), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("eval_key", name="pk_claims"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_claims_run_id_runs", ondelete="CASCADE"),
    )
    op.create_index("ix_claims_run_id", "claims", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_claims_run_id", "claims")
    op.drop_table("claims")
