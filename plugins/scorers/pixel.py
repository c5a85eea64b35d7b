"""Pixel-wise scorers: mean squared error, mean absolute error and negative PSNR (data range 1).

Each error map ``n h w`` is the per-pixel error averaged over channels, so its mean over pixels is the mse or l1
score; psnr's map is mse's.
"""

from __future__ import annotations

from typing import Callable

import torch

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.inputs import checked_pair


class MeanErrorScorer:
    """Base of the pixel-wise scorers: score ``n`` = mean over channels and pixels of ``error(x - x_hat)``
    (``n c h w``), error map ``n h w`` = its mean over channels."""

    name: str
    error: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        return self._errors(frames, reconstructions).mean(dim=(1, 2, 3)).float()

    def error_map(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        """The per-pixel error averaged over channels, ``n h w``: its mean over pixels is the score."""
        return self._errors(frames, reconstructions).mean(dim=1).float()

    def _errors(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        x, y = checked_pair(self.name, frames, reconstructions)
        return self.error(x - y)


class MSEScorer(MeanErrorScorer):
    """MSE ``n`` = mean over channels and pixels of (x - x_hat)^2."""

    name = "mse"
    error = staticmethod(torch.square)


class L1Scorer(MeanErrorScorer):
    """L1 ``n`` = mean over channels and pixels of |x - x_hat|."""

    name = "l1"
    error = staticmethod(torch.abs)


class PSNRScorer(MSEScorer):
    """-PSNR ``n`` = -10 log10(1 / max(MSE, mse_floor)) = 10 log10(max(MSE, mse_floor)), data range 1.

    The floor keeps identical frames finite: 1e-10 caps PSNR at 100 dB, so they score -100. The error map is mse's
    squared-error map: -PSNR is a monotone function of the MSE, so that map says where the error is."""

    name = "psnr"

    def __init__(self, mse_floor: float = 1e-10) -> None:
        if not mse_floor > 0:
            raise ConfigError(f"scorer.psnr.mse_floor must be > 0 (got {mse_floor}); 1e-10 caps PSNR at 100 dB")
        self.mse_floor = float(mse_floor)

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        mse = self._errors(frames, reconstructions).mean(dim=(1, 2, 3))
        return (10 * torch.log10(mse.clamp_min(self.mse_floor))).float()
