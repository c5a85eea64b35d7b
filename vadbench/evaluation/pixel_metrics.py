"""Pixel-level localisation metrics of per-frame anomaly maps against ground-truth pixel masks.

Maps are float ``f h w`` (larger = more anomalous), masks bool ``f h w`` (True = anomalous pixel); a pixel is
flagged at threshold ``t`` when its map value is ``>= t``. A test set is too large to hold (UBnormal: 1.7e9
pixels), so each video is reduced to a small ``PixelSummary`` while its maps are in memory (``summarise_video``),
and the metrics of a scope (a dataset, a scene) are computed from the summaries of its videos:

- ``pixel_auroc``: ROC AUC of the pixels pooled over the scope's videos, on a seeded uniform pixel sample
  (``sample_indices``); the pixel AUROC of anomalib and of the VAD literature.
- ``ucsd_pixel_auc``: the UCSD Ped pixel-level criterion (Mahadevan et al., CVPR 2010; Li et al., TPAMI 2014): an
  abnormal frame is detected when at least 40% of its anomalous pixels are flagged, a normal frame is a false
  positive when any of its pixels is flagged; the AUC of that frame-level ROC.
- ``aupro``: the normalised area under the per-region-overlap curve up to a false positive rate of 0.3 (Bergmann et
  al., MVTec AD, CVPR 2019 / IJCV 2021), as anomalib's ``AUPRO(fpr_limit=0.3)``; regions are the 8-connected
  components of each frame's mask.

A metric that is undefined on its scope (no anomalous pixel, say) is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import ndimage

from vadbench.data.objects import IN_PLANE_8
from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.metrics import auc_micro
from vadbench.hashing import seed as seed_from

UCSD_FRACTION = 0.4  # an abnormal frame is detected when this fraction of its anomalous pixels is flagged
_UCSD = Fraction(str(UCSD_FRACTION))  # 2/5 exactly, so that ceil(0.4 n) is exact integer arithmetic
AUPRO_FPR_LIMIT = 0.3


@dataclass(frozen=True)
class PixelSummary:
    """What the pixel metrics need of one video."""

    sample_values: np.ndarray  # float32 ``s``: map values of the pixel sample
    sample_labels: np.ndarray  # bool ``s``: their mask values
    region_values: np.ndarray  # float32 ``r``: map value of every pixel of every ground-truth region
    region_index: np.ndarray  # int ``r``: which of the video's regions each of those pixels belongs to (0..k-1)
    regions: int  # k: ground-truth regions (8-connected components of the mask, per frame)
    frame_values: np.ndarray  # float64 ``g``: per frame with a map, the UCSD criterion's value
    frame_abnormal: np.ndarray  # bool ``g``: whether that frame's mask has an anomalous pixel


def sample_indices(num_pixels: int, total_pixels: int, budget: int, seed: int, video_id: str) -> np.ndarray | None:
    """int64 ``k`` indices into a video's ``num_pixels`` flattened ``f h w`` pixels, or None for every pixel.

    None when the scope's ``total_pixels`` fit in ``budget``; otherwise the video gets its share of the budget,
    ``k = ceil(budget * num_pixels / total_pixels)`` pixels drawn uniformly with replacement by a generator seeded
    from (``seed``, ``video_id``), so the sample depends on neither the order nor the set of the other videos.
    """
    if budget < 1:
        raise ConfigError(f"the pixel sample budget is a number of pixels >= 1, got {budget!r}")
    if total_pixels <= budget:
        return None
    size = -(-budget * num_pixels // total_pixels)  # exact integer ceil
    return np.random.default_rng(seed_from(seed, video_id)).integers(0, num_pixels, size=size)


def summarise_video(maps: np.ndarray, masks: np.ndarray, sample: np.ndarray | None = None) -> PixelSummary:
    """The ``PixelSummary`` of one video's anomaly maps float ``f h w`` and masks bool ``f h w``.

    Pass only the frames that have a map (with their masks). ``sample`` int ``s`` indexes the flattened ``f h w``
    pixels (``sample_indices``); None samples every pixel. Regions are labelled in one ``scipy.ndimage.label`` call
    over the video's abnormal frames, connecting the 8 neighbours of a pixel within its frame and never across
    frames. A frame's UCSD value is its map maximum for a normal frame, and for an abnormal frame with n anomalous
    pixels the ceil(0.4 n)-th largest map value among them: the frame is detected exactly at thresholds up to it.
    """
    maps, masks = np.asarray(maps), np.asarray(masks, dtype=bool)
    if maps.ndim != 3 or masks.shape != maps.shape:
        raise EvaluationError(
            f"anomaly maps of shape {maps.shape} and masks of shape {masks.shape} must both be f h w with the same "
            "shape; pass the masks of exactly the frames that have maps"
        )
    frame_max = maps.max(axis=(1, 2))
    if np.isnan(frame_max).any():
        raise EvaluationError(
            f"anomaly maps contain NaN in frames {np.flatnonzero(np.isnan(frame_max)).tolist()}; leave frames "
            "without a map out instead"
        )
    if sample is None:
        sample_values, sample_labels = maps.astype(np.float32).reshape(-1), masks.reshape(-1).copy()
    else:
        sample = np.asarray(sample)
        if sample.ndim != 1 or not np.issubdtype(sample.dtype, np.integer) or (
            sample.size and (sample.min() < 0 or sample.max() >= maps.size)
        ):
            raise EvaluationError(
                f"the pixel sample must be 1-d integer indices into the {maps.size} pixels of the f h w maps "
                f"{maps.shape}; make it with sample_indices({maps.size}, ...)"
            )
        sample_values = maps.reshape(-1)[sample].astype(np.float32, copy=False)
        sample_labels = masks.reshape(-1)[sample]

    abnormal = masks.any(axis=(1, 2))
    in_region = masks[abnormal]
    labelled, regions = ndimage.label(in_region, structure=IN_PLANE_8)
    values = maps[abnormal][in_region]  # C order: frame by frame, so each frame's pixels are contiguous
    counts = in_region.sum(axis=(1, 2))
    frame_values = frame_max.astype(np.float64)
    frame_values[abnormal] = [  # the ceil(0.4 n)-th largest of n values: ascending index n - ceil(0.4 n)
        np.partition(pixels, n - _ucsd_rank(n))[n - _ucsd_rank(n)]
        for pixels, n in zip(np.split(values, np.cumsum(counts)[:-1]), counts)
    ]
    return PixelSummary(
        sample_values=sample_values,
        sample_labels=sample_labels,
        region_values=values.astype(np.float32, copy=False),
        region_index=labelled[in_region] - 1,
        regions=int(regions),
        frame_values=frame_values,
        frame_abnormal=abnormal,
    )


def _ucsd_rank(anomalous_pixels: int) -> int:
    """ceil(UCSD_FRACTION * n): how many of a frame's n anomalous pixels must be flagged for it to be detected."""
    return -(-anomalous_pixels * _UCSD.numerator // _UCSD.denominator)


def _pool(summaries: Sequence[PixelSummary], name: str, dtype: type) -> np.ndarray:
    """One field of every summary, concatenated."""
    return np.concatenate([np.asarray(getattr(s, name), dtype=dtype) for s in summaries] + [np.empty(0, dtype)])


def _descending(values: np.ndarray, payload: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(``payload`` int64 ``n`` in order of descending ``values``, bool ``n``: last element of each tie block).

    ``values`` float32 ``n`` and ``payload`` int64 ``n`` (in 0..2**32-1) are packed into one int64 key, the value's
    bits in the high half, and sorted by ``np.sort``: one vectorised sort, about 10x faster than ``np.argsort`` on
    the tens of millions of pixels of a dataset.
    """
    bits = (values + np.float32(0)).view(np.int32)  # + 0 turns -0.0 into 0.0
    bits ^= (bits >> 31) & 0x7FFFFFFF  # reverses the negative floats: now int order is float order
    keys = bits.astype(np.int64)
    keys <<= 32
    keys |= payload
    keys = np.sort(keys)[::-1]
    value = keys >> 32
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = value[1:] != value[:-1]
    return keys & 0xFFFFFFFF, last


def pixel_auroc(summaries: Sequence[PixelSummary]) -> float | None:
    """ROC AUC of the sampled pixels pooled over ``summaries`` (ties count one half, as ``roc_auc_score``).

    None unless the sample has both anomalous and normal pixels.
    """
    values, labels = _pool(summaries, "sample_values", np.float32), _pool(summaries, "sample_labels", bool)
    anomalous, normal = np.sort(values[labels]), np.sort(values[~labels])
    if not anomalous.size or not normal.size:
        return None
    # Mann-Whitney: per anomalous pixel, the normal pixels below it and one half of those tied with it
    below, not_above = np.searchsorted(normal, anomalous, "left"), np.searchsorted(normal, anomalous, "right")
    return float((below.sum() + not_above.sum()) / (2 * anomalous.size * normal.size))


def ucsd_pixel_auc(summaries: Sequence[PixelSummary]) -> float | None:
    """AUC of the UCSD pixel-level criterion: the ROC AUC of the frames' UCSD values against their abnormality.

    At threshold t the true positive rate is the fraction of abnormal frames with at least 40% of their anomalous
    pixels flagged, the false positive rate the fraction of normal frames with any pixel flagged. None unless the
    scope has both normal and abnormal frames.
    """
    return auc_micro([_pool(summaries, "frame_values", np.float64)], [_pool(summaries, "frame_abnormal", bool)])


def aupro(summaries: Sequence[PixelSummary], fpr_limit: float = AUPRO_FPR_LIMIT) -> float | None:
    """Area under the per-region-overlap curve from FPR 0 to ``fpr_limit``, divided by ``fpr_limit``.

    At threshold t, PRO(t) is the mean over every region of the scope of the fraction of its pixels flagged, and
    FPR(t) the fraction of the sample's normal pixels flagged (in normal and abnormal frames). The curve starts at
    (0, 0) and has one point at every distinct value of the region and normal pixels (tied values enter together);
    PRO is interpolated linearly at FPR = ``fpr_limit`` and the area is the trapezoid rule's, so that a perfect map
    gets 1. anomalib resamples each region's curve on an interpolation grid before averaging; this computes the same
    curve exactly, at every threshold, from one pooled sort of the region pixels (weighing 1 / (region size *
    regions)) and the normal pixels (1 / normal pixels). None without regions or without normal sampled pixels.
    """
    if not 0 < fpr_limit <= 1:
        raise ConfigError(f"fpr_limit is a false positive rate in (0, 1], got {fpr_limit!r}")
    sizes = [np.asarray(s.region_index).size for s in summaries]
    offsets = np.cumsum([0] + [s.regions for s in summaries])
    region = _pool(summaries, "region_index", np.int64) + np.repeat(offsets[:-1], sizes)
    region_values = _pool(summaries, "region_values", np.float32)
    normal_values = _pool(summaries, "sample_values", np.float32)[~_pool(summaries, "sample_labels", bool)]
    num_regions, num_normal = int(offsets[-1]), normal_values.size
    if num_regions == 0 or num_normal == 0:
        return None
    weight = np.r_[0.0, 1.0 / (np.bincount(region, minlength=num_regions) * num_regions)]
    # the curve up to the limit needs only the values >= the first threshold at which FPR passes it: the one that
    # flags floor(limit * normal pixels) + 1 of them (or all)
    flagged = min(num_normal, int(fpr_limit * num_normal) + 1)
    lowest = np.partition(normal_values, num_normal - flagged)[num_normal - flagged]
    keep, normal_values = region_values >= lowest, normal_values[normal_values >= lowest]
    payload, last = _descending(  # payload 0: a normal pixel; r + 1: a pixel of region r, weighing weight[r + 1]
        np.r_[region_values[keep], normal_values],
        np.r_[region[keep] + 1, np.zeros(normal_values.size, dtype=np.int64)],
    )
    fpr = np.r_[0.0, np.cumsum(payload == 0)[last] / num_normal]
    pro = np.r_[0.0, np.cumsum(weight[payload])[last]]
    k = int(np.searchsorted(fpr, fpr_limit))  # first point at or past the limit (fpr[0] = 0 < it <= fpr[-1])
    pro_at_limit = np.interp(fpr_limit, fpr[k - 1 : k + 1], pro[k - 1 : k + 1])
    return float(np.trapezoid(np.r_[pro[:k], pro_at_limit], np.r_[fpr[:k], fpr_limit]) / fpr_limit)
