"""Rich tables of a run's plan (``--dry-run``) and of its outcomes."""

from __future__ import annotations

from rich.table import Table

from vadbench.stage_cache import state


def _draw(job) -> str:
    """The sample seed of a stochastic model's job, "-" for deterministic models."""
    return "-" if job.sample_seed is None else str(job.sample_seed)


def job_table(plan) -> Table:
    table = Table(title=f"{len(plan.jobs)} jobs on {plan.device} ({len(plan.todo)} to run)", title_justify="left")
    for column in ("#", "dataset", "model", "masker", "scorer", "seed", "draw", "sigma", "fit", "infer", "job"):
        table.add_column(column)
    for index, planned in enumerate(plan.jobs, 1):
        job = planned.job
        stored = "stored" if planned.done_in_store and not plan.request.overwrite else "to do"
        table.add_row(str(index), job.dataset.name, job.model.name, job.masker.name if job.masker else "-",
                      job.scorer.name if job.scorer else "-", str(job.seed), _draw(job), f"{job.protocol.sigma:g}",
                      state("fit", job.keys["fit"]), state("infer", job.keys["infer"]), stored)
    return table


def outcome_table(run_id: str, outcomes) -> Table:
    """One row per job of a run: every axis of the cross-product (sigma too) and its headline metrics; rbdc where
    a job localised."""
    metrics = ["auc_micro", "auc_macro", "ap"] + (["rbdc"] if any("rbdc" in o.metrics for o in outcomes) else [])
    table = Table(title=f"run {run_id}", title_justify="left")
    for column in ("dataset", "model", "masker", "scorer", "seed", "draw", "sigma", "status", *metrics):
        table.add_column(column)
    for outcome in outcomes:
        job = outcome.job
        values = [f"{outcome.metrics[m]:.4f}" if m in outcome.metrics else "" for m in metrics]
        table.add_row(job.dataset.name, job.model.name, job.masker.name if job.masker else "-",
                      job.scorer.name if job.scorer else "-", str(job.seed), _draw(job), f"{job.protocol.sigma:g}",
                      outcome.status, *values)
    return table
