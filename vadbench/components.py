"""The four component contracts (Dataset, Masker, Model, Scorer) and the records they exchange.

Plugins implement these protocols; the runner only ever talks to components through them. Arrays follow
einops notation in the docstrings: ``f`` frames, ``h w`` height and width, ``c`` = 3 RGB channels, ``b`` batch,
``l`` window length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Video:
    """One video of a dataset split."""

    id: str
    split: str
    scene: str
    num_frames: int
    fps: float
    source: str  # the file or frame folder it is decoded from


@dataclass(frozen=True)
class Track:
    """One object's presence in a video: frames ``start..end`` (0-based, inclusive)."""

    object_id: int
    start: int
    end: int
    abnormal: bool = True
    boxes: tuple[tuple[int, int, int, int, int], ...] = ()  # (frame, x_min, y_min, x_max, y_max) where known,
    # inclusive pixels at ``Dataset.frame_size``: the track's ground-truth region in each annotated frame, one per
    # frame (the regions RBDC and TBDC match detections against)


@dataclass
class CheckReport:
    """What ``Dataset.check()`` found under a root: counts, or exactly what is missing or malformed."""

    dataset: str
    root: str
    videos: dict[str, int] = field(default_factory=dict)  # split -> number of videos
    frames: dict[str, int] = field(default_factory=dict)  # split -> number of frames
    abnormal_frames: int = 0
    scenes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each names a path and the fix

    @property
    def ok(self) -> bool:
        return not self.problems


@runtime_checkable
class Dataset(Protocol):
    """A video anomaly detection dataset read from disk (or generated) and cached as uint8 frames."""

    name: str
    frame_size: tuple[int, int]  # (h, w) of every array ``frames`` returns

    def videos(self, split: str) -> list[Video]:
        """The videos of ``split`` ("train", "validation" or "test"), in a stable order."""

    def frames(self, video: Video) -> np.ndarray:
        """uint8 RGB frames ``f h w c`` at ``frame_size``, memory-mapped from the frame cache."""

    def labels(self, video: Video) -> np.ndarray:
        """uint8 per-frame labels ``f`` (1 = anomalous) of a test video."""

    def masks(self, video: Video) -> np.ndarray | None:
        """bool pixel masks ``f h w`` at ``frame_size`` (True = anomalous pixel), or None if the dataset has none."""

    def tracks(self, video: Video) -> list[Track] | None:
        """The video's annotated object tracks, or None if the dataset has none. Abnormal tracks with boxes are the
        ground truth of RBDC and TBDC; a track's position in the list is its track id."""

    def fingerprint(self) -> str:
        """A digest that changes whenever a source file or a setting that shapes frames or labels changes."""

    def check(self) -> CheckReport:
        """Validate the dataset root without decoding everything; never raises for a bad root."""

    # Optional: ``anomaly_kinds(video) -> dict[str, np.ndarray] | None``, bool ``f`` per anomaly kind name of a test
    # video (the frames where an abnormal object of that kind is labelled), disjoint and adding up to ``labels``;
    # kinds with no frame are left out, and None means the dataset does not name kinds. The evaluation then also
    # reports metrics per kind (scope "kind").


@runtime_checkable
class Masker(Protocol):
    """Chooses the anchor frames (clean conditioning frames) of a window of ``length`` frames."""

    name: str

    def training_anchors(self, length: int, rng: np.random.Generator) -> np.ndarray:
        """bool ``l`` anchor mask for one training sample (True = anchor, fed clean, not in the loss)."""

    def inference_anchors(self, length: int) -> np.ndarray:
        """bool ``l`` anchor mask used for every test window."""


@dataclass
class FitContext:
    """What the runner hands a model's ``fit``: where to write, the seed, the device and the protocol window."""

    workdir: Path  # the fit stage's content-addressed folder; checkpoints go here, resume reads from here. A
    # ``train_log.jsonl`` there (``vadbench.training_log``: one JSON object per step with ``step`` and ``loss``) is
    # drawn by ``vadbench plot``.
    seed: int
    device: str
    window: int  # L, the window length of the protocol
    progress: Callable[..., Any]  # progress(description, total) -> task with advance(n=1) and update(**fields)
    log: Callable[[int, dict[str, float]], None] = lambda step, values: None  # log(step, {"loss": ...}) feeds
    # the experiment trackers (the ``log_metrics`` hook); call it once per optimiser step


