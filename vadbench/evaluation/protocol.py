"""The evaluation protocol: its settings, and ``evaluate`` from per-video frame scores to metric rows.

``evaluate`` applies, per video and in this order: the unscored-frame rule, Gaussian smoothing, optional min-max
normalisation; then it computes the metrics per dataset, per scene, per video and, where the videos name their
anomaly kinds, per kind (``docs/metrics.md``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vadbench.checks import is_int, is_number
from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.aggregate import AGGREGATIONS, fill_nearest
from vadbench.evaluation.metrics import MACRO_RULES, scope_metrics, video_metrics
from vadbench.evaluation.postprocess import BOUNDARIES, minmax, smooth
from vadbench.evaluation.records import MetricRow

UNSCORED_RULES = ("exclude", "nearest")
SCOPES = ("dataset", "scene", "video", "kind")
STAGES = ("fit", "infer", "localise", "evaluate")  # the stages a protocol setting can key (score depends on none)


def _setting(default: Any, *stages: str) -> Any:
    """A protocol field keyed into the cache keys of ``stages`` (and, through them, of everything after)."""
    return field(default=default, metadata={"stages": stages})


@dataclass(frozen=True)
class Protocol:
    """How frame scores are made and judged; every field is stored with each result.

    - ``window``, ``stride``: test windows of L frames every S frames, plus one flush with the video's end.
    - ``aggregate``: "max" or "mean" of a frame's errors over the windows in which it is masked.
    - ``unscored``: frames masked in no window are "exclude"d from every metric, or take the "nearest" scored
      frame's score.
    - ``sigma``: Gaussian smoothing per video, in frames (0 = none). 3 is the value Accurate-Interpretable-VAD
      uses on Avenue with the same ``gaussian_filter1d``, and lies inside the 2..6 range the thesis tried; STC and
      UBnormal results are often reported with wider kernels, so the value is stored with every result.
    - ``smoothing_boundary``: what lies beyond a video's ends when smoothing: "renormalise" (nothing; the default),
      "reflect" (scipy's default, as Accurate-Interpretable-VAD) or "constant" (zeros, as the UBnormal script's
      commented-out line); see ``postprocess.smooth``.
    - ``normalize``: per-video min-max normalisation after smoothing (changes micro AUC, never macro AUC).
    - ``macro_rule``: single-class videos in macro AUC: "pad" (the official UBnormal script) or "skip".

    Localisation (``docs/metrics.md``, section 7), where the dataset has pixel masks or tracks and the scorer (or
    a scores model) gives error maps:

    - ``localise``: compute the pixel- and region-level metrics at all.
    - ``region_sigma``: Gaussian smoothing of each error map, in pixels, before regions are cut (0 = none).
    - ``region_levels``: the threshold sweep; a region is an 8-connected component of a frame's smoothed map at
      or above ``min + level * (max - min)`` of that frame, for each level in (0, 1).
    - ``region_min_area``: smaller components are dropped (pixels).
    - ``region_max_per_frame``: at most this many regions per frame, the highest-scoring (a region's score is
      the mean of the smoothed map over it).
    - ``pixel_budget``, ``pixel_seed``: the pixel AUROC and AUPRO read every test pixel up to ``pixel_budget``
      pixels, else a uniform sample of about that many drawn per video from (``pixel_seed``, video id).
    """

    window: int = _setting(30, "fit", "infer")  # training clips have the window's length too
    stride: int = _setting(15, "infer")
    aggregate: str = _setting("max", "localise", "evaluate")
    unscored: str = _setting("exclude", "evaluate")
    sigma: float = _setting(3.0, "evaluate")
    smoothing_boundary: str = _setting("renormalise", "evaluate")
    normalize: bool = _setting(False, "evaluate")
    macro_rule: str = _setting("pad", "evaluate")
    localise: bool = _setting(True, "localise", "evaluate")
    region_sigma: float = _setting(1.0, "localise", "evaluate")
    region_levels: tuple[float, ...] = _setting((0.5, 0.75), "localise", "evaluate")
    region_min_area: int = _setting(1, "localise", "evaluate")
    region_max_per_frame: int = _setting(8, "localise", "evaluate")
    pixel_budget: int = _setting(2**24, "localise", "evaluate")
    pixel_seed: int = _setting(0, "localise", "evaluate")

    def __post_init__(self) -> None:
        if not is_int(self.window) or self.window < 1:
            raise ConfigError(f"protocol.window must be a whole number of frames >= 1, got {self.window!r}")
        if not is_int(self.stride) or not 1 <= self.stride <= self.window:
            raise ConfigError(
                f"protocol.stride must be a whole number of frames from 1 to window ({self.window}) so that windows "
                f"overlap or touch, got {self.stride!r}"
            )
        _check_choice("aggregate", self.aggregate, AGGREGATIONS)
        _check_choice("unscored", self.unscored, UNSCORED_RULES)
        _check_choice("macro_rule", self.macro_rule, MACRO_RULES)
        _check_choice("smoothing_boundary", self.smoothing_boundary, BOUNDARIES)
        if not is_number(self.sigma) or not math.isfinite(self.sigma) or self.sigma < 0:
            raise ConfigError(f"protocol.sigma must be a number of frames >= 0 (0 = no smoothing), got {self.sigma!r}")
        for name in ("normalize", "localise"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"protocol.{name} must be true or false, got {getattr(self, name)!r}")
        self._check_region_rule()
        # 3 and 3.0 (or numpy integers) are the same protocol and must serialise and hash the same
        object.__setattr__(self, "window", int(self.window))
        object.__setattr__(self, "stride", int(self.stride))
        object.__setattr__(self, "sigma", float(self.sigma))
        object.__setattr__(self, "region_sigma", float(self.region_sigma))
        object.__setattr__(self, "region_levels", tuple(float(level) for level in self.region_levels))
        for name in ("region_min_area", "region_max_per_frame", "pixel_budget", "pixel_seed"):
            object.__setattr__(self, name, int(getattr(self, name)))

    def _check_region_rule(self) -> None:
        if not is_number(self.region_sigma) or not math.isfinite(self.region_sigma) or self.region_sigma < 0:
            raise ConfigError(f"protocol.region_sigma must be a number of pixels >= 0 (0 = no smoothing), got "
                              f"{self.region_sigma!r}")
        levels = self.region_levels if isinstance(self.region_levels, (list, tuple)) else None
        if not levels or not all(is_number(level) and 0 < level < 1 for level in levels):
            raise ConfigError(f"protocol.region_levels must be a non-empty list of numbers strictly between 0 and 1 "
                              f"(fractions of each frame's map range), got {self.region_levels!r}; e.g. [0.5, 0.75]")
        for name, least in (("region_min_area", 1), ("region_max_per_frame", 1), ("pixel_budget", 1),
                            ("pixel_seed", 0)):
            value = getattr(self, name)
            if not is_int(value) or value < least:
                raise ConfigError(f"protocol.{name} must be a whole number >= {least}, got {value!r}")

    def as_dict(self) -> dict[str, Any]:
        """The settings by field name, JSON-serialisable."""
        return dataclasses.asdict(self)

    def keyed_by(self, stage: str) -> dict[str, Any]:
        """The settings that go into the cache key of ``stage`` ("fit", "infer", "localise" or "evaluate")."""
        if stage not in STAGES:
            raise ValueError(f"no protocol setting keys stage {stage!r}; stages: {', '.join(STAGES)}")
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)
                if stage in item.metadata["stages"]}

    def with_sigma(self, sigma: Any) -> Protocol:
        """This protocol with another smoothing width (validated like every field)."""
        return dataclasses.replace(self, sigma=sigma)

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any]) -> Protocol:
        """A protocol from settings by field name; an unknown name is a ConfigError listing the valid ones."""
        fields = [field.name for field in dataclasses.fields(cls)]
        unknown = sorted(set(settings) - set(fields))
        if unknown:
            raise ConfigError(f"unknown protocol setting {', '.join(unknown)}; valid settings: {', '.join(fields)}")
        return cls(**settings)


@dataclass(frozen=True)
class VideoFrameScores:
    """One test video's frame scores before post-processing, with its ground truth."""

    id: str
    scene: str
    raw_scores: np.ndarray  # float ``f``: aggregated errors or a direct model's scores, NaN where unscored
    labels: np.ndarray  # 0/1 ``f``, 1 = anomalous
    kinds: dict[str, np.ndarray] | None = None  # bool ``f`` per anomaly kind, disjoint, adding up to labels == 1


