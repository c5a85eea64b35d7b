"""Migrations build the schema the ORM models describe, with the published numbers in it."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select

import vadbench.store.db as db
from vadbench.store import JobRecord, open_store, schema
from vadbench.store.migrations import HEAD

REPORTED_METRICS = {"auc_micro", "auc_macro", "rbdc", "tbdc", "accuracy_oracle"}


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    return config


def test_head_constant_is_alembics_head():
    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == HEAD


def test_migrated_blank_database_matches_the_models(url):
    open_store(url).close()
    with create_engine(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), schema.Base.metadata) == []
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _ddl(url: str) -> dict[str, str]:
    with create_engine(url).connect() as connection:
        rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                          "AND name != 'alembic_version'")
        return {name: " ".join(sql.split()) for name, sql in rows}


def test_migrated_ddl_equals_the_models_create_all(tmp_path):
    """SQLite keeps each table's DDL (``sqlite_master``), so migrated and created tables compare as text there."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    open_store(url).close()
    fresh = f"sqlite:///{tmp_path / 'create_all.db'}"
    schema.Base.metadata.create_all(create_engine(fresh))
    assert _ddl(url) == _ddl(fresh)


def test_reported_numbers_are_what_they_really_are(store):
    rows = [row for row in store.metric_rows() if row.job.source == "reported"]
    assert {name for _, name, _ in rows} <= REPORTED_METRICS
    assert all(0 <= value <= 1 and job.citation and job.run_id is None for job, _, value in rows)
    thesis = {row.job.dataset: (row.metric, row.value) for row in rows if row.job.model.startswith("Mamba-RaMViD")}
    assert {dataset: name for dataset, (name, _) in thesis.items()} == dict.fromkeys(
        ("avenue", "stc", "ubnormal"), "accuracy_oracle")
    assert [round(thesis[name][1], 6) for name in ("avenue", "stc", "ubnormal")] == [0.85, 0.60, 0.54]
    ma_pdm = {row.job.dataset: row.value for row in rows if row.job.model == "MA-PDM (AAAI'25)"
              and row.metric == "auc_micro"}
    assert {key: round(value, 6) for key, value in ma_pdm.items()} == {"avenue": 0.913, "stc": 0.792,
                                                                         "ubnormal": 0.634}
    ssmtl = {(row.job.dataset, row.metric): row.value for row in rows if row.job.model == "SSMTL (CVPR'21)"}
    assert math.isclose(ssmtl["stc", "auc_macro"], 0.893) and math.isclose(ssmtl["avenue", "tbdc"], 0.583)


def test_downgrade_removes_reported_rows_and_upgrade_restores_them(url):
    open_store(url).close()
    engine = create_engine(url)
    config = _alembic_config()
    count = select(func.count()).select_from(schema.Job)
    with engine.begin() as connection:
        before = connection.execute(count).scalar()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        assert connection.execute(count).scalar() == 0
        command.upgrade(config, "head")
        assert connection.execute(count).scalar() == before > 0


def _at_0002_with_rows(url: str) -> None:
    """A database at revision 0002 with a run, two measured jobs (the newer one deleted) and their metrics."""
    config = _alembic_config()
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.exec_driver_sql(
            "INSERT INTO runs (id, created_at, command, config, config_hash, versions, device, host, seeds, status) "
            "VALUES ('r1', '2025-01-01 00:00:00', 'vadbench run', '{}', 'h', '{}', 'cpu', 'test', '[0]', 'done')")
        for key in ("e1", "e2"):
            connection.exec_driver_sql(
                "INSERT INTO jobs (run_id, source, dataset, model, seed, settings, eval_key, status, provenance) "
                f"VALUES ('r1', 'measured', 'avenue', 'interp', 0, '{{}}', '{key}', 'done', '{{}}')")
        top = connection.exec_driver_sql("SELECT max(id) FROM jobs").scalar()
        connection.exec_driver_sql(f"DELETE FROM jobs WHERE id = {top}")
        connection.exec_driver_sql(f"INSERT INTO metrics (job_id, scope, scope_id, metric, value) VALUES "
                                   f"({top - 1}, 'dataset', 'avenue', 'auc_micro', 0.8), "
                                   f"({top - 1}, 'video', '01', 'auc', NULL)")


def _contents(url: str) -> dict[str, list[tuple]]:
    with create_engine(url).connect() as connection:
        return {table: connection.exec_driver_sql(f"SELECT {columns} FROM {table} ORDER BY id").all()
                for table, columns in (("jobs", "id, run_id, source, model, eval_key, settings, provenance"),
                                       ("metrics", "id, job_id, scope, scope_id, metric, value"))}


def test_a_0002_database_with_rows_upgrades_keeping_them(url):
    _at_0002_with_rows(url)
    before = _contents(url)
    top = max(row[0] for row in before["jobs"]) + 1  # the deleted job's id
    with open_store(url) as store:  # migrates with foreign keys enforced, as every user's store does
        kept = {table: rows[:len(before[table])] for table, rows in _contents(url).items()}  # later ones add rows
        assert kept == before
        measured = store.jobs("r1")
        assert [(job.eval_key, job.sample_seed) for job in measured] == [("e1", None)]
        new = store.save_job("r1", JobRecord(dataset="avenue", model="interp", eval_key="e3", sample_seed=4),
                             [("kind", "running", "auc_micro", 0.7)])
        assert new > top  # the AUTOINCREMENT counter survived the rebuild: ids are never reused
        assert store.jobs("r1")[-1].sample_seed == 4
    with create_engine(url).connect() as connection:
        if connection.dialect.name == "sqlite":  # PostgreSQL enforces foreign keys always
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert compare_metadata(MigrationContext.configure(connection), schema.Base.metadata) == []


def test_downgrade_to_0002_keeps_rows_but_kind_metrics_and_upgrade_restores_the_schema(url):
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="test")
        job_id = store.save_job(run_id, JobRecord(dataset="avenue", model="interp", eval_key="e", sample_seed=1),
                                [("dataset", "avenue", "auc_micro", 0.8), ("kind", "running", "auc_micro", 0.7)])
    config = _alembic_config()
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        assert "sample_seed" not in {column["name"] for column in inspect(connection).get_columns("jobs")}
        assert connection.exec_driver_sql(f"SELECT scope FROM metrics WHERE job_id = {job_id}").all() == [
            ("dataset",)]
        command.upgrade(config, "head")
    with open_store(url) as store:
        assert [job.sample_seed for job in store.jobs(run_id)] == [None]
        assert store.job_metrics(job_id) == [("dataset", "avenue", "auc_micro", 0.8)]


def test_opening_a_migrated_store_does_not_import_alembic(url):
    open_store(url).close()
    code = (f"import sys; from vadbench.store import open_store; open_store({url!r}).close(); "
            "print('alembic' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
