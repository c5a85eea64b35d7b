"""The networks of the classic methods, plain PyTorch: Conv-AE's frame-stack autoencoder (Hasan et al., CVPR 2016),
the 2D U-Net that is FFP's generator (Liu et al., CVPR 2018) and its PatchGAN discriminator.

Public building blocks for other methods: ``DoubleConv``, ``UNetEncoder`` and ``UNetDecoder`` (a U-Net split at
its bottleneck, so a method can work on the deepest features before decoding, as MNAD's memory does),
``unet_size_rule`` and ``xavier_init``. Frames go in as channels: a stack of ``t`` frames of ``c`` channels is
``b (t c) h w``. Every network takes any frame size its rule allows; a size it cannot take is a ConfigError that
names the size and the rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from vadbench.errors import ConfigError


def xavier_init(module: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases for every (transposed) convolution of ``module``: the initialiser of
    both papers' code (Caffe's xavier for Conv-AE, ``tf.contrib.layers``' default for FFP). Returns ``module``."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def parameter_count(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


# -- Conv-AE -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvAEConfig:
    """Conv-AE: ``frames`` frames of ``channels`` channels stacked as input channels; encoder conv ``kernels[0]``
    / ``stride`` -> max-pool 2 -> conv ``kernels[1]`` -> max-pool 2 -> conv ``kernels[2]`` with ``widths`` filters
    (ReLU after each); the decoder mirrors it with transposed convolutions and max-unpooling at the pooling
    switches, back to ``frames * channels`` output channels (linear)."""

    frames: int
    channels: int
    widths: tuple[int, int, int]
    kernels: tuple[int, int, int]
    stride: int

    def check_size(self, height: int, width: int) -> None:
        """ConfigError unless the first conv tiles the frame exactly and two poolings leave at least 1 pixel:
        each side must be ``kernels[0] + stride * k`` with ``k >= 3``."""
        k, s = self.kernels[0], self.stride
        for side in (height, width):
            if side < k + 3 * s or (side - k) % s:
                near = k + s * max(3, round((side - k) / s))
                raise ConfigError(f"conv-ae cannot take {height}x{width} frames: each side must be {k} + {s}n with "
                                  f"n >= 3 (its first conv is {k}x{k} with stride {s}), e.g. {near}; set the "
                                  f"dataset's size accordingly (e.g. dataset.<name>.size=[{near}, {near}])")

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConvAEConfig:
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})


class ConvAENet(nn.Module):
    """``b (t c) h w`` -> ``b (t c) h w``: the frame stack reconstructed through a small bottleneck."""

    def __init__(self, config: ConvAEConfig) -> None:
        super().__init__()
        self.config = config
        depth = config.frames * config.channels
        (w1, w2, w3), (k1, k2, k3) = config.widths, config.kernels
        self.conv1 = nn.Conv2d(depth, w1, k1, stride=config.stride)
        self.conv2 = nn.Conv2d(w1, w2, k2, padding=k2 // 2)
        self.conv3 = nn.Conv2d(w2, w3, k3, padding=k3 // 2)
        self.deconv3 = nn.ConvTranspose2d(w3, w2, k3, padding=k3 // 2)
        self.deconv2 = nn.ConvTranspose2d(w2, w1, k2, padding=k2 // 2)
        self.deconv1 = nn.ConvTranspose2d(w1, depth, k1, stride=config.stride)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.relu = nn.ReLU()
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1 = self.relu(self.conv1(x))
        p1, switches1 = self.pool(h1)
        h2 = self.relu(self.conv2(p1))
        p2, switches2 = self.pool(h2)
        h3 = self.relu(self.conv3(p2))
        u2 = self.unpool(self.relu(self.deconv3(h3)), switches2, output_size=h2.shape[-2:])
        u1 = self.unpool(self.relu(self.deconv2(u2)), switches1, output_size=h1.shape[-2:])
        return self.deconv1(u1, output_size=x.shape[-2:])


# -- U-Net (FFP's generator) ---------------------------------------------------------------------------------------

def unet_size_rule(height: int, width: int, levels: int, owner: str) -> None:
    """ConfigError unless ``levels - 1`` halvings of a ``height x width`` frame are exact."""
    factor = 2 ** (levels - 1)
    if height % factor or width % factor:
        raise ConfigError(f"{owner} cannot take {height}x{width} frames: its U-Net of {levels} levels halves them "
                          f"{levels - 1} times, so height and width must be multiples of {factor}; set the "
                          "dataset's size accordingly (e.g. [256, 256])")


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions (same padding), each followed by an optional BatchNorm and a ReLU:
    ``b c_in h w -> b c_out h w``."""

    def __init__(self, in_channels: int, out_channels: int, norm: bool = False) -> None:
        layers: list[nn.Module] = []
        for channels in (in_channels, out_channels):
            layers.append(nn.Conv2d(channels, out_channels, 3, padding=1))
            if norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU())
        super().__init__(*layers)


