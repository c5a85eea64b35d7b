"""Exponential moving average of a model's weights with warm-up, on ``torch.optim.swa_utils.AveragedModel``."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


def ema_decay(updates: int, max_decay: float) -> float:
    """The decay at the ``updates``-th update: ``min(max_decay, (1 + n) / (10 + n))``, so short runs average
    over their recent steps instead of staying at the initial weights."""
    return min(max_decay, (1 + updates) / (10 + updates))


def last_decay(updates: int, max_decay: float) -> float:
    """The decay the ``updates``-th update used (the first one copies the weights: decay 0)."""
    return 0.0 if updates <= 1 else ema_decay(updates - 1, max_decay)


def ema_model(model: nn.Module, max_decay: float = 0.9999) -> AveragedModel:
    """A copy of ``model`` (parameters and buffers) that ``update_parameters(model)`` moves towards ``model``.

    The first update copies the weights; update ``n`` then uses ``ema_decay(n, max_decay)``. The number of
    updates lives in the state dict (``n_averaged``), so a resumed run continues the same schedule.
    """

    @torch.no_grad()
    def average(ema_params: list[torch.Tensor], params: list[torch.Tensor], updates: torch.Tensor) -> None:
        decay = ema_decay(int(updates), max_decay)
        torch._foreach_lerp_(ema_params, params, 1 - decay)

    return AveragedModel(model, multi_avg_fn=average, use_buffers=True)
