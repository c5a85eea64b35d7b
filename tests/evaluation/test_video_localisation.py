"""The localise stage's per-video work: the same arrays in worker processes as in the caller's."""

import numpy as np

from vadbench.evaluation.regions import RegionRule
from vadbench.evaluation.video_localisation import POOL_MIN_FRAMES, VideoMaps, localise_videos, workers_for

RULE = RegionRule(sigma=1.0, levels=(0.5, 0.75), min_area=1, max_per_frame=4)


def _items(count=5):
    rng = np.random.default_rng(0)
    items = []
    for number in range(count):
        maps = rng.random((12, 24, 20)).astype(np.float32)
        masks = np.zeros(maps.shape, bool)
        masks[3:7, 5:9, 4:10] = True
        sample = rng.integers(0, maps.size, 300) if number % 2 else None
        items.append(VideoMaps(maps, np.arange(12) + 3 * number, masks if number != 4 else None, sample,
                               cut_regions=number != 3))
    return items


def test_workers_give_the_callers_arrays_in_order():
    alone = list(localise_videos(_items(), RULE, workers=1))
    pooled = list(localise_videos(_items(), RULE, workers=2))
    assert len(alone) == len(pooled) == 5
    for a, b in zip(alone, pooled):
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert "regions/frame" not in alone[3] and "pixels/regions" not in alone[4]
    assert alone[1]["pixels/sample_values"].size == 300 and alone[0]["pixels/sample_values"].size == 12 * 24 * 20


def test_small_test_sets_stay_in_the_calling_process():
    assert workers_for(POOL_MIN_FRAMES - 1) == 1
    assert workers_for(POOL_MIN_FRAMES) >= 1
