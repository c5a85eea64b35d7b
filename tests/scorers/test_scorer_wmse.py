"""wmse against a float64 numpy version of the thesis formula labelled with scikit-image (8-connectivity),
the thesis-code variant against its own numpy version, and hand-made blobs."""

import numpy as np
import pytest
import torch
from scorer_pairs import pairs
from skimage.measure import label

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.wmse import WMSEScorer

WEIGHT_FUNCTIONS = {"area": lambda a: a, "area-log1p": lambda a: a * np.log1p(a),
                    "area-log": lambda a: a * np.log(a), "one": lambda a: 1.0}


def reference(x: np.ndarray, y: np.ndarray, tau: float, min_area: int, weight: str, variant: str) -> float:
    """One frame pair ``3 h w`` in float64, labelled by skimage.measure.label(connectivity=2)."""
    if variant == "thesis":
        d = np.abs(x.mean(axis=0) - y.mean(axis=0))
        active, error = d >= tau, ((x - y) ** 2).mean(axis=0)
    else:
        error = np.abs(np.round(x * 255) - np.round(y * 255)).mean(axis=0)
        active = error > round(tau * 255)  # the thesis code compares with whole grey levels (d > 5)
    labels = label(active, connectivity=2)
    weights = np.zeros(active.shape)
    for k in range(1, labels.max() + 1):
        area = (labels == k).sum()
        if area >= min_area:
            weights[labels == k] = WEIGHT_FUNCTIONS[weight](float(area))
    return float((weights * error).sum() / weights.sum()) if weights.sum() > 0 else 0.0


@pytest.mark.parametrize("weight", ["area", "area-log1p", "area-log", "one"])
@pytest.mark.parametrize("tau, min_area", [(0.04, 5), (0.1, 10), (0.02, 40)])
def test_thesis_variant_matches_the_numpy_formula(weight, tau, min_area):
    frames, recons = pairs(64, 64)
    gap = np.abs(np.abs(frames.mean(1) - recons.mean(1)) - tau).min()
    assert gap > 1e-6  # no discrepancy within rounding of tau
    scores = WMSEScorer(tau=tau, min_area=min_area, weight=weight)(torch.tensor(frames, dtype=torch.float32),
                                                                   torch.tensor(recons, dtype=torch.float32))
    expected = [reference(a, b, tau, min_area, weight, "thesis") for a, b in zip(frames, recons)]
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_thesis_code_variant_on_grey_levels():
    frames, recons = (np.round(p * 255) / 255 for p in pairs(64, 64))
    scorer = WMSEScorer(tau=5 / 255, min_area=25, weight="area-log", variant="thesis-code")
    scores = scorer(torch.tensor(frames, dtype=torch.float32), torch.tensor(recons, dtype=torch.float32))
    expected = [reference(a, b, 5 / 255, 25, "area-log", "thesis-code") for a, b in zip(frames, recons)]
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5)
    assert scores[0] > 5  # grey levels, not [0, 1] units


def blobs(*boxes_or_pixels) -> tuple[torch.Tensor, torch.Tensor]:
    """A black frame and a reconstruction with value 0.5 at the given pixels."""
    x = torch.zeros(1, 3, 16, 16)
    y = x.clone()
    for r, c in boxes_or_pixels:
        y[0, :, r, c] = 0.5
    return x, y


def test_a_diagonal_is_one_blob_and_min_area_is_inclusive():
    diagonal = [(i, i) for i in range(5)]
    assert WMSEScorer(min_area=5)(*blobs(*diagonal)).item() == pytest.approx(0.25)
    assert WMSEScorer(min_area=6)(*blobs(*diagonal)).item() == 0.0


def test_large_blobs_outweigh_small_ones():
    x, y = blobs(*[(i, 0) for i in range(10)], (12, 12), (12, 13))
    y[0, :, 12, 12:14] = 0.1  # a 2-pixel blob with a smaller error
    by_area = WMSEScorer(min_area=1, weight="area")(x, y).item()
    uniform = WMSEScorer(min_area=1, weight="one")(x, y).item()
    assert by_area == pytest.approx((10 * 10 * 0.25 + 2 * 2 * 0.01) / (10 * 10 + 2 * 2))
    assert uniform == pytest.approx((10 * 0.25 + 2 * 0.01) / 12)


def test_tau_boundary_is_inclusive_and_noise_below_tau_scores_zero():
    x = torch.zeros(1, 3, 8, 8)
    assert WMSEScorer(tau=0.5, min_area=1)(x, x + 0.5).item() == pytest.approx(0.25)
    assert WMSEScorer(tau=0.5, min_area=1)(x, x + 0.49).item() == 0.0


def test_bad_settings_are_config_errors():
    for bad in ({"variant": "paper"}, {"weight": "log"}, {"tau": 5}, {"min_area": 0}):
        with pytest.raises(ConfigError):
            WMSEScorer(**bad)
