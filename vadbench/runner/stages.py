"""The four stages of a job — fit, infer, score, evaluate — each cached under the digest of its inputs.

- fit: (model, masker, dataset, training settings, window, seed) -> checkpoint (skipped for non-learned models
  and when the user passes ``--checkpoint``).
- infer: (checkpoint, test split, window, stride, anchors, inference settings, seed, sample seed) -> uint8
  reconstructions of the masked frames of every window (``k`` draws each), one file per video (a "scores" model:
  its per-frame scores instead). A stochastic model's noise is seeded per window from (sample seed, video, window
  start), so a resumed stage writes the same bytes as an uninterrupted one.
- score: (reconstructions, scorer and its settings) -> per-window, per-frame errors ``w l`` (NaN at anchors), the
  mean over a window's draws.
- evaluate: (errors, aggregation, smoothing, normalisation, metric rules) -> metric rows and final frame scores.

A stage output is complete only once its ``done.json`` exists; per-video files are written atomically, so an
interrupted infer stage resumes from the next missing video.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vadbench.components import FitContext, Video, WindowSeeds
from vadbench.errors import EvaluationError
from vadbench.progress import notice, progress
from vadbench.runner import artifacts
from vadbench.runner.jobs import WINDOW_SETTINGS, Job
from vadbench.hashing import digest, seed

WINDOWS_PER_CALL = 16  # windows handed to ``Model.reconstruct`` at once (the model sub-batches on its own)
FRAMES_PER_SCORER_CALL = 256
INFER_FORMAT = 2  # reconstructions ``w k m h w c`` (format 1 had no draw axis)


@dataclass
class Components:
    """The built components of one job."""

    dataset: Any
    model: Any
    masker: Any | None
    scorer: Any | None
    dataset_fingerprint: str
    checkpoint: Path | None = None  # given by the user: fit is skipped
    checkpoint_digest: str | None = None
    code: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> plugin, distribution, version
    loaded: set[tuple[int, str]] = field(default_factory=set)  # (model object, fit key) pairs already loaded


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a stage is repeatable."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def assign_keys(job: Job, parts: Components) -> None:
    """Fill ``job.keys`` with the content address of each stage."""
    model = parts.model
    window = {key: job.protocol[key] for key in WINDOW_SETTINGS}
    inference_only = set(getattr(model, "inference_settings", ()))
    training = {k: v for k, v in job.model.settings.items() if k not in inference_only}
    data = {"dataset": job.dataset.name, "fingerprint": parts.dataset_fingerprint, "code": parts.code.get("dataset")}
    masker = ({"name": job.masker.name, "settings": job.masker.settings, "code": parts.code.get("masker")}
              if job.masker else None)
    if parts.checkpoint is not None:
        fit_key = f"checkpoint-{parts.checkpoint_digest}"
    elif model.learned:
        fit_key = digest({"model": job.model.name, "training": training, "masker": masker, "data": data,
                          "window": job.protocol["window"], "seed": job.seed, "code": parts.code.get("model")})
    else:
        fit_key = "none"
    external = model.fingerprint() if hasattr(model, "fingerprint") else None
    infer_key = digest({"fit": fit_key, "model": job.model.name, "settings": job.model.settings, "data": data,
                        "window": window if model.output == "reconstruction" else None,
                        "masker": masker if model.output == "reconstruction" else None,
                        "external": external, "seed": job.seed, "sample_seed": job.sample_seed,
                        "format": INFER_FORMAT, "code": parts.code.get("model")})
    scorer = ({"name": job.scorer.name, "settings": job.scorer.settings, "code": parts.code.get("scorer")}
              if job.scorer else None)
    score_key = digest({"infer": infer_key, "scorer": scorer})
    post = {k: v for k, v in job.protocol.items() if k not in WINDOW_SETTINGS}
    job.keys = {"fit": fit_key, "infer": infer_key, "score": score_key,
                "evaluate": digest({"score": score_key, "protocol": post})}


def fit(job: Job, parts: Components, device: str) -> Path | None:
    """The checkpoint the job infers with: the user's, a cached one, or a freshly trained one."""
    if parts.checkpoint is not None or not parts.model.learned:
        return parts.checkpoint
    folder = artifacts.stage_dir("fit", job.keys["fit"])
    done = artifacts.load_json(folder / "done.json")
    if done is not None:
        if (folder / done["checkpoint"]).is_file():
            return folder / done["checkpoint"]
        notice(f"fit cache {folder}: its checkpoint {done['checkpoint']} is gone; training again "
               "(from the last checkpoint left there, if any)")
        (folder / "done.json").unlink(missing_ok=True)
    seed_everything(job.seed)
    ctx = FitContext(workdir=folder, seed=job.seed, device=device, window=job.protocol["window"], progress=progress)
    checkpoint = Path(parts.model.fit(parts.dataset, parts.masker, ctx))
    artifacts.save_json(folder / "done.json", {"checkpoint": str(checkpoint.resolve().relative_to(folder.resolve()))})
    return checkpoint