@dataclass
class EvaluationResult:
    """Metric rows (only metrics defined on their scope) and the final per-frame scores, NaN where excluded."""

    rows: list[MetricRow]
    scores: dict[str, np.ndarray]  # video id -> float ``f``

    def value(self, metric: str, scope: str = "dataset", scope_id: str | None = None) -> float | None:
        """The value of ``metric`` on a scope (the only dataset scope when ``scope_id`` is None), or None."""
        for row in self.rows:
            if row.metric == metric and row.scope == scope and scope_id in (None, row.scope_id):
                return row.value
        return None


def evaluate(videos: Sequence[VideoFrameScores], protocol: Protocol, dataset_name: str) -> EvaluationResult:
    """Post-process each video's raw scores under ``protocol`` and compute the metrics of every scope."""
    _check_videos(videos)
    scores = {video.id: _postprocess(np.asarray(video.raw_scores, dtype=np.float64), protocol) for video in videos}
    labels = {video.id: np.asarray(video.labels) for video in videos}
    rule = protocol.macro_rule

    def rows(scope: str, scope_id: str, values: dict[str, float]) -> list[MetricRow]:
        return [MetricRow(scope, scope_id, metric, value) for metric, value in values.items()]

    ids = [video.id for video in videos]
    result = rows("dataset", dataset_name, scope_metrics([scores[i] for i in ids], [labels[i] for i in ids], rule))
    scenes: dict[str, list[str]] = {}
    for video in videos:
        scenes.setdefault(video.scene, []).append(video.id)
    for scene, members in sorted(scenes.items()):
        result += rows("scene", scene, scope_metrics([scores[i] for i in members], [labels[i] for i in members], rule))
    per_video = video_metrics([scores[i] for i in ids], [labels[i] for i in ids], rule)
    for video_id, values in zip(ids, per_video):
        result += rows("video", video_id, values)
    for kind in sorted({kind for video in videos for kind in video.kinds or {}}):
        result += rows("kind", kind, scope_metrics(*_kind_subset(videos, scores, kind), rule))
    return EvaluationResult(rows=result, scores=scores)


