"""Resizing to the cache resolution: bilinear for frames, nearest neighbour for masks and object maps; never a crop."""

from __future__ import annotations

import cv2
import numpy as np


def resize_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 ``h w c`` -> ``H W c`` with ``size = (H, W)``, bilinear; the aspect ratio is not preserved."""
    height, width = size
    if frame.shape[:2] == (height, width):
        return frame
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)


def resize_labels(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Integer or bool maps ``f h w`` -> ``f H W``, nearest neighbour, so every value stays a valid label."""
    height, width = size
    if maps.shape[1:] == (height, width):
        return maps
    source = maps.view(np.uint8) if maps.dtype == bool else maps
    out = np.stack([cv2.resize(m, (width, height), interpolation=cv2.INTER_NEAREST) for m in source])
    return out.view(bool) if maps.dtype == bool else out


def scale_box(box: tuple[int, int, int, int], source: tuple[int, int], size: tuple[int, int]) -> tuple[int, ...]:
    """An inclusive pixel box (x_min, y_min, x_max, y_max) on a ``source`` (h, w) image, mapped onto ``size``."""
    sy, sx = size[0] / source[0], size[1] / source[1]
    x0, y0, x1, y1 = box
    return (int(np.floor(x0 * sx)), int(np.floor(y0 * sy)),
            int(np.ceil((x1 + 1) * sx)) - 1, int(np.ceil((y1 + 1) * sy)) - 1)
