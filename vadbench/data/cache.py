"""The frame cache: decoded, resized uint8 frames stored once as ``.npy`` files and read back memory-mapped.

An entry is keyed by (dataset, video, size, source fingerprint). It is written under a temporary name and then
renamed, so a half-written entry is never read; when a source file changes its fingerprint changes, the old entry
stops matching and is deleted when the new one is written.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from vadbench import paths


class FrameCache:
    """uint8 RGB frames ``f h w c`` per video, under ``root`` (default ``vadbench.paths.frame_cache()``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.frame_cache()

    def path(self, dataset: str, video: str, size: tuple[int, int], fingerprint: str) -> Path:
        return self.root / dataset / video / f"{size[0]}x{size[1]}-{fingerprint}.npy"

    def load(self, dataset: str, video: str, size: tuple[int, int], fingerprint: str) -> np.ndarray | None:
        """The cached frames, memory-mapped read-only, or None when there is no complete entry."""
        path = self.path(dataset, video, size, fingerprint)
        return np.load(path, mmap_mode="r") if path.is_file() else None

    def store(self, dataset: str, video: str, size: tuple[int, int], fingerprint: str,
              frames: Iterable[np.ndarray]) -> np.ndarray:
        """Write ``frames`` (each uint8 ``h w c`` at ``size``) as the entry and return it memory-mapped."""
        path = self.path(dataset, video, size, fingerprint)
        path.parent.mkdir(parents=True, exist_ok=True)
        array = np.stack(list(frames)) if not isinstance(frames, np.ndarray) else frames
        if array.dtype != np.uint8 or array.shape[1:] != (*size, 3):
            raise ValueError(f"frame cache entries are uint8 (f, {size[0]}, {size[1]}, 3); got {array.dtype} "
                             f"{array.shape}")
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.npy")
        try:
            np.save(temporary, array)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        for stale in path.parent.glob(f"{size[0]}x{size[1]}-*.npy"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return np.load(path, mmap_mode="r")

    def get(self, dataset: str, video: str, size: tuple[int, int], fingerprint: str,
            produce: Callable[[], Iterable[np.ndarray]]) -> np.ndarray:
        """The cached entry, filled from ``produce()`` on first use."""
        cached = self.load(dataset, video, size, fingerprint)
        if cached is not None:
            return cached
        return self.store(dataset, video, size, fingerprint, produce())
