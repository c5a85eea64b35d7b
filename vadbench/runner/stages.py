"""The five stages of a job — fit, infer, score, localise, evaluate — each cached under the digest of its inputs.

- fit: (model, masker, dataset, training settings, window, seed) -> checkpoint (skipped for models that learn
  nothing and when the user passes ``--checkpoint``).
- infer: (checkpoint, test split, windows, anchor set, inference settings, seed, sample seed) -> what the model
  makes of every test video, one file per video (``vadbench.runner.shapes``). A stochastic model's noise is seeded
  per window from (sample seed, video, window start), so a resumed stage writes the same bytes as an
  uninterrupted one.
- score: (infer output, scorer and its settings) -> per video, window errors (or a scores model's scores).
- localise: (infer output, scorer, aggregation, region and pixel-sample rules) -> per video, the regions cut from
  the error maps and a summary of the map's pixels (``vadbench.evaluation.regions``, ``.pixel_metrics``); skipped
  (key ``NO_LOCALISE``) when the dataset has neither pixel masks nor tracks, the job gives no error maps, or
  ``protocol.localise`` is off.
- evaluate: (errors, localisation, the masker the job is labelled with, aggregation, smoothing, normalisation,
  metric rules) -> metric rows and final frame scores.

A stage output is complete only once its ``done.json`` exists; per-video files are written atomically, so an
interrupted infer or localise stage resumes from the next missing video. The folders are ``vadbench.stage_cache``'s.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vadbench import stage_cache
from vadbench.components import Dataset, FitContext, Masker, Model, Scorer, is_learned
from vadbench.hashing import digest
from vadbench.progress import notice, progress
from vadbench.runner.jobs import Job
from vadbench.runner.shapes import ReconstructionShape, ScoresShape

INFER_FORMAT = 2  # reconstructions ``w k m h w c`` (format 1 had no draw axis)
LOCALISE_FORMAT = 1


@dataclass
class LoadedWeights:
    """Which fit's weights a built model holds now; jobs that share the model object share this record."""

    fit_key: str | None = None


@dataclass
class Components:
    """The built components of one job and what the runner knows about them."""

    dataset: Dataset
    model: Model
    shape: ReconstructionShape | ScoresShape
    masker: Masker | None
    scorer: Scorer | None
    dataset_fingerprint: str
    ground_truth: frozenset[str] = frozenset()  # what the test set annotates beyond frames: "masks", "tracks"
    weights: LoadedWeights = field(default_factory=LoadedWeights)
    checkpoint: Path | None = None  # given by the user: fit is skipped
    checkpoint_digest: str | None = None
    code: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> plugin, distribution, version

    @property
    def trains(self) -> bool:
        """Whether the job's fit stage trains: a learned model and no checkpoint given by the user."""
        return self.checkpoint is None and is_learned(self.model)


@dataclass(frozen=True)
class InferOutput:
    """The infer stage's folder and what it reports: the model's provenance and its network evaluations per test
    frame."""

    folder: Path
    provenance: dict[str, Any]
    nfe_per_frame: float


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a stage is repeatable."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def assign_keys(job: Job, parts: Components) -> None:
    """Fill ``job.keys`` with the content address of each stage."""
    model = parts.model
    inference_only = set(getattr(model, "inference_settings", ()))
    training = {k: v for k, v in job.model.settings.items() if k not in inference_only}
    data = {"dataset": job.dataset.name, "fingerprint": parts.dataset_fingerprint, "code": parts.code.get("dataset")}
    masker = ({"name": job.masker.name, "settings": job.masker.settings, "code": parts.code.get("masker")}
              if job.masker else None)
    if parts.checkpoint is not None:
        fit_key = stage_cache.given_checkpoint_key(parts.checkpoint_digest)
    elif is_learned(model):
        fit_key = digest({"model": job.model.name, "training": training, "masker": masker, "data": data,
                          "protocol": job.protocol.keyed_by("fit"), "seed": job.seed, "code": parts.code.get("model")})
    else:
        fit_key = stage_cache.NO_FIT
    external = model.fingerprint() if hasattr(model, "fingerprint") else None
    infer_key = digest({"fit": fit_key, "model": job.model.name, "settings": job.model.settings, "data": data,
                        **parts.shape.infer_inputs(job, parts), "external": external, "seed": job.seed,
                        "sample_seed": job.sample_seed, "format": INFER_FORMAT, "code": parts.code.get("model")})
    scorer = ({"name": job.scorer.name, "settings": job.scorer.settings, "code": parts.code.get("scorer")}
              if job.scorer else None)
    score_key = digest({"infer": infer_key, "scorer": scorer})
    if job.protocol.localise and parts.ground_truth and parts.shape.has_maps(parts):
        localise_key = digest({"infer": infer_key, "scorer": scorer, "truth": sorted(parts.ground_truth),
                               "protocol": job.protocol.keyed_by("localise"), "format": LOCALISE_FORMAT})
    else:
        localise_key = stage_cache.NO_LOCALISE
    job.keys = {"fit": fit_key, "infer": infer_key, "score": score_key, "localise": localise_key,
                "evaluate": digest({"score": score_key, "localise": localise_key, "masker": masker,
                                    "protocol": job.protocol.keyed_by("evaluate")})}


