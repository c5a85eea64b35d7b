"""Sequence mixers over the space-time tokens of a U-Net level, and the block that wraps them.

A mixer maps tokens ``b n c -> b n c`` with ``n = f * h * w``; ``MixerBlock`` turns a feature volume
``b c f h w`` into tokens and back. ``build_mixer`` chooses the mixer by name, so attention-RaMViD and
Mamba-RaMViD are the same network with one constructor argument changed.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vadbench.errors import ConfigError

MIXERS = ("attention", "mamba")


class Attention(nn.Module):
    """Multi-head self-attention over all tokens through ``F.scaled_dot_product_attention``.

    No positional encoding (as RaMViD): the 3D convolutions around it carry position. The output projection
    starts at zero, so a fresh block is the identity inside its residual.
    """

    path_used = "sdpa"

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        if channels % heads:
            raise ConfigError(f"attention needs channels divisible by heads, got channels={channels}, heads={heads}")
        self.heads = heads
        self.to_qkv = nn.Linear(channels, 3 * channels)
        self.to_out = nn.Linear(channels, channels)
        nn.init.zeros_(self.to_out.weight)
        nn.init.zeros_(self.to_out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``b n c`` -> ``b n c``."""
        q, k, v = rearrange(self.to_qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(rearrange(out, "b h n d -> b n (h d)"))


def build_mixer(kind: str, channels: int, **options: Any) -> nn.Module:
    """The token mixer ``kind`` ("attention" or "mamba") for ``channels``-wide tokens ``b n c -> b n c``.

    ``options`` go to the mixer: ``heads`` for attention; ``d_state``, ``d_conv``, ``expand``, ``fusion``,
    ``backend`` ... for ``vadbench.nn.mamba.BiMamba`` (imported only when asked for).
    """
    if kind == "attention":
        return Attention(channels, **options)
    if kind == "mamba":
        from vadbench.nn.mamba import BiMamba

        return BiMamba(channels, **options)
    raise ConfigError(f"unknown mixer '{kind}'; valid mixers: {', '.join(MIXERS)}")


class MixerBlock(nn.Module):
    """GroupNorm -> tokens in ``(f h w)`` order -> mixer -> back to ``b c f h w`` -> added to the input.

    The residual is added to the un-normalised input and the tokens are transposed back, not reshaped
    (the two bugs of the thesis code).
    """

    def __init__(self, channels: int, mixer: nn.Module, groups: int = 32) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.mixer = mixer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``b c f h w`` -> ``b c f h w``."""
        _, _, f, h, w = x.shape
        tokens = rearrange(self.norm(x), "b c f h w -> b (f h w) c")
        return x + rearrange(self.mixer(tokens), "b (f h w) c -> b c f h w", f=f, h=h, w=w)
