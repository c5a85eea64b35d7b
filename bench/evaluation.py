"""Time the evaluation of a UBnormal-sized test set (211 videos, 29 scenes, ~100k frames) on the CPU.

Prints the median of several runs for: window aggregation, the whole ``evaluate`` (post-processing and every
metric of every scope), and the same per-video, per-scene and dataset metrics computed with scikit-learn calls,
the implementation ``vadbench.evaluation.metrics`` replaced (and that its tests use as the oracle).

    .venv/bin/python bench/evaluation.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from vadbench.evaluation.aggregate import frame_scores
from vadbench.evaluation.protocol import Protocol, VideoFrameScores, evaluate
from vadbench.evaluation.windows import window_starts

ANCHORS = np.isin(np.arange(30), [0, 1, 10, 11, 20, 21, 28, 29])


def window_errors(seed: int = 0) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]:
    """(id, scene, starts, window errors ``w l``, labels ``f``) of 211 videos of 300..700 frames; half all normal."""
    rng = np.random.default_rng(seed)
    videos = []
    for v in range(211):
        n = int(rng.integers(300, 700))
        labels = np.zeros(n, dtype=np.uint8)
        if v % 2:
            start = int(rng.integers(0, n // 2))
            labels[start : start + n // 3] = 1
        starts = window_starts(n, 30, 15)
        errors = rng.random((starts.size, 30)) + 0.2 * labels[starts[:, None] + np.arange(30)]
        errors[:, ANCHORS] = np.nan
        videos.append((f"video_{v:03d}", f"scene_{v % 29}", starts, errors, labels))
    return videos


def with_sklearn(videos: list[VideoFrameScores], scores: dict[str, np.ndarray]) -> None:
    """The AUCs, APs and curves behind the same rows, one scikit-learn call per video and per pooled metric."""

    def pooled(ids):
        s = np.concatenate([scores[i] for i in ids])
        y = np.concatenate([video.labels for video in videos if video.id in ids])
        return s[~np.isnan(s)], y[~np.isnan(s)]

    def per_video(video):
        s, y = scores[video.id], video.labels
        s, y = s[~np.isnan(s)], y[~np.isnan(s)]
        padded = roc_auc_score(np.r_[0, y, 1], np.r_[s.min() - 1, s, s.max() + 1])
        return padded, (average_precision_score(y, s) if 0 < y.sum() < y.size else None)

    scopes = [{video.id for video in videos}]
    scopes += [{v.id for v in videos if v.scene == scene} for scene in sorted({v.scene for v in videos})]
    for ids in scopes:
        s, y = pooled(ids)
        for metric in (roc_auc_score, average_precision_score, roc_curve, precision_recall_curve):
            metric(y, s)
        for video in videos:
            if video.id in ids:
                per_video(video)


def median_seconds(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    raw = window_errors()

    def aggregate() -> list[np.ndarray]:
        return [frame_scores(labels.size, starts, ANCHORS, errors) for _, _, starts, errors, labels in raw]

    videos = [VideoFrameScores(vid, scene, scores, labels)
              for (vid, scene, _, _, labels), scores in zip(raw, aggregate())]
    result = evaluate(videos, Protocol(), "ubnormal-sized")
    frames = sum(video.labels.size for video in videos)
    print(f"211 videos, 29 scenes, {frames} frames, {len(result.rows)} metric rows (default protocol)\n")
    rows = [
        ("window aggregation (max), all videos", median_seconds(aggregate)),
        ("evaluate(): smoothing + every metric of every scope",
         median_seconds(lambda: evaluate(videos, Protocol(), "d"))),
        ("scikit-learn: its AUC, AP, ROC and PR calls alone",
         median_seconds(lambda: with_sklearn(videos, result.scores), 3)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'step':<{width}}  median s")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.3f}")


if __name__ == "__main__":
    main()