def fit_done(job: Job, parts: Components) -> bool:
    """Whether the job's fit stage has nothing to do: no training, or a finished fit in the cache."""
    if not parts.trains:
        return True
    folder = stage_cache.folder("fit", job.keys["fit"])
    done = stage_cache.load_json(folder / stage_cache.DONE)
    return done is not None and (folder / done["checkpoint"]).is_file()


def infer_done(job: Job, parts: Components) -> bool:
    """Whether the job's infer stage has finished in the cache (``infer`` still heals a video gone since)."""
    return (stage_cache.folder("infer", job.keys["infer"]) / stage_cache.DONE).is_file()


def fit(job: Job, parts: Components, device: str, log=FitContext.log) -> Path | None:
    """The checkpoint the job infers with: the user's, a cached one, or a freshly trained one (``log(step, values)``
    feeds the trackers during training)."""
    if not parts.trains:
        return parts.checkpoint
    folder = stage_cache.stage_dir("fit", job.keys["fit"])
    done = stage_cache.load_json(folder / stage_cache.DONE)
    if done is not None:
        if (folder / done["checkpoint"]).is_file():
            return folder / done["checkpoint"]
        notice(f"fit cache {folder}: its checkpoint {done['checkpoint']} is gone; training again "
               "(from the last checkpoint left there, if any)")
        (folder / stage_cache.DONE).unlink(missing_ok=True)
    seed_everything(job.seed)
    ctx = FitContext(workdir=folder, seed=job.seed, device=device, window=job.protocol.window, progress=progress,
                     log=log)
    checkpoint = Path(parts.model.fit(parts.dataset, parts.masker, ctx))
    stage_cache.save_json(folder / stage_cache.DONE,
                          {"checkpoint": str(checkpoint.resolve().relative_to(folder.resolve()))})
    return checkpoint


def infer(job: Job, parts: Components, checkpoint: Path | None, device: str) -> InferOutput:
    """Run the model over every test video (resuming per video); returns the stage folder and its report."""
    folder = stage_cache.stage_dir("infer", job.keys["infer"])
    done_file = folder / stage_cache.DONE
    videos = parts.dataset.videos("test")
    todo = [video for video in videos
            if not stage_cache.readable(stage_cache.video_file(folder, video.id), parts.shape.infer_arrays)]
    done = stage_cache.load_json(done_file)
    if done is not None:
        if not todo:
            return InferOutput(folder, done["provenance"], done["nfe_per_frame"])
        notice(f"infer cache {folder}: {len(todo)} of {len(videos)} videos missing or unreadable; "
               "reconstructing them again")
        done_file.unlink(missing_ok=True)
    if todo and is_learned(parts.model) and parts.weights.fit_key != job.keys["fit"]:
        parts.model.load(checkpoint, device)
        parts.weights.fit_key = job.keys["fit"]
    seed_everything(job.seed)
    with progress(f"infer {job.model.name} on {job.dataset.name}", len(todo)) as task:
        for video in todo:
            stage_cache.save_arrays(stage_cache.video_file(folder, video.id),
                                    **parts.shape.infer_video(job, parts, video))
            task.advance()
    provenance = parts.model.provenance()
    nfe = provenance.get("nfe_per_window", 0) * parts.shape.windows_per_frame(job, videos)
    stage_cache.save_json(done_file, {"videos": len(videos), "provenance": provenance, "nfe_per_frame": nfe})
    return InferOutput(folder, provenance, nfe)


def score(job: Job, parts: Components, infer_folder: Path, device: str) -> dict[str, dict[str, np.ndarray]]:
    """Per video id, what the shape's ``score_video`` made of the infer output (cached as one file)."""
    path = stage_cache.stage_dir("score", job.keys["score"]) / stage_cache.ERRORS
    videos = parts.dataset.videos("test")
    if path.is_file() and not stage_cache.readable(path, ()):
        notice(f"score cache {path} is unreadable; scoring again")
        path.unlink(missing_ok=True)
    if not path.is_file():
        arrays: dict[str, np.ndarray] = {}
        with progress(f"score {job.scorer.name if job.scorer else 'scores'}", len(videos)) as task:
            for index, video in enumerate(videos):
                stored = np.load(stage_cache.video_file(infer_folder, video.id))
                for name, array in parts.shape.score_video(parts, video, stored, device).items():
                    arrays[f"{index}/{name}"] = array
                task.advance()
        stage_cache.save_arrays(path, **arrays)
    stored = np.load(path)
    result: dict[str, dict[str, np.ndarray]] = {}
    for index, video in enumerate(videos):
        result[video.id] = {name.split("/", 1)[1]: stored[name] for name in stored.files
                            if name.startswith(f"{index}/")}
    return result


