"""``vadbench datasets synth``: write the synthetic dataset in the on-disk layout of a real one, added to the CLI by
the dataset plugin through ``register_commands``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vadbench.cli.console import out
from vadbench.cli.datasets import build_dataset


def synth(format: str = typer.Option(..., "--format", help="Layout to write: avenue, stc or ubnormal."),
          out_dir: Path = typer.Option(..., "--out", help="Folder to write into (created)."),
          layout: Optional[str] = typer.Option(None, "--layout",
                                               help="Avenue only: videos (official, default) or frames."),
          cfg_options: list[str] = typer.Option([], "--cfg-options", "-o",
                                                help="Synthetic settings, e.g. seed=1 scenes=3 size=[64,64].")) -> None:
    """Write the synthetic dataset in the on-disk layout of a real one (video files and original ground truth)."""
    dataset = build_dataset("synthetic", None, cfg_options)
    ids = dataset.write_layout(format, out_dir, layout)
    out.print(f"wrote {len(ids)} synthetic videos as {format} under {out_dir}; check it with "
              f"`vadbench datasets check {format} --root {out_dir}`")
