"""Revision 0008 adds Conv-AE's published numbers as reported rows; its downgrade removes exactly those rows."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

import vadbench.store.db as db
from vadbench.store import JobRecord, open_store

MODEL = "Conv-AE (CVPR'16)"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    return config


def _rows(url: str) -> list[tuple]:
    """Every job with its metrics, as (id, source, model, dataset, metric, value), in id order."""
    with create_engine(url).connect() as connection:
        return connection.exec_driver_sql(
            "SELECT jobs.id, source, model, dataset, metric, value FROM jobs LEFT JOIN metrics "
            "ON metrics.job_id = jobs.id ORDER BY jobs.id, metrics.id").all()


def test_conv_ae_rows_are_frame_level_aucs_with_their_sources(store):
    rows = [row for row in store.metric_rows() if row.job.model == MODEL]
    assert sorted((job.dataset, name, round(value, 6)) for job, name, value in rows) == [
        ("avenue", "auc_micro", 0.702), ("stc", "auc_micro", 0.6085)]
    by_dataset = {job.dataset: job for job, _, _ in rows}
    assert all(job.source == "reported" and job.run_id is None and "Hasan et al." in job.citation
               for job in by_dataset.values())
    assert "Table 3" in by_dataset["avenue"].citation and by_dataset["avenue"].provenance["evidence"] == "unverified"
    assert "as quoted by Liu et al." in by_dataset["stc"].citation and "Table 2" in by_dataset["stc"].citation
    assert by_dataset["stc"].provenance == {"evidence": "secondary", "unit_as_printed": "%"}
    assert "not confirmed" in by_dataset["avenue"].note and "not evaluated by Hasan" in by_dataset["stc"].note


def test_downgrade_to_0007_removes_exactly_the_conv_ae_rows_and_upgrade_restores_them(url):
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="test")
        store.save_job(run_id, JobRecord(dataset="avenue", model="conv-ae", masker="selective", scorer="mse",
                                         seed=0, eval_key="e"), [("dataset", "avenue", "auc_micro", 0.66)])
    before = _rows(url)
    ours = [row for row in before if row[2] == MODEL]
    assert [(row[3], row[4]) for row in ours] == [("avenue", "auc_micro"), ("stc", "auc_micro")]
    config = _alembic_config()
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    assert _rows(url) == [row for row in before if row[2] != MODEL]  # the measured conv-ae job stays
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    after = _rows(url)
    assert [row[1:] for row in after if row[2] == MODEL] == [row[1:] for row in ours]
    assert [row for row in after if row[2] != MODEL] == [row for row in before if row[2] != MODEL]
