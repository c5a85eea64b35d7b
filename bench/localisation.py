"""Time the localisation evaluation of a UBnormal-sized test set: 211 videos, ~104k frames of 128x128 error maps.

Each video's maps (spatially correlated noise like reconstruction errors, or with ``--white-noise`` uniform noise,
the worst case for region cutting: ~100 components per frame and level; raised over one or two moving objects in
three videos in four) and ground truth are made first and not timed (8.5 GB).
Timed, as the localise and evaluate stages run them: the localise stage's work per video (cutting the regions of
every frame and summarising the pixels under the default protocol, ``video_localisation.localise_videos``, in the
processes the stage would use, and again in one), then RBDC/TBDC and the three pixel metrics of the dataset scope;
beside them, scikit-learn's ``roc_auc_score`` on the same pixel sample, which ``pixel_auroc`` replaces and its tests
use as the oracle.

    .venv/bin/python bench/localisation.py [--white-noise]
"""

from __future__ import annotations

import sys
import time

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score

from vadbench.components import Track
from vadbench.evaluation.detection_criteria import detection_curves
from vadbench.evaluation.pixel_metrics import aupro, pixel_auroc, sample_indices, ucsd_pixel_auc
from vadbench.evaluation.protocol import Protocol
from vadbench.evaluation.regions import RegionRule
from vadbench.evaluation.video_localisation import (VideoMaps, localise_videos, stored_detections, stored_pixels,
                                                    workers_for)

SIZE = 128
VIDEOS = 211
WHITE_NOISE = "--white-noise" in sys.argv


def video(v: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[Track]]:
    """(float32 maps ``f h w``, bool masks ``f h w``, tracks) of one video of 300..690 frames."""
    n = int(rng.integers(300, 690))
    if WHITE_NOISE:
        maps = rng.random((n, SIZE, SIZE), dtype=np.float32)
    else:  # spatially correlated, as reconstruction errors are: 16x16 noise upsampled, plus a little pixel noise
        coarse = rng.random((n, 16, 16), dtype=np.float32)
        maps = np.stack([cv2.resize(frame, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR) for frame in coarse])
        maps += 0.1 * rng.random((n, SIZE, SIZE), dtype=np.float32)
    masks = np.zeros((n, SIZE, SIZE), bool)
    tracks = []
    if v % 4:  # three videos in four are abnormal, as in UBnormal's test set
        for object_id in range(1 + v % 2):
            start, height, width = int(rng.integers(0, n // 2)), int(rng.integers(6, 20)), int(rng.integers(4, 12))
            boxes = []
            for frame in range(start, start + n // 3):
                x, y = (frame * (2 + object_id)) % (SIZE - width), (40 + 30 * object_id) % (SIZE - height)
                masks[frame, y:y + height, x:x + width] = True
                maps[frame, y:y + height, x:x + width] += 0.6
                boxes.append((frame, x, y, x + width - 1, y + height - 1))
            tracks.append(Track(object_id, start, start + n // 3 - 1, True, tuple(boxes)))
    return maps, masks, tracks


def main() -> None:
    protocol, rng = Protocol(), np.random.default_rng(0)
    rule = RegionRule.of(protocol)
    made = [video(v, rng) for v in range(VIDEOS)]
    frames = sum(len(maps) for maps, _, _ in made)
    total_pixels = frames * SIZE * SIZE
    items = [VideoMaps(maps, np.arange(len(maps)), masks,
                       sample_indices(maps.size, total_pixels, protocol.pixel_budget, protocol.pixel_seed, f"v{v}"),
                       cut_regions=True) for v, (maps, masks, _) in enumerate(made)]
    timings: dict[str, float] = {}

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - start
        return value

    workers = workers_for(frames)
    stored = timed(f"localise stage work: regions + pixel summaries, {workers} processes",
                   lambda: list(localise_videos(items, rule, workers)))
    one = timed("  the same in this process alone (not in the total)", lambda: list(localise_videos(items, rule, 1)))
    assert all(a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a) for a, b in zip(stored, one))
    detections = [stored_detections(arrays) for arrays in stored]
    summaries = [stored_pixels(arrays) for arrays in stored]
    curves = timed("rbdc and tbdc", lambda: detection_curves(detections, [t for *_, t in made], frames))
    auroc = timed("pixel_auroc", lambda: pixel_auroc(summaries))
    timed("pixel_ucsd_auc", lambda: ucsd_pixel_auc(summaries))
    timed("aupro", lambda: aupro(summaries))
    values = np.concatenate([s.sample_values for s in summaries])
    labels = np.concatenate([s.sample_labels for s in summaries])
    start = time.perf_counter()
    oracle = roc_auc_score(labels, values)
    reference = time.perf_counter() - start

    print(f"{VIDEOS} videos, {frames} frames of {SIZE}x{SIZE} ({total_pixels / 1e9:.2f}e9 pixels), "
          f"{curves.regions} GT regions in {curves.tracks} tracks, {curves.detections} regions cut, "
          f"{values.size} pixels sampled")
    print(f"rbdc {curves.rbdc:.4f}, tbdc {curves.tbdc:.4f}, pixel_auroc {auroc:.6f} (scikit-learn {oracle:.6f})\n")
    width = max(map(len, timings))
    print(f"{'step':<{width}}  seconds")
    for name, seconds in timings.items():
        print(f"{name:<{width}}  {seconds:7.2f}")
    total = sum(seconds for name, seconds in timings.items() if not name.startswith(" "))
    print(f"{'total':<{width}}  {total:7.2f}")
    print(f"{'scikit-learn roc_auc_score on the same sample':<{width}}  {reference:7.2f}"
          f"  ({reference / timings['pixel_auroc']:.0f}x pixel_auroc)")


if __name__ == "__main__":
    main()
