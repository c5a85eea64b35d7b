"""The Gaussian diffusion schedule (linear betas) with epsilon, x0 or v prediction, and RaMViD's masked loss.

Videos are ``b c f h w`` in [-1, 1]; ``anchors`` are bool ``b f`` (True = clean conditioning frame). Anchor
frames are fed clean at the clip's timestep and excluded from the loss. The schedule knows nothing about the
network: ``model(x_t, t, anchors) -> prediction`` is any callable, whose output is read according to the
``parameterisation`` (what the network is trained to predict):

- ``eps``: the noise (DDPM, RaMViD);
- ``x0``: the clean video;
- ``v``: ``sqrt(abar) eps - sqrt(1 - abar) x0`` (Salimans & Ho 2022).

All three share the same loss normalisation (MSE over the masked elements of a clip); they differ in how the
error at each timestep is weighted relative to the error on ``x0``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from vadbench.errors import ConfigError

DenoiserModel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
PARAMETERISATIONS = ("eps", "x0", "v")


class GaussianDiffusion:
    """``T`` steps of linear betas from ``beta_start`` to ``beta_end`` (scaled by 1000 / T, as improved-diffusion).

    Tables are float64 numpy arrays, indexed by integer timesteps ``0 .. T - 1``.
    """

    def __init__(self, steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02,
                 parameterisation: str = "eps") -> None:
        if steps < 1:
            raise ConfigError(f"diffusion steps must be >= 1, got {steps}")
        if parameterisation not in PARAMETERISATIONS:
            raise ConfigError(f"parameterisation '{parameterisation}' is unknown; valid: {', '.join(PARAMETERISATIONS)}")
        scale = 1000 / steps
        self.steps = steps
        self.parameterisation = parameterisation
        self.betas = np.linspace(beta_start * scale, beta_end * scale, steps, dtype=np.float64)
        self.alphas_cumprod = np.cumprod(1.0 - self.betas)

    def gather(self, table: np.ndarray, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``table[t]`` as a ``b 1 1 1 1`` tensor with ``like``'s device and dtype."""
        values = torch.from_numpy(table).to(t.device)[t]
        return values.to(like.dtype).reshape(-1, *([1] * (like.ndim - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise ``x0`` to step ``t``: ``sqrt(abar_t) x0 + sqrt(1 - abar_t) noise``."""
        abar = self.gather(self.alphas_cumprod, t, x0)
        return abar.sqrt() * x0 + (1 - abar).sqrt() * noise

    def target(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """What the network learns to output at ``x_t = q_sample(x0, t, noise)``."""
        if self.parameterisation == "eps":
            return noise
        if self.parameterisation == "x0":
            return x0
        abar = self.gather(self.alphas_cumprod, t, x0)
        return abar.sqrt() * noise - (1 - abar).sqrt() * x0

    def predict_x0(self, output: torch.Tensor, x_t: torch.Tensor, abar: float) -> torch.Tensor:
        """The clean video implied by the network's ``output`` at ``x_t`` with cumulative alpha ``abar``."""
        if self.parameterisation == "eps":
            return (x_t - (1 - abar) ** 0.5 * output) / abar**0.5
        if self.parameterisation == "x0":
            return output
        return abar**0.5 * x_t - (1 - abar) ** 0.5 * output

    def training_loss(self, model: DenoiserModel, x0: torch.Tensor, anchors: torch.Tensor, t: torch.Tensor,
                      noise: torch.Tensor) -> torch.Tensor:
        """MSE of the network's prediction over the non-anchor frames, per clip normalised by its masked
        elements, mean over clips.

        ``x0``, ``noise``: ``b c f h w``; ``anchors``: bool ``b f``; ``t``: ``b`` (one timestep per clip).
        """
        keep = anchors[:, None, :, None, None]
        if bool(anchors.all(dim=1).any()):
            raise ValueError("every training clip needs at least one non-anchor frame to have a loss")
        x_t = torch.where(keep, x0, self.q_sample(x0, t, noise))
        masked = (~keep).to(x0.dtype).expand_as(x0)
        error = (self.target(x0, t, noise) - model(x_t, t, anchors).to(noise.dtype)) ** 2 * masked
        return (error.sum(dim=(1, 2, 3, 4)) / masked.sum(dim=(1, 2, 3, 4))).mean()
