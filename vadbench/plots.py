"""Figures of a job: anomaly score curves over the ground truth, frame / reconstruction / error grids, and where the
job localises, its detected regions over the frames and its RBDR/TBDR-vs-FPR curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vadbench import stage_cache
from vadbench.training_log import read_log

VIDEOS_PER_FIGURE = 12


def plot_job(job: Any, frames_file: Path, out_dir: Path, top: int = 4) -> list[Path]:
    """Write the job's PNG figures into ``out_dir``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    stored = np.load(frames_file)
    videos = [key.split("/", 1)[1] for key in stored.files if key.startswith("scores/")]
    scores = {video: stored[f"scores/{video}"] for video in videos}
    labels = {video: stored[f"labels/{video}"] for video in videos}
    stem = f"job{job.id}_{job.model}_{job.scorer or '-'}_{job.dataset}_seed{job.seed}"
    title = f"{job.model} / {job.masker or '-'} / {job.scorer or '-'} on {job.dataset}, seed {job.seed}"
    written = []
    for page, first in enumerate(range(0, len(videos), VIDEOS_PER_FIGURE)):
        chunk = videos[first:first + VIDEOS_PER_FIGURE]
        written.append(_score_curves(chunk, scores, labels, out_dir / f"{stem}_scores{page}.png", title))
    grid = _reconstruction_grid(job, scores, out_dir / f"{stem}_reconstructions.png", top)
    curve = _training_curve(job, out_dir / f"{stem}_training.png")
    regions = _region_detections(job, out_dir / f"{stem}_regions.png", top)
    detection = _detection_curves(job, out_dir / f"{stem}_rbdc_tbdc.png")
    return written + [figure for figure in (grid, curve, regions, detection) if figure]


def _saved(figure: Any, path: Path) -> Path:
    """Lay out, write and close ``figure``; returns ``path``."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _job_dataset(job: Any) -> Any:
    """The job's dataset, built from its stored settings."""
    from vadbench.plugin_host import catalog

    dataset_settings = job.settings["dataset"]
    return catalog("dataset").get(dataset_settings["name"]).build(**dataset_settings["settings"])


def _detection_curves(job: Any, path: Path) -> Path | None:
    """RBDR and TBDR against false-positive regions per frame (the curves under RBDC and TBDC), if stored."""
    import matplotlib.pyplot as plt

    file = stage_cache.detection_curves_file(job.eval_key)
    if not file.is_file():
        return None
    curves = np.load(file)
    figure, axis = plt.subplots(figsize=(4.5, 3.2))
    for name, colour in (("rbdr", "tab:blue"), ("tbdr", "tab:orange")):
        area = np.trapezoid(curves[name], curves["fpr"])
        axis.plot(curves["fpr"], curves[name], color=colour, linewidth=1.2,
                  label=f"{name.upper()} (area {name[:2].upper()}DC {area:.3f})")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("false-positive regions per frame")
    axis.set_ylabel("detection rate")
    axis.legend(loc="lower right", fontsize=7)
    axis.set_title(f"{job.model} / {job.scorer or '-'} on {job.dataset}", fontsize=9)
    return _saved(figure, path)


