"""The training log a learned model's fit may write beside its checkpoints: ``train_log.jsonl``, one JSON object
per optimiser step with at least ``step`` and ``loss`` (RaMViD adds ``lr``, ``ema_decay`` and ``steps_per_s``).
``vadbench plot`` draws it; the store keeps the model's summary of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
