"""``vadbench run``: plan the job cross-product, run the stages that are not cached, store every job's result."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from vadbench import paths, plugin_host
from vadbench.components import is_learned, is_stochastic
from vadbench.errors import ConfigError
from vadbench.hashing import digest, file_digest
from vadbench.runner import stages
from vadbench.runner.jobs import Job, expand
from vadbench.runner.outcomes import JobOutcome
from vadbench.runner.limited import LimitedDataset
from vadbench.runner.provenance import environment, peak_memory
from vadbench.runner.shapes import shape_of
from vadbench.settings import Selected, resolve

if TYPE_CHECKING:
    from vadbench.runner.executors import Executor


@dataclass
class RunRequest:
    """What the user asked for; list-valued fields expand into the job cross-product."""

    models: list[str]
    datasets: list[str]
    maskers: list[str] = field(default_factory=lambda: ["selective"])
    scorers: list[str] = field(default_factory=lambda: ["mse"])
    seeds: list[int] = field(default_factory=lambda: [0])
    sample_seeds: list[int] = field(default_factory=lambda: [0])
    sigmas: list[float] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    cfg_options: list[tuple[str, Any]] = field(default_factory=list)
    checkpoint: Path | None = None
    limit: int | None = None  # videos per split (``--limit``), for quick checks
    log: list[str] = field(default_factory=list)  # experiment trackers to feed (``--log``), by name
    device: str = "auto"
    overwrite: bool = False
    command: str = ""


@dataclass
class PlannedJob:
    job: Job
    parts: stages.Components
    done_in_store: bool = False


@dataclass
class Plan:
    request: RunRequest
    device: str
    jobs: list[PlannedJob]
    resolved_config: dict[str, Any]

    @property
    def todo(self) -> list[PlannedJob]:
        return [planned for planned in self.jobs if not planned.done_in_store or self.request.overwrite]


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: CUDA is not available on this machine; use --device cpu")
    return device


def plan(request: RunRequest, store: Any) -> Plan:
    """Resolve settings, build components, expand jobs and compute their stage keys; nothing is run."""
    from vadbench.evaluation.protocol import Protocol

    selection = {"dataset": request.datasets, "model": request.models, "masker": request.maskers,
                 "scorer": request.scorers}
    resolved = resolve(selection, request.config, request.cfg_options, protocol_defaults=Protocol().as_dict())
    protocol_settings = resolved[("protocol", "protocol")].settings
    protocol = Protocol.from_dict(protocol_settings)  # validated here, before any component is built
    protocol_settings.update(protocol.as_dict())  # canonical numbers in the stored config
    device = resolve_device(request.device)
    if "tensorboard" in request.log and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("--log tensorboard needs the tensorboard package: pip install 'vadbench[tensorboard]' "
                          "(or tensorboard)")
    checkpoint_digest = None
    if request.checkpoint is not None:
        if not request.checkpoint.is_file():
            raise ConfigError(f"--checkpoint {request.checkpoint}: no such file")
        checkpoint_digest = file_digest(request.checkpoint)

    build = _ComponentCache()
    models = {name: build.model(resolved[("model", name)], seed=None)[0] for name in request.models}
    shapes = {name: shape_of(model) for name, model in models.items()}
    if request.checkpoint is not None:
        unlearned = [name for name, model in models.items() if not is_learned(model)]
        if unlearned:
            raise ConfigError(f"--checkpoint {request.checkpoint}: model {', '.join(unlearned)} learns nothing and "
                              f"loads no checkpoint; pass --checkpoint only with learned models")
    jobs = expand(resolved, selection, protocol, request.seeds, request.sigmas,
                  {name: (shape.uses_masker, is_stochastic(models[name])) for name, shape in shapes.items()},
                  request.sample_seeds)
    planned = []
    for job in jobs:
        dataset = build.component("dataset", job.dataset)
        if request.limit is not None:
            dataset = LimitedDataset(dataset, request.limit)
        if job.masker is not None:
            _check_window(dataset, job.dataset.name, job.protocol.window)
        model, weights = build.model(job.model, seed=job.seed)
        parts = stages.Components(
            dataset=dataset, model=model, shape=shapes[job.model.name], weights=weights,
            masker=build.component("masker", job.masker) if job.masker else None,
            scorer=build.component("scorer", job.scorer) if job.scorer else None,
            dataset_fingerprint=build.fingerprint(job.dataset, dataset),
            ground_truth=build.ground_truth(job.dataset, dataset),
            checkpoint=request.checkpoint, checkpoint_digest=checkpoint_digest,
            code={selected.kind: plugin_host.code_identity(selected.kind, selected.name)
                  for selected in (job.dataset, job.model, job.masker, job.scorer) if selected is not None})
        stages.assign_keys(job, parts)
        planned.append(PlannedJob(job, parts, store.done_job(job.keys["evaluate"]) is not None))
    planned.sort(key=lambda p: (p.job.keys["fit"], p.job.keys["infer"], p.job.keys["score"]))
    resolved_config = {f"{kind}.{name}" if kind != "protocol" else kind: selected.settings
                       for (kind, name), selected in resolved.items()}
    return Plan(request, device, planned, resolved_config)


def _check_window(dataset: Any, name: str, window: int) -> None:
    """Every test video must hold at least one window, else its frames could never be scored."""
    short = [video for video in dataset.videos("test") if video.num_frames < window]
    if short:
        listed = ", ".join(f"{video.id} ({video.num_frames} frames)" for video in short[:5])
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        raise ConfigError(f"protocol.window={window} is longer than {len(short)} test videos of dataset '{name}': "
                          f"{listed}{more}; choose protocol.window <= {min(v.num_frames for v in short)}")


class _ComponentCache:
    """Builds each component once per run; a model once per (settings, seed) since each seed has its weights."""

    def __init__(self) -> None:
        self._built: dict[tuple, Any] = {}
        self._fingerprints: dict[tuple, str] = {}
        self._ground_truth: dict[tuple, frozenset[str]] = {}

    def component(self, kind: str, selected: Selected) -> Any:
        key = (kind, selected.name, digest(selected.settings))
        if key not in self._built:
            self._built[key] = plugin_host.catalog(kind).get(selected.name).build(**selected.settings)
        return self._built[key]

    def model(self, selected: Selected, seed: int | None) -> tuple[Any, stages.LoadedWeights]:
        """The model of ``selected`` for ``seed`` and the record of the weights it holds, shared by its jobs."""
        key = ("model", selected.name, digest(selected.settings), seed)
        if key not in self._built:
            self._built[key] = (plugin_host.catalog("model").get(selected.name).build(**selected.settings),
                                stages.LoadedWeights())
        return self._built[key]

    def fingerprint(self, selected: Selected, dataset: Any) -> str:
        key = (selected.name, digest(selected.settings))
        if key not in self._fingerprints:
            self._fingerprints[key] = dataset.fingerprint()
        return self._fingerprints[key]

    def ground_truth(self, selected: Selected, dataset: Any) -> frozenset[str]:
        """What the dataset's test set annotates beyond frame labels ("masks", "tracks"), judged by its first
        test video."""
        key = (selected.name, digest(selected.settings))
        if key not in self._ground_truth:
            first = next(iter(dataset.videos("test")), None)
            found = {name for name in ("masks", "tracks")
                     if first is not None and getattr(dataset, name)(first) is not None}
            self._ground_truth[key] = frozenset(found)
        return self._ground_truth[key]


def execute(plan: Plan, store: Any, on_job: Callable[[JobOutcome], None] = lambda outcome: None,
            executor: Executor | None = None) -> tuple[str, list[JobOutcome]]:
    """Run every job that is not already stored; returns the run id and each job's outcome (in plan order).

    ``executor`` decides where the stages run (``vadbench.runner.executors``; in this process by default); the plan,
    its keys and the store are the same for every executor. Under ``torchrun`` every rank takes part in the fit
    stages (data-parallel training); rank 0 alone infers, scores, evaluates and writes the store, and the other
    ranks return ``("", [])``.
    """
    from vadbench.runner.executors.local import LocalExecutor

    if distributed_rank() != 0:
        for planned in plan.todo:
            try:
                stages.fit(planned.job, planned.parts, plan.device)
            except Exception:  # rank 0 meets the same failure and records it
                pass
        return "", []
    executor = executor or LocalExecutor()
    env = environment(plan.device)
    run_id = store.start_run(command=plan.request.command, config=plan.resolved_config,
                             config_hash=digest(plan.resolved_config), versions=env["versions"],
                             git_commit=env["git_commit"], device=env["device"], host=env["host"],
                             seeds=plan.request.seeds, home=str(paths.home().resolve()), executor=executor.name)
    started, outcomes = time.perf_counter(), []
    status, error = "failed", None
    beating = _heartbeat(store, run_id)
    run_info = {"id": run_id, "command": plan.request.command, "home": str(paths.home().resolve()),
                "log": list(plan.request.log)}
    try:
        outcomes = executor.run(plan, store, run_info, on_job)
        status = "failed" if any(o.status == "failed" for o in outcomes) else "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        beating.set()
        store.finish_run(run_id, status=status, wall_time=time.perf_counter() - started,
                         peak_memory=peak_memory(plan.device), error=error)
    return run_id, outcomes


def _heartbeat(store: Any, run_id: str) -> threading.Event:
    """Beat the run's heartbeat every ``HEARTBEAT`` seconds in a daemon thread until the returned event is set, so
    a later run can tell this one from a run whose process was killed."""
    from vadbench.store.db import HEARTBEAT

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                store.heartbeat(run_id)
            except Exception:  # a busy or vanished store: the next beat tries again, the run goes on
                pass

    threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True).start()
    return stop


def distributed_rank() -> int:
    """This process's rank under torchrun (0 when not distributed)."""
    return int(os.environ.get("RANK", "0"))