class UNetEncoder(nn.Module):
    """``b c h w`` -> one feature map per level, ``b widths[i] (h / 2^i) (w / 2^i)``: a ``DoubleConv`` per level,
    2x2 max-pooling between levels; the last map is the bottleneck."""

    def __init__(self, in_channels: int, widths: tuple[int, ...], norm: bool = False) -> None:
        super().__init__()
        self.widths = tuple(widths)
        self.levels = nn.ModuleList(DoubleConv(c_in, c_out, norm)
                                    for c_in, c_out in zip((in_channels, *widths[:-1]), widths))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for index, level in enumerate(self.levels):
            x = level(x if index == 0 else self.pool(x))
            features.append(x)
        return features


class UNetDecoder(nn.Module):
    """The encoder's features (the bottleneck last, ``bottom_channels`` wide; default ``widths[-1]``) ->
    ``b out_channels h w`` (linear): per level up, a 2x2 stride-2 transposed conv + ReLU halves the width, the
    encoder's map of that level is concatenated (skip connection) and a ``DoubleConv`` merges them."""

    def __init__(self, widths: tuple[int, ...], out_channels: int, norm: bool = False,
                 bottom_channels: int | None = None) -> None:
        super().__init__()
        widths = tuple(widths)
        below = [bottom_channels or widths[-1], *reversed(widths[1:-1])]
        self.ups = nn.ModuleList(nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 2, stride=2), nn.ReLU())
                                 for c_in, c_out in zip(below, reversed(widths[:-1])))
        self.merges = nn.ModuleList(DoubleConv(2 * width, width, norm) for width in reversed(widths[:-1]))
        self.out = nn.Conv2d(widths[0], out_channels, 3, padding=1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = features[-1]
        for up, merge, skip in zip(self.ups, self.merges, reversed(features[:-1])):
            x = merge(torch.cat([skip, up(x)], dim=1))
        return self.out(x)


@dataclass(frozen=True)
class GeneratorConfig:
    """FFP's generator: a U-Net from ``context`` frames of ``channels`` channels (stacked) to one frame, ``widths``
    per level, tanh output."""

    context: int
    channels: int
    widths: tuple[int, ...]

    def check_size(self, height: int, width: int) -> None:
        unet_size_rule(height, width, len(self.widths), "ffp")

    def to_dict(self) -> dict[str, Any]:
        return {"context": self.context, "channels": self.channels, "widths": list(self.widths)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        return cls(data["context"], data["channels"], tuple(data["widths"]))


class UNetGenerator(nn.Module):
    """``b (context c) h w`` in [-1, 1] -> the next frame ``b c h w`` in [-1, 1] (tanh); no normalisation layers,
    as FFP's ``unet.py``."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = UNetEncoder(config.context * config.channels, config.widths)
        self.decoder = UNetDecoder(config.widths, config.channels)
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.decoder(self.encoder(x)))


class PatchDiscriminator(nn.Module):
    """FFP's discriminator (pix2pix's, as FFP's code calls it): 4x4 convolutions after a reflection padding of 2,
    stride 2 but for the last two, leaky ReLU (slope 0.2) between them, no normalisation; ``b c h w`` in [-1, 1]
    -> ``b 1 h' w'`` per-patch probabilities of being real (sigmoid)."""

    def __init__(self, channels: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        strides = [2] * (len(widths) - 1) + [1]
        for c_in, c_out, stride in zip((channels, *widths[:-1]), widths, strides):
            layers += [nn.ReflectionPad2d(2), nn.Conv2d(c_in, c_out, 4, stride=stride), nn.LeakyReLU(0.2)]
        layers += [nn.ReflectionPad2d(2), nn.Conv2d(widths[-1], 1, 4)]
        self.layers = nn.Sequential(*layers)
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.layers(x))
