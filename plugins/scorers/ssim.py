"""SSIM (Wang et al. 2004) and MS-SSIM (Wang et al. 2003), batched torch, scored as 1 - index.

Both follow the reference MATLAB code: a Gaussian window over the 'valid' region only, population moments,
C1 = (K1 L)^2 and C2 = (K2 L)^2 with data range L = 1, RGB channels scored separately and then averaged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.filters import SeparableValidFilter, gaussian_taps
from vadbench_plugins.scorers.inputs import ChunkedScorer, checked_pair

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _window(scorer: str, win_size: int, sigma: float, k1: float, k2: float) -> SeparableValidFilter:
    if not (isinstance(win_size, int) and win_size >= 1 and win_size % 2 == 1):
        raise ConfigError(f"scorer.{scorer}.win_size must be an odd positive integer (got {win_size!r})")
    if not sigma > 0:
        raise ConfigError(f"scorer.{scorer}.sigma must be > 0 (got {sigma!r})")
    if not (k1 > 0 and k2 > 0):
        raise ConfigError(f"scorer.{scorer}.k1 and k2 must be > 0 (got {k1!r}, {k2!r}); Wang uses 0.01 and 0.03")
    return SeparableValidFilter(gaussian_taps(win_size, sigma))


def ssim_maps(x: torch.Tensor, y: torch.Tensor, window: SeparableValidFilter, c1: float, c2: float):
    """Luminance and contrast-structure maps, each ``n c h' w'`` over the valid region, of ``x`` and ``y``
    (``n c h w``). Their product is the SSIM map."""
    mu_x, mu_y, xx, yy, xy = window(torch.stack([x, y, x * x, y * y, x * y])).unbind(0)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    luminance = (2 * mu_xy + c1) / (mu_xx + mu_yy + c1)
    contrast_structure = (2 * (xy - mu_xy) + c2) / ((xx - mu_xx) + (yy - mu_yy) + c2)
    return luminance, contrast_structure


class SSIMScorer(ChunkedScorer):
    """1 - SSIM ``n``: the mean SSIM map per channel, averaged over channels.

    Error map ``n h w``: 1 - the SSIM map averaged over channels on the valid region, its edge values replicated
    over the ``(win_size - 1) / 2``-pixel border; its mean over the valid region is the score."""

    name = "ssim"

    def __init__(self, win_size: int = 11, sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> None:
        self.window = _window(self.name, win_size, sigma, k1, k2)
        self.c1, self.c2 = k1**2, k2**2

    def _inputs(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = checked_pair(self.name, frames, reconstructions)
        h, w = x.shape[-2:]
        if not self.window.fits(h, w):
            k = self.window.size
            raise ConfigError(
                f"ssim's {k}x{k} window does not fit {h}x{w} frames; lower scorer.ssim.win_size to at most "
                f"{min(h, w) - (min(h, w) + 1) % 2} or score at a higher resolution"
            )
        return x, y

    def _similarity(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The SSIM map ``n c h' w'`` over the valid region."""
        luminance, contrast_structure = ssim_maps(x, y, self.window, self.c1, self.c2)
        return luminance * contrast_structure

    def _score(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 1 - self._similarity(x, y).mean(dim=(1, 2, 3))

    def _map(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.window.pad_back(1 - self._similarity(x, y).mean(dim=1))


def downsample(x: torch.Tensor) -> torch.Tensor:
    """2x2 mean then every second row and column (MATLAB ``msssim.m``): ``n c h w`` -> ``n c ceil(h/2)
    ceil(w/2)``; an odd last row or column is averaged with itself (symmetric padding). Four strided slices
    beat ``avg_pool2d`` several times over on CPU."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        x = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
    return (x[..., 0::2, 0::2] + x[..., 1::2, 0::2] + x[..., 0::2, 1::2] + x[..., 1::2, 1::2]) / 4


class MSSSIMScorer(ChunkedScorer):
    """1 - MS-SSIM ``n`` = 1 - mean over channels of prod_j cs_j^w_j * ssim_M^w_M.

    ``scales`` = M <= 5 uses the first M published weights, renormalised to sum 1 when M < 5. As in
    pytorch-msssim, negative cs and ssim values are clamped at 0 before the fractional powers.

    Error map ``n h w``: the usual local MS-SSIM map, 1 - the product of the upsampled per-scale maps, averaged over
    channels. Each scale's map (cs, at the coarsest scale luminance * cs) is clamped at 0 and raised to the scale's
    weight, its edge values replicated from the valid region back to the scale's size (so that a coarse scale's
    small valid region is not stretched over the frame), and resized bilinearly to ``h w``. Its mean is close to,
    not equal to, the score (the mean of a product is not the product of the means)."""

    name = "ms-ssim"

    def __init__(self, win_size: int = 7, sigma: float = 1.5, scales: int = 5, k1: float = 0.01,
                 k2: float = 0.03) -> None:
        if not (isinstance(scales, int) and 1 <= scales <= len(MS_SSIM_WEIGHTS)):
            raise ConfigError(f"scorer.ms-ssim.scales must be an integer from 1 to 5 (got {scales!r}); "
                              "weights are published for five scales")
        self.window = _window(self.name, win_size, sigma, k1, k2)
        self.win_size, self.scales = win_size, scales
        self.c1, self.c2 = k1**2, k2**2
        weights = MS_SSIM_WEIGHTS[:scales]
        self.weights = weights if scales == len(MS_SSIM_WEIGHTS) else tuple(v / sum(weights) for v in weights)

    def min_side(self) -> int:
        """The smallest frame side whose coarsest scale still holds the window."""
        return (self.win_size - 1) * 2 ** (self.scales - 1) + 1

    def _inputs(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = checked_pair(self.name, frames, reconstructions)
        h, w = x.shape[-2:]
        if min(h, w) < self.min_side():
            self._too_small(h, w)
        return x, y

    def _scale_maps(self, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
        """Per scale the map whose mean enters the index, ``n c h_j' w_j'`` over the scale's valid region: cs at
        the finer scales, luminance * cs at the coarsest."""
        maps = []
        for scale in range(self.scales):
            luminance, contrast_structure = ssim_maps(x, y, self.window, self.c1, self.c2)
            if scale < self.scales - 1:
                maps.append(contrast_structure)
                x, y = downsample(x), downsample(y)
            else:
                maps.append(luminance * contrast_structure)
        return maps

    def _score(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        factors = torch.stack([m.mean(dim=(2, 3)) for m in self._scale_maps(x, y)])  # scales n c
        weights = torch.tensor(self.weights, dtype=x.dtype, device=x.device)
        per_channel = factors.clamp_min(0).pow(weights[:, None, None]).prod(dim=0)  # n c
        return 1 - per_channel.mean(dim=1)

    def _map(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        local = [F.interpolate(self.window.pad_back(m.clamp_min(0).pow(weight)), size=size, mode="bilinear",
                               align_corners=False) for m, weight in zip(self._scale_maps(x, y), self.weights)]
        return 1 - torch.stack(local).prod(dim=0).mean(dim=1)

    def _too_small(self, h: int, w: int) -> None:
        side = min(h, w)
        scales = max((m for m in range(1, 6) if (self.win_size - 1) * 2 ** (m - 1) + 1 <= side), default=0)
        win = (side - 1) // 2 ** (self.scales - 1) + 1
        win -= 1 - win % 2
        fixes = []
        if scales:
            fixes.append(f"scorer.ms-ssim.scales={scales}")
        if win >= 3:
            fixes.append(f"scorer.ms-ssim.win_size={win}")
        fixes.append(f"frames of at least {self.min_side()}x{self.min_side()}")
        raise ConfigError(
            f"ms-ssim with {self.scales} scales and a {self.win_size}-tap window needs frames of at least "
            f"{self.min_side()}x{self.min_side()} (the coarsest scale must hold the window); got {h}x{w}; "
            f"use {' or '.join(fixes)}"
        )
