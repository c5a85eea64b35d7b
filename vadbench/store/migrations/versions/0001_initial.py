"""The initial schema: runs, jobs and long-format metrics.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DONE_MEASURED = "status = 'done' AND source = 'measured'"


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("git_commit", sa.String(40), nullable=True),
        sa.Column("device", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("seeds", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("wall_time", sa.Float(), nullable=True),
        sa.Column("peak_memory", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed', 'interrupted')", name=op.f("ck_runs_status")),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(12), nullable=True),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("citation", sa.Text(), nullable=True),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("masker", sa.String(100), nullable=True),
        sa.Column("scorer", sa.String(100), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("group_key", sa.String(64), nullable=True),
        sa.Column("eval_key", sa.String(64), nullable=True),
        sa.Column("fit_key", sa.String(64), nullable=True),
        sa.Column("infer_key", sa.String(64), nullable=True),
        sa.Column("score_key", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("wall_time", sa.Float(), nullable=True),
        sa.Column("peak_memory", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('done', 'failed')", name=op.f("ck_jobs_status")),
        sa.CheckConstraint("source IN ('measured', 'reported')", name=op.f("ck_jobs_source")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_jobs_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_run_id", "jobs", ["run_id"])
    op.create_index("ix_jobs_group_key", "jobs", ["group_key"])
    op.create_index("ix_jobs_dataset_model", "jobs", ["dataset", "model"])
    op.create_index("uq_jobs_eval_key_done", "jobs", ["eval_key"], unique=True,
                    sqlite_where=sa.text(DONE_MEASURED), postgresql_where=sa.text(DONE_MEASURED))

    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("scope_id", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.CheckConstraint("scope IN ('dataset', 'scene', 'video')", name=op.f("ck_metrics_scope")),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.UniqueConstraint("job_id", "scope", "scope_id", "metric", name="uq_metrics_job_id_scope_scope_id_metric"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_metrics_job_id_jobs", ondelete="CASCADE"),
    )
    op.create_index("ix_metrics_scope_metric", "metrics", ["scope", "metric", "job_id"])


def downgrade() -> None:
    op.drop_table("metrics")
    op.drop_table("jobs")
    op.drop_table("runs")
