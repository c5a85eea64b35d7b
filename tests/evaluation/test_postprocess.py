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


@pytest.mark.parametrize("boundary", ["reflect", "constant"])
@pytest.mark.parametrize("sigma", [1.0, 3.0, 7.0])
def test_reflect_and_constant_are_exactly_scipys_modes_on_a_fully_scored_video(boundary, sigma):
    scores = np.random.default_rng(2).random(120)
    np.testing.assert_allclose(smooth(scores, sigma, boundary), gaussian_filter1d(scores, sigma, mode=boundary),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("boundary", ["renormalise", "reflect", "constant"])
def test_the_boundary_rules_agree_away_from_the_ends_and_keep_gaps_unscored(boundary):
    scores = np.random.default_rng(3).random(100)
    scores[[30, 31, 32]] = np.nan
    smoothed = smooth(scores, 2.0, boundary)
    np.testing.assert_array_equal(np.isnan(smoothed), np.isnan(scores))
    np.testing.assert_allclose(smoothed[12:-12], smooth(scores, 2.0)[12:-12], rtol=1e-12, equal_nan=True)
    assert boundary == "renormalise" or not np.allclose(smoothed[:3], smooth(scores, 2.0)[:3])


def test_an_unknown_boundary_names_the_choices():
    with pytest.raises(ConfigError, match="renormalise, reflect, constant"):
        smooth(np.zeros(5), 1.0, "wrap")


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
