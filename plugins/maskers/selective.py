"""The ``selective`` masker: the same fixed anchors in training and inference (the thesis's design)."""

from __future__ import annotations

from vadbench.evaluation.windows import selective_anchors


class SelectiveMasker:
    """Anchors {0, 1, 10, 11, 20, 21, 28, 29} of a 30-frame window, in training and at inference alike."""

    name = "selective"

    def training_anchors(self, length, rng):
        return selective_anchors(length)

    def inference_anchors(self, length):
        return selective_anchors(length)
