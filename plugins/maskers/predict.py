"""The ``predict`` masker (future-frame prediction, e.g. FFP): the last frames of a window are masked."""

from __future__ import annotations

import numpy as np

from vadbench.checks import is_int
from vadbench.errors import ConfigError


class PredictMasker:
    """The last ``frames`` frames of a window are masked, the earlier ones are anchors (the past the model sees);
    the same in training and inference. A window of 5 with ``frames=1``: anchors {0, 1, 2, 3}, frame 4 predicted."""

    name = "predict"

    def __init__(self, frames: int = 1) -> None:
        if not is_int(frames) or frames < 1:
            raise ConfigError(f"masker.predict.frames must be an integer >= 1 (frames predicted at the end of each "
                              f"window), got {frames!r}")
        self.frames = int(frames)

    def training_anchors(self, length, rng):
        return self.inference_anchors(length)

    def inference_anchors(self, length):
        if self.frames >= length:
            raise ConfigError(f"masker.predict.frames={self.frames} leaves no past frame in a window of {length}; "
                              f"use frames < {length} or a longer protocol.window")
        anchors = np.ones(length, dtype=bool)
        anchors[length - self.frames:] = False
        return anchors
