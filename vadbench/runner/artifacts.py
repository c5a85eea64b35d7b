"""Atomic writes into the content-addressed stage cache: a half-written output is never read."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from vadbench import paths
from vadbench.atomic import atomic_file

STAGES = ("fit", "infer", "score", "evaluate")
LOCK_NAME = ".in-use"  # a job holds a shared lock on it in every stage folder it uses


def writes_folder(stage: str, key: str) -> bool:
    """Whether the stage caches anything under ``key``: the fit of a model that learns nothing (key "none") or of a
    checkpoint the user gave ("checkpoint-<digest>") has no folder."""
    return not (stage == "fit" and (key == "none" or key.startswith("checkpoint-")))


def stage_dir(stage: str, key: str) -> Path:
    """The folder of one stage output (created on demand)."""
    folder = paths.stage_cache() / stage / key
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` under a temporary name in the same folder, then rename it into place."""
    with atomic_file(path) as handle:
        np.savez(handle, **arrays)


def save_json(path: Path, value: Any) -> None:
    """Write JSON atomically (the marker that a stage output is complete)."""
    with atomic_file(path, "w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True, default=str)


def readable(path: Path, keys: tuple[str, ...]) -> bool:
    """Whether ``path`` is an ``.npz`` that opens and holds every array in ``keys``."""
    import zipfile

    try:
        with np.load(path) as stored:
            return all(key in stored.files for key in keys)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return False


def load_json(path: Path) -> Any | None:
    return json.loads(path.read_text()) if path.is_file() else None


def video_file(folder: Path, video_id: str) -> Path:
    """The per-video file of a stage output; ids are made path-safe."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in video_id)
    return folder / f"{safe}.npz"


@contextmanager
def in_use(keys: dict[str, str]) -> Iterator[None]:
    """Hold a shared lock on the job's stage folders while it runs, so ``cache remove`` leaves them alone (the
    lock goes with the process, however it ends)."""
    handles = []
    try:
        for stage, key in keys.items():
            if not writes_folder(stage, key):
                continue
            handle = open(stage_dir(stage, key) / LOCK_NAME, "a")
            fcntl.flock(handle, fcntl.LOCK_SH)
            handles.append(handle)
        yield
    finally:
        for handle in handles:
            handle.close()


@contextmanager
def exclusive(folder: Path) -> Iterator[bool]:
    """Try to take a stage folder for removal: yields False while a running job holds it."""
    lock = folder / LOCK_NAME
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
