"""One job, start to end, in whatever process runs it (the ``run`` command, a Ray task, a Slurm array element):
claim it, run its stages (waiting for a shared fit or inference another run holds), store its record and metrics,
and call the ``job_finished`` and ``log_metrics`` hooks."""

from __future__ import annotations

import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from vadbench import plugin_host, stage_cache
from vadbench.errors import DuplicateJobError
from vadbench.evaluation.records import MetricRow
from vadbench.runner import stages
from vadbench.runner.jobs import Job
from vadbench.runner.outcomes import JobOutcome
from vadbench.runner.provenance import peak_memory, reset_peak_memory
from vadbench.runner.stage_claims import StageClaims
from vadbench.store.records import JobRecord

if TYPE_CHECKING:
    from vadbench.runner.run import Plan, PlannedJob


def run_claimed_job(planned: PlannedJob, plan: Plan, store: Any, run_info: dict[str, Any],
                    failed_stages: dict[str, str]) -> JobOutcome:
    """Run a job unless it is stored or another running run has claimed it (``Store.claim``): two processes, or
    machines, on the same plan never compute one job twice."""
    key, run_id, overwrite = planned.job.keys["evaluate"], run_info["id"], plan.request.overwrite
    if planned.done_in_store and not overwrite:
        return JobOutcome(planned.job, "reused")
    owner = store.claim(run_id, key)
    if owner is not None:
        return JobOutcome(planned.job, "elsewhere", f"run {owner} is computing it")
    try:
        if not overwrite and store.done_job(key) is not None:  # stored by another run since this one planned
            return JobOutcome(planned.job, "reused")
        return _run_job(planned, plan, store, run_info, failed_stages)
    finally:
        store.release(run_id, key)


def job_description(job: Job) -> dict[str, Any]:
    """What the ``log_metrics`` hook is told about a job (its stored ``id`` is added at the end)."""
    return {"dataset": job.dataset.name, "model": job.model.name, "masker": job.masker.name if job.masker else None,
            "scorer": job.scorer.name if job.scorer else None, "seed": job.seed, "sample_seed": job.sample_seed,
            "label": job.label, "keys": dict(job.keys)}


def tracker_feed(run_info: dict[str, Any], job_info: dict[str, Any],
                 failures: set[str]) -> Callable[[int | None, dict[str, float]], None]:
    """``log(step, values)``: calls the ``log_metrics`` hook and collects the trackers that raised in ``failures``."""
    def log(step: int | None, values: dict[str, float]) -> None:
        failures.update(plugin_host.host().call_hook("log_metrics", run=run_info, job=job_info, step=step,
                                                     values=values))
    return log


def _run_job(planned: PlannedJob, plan: Plan, store: Any, run_info: dict[str, Any],
             failed_stages: dict[str, str]) -> JobOutcome:
    job, parts, device, run_id = planned.job, planned.parts, plan.device, run_info["id"]
    job_info = job_description(job)
    tracker_failures: set[str] = set()
    log = tracker_feed(run_info, job_info, tracker_failures)
    reset_peak_memory(device)
    started_at, clock = datetime.now(timezone.utc), time.perf_counter()
    metrics: list[MetricRow] = []
    error, provenance = "", {"device": device}
    try:
        with stage_cache.in_use(job.keys):
            metrics, provenance = _run_stages(job, parts, device, failed_stages, provenance, log,
                                              StageClaims(store, run_id))
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        provenance["traceback"] = traceback.format_exc(limit=8)
    record = JobRecord(
        dataset=job.dataset.name, model=job.model.name, masker=job.masker.name if job.masker else None,
        scorer=job.scorer.name if job.scorer else None, seed=job.seed, sample_seed=job.sample_seed,
        settings={**job.settings(), **({"checkpoint": parts.checkpoint_digest} if parts.checkpoint else {}),
                  **({"limit": plan.request.limit} if plan.request.limit is not None else {})},
        eval_key=job.keys["evaluate"], fit_key=job.keys["fit"],
        infer_key=job.keys["infer"], score_key=job.keys["score"], localise_key=job.keys["localise"],
        status="failed" if error else "done",
        error=error or None, provenance=provenance, wall_time=time.perf_counter() - clock,
        peak_memory=peak_memory(device), started_at=started_at)
    try:
        job_id = store.save_job(run_id, record, metrics, overwrite=plan.request.overwrite)
    except DuplicateJobError:  # another process planned the same job and stored it first: its result stands
        return JobOutcome(job, "reused")
    hook_failures = plugin_host.host().call_hook(
        "job_finished", job={**_as_dict(record), "id": job_id, "run_id": run_id},
        metrics=[row._asdict() for row in metrics])
    summary = {r.metric: r.value for r in metrics if r.scope == "dataset"}
    job_info["id"] = job_id
    log(None, summary)
    hook_failures += sorted(tracker_failures)
    if hook_failures:
        store.add_provenance(job_id, hook_failures=hook_failures)
    return JobOutcome(job, "failed" if error else "done", error, summary)


def _run_stages(job: Job, parts: stages.Components, device: str, failed_stages: dict[str, str],
                provenance: dict[str, Any], log: Callable,
                claims: StageClaims) -> tuple[list[MetricRow], dict[str, Any]]:
    """Fit, infer, score, localise and evaluate one job; returns its metric rows and provenance. The shared stages
    (fit, infer) are claimed first, so a fit or an inference another running run is computing is waited for, not
    computed twice."""
    for stage in ("fit", "infer"):
        if job.keys[stage] in failed_stages:
            raise RuntimeError(f"{stage} stage failed earlier in this run: {failed_stages[job.keys[stage]]}")
    checkpoint = _stage(failed_stages, job.keys["fit"], lambda: claimed_fit(job, parts, device, log, claims))
    inferred = _stage(failed_stages, job.keys["infer"],
                      lambda: claimed_infer(job, parts, checkpoint, device, claims))
    scored = stages.score(job, parts, inferred.folder, device)
    localised = stages.localise(job, parts, inferred.folder, device)
    result = stages.evaluate(job, parts, scored, localised)
    nfe = MetricRow("dataset", job.dataset.name, "nfe_per_frame", inferred.nfe_per_frame)
    return [*result.rows, nfe], {**provenance, "checkpoint": str(checkpoint) if checkpoint else None,
                                 **inferred.provenance}


def claimed_fit(job: Job, parts: stages.Components, device: str, log: Callable, claims: StageClaims) -> Path | None:
    """``stages.fit`` under the fit's stage claim: a fit another running run holds is waited for."""
    with claims.hold("fit", job.keys["fit"], lambda: stages.fit_done(job, parts)):
        return stages.fit(job, parts, device, log)


def claimed_infer(job: Job, parts: stages.Components, checkpoint: Path | None, device: str,
                  claims: StageClaims) -> stages.InferOutput:
    """``stages.infer`` under the inference's stage claim: one another running run holds is waited for."""
    with claims.hold("infer", job.keys["infer"], lambda: stages.infer_done(job, parts)):
        return stages.infer(job, parts, checkpoint, device)


def _stage(failed_stages: dict[str, str], key: str, action: Callable[[], Any]) -> Any:
    """Run a shared stage; remember its failure so jobs that depend on it fail fast instead of retrying."""
    try:
        return action()
    except Exception as exc:
        failed_stages[key] = f"{type(exc).__name__}: {exc}"
        raise


def _as_dict(record: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(record)
