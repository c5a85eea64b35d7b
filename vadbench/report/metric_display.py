"""How each metric reads: which direction is better and how a human renderer prints it.

Values are stored on their natural scale (fractions in 0-1); human renderers print fractions in %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricKind:
    """``higher_is_better`` is None for metrics that cannot rank (counts, thresholds)."""

    higher_is_better: bool | None
    unit: str  # "fraction" (printed in %), "count" (integer) or "value" (4 significant digits)


_FRACTION_UP = MetricKind(True, "fraction")
_COUNT = MetricKind(None, "count")
_THRESHOLD = MetricKind(None, "value")

METRICS: dict[str, MetricKind] = {
    **dict.fromkeys(("auc_micro", "auc_macro", "ap", "f1_best", "accuracy_oracle", "video_accuracy_oracle",
                     "video_accuracy_per_video_threshold", "rbdc", "tbdc", "pixel_auroc", "pixel_ucsd_auc", "aupro",
                     "auc"), _FRACTION_UP),
    "eer": MetricKind(False, "fraction"),
    "threshold_f1": _THRESHOLD,
    "threshold_accuracy": _THRESHOLD,
    "nfe_per_frame": _THRESHOLD,  # network evaluations per test frame: a cost, not a ranking
    **dict.fromkeys(("frames_scored", "frames_excluded", "frames_abnormal", "videos", "videos_single_class",
                     "videos_unscored", "gt_regions", "gt_tracks", "detections", "pixels_sampled", "counts"), _COUNT),
}
UNKNOWN = MetricKind(True, "value")


def kind(metric: str) -> MetricKind:
    return METRICS.get(metric, UNKNOWN)


def arrow(metric: str) -> str:
    """↑ when higher is better, ↓ when lower is, nothing for metrics that do not rank."""
    better = kind(metric).higher_is_better
    return "" if better is None else ("↑" if better else "↓")


def fmt(metric: str, value: float | None, std: float | None = None) -> str:
    """``value`` (and ``± std`` when given) as a human reads it: fractions in % with one decimal."""
    if value is None or math.isnan(value):
        return "–"
    unit = kind(metric).unit
    if unit == "fraction":
        text = f"{100 * value:.1f}"
        return text if std is None else f"{text} ± {100 * std:.1f}"
    if unit == "count":
        text = f"{value:.0f}"
        return text if std is None else f"{text} ± {std:.1f}"
    text = f"{value:.4g}"
    return text if std is None else f"{text} ± {std:.2g}"


def fmt_delta(metric: str, delta: float | None) -> str:
    """A signed difference in the units ``fmt`` prints (percentage points for fractions)."""
    if delta is None or math.isnan(delta):
        return "–"
    unit = kind(metric).unit
    if unit == "fraction":
        return f"{100 * delta:+.1f}"
    return f"{delta:+.0f}" if unit == "count" else f"{delta:+.4g}"


def order(metrics: set[str]) -> list[str]:
    """Known metrics in their canonical order, then the others alphabetically."""
    return [name for name in METRICS if name in metrics] + sorted(metrics - METRICS.keys())
