"""Plain records that go in and out of the store, so callers never hold ORM objects or sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from vadbench.hashing import digest


@dataclass(kw_only=True)
class JobRecord:
    """One job: what was evaluated (components, seed, resolved settings), its stage keys, outcome and provenance.

    ``settings`` holds the resolved settings per component and of the protocol, never the seed or the sample seed
    (the seed of a stochastic model's sampling noise, None for deterministic models; each has its own field), so
    jobs that differ only by them share ``group_key``; an empty ``group_key`` is filled on save.
    ``id`` and ``run_id`` are set by the store.
    """

    dataset: str
    model: str
    masker: str | None = None
    scorer: str | None = None
    seed: int | None = None
    sample_seed: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    source: str = "measured"
    citation: str | None = None
    group_key: str = ""
    eval_key: str | None = None
    fit_key: str | None = None
    infer_key: str | None = None
    score_key: str | None = None
    localise_key: str | None = None
    status: str = "done"
    error: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    wall_time: float | None = None
    peak_memory: int | None = None
    note: str | None = None
    id: int | None = None
    run_id: str | None = None

    def computed_group_key(self) -> str:
        """The hash of everything that defines the job except its seed and sample seed."""
        return digest({"dataset": self.dataset, "model": self.model, "masker": self.masker,
                       "scorer": self.scorer, "settings": self.settings})


@dataclass(kw_only=True)
class RunRecord:
    """One CLI invocation: its command, resolved config, environment and outcome."""

    id: str
    created_at: datetime
    command: str
    config: dict[str, Any]
    config_hash: str
    versions: dict[str, Any]
    git_commit: str | None
    device: str
    host: str
    seeds: list[int]
    status: str
    wall_time: float | None = None
    peak_memory: int | None = None
    error: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = None
    home: str | None = None  # the cache folder ($VADBENCH_HOME, absolute) the run used
    executor: dict[str, Any] | None = None  # where its stages ran: name, and the scheduler's job ids per wave


@dataclass
class RunSummary:
    """A run with its stored jobs counted by status, and the models and datasets they cover."""

    run: RunRecord
    jobs: dict[str, int] = field(default_factory=dict)  # status -> count
    models: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)


class JobMetric(NamedTuple):
    """A metric row joined with its job, as the leaderboard reads them."""

    job: JobRecord
    metric: str
    value: float


class ScopeMetric(NamedTuple):
    """A metric row of one scope id (a scene, a video, an anomaly kind) joined with its job."""

    job: JobRecord
    scope_id: str
    metric: str
    value: float
