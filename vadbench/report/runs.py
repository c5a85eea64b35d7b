"""``show RUN`` (provenance, jobs, per-dataset and per-kind metrics) and ``compare RUN RUN`` (what changed, metric
differences)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vadbench.report.leaderboard import Cell, flatten
from vadbench.report.metric_display import fmt, fmt_delta, kind, order
from vadbench.report.run_list import executor_label
from vadbench.store import JobRecord, RunRecord, Store

KIND_METRIC = "auc_micro"  # the per-kind metric ``show`` prints


def _bytes(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**30:.2f} GiB"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _seed(job: JobRecord) -> str:
    """The job's seed, and its sample draw where the model samples: ``0``, ``0 draw 2``."""
    seed = "" if job.seed is None else str(job.seed)
    return seed if job.sample_seed is None else f"{seed} draw {job.sample_seed}".lstrip()


def _provenance(run: RunRecord) -> Table:
    table = Table(title=f"run {run.id}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    versions = dict(run.versions)
    plugins = versions.pop("plugins", {}) or {}
    for label, value in (
        ("status", run.status), ("created", f"{run.created_at:%Y-%m-%d %H:%M:%S} UTC"), ("command", run.command),
        ("config hash", run.config_hash), ("git commit", run.git_commit or "–"), ("device", run.device),
        ("host", run.host), ("executor", executor_label(run.executor)), ("cache", run.home or "–"),
        ("seeds", ", ".join(map(str, run.seeds)) or "–"),
        ("versions", ", ".join(f"{key} {value}" for key, value in versions.items()) or "–"),
        ("plugins", ", ".join(f"{key} {value}" for key, value in plugins.items()) or "–"),
        ("wall time", _seconds(run.wall_time)), ("peak memory", _bytes(run.peak_memory)),
    ):
        table.add_row(label, str(value))
    if run.error:
        table.add_row("error", Text(run.error, style="red"))
    return table


def _jobs_table(jobs: list[JobRecord]) -> Table:
    table = Table(title="jobs", title_justify="left")
    for name in ("id", "dataset", "model", "masker", "scorer", "seed", "status", "wall time", "error"):
        table.add_column(name, justify="right" if name in ("id", "seed", "wall time") else "left")
    for job in jobs:
        error = (job.error or "").strip().splitlines()
        table.add_row(str(job.id), job.dataset, job.model, job.masker or "", job.scorer or "", _seed(job),
                      Text(job.status, style="green" if job.status == "done" else "red"),
                      _seconds(job.wall_time), error[-1] if error else "")
    return table


def _metrics_tables(store: Store, jobs: list[JobRecord], scope: str = "dataset") -> list[Table]:
    """Per dataset: one line per done job (and scene or video, at those scopes) with its metrics at ``scope``
    (fractions first, then counts)."""
    tables = []
    by_dataset: dict[str, list[tuple[JobRecord, str, dict[str, float]]]] = defaultdict(list)
    for job in jobs:
        if job.status == "done":
            per_id: dict[str, dict[str, float]] = defaultdict(dict)
            for row in store.job_metrics(job.id, scope):
                per_id[row.scope_id][row.metric] = row.value
            by_dataset[job.dataset] += [(job, scope_id, values) for scope_id, values in sorted(per_id.items())]
    for dataset, rows in sorted(by_dataset.items()):
        names = order({name for _, _, values in rows for name in values})
        names = [name for name in names if kind(name).unit == "fraction"] + \
                [name for name in names if kind(name).unit != "fraction"]
        table = Table(title=f"{dataset}: {scope}-level metrics (fractions in %)", title_justify="left")
        labels = ("job", "model", "masker", "scorer", "seed") + ((scope,) if scope != "dataset" else ())
        for label in labels:
            table.add_column(label)
        for name in names:
            table.add_column(name, justify="right")
        for job, scope_id, values in rows:
            where = (scope_id,) if scope != "dataset" else ()
            table.add_row(str(job.id), job.model, job.masker or "", job.scorer or "", _seed(job), *where,
                          *(fmt(name, values.get(name)) for name in names))
        tables.append(table)
    return tables


def _job_provenance_table(jobs: list[JobRecord]) -> Table:
    """How each done job ran: checkpoint and step, weights, what the network predicts, the sampler and regime,
    the network evaluations, the code path, and its fit's training summary."""
    table = Table(title="job provenance", title_justify="left")
    for name in ("job", "checkpoint", "step", "weights", "predicts", "sampler", "regime", "NFE/window", "code path",
                 "training"):
        table.add_column(name)
    for job in jobs:
        facts = job.provenance or {}
        if job.status != "done":
            continue
        checkpoint = facts.get("checkpoint")
        sampler = f"{facts['sampler']} {facts['sampling_steps']}" if "sampler" in facts else "–"
        regime = ", ".join(f"{key}={facts[key]}" for key in ("samples", "combine", "noise", "start_step")
                           if key in facts) or "–"
        paths = facts.get("mixer_path")
        training = facts.get("training") or {}
        trained = (f"{training['steps']} steps, final loss {training['final_loss']:.4g}, "
                   f"{training['steps_per_s']:.3g} steps/s" if training else "–")
        table.add_row(str(job.id), checkpoint.rsplit("/", 1)[-1] if checkpoint else "–", str(facts.get("step", "–")),
                      str(facts.get("weights", "–")), str(facts.get("parameterisation", "–")), sampler, regime,
                      str(facts.get("nfe_per_window", "–")), ", ".join(paths) if paths else "–", trained)
    return table


def _kind_tables(store: Store, jobs: list[JobRecord]) -> list[Table]:
    """Per dataset whose jobs have per-kind metrics: one line per done job, ``KIND_METRIC`` per anomaly kind."""
    tables = []
    by_dataset: dict[str, list[tuple[JobRecord, dict[str, float]]]] = defaultdict(list)
    for job in jobs:
        if job.status == "done":
            values = {row.scope_id: row.value for row in store.job_metrics(job.id, "kind") if row.metric == KIND_METRIC}
            if values:
                by_dataset[job.dataset].append((job, values))
    for dataset, rows in sorted(by_dataset.items()):
        kinds = sorted({name for _, values in rows for name in values})
        table = Table(title=f"{dataset}: {KIND_METRIC} per anomaly kind (%)", title_justify="left")
        for label in ("job", "model", "scorer", "seed", *kinds):
            table.add_column(label, justify="right" if label in kinds else "left")
        for job, values in rows:
            table.add_row(str(job.id), job.model, job.scorer or "", _seed(job),
                          *(fmt(KIND_METRIC, values.get(name)) for name in kinds))
        tables.append(table)
    return tables


def show_run(store: Store, run: RunRecord, scope: str = "dataset") -> RenderableType:
    """A run's provenance, its jobs (status, error and how each ran) and their metrics at ``scope``; at the dataset
    scope also, where the dataset names its anomaly kinds, their AUC per kind."""
    jobs = store.jobs(run.id)
    kinds = _kind_tables(store, jobs) if scope == "dataset" else []
    return Group(_provenance(run), _jobs_table(jobs), _job_provenance_table(jobs),
                 *_metrics_tables(store, jobs, scope), *kinds)


def run_as_json(store: Store, run: RunRecord, scope: str = "dataset") -> str:
    """The run, each job with its provenance, and their metric rows at ``scope`` (raw 0-1 values), as JSON."""
    import json
    from dataclasses import asdict

    jobs = []
    for job in store.jobs(run.id):
        metrics = [{"scope_id": row.scope_id, "metric": row.metric,
                    "value": None if math.isnan(row.value) else row.value} for row in store.job_metrics(job.id, scope)]
        jobs.append({**asdict(job), "metrics": metrics})
    return json.dumps({"run": asdict(run), "scope": scope, "jobs": jobs}, indent=1, default=str)


@dataclass(frozen=True)
class Difference:
    """One metric of one (dataset, model, masker, scorer, distinguishing settings) in runs A and B."""

    dataset: str
    model: str
    masker: str | None
    scorer: str | None
    label: tuple[tuple[str, Any], ...]
    metric: str
    a: Cell | None
    b: Cell | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b.mean - self.a.mean


@dataclass(frozen=True)
class Comparison:
    """Run fields and settings that differ between A and B, and every metric side by side."""

    a: RunRecord
    b: RunRecord
    run_fields: list[tuple[str, str, str]]
    settings: list[tuple[str, str, str]]
    rows: list[Difference]


def compare_runs(store: Store, a: RunRecord, b: RunRecord, metrics: list[str] | None = None) -> Comparison:
    """Match the done jobs of A and B by dataset, model, masker, scorer and the settings that vary *within* a run
    (seeds are averaged); settings that differ only *between* the runs are what the comparison is about."""
    sides = [_jobs_with_metrics(store, run.id, metrics) for run in (a, b)]
    families: dict[tuple, list[list[tuple[dict, dict]]]] = defaultdict(lambda: [[], []])
    for side, jobs in enumerate(sides):
        for job, values in jobs:
            families[job.dataset, job.model, job.masker, job.scorer][side].append((flatten(job.settings), values))
    rows = []
    for family, (jobs_a, jobs_b) in sorted(families.items(), key=lambda item: repr(item[0])):
        within = sorted(set(_varying([flat for flat, _ in jobs_a])) | set(_varying([flat for flat, _ in jobs_b])))
        groups: dict[tuple, list[dict[str, list[float]]]] = defaultdict(lambda: [defaultdict(list), defaultdict(list)])
        for side, jobs in enumerate((jobs_a, jobs_b)):
            for flat, values in jobs:
                label = tuple((key, flat.get(key)) for key in within)
                for name, value in values.items():
                    groups[label][side][name].append(value)
        for label, (values_a, values_b) in sorted(groups.items(), key=lambda item: repr(item[0])):
            for name in order(set(values_a) | set(values_b)):
                rows.append(Difference(*family, label, name,
                                       Cell.of(values_a[name]) if name in values_a else None,
                                       Cell.of(values_b[name]) if name in values_b else None))
    flats = [[flatten(job.settings) for job, _ in jobs] for jobs in sides]
    settings = []
    for key in sorted({key for side in flats for flat in side for key in flat}):
        shown = [", ".join(sorted({repr(flat.get(key)) for flat in side})) for side in flats]
        if shown[0] != shown[1]:
            settings.append((key, *shown))
    run_fields = [(name, str(getattr(a, name)), str(getattr(b, name)))
                  for name in ("command", "config_hash", "git_commit", "versions", "device", "host", "status")
                  if getattr(a, name) != getattr(b, name)]
    return Comparison(a, b, run_fields, settings, rows)


def _jobs_with_metrics(store: Store, run_id: str, metrics: list[str] | None) -> list[tuple[JobRecord, dict]]:
    jobs: dict[int, tuple[JobRecord, dict[str, float]]] = {}
    for job, name, value in store.metric_rows(run_id=run_id, reported=False, metrics=metrics):
        jobs.setdefault(job.id, (job, {}))[1][name] = value
    return list(jobs.values())


def _varying(flats: list[dict[str, Any]]) -> list[str]:
    keys = {key for flat in flats for key in flat}
    return [key for key in keys if len({repr(flat.get(key)) for flat in flats}) > 1]


def render_comparison(comparison: Comparison) -> RenderableType:
    a, b = comparison.a.id, comparison.b.id
    parts: list[RenderableType] = []
    changes = Table(title=f"what differs: A = {a}, B = {b}", title_justify="left")
    for label in ("field", "A", "B"):
        changes.add_column(label)
    for name, value_a, value_b in comparison.run_fields:
        changes.add_row(name, value_a, value_b)
    for key, value_a, value_b in comparison.settings:
        changes.add_row(f"settings: {key}", value_a or "–", value_b or "–")
    parts.append(changes if changes.row_count else Text("runs A and B have the same settings", style="dim"))
    by_dataset: dict[str, list[Difference]] = defaultdict(list)
    for row in comparison.rows:
        by_dataset[row.dataset].append(row)
    for dataset, rows in sorted(by_dataset.items()):
        table = Table(title=f"{dataset}: A vs B (fractions in %, Δ = B − A in points)", title_justify="left")
        for label in ("model", "masker", "scorer", "settings", "metric", "A", "B", "Δ"):
            table.add_column(label, justify="right" if label in ("A", "B", "Δ") else "left")
        for row in rows:
            delta = row.delta
            better = kind(row.metric).higher_is_better
            plain = delta is None or math.isnan(delta) or delta == 0 or better is None
            style = "" if plain else ("green" if (delta > 0) == better else "red")
            table.add_row(row.model, row.masker or "", row.scorer or "",
                          ", ".join(f"{key}={value}" for key, value in row.label), row.metric,
                          *(_cell_text(row.metric, cell) for cell in (row.a, row.b)),
                          Text(fmt_delta(row.metric, delta), style=style))
        parts.append(table)
    if not by_dataset:
        parts.append(Text("neither run has done jobs with metrics", style="dim"))
    return Group(*parts)


def _cell_text(metric: str, cell: Cell | None) -> str:
    if cell is None:
        return "–"
    return f"{fmt(metric, cell.mean, cell.std)} (n={cell.n})"
