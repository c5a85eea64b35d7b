"""The ``autoencode`` masker (e.g. Conv-AE): no anchors; every frame of the window is reconstructed."""

from __future__ import annotations

import numpy as np


class AutoencodeMasker:
    """No anchors in training or inference: the model reconstructs every frame of a window from the window itself,
    as an autoencoder does, and every frame is in the loss and scored."""

    name = "autoencode"

    def training_anchors(self, length, rng):
        return self.inference_anchors(length)

    def inference_anchors(self, length):
        return np.zeros(length, dtype=bool)
