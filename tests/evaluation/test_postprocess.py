import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from vadbench.errors import ConfigError
from vadbench.evaluation.postprocess import minmax, smooth


def reference_smooth(scores, sigma):
    """Each scored frame: the Gaussian-weighted mean of the scored frames within 4 sigma (scipy's truncation)."""
    radius = int(4 * sigma + 0.5)
    out = np.full(scores.size, np.nan)
    for frame in np.flatnonzero(~np.isnan(scores)):
        near = np.arange(max(0, frame - radius), min(scores.size, frame + radius + 1))
        near = near[~np.isnan(scores[near])]
        weights = np.exp(-0.5 * ((near - frame) / sigma) ** 2)
        out[frame] = np.sum(weights * scores[near]) / np.sum(weights)
    return out


def test_sigma_zero_is_the_identity():
    scores = np.array([0.3, np.nan, 0.1])
    np.testing.assert_array_equal(smooth(scores, 0), scores)


@pytest.mark.parametrize("sigma", [1.0, 3.0, 7.5])
def test_interior_of_a_fully_scored_video_equals_gaussian_filter1d(sigma):
    scores = np.random.default_rng(0).random(200)
    radius = int(4 * sigma + 0.5)
    inner = slice(radius, -radius)
    np.testing.assert_allclose(smooth(scores, sigma)[inner], gaussian_filter1d(scores, sigma)[inner], rtol=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 3.0])
def test_ends_and_gaps_renormalise_over_the_scored_frames(sigma):
    scores = np.random.default_rng(1).random(80)
    scores[[0, 1, 10, 11, 40, 41, 42, 77, 78, 79]] = np.nan
    smoothed = smooth(scores, sigma)
    np.testing.assert_array_equal(np.isnan(smoothed), np.isnan(scores))  # NaN stays NaN, nothing else becomes NaN
    np.testing.assert_allclose(smoothed, reference_smooth(scores, sigma), rtol=1e-12, equal_nan=True)


def test_a_constant_video_stays_constant():
    scores = np.full(50, 4.0)
    scores[[0, 1, 20]] = np.nan
    np.testing.assert_allclose(smooth(scores, 3.0)[~np.isnan(scores)], 4.0, rtol=1e-12)


@pytest.mark.parametrize("sigma", [-1.0, np.nan, np.inf])
def test_bad_sigma(sigma):
    with pytest.raises(ConfigError, match="sigma"):
        smooth(np.zeros(5), sigma)


def test_minmax():
    np.testing.assert_allclose(minmax(np.array([2.0, np.nan, 4.0, 3.0])), [0.0, np.nan, 1.0, 0.5])
    np.testing.assert_array_equal(minmax(np.array([5.0, np.nan, 5.0])), [0.0, np.nan, 0.0])  # constant -> zeros
    assert np.isnan(minmax(np.full(3, np.nan))).all()
