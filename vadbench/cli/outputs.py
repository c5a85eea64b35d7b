"""``vadbench export``, ``plot`` and ``cache``: the outputs the stages stored on disk, per run."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from vadbench import paths, stage_cache
from vadbench.cli.console import out
from vadbench.errors import VadbenchError


def frame_scores_file(job) -> Path:
    """The cached final per-frame scores and labels of a done job, or a clear error if they are gone."""
    path = stage_cache.frame_scores_file(job.eval_key)
    if not path.is_file():
        raise VadbenchError(f"the per-frame scores of job {job.id} ({job.model} on {job.dataset}) are not in the cache "
                            f"{paths.stage_cache()} any more; recompute them with the job's command and --overwrite "
                            f"(cached stages make that cheap)")
    return path


def done_jobs(store, run_id: str) -> list:
    jobs = [job for job in store.jobs(run_id) if job.status == "done"]
    if not jobs:
        raise VadbenchError(f"run {run_id} has no finished jobs to export or plot")
    return jobs


def _export(jobs, out_dir: Path, fmt: str) -> None:
    """Each job's final per-frame scores and labels as one csv (a row per frame) or npz file in ``out_dir``."""
    import numpy as np

    for job in jobs:
        arrays = np.load(frame_scores_file(job))
        name = f"job{job.id}_{job.model}_{job.masker or '-'}_{job.scorer or '-'}_{job.dataset}_seed{job.seed}"
        target = out_dir / f"{name}.{fmt}"
        if fmt == "npz":
            np.savez_compressed(target, **{key: arrays[key] for key in arrays.files})
        else:
            with open(target, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["video", "frame", "score", "label"])
                for key in arrays.files:
                    if key.startswith("scores/"):
                        video = key.split("/", 1)[1]
                        labels = arrays[f"labels/{video}"]
                        for frame, (score, label) in enumerate(zip(arrays[key], labels)):
                            writer.writerow([video, frame, "" if np.isnan(score) else f"{score:.6g}", int(label)])
        out.print(f"wrote {target}")


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        run: str = typer.Argument(..., help="Run id (or a unique prefix)."),
        out_dir: Path = typer.Option(Path("export"), "--out", help="Folder to write into."),
        fmt: str = typer.Option("csv", "--format", help="csv (one row per frame) or npz (arrays per video)."),
        db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL of the store."),
    ) -> None:
        """Write every job's final per-frame scores and labels (after the protocol's post-processing)."""
        from vadbench.store.db import open_store

        if fmt not in ("csv", "npz"):
            raise VadbenchError(f"--format {fmt!r}: choose csv or npz")
        store = open_store(db, create=False)
        record = store.get_run(run)
        out_dir.mkdir(parents=True, exist_ok=True)
        with paths.home_of_run(record.home):
            _export(done_jobs(store, record.id), out_dir, fmt)

    @app.command("plot")
    def plot_command(
        runs: list[str] = typer.Argument(..., metavar="RUN", help="Run ids (or unique prefixes); ROC / PR curves "
                                                                   "overlay all their jobs, per dataset."),
        out_dir: Path = typer.Option(Path("plots"), "--out", help="Folder to write the figures into."),
        top: int = typer.Option(4, "--top", help="Highest-scoring frames shown in the reconstruction grid."),
        formats: str = typer.Option("png", "--format", help="Figure formats, comma-separated: png, pdf, svg."),
        db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL of the store."),
    ) -> None:
        """Per job: score curves over the ground truth, a frame / reconstruction / error grid, the training curve,
        detected regions and RBDR/TBDR curves; per dataset: ROC and PR curves of every job of the given runs."""
        from vadbench.plots import check_formats, plot_job, plot_overlay
        from vadbench.store.db import open_store

        chosen = check_formats(formats)
        store = open_store(db, create=False)
        records = {record.id: record for record in map(store.get_run, runs)}.values()  # each run once
        out_dir.mkdir(parents=True, exist_ok=True)
        jobs, frames_files = [], []
        for record in records:
            with paths.home_of_run(record.home):
                for job in done_jobs(store, record.id):
                    frames_file = frame_scores_file(job).resolve()  # read again outside the run's home
                    _wrote(plot_job(job, frames_file, out_dir, top=top, formats=chosen))
                    jobs.append(job)
                    frames_files.append(frames_file)
        _wrote(plot_overlay(jobs, frames_files, out_dir, formats=chosen))

    cache_app = typer.Typer(rich_markup_mode=None,
                            help="List or remove what the stages cached (checkpoints, reconstructions, errors).")
    app.add_typer(cache_app, name="cache")

    @cache_app.command("list")
    def cache_list(db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL of the store.")) -> None:
        """Every stage entry: size, age and the runs whose jobs use it."""
        entries = _entries(db)
        table = Table(title=f"stage cache {paths.stage_cache()}", title_justify="left")
        for column in ("stage", "key", "size", "age", "runs"):
            table.add_column(column)
        for stage, key, folder, runs in entries:
            table.add_row(stage, key, _size(_bytes(folder)), _age(folder), ", ".join(sorted(runs)) or "-")
        out.print(table)
        out.print(f"total {_size(sum(_bytes(folder) for _, _, folder, _ in entries))} in {len(entries)} entries")

    @cache_app.command("remove")
    def cache_remove(
        older_than: Optional[float] = typer.Option(None, "--older-than", help="Remove entries older than DAYS."),
        run: Optional[str] = typer.Option(None, "--run", help="Remove the entries this run's jobs use."),
        shared: bool = typer.Option(False, "--shared", help="With --run: also entries other runs use."),
        db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL of the store."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be removed."),
    ) -> None:
        """Remove stage entries by age or by run (stored metrics stay; export/plot need the evaluate entries).

        Entries a running job uses are never removed; with --run, entries other runs also use are kept unless
        --shared is given."""
        if older_than is None and run is None:
            raise VadbenchError("say what to remove: --older-than DAYS and/or --run RUN")
        from vadbench.store.db import open_store

        run_id = open_store(db, create=False).get_run(run).id if run else None
        cutoff = time.time() - older_than * 86400 if older_than is not None else None
        removed = 0
        for stage, key, folder, runs in _entries(db):
            if not ((cutoff is None or folder.stat().st_mtime < cutoff) and (run_id is None or run_id in runs)):
                continue
            others = sorted(runs - {run_id}) if run_id else []
            if others and not shared:
                out.print(f"kept {stage}/{key}: runs {', '.join(others)} use it too (--shared removes it)")
                continue
            with stage_cache.exclusive(folder) as free:
                if not free:
                    out.print(f"kept {stage}/{key}: a running job uses it")
                    continue
                removed += _bytes(folder)
                out.print(f"{'would remove' if dry_run else 'removed'} {stage}/{key}")
                if not dry_run:
                    shutil.rmtree(folder)
        out.print(f"{'would free' if dry_run else 'freed'} {_size(removed)}")


def _wrote(written: list[Path]) -> None:
    for path in written:
        out.print(f"wrote {path}")


def _entries(db: str | None) -> list[tuple[str, str, Path, set[str]]]:
    from vadbench.store.db import open_store

    store = open_store(db, create=False)
    users: dict[tuple[str, str], set[str]] = {}
    for record in store.runs(limit=None):
        for job in store.jobs(record.id):
            for stage, field in stage_cache.JOB_KEY_FIELDS.items():
                users.setdefault((stage, str(getattr(job, field))), set()).add(record.id)
    return [(stage, key, folder, users.get((stage, key), set())) for stage, key, folder in stage_cache.entries()]


def _bytes(folder: Path) -> int:
    return sum(file.stat().st_size for file in folder.rglob("*") if file.is_file())


def _size(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB")
    power = 0
    while n >= 1024 and power < len(units) - 1:
        n, power = n / 1024, power + 1
    return f"{n:.0f} B" if power == 0 else f"{n:.1f} {units[power]}"


def _age(folder: Path) -> str:
    hours = (time.time() - folder.stat().st_mtime) / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"
