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


def test_show_takes_a_scope_and_speaks_json(filled, tmp_path):
    store, run_id = filled
    job_id = store.jobs(run_id)[0].id
    store.add_provenance(job_id, checkpoint="/x/ckpt-00000500.pt", step=500, sampler="ddim", sampling_steps=5,
                         samples=1, noise="common", nfe_per_window=5, mixer_path=["sdpa"],
                         training={"steps": 500, "final_loss": 0.0123, "steps_per_s": 3.5})
    store.save_job(run_id, JobRecord(dataset="avenue", model="interp", scorer="l1", eval_key="scoped"),
                   [("scene", "01", "auc_micro", 0.61), ("video", "01_0001", "auc_micro", 0.62)])
    db = f"sqlite:///{tmp_path / 'results.db'}"

    def show(*args):
        result = CliRunner().invoke(build_app(), ["show", run_id, "--db", db, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    default = show()
    assert "ckpt-00000500.pt" in default and "500 steps, final loss 0.0123, 3.5 steps/s" in default
    assert "noise=common" in default
    video = show("--scope", "video")
    assert "video-level metrics" in video and "01_0001" in video and "62.0" in video
    data = json.loads(show("--scope", "scene", "--format", "json"))
    assert data["scope"] == "scene" and data["run"]["id"] == run_id
    scoped = [job for job in data["jobs"] if job["eval_key"] == "scoped"][0]
    assert scoped["metrics"] == [{"scope_id": "01", "metric": "auc_micro", "value": 0.61}]