def _region_detections(job: Any, path: Path, top: int) -> Path | None:
    """The ``top`` frames holding the highest-scoring detected regions: each frame with its regions (blue, score)
    and its ground-truth track boxes (red), if the localise stage cut regions."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    folder = stage_cache.folder("localise", job.localise_key) if job.localise_key else None
    if folder is None or not (folder / stage_cache.DONE).is_file():
        return None
    dataset = _job_dataset(job)
    best: list[tuple[float, Any, int]] = []
    regions: dict[str, Any] = {}
    for video in dataset.videos("test"):
        with np.load(stage_cache.video_file(folder, video.id)) as stored:
            if "regions/frame" not in stored.files:
                return None
            regions[video.id] = {name: stored[f"regions/{name}"] for name in ("frame", "boxes", "score")}
        found = regions[video.id]
        order = np.argsort(-found["score"], kind="stable")
        frames, first = np.unique(found["frame"][order], return_index=True)  # each frame's best region
        best += [(float(found["score"][order[i]]), video, int(frame)) for frame, i in zip(frames, first)]
        best = sorted(best, key=lambda item: -item[0])[:top]
    if not best:
        return None
    figure, axes = plt.subplots(1, len(best), figsize=(3 * len(best), 3.2), squeeze=False)
    for axis, (score, video, frame) in zip(axes.flat, best):
        axis.imshow(np.asarray(dataset.frames(video)[frame]))
        truth = [box[1:] for track in dataset.tracks(video) or () if track.abnormal
                 for box in track.boxes if box[0] == frame]
        found = regions[video.id]
        here = found["frame"] == frame
        for boxes, colour in ((truth, "tab:red"), (found["boxes"][here], "tab:blue")):
            for x0, y0, x1, y1 in boxes:
                axis.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                                         edgecolor=colour, linewidth=1))
        axis.set_title(f"{video.id} frame {frame}\nbest region {score:.3g}", fontsize=7)
        axis.axis("off")
    figure.suptitle(f"{job.model} / {job.scorer or '-'}: detected regions (blue), ground truth (red)", fontsize=8)
    return _saved(figure, path)


def _training_curve(job: Any, path: Path) -> Path | None:
    """Loss (log scale) and learning rate against the step, from the fit stage's ``train_log.jsonl`` if any."""
    import matplotlib.pyplot as plt

    records = read_log(stage_cache.training_log_file(job.fit_key))
    if not records:
        return None
    steps = np.array([record["step"] for record in records])
    loss = np.array([record["loss"] for record in records])
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.plot(steps, loss, color="tab:blue", linewidth=0.6, alpha=0.35, label="loss")
    window = max(1, len(loss) // 50)
    smoothed = np.convolve(loss, np.ones(window) / window, mode="valid")
    axis.plot(steps[window - 1:], smoothed, color="tab:blue", linewidth=1.5, label=f"loss, mean of {window}")
    axis.set_yscale("log")
    axis.set_xlabel("step")
    axis.set_ylabel("training loss")
    if "lr" in records[0]:
        rate = axis.twinx()
        rate.plot(steps, [record["lr"] for record in records], color="tab:orange", linewidth=1, label="lr")
        rate.set_ylabel("learning rate", color="tab:orange")
    axis.legend(loc="upper right", fontsize=7)
    axis.set_title(f"{job.model} fit {job.fit_key} (seed {job.seed})", fontsize=9)
    return _saved(figure, path)


def _score_curves(videos: list[str], scores: dict, labels: dict, path: Path, title: str) -> Path:
    """One panel per video: the final anomaly score, with anomalous ground-truth intervals shaded."""
    import matplotlib.pyplot as plt

    columns = min(3, len(videos))
    rows = -(-len(videos) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 2.2 * rows), squeeze=False)
    for axis, video in zip(axes.flat, videos):
        frames = np.arange(len(scores[video]))
        for start, end in _intervals(labels[video]):
            axis.axvspan(start - 0.5, end + 0.5, color="tab:red", alpha=0.2, linewidth=0)
        axis.plot(frames, scores[video], color="tab:blue", linewidth=1)
        axis.set_title(video, fontsize=8)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(videos):]:
        axis.axis("off")
    figure.suptitle(f"{title} (shaded: ground-truth anomalies)", fontsize=9)
    return _saved(figure, path)


def _intervals(labels: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) runs of 1s."""
    padded = np.concatenate([[0], np.asarray(labels, dtype=np.int8), [0]])
    changes = np.flatnonzero(np.diff(padded))
    return list(zip(changes[::2], changes[1::2] - 1))


def _reconstruction_grid(job: Any, scores: dict, path: Path, top: int) -> Path | None:
    """Rows of frame / reconstruction / |error| for the ``top`` highest-scoring frames, if reconstructions are
    cached (reconstruction models only)."""
    import matplotlib.pyplot as plt

    infer_folder = stage_cache.folder("infer", job.infer_key)
    errors_file = stage_cache.errors_file(job.score_key)
    if job.scorer is None or not infer_folder.is_dir() or not errors_file.is_file():
        return None
    dataset = _job_dataset(job)
    videos = {video.id: (index, video) for index, video in enumerate(dataset.videos("test"))}
    ranked = sorted(((value, video, frame) for video, values in scores.items()
                     for frame, value in enumerate(values) if np.isfinite(value)), reverse=True)[:top]
    if not ranked:
        return None
    errors = np.load(errors_file)
    figure, axes = plt.subplots(len(ranked), 3, figsize=(7, 2.4 * len(ranked)), squeeze=False)
    for row, (value, video_id, frame) in enumerate(ranked):
        index, video = videos[video_id]
        stored = np.load(stage_cache.video_file(infer_folder, video_id))
        window_errors = errors[f"{index}/errors"]
        window, slot = _best_window(stored["starts"], stored["anchors"], window_errors, frame)
        original = np.asarray(dataset.frames(video)[frame])
        reconstruction = stored["recon"][window, 0, slot]  # the first draw
        error = np.abs(original.astype(np.float32) - reconstruction).mean(axis=2) / 255
        for axis, image, name in zip(axes[row], (original, reconstruction, error),
                                     (f"{video_id} frame {frame}", "reconstruction", f"|error| (score {value:.3g})")):
            axis.imshow(image, cmap="magma" if image.ndim == 2 else None)
            axis.set_title(name, fontsize=8)
            axis.axis("off")
    return _saved(figure, path)


def _best_window(starts: np.ndarray, anchors: np.ndarray, window_errors: np.ndarray, frame: int) -> tuple[int, int]:
    """The window (and masked slot) whose reconstruction of ``frame`` had the largest error."""
    masked = np.flatnonzero(~anchors)
    best = (-np.inf, 0, 0)
    for window, start in enumerate(starts):
        offset = frame - start
        if 0 <= offset < len(anchors) and not anchors[offset] and window_errors[window, offset] > best[0]:
            best = (window_errors[window, offset], window, int(np.searchsorted(masked, offset)))
    return best[1], best[2]
