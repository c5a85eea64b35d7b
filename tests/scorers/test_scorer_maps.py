"""Error maps: the contract on every scorer in the catalog that has ``error_map`` (built-in and third-party alike),
and the exact relations between the built-in maps and their scores."""

import numpy as np
import pytest
import torch
from scorer_pairs import PAIR_NAMES, pairs, scene

from vadbench import plugin_host
from vadbench.errors import ConfigError
from vadbench_plugins.scorers.pixel import MSEScorer, PSNRScorer
from vadbench_plugins.scorers.ssim import SSIMScorer

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
# Three seeds of the six 128x128 pairs: 18 frames, more than one CPU chunk of the chunked scorers.
FRAMES, RECONS = (torch.tensor(np.concatenate(p), dtype=torch.float32) for p in zip(*(pairs(seed=s) for s in range(3))))
IDENTICAL = [seed * len(PAIR_NAMES) + PAIR_NAMES.index("identical") for seed in range(3)]
# A 16x16 block of strong noise in the middle of a smooth 128x128 scene (ms-ssim's 5 scales need 97 px). The map's
# maximum must lie within MARGIN pixels of the block: the windowed maps spread it, cw-ssim's in 8-pixel band cells.
SIDE, BOX, MARGIN = 128, (slice(56, 72), slice(56, 72)), 12


def build(name: str, **settings):
    return plugin_host.catalog("scorer").get(name).build(**settings)


def map_names():
    return [name for name in plugin_host.catalog("scorer").names() if hasattr(build(name), "error_map")]


def noise_block() -> tuple[torch.Tensor, torch.Tensor]:
    """A frame and its reconstruction ``1 3 SIDE SIDE`` that differ only inside ``BOX``."""
    rng = np.random.default_rng(0)
    frame = scene(rng, SIDE, SIDE)
    recon = frame.copy()
    recon[:, BOX[0], BOX[1]] = rng.uniform(size=(3, 16, 16))
    return torch.tensor(frame[None], dtype=torch.float32), torch.tensor(recon[None], dtype=torch.float32)


def box_mask(margin: int) -> torch.Tensor:
    """bool ``SIDE SIDE``: ``BOX`` grown by ``margin`` pixels on every side."""
    mask = torch.zeros(SIDE, SIDE, dtype=torch.bool)
    mask[BOX[0].start - margin:BOX[0].stop + margin, BOX[1].start - margin:BOX[1].stop + margin] = True
    return mask


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", map_names())
def test_error_map_contract(name, device):
    scorer = build(name)
    x, y = FRAMES.to(device), RECONS.to(device)
    maps = scorer.error_map(x, y)
    assert maps.shape == (len(x), SIDE, SIDE) and maps.dtype == torch.float32 and maps.device == x.device
    assert maps.isfinite().all()
    torch.testing.assert_close(maps[IDENTICAL], torch.zeros_like(maps[IDENTICAL]), rtol=0, atol=1e-5)
    one_by_one = torch.cat([scorer.error_map(x[i:i + 1], y[i:i + 1]) for i in range(len(x))])
    torch.testing.assert_close(maps, one_by_one, rtol=1e-5, atol=1e-6)  # BLAS blocking may differ


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", map_names())
def test_error_map_points_at_the_changed_block(name, device):
    x, y = (t.to(device) for t in noise_block())
    error_map = build(name).error_map(x, y)[0].cpu()
    assert error_map[box_mask(MARGIN)].max() == error_map.max()
    inside = box_mask(0)
    assert error_map[inside].mean() > error_map[~inside].mean()


@pytest.mark.parametrize("name", map_names())
def test_error_map_checks_its_inputs(name):
    with pytest.raises(ConfigError, match=r"\(2, 3, 8, 8\) and \(2, 3, 8, 9\)"):
        build(name).error_map(torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 9))


@pytest.mark.parametrize("name, side, message", [("ssim", 8, "window does not fit"), ("ms-ssim", 64, "at least 97x97"),
                                                 ("cw-ssim", 32, "does not fit 32x32")])
def test_error_map_refuses_frames_the_window_does_not_fit(name, side, message):
    x = torch.rand(1, 3, side, side)
    with pytest.raises(ConfigError, match=message):
        build(name).error_map(x, x)


@pytest.mark.parametrize("name, settings", [
    ("mse", {}), ("l1", {}), ("wmse", {}), ("wmse", {"min_area": 1, "weight": "area-log"}),
    ("wmse", {"tau": 5 / 255, "min_area": 25, "weight": "area-log", "variant": "thesis-code"}),
])
def test_map_mean_over_pixels_is_the_score(name, settings):
    frames, recons = (torch.tensor(np.round(p * 255) / 255) for p in pairs(64, 64))  # float64, grey levels
    scorer = build(name, **settings)
    scores = scorer(frames, recons)
    assert scores.count_nonzero() >= 4  # not vacuous: most pairs have error (wmse: surviving blobs)
    torch.testing.assert_close(scorer.error_map(frames, recons).double().mean(dim=(1, 2)), scores.double(),
                               rtol=1e-6, atol=1e-9)


def test_wmse_map_is_zero_without_a_surviving_blob():
    x = torch.zeros(1, 3, 16, 16)
    y = x.clone()
    y[0, :, 3, 3:7] = 0.5  # a 4-pixel blob
    assert build("wmse", min_area=5).error_map(x, y).count_nonzero() == 0
    assert build("wmse", min_area=4).error_map(x, y).count_nonzero() == 4


def test_ssim_map_mean_over_the_valid_region_is_the_score():
    frames, recons = (torch.tensor(p) for p in pairs())
    scorer = SSIMScorer()
    border = scorer.window.size // 2
    valid = scorer.error_map(frames, recons)[:, border:-border, border:-border]
    torch.testing.assert_close(valid.double().mean(dim=(1, 2)), scorer(frames, recons).double(), rtol=1e-6,
                               atol=1e-7)


def test_psnr_map_is_the_mse_map():
    assert torch.equal(PSNRScorer().error_map(FRAMES, RECONS), MSEScorer().error_map(FRAMES, RECONS))
