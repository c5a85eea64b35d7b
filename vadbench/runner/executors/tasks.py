"""What a remote worker runs (a Ray task, a Slurm array element): one stage of one job of a run.

A task carries the run's ``RunRequest``, not its components: the worker rebuilds the plan from the request once
per process (``_plan_of``), finds the job by its evaluation key and checks that the rebuilt keys are the head's,
so a worker with other code or other data refuses to compute instead of storing a different result. Fit and infer
tasks fill the shared stage cache; a job task then runs the job exactly as the local executor does (its fit and
inference are cache hits), stores its record from the worker, and returns the outcome.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vadbench.errors import VadbenchError
from vadbench.hashing import digest
from vadbench.runner.outcomes import JobOutcome

STAGES = ("fit", "infer", "job")


@dataclass(frozen=True)
class RunContext:
    """Everything a worker needs to take part in a run: the request, the store, the shared cache folder, the
    plugin registry file in use and the run's description."""

    request: Any  # vadbench.runner.run.RunRequest
    store_url: str
    home: str
    registry: str | None
    run_info: dict[str, Any]
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # evaluation key -> the head's stage keys
    torch_threads: int = 1  # the head's: float reductions split by thread count, so workers use the same

    @classmethod
    def of(cls, plan: Any, store: Any, run_info: dict[str, Any]) -> RunContext:
        import torch

        from vadbench import paths
        from vadbench.registry_file import registry_file

        registry = registry_file()
        return cls(plan.request, absolute_url(store.url), str(paths.home().resolve()),
                   str(registry.resolve()) if registry else None, dict(run_info),
                   {p.job.keys["evaluate"]: dict(p.job.keys) for p in plan.jobs}, torch.get_num_threads())

    def environment(self) -> dict[str, str]:
        """The environment variables that point a worker process at this run's cache and registry."""
        variables = {"VADBENCH_HOME": self.home}
        if self.registry:
            variables["VADBENCH_REGISTRY"] = self.registry
        return variables


@dataclass(frozen=True)
class StageTask:
    """One stage of the job whose evaluation key is ``eval_key`` (a fit or infer task stands for every job that
    shares its key)."""

    stage: str  # fit | infer | job
    eval_key: str
    label: str


@dataclass(frozen=True)
class StageResult:
    """What a fit or infer task reports: the stage key and its error ("" when it succeeded)."""

    stage: str
    key: str
    error: str = ""


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite path made absolute, so workers in other folders open the same file."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).expanduser().resolve()))
    return parsed.render_as_string(hide_password=False)


def run_stage(context: RunContext, task: StageTask, *upstream: StageResult) -> StageResult | JobOutcome:
    """Run ``task`` in this process; ``upstream`` are the results of the tasks it depends on (a failed fit makes
    its jobs fail fast, as in the local executor)."""
    from vadbench.runner.job_runner import claimed_fit, claimed_infer, job_description, run_claimed_job, tracker_feed
    from vadbench.runner.stage_claims import StageClaims

    if task.stage not in STAGES:
        raise ValueError(f"unknown stage task {task.stage!r}; one of {', '.join(STAGES)}")
    plan, store = _plan_of(context)
    planned = _planned(plan, context, task.eval_key)
    job, parts, run_id = planned.job, planned.parts, context.run_info["id"]
    if task.stage == "job":
        failed = {result.key: result.error for result in upstream if result.error}
        return run_claimed_job(planned, plan, store, context.run_info, failed)
    key = job.keys[task.stage]
    failed_upstream = [result for result in upstream if result.error]
    if failed_upstream:  # the fit failed: its inference is not tried, and the fit's error is what the jobs store
        return failed_upstream[0]
    claims = StageClaims(store, run_id)
    log = tracker_feed(context.run_info, job_description(job), set())
    try:
        checkpoint = claimed_fit(job, parts, plan.device, log, claims)  # in an infer task: the fit task's, cached
        if task.stage == "infer":
            claimed_infer(job, parts, checkpoint, plan.device, claims)
    except Exception as exc:
        traceback.print_exc(limit=8)
        return StageResult(task.stage, key, f"{type(exc).__name__}: {exc}")
    return StageResult(task.stage, key)


def run_stage_after(context: RunContext, task: StageTask,
                    upstream: tuple[StageResult, ...]) -> StageResult | JobOutcome:
    """``run_stage`` with its upstream results as one argument (submitit's ``map_array`` maps fixed arguments)."""
    return run_stage(context, task, *upstream)


_cached: dict[str, tuple[Any, Any]] = {}  # one plan and store per process: the last run's


def _plan_of(context: RunContext) -> tuple[Any, Any]:
    """The run's plan, rebuilt from its request in this process (once), and its store; torch computes with the
    head's number of threads, so a stage gives the numbers it gives in the head's process on the same hardware."""
    import torch

    from vadbench import plugin_host
    from vadbench.runner.run import plan
    from vadbench.store.db import open_store

    identity = digest({"request": repr(context.request), "store": context.store_url, "home": context.home,
                       "registry": context.registry})
    if identity not in _cached:
        for previous in _cached.values():
            previous[1].close()
        _cached.clear()
        os.environ.update(context.environment())
        torch.set_num_threads(context.torch_threads)
        plugin_host.reset()
        store = open_store(context.store_url)
        _cached[identity] = (plan(context.request, store), store)
    return _cached[identity]


def _planned(plan: Any, context: RunContext, eval_key: str) -> Any:
    """The rebuilt plan's job with ``eval_key``, whose stage keys must equal the head's."""
    for planned in plan.jobs:
        if planned.job.keys["evaluate"] == eval_key:
            if context.keys and planned.job.keys != context.keys.get(eval_key):
                break
            return planned
    raise VadbenchError(f"worker on {os.uname().nodename}: job {eval_key[:12]} of run {context.run_info['id']} is "
                        "not in the plan this worker rebuilt from the run's request, or its stage keys differ: the "
                        "worker has other code, plugins or data than the head; install the same versions and "
                        "point it at the same dataset roots and VADBENCH_HOME")
