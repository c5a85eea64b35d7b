"""Per-video post-processing of frame scores: Gaussian smoothing over time and min-max normalisation.

Both work on one video at a time and keep unscored frames (NaN) unscored.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from vadbench.errors import ConfigError


def smooth(scores: np.ndarray, sigma: float) -> np.ndarray:
    """float64 ``f`` Gaussian-smoothed scores of one video; ``sigma`` in frames, 0 = no smoothing.

    Each scored frame becomes the Gaussian-weighted mean of the scored frames around it, weighted by their distance
    in frames (``scipy.ndimage.gaussian_filter1d``, truncated at 4 sigma). Boundary rule: frames beyond the video's
    ends and unscored (NaN) frames carry no weight and the weights of the rest are renormalised, so nothing is
    invented at the ends or across gaps (a constant video stays constant; zero padding, ``mode="constant"``, would
    pull the ends towards 0). Away from the ends and from NaN this equals ``gaussian_filter1d(scores, sigma)``.
    NaN frames stay NaN.
    """
    if not sigma >= 0 or not np.isfinite(sigma):
        raise ConfigError(f"sigma is the smoothing width in frames, a number >= 0 (0 = none); got {sigma!r}")
    scores = np.asarray(scores, dtype=np.float64)
    if sigma == 0:
        return scores.copy()
    scored = ~np.isnan(scores)
    values = gaussian_filter1d(np.where(scored, scores, 0.0), sigma, mode="constant", cval=0.0)
    weights = gaussian_filter1d(scored.astype(np.float64), sigma, mode="constant", cval=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scored, values / weights, np.nan)


def minmax(scores: np.ndarray) -> np.ndarray:
    """float64 ``f`` scores of one video rescaled to [0, 1] over its scored frames; a constant video -> zeros.

    NaN frames stay NaN; an all-NaN video stays all NaN.
    """
    scores = np.asarray(scores, dtype=np.float64)
    scored = ~np.isnan(scores)
    if not scored.any():
        return scores.copy()
    low, high = scores[scored].min(), scores[scored].max()
    if high == low:
        return np.where(scored, 0.0, np.nan)
    return (scores - low) / (high - low)
