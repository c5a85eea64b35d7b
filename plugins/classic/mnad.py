"""MNAD (Park, Noh, Ham, "Learning Memory-guided Normality for Anomaly Detection", CVPR 2020), prediction variant,
as a vadbench scores model: it predicts each frame from the ``context`` real frames before it and scores the frame
itself, because its score needs the memory's feature distance, which a scorer never sees.

Training (``fit``): clips of ``context + 1`` consecutive training frames (its own window, not the protocol's);
loss = MSE of the predicted last frame (in [-1, 1], as the authors' code) + ``lambda_compact`` * compactness +
``lambda_separate`` * separateness (``vadbench_plugins.classic.memory``); the memory items move once per step with
the batch's queries; Adam with a cosine decay of the learning rate to zero over the steps (the authors' code
steps its cosine once per epoch).

Test (``score_video``), per video, following the authors' ``Evaluate.py``: frame ``t >= context`` is predicted
from frames ``t - context .. t - 1``, which gives its PSNR (on [0, 1] frames) and its feature distance (the
compactness of its queries: the mean squared distance of each query to its nearest item); after that, when the
frame's point score (the error-weighted mean of its squared error, ``utils.point_score``) is below
``update_threshold`` (``th``; 0 turns it off), the memory is updated with the frame's queries, so later frames of
the video read the updated memory. The anomaly score is ``1 - (alpha * minmax(PSNR) + (1 - alpha) * (1 -
minmax(distance)))`` over the video's predicted frames, NaN for the first ``context``.

One departure, so that a frame's score depends on its own video alone and a resumed inference (the runner resumes
per video) equals an uninterrupted one: the memory is reset to the trained items at the start of every video. The
authors' ``Evaluate.py`` carries the test-time updated memory from one video into the next, in sorted order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from vadbench.checks import is_int, is_number
from vadbench.errors import ConfigError
from vadbench.evaluation.postprocess import minmax
from vadbench_plugins.classic.memory import flat_queries
from vadbench_plugins.classic.mnad_net import DOWNSAMPLING, MnadNet, MnadNetConfig

METHOD = "mnad"
MAX_PSNR = 100.0  # dB; a frame predicted exactly would have an infinite PSNR

# The network and training recipe per preset; a setting left null takes its preset's value.
PRESETS: dict[str, dict[str, Any]] = {
    # Train.py / Evaluate.py defaults for the prediction task: 256x256 frames, 10 items of 512-d, batch 4, Adam
    # 2e-4, 60 epochs, lambda_c = lambda_s = 0.1 (README: 0.01 for the reconstruction task).
    "paper": {"widths": (64, 128, 256, 512), "memory_items": 10, "epochs": 60, "batch_size": 4, "lr": 2e-4},
    # A CPU network for 32x32 frames (docs/models.md has its cost and AUC on the synthetic dataset).
    "tiny": {"widths": (16, 32, 64, 64), "memory_items": 10, "train_steps": 600, "batch_size": 8, "lr": 2e-3},
}


@dataclass(frozen=True)
class MnadSettings:
    """Every setting of ``mnad`` and its default (JSON values). Budget: ``train_steps`` optimiser steps, or
    ``epochs`` passes over the training samples (one per frame with ``context`` frames before it); with both null,
    the preset's."""

    preset: str = "paper"
    context: int = 4
    memory_items: int | None = None
    train_steps: int | None = None
    epochs: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    lambda_compact: float = 0.1
    lambda_separate: float = 0.1
    checkpoint_every: int = 1000
    alpha: float = 0.6
    update_threshold: float = 0.01
    infer_batch_size: int = 32

    def resolved(self) -> MnadSettings:
        """These settings with the preset's values in place of nulls, validated (one ConfigError naming every bad
        value)."""
        if self.preset not in PRESETS:
            raise ConfigError(f"model mnad: preset={self.preset!r} is unknown; valid presets: {', '.join(PRESETS)}")
        preset = PRESETS[self.preset]
        budget_given = self.train_steps is not None or self.epochs is not None
        filled = {name: value for name, value in preset.items() if name in {f.name for f in fields(self)}
                  and getattr(self, name) is None and not (budget_given and name in ("train_steps", "epochs"))}
        settings = replace(self, **filled)
        settings.validate()
        return settings

    def validate(self) -> None:
        problems = []
        for name in ("context", "batch_size", "checkpoint_every", "infer_batch_size"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)!r} must be an integer >= 1")
        if not is_int(self.memory_items) or self.memory_items < 2:
            problems.append(f"memory_items={self.memory_items!r} must be an integer >= 2 (separateness compares "
                            "each query's two nearest items)")
        if (self.train_steps is None) == (self.epochs is None):
            problems.append(f"train_steps={self.train_steps!r} and epochs={self.epochs!r}: give one of them (the "
                            "step budget), the other null")
        elif self.train_steps is not None and (not is_int(self.train_steps) or self.train_steps < 1):
            problems.append(f"train_steps={self.train_steps!r} must be an integer >= 1")
        elif self.epochs is not None and not (is_number(self.epochs) and self.epochs > 0):
            problems.append(f"epochs={self.epochs!r} must be a number > 0")
        if not (is_number(self.lr) and self.lr > 0):
            problems.append(f"lr={self.lr!r} must be a number > 0")
        for name in ("lambda_compact", "lambda_separate", "update_threshold"):
            value = getattr(self, name)
            if not (is_number(value) and math.isfinite(value) and value >= 0):
                problems.append(f"{name}={value!r} must be a number >= 0")
        if not (is_number(self.alpha) and 0 <= self.alpha <= 1):
            problems.append(f"alpha={self.alpha!r} must be a number from 0 to 1 (the weight of the PSNR term)")
        if problems:
            raise ConfigError("model mnad: " + "; ".join(problems))

    def net(self) -> MnadNetConfig:
        """The network of these settings, for RGB frames."""
        return MnadNetConfig(context=self.context, channels=3, widths=tuple(PRESETS[self.preset]["widths"]),
                             memory_items=self.memory_items)

    def recipe(self) -> dict[str, Any]:
        """What shapes the training trajectory besides the network and the step budget (stored in checkpoints)."""
        return {"batch_size": self.batch_size, "lr": self.lr, "lambda_compact": self.lambda_compact,
                "lambda_separate": self.lambda_separate}

    def steps(self, dataset) -> int:
        """The step budget: ``train_steps``, or ``epochs`` passes over the training samples."""
        if self.train_steps is not None:
            return self.train_steps
        samples = sum(max(video.num_frames - self.context, 0) for video in dataset.videos("train"))
        return max(1, math.ceil(self.epochs * samples / self.batch_size))


