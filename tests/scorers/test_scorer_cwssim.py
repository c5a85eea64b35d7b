"""cw-ssim against a float64 reference built on pyrtools' complex steerable pyramid, and the analytic value
2g / (1 + g^2) for a brightness gain g."""

import numpy as np
import pyrtools as pt
import pytest
import torch
from scipy.signal import correlate2d
from scorer_pairs import pairs

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.cwssim import CWSSIMScorer, steerable_band_responses

FRAMES, RECONS = pairs()
LUMA = np.array([0.299, 0.587, 0.114])


def cwssim_reference(a: np.ndarray, b: np.ndarray, level: int = 4, orientations: int = 8, win: int = 7) -> float:
    """MATLAB cwssim_index(luma_a, luma_b, level, orientations, 0, 0) in float64 on pyrtools."""
    bands = [pt.pyramids.SteerablePyramidFreq(np.tensordot(LUMA, img, axes=1), height=level,
                                              order=orientations - 1, is_complex=True).pyr_coeffs
             for img in (a, b)]
    box = np.full((win, win), 1 / win**2)
    values = []
    for o in range(orientations):
        b1, b2 = bands[0][(level - 1, o)], bands[1][(level - 1, o)]
        corr = correlate2d(b1 * np.conj(b2), box, "valid")
        energy = correlate2d(np.abs(b1) ** 2 + np.abs(b2) ** 2, box, "valid")
        rows, cols = b1.shape
        sigma = rows / 4  # fspecial('gaussian', [rows cols] - win + 1, M / 4): the height's quarter on both axes
        g_rows, g_cols = (np.exp(-((np.arange(n - win + 1) - (n - win) / 2) ** 2) / (2 * sigma**2)) for n in (rows, cols))
        pooling = np.outer(g_rows, g_cols) / np.outer(g_rows, g_cols).sum()
        values.append(((2 * np.abs(corr) / energy) * pooling).sum())
    return 1 - float(np.mean(values))


@pytest.mark.parametrize("h, w, level", [(128, 128, 4), (96, 128, 3), (64, 64, 2)])
def test_band_responses_reproduce_pyrtools_bands(h, w, level):
    image = np.random.default_rng(0).random((h, w))
    pyramid = pt.pyramids.SteerablePyramidFreq(image, height=level, order=7, is_complex=True)
    (top, left), responses = steerable_band_responses(h, w, level, 8)
    hb, wb = responses.shape[-2:]
    window = np.fft.fftshift(np.fft.fft2(image))[top:top + hb, left:left + wb]
    for o in range(8):
        band = np.fft.ifft2(np.fft.ifftshift(window * responses[o]))
        np.testing.assert_allclose(band, pyramid.pyr_coeffs[(level - 1, o)], atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cw_ssim_matches_the_pyrtools_reference(dtype):
    scores = CWSSIMScorer()(torch.tensor(FRAMES, dtype=dtype), torch.tensor(RECONS, dtype=dtype))
    expected = [cwssim_reference(a, b) for a, b in zip(FRAMES, RECONS)]
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("h, w, level", [(96, 160, 3), (160, 128, 4)])
def test_cw_ssim_matches_the_reference_on_non_square_frames(h, w, level):
    rng = np.random.default_rng(1)
    frames = rng.random((2, 3, h, w))
    recons = np.clip(frames + 0.1 * rng.normal(size=frames.shape), 0, 1)
    scores = CWSSIMScorer(level=level)(torch.tensor(frames), torch.tensor(recons))
    expected = [cwssim_reference(a, b, level=level) for a, b in zip(frames, recons)]
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-6)


def test_gain_gives_the_analytic_value_and_offset_and_identity_are_free():
    x = torch.tensor(FRAMES[1:2], dtype=torch.float32)
    for gain in (0.5, 0.9):
        assert CWSSIMScorer()(x, gain * x + 0.05).item() == pytest.approx(1 - 2 * gain / (1 + gain**2), abs=1e-6)
    assert CWSSIMScorer()(x, x).item() == 0.0


def test_impossible_level_names_sizes_and_fix():
    x = torch.rand(1, 3, 32, 32)
    with pytest.raises(ConfigError, match=r"level 4 does not fit 32x32.*at most 3 levels.*level=3"):
        CWSSIMScorer()(x, x)
    with pytest.raises(ConfigError, match="orientations"):
        CWSSIMScorer(orientations=1)
