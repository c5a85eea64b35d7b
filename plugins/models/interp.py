"""Temporal interpolation between anchor frames: a reconstruction model with nothing to learn."""

from __future__ import annotations

from typing import Any

import torch

from vadbench.errors import ConfigError

MODES = ("linear", "nearest")


class TemporalInterpolation:
    """Reconstructs each masked frame from the nearest anchors before and after it.

    ``linear`` blends the two anchors by temporal distance; ``nearest`` copies the closer one. A masked frame with
    anchors on one side only copies that anchor.
    """

    name = "interp"

    def __init__(self, mode: str = "linear") -> None:
        if mode not in MODES:
            raise ConfigError(f"model interp: mode '{mode}' is not one of {', '.join(MODES)}")
        self.mode = mode

    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        """``clips`` float ``b l c h w``, ``anchors`` bool ``l`` -> interpolated ``b l c h w``."""
        weights = interpolation_weights(anchors, self.mode).to(clips)
        return torch.einsum("ts,bschw->btchw", weights, clips)

    def provenance(self) -> dict[str, Any]:
        return {"mode": self.mode}


def interpolation_weights(anchors: torch.Tensor, mode: str) -> torch.Tensor:
    """``l l`` matrix whose row t mixes anchor frames into frame t (identity on anchors)."""
    anchors = torch.as_tensor(anchors, dtype=torch.bool)
    length = anchors.numel()
    positions = torch.arange(length)
    anchor_positions = positions[anchors]
    if anchor_positions.numel() == 0:
        raise ConfigError("model interp interpolates between anchor frames, but the masker gives a window none "
                          "(e.g. autoencode); use a masker with anchors: selective, random or predict")
    after = torch.searchsorted(anchor_positions, positions).clamp(max=anchor_positions.numel() - 1)
    before = (torch.searchsorted(anchor_positions, positions, right=True) - 1).clamp(min=0)
    left, right = anchor_positions[before], anchor_positions[after]
    span = (right - left).clamp(min=1).float()
    right_weight = ((positions - left).float() / span).clamp(0, 1)
    right_weight[left == right] = 0.0
    if mode == "nearest":
        right_weight = (right_weight > 0.5).float()
    weights = torch.zeros(length, length)
    weights[positions, left] += 1 - right_weight
    weights[positions, right] += right_weight
    return weights
