"""Object maps (``f h w`` integer images, 0 = background, k = object k) to per-object boxes and tracks."""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int, int]  # (frame, x_min, y_min, x_max, y_max), inclusive pixels

# ``scipy.ndimage.label``'s structure for a stack of frames ``f h w``: a pixel's 8 neighbours in its frame, none in
# the frames before or after, so one call labels every frame on its own.
IN_PLANE_8 = np.zeros((3, 3, 3), dtype=bool)
IN_PLANE_8[1] = True


def object_boxes(object_map: np.ndarray, object_id: int, frames: np.ndarray | None = None) -> tuple[Box, ...]:
    """The bounding box of every pixel of ``object_id`` in each frame where it is visible.

    ``frames`` (int ``n``) restricts the search to those frame indices.
    """
    indices = np.arange(len(object_map)) if frames is None else np.asarray(frames)
    mask = object_map[indices] == object_id
    rows, cols = mask.any(axis=2), mask.any(axis=1)  # n h, n w
    boxes = []
    for k in np.flatnonzero(rows.any(axis=1)):
        ys, xs = np.flatnonzero(rows[k]), np.flatnonzero(cols[k])
        boxes.append((int(indices[k]), int(xs[0]), int(ys[0]), int(xs[-1]), int(ys[-1])))
    return tuple(boxes)
