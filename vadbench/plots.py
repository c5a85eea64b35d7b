"""Figures fit for a paper, of jobs and of runs, in any of ``FORMATS``.

Per job (``plot_job``): per-video anomaly score curves over the ground truth, a frame / reconstruction / |error|
grid, the training curve, and where the job localises, its detected regions over the frames and its RBDR/TBDR-vs-FPR
curves. Over the jobs of one or several runs (``plot_overlay``): ROC and PR curves, one figure per dataset.

Figures are made with ``matplotlib.figure.Figure`` directly (no pyplot state, no backend to choose) and laid out
by matplotlib's constrained layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vadbench import stage_cache
from vadbench.errors import ConfigError
from vadbench.evaluation import metrics
from vadbench.training_log import read_log

FORMATS = ("png", "pdf", "svg")
VIDEOS_PER_FIGURE = 12
DPI = 150
ERROR_LABEL = "|error| (grey levels / 255)"
# one style per element, for the element and for its legend entry alike
SCORE_STYLE = dict(color="tab:blue", linewidth=1)
TRUTH_STYLE = dict(color="tab:red", alpha=0.2, linewidth=0)
UNSCORED_STYLE = dict(color="0.45", alpha=0.8, linewidth=0)
THRESHOLD_STYLE = dict(color="black", linestyle="--", linewidth=0.9)
MASK_OUTLINE = "cyan"
UNSCORED_BAND = 0.06  # height of the unscored-frame band, a fraction of the panel


def check_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """The figure formats asked for (names, or one comma-separated string), each once; a ``ConfigError`` naming
    the valid ones if any is unknown or none is given."""
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        problem = f"unknown figure format {', '.join(map(repr, unknown))}" if unknown else "no figure format given"
        raise ConfigError(f"{problem}: choose one or more of {', '.join(FORMATS)}, comma-separated "
                          f"(e.g. --format png,pdf)")
    return chosen


def plot_job(job: Any, frames_file: Path, out_dir: Path, top: int = 4, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write the job's figures into ``out_dir``, each in every format of ``formats``; returns their paths.

    ``frames_file`` holds the job's final per-frame ``scores/<video>`` (NaN = unscored) and ``labels/<video>``.
    Figures a job has no data for (no reconstructions, no training log, no localisation) are left out.
    """
    formats = check_formats(formats)
    scores, labels = _frame_scores(frames_file)
    stem = out_dir / f"job{job.id}_{job.model}_{job.scorer or '-'}_{job.dataset}_seed{job.seed}"
    videos = list(scores)
    oracle = metrics.accuracy_oracle([scores[video] for video in videos], [labels[video] for video in videos])
    written = []
    for page, first in enumerate(range(0, len(videos), VIDEOS_PER_FIGURE)):
        chunk = videos[first:first + VIDEOS_PER_FIGURE]
        written += _saved(_score_curves(job, chunk, scores, labels, oracle), Path(f"{stem}_scores{page}"), formats)
    figures: dict[str, Callable[[], Any]] = {
        "reconstructions": lambda: _reconstruction_grid(job, scores, top),
        "training": lambda: _training_curve(job),
        "regions": lambda: _region_detections(job, top),
        "rbdc_tbdc": lambda: _detection_curves(job),
    }
    for suffix, make in figures.items():
        figure = make()
        if figure is not None:
            written += _saved(figure, Path(f"{stem}_{suffix}"), formats)
    return written


def plot_overlay(jobs: Sequence[Any], frames_files: Sequence[Path], out_dir: Path,
                 formats: Sequence[str] = ("png",)) -> list[Path]:
    """ROC and PR curves of ``jobs`` (of one run or several; ``frames_files[i]`` is job ``i``'s per-frame scores),
    one figure per dataset with a line per job labelled "model / scorer (run)"; where a dataset's jobs span several
    models, also one figure per model. Returns the paths written (a figure whose jobs all lack one of the classes
    is left out)."""
    formats = check_formats(formats)
    written = []
    for dataset, group in _grouped(list(zip(jobs, frames_files)), lambda job: job.dataset).items():
        by_model = _grouped(group, lambda job: job.model)
        figures = {dataset: (f"ROC and PR curves on {dataset}", group)}
        if len(by_model) > 1:
            figures |= {f"{dataset}_{model}": (f"ROC and PR curves of {model} on {dataset}", own)
                        for model, own in by_model.items()}
        for name, (title, pairs) in figures.items():
            figure = _roc_pr(pairs, title)
            if figure is not None:
                runs = "+".join(sorted({(job.run_id or "-")[:6] for job, _ in pairs}))
                written += _saved(figure, out_dir / f"roc_pr_{name}_{runs}", formats)
    return written


