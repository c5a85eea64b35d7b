"""Metrics per anomaly kind (scope 'kind') and ``jobs.sample_seed``, the seed of a stochastic model's sampling noise.

SQLite can neither change a CHECK constraint nor insert a column in place, so there both tables are rebuilt: each
old table is renamed aside (SQLite repoints the foreign keys that reference it), the new one is created and filled
from it, and the old ones are dropped, the referenced one last. No table is dropped while another references it, so
no ON DELETE CASCADE fires whether or not foreign keys are enforced (``open_store`` enforces them), and the jobs'
AUTOINCREMENT counter carries over. Other databases alter the tables in place. Downgrading deletes the 'kind' rows.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DONE_MEASURED = "status = 'done' AND source = 'measured'"
OLD_SCOPES = ("dataset", "scene", "video")
NEW_SCOPES = (*OLD_SCOPES, "kind")
JOB_COLUMNS = ("id", "run_id", "source", "citation", "dataset", "model", "masker", "scorer", "seed", "settings",
               "group_key", "eval_key", "fit_key", "infer_key", "score_key", "status", "error", "provenance",
               "started_at", "wall_time", "peak_memory", "note")  # the columns of revision 0002, in order
METRIC_COLUMNS = ("id", "job_id", "scope", "scope_id", "metric", "value")
INDEXES = {"jobs": ("ix_jobs_run_id", "ix_jobs_group_key", "ix_jobs_dataset_model", "uq_jobs_eval_key_done"),
           "metrics": ("ix_metrics_scope_metric",)}


def _scope_check(scopes: tuple[str, ...]) -> str:
    return f"scope IN ({', '.join(repr(scope) for scope in scopes)})"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(sample_seed=True, scopes=NEW_SCOPES)
        return
    op.add_column("jobs", sa.Column("sample_seed", sa.Integer(), nullable=True))
    op.drop_constraint(op.f("ck_metrics_scope"), "metrics", type_="check")
    op.create_check_constraint(op.f("ck_metrics_scope"), "metrics", _scope_check(NEW_SCOPES))


def downgrade() -> None:
    op.execute("DELETE FROM metrics WHERE scope = 'kind'")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(sample_seed=False, scopes=OLD_SCOPES)
        return
    op.drop_constraint(op.f("ck_metrics_scope"), "metrics", type_="check")
    op.create_check_constraint(op.f("ck_metrics_scope"), "metrics", _scope_check(OLD_SCOPES))
    op.drop_column("jobs", "sample_seed")


def _rebuild_sqlite(sample_seed: bool, scopes: tuple[str, ...]) -> None:
    """Rebuild ``jobs`` (with or without ``sample_seed``) and ``metrics`` (with the check on ``scopes``)."""
    for table in ("jobs", "metrics"):
        for index in INDEXES[table]:  # index names are database-wide: free them for the new tables
            op.drop_index(index, table_name=table)
        op.rename_table(table, f"_{table}_old")  # metrics' foreign key now points at _jobs_old
    _create_jobs(sample_seed)
    _copy("jobs", JOB_COLUMNS)
    _create_metrics(scopes)
    _copy("metrics", METRIC_COLUMNS)
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'jobs'")  # keep the old counter: ids are never reused
    op.execute("UPDATE sqlite_sequence SET name = 'jobs' WHERE name = '_jobs_old'")
    op.drop_table("_metrics_old")
    op.drop_table("_jobs_old")


def _copy(table: str, columns: tuple[str, ...]) -> None:
    listed = ", ".join(columns)
    op.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM _{table}_old")


def _create_jobs(sample_seed: bool) -> None:
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
        *([sa.Column("sample_seed", sa.Integer(), nullable=True)] if sample_seed else []),
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
    op.create_index("uq_jobs_eval_key_done", "jobs", ["eval_key"], unique=True, sqlite_where=sa.text(DONE_MEASURED))


def _create_metrics(scopes: tuple[str, ...]) -> None:
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("scope_id", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.CheckConstraint(_scope_check(scopes), name=op.f("ck_metrics_scope")),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.UniqueConstraint("job_id", "scope", "scope_id", "metric", name="uq_metrics_job_id_scope_scope_id_metric"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_metrics_job_id_jobs", ondelete="CASCADE"),
    )
    op.create_index("ix_metrics_scope_metric", "metrics", ["scope", "metric", "job_id"])
