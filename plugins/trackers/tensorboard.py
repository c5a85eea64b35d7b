"""TensorBoard event files, one folder per job: ``<cache>/tensorboard/<run id>/<job label>``.

Training steps go under ``train/<name>`` at their step; a job's final dataset-scope metrics under
``metrics/<name>`` at step 0, after which its writer is closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_writers: dict[tuple[str, str], Any] = {}


def log_folder(run: dict) -> Path:
    """Where a run's event files go (``tensorboard --logdir`` this)."""
    return Path(run["home"]) / "tensorboard" / run["id"]


def write(run: dict, job: dict, step: int | None, values: dict[str, float]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    key = (run["id"], job["label"])
    if key not in _writers:
        folder = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in job["label"])
        _writers[key] = SummaryWriter(log_dir=str(log_folder(run) / folder))
    writer = _writers[key]
    for name, value in values.items():
        writer.add_scalar(f"{'train' if step is not None else 'metrics'}/{name}", value, step or 0)
    if step is None:
        _writers.pop(key).close()