# -- shared helpers ----------------------------------------------------------------------------------------------

def _figure(width: float, height: float) -> Any:
    """A new figure of ``width`` x ``height`` inches with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _saved(figure: Any, stem: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``figure`` as ``stem.<format>`` for each of ``formats`` (the folder made if need be); returns the
    paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"
        figure.savefig(path, dpi=DPI, bbox_inches="tight")
        written.append(path)
    return written


def _frame_scores(frames_file: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The final per-frame scores and labels of each video in the evaluate stage's ``frames.npz``."""
    with np.load(frames_file) as stored:
        videos = [key.split("/", 1)[1] for key in stored.files if key.startswith("scores/")]
        return ({video: stored[f"scores/{video}"] for video in videos},
                {video: stored[f"labels/{video}"] for video in videos})


def _protocol(job: Any) -> dict[str, Any]:
    """The job's protocol settings, defaults filled in for any a stored job lacks."""
    from vadbench.evaluation.protocol import Protocol

    return {**Protocol().as_dict(), **job.settings.get("protocol", {})}


def _job_dataset(job: Any) -> Any:
    """The job's dataset, built from its stored settings."""
    from vadbench.plugin_host import catalog

    dataset_settings = job.settings["dataset"]
    return catalog("dataset").get(dataset_settings["name"]).build(**dataset_settings["settings"])


def _grouped(pairs: list[tuple[Any, Any]], key: Callable[[Any], str]) -> dict[str, list[tuple[Any, Any]]]:
    """(job, value) pairs grouped by ``key(job)``, in first-seen order."""
    groups: dict[str, list[tuple[Any, Any]]] = {}
    for job, value in pairs:
        groups.setdefault(key(job), []).append((job, value))
    return groups