def _kind_subset(videos: Sequence[VideoFrameScores], scores: dict[str, np.ndarray],
                 kind: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per video: scores with the anomalous frames of other kinds (or of no named kind) set to NaN, and the kind's
    mask as labels; so the normal frames of every video are the negatives and the kind's frames the positives."""
    subset_scores, subset_labels = [], []
    for video in videos:
        labels = np.asarray(video.labels).astype(bool)
        own = np.asarray((video.kinds or {}).get(kind, np.zeros_like(labels))).astype(bool)
        subset_scores.append(np.where(labels & ~own, np.nan, scores[video.id]))
        subset_labels.append(own.astype(np.uint8))
    return subset_scores, subset_labels


def _postprocess(raw: np.ndarray, protocol: Protocol) -> np.ndarray:
    scores = fill_nearest(raw) if protocol.unscored == "nearest" else raw
    scores = smooth(scores, protocol.sigma, protocol.smoothing_boundary)
    return minmax(scores) if protocol.normalize else scores


def _check_videos(videos: Sequence[VideoFrameScores]) -> None:
    seen: set[str] = set()
    for video in videos:
        if video.id in seen:
            raise EvaluationError(f"video {video.id!r} appears twice in the evaluation; video ids must be unique")
        seen.add(video.id)
        raw, labels = np.asarray(video.raw_scores), np.asarray(video.labels)
        if raw.ndim != 1 or raw.shape != labels.shape:
            raise EvaluationError(
                f"video {video.id!r}: scores of shape {raw.shape} and labels of shape {labels.shape} must both be "
                f"one value per frame"
            )
        if np.isinf(raw).any():
            raise EvaluationError(f"video {video.id!r} has infinite scores; scores must be finite, NaN = unscored")
        if not np.isin(labels, (0, 1)).all():
            raise EvaluationError(f"video {video.id!r} has labels other than 0 and 1 (1 = anomalous frame)")
        if video.kinds is not None:
            _check_kinds(video.id, labels, video.kinds)


def _check_kinds(video_id: str, labels: np.ndarray, kinds: Mapping[str, np.ndarray]) -> None:
    """Kind masks must be one 0/1 value per frame, disjoint, and cover exactly the frames labelled 1."""
    claimed = np.zeros(labels.shape, dtype=bool)
    for kind, mask in kinds.items():
        mask = np.asarray(mask)
        if mask.shape != labels.shape or not np.isin(mask, (0, 1)).all():
            raise EvaluationError(f"video {video_id!r}: the mask of anomaly kind {kind!r} must be one bool per frame "
                                  f"(shape {labels.shape}), got shape {mask.shape} and dtype {mask.dtype}")
        mask = mask.astype(bool)
        if (normal := np.flatnonzero(mask & (labels == 0))).size:
            raise EvaluationError(f"video {video_id!r}: anomaly kind {kind!r} marks frame {normal[0]}, which is "
                                  f"labelled normal; a kind mask may only mark frames labelled 1")
        if (shared := np.flatnonzero(mask & claimed)).size:
            raise EvaluationError(f"video {video_id!r}: frame {shared[0]} is in anomaly kind {kind!r} and in another "
                                  f"kind; kind masks must be disjoint (put such frames under one kind, e.g. "
                                  f"'multiple')")
        claimed |= mask
    if (missing := np.flatnonzero((labels == 1) & ~claimed)).size:
        raise EvaluationError(f"video {video_id!r}: anomalous frame {missing[0]} is in no anomaly kind (kinds: "
                              f"{', '.join(map(repr, kinds)) or 'none'}); the kind masks must add up to the labels")


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ConfigError(f"protocol.{name} must be one of {', '.join(choices)}, got {value!r}")
