"""The stage cache: one folder per stage output under ``$VADBENCH_HOME/stages/<stage>/<key>``, its layout, and
atomic writes into it, so a half-written output is never read. Every reader of the cache (the runner, ``plot``,
``export``, ``cache``) goes through this module.

A stage output is complete once its ``done.json`` exists (the evaluate stage writes ``frames.npz`` and, where the
job localises, ``detection_curves.npz``). The fit stage has no folder when the model learns nothing (key
``NO_FIT``) or the user gave a checkpoint (a key from ``given_checkpoint_key``); the localise stage has none when
the job does not localise (key ``NO_LOCALISE``).
"""

from __future__ import annotations

import fcntl
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from vadbench import paths
from vadbench.atomic import atomic_file
from vadbench.training_log import LOG_NAME

STAGES = ("fit", "infer", "score", "localise", "evaluate")
JOB_KEY_FIELDS = {"fit": "fit_key", "infer": "infer_key", "score": "score_key", "localise": "localise_key",
                  "evaluate": "eval_key"}  # JobRecord
NO_FIT = "none"
NO_LOCALISE = "none"
_GIVEN = "checkpoint-"
DONE = "done.json"
ERRORS = "errors.npz"  # the score stage's one file: per video, window errors or a scores model's scores
FRAME_SCORES = "frames.npz"  # the evaluate stage's file: final per-frame scores and labels
DETECTION_CURVES = "detection_curves.npz"  # the evaluate stage's RBDR/TBDR-vs-FPR curves, where it has them
LOCK_NAME = ".in-use"  # a job holds a shared lock on it in every stage folder it uses


def given_checkpoint_key(checkpoint_digest: str) -> str:
    """The fit key of a job that infers with a checkpoint the user gave (no fit runs, nothing is cached)."""
    return f"{_GIVEN}{checkpoint_digest}"


def has_folder(stage: str, key: str) -> bool:
    """Whether the stage caches anything under ``key`` (not a fit that learns nothing or a given checkpoint, not a
    localisation that does not happen)."""
    if stage == "localise":
        return key != NO_LOCALISE
    return not (stage == "fit" and (key == NO_FIT or key.startswith(_GIVEN)))


def state(stage: str, key: str) -> str:
    """How a planned stage stands: "skip" (nothing to learn or localise), "given" (the user's checkpoint),
    "cached" or "to do"."""
    if not has_folder(stage, key):
        return "given" if key.startswith(_GIVEN) else "skip"
    return "cached" if (folder(stage, key) / DONE).is_file() else "to do"


def folder(stage: str, key: str) -> Path:
    """The folder of one stage output (not created)."""
    return paths.stage_cache() / stage / str(key)


def stage_dir(stage: str, key: str) -> Path:
    """The folder of one stage output, created on demand (for writers)."""
    created = folder(stage, key)
    created.mkdir(parents=True, exist_ok=True)
    return created


def video_file(stage_folder: Path, video_id: str) -> Path:
    """The per-video file of a stage output; ids are made path-safe."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in video_id)
    return stage_folder / f"{safe}.npz"


def frame_scores_file(eval_key: str) -> Path:
    return folder("evaluate", eval_key) / FRAME_SCORES


def errors_file(score_key: str) -> Path:
    return folder("score", score_key) / ERRORS


def detection_curves_file(eval_key: str) -> Path:
    return folder("evaluate", eval_key) / DETECTION_CURVES


def training_log_file(fit_key: str) -> Path:
    return folder("fit", fit_key) / LOG_NAME


def entries() -> list[tuple[str, str, Path]]:
    """Every stage output on disk as (stage, key, folder)."""
    found = []
    for stage in STAGES:
        root = paths.stage_cache() / stage
        for entry in sorted(root.iterdir()) if root.is_dir() else []:
            found.append((stage, entry.name, entry))
    return found


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` under a temporary name in the same folder, then rename it into place."""
    with atomic_file(path) as handle:
        np.savez(handle, **arrays)


def save_json(path: Path, value: Any) -> None:
    """Write JSON atomically (the marker that a stage output is complete)."""
    with atomic_file(path, "w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True, default=str)


def load_json(path: Path) -> Any | None:
    return json.loads(path.read_text()) if path.is_file() else None


def readable(path: Path, keys: tuple[str, ...]) -> bool:
    """Whether ``path`` is an ``.npz`` that opens and holds every array in ``keys``."""
    try:
        with np.load(path) as stored:
            return all(key in stored.files for key in keys)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return False


@contextmanager
def in_use(keys: dict[str, str]) -> Iterator[None]:
    """Hold a shared lock on the job's stage folders while it runs, so ``cache remove`` leaves them alone (the
    lock goes with the process, however it ends)."""
    handles = []
    try:
        for stage, key in keys.items():
            if not has_folder(stage, key):
                continue
            handle = open(stage_dir(stage, key) / LOCK_NAME, "a")
            fcntl.flock(handle, fcntl.LOCK_SH)
            handles.append(handle)
        yield
    finally:
        for handle in handles:
            handle.close()


@contextmanager
def exclusive(stage_folder: Path) -> Iterator[bool]:
    """Try to take a stage folder for removal: yields False while a running job holds it."""
    with open(stage_folder / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
