"""Synthesise, write in each real layout, load with the plugin: frames within codec tolerance, the rest exact."""

import numpy as np
import pytest

from vadbench.data.resize import resize_labels
from vadbench.plugin_host import catalog

CASES = {  # layout key -> (plugin, settings)
    "avenue": ("avenue", {}),
    "avenue-frames": ("avenue", {"gt": "intervals"}),
    "stc": ("stc", {}),
    "ubnormal": ("ubnormal", {}),
}


def load(key, root, **settings):
    plugin, defaults = CASES[key]
    return catalog("dataset").get(plugin).build(**{"root": str(root), "size": [32, 40], **defaults, **settings})


@pytest.mark.parametrize("key", CASES)
def test_round_trip(key, synthetic, written):
    root, ids = written[key]
    dataset = load(key, root)
    assert dataset.check().ok, dataset.check().problems
    for split in ("train", "test"):
        expected = {ids[v.id]: v for v in synthetic.videos(split)}
        loaded = dataset.videos(split)
        if key == "ubnormal":  # listed as the split files are: abnormal videos first
            assert sorted(v.id for v in loaded) == sorted(expected)
        else:
            assert [v.id for v in loaded] == list(expected)
        for video in loaded:
            source = expected[video.id]
            frames = dataset.frames(video)
            assert frames.shape == (60, 32, 40, 3) and video.num_frames == 60
            assert np.abs(frames.astype(int) - synthetic.rendered(source).frames).mean() < 10  # codec tolerance
            if split == "test":
                np.testing.assert_array_equal(dataset.labels(video), synthetic.labels(source))
                masks = dataset.masks(video)
                if key != "avenue-frames":  # the frames variant ships no pixel masks
                    np.testing.assert_array_equal(masks, synthetic.masks(source))
                else:
                    assert masks is None
                if key != "ubnormal":  # without the tracks setting; track ground truth: test_tracks.py
                    assert dataset.tracks(video) is None


def test_scenes(written):
    assert load("stc", written["stc"][0]).check().scenes == ["01", "02"]
    assert load("ubnormal", written["ubnormal"][0]).check().scenes == ["1", "2"]


@pytest.mark.parametrize("key", ["avenue", "stc", "ubnormal"])
def test_other_size_resizes_masks_by_nearest_neighbour(key, synthetic, written):
    root, ids = written[key]
    dataset = load(key, root, size=[16, 20])
    source = synthetic.videos("test")[0]
    video = next(v for v in dataset.videos("test") if v.id == ids[source.id])
    assert dataset.frames(video).shape == (60, 16, 20, 3)
    np.testing.assert_array_equal(dataset.masks(video), resize_labels(synthetic.masks(source), (16, 20)))


def test_avenue_gt_variants_and_recorded_settings(written):
    root, _ = written["avenue"]
    masks, intervals = load("avenue", root), load("avenue", root, gt="intervals")
    assert masks.resolved_layout() == "videos"
    assert masks.fingerprint() != intervals.fingerprint()
    video = masks.videos("test")[1]
    np.testing.assert_array_equal(masks.labels(video), intervals.labels(video))


def test_fingerprint_changes_with_a_source_file_and_with_size(copy_of):
    root = copy_of("stc")
    first = load("stc", root).fingerprint()
    assert load("stc", root).fingerprint() == first
    assert load("stc", root, size=[16, 16]).fingerprint() != first
    mask = next((root / "testing" / "test_frame_mask").glob("*.npy"))
    np.save(mask, np.load(mask))
    assert load("stc", root).fingerprint() != first