def localise(job: Job, parts: Components, infer_folder: Path, device: str) -> Path | None:
    """Cut regions from every test video's error maps and summarise their pixels (resuming per video); returns the
    stage folder, or None when the job does not localise."""
    from vadbench.evaluation.pixel_metrics import sample_indices
    from vadbench.evaluation.regions import RegionRule
    from vadbench.evaluation.video_localisation import VideoMaps, localise_videos, workers_for

    if not stage_cache.has_folder("localise", job.keys["localise"]):
        return None
    folder = stage_cache.stage_dir("localise", job.keys["localise"])
    videos = parts.dataset.videos("test")
    todo = [video for video in videos if not stage_cache.readable(stage_cache.video_file(folder, video.id), ())]
    if not todo and (folder / stage_cache.DONE).is_file():
        return folder
    (folder / stage_cache.DONE).unlink(missing_ok=True)
    protocol = job.protocol
    frames = sum(video.num_frames for video in videos)
    total_pixels = frames * int(np.prod(parts.dataset.frame_size))

    def work():
        for video in todo:
            stored = np.load(stage_cache.video_file(infer_folder, video.id))
            maps, mapped = parts.shape.frame_maps(job, parts, video, stored, device)
            masks = parts.dataset.masks(video) if "masks" in parts.ground_truth else None
            sample = sample_indices(maps.size, total_pixels, protocol.pixel_budget, protocol.pixel_seed, video.id)
            yield VideoMaps(maps, mapped, None if masks is None else np.asarray(masks)[mapped], sample,
                            cut_regions="tracks" in parts.ground_truth)

    with progress(f"localise {job.scorer.name if job.scorer else job.model.name}", len(todo)) as task:
        for video, arrays in zip(todo, localise_videos(work(), RegionRule.of(protocol), workers_for(frames))):
            stage_cache.save_arrays(stage_cache.video_file(folder, video.id), **arrays)
            task.advance()
    stage_cache.save_json(folder / stage_cache.DONE, {"videos": len(videos)})
    return folder


def _localised_videos(parts: Components, folder: Path):
    """The localise stage's per-video output with each video's ground truth (``VideoLocalisation``)."""
    from vadbench.evaluation.localisation import VideoLocalisation
    from vadbench.evaluation.video_localisation import stored_detections, stored_pixels

    for video in parts.dataset.videos("test"):
        with np.load(stage_cache.video_file(folder, video.id)) as stored:
            detections, pixels = stored_detections(stored), stored_pixels(stored)
        tracks = parts.dataset.tracks(video) if detections is not None else None
        yield VideoLocalisation(video.id, video.scene, video.num_frames, detections, tracks, pixels)


def evaluate(job: Job, parts: Components, scored: dict[str, dict[str, np.ndarray]], localised: Path | None):
    """Aggregate, post-process and measure; also caches the final per-frame scores (and the detection curves) for
    export and plots."""
    from vadbench.evaluation.localisation import localisation_metrics
    from vadbench.evaluation.protocol import VideoFrameScores
    from vadbench.evaluation.protocol import evaluate as evaluate_protocol

    videos = []
    for video in parts.dataset.videos("test"):
        raw = parts.shape.raw_scores(video, scored[video.id], job.protocol)
        labels = np.asarray(parts.dataset.labels(video), dtype=np.uint8)
        kinds = getattr(parts.dataset, "anomaly_kinds", lambda v: None)(video)
        videos.append(VideoFrameScores(video.id, video.scene, raw, labels, kinds=kinds))
    result = evaluate_protocol(videos, job.protocol, job.dataset.name)
    folder = stage_cache.stage_dir("evaluate", job.keys["evaluate"])
    if localised is not None:
        located = localisation_metrics(list(_localised_videos(parts, localised)), job.dataset.name)
        result.rows += located.rows
        if located.curves is not None:
            curves = located.curves
            stage_cache.save_arrays(folder / stage_cache.DETECTION_CURVES, fpr=curves.fpr, rbdr=curves.rbdr,
                                    tbdr=curves.tbdr)
    stage_cache.save_arrays(folder / stage_cache.FRAME_SCORES,
                            **{f"scores/{v.id}": result.scores[v.id] for v in videos},
                            **{f"labels/{v.id}": v.labels for v in videos})
    return result
