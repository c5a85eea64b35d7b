"""``vadbench runs``: runs newest first with job counts, filters, --latest and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from vadbench.cli.app import build_app
from vadbench.store import JobRecord


def runs(*args):
    result = CliRunner().invoke(build_app(), ["runs", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_lists_filters_and_speaks_json(filled, tmp_path):
    store, first = filled
    second = store.start_run(command="vadbench run --model attention-ramvid", config={}, config_hash="h",
                             versions={}, git_commit=None, device="cpu", host="test")
    store.save_job(second, JobRecord(dataset="ubnormal", model="attention-ramvid", status="failed", error="boom",
                                     eval_key="x"))
    db = f"sqlite:///{tmp_path / 'results.db'}"
    listed = json.loads(runs("--db", db, "--format", "json"))
    assert [run["id"] for run in listed] == [second, first]
    assert (listed[0]["status"], listed[0]["jobs_done"], listed[0]["jobs_failed"]) == ("running", 0, 1)
    assert (listed[1]["status"], listed[1]["jobs_done"], listed[1]["models"]) == ("done", 8, ["interp",
                                                                                            "mamba-ramvid"])
    assert [run["id"] for run in json.loads(runs("--db", db, "-f", "json", "--model", "interp"))] == [first]
    assert [run["id"] for run in json.loads(runs("--db", db, "-f", "json", "--dataset", "ubnormal,x"))] == [second]
    assert [run["id"] for run in json.loads(runs("--db", db, "-f", "json", "--status", "done"))] == [first]
    assert [run["id"] for run in json.loads(runs("--db", db, "-f", "json", "--latest"))] == [second]
    table = runs("--db", db)
    assert first in table and second in table and "vadbench run --model attention-ramvid" in table
