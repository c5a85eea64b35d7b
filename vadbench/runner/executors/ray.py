"""The ``ray`` executor: every fit, every inference and every job's scoring and evaluation is a Ray task.

Tasks that depend on each other are chained by their object references (fit -> infer -> job), so Ray runs every
independent chain in parallel as soon as its resources are free: a learned fit or inference asks for one GPU when
the run's device is CUDA (one CPU otherwise), the rest for one CPU each. A fit or inference shared by several jobs
is one task. A worker that dies mid-task (a kill, a lost node) is retried up to ``max_retries`` times; a task that
raises is not retried: its job is stored as failed, as under the local executor.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from vadbench.runner.executors import stored_outcomes
from vadbench.runner.executors.tasks import RunContext, StageTask, run_stage
from vadbench.runner.outcomes import JobOutcome


class RayExecutor:
    """Runs a plan on a Ray cluster: the one at ``address`` (``auto``: the cluster this machine belongs to), or a
    local one of ``workers`` CPUs (default: all of them) started for the run and stopped after it."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, max_retries: int = 2) -> None:
        self.address, self.workers, self.max_retries = address, workers, max_retries

    def run(self, plan: Any, store: Any, run_info: dict[str, Any],
            on_job: Callable[[JobOutcome], None]) -> list[JobOutcome]:
        import ray

        from vadbench.progress import console

        if not console.is_terminal:  # the workers' lines reach a log file: no colour codes in their prefixes
            os.environ.setdefault("RAY_COLOR_PREFIX", "0")
        os.environ.setdefault("RAY_DEDUP_LOGS", "0")  # every worker's progress line, as the local executor prints
        outcomes, todo = stored_outcomes(plan, on_job)
        if not todo:  # every job is stored: no cluster to start
            return [outcomes[index] for index in range(len(plan.jobs))]
        context = RunContext.of(plan, store, run_info)
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, num_cpus=None if self.address else self.workers,
                     include_dashboard=False, configure_logging=False,
                     runtime_env={"env_vars": context.environment()})
        resources = ray.cluster_resources()
        store.describe_executor(run_info["id"], address=self.address or "local", cpus=int(resources.get("CPU", 0)),
                                gpus=int(resources.get("GPU", 0)))
        try:
            return self._run(ray, plan, ray.put(context), on_job, outcomes, todo)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray: Any, plan: Any, context: Any, on_job: Callable[[JobOutcome], None],
             outcomes: dict[int, JobOutcome], todo: list[int]) -> list[JobOutcome]:
        task = ray.remote(run_stage)
        on_gpu = plan.device.startswith("cuda")
        shared: dict[tuple[str, str], Any] = {}
        pending: dict[Any, int] = {}
        for index in todo:
            planned = plan.jobs[index]
            job = planned.job
            learned = planned.parts.trains
            gpus = 1 if on_gpu and learned else 0
            upstream = []
            for stage in ("fit", "infer") if learned else ("infer",):
                key = (stage, job.keys[stage])
                if key not in shared:
                    shared[key] = task.options(num_cpus=1, num_gpus=gpus, max_retries=self.max_retries,
                                               name=f"{stage} {job.label}").remote(
                        context, StageTask(stage, job.keys["evaluate"], job.label), *upstream)
                upstream = [shared[key]]
            reference = task.options(num_cpus=1, max_retries=self.max_retries, name=f"job {job.label}").remote(
                context, StageTask("job", job.keys["evaluate"], job.label), *upstream)
            pending[reference] = index
        while pending:
            [ready], _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready)
            try:
                outcome = ray.get(ready)
            except Exception as exc:  # the worker died more than max_retries times: nothing of the job is stored
                outcome = JobOutcome(plan.jobs[index].job, "failed", f"ray: {type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else ''}")
            outcomes[index] = outcome
            on_job(outcome)
        return [outcomes[index] for index in range(len(plan.jobs))]
