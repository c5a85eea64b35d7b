"""The RaMViD models behind the vadbench contract (a learned, stochastic reconstruction model): fit, load,\nreconstruct, provenance; ``attention-ramvid`` and ``mamba-ramvid`` are one network with the mixer swapped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from einops import rearrange

from vadbench.checks import is_int
from vadbench.components import WindowSeeds
from vadbench.errors import ConfigError
from vadbench.hashing import seed
from vadbench.nn.diffusion import PARAMETERISATIONS, GaussianDiffusion
from vadbench.nn.samplers import SAMPLERS, WindowNoise, sample, sampling_timesteps
from vadbench.nn.unet import PRESETS, UNet3D, UNetConfig, preset

DIFFUSION_STEPS = 1000

# Training and sampling defaults per preset; a setting left null takes the value here.
THESIS_RECIPE = {"parameterisation": "eps", "anchor_channel": False, "warmup_steps": 0, "lr_decay": "constant"}
PRESET_TRAINING: dict[str, dict[str, Any]] = {
    # The thesis: lr 2e-5, batch 2, ~500k steps, ancestral DDPM with 200 of 1000 steps.
    "full": {"train_steps": 500_000, "batch_size": 2, "lr": 2e-5, "sampler": "ddpm", "sampling_steps": 200,
             **THESIS_RECIPE},
    "small": {"train_steps": 100_000, "batch_size": 4, "lr": 1e-4, "sampler": "ddim", "sampling_steps": 50,
              **THESIS_RECIPE},
    # The CPU recipe (docs/models.md measures each choice): x0 prediction, warm-up then cosine decay, 5 DDIM steps.
    "cpu": {"train_steps": 1000, "batch_size": 2, "lr": 2e-3, "sampler": "ddim", "sampling_steps": 5,
            "parameterisation": "x0", "anchor_channel": True, "warmup_steps": 100, "lr_decay": "cosine"},
    # CPU demos at 32x32: a short run and ten DDIM steps per window (docs/models.md has its measured cost and AUC).
    "tiny": {"train_steps": 300, "batch_size": 2, "lr": 1e-3, "sampler": "ddim", "sampling_steps": 10,
             **THESIS_RECIPE},
}
LR_DECAYS = ("constant", "cosine")
COMBINE_RULES = ("errors", "mean")
NOISE_RULES = ("window", "common")


@dataclass(frozen=True)
class RamvidSettings:
    """Every setting of a RaMViD model and its default (JSON values): the one place they are declared. A null
    takes the preset's value (``PRESET_TRAINING``) in ``resolved``; the resolved values are stored in every
    checkpoint and in the model's provenance."""

    preset: str = "full"
    mixer_options: dict[str, Any] = field(default_factory=dict)
    parameterisation: str | None = None
    anchor_channel: bool | None = None
    train_steps: int | None = None
    epochs: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    warmup_steps: int | None = None
    lr_decay: str | None = None
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema: float = 0.9999
    checkpoint_every: int = 1000
    keep_checkpoints: bool = False
    checkpointing: bool = False
    sampler: str | None = None
    sampling_steps: int | None = None
    eta: float = 0.0
    start_step: int | None = None
    samples: int = 1
    combine: str = "errors"
    noise: str = "window"
    infer_batch_size: int = 8
    use_ema: bool = True

    def resolved(self) -> RamvidSettings:
        """These settings with the preset's values in place of nulls, validated."""
        if self.preset not in PRESETS:
            raise ConfigError(f"model setting preset='{self.preset}' is unknown; valid presets: {', '.join(PRESETS)}")
        preset_values = PRESET_TRAINING[self.preset]
        filled = replace(self, **{key: value for key, value in preset_values.items() if getattr(self, key) is None})
        filled.validate()
        return filled

    def validate(self) -> None:
        choices = {"sampler": (self.sampler, SAMPLERS, "samplers"),
                   "parameterisation": (self.parameterisation, PARAMETERISATIONS, "parameterisations"),
                   "lr_decay": (self.lr_decay, LR_DECAYS, "decays"), "combine": (self.combine, COMBINE_RULES, "rules"),
                   "noise": (self.noise, NOISE_RULES, "rules")}
        for key, (value, valid, plural) in choices.items():
            if value not in valid:
                raise ConfigError(f"model setting {key}={value!r} is unknown; valid {plural}: {', '.join(valid)}")
        positive = {"train_steps": self.train_steps, "batch_size": self.batch_size,
                    "sampling_steps": self.sampling_steps, "infer_batch_size": self.infer_batch_size,
                    "checkpoint_every": self.checkpoint_every, "samples": self.samples}
        for key, value in positive.items():
            if not is_int(value) or value < 1:
                raise ConfigError(f"model setting {key}={value!r} must be an integer >= 1")
        if not is_int(self.warmup_steps) or self.warmup_steps < 0:
            raise ConfigError(f"model setting warmup_steps={self.warmup_steps!r} must be an integer >= 0")
        if self.start_step is not None and (not is_int(self.start_step) or not 0 <= self.start_step < DIFFUSION_STEPS):
            raise ConfigError(f"model setting start_step={self.start_step!r} must be null (sample from pure noise) "
                              f"or an integer from 0 to {DIFFUSION_STEPS - 1} (the diffusion step to noise to)")
        if self.epochs is not None and not self.epochs > 0:
            raise ConfigError(f"model setting epochs={self.epochs!r} must be > 0 (or null to use train_steps)")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"model setting ema={self.ema!r} must be in [0, 1)")
        if not isinstance(self.mixer_options, dict):
            raise ConfigError(f"model setting mixer_options={self.mixer_options!r} must be a mapping")

    def unet(self, mixer: str) -> UNetConfig:
        """The network configuration of this preset with ``mixer`` ("attention" or "mamba") as sequence mixer."""
        return preset(self.preset, mixer=mixer, mixer_options=dict(self.mixer_options),
                      anchor_channel=bool(self.anchor_channel))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def nfe_per_window(self) -> int:
        """Network evaluations per test window: the sampler's steps (from ``start_step``) times ``samples``."""
        return self.samples * len(sampling_timesteps(DIFFUSION_STEPS, self.sampling_steps, self.start_step))