class MnadTrainer:
    """One optimiser step of MNAD (the ``StepTrainer`` of ``vadbench_plugins.classic.training``); its state holds
    the network (memory items included: a buffer), the optimiser and the number of steps taken."""

    def __init__(self, net: MnadNet, settings: MnadSettings, steps: int) -> None:
        self.net = net.train()
        self.settings = settings
        self.total_steps = steps
        self.steps_done = 0
        self.optimizer = torch.optim.Adam(net.parameters(), lr=settings.lr)

    def learning_rate(self) -> float:
        """Cosine decay from ``lr`` at step 0 towards zero at the last step."""
        return self.settings.lr * 0.5 * (1 + math.cos(math.pi * self.steps_done / self.total_steps))

    def step(self, clips: torch.Tensor, anchors: torch.Tensor | None = None) -> dict[str, float]:
        """``clips`` float ``b l c h w`` in [0, 1] with ``l = context + 1``: predict the last frame from the others
        (``anchors`` are unused: MNAD has no masker)."""
        s = self.settings
        x = clips * 2 - 1
        features, skips = self.net.encode(x[:, :-1])
        queries = flat_queries(features)
        compactness = self.net.memory.compactness(queries)
        separateness = self.net.memory.separateness(queries)
        prediction = F.mse_loss(self.net.decode(queries, features, skips), x[:, -1])
        loss = prediction + s.lambda_compact * compactness + s.lambda_separate * separateness
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.net.memory.update_(queries)
        self.steps_done += 1
        return {"loss": float(loss.detach()), "prediction": float(prediction.detach()),
                "compactness": float(compactness.detach()), "separateness": float(separateness.detach())}

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(), "steps": self.steps_done}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps_done = int(state["steps"])


@dataclass
class VideoPredictions:
    """What MNAD makes of the predicted frames ``t >= context`` of one video (``f'`` of them)."""

    psnr: np.ndarray  # float64 f'
    distance: np.ndarray  # float64 f': feature distance (mean squared query-to-nearest-item distance)
    maps: np.ndarray | None  # float32 f' h w: squared error per pixel, mean over channels, on [0, 1] frames


