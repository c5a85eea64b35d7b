"""Per-frame anomaly scores read from files, so methods run elsewhere land on the same leaderboard.

Accepted layouts under ``path``:

- a folder with one file per test video, named by video id: ``<id>.npy`` (1-D float array) or ``<id>.txt``
  (one score per line; ``#`` comments allowed);
- one ``.npz`` archive whose keys are the video ids.

Each array has one score per frame of the video (larger = more anomalous; ``invert`` flips regularity scores);
NaN marks an unscored frame.

Error maps, for the localisation metrics, are optional: ``maps`` names a folder with one ``<id>.npy`` per test
video, float ``f h w`` at the dataset's frame size (its ``size`` setting, e.g. 128x128), larger = more
anomalous, a frame of NaN where the method has no map (``invert`` flips them too). They are memory-mapped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vadbench.errors import ConfigError


class ExternalScores:
    """A "scores" model: nothing to fit, ``score_video`` reads the user's file for that video."""

    name = "scores"

    error_maps = None  # replaced by the map reader when ``maps`` is given

    def __init__(self, path: str = "", invert: bool = False, maps: str = "") -> None:
        if not path:
            raise ConfigError("model scores needs its scores location: --cfg-options model.scores.path=DIR_OR_NPZ")
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise ConfigError(f"model scores: {self.path} does not exist; point model.scores.path at a folder of "
                              f"<video>.npy/.txt files or at one .npz keyed by video id")
        self.invert = bool(invert)
        self._archive = np.load(self.path) if self.path.suffix == ".npz" else None
        self.maps = Path(maps).expanduser() if maps else None
        if self.maps is not None:
            if not self.maps.is_dir():
                raise ConfigError(f"model scores: maps folder {self.maps} does not exist; point model.scores.maps at "
                                  "a folder of <video>.npy error maps (f h w), or leave it empty")
            self.error_maps = self._error_maps

    def _error_maps(self, dataset: Any, video: Any) -> np.ndarray:
        """float ``f h w`` error maps of ``video`` (checked against its frame count; the runner checks the size)."""
        file = self.maps / f"{video.id}.npy"
        if not file.is_file():
            raise ConfigError(f"no error maps for test video '{video.id}': expected {file} (float f h w)")
        try:
            maps = np.load(file, mmap_mode="r")
        except ValueError as error:
            raise ConfigError(f"{file} is not a readable .npy array: {error}") from None
        if maps.ndim != 3 or maps.shape[0] != video.num_frames:
            raise ConfigError(f"{file}: expected error maps of shape ({video.num_frames}, h, w), one per frame of "
                              f"video {video.id}, found shape {maps.shape}")
        return -np.asarray(maps, dtype=np.float32) if self.invert else maps

    def score_video(self, dataset: Any, video: Any) -> np.ndarray:
        """float ``f`` scores of ``video``, checked against its frame count."""
        scores, source = self._read(video.id)
        if scores.ndim != 1 or scores.shape[0] != video.num_frames:
            raise ConfigError(f"{source}: expected {video.num_frames} scores (one per frame of video {video.id}), "
                              f"found shape {scores.shape}")
        return -scores if self.invert else scores

    def _read(self, video_id: str) -> tuple[np.ndarray, str]:
        if self._archive is not None:
            if video_id not in self._archive:
                raise ConfigError(f"{self.path} has no array '{video_id}'; it holds {sorted(self._archive)[:5]}...")
            return self._archive[video_id].astype(np.float64), f"{self.path}[{video_id}]"
        for suffix, reader in ((".npy", np.load), (".txt", np.loadtxt)):
            file = self.path / f"{video_id}{suffix}"
            if file.is_file():
                try:
                    scores = np.asarray(reader(file), dtype=np.float64)
                except ValueError as error:
                    raise ConfigError(f"{file} is not a list of numbers: {error}") from None
                return (scores.reshape(-1) if scores.ndim == 0 else scores), str(file)
        raise ConfigError(f"no scores for test video '{video_id}': expected {self.path / video_id}.npy or .txt")

    def fingerprint(self) -> str:
        """Changes whenever a score file changes, so the runner re-reads it."""
        from vadbench.hashing import files_digest

        files = [self.path] if self.path.is_file() else sorted(self.path.rglob("*.*"))
        return files_digest(files + (sorted(self.maps.glob("*.npy")) if self.maps else []))

    def provenance(self) -> dict[str, Any]:
        return {"path": str(self.path.resolve()), "invert": self.invert,
                "maps": str(self.maps.resolve()) if self.maps else None}