def _intervals(flags: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) runs of true (non-zero) values."""
    padded = np.concatenate([[0], np.asarray(flags, dtype=np.int8), [0]])
    changes = np.flatnonzero(np.diff(padded))
    return list(zip(changes[::2], changes[1::2] - 1))


def _shade(axis: Any, flags: np.ndarray, style: dict, height: float = 1.0) -> None:
    """Shade the frames where ``flags`` is true, from the bottom of ``axis`` to ``height`` (a fraction of it)."""
    for start, end in _intervals(flags):
        axis.axvspan(start - 0.5, end + 0.5, ymin=0, ymax=height, **style)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


# -- score curves ------------------------------------------------------------------------------------------------

def _score_curves(job: Any, videos: list[str], scores: dict, labels: dict,
                  oracle: tuple[float, float] | None) -> Any:
    """One panel per video: the final anomaly score, the ground truth shaded, unscored frames as a grey band along
    the bottom, the job's oracle threshold dashed, and the video's AUC (under the protocol's macro rule) on top."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    protocol = _protocol(job)
    columns = min(3, len(videos))
    rows = -(-len(videos) // columns)
    figure = _figure(4.5 * columns, 2.2 * rows + 0.8)
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis, video in zip(axes.flat, videos):
        _score_panel(axis, video, scores[video], labels[video], oracle, protocol["macro_rule"])
    for axis in list(axes.flat)[len(videos):]:
        axis.axis("off")
    for last in range(max(0, len(videos) - columns), len(videos)):  # the lowest panel of each column
        axes.flat[last].set_xlabel("frame", fontsize=8)
    handles = [Line2D([], [], **SCORE_STYLE, label="anomaly score"),
               Patch(**TRUTH_STYLE, label="ground-truth anomaly")]
    if oracle is not None:
        handles.append(Line2D([], [], **THRESHOLD_STYLE,
                              label=f"oracle threshold {oracle[1]:.3g} (frame accuracy {oracle[0]:.1%})"))
    if any(np.isnan(scores[video]).any() for video in videos):
        handles.append(Patch(**UNSCORED_STYLE, label="unscored (masked in no window)"))
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    smoothing = f"after smoothing, sigma {protocol['sigma']:g}" + (", min-max normalised" if protocol["normalize"]
                                                                     else "")
    figure.supylabel(f"anomaly score ({smoothing})", fontsize=9)
    figure.suptitle(f"{_job_title(job)}: per-video AUC (macro rule {protocol['macro_rule']})", fontsize=10)
    return figure


def _score_panel(axis: Any, video: str, scores: np.ndarray, labels: np.ndarray,
                 oracle: tuple[float, float] | None, rule: str) -> None:
    """One video's panel of ``_score_curves``."""
    _shade(axis, labels, TRUTH_STYLE)
    _shade(axis, np.isnan(scores), UNSCORED_STYLE, height=UNSCORED_BAND)
    axis.plot(np.arange(len(scores)), scores, **SCORE_STYLE)
    if oracle is not None:
        axis.axhline(oracle[1], **THRESHOLD_STYLE)
    axis.set_xlim(-0.5, len(scores) - 0.5)
    axis.set_title(f"{video}: AUC {_number(metrics.video_auc(scores, labels, rule))}", fontsize=8)
    axis.tick_params(labelsize=7)


def _job_title(job: Any) -> str:
    return f"{job.model} / {job.masker or '-'} / {job.scorer or '-'} on {job.dataset}, seed {job.seed}"


# -- ROC and PR curves -------------------------------------------------------------------------------------------

def _roc_pr(pairs: list[tuple[Any, Path]], title: str) -> Any | None:
    """ROC (FPR / TPR, with the chance diagonal) and PR (recall / precision) curves of the pooled scored frames of
    every video, a line per (job, frames file) with its micro AUC and AP; None if no job has both classes."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    figure = _figure(10, 4.2)
    roc, pr = figure.subplots(1, 2)
    roc.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="chance")
    drawn = 0
    for (job, frames_file), label in zip(pairs, _line_labels([job for job, _ in pairs])):
        scores, labels = _pooled(frames_file)
        auc, precision_area = metrics.auc_micro([scores], [labels]), metrics.ap([scores], [labels])
        if auc is None:
            continue
        fpr, tpr, _ = roc_curve(labels, scores)
        precision, recall, _ = precision_recall_curve(labels, scores)
        (line,) = roc.plot(fpr, tpr, linewidth=1.2, label=f"{label}: AUC {auc:.3f}")
        pr.plot(recall, precision, color=line.get_color(), linewidth=1.2, drawstyle="steps-post",
                label=f"{label}: AP {precision_area:.3f}")
        drawn += 1
    if not drawn:
        return None
    for axis, (x, y), place in ((roc, ("false-positive rate", "true-positive rate"), "lower right"),
                                (pr, ("recall", "precision"), "lower left")):
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1.02)
        axis.set_xlabel(x)
        axis.set_ylabel(y)
        axis.legend(loc=place, fontsize=7)
    roc.set_title("ROC (frames of all videos pooled, micro AUC)", fontsize=9)
    pr.set_title("precision-recall (pooled frames, AP)", fontsize=9)
    figure.suptitle(title, fontsize=10)
    return figure


def _pooled(frames_file: Path) -> tuple[np.ndarray, np.ndarray]:
    """The scored frames of every video of a frames file: (scores, labels), NaN frames left out."""
    scores, labels = _frame_scores(frames_file)
    all_scores = np.concatenate([scores[video] for video in scores]).astype(np.float64)
    all_labels = np.concatenate([labels[video] for video in scores]).astype(np.int8)
    keep = ~np.isnan(all_scores)
    return all_scores[keep], all_labels[keep]


def _line_labels(jobs: list[Any]) -> list[str]:
    """"model / scorer (run id[:6])" per job, with the masker, seed, draw or sigma added where they tell apart jobs
    that would share a label."""
    base = [f"{job.model} / {job.scorer or '-'} ({(job.run_id or '-')[:6]})" for job in jobs]
    details = [{"masker": job.masker or "-", "seed": job.seed, "draw": job.sample_seed,
                "sigma": f"{_protocol(job)['sigma']:g}"} for job in jobs]
    labels = []
    for label, own in zip(base, details):
        twins = [other for other_label, other in zip(base, details) if other_label == label]
        differing = [f"{name} {value}" for name, value in own.items() if len({twin[name] for twin in twins}) > 1]
        labels.append(f"{label}, {', '.join(differing)}" if differing else label)
    return labels


# -- reconstruction grid -----------------------------------------------------------------------------------------

class _GridRow(NamedTuple):
    video: str
    frame: int
    score: float
    original: np.ndarray  # uint8 h w c
    reconstruction: np.ndarray  # uint8 h w c
    error: np.ndarray  # float h w, grey levels / 255
    mask: np.ndarray | None  # bool h w ground truth


def pick_frames(scores: dict[str, np.ndarray], top: int, window: int) -> list[tuple[float, str, int]]:
    """The ``top`` highest-scoring frames as (score, video, frame), highest first, by non-maximum suppression in
    time: a frame is skipped if a frame of the same video within ±``window``/2 frames was already picked. NaN
    (unscored) frames are never picked; ties go to the earlier video and frame."""
    videos = list(scores)
    if not videos or top < 1:
        return []
    values = np.concatenate([np.asarray(scores[video], dtype=np.float64) for video in videos])
    owner = np.repeat(np.arange(len(videos)), [len(scores[video]) for video in videos])
    frame = np.concatenate([np.arange(len(scores[video])) for video in videos])
    finite = np.flatnonzero(np.isfinite(values))
    picked: list[tuple[float, str, int]] = []
    for index in finite[np.argsort(-values[finite], kind="stable")]:
        video = videos[owner[index]]
        if all(other != video or abs(taken - frame[index]) > window / 2 for _, other, taken in picked):
            picked.append((float(values[index]), video, int(frame[index])))
            if len(picked) == top:
                break
    return picked


def _reconstruction_grid(job: Any, scores: dict, top: int) -> Any | None:
    """A row per picked frame (``pick_frames``): the frame with its ground-truth mask outlined, its
    reconstruction and the |error| map, every error map on one colour scale with one colour bar; None unless
    reconstructions are cached (reconstruction models only)."""
    infer_folder = stage_cache.folder("infer", job.infer_key)
    errors_file = stage_cache.errors_file(job.score_key)
    if job.scorer is None or not infer_folder.is_dir() or not errors_file.is_file():
        return None
    window = int(_protocol(job)["window"])
    dataset = _job_dataset(job)
    videos = {video.id: (index, video) for index, video in enumerate(dataset.videos("test"))}
    with np.load(errors_file) as errors:
        rows = [row for score, video_id, frame in pick_frames(scores, top, window)
                if (row := _grid_row(dataset, infer_folder, errors, *videos[video_id], frame, score)) is not None]
    if not rows:
        return None
    figure = _figure(7.5, 2.3 * len(rows) + 0.5)
    axes = figure.subplots(len(rows), 3, squeeze=False)
    top_error = max(float(row.error.max()) for row in rows) or 1.0
    for (frame_axis, reconstruction_axis, error_axis), row in zip(axes, rows):
        frame_axis.imshow(row.original)
        if row.mask is not None and row.mask.any() and not row.mask.all():
            frame_axis.contour(row.mask.astype(np.float32), levels=[0.5], colors=MASK_OUTLINE, linewidths=1)
        reconstruction_axis.imshow(row.reconstruction)
        image = error_axis.imshow(row.error, cmap="magma", vmin=0.0, vmax=top_error)
        for axis, name in ((frame_axis, f"{row.video} frame {row.frame}"), (reconstruction_axis, "reconstruction"),
                           (error_axis, f"|error| (frame score {row.score:.3g})")):
            axis.set_title(name, fontsize=8)
            axis.axis("off")
    figure.colorbar(image, ax=axes[:, 2], label=ERROR_LABEL, shrink=0.9)
    figure.suptitle(f"{job.model} / {job.scorer}: top frames, at most one per ±{window / 2:g} frames of a video "
                    f"(ground truth outlined in {MASK_OUTLINE})", fontsize=9)
    return figure


def _grid_row(dataset: Any, infer_folder: Path, errors: Any, index: int, video: Any, frame: int,
              score: float) -> _GridRow | None:
    """The frame, its reconstruction from the window that erred most on it, the |error| map and the ground-truth
    mask; None if no window masked the frame (a score filled in from a neighbour)."""
    with np.load(stage_cache.video_file(infer_folder, video.id)) as stored:
        best = _best_window(stored["starts"], stored["anchors"], errors[f"{index}/errors"], frame)
        if best is None:
            return None
        reconstruction = stored["recon"][best[0], 0, best[1]]  # the first draw
    original = np.asarray(dataset.frames(video)[frame])
    error = np.abs(original.astype(np.float32) - reconstruction).mean(axis=2) / 255
    masks = dataset.masks(video)
    return _GridRow(video.id, frame, score, original, reconstruction, error,
                    None if masks is None else np.asarray(masks[frame]))


def _best_window(starts: np.ndarray, anchors: np.ndarray, window_errors: np.ndarray,
                 frame: int) -> tuple[int, int] | None:
    """The window (and masked slot) whose reconstruction of ``frame`` had the largest error, None if none masked it."""
    masked = np.flatnonzero(~anchors)
    best: tuple[float, int, int] | None = None
    for window, start in enumerate(starts):
        offset = frame - start
        if 0 <= offset < len(anchors) and not anchors[offset] and (best is None
                                                                   or window_errors[window, offset] > best[0]):
            best = (window_errors[window, offset], window, int(np.searchsorted(masked, offset)))
    return None if best is None else (best[1], best[2])


# -- training, regions, detection curves -------------------------------------------------------------------------

def _training_curve(job: Any) -> Any | None:
    """Loss (log scale, raw and a running mean) and the learning rate against the step, from the fit stage's
    ``train_log.jsonl``; None without one."""
    records = read_log(stage_cache.training_log_file(job.fit_key))
    if not records:
        return None
    steps = np.array([record["step"] for record in records])
    loss = np.array([record["loss"] for record in records])
    figure = _figure(6, 3.2)
    axis = figure.subplots()
    axis.plot(steps, loss, color="tab:blue", linewidth=0.6, alpha=0.35, label="loss")
    window = max(1, len(loss) // 50)
    smoothed = np.convolve(loss, np.ones(window) / window, mode="valid")
    axis.plot(steps[window - 1:], smoothed, color="tab:blue", linewidth=1.5, label=f"loss, mean of {window} steps")
    axis.set_yscale("log")
    axis.set_xlabel("step")
    axis.set_ylabel("training loss")
    handles = axis.get_legend_handles_labels()[0]
    if "lr" in records[0]:
        rate = axis.twinx()
        handles += rate.plot(steps, [record["lr"] for record in records], color="tab:orange", linewidth=1,
                             label="learning rate")
        rate.set_ylabel("learning rate", color="tab:orange")
    axis.legend(handles=handles, loc="upper right", fontsize=7)
    axis.set_title(f"{job.model} fit {job.fit_key} (seed {job.seed})", fontsize=9)
    return figure


def _region_detections(job: Any, top: int) -> Any | None:
    """The ``top`` frames holding the highest-scoring detected regions: each frame with its regions (blue, score)
    and its ground-truth track boxes (red); None unless the localise stage cut regions."""
    from matplotlib.patches import Rectangle

    from vadbench.evaluation.video_localisation import stored_detections

    folder = stage_cache.folder("localise", job.localise_key) if job.localise_key else None
    if folder is None or not (folder / stage_cache.DONE).is_file():
        return None
    dataset = _job_dataset(job)
    best: list[tuple[float, Any, int]] = []
    regions: dict[str, Any] = {}
    for video in dataset.videos("test"):
        with np.load(stage_cache.video_file(folder, video.id)) as stored:
            found = stored_detections(stored)
        if found is None:
            return None
        regions[video.id] = found
        order = np.argsort(-found.score, kind="stable")
        frames, first = np.unique(found.frame[order], return_index=True)  # each frame's best region
        best += [(float(found.score[order[i]]), video, int(frame)) for frame, i in zip(frames, first)]
        best = sorted(best, key=lambda item: -item[0])[:top]
    if not best:
        return None
    figure = _figure(3 * len(best), 3.4)
    axes = figure.subplots(1, len(best), squeeze=False)
    for axis, (score, video, frame) in zip(axes.flat, best):
        axis.imshow(np.asarray(dataset.frames(video)[frame]))
        truth = [box[1:] for track in dataset.tracks(video) or () if track.abnormal
                 for box in track.boxes if box[0] == frame]
        found = regions[video.id]
        for boxes, colour in ((truth, "tab:red"), (found.boxes[found.frame == frame], "tab:blue")):
            for x0, y0, x1, y1 in boxes:
                axis.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                                         edgecolor=colour, linewidth=1))
        axis.set_title(f"{video.id} frame {frame}, best region {score:.3g}", fontsize=7)
        axis.axis("off")
    figure.suptitle(f"{job.model} / {job.scorer or '-'}: detected regions (blue), ground-truth boxes (red)",
                    fontsize=8)
    return figure


def _detection_curves(job: Any) -> Any | None:
    """RBDR and TBDR against false-positive regions per frame (the curves under RBDC and TBDC); None unless the
    evaluate stage stored them."""
    file = stage_cache.detection_curves_file(job.eval_key)
    if not file.is_file():
        return None
    with np.load(file) as stored:
        curves = {name: stored[name] for name in stored.files}
    figure = _figure(4.8, 3.4)
    axis = figure.subplots()
    for name, colour in (("rbdr", "tab:blue"), ("tbdr", "tab:orange")):
        area = np.trapezoid(curves[name], curves["fpr"])
        axis.plot(curves["fpr"], curves[name], color=colour, linewidth=1.2,
                  label=f"{name.upper()} (area {name[:2].upper()}DC {area:.3f})")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("false-positive regions per frame")
    axis.set_ylabel("detection rate")
    axis.legend(loc="best", fontsize=7)
    axis.set_title(f"{job.model} / {job.scorer or '-'} on {job.dataset}", fontsize=9)
    return figure
