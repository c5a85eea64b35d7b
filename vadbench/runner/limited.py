"""``vadbench run --limit N``: a dataset cut to the first N videos of each split, for quick checks.

Everything else is the dataset's own. The fingerprint includes the limit, so a limited run never shares a stage
cache entry or a stored job with a full one; its jobs carry ``settings["limit"]`` and ``report`` leaves them out
unless asked (``--limited``), since they measure a subset of the test set.
"""

from __future__ import annotations

from typing import Any

from vadbench.components import Dataset, Video
from vadbench.hashing import digest


class LimitedDataset:
    """``dataset`` with only its first ``limit`` videos in each split (in the dataset's own order)."""

    def __init__(self, dataset: Dataset, limit: int) -> None:
        self._dataset, self.limit = dataset, limit

    @property
    def name(self) -> str:
        return self._dataset.name

    def videos(self, split: str) -> list[Video]:
        return self._dataset.videos(split)[:self.limit]

    def fingerprint(self) -> str:
        return digest([self._dataset.fingerprint(), {"limit": self.limit}])

    def __getattr__(self, attribute: str) -> Any:  # frames, labels, masks, tracks, frame_size, anomaly_kinds...
        return getattr(self._dataset, attribute)
