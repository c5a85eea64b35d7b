"""The region-based and track-based detection criteria RBDC and TBDC of anomaly localisation.

Ramachandra & Jones, "Street Scene: A new dataset and evaluation protocol for video anomaly detection", WACV 2020,
computed exactly as the reference evaluation of Georgescu et al. (``AED/evaluation/compute_tbdc_rbdc.py``) does.
That code's licence forbids modified copies, so this is a reimplementation from its description, vectorised: one
sort of all detections and a sort join of detections and ground-truth regions on (video, frame), no loop per
detection.

The ground truth is the abnormal tracks with at least one box; a track has one region per frame it has a box in.
Detections of all videos are taken in descending score order. A detection whose IoU (inclusive pixels) with a
region of its frame is ``>= beta`` matches every such region; the regions matched for the first time are true
positives, a detection that matches no region is a false positive, and one whose regions were all matched before
is neither. A track is detected once at least ``alpha`` of its regions are matched. After each detection the
curves take the point (false positives per frame, fraction of regions matched, fraction of tracks detected),
starting from (0, 0); they are cut after the last point with at most one false positive per frame and, unless
that point lies at exactly one, extended flat to it. RBDC and TBDC are the trapezoid areas under them.

Tie rule: detections with equal scores keep dataset order (videos in input order, then each video's detection
order), the reference's stable sort. Edge cases: a track without any box is skipped (the reference would divide
by zero); a track that lists a frame twice keeps the last box of that frame (the reference keeps one per frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vadbench.components import Track
from vadbench.errors import ConfigError, EvaluationError


def _check_boxes(boxes: np.ndarray, what: str) -> None:
    """Raise an EvaluationError naming ``what`` when a box of int ``n 4`` ends before it starts."""
    if (boxes[:, 2] < boxes[:, 0]).any() or (boxes[:, 3] < boxes[:, 1]).any():
        raise EvaluationError(f"{what} has a box with x_max < x_min or y_max < y_min; boxes are "
                              "(x_min, y_min, x_max, y_max) in inclusive pixels")


@dataclass(frozen=True)
class Detections:
    """Detected regions of one video: ``frame`` int ``n``, ``boxes`` int ``n 4`` (x_min, y_min, x_max, y_max,
    inclusive pixels) and ``score`` float ``n`` (larger = more anomalous).

    Stored as int64, int64 and float64; a wrong shape, non-integer frames or boxes, a non-finite score or a box
    that ends before it starts is an EvaluationError.
    """

    frame: np.ndarray
    boxes: np.ndarray
    score: np.ndarray

    def __post_init__(self) -> None:
        frame, boxes, score = np.asarray(self.frame), np.asarray(self.boxes), np.asarray(self.score)
        if frame.ndim != 1 or boxes.shape != (frame.size, 4) or score.shape != frame.shape:
            raise EvaluationError(f"detections need frame n, boxes n x 4 and score n; got frame {frame.shape}, "
                                  f"boxes {boxes.shape} and score {score.shape}")
        if frame.size and not (np.issubdtype(frame.dtype, np.integer) and np.issubdtype(boxes.dtype, np.integer)):
            raise EvaluationError(f"detection frames and boxes must be integers (pixels), got {frame.dtype} and "
                                  f"{boxes.dtype}; round them before building Detections")
        score = score.astype(np.float64)
        if not np.isfinite(score).all():
            raise EvaluationError("a detection score is NaN or infinite; scores must be finite")
        boxes = boxes.astype(np.int64)
        _check_boxes(boxes, "a detection")
        object.__setattr__(self, "frame", frame.astype(np.int64))
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "score", score)

    @classmethod
    def empty(cls) -> Detections:
        """No detection."""
        return cls(np.empty(0, dtype=np.int64), np.empty((0, 4), dtype=np.int64), np.empty(0))


@dataclass(frozen=True)
class DetectionCurves:
    """The cut and extended curves, ``p`` points each from (0, 0) to false-positive rate 1, and their areas.

    ``fpr`` float ``p`` false-positive regions per frame, ``rbdr`` and ``tbdr`` float ``p`` the region and track
    detection rates; ``regions``, ``tracks`` and ``detections`` are the counts that entered them.
    """

    fpr: np.ndarray
    rbdr: np.ndarray
    tbdr: np.ndarray
    rbdc: float
    tbdc: float
    regions: int
    tracks: int
    detections: int


def _ground_truth(tracks: Sequence[Sequence[Track]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The ground-truth regions of all videos, one per (track, frame): ``video``, ``frame`` and ``track`` int ``r``
    (the index of the region's track among the ground-truth tracks) and ``boxes`` int ``r 4``; and the number of
    ground-truth tracks."""
    video, track, rows = [], [], []
    num_tracks = 0
    for v, video_tracks in enumerate(tracks):
        for gt in video_tracks:
            if gt.abnormal and gt.boxes:
                per_frame = {box[0]: box for box in gt.boxes}  # the last box of a frame wins
                rows.extend(per_frame.values())
                video.extend([v] * len(per_frame))
                track.extend([num_tracks] * len(per_frame))
                num_tracks += 1
    rows = np.array(rows, dtype=np.int64).reshape(-1, 5)
    _check_boxes(rows[:, 1:], "a ground-truth track")
    return np.array(video, dtype=np.int64), rows[:, 0], np.array(track, dtype=np.int64), rows[:, 1:], num_tracks


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64 ``n`` IoU of the boxes int ``n 4`` ``a`` and ``b`` row by row, in inclusive pixels."""
    width = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]) + 1, 0, None)
    height = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]) + 1, 0, None)
    inter = width * height
    area_a = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    area_b = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (area_a + area_b - inter)


def _regions_needed(regions: np.ndarray, alpha: float) -> np.ndarray:
    """int ``t`` the smallest ``k`` with ``k / regions >= alpha`` in float64, per track of int ``t`` regions."""
    k = np.ceil(alpha * regions).astype(np.int64)
    k -= (k - 1) / regions >= alpha  # the rounding of alpha * regions can put the ceiling one too high
    k += k / regions < alpha  # or one too low
    return k


def detection_curves(
    detections: Sequence[Detections],
    tracks: Sequence[Sequence[Track]],
    num_frames: int,
    alpha: float = 0.1,
    beta: float = 0.1,
) -> DetectionCurves | None:
    """RBDC, TBDC and their curves over the videos ``v``: ``detections[v]`` and ``tracks[v]`` belong to video ``v``.

    ``num_frames`` is the number of frames of all videos (the false-positive rate is per frame), ``alpha`` the
    fraction of its regions that detects a track and ``beta`` the IoU that matches a region. None when there is no
    ground-truth region (RBDC and TBDC are undefined).
    """
    if len(detections) != len(tracks):
        raise EvaluationError(f"{len(detections)} videos of detections but {len(tracks)} of tracks; pass one "
                              "Detections (Detections.empty() for none) and one track list per video")
    if num_frames < 1:
        raise EvaluationError(f"num_frames must be >= 1 (the frames of all evaluated videos), got {num_frames}")
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not 0 < value <= 1:
            raise ConfigError(f"{name} must lie in (0, 1], got {value}")
    gt_video, gt_frame, gt_track, gt_boxes, num_tracks = _ground_truth(tracks)
    if gt_frame.size == 0:
        return None

    # Detections in rank order: descending score, ties in dataset order.
    video = np.repeat(np.arange(len(detections)), [d.frame.size for d in detections])
    frame = np.concatenate([np.empty(0, dtype=np.int64), *(d.frame for d in detections)])
    boxes = np.concatenate([np.empty((0, 4), dtype=np.int64), *(d.boxes for d in detections)])
    order = np.argsort(-np.concatenate([np.empty(0), *(d.score for d in detections)]), kind="stable")
    video, frame, boxes = video[order], frame[order], boxes[order]
    n = order.size

    # Join detections and regions on one integer key per (video, frame).
    first_frame = frame.min(initial=gt_frame.min())
    span = frame.max(initial=gt_frame.max()) - first_frame + 1
    gt_key = gt_video * span + gt_frame - first_frame
    by_key = np.argsort(gt_key, kind="stable")
    gt_key, gt_boxes, gt_track = gt_key[by_key], gt_boxes[by_key], gt_track[by_key]
    key = video * span + frame - first_frame
    start = np.searchsorted(gt_key, key, side="left")
    count = np.searchsorted(gt_key, key, side="right") - start
    pair_rank = np.repeat(np.arange(n), count)
    pair_region = np.arange(count.sum()) + np.repeat(start - (np.cumsum(count) - count), count)
    hit = _iou(boxes[pair_rank], gt_boxes[pair_region]) >= beta
    hit_rank, hit_region = pair_rank[hit], pair_region[hit]

    false_positive = np.ones(n, dtype=bool)
    false_positive[hit_rank] = False
    first_hit = np.full(gt_key.size, n)  # the rank that matches each region first; n = never
    np.minimum.at(first_hit, hit_region, hit_rank)
    # A track is detected at the k-th smallest first hit among its regions, k the regions that alpha needs.
    regions = np.bincount(gt_track, minlength=num_tracks)
    by_track = first_hit[np.lexsort((first_hit, gt_track))]
    detected_at = by_track[np.cumsum(regions) - regions + _regions_needed(regions, alpha) - 1]

    fpr = np.concatenate([[0.0], np.cumsum(false_positive) / num_frames])
    rbdr = np.concatenate([[0.0], np.cumsum(np.bincount(first_hit[first_hit < n], minlength=n)) / gt_key.size])
    tbdr = np.concatenate([[0.0], np.cumsum(np.bincount(detected_at[detected_at < n], minlength=n)) / num_tracks])
    kept = np.searchsorted(fpr, 1.0, side="right")  # fpr is non-decreasing: the points with fpr <= 1
    fpr, rbdr, tbdr = fpr[:kept], rbdr[:kept], tbdr[:kept]
    if fpr[-1] != 1.0:
        fpr, rbdr, tbdr = np.append(fpr, 1.0), np.append(rbdr, rbdr[-1]), np.append(tbdr, tbdr[-1])
    return DetectionCurves(fpr=fpr, rbdr=rbdr, tbdr=tbdr, rbdc=float(np.trapezoid(rbdr, fpr)),
                           tbdc=float(np.trapezoid(tbdr, fpr)), regions=int(gt_key.size), tracks=num_tracks,
                           detections=int(n))
