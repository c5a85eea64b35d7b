"""Regions cut from error maps: boxes, scores, the sweep, the area and per-frame limits."""

import numpy as np

from vadbench.evaluation.regions import RegionRule, detect_regions

RULE = RegionRule(sigma=0.0, levels=(0.5,), min_area=1, max_per_frame=8)


def _blobs():
    """Three 20x30 maps: frame 0 holds a 3x4 blob of 1.0 and a 2x2 blob of 0.6 on 0; frame 1 is constant;
    frame 2 a single pixel of 2.0."""
    maps = np.zeros((3, 20, 30), np.float32)
    maps[0, 2:5, 3:7] = 1.0
    maps[0, 10:12, 20:22] = 0.6
    maps[1] = 0.3
    maps[2, 7, 9] = 2.0
    return maps


def test_boxes_are_inclusive_pixels_and_scores_the_mean_over_the_region():
    found = detect_regions(_blobs(), np.array([40, 41, 42]), RULE)
    order = np.lexsort((-found.score, found.frame))
    assert found.frame[order].tolist() == [40, 40, 42]
    assert found.boxes[order].tolist() == [[3, 2, 6, 4], [20, 10, 21, 11], [9, 7, 9, 7]]
    np.testing.assert_allclose(found.score[order], [1.0, 0.6, 2.0])


def test_each_level_of_the_sweep_cuts_the_frame_again():
    maps = np.zeros((1, 10, 10), np.float32)
    maps[0, 2:8, 2:8] = 0.6
    maps[0, 4:6, 4:6] = 1.0
    found = detect_regions(maps, np.array([0]), RegionRule(0.0, (0.5, 0.75), 1, 8))
    boxes = {tuple(box) for box in found.boxes.tolist()}
    assert boxes == {(2, 2, 7, 7), (4, 4, 5, 5)}
    assert found.score.max() == 1.0  # the tight core, over the 6x6 region's mean
    np.testing.assert_allclose(found.score.min(), (32 * 0.6 + 4 * 1.0) / 36, rtol=1e-6)


def test_small_regions_are_dropped_and_frames_keep_their_best():
    maps = np.zeros((1, 12, 12), np.float32)
    for k, value in enumerate((0.7, 0.8, 0.9, 1.0)):
        maps[0, 1, 3 * k:3 * k + 2] = value  # four 1x2 blobs
    maps[0, 8, 8] = 1.0  # one pixel: dropped by min_area=2
    found = detect_regions(maps, np.array([0]), RegionRule(0.0, (0.5,), min_area=2, max_per_frame=2))
    np.testing.assert_allclose(sorted(found.score), [0.9, 1.0])


def test_smoothing_keeps_a_blob_box_at_level_one_half():
    maps = np.zeros((1, 32, 32), np.float32)
    maps[0, 8:20, 10:24] = 1.0
    found = detect_regions(maps, np.array([0]), RegionRule(1.0, (0.5,), 4, 8))
    assert found.boxes.tolist() == [[10, 8, 23, 19]]


def test_no_map_varies_no_region():
    found = detect_regions(np.full((4, 8, 8), 0.25, np.float32), np.arange(4), RULE)
    assert found.frame.size == 0 and found.boxes.shape == (0, 4)


def test_smoothing_is_scipys_gaussian_filter():
    from scipy import ndimage

    from vadbench.evaluation.regions import gaussian_taps, smoothed_map

    frame = np.random.default_rng(0).random((23, 31)).astype(np.float32)
    for sigma in (0.5, 1.0, 2.5):
        np.testing.assert_allclose(smoothed_map(frame, gaussian_taps(sigma)),
                                   ndimage.gaussian_filter(frame, sigma, mode="nearest"), atol=1e-6)


def test_regions_are_scipys_8_connected_components():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    maps = rng.random((6, 24, 20)).astype(np.float32)
    found = detect_regions(maps, np.arange(6), RegionRule(0.0, (0.6,), 1, 10_000))
    expected = []
    for index, frame in enumerate(maps):
        labels, count = ndimage.label(frame >= frame.min() + 0.6 * (frame.max() - frame.min()), np.ones((3, 3)))
        for label, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
            mean = frame[labels == label].astype(np.float64).mean()
            expected.append((index, cols.start, rows.start, cols.stop - 1, rows.stop - 1, mean))
    got = sorted((int(f), *box, float(s)) for f, box, s in zip(found.frame, found.boxes.tolist(), found.score))
    expected.sort()
    assert [row[:5] for row in got] == [row[:5] for row in expected]
    np.testing.assert_allclose([row[5] for row in got], [row[5] for row in expected], rtol=1e-6)
