"""RaMViD's 3D U-Net: a denoiser for videos ``b c f h w`` at a diffusion timestep ``t``.

Conv3d 3x3x3 everywhere (time is convolved, never downsampled), GroupNorm, SiLU, residual blocks with
scale-shift timestep conditioning and a zero-initialised last conv, learned stride-(1, 2, 2) downsampling,
nearest upsampling + conv, a sinusoidal timestep embedding, and a sequence mixer (``vadbench.nn.mixers``) at
the levels listed in ``mixer_levels`` and in the middle block.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from torch.utils.checkpoint import checkpoint

from vadbench.errors import ConfigError
from vadbench.nn.mixers import MixerBlock, build_mixer


@dataclass(frozen=True)
class UNetConfig:
    """The architecture: base width, per-level multipliers, res blocks per level, where the mixer sits."""

    channels: int = 128
    mults: tuple[int, ...] = (1, 2, 3, 4)
    res_blocks: int = 3
    mixer_levels: tuple[int, ...] = (3,)  # 0 = full resolution; the middle block always has a mixer
    mixer: str = "attention"
    heads: int = 4  # attention heads (ignored by other mixers)
    mixer_options: dict[str, Any] = field(default_factory=dict)  # extra keyword arguments of the mixer
    groups: int = 32
    in_channels: int = 3
    dropout: float = 0.0
    anchor_channel: bool = False  # one more input channel: 1 on anchor frames, 0 on the frames to fill

    @property
    def downsampling(self) -> int:
        """The factor by which the deepest level is smaller than the input, in height and width."""
        return 2 ** (len(self.mults) - 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON values, loadable with ``UNetConfig.from_dict``."""
        data = asdict(self)
        data["mults"], data["mixer_levels"] = list(self.mults), list(self.mixer_levels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        return cls(**{**data, "mults": tuple(data["mults"]), "mixer_levels": tuple(data["mixer_levels"])})


# Parameter counts (mixer = attention) are printed by bench/ramvid.py and stated in docs/models.md.
PRESETS: dict[str, UNetConfig] = {
    # The thesis / RaMViD config at 128 px: widths 128, 256, 384, 512; the mixer at the 16x16 level and middle.
    "full": UNetConfig(),
    # A quarter of the width, two res blocks; the mixer at the two deepest levels (16x16 and 8x8 at 64 px).
    "small": UNetConfig(channels=64, mults=(1, 2, 3, 4), res_blocks=2, mixer_levels=(2, 3)),
    # Sized for a CPU between tiny and small at 32x32: widths 16, 32, 64, one res block, the anchors as an input
    # channel; the mixer at the 8x8 level and middle.
    "cpu": UNetConfig(channels=16, mults=(1, 2, 4), res_blocks=1, mixer_levels=(2,), groups=8, heads=2,
                      anchor_channel=True),
    # For CPU demos and tests at 32x32: widths 8, 16, 32, one res block; the mixer at the 8x8 level and middle.
    "tiny": UNetConfig(channels=8, mults=(1, 2, 4), res_blocks=1, mixer_levels=(2,), groups=4, heads=2),
}


def preset(name: str, **overrides: Any) -> UNetConfig:
    """The preset ``name`` with fields replaced by ``overrides`` (e.g. ``mixer="mamba"``)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown U-Net preset '{name}'; valid presets: {', '.join(PRESETS)}")
    return UNetConfig.from_dict({**PRESETS[name].to_dict(), **overrides})


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding ``b -> b dim`` laid out as ``[cos(t f), sin(t f)]``, ``f_i = max_period^(-i/half)``."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def conv3(cin: int, cout: int, stride: tuple[int, int, int] = (1, 1, 1)) -> nn.Conv3d:
    return nn.Conv3d(cin, cout, kernel_size=3, stride=stride, padding=1)


def zero(module: nn.Module) -> nn.Module:
    """``module`` with its parameters set to zero (blocks start as the identity inside their residual)."""
    for parameter in module.parameters():
        nn.init.zeros_(parameter)
    return module


class ResBlock(nn.Module):
    """``x + conv(SiLU(GN(conv(SiLU(GN(x)))) * (1 + scale) + shift))``, scale and shift from the time embedding."""

    def __init__(self, cin: int, cout: int, emb_dim: int, groups: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(nn.GroupNorm(groups, cin), nn.SiLU(), conv3(cin, cout))
        self.emb = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * cout))
        self.out_norm = nn.GroupNorm(groups, cout)
        self.out_layers = nn.Sequential(nn.SiLU(), nn.Dropout(dropout), zero(conv3(cout, cout)))
        self.skip = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, kernel_size=1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """``x``: ``b c f h w``, ``emb``: ``b e`` -> ``b cout f h w``."""
        h = self.in_layers(x)
        scale, shift = rearrange(self.emb(emb), "b (two c) -> two b c 1 1 1", two=2)
        h = self.out_layers(self.out_norm(h) * (1 + scale) + shift)
        return self.skip(x) + h


class Downsample(nn.Module):
    """Learned stride-(1, 2, 2) conv: halves height and width, keeps every frame."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = conv3(channels, channels, stride=(1, 2, 2))

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    """Nearest x2 in height and width (time unchanged), then a 3x3x3 conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = conv3(channels, channels)

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=(1, 2, 2), mode="nearest"))


class Stage(nn.Module):
    """A ResBlock optionally followed by a mixer block: one checkpointable unit of the U-Net."""

    def __init__(self, res: ResBlock, mixer: MixerBlock | None) -> None:
        super().__init__()
        self.res = res
        self.mixer = mixer

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        x = self.res(x, emb)
        return self.mixer(x) if self.mixer is not None else x


class UNet3D(nn.Module):
    """The RaMViD U-Net: ``(x: b c f h w, t: b) -> epsilon: b c f h w``.

    ``h`` and ``w`` must be divisible by ``config.downsampling``; ``f`` is free (time is never downsampled).
    ``checkpointing=True`` recomputes every block's activations in the backward pass (long windows).
    """

    def __init__(self, config: UNetConfig, checkpointing: bool = False) -> None:
        super().__init__()
        self.config = config
        self.checkpointing = checkpointing
        ch, groups, dropout = config.channels, config.groups, config.dropout
        emb_dim = 4 * ch
        self.time_embed = nn.Sequential(nn.Linear(ch, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

        options = {"heads": config.heads} if config.mixer == "attention" else {}
        options.update(config.mixer_options)

        def stage(cin: int, cout: int, mixed: bool) -> Stage:
            mixer = MixerBlock(cout, build_mixer(config.mixer, cout, **options), groups) if mixed else None
            return Stage(ResBlock(cin, cout, emb_dim, groups, dropout), mixer)

        self.stem = conv3(config.in_channels + int(config.anchor_channel), ch)
        self.down = nn.ModuleList()
        skips, width = [ch], ch
        for level, mult in enumerate(config.mults):
            for _ in range(config.res_blocks):
                self.down.append(stage(width, mult * ch, level in config.mixer_levels))
                width = mult * ch
                skips.append(width)
            if level < len(config.mults) - 1:
                self.down.append(Downsample(width))
                skips.append(width)

        self.middle = nn.ModuleList([stage(width, width, True), stage(width, width, False)])

        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(config.mults))):
            for index in range(config.res_blocks + 1):
                self.up.append(stage(width + skips.pop(), mult * ch, level in config.mixer_levels))
                width = mult * ch
                if level > 0 and index == config.res_blocks:
                    self.up.append(Upsample(width))

        self.out = nn.Sequential(nn.GroupNorm(groups, width), nn.SiLU(), zero(conv3(width, config.in_channels)))
        # Channels-last 3D activations and 3x3x3 weights: oneDNN's Conv3d runs about 3x faster on CPU in this
        # layout (docs/models.md), and it is the layout cuDNN's tensor-core kernels prefer. 1x1x1 weights stay
        # contiguous (their channels-last strides differ from their gradients', which DDP's buckets reject).
        for module in self.modules():
            if isinstance(module, nn.Conv3d) and module.kernel_size != (1, 1, 1):
                module.to(memory_format=torch.channels_last_3d)

    def forward(self, x: torch.Tensor, t: torch.Tensor, anchors: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: ``b c f h w`` noisy video, ``t``: ``b`` timesteps, ``anchors``: bool ``b f`` (read only with
        ``anchor_channel``) -> the prediction ``b c f h w`` (noise, clean video or v, as trained)."""
        factor = self.config.downsampling
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise ConfigError(
                f"frame size {tuple(x.shape[-2:])} is not divisible by {factor}, the U-Net's total downsampling "
                f"({len(self.config.mults)} levels); resize frames to a multiple of {factor} (e.g. 128x128)"
            )
        emb = self.time_embed(timestep_embedding(t, self.config.channels))
        if self.config.anchor_channel:
            if anchors is None:
                raise ValueError("this U-Net was built with anchor_channel=True: pass the bool anchors b f")
            b, _, f, height, width = x.shape
            mask = anchors.to(x.dtype)[:, None, :, None, None].expand(b, 1, f, height, width)
            x = torch.cat([x, mask], dim=1)
        h = self.stem(x.contiguous(memory_format=torch.channels_last_3d))
        skips = [h]
        for block in self.down:
            h = self._run(block, h, emb)
            skips.append(h)
        for block in self.middle:
            h = self._run(block, h, emb)
        for block in self.up:
            if isinstance(block, Upsample):
                h = block(h)
            else:
                h = self._run(block, torch.cat([h, skips.pop()], dim=1), emb)
        return self.out(h).contiguous()

    def _run(self, block: nn.Module, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(block, h, emb, use_reentrant=False)
        return block(h, emb)
