"""Where vadbench keeps its caches: ``$VADBENCH_HOME`` (default ``./.vadbench``)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The root of every cache: decoded frames, stage outputs (checkpoints, reconstructions, errors)."""
    return Path(os.environ.get("VADBENCH_HOME", ".vadbench")).expanduser()


def frame_cache() -> Path:
    """Decoded, resized uint8 frames, one memory-mapped array per (dataset, video, size, source fingerprint)."""
    return home() / "frames"


def stage_cache() -> Path:
    """Content-addressed stage outputs: ``fit/``, ``infer/``, ``score/`` each keyed by the hash of their inputs."""
    return home() / "stages"
