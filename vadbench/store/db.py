"""Open the results store (any SQLAlchemy URL), migrate it to the current schema, and read and write results.

SQLite gets WAL mode, a busy timeout and ``BEGIN IMMEDIATE`` for writes, so several processes on one machine
can share a file; migrations run under a file lock so processes opening a fresh file at once do not race.
Alembic is imported only when a database actually needs migrating, which keeps ``vadbench report`` fast.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (ArgumentError, DatabaseError, DBAPIError, IntegrityError, NoSuchModuleError,
                            OperationalError)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from vadbench.errors import DuplicateJobError, StoreError
from vadbench.processes import alive
from vadbench.store import schema
from vadbench.store.migrations import HEAD
from vadbench.evaluation.records import MetricRow
from vadbench.store.records import JobMetric, JobRecord, RunRecord, RunSummary, ScopeMetric

DEFAULT_URL = "sqlite:///results.db"
BUSY_TIMEOUT_S = 60.0
HEARTBEAT = 60.0  # seconds between a running run's heartbeats
STALE_AFTER = 10 * HEARTBEAT  # a running run silent this long is taken for dead
FIX = "pass another --db URL or set $VADBENCH_DB (e.g. sqlite:///results.db or postgresql://user@host/vadbench)"
_JOB_FIELDS = [name for name in JobRecord.__dataclass_fields__ if name not in ("id", "run_id")]


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """The store at ``url`` (default ``$VADBENCH_DB``, else ``sqlite:///results.db``), migrated to the schema head.

    ``create=False`` (the read commands) refuses a SQLite file that does not exist instead of creating it.
    """
    url = url or os.environ.get("VADBENCH_DB") or DEFAULT_URL
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite and not create and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).expanduser().is_file():
            raise StoreError(f"there is no results store at {Path(parsed.database).expanduser()}: check the --db "
                             f"path (or $VADBENCH_DB), or create one with `vadbench run`")
        engine = _sqlite_engine(parsed) if sqlite else create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise StoreError(f"cannot open the results store {url!r}: {error}; {FIX}") from None
    try:
        _migrate(engine, parsed.database if sqlite else None)
    except DatabaseError as error:
        engine.dispose()
        raise StoreError(f"cannot open the results store {shown}: {error.orig}; {_hint(parsed)}") from None
    return Store(engine, shown)


def _hint(url: Any) -> str:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).expanduser().resolve()
        if not path.parent.is_dir():
            return f"the folder {path.parent} does not exist: create it, or {FIX}"
        if path.is_file() and path.stat().st_size and path.read_bytes()[:16] != b"SQLite format 3\x00":
            return f"{path} is not a SQLite database: point --db at a results database, or {FIX}"
    return f"check that the database is reachable and writable, or {FIX}"


def _sqlite_engine(url: Any) -> Engine:
    """A SQLite engine in WAL mode with a busy timeout; transactions opened for writing take the lock up front.

    A file on a read-only disk or in a read-only folder opens read-only (``immutable``: WAL needs a writable
    folder even to read), so the read commands still work there and every write is a StoreError.
    """
    in_memory = url.database in (None, "", ":memory:")
    path = None if in_memory else Path(url.database).expanduser()
    read_only = path is not None and path.is_file() and not (os.access(path, os.W_OK)
                                                              and os.access(path.parent, os.W_OK))
    if read_only:
        import sqlite3

        uri = f"file:{path.resolve()}?mode=ro&immutable=1"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    else:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S},
                               **({"poolclass": StaticPool} if in_memory else {}))

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        if not (in_memory or read_only):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes can fail with "database is locked" without waiting
        # for the busy timeout; writers therefore take the write lock when they begin.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("write") else "BEGIN")

    return engine


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _migrate(engine: Engine, sqlite_path: str | None) -> None:
    """Upgrade to ``HEAD`` unless already there; for a SQLite file, under a lock file next to it."""
    if sqlite_path and sqlite_path != ":memory:":
        try:
            if _revision(engine) == HEAD:
                return
        except OperationalError as error:  # another process is creating the file or switching it to WAL
            if "locked" not in str(error.orig):
                raise
        from filelock import FileLock

        with FileLock(f"{Path(sqlite_path).expanduser()}.lock", timeout=BUSY_TIMEOUT_S):
            if _locked_retry(lambda: _revision(engine)) != HEAD:
                _upgrade(engine)
    elif _revision(engine) != HEAD:
        _upgrade(engine)


def _locked_retry(action: Any, attempts: int = 50) -> Any:
    """``action()``, retried while SQLite reports "database is locked" without waiting for the busy timeout (as it
    does while another connection switches a fresh file to WAL)."""
    import time

    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as error:
            if "locked" not in str(error.orig) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    current = _revision(engine)
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(f"the results store {engine.url.render_as_string(hide_password=True)} has schema "
                         f"revision {current!r}, newer than this vadbench knows ({HEAD!r}); upgrade vadbench")
    with engine.execution_options(write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """Runs, jobs and metrics in one database. Every write is one transaction."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._writer = engine.execution_options(write=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """One write transaction; a database that refuses it (full disk, read-only, locked past the timeout) is a
        StoreError naming the store and the fix, and the transaction is rolled back whole."""
        try:
            with Session(self._writer) as session, session.begin():
                yield session
        except DBAPIError as error:
            raise _write_error(self.url, error) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------------------------

    def start_run(self, *, command: str, config: dict[str, Any], config_hash: str, versions: dict[str, Any],
                  git_commit: str | None, device: str, host: str, seeds: Iterable[int] = (),
                  home: str | None = None, executor: str = "local") -> str:
        """Record a run as ``running``, owned by this process on ``host``, and return its new 12-hex id. Runs left
        ``running`` by dead processes are closed first (``close_stale_runs``)."""
        self.close_stale_runs(host)
        run_id = uuid.uuid4().hex[:12]
        now = datetime.now(timezone.utc)
        with self._writing() as session:
            session.add(schema.Run(
                id=run_id, created_at=now, command=command, config=config,
                config_hash=config_hash, versions=versions, git_commit=git_commit, device=device, host=host,
                seeds=list(seeds), status="running", pid=os.getpid(), heartbeat_at=now, home=home,
                executor={"name": executor},
            ))
        return run_id

    def add_executor_jobs(self, run_id: str, cluster: str, wave: str, job_ids: Iterable[str]) -> None:
        """Record the scheduler's job ids of one stage wave of the run (``executor.jobs[wave]``)."""
        jobs = self.get_run(run_id).executor or {}
        self.describe_executor(run_id, cluster=cluster,
                               jobs={**jobs.get("jobs", {}), wave: [str(job_id) for job_id in job_ids]})

    def describe_executor(self, run_id: str, **facts: Any) -> None:
        """Add facts about where the run's stages ran to ``runs.executor`` (e.g. a Ray cluster's address and CPUs)."""
        with self._writing() as session:
            run = session.get(schema.Run, run_id)
            run.executor = {**(run.executor or {}), **facts}

    def heartbeat(self, run_id: str) -> None:
        """Mark a running run as alive now (the runner beats after every job and every ``HEARTBEAT`` seconds)."""
        with self._writing() as session:
            session.execute(update(schema.Run).where(schema.Run.id == run_id, schema.Run.status == "running")
                            .values(heartbeat_at=datetime.now(timezone.utc)))

    def close_stale_runs(self, host: str) -> list[str]:
        """Close as ``interrupted`` the runs still ``running`` whose process is gone: on ``host``, a pid that no
        longer runs; anywhere, no heartbeat for ``STALE_AFTER`` seconds. Returns their ids."""
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=STALE_AFTER)
        closed = []
        with self._writing() as session:
            for run in session.scalars(select(schema.Run).where(schema.Run.status == "running")):
                dead = run.host == host and run.pid is not None and not alive(run.pid)
                silent = run.heartbeat_at is not None and run.heartbeat_at < cutoff
                if dead or silent:
                    why = f"process {run.pid} on {run.host} is gone" if dead else \
                        f"no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
                    run.status, run.error = "interrupted", f"closed by a later run: {why}"
                    closed.append(run.id)
        return closed

    def finish_run(self, run_id: str, *, status: str, wall_time: float, peak_memory: int | None = None,
                   error: str | None = None) -> None:
        """Close a run as ``done``, ``failed`` or ``interrupted``."""
        if status not in schema.RUN_STATUSES[1:]:
            raise StoreError(f"run status {status!r} is not one of {', '.join(schema.RUN_STATUSES[1:])}")
        with self._writing() as session:
            run = session.get(schema.Run, run_id)
            if run is None:
                raise StoreError(f"no run {run_id!r} in {self.url}; start it with start_run first")
            run.status, run.wall_time, run.peak_memory, run.error = status, wall_time, peak_memory, error
            session.execute(delete(schema.Claim).where(schema.Claim.run_id == run_id))

    # -- claims -----------------------------------------------------------------------------------------------

    def claim(self, run_id: str, eval_key: str) -> str | None:
        """Claim the job ``eval_key`` for the running run ``run_id``: None when the claim is now this run's (it was
        free, already this run's, or held by a run that is no longer running), else the id of the running run that
        holds it. Atomic across processes and machines: a claim is one row keyed by ``eval_key``."""
        try:
            with Session(self._writer) as session, session.begin():
                held = session.get(schema.Claim, eval_key)
                if held is not None and held.run_id != run_id:
                    owner = session.get(schema.Run, held.run_id)
                    if owner is not None and owner.status == "running":
                        return held.run_id
                if held is not None:
                    session.delete(held)
                    session.flush()
                session.add(schema.Claim(eval_key=eval_key, run_id=run_id, claimed_at=datetime.now(timezone.utc)))
        except IntegrityError:  # another run inserted its claim between our read and our write
            with Session(self.engine) as session:
                held = session.get(schema.Claim, eval_key)
            return held.run_id if held is not None and held.run_id != run_id else self.claim(run_id, eval_key)
        except DBAPIError as error:
            raise _write_error(self.url, error) from None
        return None

    def release(self, run_id: str, eval_key: str | None = None) -> None:
        """Drop the run's claim on ``eval_key`` (every claim of the run when None)."""
        with self._writing() as session:
            query = delete(schema.Claim).where(schema.Claim.run_id == run_id)
            session.execute(query if eval_key is None else query.where(schema.Claim.eval_key == eval_key))

    def runs(self, limit: int | None = 20) -> list[RunRecord]:
        """The most recent runs, newest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(schema.Run).order_by(schema.Run.created_at.desc()).limit(limit))
            return [_run_record(row) for row in rows]

    def run_summaries(self, *, limit: int | None = 20, status: str | None = None, models: Iterable[str] = (),
                      datasets: Iterable[str] = ()) -> list[RunSummary]:
        """The most recent runs (newest first) with their job counts by status and the models and datasets of
        their jobs; filtered by run status and by models or datasets their jobs used."""
        models, datasets = list(models), list(datasets)
        with Session(self.engine) as session:
            query = select(schema.Run).order_by(schema.Run.created_at.desc())
            if status:
                query = query.where(schema.Run.status == status)
            for column, values in ((schema.Job.model, models), (schema.Job.dataset, datasets)):
                if values:
                    query = query.where(schema.Run.id.in_(select(schema.Job.run_id).where(column.in_(values))))
            runs = [_run_record(row) for row in session.scalars(query.limit(limit))]
            ids = [run.id for run in runs]
            jobs = session.execute(select(schema.Job.run_id, schema.Job.status, schema.Job.model, schema.Job.dataset)
                                   .where(schema.Job.run_id.in_(ids))).all()
        summaries = {run.id: RunSummary(run) for run in runs}
        for run_id, job_status, model, dataset in jobs:
            summary = summaries[run_id]
            summary.jobs[job_status] = summary.jobs.get(job_status, 0) + 1
            summary.models.add(model)
            summary.datasets.add(dataset)
        return list(summaries.values())

    def get_run(self, id_or_prefix: str) -> RunRecord:
        """The run whose id is or starts with ``id_or_prefix``; unknown or ambiguous prefixes are errors."""
        with Session(self.engine) as session:
            rows = session.scalars(select(schema.Run).where(schema.Run.id.startswith(id_or_prefix, autoescape=True))
                                   .order_by(schema.Run.created_at.desc())).all()
        if len(rows) == 1:
            return _run_record(rows[0])
        if rows:
            listed = ", ".join(f"{row.id} ({row.created_at:%Y-%m-%d %H:%M})" for row in rows[:10])
            raise StoreError(f"run prefix {id_or_prefix!r} is ambiguous in {self.url}: {listed}; type more of the id")
        recent = ", ".join(run.id for run in self.runs(10)) or "(none: the store has no runs yet)"
        raise StoreError(f"no run {id_or_prefix!r} in {self.url}; recent runs: {recent} (see `vadbench report`)")

    # -- jobs -------------------------------------------------------------------------------------------------

    def done_job(self, eval_key: str) -> JobRecord | None:
        """The done, measured job with this evaluation key, if any: a rerun skips it."""
        with Session(self.engine) as session:
            row = session.scalars(select(schema.Job).where(
                schema.Job.eval_key == eval_key, schema.Job.status == "done", schema.Job.source == "measured")).first()
            return None if row is None else _job_record(row)

    def save_job(self, run_id: str | None, job: JobRecord, metrics: Iterable[tuple[str, str, str, float]] = (), *,
                 overwrite: bool = False) -> int:
        """Store a job and its metric rows in one transaction and return the job id.

        With ``overwrite`` a done job with the same ``eval_key`` is replaced; without it, that is an error. A failed
        job is stored with its error and no metrics. Any exception (also one raised while ``metrics`` is being
        iterated) rolls everything back.
        """
        _check_job(job)
        with self._writing() as session:
            if job.status == "done" and job.source == "measured" and job.eval_key is not None:
                existing = session.scalars(select(schema.Job).where(
                    schema.Job.eval_key == job.eval_key, schema.Job.status == "done",
                    schema.Job.source == "measured")).first()
                if existing is not None:
                    if not overwrite:
                        raise DuplicateJobError(f"a done job with eval_key {job.eval_key} is already stored (job "
                                         f"{existing.id}, run {existing.run_id}); pass overwrite=True (--overwrite) "
                                         f"to replace it")
                    session.execute(delete(schema.Metric).where(schema.Metric.job_id == existing.id))
                    session.delete(existing)
                    session.flush()
            row = schema.Job(run_id=run_id, **{name: getattr(job, name) for name in _JOB_FIELDS})
            row.group_key = job.group_key or (job.computed_group_key() if job.source == "measured" else None)
            session.add(row)
            try:
                session.flush()
            except IntegrityError as error:  # PostgreSQL: another writer stored the same job since our check
                if "uq_jobs_eval_key_done" not in str(error.orig):
                    raise
                raise DuplicateJobError(f"a done job with eval_key {job.eval_key} was stored by another writer at "
                                        "the same time; its result stands") from None
            rows = [_metric_row(row.id, *metric) for metric in metrics]
            if rows and job.status == "failed":
                raise StoreError(f"failed job {job.model} on {job.dataset} came with {len(rows)} metric rows; "
                                 f"a failed job is stored with its error only")
            if rows:
                session.execute(schema.Metric.__table__.insert(), rows)
            return row.id

    def add_provenance(self, job_id: int, **facts: Any) -> None:
        """Merge ``facts`` into a stored job's provenance (e.g. the plugin hooks that failed after it was saved)."""
        with self._writing() as session:
            row = session.get(schema.Job, job_id)
            if row is None:
                raise StoreError(f"no job {job_id} in {self.url}")
            row.provenance = {**row.provenance, **facts}

    def jobs(self, run_id: str) -> list[JobRecord]:
        """The jobs of a run, in the order they were saved."""
        with Session(self.engine) as session:
            rows = session.scalars(select(schema.Job).where(schema.Job.run_id == run_id).order_by(schema.Job.id))
            return [_job_record(row) for row in rows]

    def job_metrics(self, job_id: int, scope: str | None = None) -> list[MetricRow]:
        """The metric rows of a job, optionally of one scope."""
        query = select(schema.Metric).where(schema.Metric.job_id == job_id)
        if scope is not None:
            query = query.where(schema.Metric.scope == scope)
        with Session(self.engine) as session:
            return [_metric_record(row) for row in session.scalars(query.order_by(schema.Metric.id))]

    def metric_rows(self, *, scope: str = "dataset", metrics: Iterable[str] | None = None,
                    datasets: Iterable[str] = (), models: Iterable[str] = (), run_id: str | None = None,
                    reported: bool = True) -> list[JobMetric]:
        """Metric rows of done jobs joined with their jobs, for leaderboards.

        ``run_id`` restricts the measured jobs to one run; reported rows are kept unless ``reported`` is False.
        """
        return [JobMetric(row.job, row.metric, row.value)
                for row in self.scope_rows(scope, metrics=metrics, datasets=datasets, models=models, run_id=run_id,
                                           reported=reported)]

    def scope_rows(self, scope: str, *, metrics: Iterable[str] | None = None, datasets: Iterable[str] = (),
                   models: Iterable[str] = (), run_id: str | None = None,
                   reported: bool = True) -> list[ScopeMetric]:
        """``metric_rows`` of ``scope`` with each row's scope id (e.g. the anomaly kind of scope "kind")."""
        query = (select(schema.Job, schema.Metric).join(schema.Metric.job)
                 .where(schema.Job.status == "done", schema.Metric.scope == scope))
        if metrics is not None:
            query = query.where(schema.Metric.metric.in_(list(metrics)))
        if datasets := list(datasets):
            query = query.where(schema.Job.dataset.in_(datasets))
        if models := list(models):
            query = query.where(schema.Job.model.in_(models))
        measured = schema.Job.source == "measured"
        if run_id is not None:
            measured = measured & (schema.Job.run_id == run_id)
        query = query.where(measured | (schema.Job.source == "reported") if reported else measured)
        with Session(self.engine) as session:
            jobs: dict[int, JobRecord] = {}
            out = []
            for job, metric in session.execute(query.order_by(schema.Job.id, schema.Metric.id)):
                record = jobs.get(job.id) or jobs.setdefault(job.id, _job_record(job))
                out.append(ScopeMetric(record, metric.scope_id, metric.metric, _from_db(metric.value)))
            return out


