"""Frame-level metrics of per-video (scores, labels), anomalies positive, larger score = more anomalous.

Every function takes ``scores`` and ``labels`` as sequences with one array ``f`` per video (labels 0/1, 1 =
anomalous) and ignores frames whose score is NaN (unscored). A metric that is undefined on its input (an AUC
without both classes, say) is None, so that callers omit it rather than store NaN. A threshold ``t`` predicts
``score >= t`` anomalous. Definitions and the reasons behind them: ``docs/metrics.md``.

All metrics come from one sort per scope (``_Curve``): the confusion counts at every distinct score, per video or
pooled. scikit-learn computes the same numbers one video per call at ~1 ms of validation each, which made a
UBnormal-sized evaluation take seconds; it stays the oracle of the tests (``bench/evaluation.py`` times both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vadbench.errors import ConfigError

MACRO_RULES = ("pad", "skip")

Arrays = Sequence[np.ndarray]


class _Pool:
    """The scored frames of some videos, concatenated: ``scores`` float ``n``, ``labels`` bool ``n`` and ``video``
    int ``n`` (the index of the frame's video), with per-video counts ``v``."""

    def __init__(self, scores: Arrays, labels: Arrays) -> None:
        lengths = np.array([len(video_scores) for video_scores in scores], dtype=np.int64)
        all_scores = np.concatenate([np.asarray(s, dtype=np.float64) for s in scores]) if len(scores) else np.empty(0)
        all_labels = np.concatenate([np.asarray(y) for y in labels]) if len(labels) else np.empty(0)
        keep = ~np.isnan(all_scores)
        self.num_videos = lengths.size
        self.scores, self.labels = all_scores[keep], all_labels[keep].astype(bool)
        self.video = np.repeat(np.arange(lengths.size), lengths)[keep]
        self.positives = np.bincount(self.video, weights=self.labels, minlength=lengths.size).astype(np.int64)
        self.scored = np.bincount(self.video, minlength=lengths.size)
        self.negatives = self.scored - self.positives
        self.excluded = lengths - self.scored

    def curve(self, per_video: bool) -> _Curve:
        """The confusion counts per video, or of all frames pooled."""
        if per_video:
            return _Curve.of(self.scores, self.labels, self.video, self.num_videos)
        return _Curve.of(self.scores, self.labels, np.zeros(self.scores.size, dtype=np.int64), 1)


@dataclass(frozen=True)
class _Curve:
    """Confusion counts at every distinct score taken as threshold, per group, highest threshold first.

    One entry ``b`` per block of tied (group, score): ``group``, ``threshold``, and ``tps``/``fps`` the anomalous
    and normal frames of the group scored ``>= threshold``; ``positives``/``negatives`` ``g`` are group totals.
    """

    group: np.ndarray
    first: np.ndarray  # bool ``b``: the block is its group's first (highest threshold)
    threshold: np.ndarray
    tps: np.ndarray
    fps: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray

    @classmethod
    def of(cls, scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, num_groups: int) -> _Curve:
        order = np.argsort(-scores)  # descending; then one int64 sort by (group, rank), 3x faster than lexsort
        if num_groups > 1:
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            order = np.argsort(groups * order.size + rank)
        s, y, g = scores[order], labels[order], groups[order]
        last = np.ones(s.size, dtype=bool)  # last frame of each block of tied (group, score)
        last[:-1] = (g[1:] != g[:-1]) | (s[1:] != s[:-1])
        positives = np.bincount(g, weights=y, minlength=num_groups).astype(np.int64)
        negatives = np.bincount(g, minlength=num_groups) - positives
        before_tp = np.cumsum(positives) - positives  # frames of earlier groups in the sorted order
        before_fp = np.cumsum(negatives) - negatives
        group = g[last]
        first = np.ones(group.size, dtype=bool)
        first[1:] = group[1:] != group[:-1]
        tps = np.cumsum(y)[last] - before_tp[group]
        fps = np.cumsum(~y)[last] - before_fp[group]
        return cls(group, first, s[last], tps, fps, positives, negatives)

    def _previous(self, counts: np.ndarray) -> np.ndarray:
        """``counts`` of the block before each block of the same group, 0 for a group's first block."""
        previous = np.zeros_like(counts)
        previous[1:] = counts[:-1]
        previous[self.first] = 0
        return previous

    def concordant(self) -> np.ndarray:
        """float ``g`` (anomalous, normal) pairs ranked correctly, ties counting one half: AUC * P * N."""
        tps_before, fps_before = self._previous(self.tps), self._previous(self.fps)
        area = (self.fps - fps_before) * (self.tps + tps_before) / 2.0
        return np.bincount(self.group, weights=area, minlength=self.positives.size)

    def average_precision(self) -> np.ndarray:
        """float ``g`` sum over thresholds of (recall step) * precision, as ``average_precision_score``."""
        steps = (self.tps - self._previous(self.tps)) * self.tps / (self.tps + self.fps)
        total = np.bincount(self.group, weights=steps, minlength=self.positives.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / self.positives


def _check_rule(rule: str) -> None:
    if rule not in MACRO_RULES:
        raise ConfigError(f"macro_rule must be one of {', '.join(MACRO_RULES)}, got {rule!r}")


def _both_classes(positives: int, negatives: int) -> bool:
    return positives > 0 and negatives > 0


def _video_aucs(pool: _Pool, per_video: _Curve, rule: str) -> np.ndarray:
    """float ``v`` AUC of each video under ``rule``, NaN where undefined; ``per_video`` is ``pool``'s curve."""
    _check_rule(rule)
    pairs = per_video.concordant()
    p, n = pool.positives, pool.negatives
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule == "pad":
            return np.where(pool.scored > 0, (pairs + p + n + 1) / ((p + 1) * (n + 1)), np.nan)
        return np.where((p > 0) & (n > 0), pairs / (p * n), np.nan)


def video_auc(scores: np.ndarray, labels: np.ndarray, rule: str = "pad") -> float | None:
    """ROC AUC of one video under the single-class rule ``rule``.

    ``pad``, as the official UBnormal script does to every video: one normal frame scored strictly below the video's
    lowest score and one anomalous frame scored strictly above its highest are added. With P anomalous and N normal
    frames this gives ``(AUC*P*N + P + N + 1) / ((P+1)(N+1))``, and 1.0 for a single-class video. The script's
    sentinels are the scores 0 and 1, so the two agree for scores strictly inside (0, 1); sentinels outside the
    video's own range keep the result rank-based for raw errors above 1 and for min-max scores that reach 0 and 1.
    ``skip``: the plain AUC, None for a single-class video. None for a video with no scored frame.
    """
    pool = _Pool([scores], [labels])
    auc = _video_aucs(pool, pool.curve(per_video=True), rule)[0]
    return None if np.isnan(auc) else float(auc)


def auc_macro(scores: Arrays, labels: Arrays, rule: str = "pad") -> float | None:
    """Mean over videos of ``video_auc`` under ``rule``; videos where it is undefined (no scored frame, or one
    class under ``skip``) are left out of the mean."""
    return _auc_macro(_Pool(scores, labels), rule)


def _auc_macro(pool: _Pool, rule: str) -> float | None:
    aucs = _video_aucs(pool, pool.curve(per_video=True), rule)
    return float(np.nanmean(aucs)) if (~np.isnan(aucs)).any() else None


def auc_micro(scores: Arrays, labels: Arrays) -> float | None:
    """ROC AUC of all scored frames pooled over the videos (ties count one half)."""
    return _auc_micro(_Pool(scores, labels).curve(per_video=False))


def _auc_micro(curve: _Curve) -> float | None:
    p, n = int(curve.positives[0]), int(curve.negatives[0])
    return float(curve.concordant()[0] / (p * n)) if _both_classes(p, n) else None


def ap(scores: Arrays, labels: Arrays) -> float | None:
    """Average precision of the pooled frames: the step-wise area of ``sklearn.metrics.average_precision_score``."""
    return _ap(_Pool(scores, labels).curve(per_video=False))


def _ap(curve: _Curve) -> float | None:
    return float(curve.average_precision()[0]) if _both_classes(curve.positives[0], curve.negatives[0]) else None


def eer(scores: Arrays, labels: Arrays) -> float | None:
    """Equal error rate of the pooled frames: the false positive rate where it equals the false negative rate.

    The crossing is linearly interpolated between the two ROC points that bracket it, so it does not depend on
    which intermediate ROC points are kept.
    """
    return _eer(_Pool(scores, labels).curve(per_video=False))


def _eer(curve: _Curve) -> float | None:
    p, n = int(curve.positives[0]), int(curve.negatives[0])
    if not _both_classes(p, n):
        return None
    fpr, tpr = np.r_[0.0, curve.fps / n], np.r_[0.0, curve.tps / p]
    gap = fpr + tpr - 1.0  # fpr - fnr: -1 at (0, 0), +1 at (1, 1), non-decreasing along the curve
    k = int(np.argmax(gap >= 0))
    if gap[k] == 0:
        return float(fpr[k])
    t = -gap[k - 1] / (gap[k] - gap[k - 1])
    return float(fpr[k - 1] + t * (fpr[k] - fpr[k - 1]))


def f1_best(scores: Arrays, labels: Arrays) -> tuple[float, float] | None:
    """(best F1, its threshold) over the distinct scores of the pooled frames; ties go to the highest threshold."""
    return _f1_best(_Pool(scores, labels).curve(per_video=False))


def _f1_best(curve: _Curve) -> tuple[float, float] | None:
    p, n = int(curve.positives[0]), int(curve.negatives[0])
    if not _both_classes(p, n):
        return None
    f1 = 2 * curve.tps / (curve.tps + curve.fps + p)  # 2PR / (P + R) = 2 TP / (2 TP + FP + FN)
    best = int(np.argmax(f1))
    return float(f1[best]), float(curve.threshold[best])


def accuracy_oracle(scores: Arrays, labels: Arrays) -> tuple[float, float] | None:
    """(best pooled frame accuracy, its threshold) over every threshold: an oracle, since it looks at the labels.

    Candidates are one threshold above every score (all frames normal), reported as the next float above the
    highest score, and the distinct scores. Ties go to the highest threshold.
    """
    return _accuracy_oracle(_Pool(scores, labels).curve(per_video=False))


def _accuracy_oracle(curve: _Curve) -> tuple[float, float] | None:
    p, n = int(curve.positives[0]), int(curve.negatives[0])
    if not _both_classes(p, n):
        return None
    correct = np.r_[n, curve.tps + n - curve.fps]
    best = int(np.argmax(correct))
    threshold = curve.threshold[best - 1] if best else np.nextafter(curve.threshold[0], np.inf)
    return float(correct[best] / (p + n)), float(threshold)


def video_accuracy(scores: Arrays, labels: Arrays, threshold: float) -> float | None:
    """Mean over videos of each video's frame accuracy at ``threshold`` (videos with no scored frame left out)."""
    return _video_accuracy(_Pool(scores, labels), threshold)


def video_accuracy_oracle(scores: Arrays, labels: Arrays) -> float | None:
    """``video_accuracy`` at the one pooled threshold of ``accuracy_oracle`` (not the thesis code's per-video
    average, which picks a threshold per video: ``video_accuracy_per_video_threshold``)."""
    pool = _Pool(scores, labels)
    best = _accuracy_oracle(pool.curve(per_video=False))
    return None if best is None else _video_accuracy(pool, best[1])


def video_accuracy_per_video_threshold(scores: Arrays, labels: Arrays) -> float | None:
    """Mean over videos of each video's best frame accuracy at a threshold chosen for that video alone (the thesis
    code's per-video average accuracy): an oracle twice over, and at least each video's majority-class share."""
    return _video_accuracy_per_video_threshold(_Pool(scores, labels))


def _video_accuracy_per_video_threshold(pool: _Pool) -> float | None:
    scored = pool.scored > 0
    if not scored.any():
        return None
    curve = pool.curve(per_video=True)
    best = pool.negatives.astype(np.float64)  # the threshold above every score: all frames normal
    np.maximum.at(best, curve.group, curve.tps + pool.negatives[curve.group] - curve.fps)
    return float(np.mean(best[scored] / pool.scored[scored]))


def _video_accuracy(pool: _Pool, threshold: float) -> float | None:
    correct = np.bincount(pool.video, weights=(pool.scores >= threshold) == pool.labels, minlength=pool.num_videos)
    scored = pool.scored > 0
    return float(np.mean(correct[scored] / pool.scored[scored])) if scored.any() else None


def counts(scores: Arrays, labels: Arrays) -> dict[str, int]:
    """Frame and video counts of a scope; ``frames_abnormal`` counts scored frames only."""
    return _counts(_Pool(scores, labels))


def _counts(pool: _Pool) -> dict[str, int]:
    scored = pool.scored > 0
    return {
        "frames_scored": int(pool.scored.sum()),
        "frames_excluded": int(pool.excluded.sum()),
        "frames_abnormal": int(pool.positives.sum()),
        "videos": pool.num_videos,
        "videos_single_class": int((scored & ((pool.positives == 0) | (pool.negatives == 0))).sum()),
        "videos_unscored": int((~scored).sum()),
    }


def scope_metrics(scores: Arrays, labels: Arrays, rule: str = "pad") -> dict[str, float]:
    """Every metric of a scope (a dataset or a scene) that is defined on it, and its counts, by metric name."""
    pool = _Pool(scores, labels)
    curve = pool.curve(per_video=False)
    values: dict[str, float | None] = {
        "auc_micro": _auc_micro(curve),
        "auc_macro": _auc_macro(pool, rule),
        "ap": _ap(curve),
        "eer": _eer(curve),
    }
    if (best_f1 := _f1_best(curve)) is not None:
        values["f1_best"], values["threshold_f1"] = best_f1
    if (best_accuracy := _accuracy_oracle(curve)) is not None:
        values["accuracy_oracle"], values["threshold_accuracy"] = best_accuracy
        values["video_accuracy_oracle"] = _video_accuracy(pool, best_accuracy[1])
        values["video_accuracy_per_video_threshold"] = _video_accuracy_per_video_threshold(pool)
    values.update(_counts(pool))
    return {name: float(value) for name, value in values.items() if value is not None}


def video_metrics(scores: Arrays, labels: Arrays, rule: str = "pad") -> list[dict[str, float]]:
    """Per video: ``auc`` under ``rule`` where defined, ``ap`` where both classes exist, and frame counts."""
    pool = _Pool(scores, labels)
    per_video = pool.curve(per_video=True)
    aucs, aps = _video_aucs(pool, per_video, rule), per_video.average_precision()
    both = (pool.positives > 0) & (pool.negatives > 0)
    metrics = []
    for v in range(pool.num_videos):
        values = {"auc": aucs[v]} if not np.isnan(aucs[v]) else {}
        if both[v]:
            values["ap"] = aps[v]
        values.update(frames_scored=pool.scored[v], frames_excluded=pool.excluded[v], frames_abnormal=pool.positives[v])
        metrics.append({name: float(value) for name, value in values.items()})
    return metrics
