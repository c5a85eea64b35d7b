import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from vadbench.errors import ConfigError
from vadbench_plugins.datasets.scenes import ANOMALY_KINDS
from vadbench_plugins.datasets.synthetic import MULTIPLE, SyntheticDataset


def test_same_seed_same_video_other_seed_other_video(synthetic):
    video = synthetic.videos("test")[0]
    again = SyntheticDataset(seed=3, size=(32, 40), scenes=2, train_videos=1, test_videos=5, frames=60)
    other = SyntheticDataset(seed=4, size=(32, 40), scenes=2, train_videos=1, test_videos=5, frames=60)
    np.testing.assert_array_equal(synthetic.frames(video), again.rendered(video).frames)
    assert np.abs(synthetic.frames(video).astype(int) - other.rendered(video).frames).mean() > 5


def test_frames_are_cached_memory_mapped_uint8(synthetic):
    video = synthetic.videos("train")[0]
    frames = synthetic.frames(video)
    assert isinstance(frames, np.memmap) and frames.dtype == np.uint8 and frames.shape == (60, 32, 40, 3)


def test_scenes_differ(synthetic):
    first, second = (synthetic.frames(v).astype(int) for v in synthetic.videos("train"))
    assert np.abs(first.mean(0) - second.mean(0)).mean() > 10


def test_every_kind_an_all_normal_video_and_normal_stretches():
    dataset = SyntheticDataset()  # the defaults: 2 scenes x (3 train + 4 test) x 120 frames
    tests = dataset.videos("test")
    kinds = {kind for video in tests for kind in dataset.anomalies(video)}
    assert kinds == set(ANOMALY_KINDS)
    assert sum(not dataset.anomalies(video) for video in tests) == 1
    assert all(not dataset.anomalies(video) for video in dataset.videos("train"))


def test_labels_masks_and_tracks_agree(synthetic):
    for video in synthetic.videos("test"):
        labels, masks, tracks = synthetic.labels(video), synthetic.masks(video), synthetic.tracks(video)
        assert masks.shape == (60, 32, 40) and masks.dtype == bool
        np.testing.assert_array_equal(labels, masks.any(axis=(1, 2)))
        abnormal = [t for t in tracks if t.abnormal]
        assert bool(abnormal) == bool(synthetic.anomalies(video))
        covered = np.zeros(60, bool)
        for track in abnormal:
            covered[[box[0] for box in track.boxes]] = True
        np.testing.assert_array_equal(covered, labels.astype(bool))
        if labels.any():
            assert 0 < labels.mean() < 1  # anomalies cover part of the video
    assert any(not synthetic.labels(v).any() for v in synthetic.videos("test"))


def test_anomaly_kinds_are_disjoint_and_add_up_to_the_labels(synthetic):
    for video in synthetic.videos("test"):
        kinds = synthetic.anomaly_kinds(video)
        labels = synthetic.labels(video).astype(bool)
        planted = set(synthetic.anomalies(video))
        assert set(kinds) - {MULTIPLE} <= planted and bool(kinds) == bool(planted)
        assert all(mask.any() for mask in kinds.values()) and (MULTIPLE not in kinds or len(planted) == 2)
        claimed = np.sum([mask for mask in kinds.values()], axis=0) if kinds else np.zeros_like(labels, dtype=int)
        assert claimed.max(initial=0) <= 1
        np.testing.assert_array_equal(claimed.astype(bool), labels)


def test_frames_showing_two_kinds_are_multiple():
    dataset = SyntheticDataset(seed=3, size=(32, 32), frames=60)  # here a thrown object meets a runner
    video = next(video for video in dataset.videos("test") if video.id == "02_test_001")
    kinds = dataset.anomaly_kinds(video)
    assert set(kinds) == {"thrown", "running", MULTIPLE}
    rendered = dataset.rendered(video)
    visible = {actor.kind: (rendered.object_map == actor.object_id).any(axis=(1, 2))
               for actor in rendered.actors if actor.abnormal}
    np.testing.assert_array_equal(kinds[MULTIPLE], visible["thrown"] & visible["running"])
    np.testing.assert_array_equal(kinds["running"], visible["running"] & ~visible["thrown"])
    np.testing.assert_array_equal(sum(mask.astype(int) for mask in kinds.values()), dataset.labels(video))


def test_anomalies_show_in_interpolation_error_not_in_brightness(synthetic):
    errors, brightness, labels = [], [], []
    for video in synthetic.videos("test"):
        frames = synthetic.frames(video).astype(np.float32)
        errors.append(np.abs(frames[5:-5] - (frames[:-10] + frames[10:]) / 2).mean(axis=(1, 2, 3)))
        brightness.append(frames[5:-5].mean(axis=(1, 2, 3)))
        labels.append(synthetic.labels(video)[5:-5])
    errors, brightness, labels = map(np.concatenate, (errors, brightness, labels))
    assert roc_auc_score(labels, errors) > 0.6  # 0.67 here at 32x40; 0.76 at the default 128x128
    assert 0.3 < roc_auc_score(labels, brightness) < 0.7


def test_fingerprint_follows_settings(synthetic):
    same = SyntheticDataset(seed=3, size=(32, 40), scenes=2, train_videos=1, test_videos=5, frames=60)
    assert synthetic.fingerprint() == same.fingerprint()
    assert SyntheticDataset(seed=3, size=(32, 32)).fingerprint() != SyntheticDataset(seed=3).fingerprint()


@pytest.mark.parametrize("settings", [{"frames": 59}, {"scenes": 0}, {"size": [4, 4]}, {"size": "big"}])
def test_bad_settings_are_config_errors(settings):
    with pytest.raises(ConfigError, match="dataset.synthetic"):
        SyntheticDataset(**settings)


def test_registered_with_defaults():
    from vadbench.plugin_host import catalog

    entry = catalog("dataset").get("synthetic")
    assert entry.settings["size"] == [128, 128] and entry.settings["frames"] >= 60
    assert entry.build(size=[32, 32], frames=60).frame_size == (32, 32)
