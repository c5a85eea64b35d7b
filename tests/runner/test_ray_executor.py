"""The Ray executor on a local cluster of 2 worker processes: the same jobs, keys and stored metrics as the local
executor, stages as chained tasks, and a worker killed mid-stage retried without leaving a row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from executor_helpers import TINY_RAMVID, assert_same_metrics, interp_grid, stored_metrics
from vadbench.report.run_list import executor_label
from vadbench.runner.executors.ray import RayExecutor
from vadbench.runner.run import execute
from vadbench.store.db import open_store

pytest.importorskip("ray")


@pytest.fixture
def two_stores(tmp_path, monkeypatch):
    """A store and cache for the local executor and another for Ray: nothing computed by one is reused."""
    def store_in(name):
        (tmp_path / name).mkdir()
        monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / name / "home"))
        return open_store(f"sqlite:///{tmp_path / name / 'results.db'}")
    return store_in


def test_ray_runs_the_interp_grid_and_a_tiny_ramvid_fit_with_the_local_executors_metrics(two_stores):
    options = [(f"model.attention-ramvid.{key}", value) for key, value in TINY_RAMVID]
    local = two_stores("local")
    local_plan = interp_grid(local, models=("interp", "attention-ramvid"), options=options)
    _, local_outcomes = execute(local_plan, local)
    assert {o.status for o in local_outcomes} == {"done"}

    remote = two_stores("ray")
    ray_plan = interp_grid(remote, models=("interp", "attention-ramvid"), options=options)
    assert [p.job.keys for p in ray_plan.jobs] == [p.job.keys for p in local_plan.jobs]
    run_id, outcomes = execute(ray_plan, remote, executor=RayExecutor(workers=2))
    assert [o.status for o in outcomes] == ["done"] * len(ray_plan.jobs) == ["done"] * 12
    assert_same_metrics(stored_metrics(local), stored_metrics(remote))
    assert remote.get_run(run_id).executor == {"name": "ray", "address": "local", "cpus": 2, "gpus": 0}
    assert executor_label(remote.get_run(run_id).executor) == "ray (a local cluster, 2 CPUs, 0 GPUs)"
    provenance = [job.provenance for job in remote.jobs(run_id) if job.model == "attention-ramvid"]
    assert len({p["checkpoint"] for p in provenance}) == 3  # one fit per seed, shared by the seed's two scorers

    _, again = execute(interp_grid(remote, models=("interp", "attention-ramvid"), options=options), remote,
                       executor=RayExecutor(workers=2))
    assert {o.status for o in again} == {"reused"}  # resume is the executor-independent plan's


def test_ray_address_joins_a_running_cluster_and_leaves_it_running(two_stores, tmp_path):
    ray_cli = Path(sys.executable).with_name("ray")
    unauthenticated = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a throwaway cluster on this machine
    started = subprocess.run([str(ray_cli), "start", "--head", "--num-cpus=2", "--port=6391",
                              "--include-dashboard=false", "--disable-usage-stats"], capture_output=True, text=True,
                             timeout=120, env=unauthenticated)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        store = two_stores("joined")
        run_id, outcomes = execute(interp_grid(store, seeds=(0,)), store,
                                   executor=RayExecutor(address="127.0.0.1:6391"))
        assert [o.status for o in outcomes] == ["done", "done"]
        status = subprocess.run([str(ray_cli), "status", "--address=127.0.0.1:6391"], capture_output=True, text=True,
                                timeout=60, env=unauthenticated)
        assert status.returncode == 0, status.stdout + status.stderr  # the cluster outlives the run
    finally:
        subprocess.run([str(ray_cli), "stop", "--force"], capture_output=True, timeout=120)
