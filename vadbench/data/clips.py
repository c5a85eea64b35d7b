"""Training clips: random windows of consecutive frames from a dataset's training videos."""

from __future__ import annotations

import numpy as np

from vadbench.errors import DatasetError


class ClipSampler:
    """Random windows of ``window`` consecutive frames from the training videos, each start equally likely."""

    def __init__(self, dataset, window: int) -> None:
        videos = dataset.videos("train")
        self.videos = [video for video in videos if video.num_frames >= window]
        if not self.videos:
            longest = max((video.num_frames for video in videos), default=0)
            raise DatasetError(f"dataset '{dataset.name}' has no training video of at least {window} frames "
                               f"(longest: {longest}); use a shorter window or check the dataset root")
        self.window = window
        self.starts = np.array([video.num_frames - window + 1 for video in self.videos])
        self.windows_per_epoch = sum(video.num_frames // window for video in self.videos)
        self._dataset = dataset
        self._frames: dict[str, np.ndarray] = {}

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """uint8 clips ``b l h w c``."""
        flat = rng.integers(0, self.starts.sum(), size=count)
        which = np.searchsorted(np.cumsum(self.starts), flat, side="right")
        offsets = flat - np.concatenate([[0], np.cumsum(self.starts)])[which]
        return np.stack([self._video(i)[o:o + self.window] for i, o in zip(which, offsets)])

    def _video(self, index: int) -> np.ndarray:
        video = self.videos[index]
        if video.id not in self._frames:
            self._frames[video.id] = self._dataset.frames(video)
        return self._frames[video.id]