def infer(job: Job, parts: Components, checkpoint: Path | None, device: str) -> Path:
    """Run the model over every test video (resuming per video) and return the infer stage folder."""
    folder = artifacts.stage_dir("infer", job.keys["infer"])
    videos = parts.dataset.videos("test")
    keys = ("scores",) if parts.model.output == "scores" else ("starts", "anchors", "recon")
    todo = [video for video in videos if not artifacts.readable(artifacts.video_file(folder, video.id), keys)]
    if (folder / "done.json").is_file():
        if not todo:
            return folder
        notice(f"infer cache {folder}: {len(todo)} of {len(videos)} videos missing or unreadable; "
               "reconstructing them again")
        (folder / "done.json").unlink(missing_ok=True)
    loaded_as = (id(parts.model), job.keys["fit"])
    if todo and loaded_as not in parts.loaded:
        parts.model.load(checkpoint, device)
        parts.loaded.add(loaded_as)
    seed_everything(job.seed)
    with progress(f"infer {job.model.name} on {job.dataset.name}", len(todo)) as task:
        for video in todo:
            if parts.model.output == "scores":
                arrays = {"scores": np.asarray(parts.model.score_video(parts.dataset, video), dtype=np.float64)}
            else:
                arrays = _reconstruct_video(parts, video, job.protocol["window"], job.protocol["stride"],
                                            job.sample_seed)
            artifacts.save_arrays(artifacts.video_file(folder, video.id), **arrays)
            task.advance()
    provenance = parts.model.provenance()
    artifacts.save_json(folder / "done.json", {"videos": len(videos), "provenance": provenance,
                                               "nfe_per_frame": _nfe_per_frame(videos, provenance, job)})
    return folder


def _nfe_per_frame(videos: list[Video], provenance: dict[str, Any], job: Job) -> float:
    """Network evaluations per test frame: NFE per window times windows, over frames (0 for non-network models)."""
    from vadbench.evaluation.windows import window_starts

    per_window = provenance.get("nfe_per_window", 0)
    if job.masker is None or not per_window:
        return 0.0
    length, stride = job.protocol["window"], job.protocol["stride"]
    windows = sum(len(window_starts(video.num_frames, length, stride)) for video in videos)
    return per_window * windows / max(sum(video.num_frames for video in videos), 1)


def window_seeds(sample_seed: int, video_id: str, starts: np.ndarray) -> WindowSeeds:
    """The noise seeds of a video's windows: each from (sample seed, video, start); shared from the sample seed."""
    return WindowSeeds(shared=seed(sample_seed), windows=tuple(seed(sample_seed, video_id, int(s)) for s in starts))


