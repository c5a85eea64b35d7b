"""mse, l1 and psnr against scikit-image and numpy in float64."""

import numpy as np
import pytest
import torch
from scorer_pairs import pairs
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.pixel import L1Scorer, MSEScorer, PSNRScorer

FRAMES, RECONS = pairs(64, 48)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mse_l1_match_skimage_and_numpy(dtype):
    x, y = torch.tensor(FRAMES, dtype=dtype), torch.tensor(RECONS, dtype=dtype)
    mse = [mean_squared_error(a, b) for a, b in zip(FRAMES, RECONS)]
    l1 = np.abs(FRAMES - RECONS).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(MSEScorer()(x, y).numpy(), mse, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(L1Scorer()(x, y).numpy(), l1, rtol=1e-6, atol=1e-9)


def test_psnr_is_minus_skimage_psnr_and_floored_for_identical_frames():
    scores = PSNRScorer()(torch.tensor(FRAMES, dtype=torch.float32), torch.tensor(RECONS, dtype=torch.float32))
    expected = [-peak_signal_noise_ratio(a, b, data_range=1.0) for a, b in zip(FRAMES[:-1], RECONS[:-1])]
    np.testing.assert_allclose(scores[:-1].numpy(), expected, atol=1e-4)  # dB
    assert scores[-1].item() == pytest.approx(-100.0)  # identical frames: MSE floored at 1e-10
    assert PSNRScorer(mse_floor=1e-6)(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8)).item() == pytest.approx(-60.0)


def test_bad_floor_and_mismatched_pairs_are_config_errors():
    with pytest.raises(ConfigError, match="mse_floor"):
        PSNRScorer(mse_floor=0)
    with pytest.raises(ConfigError, match=r"\(2, 3, 8, 8\) and \(2, 3, 8, 9\)"):
        MSEScorer()(torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 9))
    with pytest.raises(ConfigError, match="divide uint8 frames by 255"):
        L1Scorer()(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
