"""``conv-ae``: Conv-AE (Hasan et al., "Learning Temporal Regularity in Video Sequences", CVPR 2016) behind the
vadbench contract, a learned reconstruction model.

A window of ``l`` frames (grayscale when the preset says so) is one stack of ``l`` input channels; the autoencoder
reconstructs the whole stack from itself, so every frame of the window, masked or not, is an input: the masker
only decides which frames are scored (``autoencode``: all of them). Training minimises the paper's Euclidean
loss, half the summed squared error per window averaged over the batch, with L2 weight decay in the optimiser;
the training anchors play no part.

A gray model reconstructs luma (BT.601) only. Its RGB output is the input frame with the luma change replicated
to the three channels, ``x + (y_hat - y)``: the frame's colour, which the model never sees, is carried over, so
a scorer comparing the output with the RGB frame measures the luma reconstruction error the paper scores
(``mse`` = the mean of ``(y_hat - y)^2``, up to clipping to [0, 1]) and not the frame's colourfulness, as
replicating ``y_hat`` alone would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from vadbench.checks import is_int
from vadbench.errors import ConfigError
from vadbench_plugins.classic.nets import ConvAEConfig, ConvAENet

METHOD = "conv-ae"
OPTIMIZERS = ("adagrad", "adam")

# Network and training defaults per preset; a setting left null takes the value here.
PRESETS: dict[str, dict[str, Any]] = {
    # The paper: 227x227 gray frames, conv 11x11/4 512 -> pool -> 5x5 256 -> pool -> 3x3 128 and its mirror;
    # AdaGrad at 0.01 on batches of 1024 windows with Xavier initialisation.
    "paper": {"widths": (512, 256, 128), "kernels": (11, 5, 3), "stride": 4, "grayscale": True,
              "optimizer": "adagrad", "lr": 0.01, "batch_size": 1024, "train_steps": 150_000},
    # CPU at 32x32: conv 4x4/2 32 -> pool -> 3x3 16 -> pool -> 3x3 8 (about 22k parameters for 10 frames).
    "tiny": {"widths": (32, 16, 8), "kernels": (4, 3, 3), "stride": 2, "grayscale": True,
             "optimizer": "adam", "lr": 3e-3, "batch_size": 8, "train_steps": 1000},
}


@dataclass(frozen=True)
class ConvAESettings:
    """Every setting of ``conv-ae`` and its default (JSON values); a null takes the preset's value (``PRESETS``)."""

    preset: str = "paper"
    grayscale: bool | None = None
    optimizer: str | None = None
    lr: float | None = None
    weight_decay: float = 5e-4
    batch_size: int | None = None
    train_steps: int | None = None
    checkpoint_every: int = 1000
    infer_batch_size: int = 32

    def resolved(self) -> ConvAESettings:
        """These settings with the preset's values in place of nulls, validated."""
        if self.preset not in PRESETS:
            raise ConfigError(f"model conv-ae: preset={self.preset!r} is unknown; valid presets: {', '.join(PRESETS)}")
        defaults = PRESETS[self.preset]
        filled = replace(self, **{key: defaults[key] for key in ("grayscale", "optimizer", "lr", "batch_size",
                                                                 "train_steps") if getattr(self, key) is None})
        filled.validate()
        return filled

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"model conv-ae: optimizer={self.optimizer!r} is unknown; valid optimizers: "
                              f"{', '.join(OPTIMIZERS)}")
        if not isinstance(self.grayscale, bool):
            raise ConfigError(f"model conv-ae: grayscale={self.grayscale!r} must be true or false")
        for key in ("batch_size", "train_steps", "checkpoint_every", "infer_batch_size"):
            value = getattr(self, key)
            if not is_int(value) or value < 1:
                raise ConfigError(f"model conv-ae: {key}={value!r} must be an integer >= 1")
        if not self.lr > 0 or not self.weight_decay >= 0:
            raise ConfigError(f"model conv-ae: lr={self.lr!r} must be > 0 and weight_decay={self.weight_decay!r} "
                              ">= 0")

    def network(self, frames: int) -> ConvAEConfig:
        """The preset's network for windows of ``frames`` frames."""
        preset = PRESETS[self.preset]
        return ConvAEConfig(frames=frames, channels=1 if self.grayscale else 3, widths=preset["widths"],
                            kernels=preset["kernels"], stride=preset["stride"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConvAETrainer:
    """The network and its optimiser; ``step`` is one step of the Euclidean loss on a batch of windows."""

    def __init__(self, net: ConvAENet, settings: ConvAESettings) -> None:
        self.net, self.settings = net, settings
        optimizer = torch.optim.Adagrad if settings.optimizer == "adagrad" else torch.optim.Adam
        self.optimizer = optimizer(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)

    def step(self, clips: torch.Tensor, anchors: torch.Tensor) -> dict[str, float]:
        """One step on windows ``b l c h w`` in [0, 1] (every frame in the loss; the anchors play no part)."""
        stack = frame_stack(clips, self.net.config.channels == 1)
        loss = 0.5 * (self.net(stack) - stack).square().sum(dim=(1, 2, 3)).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": float(loss.detach())}

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])


