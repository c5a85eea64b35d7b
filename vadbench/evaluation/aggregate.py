"""From per-window errors to per-frame scores: a frame's score comes only from the windows in which it is masked."""

from __future__ import annotations

import numpy as np

from vadbench.errors import ConfigError, EvaluationError

AGGREGATIONS = ("max", "mean")


def frame_scores(
    num_frames: int,
    starts: np.ndarray,
    anchors: np.ndarray,
    window_errors: np.ndarray,
    how: str = "max",
) -> np.ndarray:
    """float64 ``f`` scores: per frame, the max (or mean) of its errors over the windows in which it is MASKED.

    ``starts`` int ``w`` are the windows' first frames, ``anchors`` bool ``l`` the anchor set shared by every window
    and ``window_errors`` float ``w l`` the scorer's errors (anchor positions are ignored, NaN by convention). A
    frame's appearances as an anchor never enter its score; a frame masked in no window is NaN (unscored).
    """
    if how not in AGGREGATIONS:
        raise ConfigError(f"aggregate must be one of {', '.join(AGGREGATIONS)}, got {how!r}")
    starts = np.asarray(starts, dtype=np.int64)
    anchors = np.asarray(anchors, dtype=bool)
    window_errors = np.asarray(window_errors, dtype=np.float64)
    if starts.ndim != 1 or anchors.ndim != 1 or window_errors.shape != (starts.size, anchors.size):
        raise EvaluationError(
            f"window errors of shape {window_errors.shape} do not match {starts.size} window starts x "
            f"{anchors.size} frames per window; pass one row of errors per start"
        )
    if starts.size and (starts.min() < 0 or starts.max() + anchors.size > num_frames):
        raise EvaluationError(
            f"windows of {anchors.size} frames starting at {starts.min()}..{starts.max()} run outside a video of "
            f"{num_frames} frames; compute the starts with window_starts(num_frames, length, stride)"
        )
    masked = ~anchors
    frames = (starts[:, None] + np.flatnonzero(masked)[None, :]).ravel()  # (w m) frame index of each masked error
    errors = window_errors[:, masked].ravel()
    if not np.isfinite(errors).all():
        raise EvaluationError("a scorer returned a non-finite error for a masked frame; errors must be finite")
    counts = np.bincount(frames, minlength=num_frames)
    if how == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.bincount(frames, weights=errors, minlength=num_frames) / counts
    else:
        scores = np.full(num_frames, -np.inf)
        np.maximum.at(scores, frames, errors)
    scores[counts == 0] = np.nan
    return scores


def fill_nearest(scores: np.ndarray) -> np.ndarray:
    """float ``f`` copy of ``scores`` whose NaN frames take the score of the nearest scored frame (ties: the earlier).

    A video with no scored frame stays all NaN.
    """
    scores = np.asarray(scores, dtype=np.float64)
    scored = np.flatnonzero(~np.isnan(scores))
    if scored.size == 0 or scored.size == scores.size:
        return scores.copy()
    frames = np.arange(scores.size)
    right = np.clip(np.searchsorted(scored, frames), 1, scored.size - 1) if scored.size > 1 else np.zeros_like(frames)
    left = np.maximum(right - 1, 0)
    use_left = np.abs(frames - scored[left]) <= np.abs(scored[right] - frames)
    return scores[np.where(use_left, scored[left], scored[right])]
