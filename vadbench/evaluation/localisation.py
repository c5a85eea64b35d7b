"""The localisation metrics of a job, per dataset and per scene: RBDC and TBDC from the detected regions and the
ground-truth tracks, pixel AUROC, the UCSD pixel criterion and AUPRO from the pixel summaries
(``docs/metrics.md``, section 7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vadbench.components import Track
from vadbench.evaluation.detection_criteria import DetectionCurves, Detections, detection_curves
from vadbench.evaluation.pixel_metrics import PixelSummary, aupro, pixel_auroc, ucsd_pixel_auc
from vadbench.evaluation.records import MetricRow


@dataclass(frozen=True)
class VideoLocalisation:
    """What the localise stage made of one test video, with its ground truth (None where the dataset has none)."""

    id: str
    scene: str
    num_frames: int
    detections: Detections | None
    tracks: Sequence[Track] | None
    pixels: PixelSummary | None


@dataclass
class LocalisationResult:
    rows: list[MetricRow]
    curves: DetectionCurves | None  # of the dataset scope


def localisation_metrics(videos: Sequence[VideoLocalisation], dataset_name: str) -> LocalisationResult:
    """Metric rows of the dataset scope and of every scene (only metrics defined on their scope)."""
    values, curves = _scope(videos)
    rows = [MetricRow("dataset", dataset_name, metric, value) for metric, value in values.items()]
    scenes: dict[str, list[VideoLocalisation]] = {}
    for video in videos:
        scenes.setdefault(video.scene, []).append(video)
    for scene, members in sorted(scenes.items()):
        rows += [MetricRow("scene", scene, metric, value) for metric, value in _scope(members)[0].items()]
    return LocalisationResult(rows, curves)


def _scope(videos: Sequence[VideoLocalisation]) -> tuple[dict[str, float], DetectionCurves | None]:
    values: dict[str, float | None] = {}
    curves = None
    with_tracks = [video for video in videos if video.tracks is not None and video.detections is not None]
    if with_tracks:
        curves = detection_curves([video.detections for video in with_tracks], [video.tracks for video in with_tracks],
                                  num_frames=sum(video.num_frames for video in with_tracks))
        if curves is not None:
            values.update(rbdc=curves.rbdc, tbdc=curves.tbdc, gt_regions=curves.regions, gt_tracks=curves.tracks,
                          detections=curves.detections)
    summaries = [video.pixels for video in videos if video.pixels is not None]
    if summaries:
        values.update(pixel_auroc=pixel_auroc(summaries), pixel_ucsd_auc=ucsd_pixel_auc(summaries),
                      aupro=aupro(summaries), pixels_sampled=sum(s.sample_values.size for s in summaries))
    return {name: float(value) for name, value in values.items() if value is not None}, curves