class ConvAE:
    """``conv-ae``: every frame of a window reconstructed from the window's frame stack; anchors returned as given."""

    name = "conv-ae"
    settings_type = ConvAESettings
    inference_settings = frozenset({"infer_batch_size"})

    def __init__(self, **settings: Any) -> None:
        self.settings = ConvAESettings(**settings).resolved()
        self.net: ConvAENet | None = None
        self.device = torch.device("cpu")
        self._loaded: dict[str, Any] = {}

    def fit(self, dataset, masker, ctx) -> Path:
        """Train on ``dataset``'s training videos in windows of ``ctx.window`` frames (resuming from
        ``ctx.workdir``); returns the checkpoint."""
        from vadbench_plugins.classic.training import train

        config = self.settings.network(ctx.window)
        config.check_size(*dataset.frame_size)
        torch.manual_seed(ctx.seed)
        net = ConvAENet(config).to(ctx.device)
        s = self.settings
        checkpoint = train(ConvAETrainer(net, s), method=METHOD, config=self._config(config), steps=s.train_steps,
                           batch_size=s.batch_size, checkpoint_every=s.checkpoint_every, dataset=dataset,
                           masker=masker, ctx=ctx)
        self.load(checkpoint, ctx.device)
        return checkpoint

    def _config(self, network: ConvAEConfig) -> dict[str, Any]:
        """What a checkpoint needs to rebuild the network and what shaped its training (not the step budget)."""
        s = self.settings
        return {"network": network.to_dict(), "optimizer": s.optimizer, "lr": s.lr, "weight_decay": s.weight_decay,
                "batch_size": s.batch_size}

    def load(self, checkpoint: Path, device: str) -> None:
        """Load the weights of ``checkpoint`` onto ``device``; the network is the checkpoint's own."""
        from vadbench_plugins.classic.training import load_trained

        self.net, _, loaded = load_trained(
            checkpoint, METHOD, lambda config: ConvAENet(ConvAEConfig.from_dict(config["network"])), "net", device)
        self.device = torch.device(device)
        self._loaded = {**loaded, "network": self.net.config.to_dict()}

    @torch.no_grad()
    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        """``clips`` float ``b l c h w`` in [0, 1], ``anchors`` bool ``l`` -> ``b l c h w`` in [0, 1]: every frame
        reconstructed from the window's stack (a gray model's luma change added to every channel of the input),
        anchor frames equal to the input."""
        if self.net is None:
            raise ConfigError(f"model '{self.name}' has no weights: call load(checkpoint, device) or fit first")
        config = self.net.config
        if clips.ndim != 5 or clips.shape[1] != config.frames or anchors.shape != (clips.shape[1],):
            raise ConfigError(f"conv-ae was trained on windows of {config.frames} frames; it got clips "
                              f"{tuple(clips.shape)} (b l c h w) and anchors {tuple(anchors.shape)}: evaluate it "
                              f"with protocol.window={config.frames}")
        config.check_size(*clips.shape[-2:])
        gray = config.channels == 1
        outputs = []
        for first in range(0, len(clips), self.settings.infer_batch_size):
            chunk = clips[first:first + self.settings.infer_batch_size].to(self.device, torch.float32)
            stack = frame_stack(chunk, gray)
            recon = unstack(self.net(stack), config.frames)  # b l c' h w
            if gray:
                recon = chunk + (recon - unstack(stack, config.frames))  # the luma change on every channel
            outputs.append(recon.clamp(0, 1).cpu())
        filled = torch.cat(outputs)
        filled[:, anchors] = clips[:, anchors].to(filled.dtype)
        return filled

    def provenance(self) -> dict[str, Any]:
        """The weights, network and device of the last ``reconstruct``."""
        gray = self.net.config.channels == 1 if self.net is not None else self.settings.grayscale
        return {**self._loaded, "settings": self.settings.to_dict(), "device": str(self.device),
                "input": "gray" if gray else "rgb"}


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as OpenCV's RGB-to-gray


def frame_stack(clips: torch.Tensor, gray: bool) -> torch.Tensor:
    """``b l c h w`` RGB -> the autoencoder's input ``b (l c') h w``, ``c'`` = 1 (luma) or 3."""
    if gray:
        clips = torch.einsum("blchw,c->blhw", clips, clips.new_tensor(LUMA))[:, :, None]
    return clips.flatten(1, 2)


def unstack(stack: torch.Tensor, frames: int) -> torch.Tensor:
    """``b (l c') h w`` -> ``b l c' h w``."""
    return stack.unflatten(1, (frames, -1))
