"""Where the test windows of a video start: stride S from frame 0, plus one window flush with the video's end."""

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
