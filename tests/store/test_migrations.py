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
from sqlalchemy import create_engine, func, select

import vadbench.store.db as db
from vadbench.store import open_store, schema
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
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _ddl(url: str) -> dict[str, str]:
    with create_engine(url).connect() as connection:
        rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                          "AND name != 'alembic_version'")
        return {name: " ".join(sql.split()) for name, sql in rows}


def test_migrated_ddl_equals_the_models_create_all(url, tmp_path):
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


def test_opening_a_migrated_store_does_not_import_alembic(url):
    open_store(url).close()
    code = (f"import sys; from vadbench.store import open_store; open_store({url!r}).close(); "
            "print('alembic' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
