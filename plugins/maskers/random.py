"""The ``random`` masker (RaMViD): random anchors in training, the selective anchors at inference."""

from __future__ import annotations

import numpy as np

from vadbench.errors import ConfigError
from vadbench.evaluation.windows import selective_anchors


class RandomMasker:
    """Per training clip: with probability ``p_uncond`` no anchors (every frame noised and in the loss), else
    ``r ~ U{1..max_anchors}`` distinct anchors drawn uniformly. Inference uses ``selective_anchors`` so both
    maskers are evaluated on the same windows."""

    name = "random"

    def __init__(self, p_uncond: float = 0.25, max_anchors: int = 4) -> None:
        if not 0.0 <= p_uncond <= 1.0:
            raise ConfigError(f"masker.random.p_uncond must be a probability in [0, 1], got {p_uncond}")
        if not isinstance(max_anchors, int) or max_anchors < 1:
            raise ConfigError(f"masker.random.max_anchors must be an integer >= 1, got {max_anchors!r}")
        self.p_uncond = p_uncond
        self.max_anchors = max_anchors

    def training_anchors(self, length, rng):
        anchors = np.zeros(length, dtype=bool)
        if rng.random() < self.p_uncond:
            return anchors
        count = int(rng.integers(1, min(self.max_anchors, length - 1) + 1))
        anchors[rng.choice(length, size=count, replace=False)] = True
        return anchors

    def inference_anchors(self, length):
        return selective_anchors(length)
