"""The ``selective`` masker: the same fixed anchors in training and inference (the thesis's design)."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_maskers(register):
    register("selective", SelectiveMasker,
             description="Fixed anchors: first two frames, every offset 0 or 1 mod 10, last two; train = test.")


class SelectiveMasker:
    """Anchors {0, 1, 10, 11, 20, 21, 28, 29} of a 30-frame window, in training and at inference alike."""

    name = "selective"

    def training_anchors(self, length, rng):
        from vadbench.masking import selective_anchors

        return selective_anchors(length)

    def inference_anchors(self, length):
        from vadbench.masking import selective_anchors

        return selective_anchors(length)
