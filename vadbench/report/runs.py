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
from vadbench.report.metrics import fmt, fmt_delta, kind, order
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
        ("host", run.host), ("seeds", ", ".join(map(str, run.seeds)) or "–"),
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


def _metrics_tables(store: Store, jobs: list[JobRecord]) -> list[Table]:
    """Per dataset: one line per done job with its dataset-scope metrics (fractions first, then counts)."""
    tables = []
    by_dataset: dict[str, list[tuple[JobRecord, dict[str, float]]]] = defaultdict(list)
    for job in jobs:
        if job.status == "done":
            values = {row.metric: row.value for row in store.job_metrics(job.id, "dataset")}
            by_dataset[job.dataset].append((job, values))
    for dataset, rows in sorted(by_dataset.items()):
        names = order({name for _, values in rows for name in values})
        names = [name for name in names if kind(name).unit == "fraction"] + \
                [name for name in names if kind(name).unit != "fraction"]
        table = Table(title=f"{dataset}: dataset-level metrics (fractions in %)", title_justify="left")
        for label in ("job", "model", "masker", "scorer", "seed"):
            table.add_column(label)
        for name in names:
            table.add_column(name, justify="right")
        for job, values in rows:
            table.add_row(str(job.id), job.model, job.masker or "", job.scorer or "", _seed(job),
                          *(fmt(name, values.get(name)) for name in names))
        tables.append(table)
    return tables


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


def show_run(store: Store, run: RunRecord) -> RenderableType:
    """A run's provenance, its jobs (status and error), their per-dataset metrics and, where the dataset names its
    anomaly kinds, their AUC per kind."""
    jobs = store.jobs(run.id)
    return Group(_provenance(run), _jobs_table(jobs), *_metrics_tables(store, jobs), *_kind_tables(store, jobs))


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
