"""Faults under the remote executors: a worker killed mid-stage is retried (Ray) or reported (Slurm) and leaves
no row; a head killed mid-run leaves a consistent store, and a rerun completes the grid."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from executor_helpers import SMALL, assert_same_metrics, interp_grid, stored_metrics
from vadbench import plugin_host
from vadbench.runner.executors.ray import RayExecutor
from vadbench.runner.executors.slurm import SlurmExecutor, SlurmSettings
from vadbench.runner.run import execute
from vadbench.store.db import open_store

HERE = Path(__file__).parent


@pytest.fixture
def crash_plugin(tmp_path, monkeypatch):
    """The ``crash-once`` model registered (registry file + PYTHONPATH, which worker processes inherit) and its
    marker path."""
    (tmp_path / "registry.yaml").write_text("plugins:\n  - fault_plugin\n")
    monkeypatch.setenv("VADBENCH_REGISTRY", str(tmp_path / "registry.yaml"))
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    plugin_host.reset()
    yield tmp_path / "killed.marker"
    plugin_host.reset()


def _store(tmp_path, monkeypatch, name):
    (tmp_path / name).mkdir()
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / name / "home"))
    return open_store(f"sqlite:///{tmp_path / name / 'results.db'}")


def _crash_grid(store, marker):
    return interp_grid(store, models=("crash-once",), seeds=(0,), options=[("model.crash-once.marker", str(marker))])


def _rows_per_job(store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in store.runs(limit=None):
        for job in store.jobs(run.id):
            counts[job.eval_key] = counts.get(job.eval_key, 0) + 1
    return counts


def test_a_ray_worker_killed_mid_inference_is_retried_and_its_jobs_are_stored_once(crash_plugin, tmp_path,
                                                                                     monkeypatch):
    remote = _store(tmp_path, monkeypatch, "ray")
    run_id, outcomes = execute(_crash_grid(remote, crash_plugin), remote, executor=RayExecutor(workers=2))
    assert crash_plugin.exists(), "the worker was killed once"
    assert [o.status for o in outcomes] == ["done", "done"]
    assert set(_rows_per_job(remote).values()) == {1}

    local = _store(tmp_path, monkeypatch, "local")  # the marker exists now: nothing dies
    execute(_crash_grid(local, crash_plugin), local)
    assert_same_metrics(stored_metrics(local), stored_metrics(remote))


def test_a_slurm_element_killed_mid_inference_is_reported_and_a_rerun_completes(crash_plugin, tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch, "slurm")
    executor = SlurmExecutor(SlurmSettings(cluster="local"))
    run_id, outcomes = execute(_crash_grid(store, crash_plugin), store, executor=executor)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("infer stage failed" in o.error and "local job" in o.error for o in outcomes), outcomes
    assert all(store.done_job(o.job.keys["evaluate"]) is None for o in outcomes)

    rerun_id, again = execute(_crash_grid(store, crash_plugin), store, executor=executor)
    assert [o.status for o in again] == ["done", "done"]
    infer_wave = store.get_run(rerun_id).executor["jobs"]["infer"]
    assert len(infer_wave) == 1 and list((tmp_path / "slurm" / "home" / "runs" / rerun_id / "slurm" / "infer").glob(
        f"{infer_wave[0]}_*_log.out"))


def test_a_dead_head_node_leaves_a_consistent_store_and_a_rerun_completes_the_grid(tmp_path, vadbench_process):
    """The head and its local Ray cluster (the driver's process group: GCS, raylet, workers) killed at once, as
    when the head node goes down."""
    options = [f"{key}={value}".replace(" ", "") for key, value in SMALL]
    command = ["run", "--model", "interp", "--scorer", "mse,l1,psnr", "--seed", "0,1", "--executor", "ray",
               "--workers", "2", "--db", f"sqlite:///{tmp_path / 'results.db'}", "--cfg-options", *options]
    env = {**os.environ, "COLUMNS": "200", "VADBENCH_HOME": str(tmp_path / "home")}
    head = subprocess.Popen([sys.executable, "-c", "from vadbench.cli import main; main()", *command], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and _done_jobs(tmp_path) < 1 and head.poll() is None:
        time.sleep(0.2)
    assert head.poll() is None and _done_jobs(tmp_path) >= 1
    os.killpg(head.pid, signal.SIGKILL)
    head.wait()
    with sqlite3.connect(tmp_path / "results.db") as connection:
        jobs = connection.execute("select id, status from jobs where source = 'measured'").fetchall()
        with_metrics = {row[0] for row in connection.execute("select distinct job_id from metrics")}
        (run_status,) = connection.execute("select status from runs").fetchone()
    assert 1 <= len(jobs) < 6, "the kill came before the grid was done"
    assert {status for _, status in jobs} == {"done"} and {job for job, _ in jobs} <= with_metrics
    assert run_status == "running"  # until a later run finds its process gone

    rerun = vadbench_process(*command, cwd=tmp_path, env_extra={"VADBENCH_HOME": str(tmp_path / "home")})
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        stored = connection.execute("select eval_key, count(*) from jobs where source = 'measured' "
                                    "group by eval_key").fetchall()
        statuses = [row[0] for row in connection.execute("select status from runs order by created_at")]
    assert len(stored) == 6 and {count for _, count in stored} == {1}
    assert statuses == ["interrupted", "done"]


def _done_jobs(folder: Path) -> int:
    if not (folder / "results.db").is_file():
        return 0
    try:
        with sqlite3.connect(folder / "results.db", timeout=1) as connection:
            return connection.execute("select count(*) from jobs where status = 'done' and source = 'measured'"
                                      ).fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet
        return 0