class RamvidModel:
    """A RaMViD video diffusion model that reconstructs the non-anchor frames of a window from its anchors; the two
    built-ins below differ only in their sequence mixer."""

    name: str
    mixer: str
    settings_type = RamvidSettings
    stochastic = True  # reconstruct takes the windows' noise seeds; a job per sample seed
    # Settings that only shape inference: changing them reuses the trained checkpoint (the fit stage's cache key).
    inference_settings = frozenset({"sampler", "sampling_steps", "eta", "start_step", "samples", "combine", "noise",
                                    "infer_batch_size", "use_ema"})

    def __init__(self, **settings: Any) -> None:
        self.settings = RamvidSettings(**settings).resolved()
        self.diffusion = GaussianDiffusion(DIFFUSION_STEPS, parameterisation=self.settings.parameterisation)
        self.net: UNet3D | None = None
        self.device = torch.device("cpu")
        self._loaded: dict[str, Any] = {}

    def fit(self, dataset, masker, ctx) -> Path:
        """Train on ``dataset``'s normal training videos (resuming from ``ctx.workdir``); returns the checkpoint."""
        from vadbench_plugins.models.ramvid_train import train

        checkpoint = train(self.settings, self.settings.unet(self.mixer), self.diffusion, dataset, masker, ctx)
        self.load(checkpoint, ctx.device)
        return checkpoint

    def load(self, checkpoint: Path, device: str) -> None:
        """Load the EMA weights of ``checkpoint`` (raw weights with ``use_ema=false``) onto ``device``; the network
        and its parameterisation are the checkpoint's own."""
        from vadbench_plugins.models.ramvid_train import read_checkpoint, training_summary

        state = read_checkpoint(Path(checkpoint))
        config = UNetConfig.from_dict(state["config"]["unet"])
        if config.mixer != self.mixer:
            raise ConfigError(f"{checkpoint} holds a '{config.mixer}' model, not '{self.mixer}'; "
                              f"evaluate it with the {config.mixer}-ramvid model")
        parameterisation = state["config"]["settings"].get("parameterisation", "eps")
        self.diffusion = GaussianDiffusion(DIFFUSION_STEPS, parameterisation=parameterisation)
        net = UNet3D(config, checkpointing=False)
        weights = "ema" if self.settings.use_ema else "raw"
        net.load_state_dict(ema_weights(state["ema"]) if self.settings.use_ema else state["model"])
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self._loaded = {"checkpoint": str(checkpoint), "step": int(state["step"]), "weights": weights,
                        "parameterisation": parameterisation,
                        "parameters": sum(p.numel() for p in net.parameters()), "unet": config.to_dict(),
                        "training": training_summary(Path(checkpoint).parent, int(state["step"]))}

    @torch.no_grad()
    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor, seeds: WindowSeeds) -> torch.Tensor:
        """``clips``: float ``b l c h w`` in [0, 1]; ``anchors``: bool ``l``; ``seeds``: the windows' noise seeds.

        Returns ``b l c h w`` in [0, 1] whose anchor frames are the input's, or ``b k l c h w`` (one per draw) when
        ``samples`` = k > 1 with ``combine="errors"``; ``combine="mean"`` averages the k draws. Draw ``j`` of a window
        is seeded by its seed (``noise="window"``) or the job's shared seed (``noise="common"``) and ``j``, so it
        never depends on the other windows of the call, and draw 0 is the single-sample path.
        """
        if self.net is None:
            raise ConfigError(f"model '{self.name}' has no weights: call load(checkpoint, device) or fit first")
        if clips.ndim != 5 or anchors.shape != (clips.shape[1],) or anchors.dtype != torch.bool:
            raise ValueError(f"reconstruct needs clips b l c h w and bool anchors l, got clips {tuple(clips.shape)} "
                             f"and anchors {tuple(anchors.shape)} {anchors.dtype}")
        if len(seeds.windows) != len(clips):
            raise ValueError(f"{len(seeds.windows)} window seeds for {len(clips)} windows")
        s = self.settings
        window_seeds = [seeds.shared] * len(clips) if s.noise == "common" else list(seeds.windows)
        draws = torch.stack([self._draw(clips, anchors, [draw_seed(seed, j) for seed in window_seeds])
                             for j in range(s.samples)], dim=1)  # b k l c h w
        draws[:, :, anchors] = clips[:, None, anchors].to(draws.dtype)
        if s.samples == 1:
            return draws[:, 0]
        return draws.mean(dim=1) if s.combine == "mean" else draws

    def _draw(self, clips: torch.Tensor, anchors: torch.Tensor, seeds: list[int]) -> torch.Tensor:
        """One sample per window, ``infer_batch_size`` windows per sampler call: ``b l c h w`` in [0, 1]."""
        s = self.settings
        outputs = []
        for first in range(0, len(clips), s.infer_batch_size):
            chunk = clips[first:first + s.infer_batch_size]
            x0 = rearrange(chunk.to(self.device, torch.float32), "b l c h w -> b c l h w") * 2 - 1
            noise = WindowNoise(seeds[first:first + s.infer_batch_size], self.device)
            with autocast(self.device):
                video = sample(self.net, self.diffusion, x0, anchors.to(self.device), noise=noise,
                               method=s.sampler, steps=s.sampling_steps, eta=s.eta, start_step=s.start_step)
            outputs.append(rearrange((video.float() + 1) / 2, "b c l h w -> b l c h w").clamp(0, 1).cpu())
        return torch.cat(outputs)

    def provenance(self) -> dict[str, Any]:
        """Weights, sampler, steps, mixer code paths, device and dtype of the last ``reconstruct``."""
        s = self.settings
        paths = sorted({str(m.path_used) for m in self.net.modules() if hasattr(m, "path_used")}) if self.net else []
        return {**self._loaded, "settings": s.to_dict(), "sampler": s.sampler, "sampling_steps": s.sampling_steps,
                "eta": s.eta, "start_step": s.start_step, "samples": s.samples, "combine": s.combine,
                "noise": s.noise, "nfe_per_window": s.nfe_per_window, "mixer": self.mixer, "mixer_path": paths,
                "device": str(self.device), "dtype": "bfloat16" if self.device.type == "cuda" else "float32"}


class AttentionRamvid(RamvidModel):
    """``attention-ramvid``: multi-head self-attention over space-time tokens (the RaMViD baseline)."""

    name, mixer = "attention-ramvid", "attention"


class MambaRamvid(RamvidModel):
    """``mamba-ramvid``: bidirectional Mamba blocks in place of attention."""

    name, mixer = "mamba-ramvid", "mamba"


def draw_seed(window_seed: int, draw: int) -> int:
    """The seed of draw ``draw`` of a window: the window's own seed for draw 0, a derived one after."""
    return window_seed if draw == 0 else seed(window_seed, draw)


def autocast(device: torch.device) -> torch.autocast:
    """bf16 autocast on CUDA; a disabled context elsewhere (CPU runs in float32)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def ema_weights(ema_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The network's state dict inside an ``AveragedModel`` state dict (drops ``module.`` and ``n_averaged``)."""
    return {key.removeprefix("module."): value for key, value in ema_state.items() if key.startswith("module.")}
