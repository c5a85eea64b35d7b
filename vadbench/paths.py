"""Where vadbench keeps its caches: ``$VADBENCH_HOME`` (default ``./.vadbench``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_run_home: Path | None = None


def home() -> Path:
    """The root of every cache: decoded frames, stage outputs (checkpoints, reconstructions, errors)."""
    return _run_home or Path(os.environ.get("VADBENCH_HOME", ".vadbench")).expanduser()


@contextmanager
def home_of_run(recorded: str | None) -> Iterator[Path]:
    """Read the caches of the run that recorded ``recorded`` as its home (``runs.home``), wherever this process
    started, when that folder is on this machine; else the usual ``home()``."""
    global _run_home
    previous = _run_home
    if recorded and Path(recorded).is_dir():
        _run_home = Path(recorded)
    try:
        yield home()
    finally:
        _run_home = previous


def frame_cache() -> Path:
    """Decoded, resized uint8 frames, one memory-mapped array per (dataset, video, size, source fingerprint)."""
    return home() / "frames"


def stage_cache() -> Path:
    """Content-addressed stage outputs: ``fit/``, ``infer/``, ``score/`` each keyed by the hash of their inputs."""
    return home() / "stages"