def _check_job(job: JobRecord) -> None:
    if job.status not in schema.JOB_STATUSES:
        raise StoreError(f"job status {job.status!r} is not one of {', '.join(schema.JOB_STATUSES)}")
    if job.source not in schema.SOURCES:
        raise StoreError(f"job source {job.source!r} is not one of {', '.join(schema.SOURCES)}")
    if job.status == "failed" and not job.error:
        raise StoreError(f"failed job {job.model} on {job.dataset} has no error; store the exception text with it")


def _metric_row(job_id: int, scope: str, scope_id: str, metric: str, value: float) -> dict[str, Any]:
    if scope not in schema.SCOPES:
        raise StoreError(f"metric {metric!r} has scope {scope!r}; valid scopes: {', '.join(schema.SCOPES)}")
    value = float(value)
    if math.isinf(value):
        raise StoreError(f"metric {metric!r} ({scope} {scope_id}) is infinite; store a finite value or NaN")
    return {"job_id": job_id, "scope": scope, "scope_id": str(scope_id), "metric": metric,
            "value": None if math.isnan(value) else value}


def _from_db(value: float | None) -> float:
    return math.nan if value is None else value


def _metric_record(row: schema.Metric) -> MetricRow:
    return MetricRow(row.scope, row.scope_id, row.metric, _from_db(row.value))


def _write_error(url: str, error: DBAPIError) -> StoreError:
    return StoreError(f"cannot write to the results store {url}: {error.orig}; nothing of this write was stored: "
                      f"free disk space or make the database writable, then rerun")


def _job_record(row: schema.Job) -> JobRecord:
    fields = {name: getattr(row, name) for name in _JOB_FIELDS}
    fields["group_key"] = fields["group_key"] or ""
    return JobRecord(id=row.id, run_id=row.run_id, **fields)


def _run_record(row: schema.Run) -> RunRecord:
    return RunRecord(**{name: getattr(row, name) for name in RunRecord.__dataclass_fields__})
