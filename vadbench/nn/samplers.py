"""Samplers that fill the non-anchor frames of videos: ancestral DDPM with respacing, and DDIM with eta.

Both walk a subsequence of the ``T`` training timesteps (evenly spaced, as improved-diffusion's respacing), clip
the predicted ``x0`` to [-1, 1], and overwrite the anchor frames of ``x_t`` with the clean frames before every
network evaluation; the returned anchor frames are the clean ones exactly. One sampling step is one network
evaluation (NFE).
"""

from __future__ import annotations

import numpy as np
import torch

from vadbench.errors import ConfigError
from vadbench.nn.diffusion import EpsModel, GaussianDiffusion

SAMPLERS = ("ddim", "ddpm")


def respaced_timesteps(total: int, steps: int) -> np.ndarray:
    """``steps`` timesteps evenly spaced over ``0 .. total - 1``, ascending, always including ``total - 1``."""
    if not 1 <= steps <= total:
        raise ConfigError(f"sampling steps must be between 1 and {total} (the diffusion steps), got {steps}")
    if steps == 1:
        return np.array([total - 1])
    return np.unique(np.round(np.linspace(0, total - 1, steps)).astype(np.int64))


@torch.no_grad()
def sample(model: EpsModel, diffusion: GaussianDiffusion, x0: torch.Tensor, anchors: torch.Tensor, *,
           method: str = "ddim", steps: int = 50, eta: float = 0.0,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Generate the non-anchor frames of ``x0`` (``b c f h w`` in [-1, 1]) given its anchor frames.

    ``anchors``: bool ``f`` or ``b f``. ``method``: "ddpm" (ancestral, fixed large variance) or "ddim" (``eta``
    = 0 deterministic, 1 ~ DDPM noise). Returns ``b c f h w`` whose anchor frames equal ``x0``'s.
    """
    if method not in SAMPLERS:
        raise ConfigError(f"unknown sampler '{method}'; valid samplers: {', '.join(SAMPLERS)}")
    if anchors.ndim == 1:
        anchors = anchors.expand(x0.shape[0], -1)
    keep = anchors.to(x0.device)[:, None, :, None, None]
    timesteps = respaced_timesteps(diffusion.steps, steps)
    abar = diffusion.alphas_cumprod[timesteps]
    abar_prev = np.concatenate([[1.0], abar[:-1]])

    x = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=torch.float32)
    for i in reversed(range(len(timesteps))):
        x = torch.where(keep, x0.float(), x)
        t = torch.full((x0.shape[0],), int(timesteps[i]), device=x0.device, dtype=torch.long)
        eps = model(x, t).float()
        a, a_prev = float(abar[i]), float(abar_prev[i])
        x0_hat = ((x - (1 - a) ** 0.5 * eps) / a**0.5).clamp(-1, 1)
        noise = torch.randn(x.shape, generator=generator, device=x.device) if i > 0 else torch.zeros_like(x)
        if method == "ddpm":
            beta = 1 - a / a_prev
            mean = (beta * a_prev**0.5 * x0_hat + (1 - a_prev) * (1 - beta) ** 0.5 * x) / (1 - a)
            x = mean + beta**0.5 * noise
        else:
            eps = (x - a**0.5 * x0_hat) / (1 - a) ** 0.5
            sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)) ** 0.5
            x = a_prev**0.5 * x0_hat + max(1 - a_prev - sigma**2, 0.0) ** 0.5 * eps + sigma * noise
    return torch.where(keep, x0.float(), x)
