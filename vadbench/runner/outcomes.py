"""What became of one job in a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from vadbench.runner.jobs import Job


@dataclass
class JobOutcome:
    job: Job
    status: str  # done | failed | reused | elsewhere (another running run claimed it)
    error: str = ""
    metrics: dict[str, float] = field(default_factory=dict)  # dataset-scope metrics
