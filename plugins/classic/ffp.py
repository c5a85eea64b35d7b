"""``ffp``: Future Frame Prediction (Liu, Luo, Lian, Gao, "Future Frame Prediction for Anomaly Detection -- A New
Baseline", CVPR 2018) behind the vadbench contract, a learned reconstruction model.

Each masked frame ``t`` of a window is predicted by the U-Net generator from the ``context`` real frames just
before it, stacked as channels (the model always sees the real past, whichever of those frames are masked). Where
the window holds fewer than ``context`` frames before ``t``, the earliest frame of the window is repeated in
their place (``t = 2``, ``context = 4``: frames 0, 0, 0, 1); frame 0 has no past and cannot be masked. Training
predicts every masked frame ``t >= 1`` of each training window with the paper's losses: intensity (L2), gradient
(L1 between the absolute image gradients) and, when ``adversarial``, a least-squares GAN with FFP's PatchGAN
discriminator (weight 0.05). The optical-flow loss needs FlowNet2 weights pretrained on other data, which cannot
be fetched here: ``flow_loss`` stays false, and the provenance says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vadbench.checks import is_int, is_number
from vadbench.errors import ConfigError
from vadbench_plugins.classic.nets import GeneratorConfig, PatchDiscriminator, UNetGenerator

METHOD = "ffp"
FLOW_LOSS_OFF = ("FFP's optical-flow loss compares FlowNet2-SD flows of the predicted and real frames; it needs "
                 "FlowNet2 weights pretrained on other data, which vadbench cannot fetch, so it is off")

# Network and training defaults per preset; a setting left null takes the value here.
PRESETS: dict[str, dict[str, Any]] = {
    # The paper's code (ano_pred_cvpr2018) for RGB data: 256x256 frames, U-Net widths 64-128-256-512, the pix2pix
    # discriminator with 128-256-512-512 filters, Adam at 2e-4 (generator) and 2e-5 (discriminator), batch 4,
    # 80k iterations.
    "paper": {"widths": (64, 128, 256, 512), "discriminator": (128, 256, 512, 512), "adversarial": True,
              "lr": 2e-4, "lr_discriminator": 2e-5, "batch_size": 4, "train_steps": 80_000},
    # CPU at 32x32: widths 8-16-32-64 (about 122k parameters), no discriminator.
    "tiny": {"widths": (8, 16, 32, 64), "discriminator": (16, 32, 64, 64), "adversarial": False,
             "lr": 1e-3, "lr_discriminator": 1e-4, "batch_size": 4, "train_steps": 1000},
}


@dataclass(frozen=True)
class FFPSettings:
    """Every setting of ``ffp`` and its default (JSON values); a null takes the preset's value (``PRESETS``)."""

    preset: str = "paper"
    context: int = 4
    adversarial: bool | None = None
    intensity_weight: float = 1.0
    gradient_weight: float = 1.0
    adversarial_weight: float = 0.05
    flow_loss: bool = False
    lr: float | None = None
    lr_discriminator: float | None = None
    batch_size: int | None = None
    train_steps: int | None = None
    checkpoint_every: int = 1000
    infer_batch_size: int = 32

    def resolved(self) -> FFPSettings:
        """These settings with the preset's values in place of nulls, validated."""
        if self.preset not in PRESETS:
            raise ConfigError(f"model ffp: preset={self.preset!r} is unknown; valid presets: {', '.join(PRESETS)}")
        defaults = PRESETS[self.preset]
        filled = replace(self, **{key: defaults[key] for key in ("adversarial", "lr", "lr_discriminator",
                                                                 "batch_size", "train_steps")
                                  if getattr(self, key) is None})
        filled.validate()
        return filled

    def validate(self) -> None:
        if self.flow_loss is not False:
            raise ConfigError(f"model ffp: flow_loss={self.flow_loss!r} cannot be used: {FLOW_LOSS_OFF}; set "
                              "flow_loss=false")
        if not isinstance(self.adversarial, bool):
            raise ConfigError(f"model ffp: adversarial={self.adversarial!r} must be true or false")
        for key in ("context", "batch_size", "train_steps", "checkpoint_every", "infer_batch_size"):
            value = getattr(self, key)
            if not is_int(value) or value < 1:
                raise ConfigError(f"model ffp: {key}={value!r} must be an integer >= 1")
        for key in ("intensity_weight", "gradient_weight", "adversarial_weight", "lr", "lr_discriminator"):
            value = getattr(self, key)
            if not is_number(value) or value < 0 or (key.startswith("lr") and value == 0):
                raise ConfigError(f"model ffp: {key}={value!r} must be a number "
                                  f"{'> 0' if key.startswith('lr') else '>= 0'}")

    def generator(self) -> GeneratorConfig:
        return GeneratorConfig(context=self.context, channels=3, widths=PRESETS[self.preset]["widths"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def context_indices(targets: torch.Tensor, context: int) -> torch.Tensor:
    """int ``n k``: for each target frame ``t`` (int ``n``, all >= 1) the ``k = context`` frames before it, oldest
    first, frame 0 repeated where fewer than ``k`` precede ``t``."""
    offsets = torch.arange(-context, 0, device=targets.device)
    return (targets[:, None] + offsets[None, :]).clamp(min=0)


def predictor_inputs(clips: torch.Tensor, windows: torch.Tensor, targets: torch.Tensor, context: int) -> torch.Tensor:
    """The generator's inputs for frames ``targets`` of windows ``windows`` (int ``n`` each) of ``clips``
    (``b l c h w`` in [0, 1]): ``n (k c) h w`` in [-1, 1]."""
    frames = clips[windows[:, None], context_indices(targets, context)]  # n k c h w
    return frames.flatten(1, 2) * 2 - 1


def gradient_loss(predicted: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """FFP's gradient loss on ``n c h w``: the mean L1 distance between the absolute horizontal and vertical
    neighbour differences of the two images (zero beyond the right and bottom edges, as its 'SAME' filters)."""
    def gradients(image):
        padded = F.pad(image, (0, 1, 0, 1))
        here = padded[..., :-1, :-1]
        return (padded[..., :-1, 1:] - here).abs(), (padded[..., 1:, :-1] - here).abs()

    (px, py), (rx, ry) = gradients(predicted), gradients(real)
    return (px - rx).abs().mean() + (py - ry).abs().mean()


class FFPTrainer:
    """The generator (and discriminator), their Adam optimisers, and one step of FFP's losses."""

    def __init__(self, generator: UNetGenerator, discriminator: PatchDiscriminator | None,
                 settings: FFPSettings) -> None:
        self.generator, self.discriminator, self.settings = generator, discriminator, settings
        self.optimizer = torch.optim.Adam(generator.parameters(), lr=settings.lr)
        self.optimizer_discriminator = (torch.optim.Adam(discriminator.parameters(), lr=settings.lr_discriminator)
                                        if discriminator is not None else None)

    def step(self, clips: torch.Tensor, anchors: torch.Tensor) -> dict[str, float]:
        """Predict every masked frame ``t >= 1`` of the batch; the discriminator steps first (on this prediction),
        then the generator against the updated discriminator, as FFP's training loop."""
        s = self.settings
        masked = ~anchors
        masked[:, 0] = False
        windows, targets = torch.nonzero(masked, as_tuple=True)
        if len(targets) == 0:
            raise ConfigError("ffp: the masker's training anchors leave no masked frame after the first in a training "
                              "window; use the predict or selective masker")
        real = clips[windows, targets] * 2 - 1
        predicted = self.generator(predictor_inputs(clips, windows, targets, s.context))
        parts = {"intensity": (predicted - real).square().mean(), "gradient": gradient_loss(predicted, real)}
        values = {}
        loss = s.intensity_weight * parts["intensity"] + s.gradient_weight * parts["gradient"]
        if self.discriminator is not None:
            critic = (self.discriminator(real) - 1).square().mean() / 2 + \
                self.discriminator(predicted.detach()).square().mean() / 2
            self.optimizer_discriminator.zero_grad(set_to_none=True)
            critic.backward()
            self.optimizer_discriminator.step()
            parts["adversarial"] = (self.discriminator(predicted) - 1).square().mean() / 2
            loss = loss + s.adversarial_weight * parts["adversarial"]
            values["discriminator"] = float(critic.detach())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": float(loss.detach()), **{name: float(value.detach()) for name, value in parts.items()},
                **values}

    def state_dict(self) -> dict:
        state = {"generator": self.generator.state_dict(), "optimizer": self.optimizer.state_dict()}
        if self.discriminator is not None:
            state |= {"discriminator": self.discriminator.state_dict(),
                      "optimizer_discriminator": self.optimizer_discriminator.state_dict()}
        return state

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.optimizer_discriminator.load_state_dict(state["optimizer_discriminator"])


class FutureFramePrediction:
    """``ffp``: each masked frame predicted from the real frames before it; anchors returned as given."""

    name = "ffp"
    settings_type = FFPSettings
    inference_settings = frozenset({"infer_batch_size"})

    def __init__(self, **settings: Any) -> None:
        self.settings = FFPSettings(**settings).resolved()
        self.generator: UNetGenerator | None = None
        self.device = torch.device("cpu")
        self._loaded: dict[str, Any] = {}

    def fit(self, dataset, masker, ctx) -> Path:
        """Train on ``dataset``'s training videos in windows of ``ctx.window`` frames (resuming from
        ``ctx.workdir``); returns the checkpoint."""
        from vadbench_plugins.classic.training import train

        s = self.settings
        config = s.generator()
        config.check_size(*dataset.frame_size)
        if masker is not None and not masker.inference_anchors(ctx.window)[0]:
            raise ConfigError(f"ffp predicts each masked frame from the frames before it, but masker "
                              f"'{masker.name}' masks frame 0 of a window, which has none; use the predict or "
                              "selective masker")
        torch.manual_seed(ctx.seed)
        generator = UNetGenerator(config).to(ctx.device)
        discriminator = (PatchDiscriminator(config.channels, PRESETS[s.preset]["discriminator"]).to(ctx.device)
                         if s.adversarial else None)
        checkpoint = train(FFPTrainer(generator, discriminator, s), method=METHOD, config=self._config(config),
                           steps=s.train_steps, batch_size=s.batch_size, checkpoint_every=s.checkpoint_every,
                           dataset=dataset, masker=masker, ctx=ctx)
        self.load(checkpoint, ctx.device)
        return checkpoint

    def _config(self, generator: GeneratorConfig) -> dict[str, Any]:
        """What a checkpoint needs to rebuild the generator and what shaped its training (not the step budget)."""
        s = self.settings
        return {"generator": generator.to_dict(), "adversarial": s.adversarial,
                "discriminator": list(PRESETS[s.preset]["discriminator"]) if s.adversarial else None,
                "weights": [s.intensity_weight, s.gradient_weight, s.adversarial_weight], "lr": s.lr,
                "lr_discriminator": s.lr_discriminator, "batch_size": s.batch_size}

    def load(self, checkpoint: Path, device: str) -> None:
        """Load the generator of ``checkpoint`` onto ``device``; the network is the checkpoint's own."""
        from vadbench_plugins.classic.training import load_trained

        self.generator, state, loaded = load_trained(
            checkpoint, METHOD, lambda config: UNetGenerator(GeneratorConfig.from_dict(config["generator"])),
            "generator", device)
        self.device = torch.device(device)
        self._loaded = {**loaded, "generator": self.generator.config.to_dict(),
                        "adversarial": state["config"]["adversarial"]}

    @torch.no_grad()
    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        """``clips`` float ``b l c h w`` in [0, 1], ``anchors`` bool ``l`` -> ``b l c h w`` in [0, 1]: each masked
        frame predicted from the ``context`` real frames before it, anchor frames equal to the input."""
        if self.generator is None:
            raise ConfigError(f"model '{self.name}' has no weights: call load(checkpoint, device) or fit first")
        if clips.ndim != 5 or anchors.shape != (clips.shape[1],):
            raise ValueError(f"reconstruct needs clips b l c h w and anchors l, got clips {tuple(clips.shape)} and "
                             f"anchors {tuple(anchors.shape)}")
        if not anchors[0]:
            raise ConfigError("ffp predicts each masked frame from the frames before it; frame 0 of a window has "
                              "none, so it must be an anchor: use the predict or selective masker")
        config = self.generator.config
        config.check_size(*clips.shape[-2:])
        masked = torch.nonzero(~anchors).flatten()
        windows = torch.arange(len(clips)).repeat_interleave(len(masked))
        targets = masked.repeat(len(clips))
        filled = clips.clone().float()
        for first in range(0, len(targets), self.settings.infer_batch_size):
            part = slice(first, first + self.settings.infer_batch_size)
            inputs = predictor_inputs(clips, windows[part], targets[part], config.context)
            predicted = self.generator(inputs.to(self.device, torch.float32))
            filled[windows[part], targets[part]] = ((predicted + 1) / 2).clamp(0, 1).cpu()
        return filled

    def provenance(self) -> dict[str, Any]:
        """The weights, losses and device of the last ``reconstruct``; the flow loss was off, and why."""
        return {**self._loaded, "settings": self.settings.to_dict(), "device": str(self.device),
                "context": self.settings.context, "short_context": "the window's first frame repeated",
                "flow_loss": False, "flow_loss_off": FLOW_LOSS_OFF}
