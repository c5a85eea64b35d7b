"""What the stages do with each model shape (``vadbench.components.model_shape``): the one place the runner
tells a reconstruction model from a scores model.

- reconstruction: infer fills the masked frames of every window (uint8 ``w k m h w c``, ``k`` draws); score runs
  the scorer on them (window errors ``w l``, NaN at anchors, the mean over draws); evaluate aggregates the errors
  per frame.
- scores: infer stores the model's per-frame scores; score and evaluate pass them on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vadbench.components import Video, WindowSeeds, is_stochastic, model_shape
from vadbench.errors import EvaluationError
from vadbench.evaluation.windows import window_starts
from vadbench.hashing import seed

if TYPE_CHECKING:
    from vadbench.evaluation.protocol import Protocol
    from vadbench.runner.jobs import Job
    from vadbench.runner.stages import Components

WINDOWS_PER_CALL = 16  # windows handed to ``reconstruct`` at once (the model sub-batches on its own)
FRAMES_PER_SCORER_CALL = 256


class ReconstructionShape:
    """A model that fills windows: jobs pair it with every masker and scorer."""

    name = "reconstruction"
    uses_masker = True
    infer_arrays = ("starts", "anchors", "recon")

    def infer_inputs(self, job: Job, parts: Components) -> dict[str, Any]:
        """What the infer stage's output depends on besides the model: the windows and the anchor set (not the
        masker's name: maskers with the same inference anchors share one reconstruction)."""
        anchors = parts.masker.inference_anchors(job.protocol.window)
        return {"windows": job.protocol.keyed_by("infer"), "anchors": np.asarray(anchors, dtype=bool).tolist()}

    def infer_video(self, job: Job, parts: Components, video: Video) -> dict[str, np.ndarray]:
        """uint8 reconstructions ``w k m h w c`` of the ``m`` masked frames of each window start (``k`` draws)."""
        import torch

        length = job.protocol.window
        frames = parts.dataset.frames(video)
        starts = window_starts(len(frames), length, job.protocol.stride)
        anchors = np.asarray(parts.masker.inference_anchors(length), dtype=bool)
        masked = np.flatnonzero(~anchors)
        seeds = window_seeds(job.sample_seed, video.id, starts) if is_stochastic(parts.model) else None
        outputs = []
        for first in range(0, len(starts), WINDOWS_PER_CALL):
            chunk = starts[first:first + WINDOWS_PER_CALL]
            clips = np.stack([frames[start:start + length] for start in chunk])  # b l h w c
            clips = torch.from_numpy(clips).permute(0, 1, 4, 2, 3).float().div_(255)
            arguments = [clips, torch.from_numpy(anchors)]
            if seeds is not None:
                arguments.append(WindowSeeds(seeds.shared, seeds.windows[first:first + WINDOWS_PER_CALL]))
            with torch.no_grad():
                filled = parts.model.reconstruct(*arguments)
            if filled.ndim == 5:
                filled = filled[:, None]  # one draw: b l c h w -> b 1 l c h w
            filled = filled[:, :, masked].clamp(0, 1).mul(255).round().to(torch.uint8)
            outputs.append(filled.permute(0, 1, 2, 4, 5, 3).cpu().numpy())
        h, w = frames.shape[1:3]
        recon = np.concatenate(outputs) if outputs else np.zeros((0, 1, len(masked), h, w, 3), np.uint8)
        return {"starts": starts, "anchors": anchors, "recon": recon}

    def windows_per_frame(self, job: Job, videos: list[Video]) -> float:
        """Test windows per test frame (the NFE per frame is the model's NFE per window times this)."""
        length, stride = job.protocol.window, job.protocol.stride
        windows = sum(len(window_starts(video.num_frames, length, stride)) for video in videos)
        return windows / max(sum(video.num_frames for video in videos), 1)

    def score_video(self, parts: Components, video: Video, stored: Any, device: str) -> dict[str, np.ndarray]:
        """``starts``, ``anchors`` and the window errors ``w l`` (NaN at anchors) of one video."""
        return {"starts": stored["starts"], "anchors": stored["anchors"],
                "errors": _window_errors(parts, video, stored, device)}

    def raw_scores(self, video: Video, scored: dict[str, np.ndarray], protocol: Protocol) -> np.ndarray:
        """A frame's errors over the windows that mask it, aggregated under the protocol."""
        from vadbench.evaluation.aggregate import frame_scores

        return frame_scores(video.num_frames, scored["starts"], scored["anchors"], scored["errors"],
                            how=protocol.aggregate)


