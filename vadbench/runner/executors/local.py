"""The default executor: every job, one after another, in this process."""

from __future__ import annotations

from typing import Any, Callable

from vadbench.runner.job_runner import run_claimed_job
from vadbench.runner.outcomes import JobOutcome


class LocalExecutor:
    """Runs the plan's jobs in order in the calling process (jobs that share a fit or an inference run them once:
    the plan is sorted by stage keys and the stage caches hold what was computed)."""

    name = "local"

    def run(self, plan: Any, store: Any, run_info: dict[str, Any],
            on_job: Callable[[JobOutcome], None]) -> list[JobOutcome]:
        outcomes, failed_stages = [], {}
        for planned in plan.jobs:
            outcome = run_claimed_job(planned, plan, store, run_info, failed_stages)
            outcomes.append(outcome)
            on_job(outcome)
        return outcomes
