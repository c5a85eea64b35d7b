"""``vadbench datasets``: check a dataset root and fill the frame cache (plugins add more, e.g. ``synth``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from vadbench.cli.console import out

CFG_HELP = "Dataset settings as key=value (e.g. size=[64,64], gt=intervals); repeatable."


def build_dataset(name: str, root: Optional[Path], cfg_options: list[str]):
    """Dataset ``name`` with its layered settings, ``--cfg-options`` items and ``--root``."""
    from vadbench.settings import build_component

    overrides = {"root": str(root)} if root is not None else {}
    return build_component("dataset", name, cfg_options, **overrides)


def check(name: str = typer.Argument(..., help="Dataset name, e.g. avenue, stc, ubnormal, synthetic."),
          root: Optional[Path] = typer.Option(None, "--root", help="Dataset folder (overrides registry.yaml)."),
          cfg_options: list[str] = typer.Option([], "--cfg-options", "-o", help=CFG_HELP)) -> None:
    """Report what a dataset root holds (videos and frames per split, abnormal frames, scenes) or what is wrong."""
    from rich.table import Table

    report = build_dataset(name, root, cfg_options).check()
    table = Table(title=f"{report.dataset} at {report.root}", show_edge=False)
    for column in ("split", "videos", "frames"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split, count in report.videos.items():
        table.add_row(split, str(count), str(report.frames.get(split, 0)))
    if report.videos:
        out.print(table)
    if report.videos:
        out.print(f"abnormal test frames: {report.abnormal_frames}; scenes: {', '.join(report.scenes) or '-'}")
    for problem in report.problems:
        out.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    out.print("[green]ok[/]")


def prepare(name: str = typer.Argument(..., help="Dataset name."),
            root: Optional[Path] = typer.Option(None, "--root", help="Dataset folder (overrides registry.yaml)."),
            cfg_options: list[str] = typer.Option([], "--cfg-options", "-o", help=CFG_HELP)) -> None:
    """Decode every video once into the frame cache (resized uint8, memory-mapped afterwards)."""
    from vadbench.components import SPLITS
    from vadbench.progress import progress

    dataset = build_dataset(name, root, cfg_options)
    videos = [video for split in SPLITS for video in dataset.videos(split)]
    frames = 0
    with progress(f"caching {name}", len(videos)) as task:
        for video in videos:
            frames += len(dataset.frames(video))
            task.advance()
            task.update(video=video.id)
    out.print(f"{name}: {len(videos)} videos, {frames} frames cached at size {list(dataset.frame_size)}")


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command group (a fresh one per application, so plugins add their commands once)."""
    datasets = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Check, prepare and synthesise datasets.")
    datasets.command()(check)
    datasets.command()(prepare)
    app.add_typer(datasets, name="datasets", help="Check, prepare and synthesise datasets.")
