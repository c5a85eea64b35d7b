"""The protocol's windows: where the test windows of a video start (stride S from frame 0, plus one window flush
with the video's end), and the fixed anchor rule every masker that infers on equal terms uses."""

from __future__ import annotations

import numpy as np

from vadbench.errors import ConfigError


def window_starts(num_frames: int, length: int, stride: int) -> np.ndarray:
    """int64 ``w`` first frames of the windows of ``length`` frames that cover a video of ``num_frames`` frames.

    The starts are 0, S, 2S, ... while ``start + length <= num_frames``, then ``num_frames - length`` if the last of
    those windows does not already end at the video's end. Empty when the video is shorter than one window: the
    runner then reports all its frames as unscored.
    """
    if length < 1 or stride < 1:
        raise ConfigError(f"window length and stride must be at least 1, got length={length}, stride={stride}")
    if num_frames < 0:
        raise ConfigError(f"a video cannot have {num_frames} frames")
    if num_frames < length:
        return np.empty(0, dtype=np.int64)
    starts = np.arange(0, num_frames - length + 1, stride, dtype=np.int64)
    if starts[-1] + length < num_frames:
        starts = np.append(starts, num_frames - length)
    return starts


def selective_anchors(length: int) -> np.ndarray:
    """bool ``l`` anchors: the first two frames, every frame whose offset is 0 or 1 mod 10, and the last two.

    For ``length = 30`` the anchors are {0, 1, 10, 11, 20, 21, 28, 29}; the other 22 frames are reconstructed.
    """
    if length < 4:
        raise ConfigError(f"a window needs at least 4 frames to have anchors and masked frames, got {length}")
    offsets = np.arange(length)
    anchors = (offsets % 10 == 0) | (offsets % 10 == 1)
    anchors[-2:] = True
    return anchors
