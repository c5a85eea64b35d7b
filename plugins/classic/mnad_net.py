"""MNAD's prediction network (Park et al., CVPR 2020, section 3.1; the authors' ``convAE`` of
``model/final_future_prediction_with_memory_spatial_sumonly_weight_ranking_top1.py``): a U-Net-like encoder over
the ``t`` previous frames stacked as channels, the memory, and a decoder from the query and its memory read to the
next frame.

Widths ``(w1, w2, w3, w4)`` (the paper: 64, 128, 256, 512); a "block" is ``nets.DoubleConv`` with BatchNorm (two
3x3 conv + BatchNorm + ReLU). Encoder: three blocks to ``w1``, ``w2``, ``w3``, each followed by a 2x2 max-pool,
then two 3x3 convs to ``w4`` (BatchNorm and ReLU between them only) = the features, ``w4`` channels at 1/8 of the
frame size. Decoder, from each query concatenated with its read (``2 w4`` channels): a block to ``w4``, then three
times a stride-2 3x3 transposed conv (+ BatchNorm + ReLU) that doubles the size and goes to the width of the
encoder stage of that size, concatenated with that stage's output, then a block back to that width; except the
last, whose head is conv-BN-ReLU, conv-BN-ReLU to ``w1`` channels and a conv to the frame's channels, then tanh.
Frames are in [-1, 1] as in the authors' loader. (The authors' encoder also builds a BatchNorm after the last conv
that its forward never uses; it is left out here.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from einops import rearrange
from torch import nn

from vadbench_plugins.classic.memory import Memory, unflat
from vadbench_plugins.classic.nets import DoubleConv


@dataclass(frozen=True)
class MnadNetConfig:
    """The network's shape: ``context`` input frames of ``channels`` channels, four widths, ``memory_items``
    items of ``widths[-1]`` dimensions."""

    context: int = 4
    channels: int = 3
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    memory_items: int = 10

    @property
    def feature_dim(self) -> int:
        return self.widths[-1]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "widths": list(self.widths)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MnadNetConfig:
        return cls(**{**values, "widths": tuple(values["widths"])})


DOWNSAMPLING = 8  # frame size / query size: three 2x2 pools


def conv_bn_relu(inputs: int, outputs: int) -> list[nn.Module]:
    return [nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU()]


def upsample(inputs: int, outputs: int) -> nn.Sequential:
    """Stride-2 3x3 transposed conv that doubles the size exactly, + BatchNorm + ReLU."""
    return nn.Sequential(nn.ConvTranspose2d(inputs, outputs, 3, stride=2, padding=1, output_padding=1),
                         nn.BatchNorm2d(outputs), nn.ReLU())


class Encoder(nn.Module):
    """Stacked frames ``b (t c) h w`` -> (features ``b w4 h/8 w/8``, skips at sizes 1, 1/2, 1/4 of widths w1..w3)."""

    def __init__(self, config: MnadNetConfig) -> None:
        super().__init__()
        w1, w2, w3, w4 = config.widths
        self.stages = nn.ModuleList([DoubleConv(config.context * config.channels, w1, norm=True),
                                     DoubleConv(w1, w2, norm=True), DoubleConv(w2, w3, norm=True)])
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(*conv_bn_relu(w3, w4), nn.Conv2d(w4, w4, 3, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        return self.head(x), skips


class Decoder(nn.Module):
    """(query and read ``b 2w4 h/8 w/8``, the encoder's skips) -> the predicted frame ``b c h w`` in [-1, 1]."""

    def __init__(self, config: MnadNetConfig) -> None:
        super().__init__()
        w1, w2, w3, w4 = config.widths
        self.entry = DoubleConv(2 * w4, w4, norm=True)
        self.ups = nn.ModuleList([upsample(w4, w3), upsample(w3, w2), upsample(w2, w1)])
        self.blocks = nn.ModuleList([DoubleConv(2 * w3, w3, norm=True), DoubleConv(2 * w2, w2, norm=True)])
        self.head = nn.Sequential(*conv_bn_relu(2 * w1, w1), *conv_bn_relu(w1, w1),
                                  nn.Conv2d(w1, config.channels, 3, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = self.entry(x)
        for level, up in enumerate(self.ups):
            x = torch.cat([skips[-1 - level], up(x)], dim=1)
            x = self.blocks[level](x) if level < len(self.blocks) else self.head(x)
        return x


class MnadNet(nn.Module):
    """Encoder, memory and decoder; ``memory.items`` is a buffer, so it travels in ``state_dict``."""

    def __init__(self, config: MnadNetConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.memory = Memory(config.memory_items, config.feature_dim)

    def encode(self, context: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``context`` frames ``b t c h w`` in [-1, 1] -> (features ``b d h/8 w/8``, skips)."""
        return self.encoder(rearrange(context, "b t c h w -> b (t c) h w"))

    def decode(self, queries: torch.Tensor, features: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        """The next frame ``b c h w`` in [-1, 1] from the queries ``(b h w) d`` of ``features`` ``b d h w``, read
        from the memory as it is now."""
        return self.decoder(unflat(self.memory.read(queries), features), skips)