class Mnad:
    """``mnad``: a learned scores model (``fit``, ``load``, ``score_video``, ``error_maps``)."""

    name = METHOD
    settings_type = MnadSettings
    # Settings that only shape inference: changing them reuses the trained checkpoint.
    inference_settings = frozenset({"alpha", "update_threshold", "infer_batch_size"})

    def __init__(self, **settings: Any) -> None:
        self.settings = MnadSettings(**settings).resolved()
        self.net: MnadNet | None = None
        self.device = torch.device("cpu")
        self._trained_items: torch.Tensor | None = None
        self._loaded: dict[str, Any] = {}

    def fit(self, dataset, masker, ctx) -> Path:
        """Train on ``dataset``'s training videos (resuming from ``ctx.workdir``); returns the final checkpoint."""
        from vadbench_plugins.classic.training import train

        s = self.settings
        check_frame_size(dataset)
        config = {"net": s.net().to_dict(), "recipe": s.recipe()}
        torch.manual_seed(ctx.seed)  # the initial weights and memory items
        net = MnadNet(s.net()).to(ctx.device)
        steps = s.steps(dataset)
        checkpoint = train(MnadTrainer(net, s, steps), method=METHOD, config=config, steps=steps,
                           batch_size=s.batch_size, checkpoint_every=s.checkpoint_every, dataset=dataset,
                           masker=None, ctx=ctx, window=s.context + 1)
        self.load(checkpoint, ctx.device)
        return checkpoint

    def load(self, checkpoint: Path, device: str) -> None:
        """Load the network and trained memory items of ``checkpoint`` onto ``device``; the network shape is the
        checkpoint's own."""
        from vadbench_plugins.classic.training import load_trained

        self.net, state, loaded = load_trained(
            checkpoint, METHOD, lambda config: MnadNet(MnadNetConfig.from_dict(config["net"])), "net", device)
        self.device = torch.device(device)
        self._trained_items = self.net.memory.items.clone()
        self._loaded = {**loaded, "net": self.net.config.to_dict(), "recipe": state["config"]["recipe"]}

    def score_video(self, dataset, video) -> np.ndarray:
        """float64 ``f`` anomaly scores: ``1 - (alpha * minmax(PSNR) + (1 - alpha) * (1 - minmax(distance)))``
        per predicted frame, NaN for the first ``context`` frames."""
        predicted = self._predict(dataset, video, maps=False)
        regularity = (self.settings.alpha * minmax(predicted.psnr)
                      + (1 - self.settings.alpha) * (1 - minmax(predicted.distance)))
        return self._pad(video, 1 - regularity)

    def error_maps(self, dataset, video) -> np.ndarray:
        """float32 ``f h w`` squared prediction error per pixel (mean over channels, on [0, 1] frames); NaN frames
        for the first ``context``."""
        return self._pad(video, self._predict(dataset, video, maps=True).maps)

    def _pad(self, video, values: np.ndarray) -> np.ndarray:
        """``f' ...`` values of the predicted frames -> ``f ...`` with NaN for the first ``context`` frames."""
        padded = np.full((video.num_frames, *values.shape[1:]), np.nan, dtype=values.dtype)
        padded[video.num_frames - len(values):] = values
        return padded

    @torch.no_grad()
    def _predict(self, dataset, video, maps: bool) -> VideoPredictions:
        """Predict every frame ``t >= context`` of ``video`` in order, from the memory as trained (reset here) and
        updated by the earlier frames of this video whose point score is below ``update_threshold``."""
        if self.net is None:
            raise ConfigError(f"model '{self.name}' has no weights: call load(checkpoint, device) or fit first")
        check_frame_size(dataset)
        s, net = self.settings, self.net
        context = net.config.context
        net.memory.items.copy_(self._trained_items)
        frames = dataset.frames(video)
        targets = range(context, len(frames))
        psnr, distance, error_maps = [], [], []
        for first in range(0, len(targets), s.infer_batch_size):
            chunk = targets[first:first + s.infer_batch_size]
            windows = np.stack([frames[t - context:t + 1] for t in chunk])  # b (t+1) h w c
            x = torch.from_numpy(windows).to(self.device).permute(0, 1, 4, 2, 3).float().div_(127.5).sub_(1)
            features, skips = net.encode(x[:, :-1])
            for i in range(len(chunk)):
                feature = features[i:i + 1]
                queries = flat_queries(feature)
                predicted = net.decode(queries, feature, [skip[i:i + 1] for skip in skips])
                error = ((predicted[0] + 1) / 2 - (x[i, -1] + 1) / 2).square()  # c h w on [0, 1] frames
                mse = float(error.mean())
                psnr.append(min(10 * math.log10(1 / mse), MAX_PSNR) if mse > 0 else MAX_PSNR)
                distance.append(float(net.memory.compactness(queries)))
                if maps:
                    error_maps.append(error.mean(dim=0).cpu().numpy())
                if point_score(error) < s.update_threshold:
                    net.memory.update_(queries)
        h, w = frames.shape[1:3]
        return VideoPredictions(np.asarray(psnr, dtype=np.float64), np.asarray(distance, dtype=np.float64),
                                np.asarray(error_maps, dtype=np.float32).reshape(-1, h, w) if maps else None)

    def provenance(self) -> dict[str, Any]:
        """Weights, settings, device and the test-time memory rule."""
        return {**self._loaded, "settings": asdict(self.settings), "device": str(self.device),
                "test_memory": "reset to the trained items at the start of every test video"}


def point_score(error: torch.Tensor) -> float:
    """MNAD's update criterion (``utils.point_score``): the mean of the squared error ``c h w`` weighted by
    ``1 - exp(-error)``, which favours the larger errors."""
    weight = 1 - torch.exp(-error)
    total = float(weight.sum())
    return float((weight * error).sum()) / total if total > 0 else 0.0


def check_frame_size(dataset) -> None:
    """MNAD's three 2x2 pools need frame sides divisible by 8."""
    h, w = dataset.frame_size
    if h % DOWNSAMPLING or w % DOWNSAMPLING:
        raise ConfigError(f"model mnad needs frame sides divisible by {DOWNSAMPLING}, but dataset '{dataset.name}' "
                          f"gives {h}x{w}; set dataset.{dataset.name}.size to e.g. "
                          f"[{h // DOWNSAMPLING * DOWNSAMPLING or DOWNSAMPLING}, "
                          f"{w // DOWNSAMPLING * DOWNSAMPLING or DOWNSAMPLING}]")