def _reconstruct_video(parts: Components, video: Video, length: int, stride: int,
                       sample_seed: int | None) -> dict[str, np.ndarray]:
    """uint8 reconstructions ``w k m h w c`` of the ``m`` masked frames of each window start (``k`` draws)."""
    import torch

    from vadbench.evaluation.windows import window_starts

    frames = parts.dataset.frames(video)
    starts = window_starts(len(frames), length, stride)
    anchors = np.asarray(parts.masker.inference_anchors(length), dtype=bool)
    masked = np.flatnonzero(~anchors)
    stochastic = getattr(parts.model, "stochastic", False)
    seeds = window_seeds(sample_seed, video.id, starts) if stochastic else None
    outputs = []
    for first in range(0, len(starts), WINDOWS_PER_CALL):
        chunk = starts[first:first + WINDOWS_PER_CALL]
        clips = np.stack([frames[start:start + length] for start in chunk])  # b l h w c
        clips = torch.from_numpy(clips).permute(0, 1, 4, 2, 3).float().div_(255)
        arguments = [clips, torch.from_numpy(anchors)]
        if stochastic:
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


def score(job: Job, parts: Components, infer_folder: Path, device: str) -> dict[str, dict[str, np.ndarray]]:
    """Per video: ``starts``, ``anchors`` and window errors ``w l`` (NaN at anchors), or a scores model's scores."""
    folder = artifacts.stage_dir("score", job.keys["score"])
    path = folder / "errors.npz"
    videos = parts.dataset.videos("test")
    if path.is_file() and not artifacts.readable(path, ()):
        notice(f"score cache {path} is unreadable; scoring again")
        path.unlink(missing_ok=True)
    if not path.is_file():
        arrays: dict[str, np.ndarray] = {}
        with progress(f"score {job.scorer.name if job.scorer else 'scores'}", len(videos)) as task:
            for index, video in enumerate(videos):
                stored = np.load(artifacts.video_file(infer_folder, video.id))
                if parts.model.output == "scores":
                    arrays[f"{index}/scores"] = stored["scores"]
                else:
                    arrays[f"{index}/starts"] = stored["starts"]
                    arrays[f"{index}/anchors"] = stored["anchors"]
                    arrays[f"{index}/errors"] = _window_errors(parts, video, stored, device)
                task.advance()
        artifacts.save_arrays(path, **arrays)
    stored = np.load(path)
    result: dict[str, dict[str, np.ndarray]] = {}
    for index, video in enumerate(videos):
        result[video.id] = {name.split("/", 1)[1]: stored[name] for name in stored.files
                            if name.startswith(f"{index}/")}
    return result


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


def evaluate(job: Job, parts: Components, errors: dict[str, dict[str, np.ndarray]]):
    """Aggregate, post-process and measure; also caches the final per-frame scores for export and plots."""
    from vadbench.evaluation.aggregate import frame_scores
    from vadbench.evaluation.protocol import Protocol, VideoFrameScores
    from vadbench.evaluation.protocol import evaluate as evaluate_protocol

    protocol = Protocol(**job.protocol)
    videos = []
    for video in parts.dataset.videos("test"):
        stored = errors[video.id]
        if "scores" in stored:
            raw = stored["scores"]
        else:
            raw = frame_scores(video.num_frames, stored["starts"], stored["anchors"], stored["errors"],
                               how=protocol.aggregate)
        labels = np.asarray(parts.dataset.labels(video), dtype=np.uint8)
        kinds = getattr(parts.dataset, "anomaly_kinds", lambda v: None)(video)
        videos.append(VideoFrameScores(video.id, video.scene, raw, labels, kinds=kinds))
    result = evaluate_protocol(videos, protocol, job.dataset.name)
    folder = artifacts.stage_dir("evaluate", job.keys["evaluate"])
    artifacts.save_arrays(folder / "frames.npz", **{f"scores/{v.id}": result.scores[v.id] for v in videos},
                          **{f"labels/{v.id}": v.labels for v in videos})
    return result
