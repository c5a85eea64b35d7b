"""Samplers that fill the non-anchor frames of videos: ancestral DDPM with respacing, and DDIM with eta.

Both walk a subsequence of the ``T`` training timesteps (evenly spaced, as improved-diffusion's respacing), clip
the predicted ``x0`` to [-1, 1], and overwrite the anchor frames of ``x_t`` with the clean frames before every
network evaluation; the returned anchor frames are the clean ones exactly. One sampling step is one network
evaluation (NFE).

Every window of a batch draws its noise from its own generator (``WindowNoise``), so a window's sample depends on
its seed alone, never on which windows share its batch or ran before it in the process.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from vadbench.errors import ConfigError
from vadbench.nn.diffusion import DenoiserModel, GaussianDiffusion

SAMPLERS = ("ddim", "ddpm")


class WindowNoise:
    """Standard normal noise for a batch of ``b`` windows: window ``i`` draws from a generator seeded ``seeds[i]``."""

    def __init__(self, seeds: Sequence[int], device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.generators = [torch.Generator(device=self.device).manual_seed(int(seed)) for seed in seeds]

    def __len__(self) -> int:
        return len(self.generators)

    def draw(self, shape: Sequence[int]) -> torch.Tensor:
        """float32 noise ``b ...`` of ``shape`` (whose first entry is the number of windows)."""
        if shape[0] != len(self.generators):
            raise ValueError(f"noise for {shape[0]} windows requested from {len(self.generators)} generators")
        return torch.stack([torch.randn(tuple(shape[1:]), generator=generator, device=self.device)
                            for generator in self.generators])


def respaced_timesteps(total: int, steps: int) -> np.ndarray:
    """``steps`` timesteps evenly spaced over ``0 .. total - 1``, ascending, always including ``total - 1``."""
    if not 1 <= steps <= total:
        raise ConfigError(f"sampling steps must be between 1 and {total} (the diffusion steps), got {steps}")
    if steps == 1:
        return np.array([total - 1])
    return np.unique(np.round(np.linspace(0, total - 1, steps)).astype(np.int64))


def sampling_timesteps(total: int, steps: int, start_step: int | None = None) -> np.ndarray:
    """The timesteps a sampler walks (ascending): ``steps`` of them respaced over ``0 .. start_step`` (``total - 1``
    when None), fewer when ``start_step`` leaves fewer; one network evaluation each."""
    first = total - 1 if start_step is None else start_step
    if not 0 <= first < total:
        raise ConfigError(f"start_step must be between 0 and {total - 1}, got {start_step}")
    return respaced_timesteps(first + 1, min(steps, first + 1))


@torch.no_grad()
def sample(model: DenoiserModel, diffusion: GaussianDiffusion, x0: torch.Tensor, anchors: torch.Tensor, *,
           noise: WindowNoise, method: str = "ddim", steps: int = 50, eta: float = 0.0,
           start_step: int | None = None) -> torch.Tensor:
    """Generate the non-anchor frames of ``x0`` (``b c f h w`` in [-1, 1]) given its anchor frames.

    ``anchors``: bool ``f`` or ``b f``. ``method``: "ddpm" (ancestral, fixed large variance) or "ddim" (``eta``
    = 0 deterministic, 1 ~ DDPM noise). ``start_step`` None starts from pure noise at ``T - 1``; a step ``t0``
    instead noises ``x0``'s own non-anchor frames to ``t0`` and denoises from there (SDEdit): the result then
    depends on those frames, which the sampler otherwise never reads. Returns ``b c f h w`` whose anchor frames
    equal ``x0``'s.
    """
    if method not in SAMPLERS:
        raise ConfigError(f"unknown sampler '{method}'; valid samplers: {', '.join(SAMPLERS)}")
    timesteps = sampling_timesteps(diffusion.steps, steps, start_step)
    if anchors.ndim == 1:
        anchors = anchors.expand(x0.shape[0], -1)
    anchors = anchors.to(x0.device)
    keep = anchors[:, None, :, None, None]
    abar = diffusion.alphas_cumprod[timesteps]
    abar_prev = np.concatenate([[1.0], abar[:-1]])

    clean = x0.float()
    x = noise.draw(x0.shape).to(x0.device)
    if start_step is not None:
        x = float(abar[-1]) ** 0.5 * clean + (1 - float(abar[-1])) ** 0.5 * x
    for i in reversed(range(len(timesteps))):
        x = torch.where(keep, clean, x)
        t = torch.full((x0.shape[0],), int(timesteps[i]), device=x0.device, dtype=torch.long)
        a, a_prev = float(abar[i]), float(abar_prev[i])
        x0_hat = diffusion.predict_x0(model(x, t, anchors).float(), x, a).clamp(-1, 1)
        stochastic = i > 0 and (method == "ddpm" or eta > 0)
        step_noise = noise.draw(x.shape).to(x.device) if stochastic else torch.zeros_like(x)
        if method == "ddpm":
            beta = 1 - a / a_prev
            mean = (beta * a_prev**0.5 * x0_hat + (1 - a_prev) * (1 - beta) ** 0.5 * x) / (1 - a)
            x = mean + beta**0.5 * step_noise
        else:
            eps = (x - a**0.5 * x0_hat) / (1 - a) ** 0.5
            sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)) ** 0.5
            x = a_prev**0.5 * x0_hat + max(1 - a_prev - sigma**2, 0.0) ** 0.5 * eps + sigma * step_noise
    return torch.where(keep, clean, x)
