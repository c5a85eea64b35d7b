"""The ``slurm`` executor: the plan's stages as submitit array jobs, one array per stage wave.

Wave 1 trains every fit the plan needs, wave 2 runs every inference, wave 3 scores, localises, evaluates and stores
every job; each wave starts when the one before has ended, and each array element is one ``run_stage`` task (the
same function the Ray executor runs). The learned waves ask for ``gpus_per_node`` GPUs, the last wave for none.
submitit writes each element's sbatch script, stdout and stderr under ``$VADBENCH_HOME/runs/<run>/slurm/<wave>/``,
and the array job ids are stored with the run (``vadbench runs``, ``vadbench show``).

``cluster="local"`` runs the same waves through submitit's local executor (processes on this machine): the Slurm
path, end to end, without a Slurm cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from vadbench import paths
from vadbench.checks import is_int
from vadbench.errors import ConfigError
from vadbench.runner.executors import stored_outcomes
from vadbench.runner.executors.tasks import RunContext, StageResult, StageTask, run_stage_after
from vadbench.runner.outcomes import JobOutcome

CLUSTERS = ("slurm", "local")


@dataclass(frozen=True)
class SlurmSettings:
    """``executor.slurm.*``: where and with what each array element runs. ``setup`` lines run in the sbatch
    script before the task (``module load ...``, activating an environment)."""

    partition: str | None = None
    timeout_min: int = 240
    gpus_per_node: int = 1  # for the fit and infer waves of learned models; the job wave asks for none
    cpus_per_task: int = 4
    mem_gb: int = 32
    array_parallelism: int = 64
    account: str | None = None
    qos: str | None = None
    setup: list[str] = field(default_factory=list)
    cluster: str = "slurm"

    @classmethod
    def of(cls, section: dict[str, Any]) -> SlurmSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(f"executor.slurm: unknown setting(s) {', '.join(unknown)}; valid: "
                              f"{', '.join(sorted(known))}")
        settings = cls(**section)
        if settings.cluster not in CLUSTERS:
            raise ConfigError(f"executor.slurm.cluster={settings.cluster!r}: one of {', '.join(CLUSTERS)}")
        for name in ("timeout_min", "cpus_per_task", "mem_gb", "array_parallelism"):
            if not is_int(getattr(settings, name)) or getattr(settings, name) < 1:
                raise ConfigError(f"executor.slurm.{name}={getattr(settings, name)!r} must be an integer >= 1")
        if not is_int(settings.gpus_per_node) or settings.gpus_per_node < 0:
            raise ConfigError(f"executor.slurm.gpus_per_node={settings.gpus_per_node!r} must be an integer >= 0")
        return settings

    def parameters(self, gpus: int) -> dict[str, Any]:
        """submitit's ``AutoExecutor.update_parameters`` arguments for a wave that asks for ``gpus`` GPUs."""
        parameters: dict[str, Any] = {"timeout_min": self.timeout_min, "gpus_per_node": gpus,
                                      "cpus_per_task": self.cpus_per_task, "mem_gb": self.mem_gb,
                                      "slurm_array_parallelism": self.array_parallelism}
        optional = {"slurm_partition": self.partition, "slurm_account": self.account, "slurm_qos": self.qos,
                    "slurm_setup": list(self.setup) or None}
        parameters.update({key: value for key, value in optional.items() if value is not None})
        if self.cluster == "local":
            parameters = {key: value for key, value in parameters.items() if not key.startswith("slurm_")}
        return parameters


def log_folder(run_id: str) -> Path:
    """Where submitit writes a run's sbatch scripts and logs (``%j``: one set per array element)."""
    return paths.home().resolve() / "runs" / run_id / "slurm"


def make_submitit_executor(settings: SlurmSettings, run_id: str, wave: str, gpus: int) -> Any:
    """A submitit executor for one wave of run ``run_id``."""
    import submitit

    executor = submitit.AutoExecutor(folder=log_folder(run_id) / wave, cluster=settings.cluster)
    executor.update_parameters(name=f"vadbench-{run_id}-{wave}", **settings.parameters(gpus))
    return executor


