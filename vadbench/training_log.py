"""The training log a learned model's fit may write beside its checkpoints: ``train_log.jsonl``, one JSON object
per optimiser step with at least ``step`` and ``loss`` (RaMViD adds ``lr``, ``ema_decay`` and ``steps_per_s``).
``vadbench plot`` draws it; the store keeps the model's summary of it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vadbench.atomic import atomic_file

LOG_NAME = "train_log.jsonl"


def read_log(path: Path) -> list[dict[str, Any]]:
    """The records of a training log (none when it does not exist); a torn last line (a kill) is ignored."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


class TrainingLog:
    """A training log being written: records are appended in blocks by ``flush`` (before the checkpoint that
    covers them).

    Opening it keeps the lines of steps up to ``keep_through`` (the checkpoint a fit resumes from) and drops later
    ones, which a killed fit wrote past its last checkpoint.
    """

    def __init__(self, path: Path, keep_through: int) -> None:
        self.path = path
        self.pending: list[dict[str, Any]] = []
        kept = [record for record in read_log(path) if record["step"] <= keep_through]
        with atomic_file(path, "w") as handle:
            handle.write(_lines(kept))

    def add(self, record: dict[str, Any]) -> None:
        self.pending.append(record)

    def flush(self) -> None:
        with open(self.path, "a") as handle:
            handle.write(_lines(self.pending))
            handle.flush()
            os.fsync(handle.fileno())
        self.pending = []


def _lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)