class ScoresShape:
    """A model that scores frames itself: one job per dataset, seed and sigma, with no masker and no scorer."""

    name = "scores"
    uses_masker = False
    infer_arrays = ("scores",)

    def infer_inputs(self, job: Job, parts: Components) -> dict[str, Any]:
        return {}

    def infer_video(self, job: Job, parts: Components, video: Video) -> dict[str, np.ndarray]:
        return {"scores": np.asarray(parts.model.score_video(parts.dataset, video), dtype=np.float64)}

    def windows_per_frame(self, job: Job, videos: list[Video]) -> float:
        return 0.0

    def score_video(self, parts: Components, video: Video, stored: Any, device: str) -> dict[str, np.ndarray]:
        return {"scores": stored["scores"]}

    def raw_scores(self, video: Video, scored: dict[str, np.ndarray], protocol: Protocol) -> np.ndarray:
        return scored["scores"]


SHAPES = {shape.name: shape for shape in (ReconstructionShape(), ScoresShape())}


def shape_of(model: object) -> ReconstructionShape | ScoresShape:
    """The stage behaviour of ``model``'s contract."""
    return SHAPES[model_shape(model)]


def window_seeds(sample_seed: int, video_id: str, starts: np.ndarray) -> WindowSeeds:
    """The noise seeds of a video's windows: each from (sample seed, video, start); shared from the sample seed."""
    return WindowSeeds(shared=seed(sample_seed), windows=tuple(seed(sample_seed, video_id, int(s)) for s in starts))


def _window_errors(parts: Components, video: Video, stored: Any, device: str) -> np.ndarray:
    import torch

    starts, anchors, recon = stored["starts"], stored["anchors"], stored["recon"]  # recon: w k m h w c
    masked = np.flatnonzero(~anchors)
    errors = np.full((len(starts), len(anchors)), np.nan)
    if len(starts) == 0:
        return errors
    draws = recon.shape[1]
    frames = parts.dataset.frames(video)
    positions = np.broadcast_to(starts[:, None, None] + masked[None, None, :], recon.shape[:3])
    originals = frames[positions.reshape(-1)]  # (w k m) h w c
    reconstructions = recon.reshape(-1, *recon.shape[3:])
    values = []
    for first in range(0, len(originals), FRAMES_PER_SCORER_CALL):
        batch = slice(first, first + FRAMES_PER_SCORER_CALL)
        with torch.no_grad():
            scores = parts.scorer(_as_float(originals[batch], device), _as_float(reconstructions[batch], device))
        values.append(scores.float().cpu())
    per_draw = torch.cat(values).double().numpy().reshape(len(starts), draws, len(masked))
    bad = ~np.isfinite(per_draw)
    if bad.any():
        window, _, slot = np.argwhere(bad)[0]
        raise EvaluationError(f"scorer '{parts.scorer.name}' returned {int(bad.sum())} non-finite scores on video "
                              f"{video.id} (first at frame {int(starts[window] + masked[slot])}); a scorer must "
                              "return finite numbers for every frame: fix the scorer (nothing was cached)")
    errors[:, masked] = per_draw.mean(axis=1)
    return errors


def _as_float(frames: np.ndarray, device: str):
    """uint8 ``n h w c`` -> float ``n c h w`` in [0, 1] on ``device``."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float().div_(255)