class SlurmExecutor:
    """Runs a plan as three array jobs (fit, infer, evaluate) through submitit."""

    name = "slurm"

    def __init__(self, settings: SlurmSettings) -> None:
        self.settings = settings

    def run(self, plan: Any, store: Any, run_info: dict[str, Any],
            on_job: Callable[[JobOutcome], None]) -> list[JobOutcome]:
        context = RunContext.of(plan, store, run_info)
        run_id = run_info["id"]
        outcomes, todo = stored_outcomes(plan, on_job)
        learned = [index for index in todo if plan.jobs[index].parts.trains]
        gpus = self.settings.gpus_per_node if plan.device.startswith("cuda") else 0
        fits = self._wave(store, context, run_id, plan, "fit", _first_per_key(plan, learned, "fit"), {}, gpus)
        infers = self._wave(store, context, run_id, plan, "infer", _first_per_key(plan, todo, "infer"),
                            {index: fits[plan.jobs[index].job.keys["fit"]] for index in todo
                             if plan.jobs[index].job.keys["fit"] in fits}, gpus)
        upstream = {index: infers[plan.jobs[index].job.keys["infer"]] for index in todo}
        for index, outcome in self._jobs(store, context, run_id, plan, todo, upstream).items():
            outcomes[index] = outcome
            on_job(outcome)
        return [outcomes[index] for index in range(len(plan.jobs))]

    def _wave(self, store: Any, context: RunContext, run_id: str, plan: Any, stage: str, firsts: dict[str, int],
              upstream: dict[int, StageResult], gpus: int) -> dict[str, StageResult]:
        """Run ``stage`` once per key of ``firsts`` (the first job that needs it stands for it); returns each key's
        result."""
        if not firsts:
            return {}
        jobs = [plan.jobs[index].job for index in firsts.values()]
        tasks = [StageTask(stage, job.keys["evaluate"], job.label) for job in jobs]
        results = self._submit(store, run_id, stage, gpus, context, tasks,
                               [(upstream[index],) if index in upstream else () for index in firsts.values()])
        return {key: result if isinstance(result, StageResult) else StageResult(stage, key, result)
                for key, result in zip(firsts, results)}

    def _jobs(self, store: Any, context: RunContext, run_id: str, plan: Any, todo: list[int],
              upstream: dict[int, StageResult]) -> dict[int, JobOutcome]:
        tasks = [StageTask("job", plan.jobs[index].job.keys["evaluate"], plan.jobs[index].job.label) for index in todo]
        results = self._submit(store, run_id, "evaluate", 0, context, tasks, [(upstream[index],) for index in todo])
        return {index: result if isinstance(result, JobOutcome) else JobOutcome(plan.jobs[index].job, "failed", result)
                for index, result in zip(todo, results)}

    def _submit(self, store: Any, run_id: str, wave: str, gpus: int, context: RunContext, tasks: list[StageTask],
                upstream: list[tuple]) -> list[Any]:
        """Submit one array job and wait for it; an element that died (killed, timed out, node lost) gives a
        string that says so in place of its result."""
        executor = make_submitit_executor(self.settings, run_id, wave, gpus)
        submitted = executor.map_array(run_stage_after, [context] * len(tasks), tasks, upstream)
        store.add_executor_jobs(run_id, self.settings.cluster, wave, [job.job_id for job in submitted])
        results = []
        for job in submitted:
            try:
                results.append(job.result())
            except Exception as exc:
                reason = str(exc).strip().splitlines()
                results.append(f"{self.settings.cluster} job {job.job_id}: {type(exc).__name__}"
                               f"{': ' + reason[0] if reason else ''} (logs: {job.paths.folder})")
        return results


def _first_per_key(plan: Any, indices: list[int], stage: str) -> dict[str, int]:
    """Per distinct ``stage`` key among the jobs ``indices``, the first job that needs it."""
    firsts: dict[str, int] = {}
    for index in indices:
        firsts.setdefault(plan.jobs[index].job.keys[stage], index)
    return firsts


def sbatch_script(settings: SlurmSettings, run_id: str, wave: str, gpus: int) -> str:
    """The sbatch script submitit would submit for a wave of run ``run_id`` (its command left as ``COMMAND``):
    built by the same executor ``run`` submits with, so it shows what Slurm gets (``sbatch`` and ``srun`` need not
    run, but submitit wants ``srun`` on the PATH)."""
    from dataclasses import replace

    executor = make_submitit_executor(replace(settings, cluster="slurm"), run_id, wave, gpus)
    return executor._executor._make_submission_file_text("COMMAND", "uid")
