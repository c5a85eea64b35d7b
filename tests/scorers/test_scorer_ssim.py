"""ssim against scikit-image with Wang's flags; ms-ssim against pytorch-msssim (float64 window) and a float64
numpy version of MATLAB's msssim.m for odd sizes."""

import numpy as np
import pytest
import torch
from pytorch_msssim import ms_ssim
from scipy.ndimage import correlate1d
from scorer_pairs import pairs
from skimage.metrics import structural_similarity

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.ssim import MS_SSIM_WEIGHTS, MSSSIMScorer, SSIMScorer

FRAMES, RECONS = pairs()


def wang_ssim(a: np.ndarray, b: np.ndarray) -> float:
    return structural_similarity(a.transpose(1, 2, 0), b.transpose(1, 2, 0), data_range=1.0, channel_axis=-1,
                                 gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def gaussian_window(size: int, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    taps = torch.exp(-coords**2 / (2 * sigma**2))
    return (taps / taps.sum()).reshape(1, 1, 1, size).repeat(3, 1, 1, 1)


def msssim_reference(a: np.ndarray, b: np.ndarray, win: int, weights) -> float:
    """MATLAB msssim.m in float64: valid Gaussian filtering, 2x2 mean with symmetric padding, per channel."""
    taps = np.exp(-(np.arange(win) - win // 2) ** 2 / (2 * 1.5**2))
    taps /= taps.sum()
    crop = win // 2

    def blur(img):
        return correlate1d(correlate1d(img, taps, axis=-1), taps, axis=-2)[:, crop:-crop, crop:-crop]

    factors = []
    for scale in range(len(weights)):
        mx, my = blur(a), blur(b)
        sxx, syy, sxy = blur(a * a) - mx**2, blur(b * b) - my**2, blur(a * b) - mx * my
        cs = (2 * sxy + 0.03**2) / (sxx + syy + 0.03**2)
        lum = (2 * mx * my + 0.01**2) / (mx**2 + my**2 + 0.01**2)
        factors.append((cs if scale < len(weights) - 1 else lum * cs).mean(axis=(1, 2)))
        a, b = (np.pad(v, ((0, 0), (0, v.shape[1] % 2), (0, v.shape[2] % 2)), mode="symmetric") for v in (a, b))
        a, b = ((v[:, 0::2, 0::2] + v[:, 1::2, 0::2] + v[:, 0::2, 1::2] + v[:, 1::2, 1::2]) / 4 for v in (a, b))
    per_channel = np.prod([np.maximum(f, 0) ** w for f, w in zip(factors, weights)], axis=0)
    return float(per_channel.mean())


@pytest.mark.parametrize("dtype, atol", [(torch.float32, 1e-5), (torch.float64, 1e-7)])
def test_ssim_matches_skimage_wang_settings(dtype, atol):
    scores = SSIMScorer()(torch.tensor(FRAMES, dtype=dtype), torch.tensor(RECONS, dtype=dtype))
    expected = [1 - wang_ssim(a, b) for a, b in zip(FRAMES, RECONS)]
    np.testing.assert_allclose(scores.numpy(), expected, atol=atol)


@pytest.mark.parametrize("dtype, atol", [(torch.float32, 1e-5), (torch.float64, 1e-7)])
def test_ms_ssim_matches_pytorch_msssim_with_a_float64_window(dtype, atol):
    scores = MSSSIMScorer()(torch.tensor(FRAMES, dtype=dtype), torch.tensor(RECONS, dtype=dtype))
    expected = 1 - ms_ssim(torch.tensor(FRAMES), torch.tensor(RECONS), data_range=1.0, size_average=False,
                           win=gaussian_window(7))
    np.testing.assert_allclose(scores.numpy(), expected.numpy(), atol=atol)


def test_fewer_scales_renormalise_the_published_weights():
    weights = np.array(MS_SSIM_WEIGHTS[:3]) / sum(MS_SSIM_WEIGHTS[:3])
    x, y = torch.tensor(FRAMES, dtype=torch.float32), torch.tensor(RECONS, dtype=torch.float32)
    scores = MSSSIMScorer(scales=3)(x, y)
    expected = 1 - ms_ssim(torch.tensor(FRAMES), torch.tensor(RECONS), data_range=1.0, size_average=False,
                           win=gaussian_window(7), weights=weights.tolist())
    np.testing.assert_allclose(scores.numpy(), expected.numpy(), atol=1e-5)


def test_ms_ssim_on_odd_sizes_follows_matlab_downsampling():
    frames, recons = pairs(113, 99, seed=1)
    scores = MSSSIMScorer()(torch.tensor(frames, dtype=torch.float32), torch.tensor(recons, dtype=torch.float32))
    expected = [1 - msssim_reference(a, b, 7, MS_SSIM_WEIGHTS) for a, b in zip(frames, recons)]
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-5)


def test_impossible_window_and_scales_name_sizes_and_fix():
    x = torch.rand(2, 3, 128, 128)
    with pytest.raises(ConfigError, match=r"at least 161x161.*got 128x128.*scales=4.*win_size=7"):
        MSSSIMScorer(win_size=11)(x, x)
    with pytest.raises(ConfigError, match=r"got 64x64.*scales=4"):
        MSSSIMScorer()(x[..., :64, :64], x[..., :64, :64])
    with pytest.raises(ConfigError, match=r"11x11 window does not fit 8x8"):
        SSIMScorer()(x[..., :8, :8], x[..., :8, :8])
    for bad in ({"win_size": 8}, {"sigma": 0.0}, {"k1": 0.0}):
        with pytest.raises(ConfigError):
            SSIMScorer(**bad)
    with pytest.raises(ConfigError, match="scales"):
        MSSSIMScorer(scales=6)
