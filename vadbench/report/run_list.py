"""``vadbench runs``: the runs in a store, newest first, as a table or JSON."""

from __future__ import annotations

import json

from rich.table import Table

from vadbench.store import RunSummary


def _wall(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"


def executor_label(executor: dict | None) -> str:
    """``local``, ``ray (a local cluster, 2 CPUs, 0 GPUs)`` or ``slurm (fit 123, infer 124, evaluate 125)``: the
    executor, the Ray cluster it used and, per Slurm stage wave, the array job id every element of the wave
    shares."""
    if not executor:
        return "local"
    waves = [f"{wave} {_array_id(ids)}" for wave, ids in executor.get("jobs", {}).items() if ids]
    name = executor.get("name", "local")
    if executor.get("cluster") == "local":
        name += " (submitit local)"
    if "address" in executor:
        where = "a local cluster" if executor["address"] == "local" else executor["address"]
        waves.append(f"{where}, {executor.get('cpus', 0)} CPUs, {executor.get('gpus', 0)} GPUs")
    return f"{name} ({', '.join(waves)})" if waves else name


def _array_id(ids: list[str]) -> str:
    """One wave's job ids as Slurm names the array (``123`` for ``123_0``, ``123_1``), or all of them."""
    arrays = sorted({job_id.split("_", 1)[0] for job_id in ids})
    return arrays[0] if len(arrays) == 1 and all("_" in job_id for job_id in ids) else ",".join(ids)


def runs_table(summaries: list[RunSummary]) -> Table:
    """One line per run: id, start, status, jobs done and failed, wall time, executor (with the scheduler's job
    ids), models, datasets, command."""
    table = Table(title=f"{len(summaries)} runs, newest first", title_justify="left")
    for column in ("run", "started (UTC)", "status", "done", "failed", "wall", "executor", "models", "datasets",
                   "command"):
        table.add_column(column, justify="right" if column in ("done", "failed", "wall") else "left")
    for summary in summaries:
        run = summary.run
        table.add_row(run.id, f"{run.created_at:%Y-%m-%d %H:%M}", run.status, str(summary.jobs.get("done", 0)),
                      str(summary.jobs.get("failed", 0)), _wall(run.wall_time), executor_label(run.executor),
                      ", ".join(sorted(summary.models)),
                      ", ".join(sorted(summary.datasets)), run.command)
    return table


def runs_json(summaries: list[RunSummary]) -> str:
    """The same as machine-readable JSON (times in ISO 8601 UTC, wall time in seconds)."""
    return json.dumps([{
        "id": s.run.id, "created_at": s.run.created_at.isoformat(), "status": s.run.status, "command": s.run.command,
        "jobs_done": s.jobs.get("done", 0), "jobs_failed": s.jobs.get("failed", 0), "wall_time": s.run.wall_time,
        "models": sorted(s.models), "datasets": sorted(s.datasets), "error": s.run.error, "host": s.run.host,
        "git_commit": s.run.git_commit, "executor": s.run.executor,
    } for s in summaries], indent=1)
