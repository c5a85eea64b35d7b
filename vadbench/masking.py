"""The fixed anchor rule of the protocol, shared by every masker that infers on equal terms."""

from __future__ import annotations

import numpy as np


def selective_anchors(length: int) -> np.ndarray:
    """bool ``l`` anchors: the first two frames, every frame whose offset is 0 or 1 mod 10, and the last two.

    For ``length = 30`` the anchors are {0, 1, 10, 11, 20, 21, 28, 29}; the other 22 frames are reconstructed.
    """
    if length < 4:
        raise ValueError(f"a window needs at least 4 frames to have anchors and masked frames, got {length}")
    offsets = np.arange(length)
    anchors = (offsets % 10 == 0) | (offsets % 10 == 1)
    anchors[-2:] = True
    return anchors
