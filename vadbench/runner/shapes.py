"""What the stages do with each model shape (``vadbench.components.model_shape``): the one place the runner
tells a reconstruction model from a scores model.

- reconstruction: infer fills the masked frames of every window (uint8 ``w k m h w c``, ``k`` draws); score runs
  the scorer on them (window errors ``w l``, NaN at anchors, the mean over draws); evaluate aggregates the errors
  per frame.
- scores: infer stores the model's per-frame scores; score and evaluate pass them on.

Either shape may give per-frame error maps (the scorer's ``error_map``, or the model's ``error_maps``), from which
the localise stage cuts regions and samples pixels.
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

    def has_maps(self, parts: Components) -> bool:
        """Whether the job can localise: its scorer gives error maps."""
        return hasattr(parts.scorer, "error_map")

    def frame_maps(self, job: Job, parts: Components, video: Video, stored: Any,
                   device: str) -> tuple[np.ndarray, np.ndarray]:
        """(float32 ``f' h w`` error maps, int ``f'`` their frames): per masked frame, the scorer's maps of the
        windows that mask it, aggregated like the frame's errors (``protocol.aggregate``)."""
        return _frame_maps(parts, video, stored, device, job.protocol.aggregate)


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

    def has_maps(self, parts: Components) -> bool:
        """Whether the job can localise: the model gives error maps (``error_maps(dataset, video)``)."""
        return callable(getattr(parts.model, "error_maps", None))

    def frame_maps(self, job: Job, parts: Components, video: Video, stored: Any,
                   device: str) -> tuple[np.ndarray, np.ndarray]:
        """(float32 ``f' h w``, int ``f'``): the model's maps of the frames where they are finite."""
        maps = np.asarray(parts.model.error_maps(parts.dataset, video), dtype=np.float32)
        expected = (video.num_frames, *parts.dataset.frame_size)
        if maps.shape != expected:
            raise EvaluationError(f"model '{parts.model.name}' gave error maps of shape {maps.shape} for video "
                                  f"{video.id}; expected {expected} (frames x the dataset's frame size)")
        frames = np.flatnonzero(np.isfinite(maps).all(axis=(1, 2)))
        return maps[frames], frames


SHAPES = {shape.name: shape for shape in (ReconstructionShape(), ScoresShape())}


def shape_of(model: object) -> ReconstructionShape | ScoresShape:
    """The stage behaviour of ``model``'s contract."""
    return SHAPES[model_shape(model)]


def window_seeds(sample_seed: int, video_id: str, starts: np.ndarray) -> WindowSeeds:
    """The noise seeds of a video's windows: each from (sample seed, video, start); shared from the sample seed."""
    return WindowSeeds(shared=seed(sample_seed), windows=tuple(seed(sample_seed, video_id, int(s)) for s in starts))


def _masked_pairs(parts: Components, video: Video, stored: Any, device: str, per_batch: int):
    """Batches of (first item, originals, reconstructions) over the items of ``recon`` (``w k m h w c``) in
    (window, draw, masked slot) order: ``per_batch`` masked frames and their reconstructions at a time, float
    ``n c h w`` on ``device``."""
    starts, anchors, recon = stored["starts"], stored["anchors"], stored["recon"]
    masked = np.flatnonzero(~anchors)
    frames = parts.dataset.frames(video)
    positions = np.broadcast_to(starts[:, None, None] + masked[None, None, :], recon.shape[:3]).reshape(-1)
    reconstructions = recon.reshape(-1, *recon.shape[3:])
    for first in range(0, len(positions), per_batch):
        batch = slice(first, first + per_batch)
        yield first, _as_float(frames[positions[batch]], device), _as_float(reconstructions[batch], device)


def _window_errors(parts: Components, video: Video, stored: Any, device: str) -> np.ndarray:
    import torch

    starts, anchors, recon = stored["starts"], stored["anchors"], stored["recon"]
    masked = np.flatnonzero(~anchors)
    errors = np.full((len(starts), len(anchors)), np.nan)
    if len(starts) == 0:
        return errors
    values = []
    for _, originals, reconstructions in _masked_pairs(parts, video, stored, device, FRAMES_PER_SCORER_CALL):
        with torch.no_grad():
            values.append(parts.scorer(originals, reconstructions).float().cpu())
    per_draw = torch.cat(values).double().numpy().reshape(len(starts), recon.shape[1], len(masked))
    bad = ~np.isfinite(per_draw)
    if bad.any():
        window, _, slot = np.argwhere(bad)[0]
        raise EvaluationError(f"scorer '{parts.scorer.name}' returned {int(bad.sum())} non-finite scores on video "
                              f"{video.id} (first at frame {int(starts[window] + masked[slot])}); a scorer must "
                              "return finite numbers for every frame: fix the scorer (nothing was cached)")
    errors[:, masked] = per_draw.mean(axis=1)
    return errors


def _frame_maps(parts: Components, video: Video, stored: Any, device: str, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Per masked frame, the max (or mean) over its windows of the scorer's error map (the mean over draws):
    (float32 ``f' h w``, the frame index ``f'`` of each map)."""
    import torch

    starts, anchors, recon = stored["starts"], stored["anchors"], stored["recon"]
    masked = np.flatnonzero(~anchors)
    h, w = recon.shape[3:5]
    total = torch.zeros((video.num_frames, h, w), dtype=torch.float32, device=device)
    if how == "max":
        total.fill_(-torch.inf)
    count = torch.zeros(video.num_frames, dtype=torch.float32, device=device)
    per_window = recon.shape[1] * len(masked)  # batches of whole windows, so draws are averaged within one
    per_batch = max(1, FRAMES_PER_SCORER_CALL // max(per_window, 1)) * per_window
    for first, originals, reconstructions in _masked_pairs(parts, video, stored, device, per_batch):
        with torch.no_grad():
            maps = parts.scorer.error_map(originals, reconstructions).float()
        maps = maps.reshape(-1, recon.shape[1], len(masked), h, w).mean(dim=1).reshape(-1, h, w)  # (w m) h w
        windows = starts[first // per_window:first // per_window + len(maps) // len(masked)]
        index = torch.from_numpy((windows[:, None] + masked[None, :]).reshape(-1)).to(device)
        if how == "max":
            total.view(len(total), -1).scatter_reduce_(0, index[:, None].expand(-1, h * w), maps.view(len(maps), -1),
                                                       "amax")
        else:
            total.index_add_(0, index, maps)
        count.index_add_(0, index, torch.ones_like(index, dtype=torch.float32))
    frames = torch.nonzero(count > 0).flatten()
    maps = total[frames] if how == "max" else total[frames] / count[frames, None, None]
    if not torch.isfinite(maps).all():
        raise EvaluationError(f"scorer '{parts.scorer.name}' returned non-finite error map values on video "
                              f"{video.id}; an error map must be finite everywhere: fix the scorer")
    return maps.cpu().numpy(), frames.cpu().numpy()


def _as_float(frames: np.ndarray, device: str):
    """uint8 ``n h w c`` -> float ``n c h w`` in [0, 1] on ``device``."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float().div_(255)
