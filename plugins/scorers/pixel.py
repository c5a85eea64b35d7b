"""Pixel-wise scorers: mean squared error, mean absolute error and negative PSNR (data range 1)."""

from __future__ import annotations

import torch

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.inputs import checked_pair


class MSEScorer:
    """MSE ``n`` = mean over channels and pixels of (x - x_hat)^2."""

    name = "mse"

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        x, y = checked_pair(self.name, frames, reconstructions)
        return (x - y).square().mean(dim=(1, 2, 3)).float()


class L1Scorer:
    """L1 ``n`` = mean over channels and pixels of |x - x_hat|."""

    name = "l1"

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        x, y = checked_pair(self.name, frames, reconstructions)
        return (x - y).abs().mean(dim=(1, 2, 3)).float()


class PSNRScorer:
    """-PSNR ``n`` = -10 log10(1 / max(MSE, mse_floor)) = 10 log10(max(MSE, mse_floor)), data range 1.

    The floor keeps identical frames finite: 1e-10 caps PSNR at 100 dB, so they score -100."""

    name = "psnr"

    def __init__(self, mse_floor: float = 1e-10) -> None:
        if not mse_floor > 0:
            raise ConfigError(f"scorer.psnr.mse_floor must be > 0 (got {mse_floor}); 1e-10 caps PSNR at 100 dB")
        self.mse_floor = float(mse_floor)

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        x, y = checked_pair(self.name, frames, reconstructions)
        mse = (x - y).square().mean(dim=(1, 2, 3))
        return (10 * torch.log10(mse.clamp_min(self.mse_floor))).float()
