"""``RamvidModel``: the RaMViD U-Net behind the vadbench Model contract (fit, load, reconstruct, provenance)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from einops import rearrange

from vadbench.errors import ConfigError
from vadbench.nn.diffusion import GaussianDiffusion
from vadbench.nn.samplers import SAMPLERS, sample
from vadbench.nn.unet import PRESETS, UNet3D, UNetConfig, preset

# Training and sampling defaults per preset; a setting left null takes the value here.
PRESET_TRAINING: dict[str, dict[str, Any]] = {
    # The thesis: lr 2e-5, batch 2, ~500k steps, ancestral DDPM with 200 of 1000 steps.
    "full": {"train_steps": 500_000, "batch_size": 2, "lr": 2e-5, "sampler": "ddpm", "sampling_steps": 200},
    "small": {"train_steps": 100_000, "batch_size": 4, "lr": 1e-4, "sampler": "ddim", "sampling_steps": 50},
    # CPU demos at 32x32: a short run and ten DDIM steps per window (docs/models.md has its measured cost and AUC).
    "tiny": {"train_steps": 300, "batch_size": 2, "lr": 1e-3, "sampler": "ddim", "sampling_steps": 10},
}


@dataclass(frozen=True)
class RamvidSettings:
    """Every setting of a RaMViD model with the preset's values filled in (JSON values)."""

    preset: str
    mixer: str
    mixer_options: dict[str, Any]
    train_steps: int
    epochs: float | None
    batch_size: int
    lr: float
    weight_decay: float
    grad_clip: float
    ema: float
    checkpoint_every: int
    checkpointing: bool
    sampler: str
    sampling_steps: int
    eta: float
    infer_batch_size: int
    use_ema: bool
    sample_seed: int

    @classmethod
    def resolve(cls, preset: str, mixer: str, **settings: Any) -> RamvidSettings:
        if preset not in PRESETS:
            raise ConfigError(f"model setting preset='{preset}' is unknown; valid presets: {', '.join(PRESETS)}")
        filled = {key: PRESET_TRAINING[preset][key] if value is None and key in PRESET_TRAINING[preset] else value
                  for key, value in settings.items()}
        resolved = cls(preset=preset, mixer=mixer, **filled)
        resolved.validate()
        return resolved

    def validate(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"model setting sampler='{self.sampler}' is unknown; "
                              f"valid samplers: {', '.join(SAMPLERS)}")
        positive = {"train_steps": self.train_steps, "batch_size": self.batch_size,
                    "sampling_steps": self.sampling_steps, "infer_batch_size": self.infer_batch_size,
                    "checkpoint_every": self.checkpoint_every}
        for key, value in positive.items():
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"model setting {key}={value!r} must be an integer >= 1")
        if self.epochs is not None and not self.epochs > 0:
            raise ConfigError(f"model setting epochs={self.epochs!r} must be > 0 (or null to use train_steps)")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"model setting ema={self.ema!r} must be in [0, 1)")
        if not isinstance(self.mixer_options, dict):
            raise ConfigError(f"model setting mixer_options={self.mixer_options!r} must be a mapping")

    def unet(self) -> UNetConfig:
        return preset(self.preset, mixer=self.mixer, mixer_options=dict(self.mixer_options))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RamvidModel:
    """A RaMViD video diffusion model that reconstructs the non-anchor frames of a window from its anchors."""

    output = "reconstruction"
    learned = True
    # Settings that only shape inference: changing them reuses the trained checkpoint (the fit stage's cache key).
    inference_settings = frozenset({"sampler", "sampling_steps", "eta", "infer_batch_size", "use_ema", "sample_seed"})

    def __init__(self, name: str, mixer: str, preset: str = "full", **settings: Any) -> None:
        self.name = name
        self.settings = RamvidSettings.resolve(preset, mixer, **settings)
        self.diffusion = GaussianDiffusion()
        self.net: UNet3D | None = None
        self.device = torch.device("cpu")
        self._loaded: dict[str, Any] = {}
        self._generator: torch.Generator | None = None

    def fit(self, dataset, masker, ctx) -> Path:
        """Train on ``dataset``'s normal training videos (resuming from ``ctx.workdir``); returns the checkpoint."""
        from vadbench_plugins.models._ramvid_train import train

        checkpoint = train(self.settings, self.diffusion, dataset, masker, ctx)
        self.load(checkpoint, ctx.device)
        return checkpoint

    def load(self, checkpoint: Path, device: str) -> None:
        """Load the EMA weights of ``checkpoint`` (raw weights with ``use_ema=false``) onto ``device``."""
        from vadbench_plugins.models._ramvid_train import read_checkpoint

        state = read_checkpoint(Path(checkpoint))
        config = UNetConfig.from_dict(state["config"]["unet"])
        if config.mixer != self.settings.mixer:
            raise ConfigError(f"{checkpoint} holds a '{config.mixer}' model, not '{self.settings.mixer}'; "
                              f"evaluate it with the {config.mixer}-ramvid model")
        net = UNet3D(config, checkpointing=False)
        weights = "ema" if self.settings.use_ema else "raw"
        net.load_state_dict(ema_weights(state["ema"]) if self.settings.use_ema else state["model"])
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self._generator = torch.Generator(device=self.device).manual_seed(self.settings.sample_seed)
        self._loaded = {"checkpoint": str(checkpoint), "step": int(state["step"]), "weights": weights,
                        "parameters": sum(p.numel() for p in net.parameters()), "unet": config.to_dict()}

    @torch.no_grad()
    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        """``clips``: float ``b l c h w`` in [0, 1]; ``anchors``: bool ``l`` -> ``b l c h w`` in [0, 1] whose anchor
        frames are the input's. Windows go through the sampler ``infer_batch_size`` at a time."""
        if self.net is None:
            raise ConfigError(f"model '{self.name}' has no weights: call load(checkpoint, device) or fit first")
        if clips.ndim != 5 or anchors.shape != (clips.shape[1],) or anchors.dtype != torch.bool:
            raise ValueError(f"reconstruct needs clips b l c h w and bool anchors l, got clips {tuple(clips.shape)} "
                             f"and anchors {tuple(anchors.shape)} {anchors.dtype}")
        s = self.settings
        outputs = []
        for chunk in clips.split(s.infer_batch_size):
            x0 = rearrange(chunk.to(self.device, torch.float32), "b l c h w -> b c l h w") * 2 - 1
            with autocast(self.device):
                video = sample(self.net, self.diffusion, x0, anchors.to(self.device), method=s.sampler,
                               steps=s.sampling_steps, eta=s.eta, generator=self._generator)
            outputs.append(rearrange((video.float() + 1) / 2, "b c l h w -> b l c h w").clamp(0, 1).cpu())
        result = torch.cat(outputs)
        result[:, anchors] = clips[:, anchors].to(result.dtype)
        return result

    def provenance(self) -> dict[str, Any]:
        """Weights, sampler, steps, mixer code paths, device and dtype of the last ``reconstruct``."""
        s = self.settings
        paths = sorted({str(m.path_used) for m in self.net.modules() if hasattr(m, "path_used")}) if self.net else []
        return {**self._loaded, "settings": s.to_dict(), "sampler": s.sampler, "sampling_steps": s.sampling_steps,
                "eta": s.eta, "nfe_per_window": s.sampling_steps, "mixer": s.mixer, "mixer_path": paths,
                "device": str(self.device), "dtype": "bfloat16" if self.device.type == "cuda" else "float32"}


def autocast(device: torch.device) -> torch.autocast:
    """bf16 autocast on CUDA; a disabled context elsewhere (CPU runs in float32)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def ema_weights(ema_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The network's state dict inside an ``AveragedModel`` state dict (drops ``module.`` and ``n_averaged``)."""
    return {key.removeprefix("module."): value for key, value in ema_state.items() if key.startswith("module.")}
