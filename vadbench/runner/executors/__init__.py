"""Executors: where the stages of a plan run. ``local`` (this process, the default), ``ray`` (a Ray task per
stage, on a local or an existing cluster) and ``slurm`` (a submitit array job per stage wave).

Every executor runs the same plan with the same content-addressed keys, resumes from the same shared stage cache
(``$VADBENCH_HOME``, which must be on a filesystem every worker sees) and stores each job from the process that
computed it; only the place a stage runs differs.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from vadbench.errors import ConfigError
from vadbench.runner.outcomes import JobOutcome

EXECUTORS = ("local", "ray", "slurm")
EXTRAS = {"ray": "ray", "slurm": "submitit"}  # the module each remote executor needs (``vadbench[scale]``)


class Executor(Protocol):
    name: str

    def run(self, plan: Any, store: Any, run_info: dict[str, Any],
            on_job: Callable[[JobOutcome], None]) -> list[JobOutcome]:
        """Run every job of ``plan`` (stored ones come back ``reused``) under the started run ``run_info``; call
        ``on_job`` as each finishes; return the outcomes in plan order."""


@dataclass
class ExecutorSettings:
    """The ``executor`` section of a config file (``--executor``, ``--ray-address`` and ``--workers`` override it).

    ``ray``: ``address`` of a running cluster (None starts a local one of ``workers`` CPUs, default all of them),
    ``max_retries`` per task when its worker dies. ``slurm``: see ``vadbench.runner.executors.slurm.SlurmSettings``.
    """

    name: str = "local"
    ray: dict[str, Any] = field(default_factory=dict)
    slurm: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> ExecutorSettings:
        section = dict(section or {})
        unknown = sorted(set(section) - {"name", "ray", "slurm"})
        if unknown:
            raise ConfigError(f"config executor: unknown key(s) {', '.join(unknown)}; valid: name, ray, slurm")
        return cls(**section)

    def with_option(self, key: str, value: Any) -> None:
        """Apply a ``--cfg-options executor.<name>.<setting>=value`` item."""
        parts = key.split(".")
        if len(parts) == 2 and parts[1] == "name":
            self.name = value
        elif len(parts) == 3 and parts[1] in ("ray", "slurm"):
            getattr(self, parts[1])[parts[2]] = value
        else:
            raise ConfigError(f"--cfg-options {key}: executor options are executor.name, executor.ray.<setting> or "
                              "executor.slurm.<setting>")


def stored_outcomes(plan: Any, on_job: Callable[[JobOutcome], None]) -> tuple[dict[int, JobOutcome], list[int]]:
    """The plan's stored jobs as ``reused`` outcomes by plan index (each told to ``on_job``), and the plan indices
    of the jobs to compute (``Plan.todo``'s, in plan order)."""
    reused, todo = {}, []
    for index, planned in enumerate(plan.jobs):
        if planned.done_in_store and not plan.request.overwrite:
            reused[index] = JobOutcome(planned.job, "reused")
            on_job(reused[index])
        else:
            todo.append(index)
    return reused, todo


def make_executor(settings: ExecutorSettings) -> Executor:
    """The executor ``settings.name`` names, with its settings checked before any job runs."""
    if settings.name not in EXECUTORS:
        raise ConfigError(f"--executor {settings.name!r} is unknown; choose one of {', '.join(EXECUTORS)}")
    module = EXTRAS.get(settings.name)
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(f"--executor {settings.name} needs the {module} package: pip install 'vadbench[scale]'")
    if settings.name == "ray":
        from vadbench.runner.executors.ray import RayExecutor

        return RayExecutor(**settings.ray)
    if settings.name == "slurm":
        from vadbench.runner.executors.slurm import SlurmExecutor, SlurmSettings

        return SlurmExecutor(SlurmSettings.of(settings.slurm))
    from vadbench.runner.executors.local import LocalExecutor

    return LocalExecutor()