@dataclass(frozen=True)
class WindowSeeds:
    """Seeds of the sampling noise of a batch of test windows, handed to stochastic models' ``reconstruct``.

    ``windows[i]`` derives from (sample seed, video id, start frame of window ``i``), so a window's draw never
    depends on what else ran in the process; ``shared`` derives from the sample seed alone (one draw for all).
    """

    shared: int
    windows: tuple[int, ...]


@runtime_checkable
class ReconstructionModel(Protocol):
    """A VAD method that fills the masked frames of test windows; a scorer turns its errors into frame scores."""

    name: str

    def reconstruct(self, clips: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        """Fill windows: ``clips`` float ``b l c h w`` in [0, 1], ``anchors`` bool ``l``; returns ``b l c h w``
        in [0, 1] whose anchor frames equal the input's."""

    def provenance(self) -> dict[str, Any]:
        """Facts about how the last call ran (e.g. which code path), stored with the job."""


@runtime_checkable
class ScoresModel(Protocol):
    """A VAD method that scores the frames of a test video itself (no masker, no scorer)."""

    name: str

    def score_video(self, dataset: Dataset, video: Video) -> np.ndarray:
        """Per-frame anomaly scores ``f`` (float, NaN where unscored) of a test video."""

    def provenance(self) -> dict[str, Any]:
        """Facts about how the last call ran, stored with the job."""


@runtime_checkable
class Learned(Protocol):
    """What a model of either shape adds when it has weights: the runner fits it, then loads a checkpoint."""

    def fit(self, dataset: Dataset, masker: Masker | None, ctx: FitContext) -> Path:
        """Train one-class on ``dataset.videos("train")`` (``masker`` is None for a scores model); resume from
        ``ctx.workdir``; return the final checkpoint."""

    def load(self, checkpoint: Path, device: str) -> None:
        """Load weights for inference (EMA weights where the model keeps them)."""


Model = ReconstructionModel | ScoresModel
# Optional on any model: ``inference_settings`` (names of settings that do not change training, so changing them
# reuses the checkpoint) and ``fingerprint() -> str`` (identity of external inputs such as score files). Optional
# on a reconstruction model: ``stochastic = True`` (``reconstruct`` then takes a third argument, the windows'
# ``WindowSeeds``, may return ``b k l c h w`` with one reconstruction per draw, and the job runs once per
# ``--sample-seed``). Optional on a scores model: ``error_maps(dataset, video) -> np.ndarray``, float ``f h w`` at the
# dataset's frame size (NaN frames: no map), for the localisation metrics; None where a model has none.


def model_shape(model: object) -> Literal["reconstruction", "scores"]:
    """Which contract ``model`` implements; a model that implements both or neither is a ConfigError."""
    from vadbench.errors import ConfigError

    reconstructs, scores = isinstance(model, ReconstructionModel), isinstance(model, ScoresModel)
    if reconstructs == scores:
        what = "both reconstruct and score_video" if reconstructs else "neither reconstruct nor score_video"
        raise ConfigError(f"model {getattr(model, 'name', model)!r} has {what} (with name and provenance); a model "
                          "implements exactly one of vadbench.components.ReconstructionModel and ScoresModel")
    return "reconstruction" if reconstructs else "scores"


def is_learned(model: object) -> bool:
    """Whether the model has weights to fit and load (``Learned``)."""
    return isinstance(model, Learned)


def is_stochastic(model: object) -> bool:
    """Whether the model samples: its reconstructions depend on the windows' noise seeds."""
    return bool(getattr(model, "stochastic", False))


@runtime_checkable
class Scorer(Protocol):
    """Maps (frame, reconstruction) pairs to one anomaly score per frame, larger = more anomalous."""

    name: str

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        """``frames``, ``reconstructions``: float ``n c h w`` in [0, 1] on one device; returns float32 ``n``
        on that device."""

    # Optional: ``error_map(frames, reconstructions) -> torch.Tensor``, float32 ``n h w`` on the frames' device at
    # the frames' resolution, larger = more anomalous: where in each frame the score comes from. The localisation
    # metrics (pixel AUROC, AUPRO, RBDC/TBDC; ``docs/metrics.md``) are computed from it.
