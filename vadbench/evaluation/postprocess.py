"""Per-video post-processing of frame scores: Gaussian smoothing over time and min-max normalisation.

Both work on one video at a time and keep unscored frames (NaN) unscored.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from vadbench.errors import ConfigError


BOUNDARIES = ("renormalise", "reflect", "constant")


def smooth(scores: np.ndarray, sigma: float, boundary: str = "renormalise") -> np.ndarray:
    """float64 ``f`` Gaussian-smoothed scores of one video; ``sigma`` in frames, 0 = no smoothing.

    Each scored frame becomes the Gaussian-weighted mean of the scored frames around it, weighted by their distance
    in frames (``scipy.ndimage.gaussian_filter1d``, truncated at 4 sigma). Unscored (NaN) frames carry no weight and
    the weights of the rest are renormalised, so nothing is invented across gaps; NaN frames stay NaN. ``boundary``
    says what lies beyond the video's ends:

    - "renormalise": nothing; the ends are the mean over the frames that exist (a constant video stays constant);
    - "reflect": the video mirrored, scipy's default mode: exactly ``gaussian_filter1d(scores, sigma)`` on a video
      without NaN (Accurate-Interpretable-VAD);
    - "constant": zeros, exactly ``gaussian_filter1d(scores, sigma, mode="constant")`` on a video without NaN
      (the UBnormal script's commented-out smoothing); pulls the ends towards 0.

    Away from the ends and from NaN the three agree.
    """
    if not sigma >= 0 or not np.isfinite(sigma):
        raise ConfigError(f"sigma is the smoothing width in frames, a number >= 0 (0 = none); got {sigma!r}")
    if boundary not in BOUNDARIES:
        raise ConfigError(f"smoothing boundary must be one of {', '.join(BOUNDARIES)}, got {boundary!r}")
    scores = np.asarray(scores, dtype=np.float64)
    if sigma == 0:
        return scores.copy()
    scored = ~np.isnan(scores)
    mode = "constant" if boundary == "renormalise" else boundary
    # beyond the ends: renormalise gives the missing frames no weight; constant gives them weight and value 0
    outside_weight = 1.0 if boundary == "constant" else 0.0
    values = gaussian_filter1d(np.where(scored, scores, 0.0), sigma, mode=mode, cval=0.0)
    weights = gaussian_filter1d(scored.astype(np.float64), sigma, mode=mode, cval=outside_weight)
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
