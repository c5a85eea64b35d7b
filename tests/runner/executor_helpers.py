"""Shared by the executor tests: a small synthetic plan, and each stored job's metrics by evaluation key."""

from __future__ import annotations

import math

from vadbench.runner.run import RunRequest, plan

SMALL = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
         ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 2),
         ("dataset.synthetic.frames", 60)]
TINY_RAMVID = [("preset", "tiny"), ("parameterisation", "x0"), ("anchor_channel", True), ("train_steps", 6),
               ("checkpoint_every", 3), ("sampling_steps", 2), ("noise", "common")]


def interp_grid(store, *, scorers=("mse", "l1"), seeds=(0, 1, 2), models=("interp",), options=()):
    """The synthetic interp grid: every scorer x seed, on a small synthetic dataset."""
    return plan(RunRequest(models=list(models), datasets=["synthetic"], scorers=list(scorers), seeds=list(seeds),
                           cfg_options=[*SMALL, *options], device="cpu"), store)


def stored_metrics(store) -> dict[str, dict[tuple[str, str, str], float]]:
    """Per stored done job (by evaluation key), its metric rows (scope, scope id, metric) -> value."""
    found = {}
    for run in store.runs(limit=None):
        for job in store.jobs(run.id):
            if job.status == "done":
                found[job.eval_key] = {(m.scope, m.scope_id, m.metric): m.value for m in store.job_metrics(job.id)}
    return found


def assert_same_metrics(first: dict, second: dict) -> None:
    assert first.keys() == second.keys() and first
    for key, rows in first.items():
        assert rows.keys() == second[key].keys()
        for name, value in rows.items():
            other = second[key][name]
            same = (math.isnan(value) and math.isnan(other)) if math.isnan(value) else abs(value - other) <= 1e-9
            assert same, (key, name, value, other)
