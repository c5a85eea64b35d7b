"""The results schema: ``runs`` (one CLI invocation), ``jobs`` (one evaluated combination) and long-format ``metrics``.

Migrations in ``vadbench/store/migrations/versions`` build exactly this schema; a test compares the two.
Times are stored as naive UTC and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        String, Text, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

RUN_STATUSES = ("running", "done", "failed", "interrupted")
JOB_STATUSES = ("done", "failed")
SOURCES = ("measured", "reported")
SCOPES = ("dataset", "scene", "video", "kind")

# The unique index on eval_key only covers jobs a rerun may skip: done, measured ones.
DONE_MEASURED = "status = 'done' AND source = 'measured'"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC (portable across SQLite and PostgreSQL) and returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime (UTC)")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Run(Base):
    """One CLI invocation and everything needed to reproduce it."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    command: Mapped[str] = mapped_column(Text)
    config: Mapped[dict] = mapped_column(JSON)
    config_hash: Mapped[str] = mapped_column(String(64))
    versions: Mapped[dict] = mapped_column(JSON)
    git_commit: Mapped[str | None] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    seeds: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    wall_time: Mapped[float | None] = mapped_column(Float)
    peak_memory: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)  # the owning process on ``host`` while running
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    home: Mapped[str | None] = mapped_column(Text)  # the absolute $VADBENCH_HOME whose stage cache the run used
    executor: Mapped[dict | None] = mapped_column(JSON)  # {"name": ..., "jobs": {wave: [scheduler job ids]}}

    jobs: Mapped[list[Job]] = relationship(back_populates="run", passive_deletes=True)


class Job(Base):
    """One (dataset, model, masker, scorer, seed, sample seed, settings) result: measured by a run, or reported by a
    paper."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        Index("ix_jobs_dataset_model", "dataset", "model"),
        # Migration 0001 also gives PostgreSQL the WHERE clause; naming postgresql_where here would import that
        # dialect (a fifth of this module's import time) on every start.
        Index("uq_jobs_eval_key_done", "eval_key", unique=True, sqlite_where=text(DONE_MEASURED)),
        {"sqlite_autoincrement": True},  # ids are never reused, even after an overwrite deletes a job
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12))
    citation: Mapped[str | None] = mapped_column(Text)
    dataset: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    masker: Mapped[str | None] = mapped_column(String(100))
    scorer: Mapped[str | None] = mapped_column(String(100))
    seed: Mapped[int | None] = mapped_column(Integer)
    sample_seed: Mapped[int | None] = mapped_column(Integer)  # seed of a stochastic model's sampling noise
    settings: Mapped[dict] = mapped_column(JSON)
    group_key: Mapped[str | None] = mapped_column(String(64), index=True)
    eval_key: Mapped[str | None] = mapped_column(String(64))
    fit_key: Mapped[str | None] = mapped_column(String(64))
    infer_key: Mapped[str | None] = mapped_column(String(64))
    score_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wall_time: Mapped[float | None] = mapped_column(Float)
    peak_memory: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    localise_key: Mapped[str | None] = mapped_column(String(64))  # added by 0005, hence last

    run: Mapped[Run | None] = relationship(back_populates="jobs")
    metrics: Mapped[list[Metric]] = relationship(back_populates="job", passive_deletes=True)


class Metric(Base):
    """One number of one job, in long format; ``value`` NULL means the metric is undefined there (NaN)."""

    __tablename__ = "metrics"
    __table_args__ = (
        CheckConstraint(_in("scope", SCOPES), name="scope"),
        UniqueConstraint("job_id", "scope", "scope_id", "metric"),
        Index("ix_metrics_scope_metric", "scope", "metric", "job_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(12))
    scope_id: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float)

    job: Mapped[Job] = relationship(back_populates="metrics")


class Claim(Base):
    """A job a running run is computing now: other runs on the same plan leave it to that run. A claim counts only
    while its run is ``running`` (a run whose process died is closed as interrupted, which frees its claims)."""

    __tablename__ = "claims"

    eval_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
