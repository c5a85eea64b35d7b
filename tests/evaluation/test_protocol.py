import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.aggregate import frame_scores
from vadbench.evaluation.postprocess import smooth
from vadbench.evaluation.protocol import Protocol, VideoFrameScores, evaluate
from vadbench.evaluation.windows import window_starts

ANCHORS = np.isin(np.arange(30), [0, 1, 10, 11, 20, 21, 28, 29])


def test_defaults_and_as_dict():
    protocol = Protocol()
    assert protocol.as_dict() == {
        "window": 30, "stride": 15, "aggregate": "max", "unscored": "exclude", "sigma": 3.0,
        "smoothing_boundary": "renormalise", "normalize": False, "macro_rule": "pad", "localise": True,
        "region_sigma": 1.0, "region_levels": (0.5, 0.75), "region_min_area": 1, "region_max_per_frame": 8,
        "pixel_budget": 2**24, "pixel_seed": 0,
    }
    assert json.loads(json.dumps(Protocol(window=np.int64(16), stride=8, sigma=2).as_dict()))["sigma"] == 2.0
    assert Protocol(sigma=3) == Protocol() and hash(Protocol(sigma=3)) == hash(Protocol())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"window": 0}, "protocol.window must be a whole number of frames >= 1, got 0"),
        ({"window": True}, "protocol.window"),
        ({"window": 30.0}, "protocol.window"),
        ({"stride": 31}, r"protocol.stride must be a whole number of frames from 1 to window \(30\)"),
        ({"stride": 0}, "protocol.stride"),
        ({"aggregate": "median"}, "protocol.aggregate must be one of max, mean, got 'median'"),
        ({"unscored": "zero"}, "protocol.unscored must be one of exclude, nearest, got 'zero'"),
        ({"sigma": -1}, "protocol.sigma must be a number of frames >= 0"),
        ({"sigma": float("nan")}, "protocol.sigma"),
        ({"sigma": "3"}, "protocol.sigma"),
        ({"normalize": "yes"}, "protocol.normalize must be true or false, got 'yes'"),
        ({"macro_rule": "mean"}, "protocol.macro_rule must be one of pad, skip, got 'mean'"),
        ({"localise": 1}, "protocol.localise must be true or false, got 1"),
        ({"region_sigma": -1}, "protocol.region_sigma must be a number of pixels >= 0"),
        ({"region_levels": []}, "protocol.region_levels must be a non-empty list of numbers strictly between 0 and 1"),
        ({"region_levels": [0.5, 1.0]}, "protocol.region_levels"),
        ({"region_levels": 0.5}, "protocol.region_levels"),
        ({"region_min_area": 0}, "protocol.region_min_area must be a whole number >= 1, got 0"),
        ({"region_max_per_frame": 2.5}, "protocol.region_max_per_frame must be a whole number >= 1"),
        ({"pixel_budget": 0}, "protocol.pixel_budget must be a whole number >= 1"),
        ({"pixel_seed": -1}, "protocol.pixel_seed must be a whole number >= 0"),
    ],
)
def test_bad_settings_name_the_field_and_the_valid_values(settings, message):
    with pytest.raises(ConfigError, match=message):
        Protocol(**settings)


def test_from_dict():
    assert Protocol.from_dict({"sigma": 0, "macro_rule": "skip"}) == Protocol(sigma=0.0, macro_rule="skip")
    with pytest.raises(ConfigError, match="unknown protocol setting smoothing; valid settings: window, stride"):
        Protocol.from_dict({"smoothing": 3})


def synthetic_videos(num_frames=(120, 95, 61, 20), seed=0):
    """Windows -> per-frame scores for a few videos with an anomalous stretch scored higher; the last video is
    shorter than a window, so every frame of it is unscored."""
    rng = np.random.default_rng(seed)
    videos = []
    for v, n in enumerate(num_frames):
        labels = np.zeros(n, dtype=np.uint8)
        if v % 2 == 0:
            labels[n // 2 : n // 2 + 15] = 1
        starts = window_starts(n, 30, 15)
        errors = rng.random((starts.size, 30)) + 0.5 * labels[starts[:, None] + np.arange(30)]
        raw = frame_scores(n, starts, ANCHORS, errors)
        videos.append(VideoFrameScores(f"v{v}", f"scene{v % 2}", raw, labels))
    return videos


def test_evaluate_rows_and_scores():
    videos = synthetic_videos()
    result = evaluate(videos, Protocol(), "synthetic")
    assert {(row.scope, row.scope_id) for row in result.rows} == {
        ("dataset", "synthetic"), ("scene", "scene0"), ("scene", "scene1"),
        ("video", "v0"), ("video", "v1"), ("video", "v2"), ("video", "v3"),
    }
    assert not any(np.isnan(row.value) for row in result.rows)
    for video in videos:  # default protocol: unscored frames excluded, each video smoothed with sigma 3
        np.testing.assert_allclose(result.scores[video.id], smooth(video.raw_scores, 3.0), equal_nan=True)
    final = np.concatenate([result.scores[video.id] for video in videos])
    labels = np.concatenate([video.labels for video in videos])
    keep = ~np.isnan(final)
    assert result.value("auc_micro") == pytest.approx(roc_auc_score(labels[keep], final[keep]))
    assert result.value("frames_excluded") == (~keep).sum()
    assert result.value("videos_unscored") == 1.0  # v3 has 20 frames, fewer than one window
    assert result.value("frames_scored", "video", "v3") == 0.0
    assert result.value("auc", "video", "v3") is None  # no scored frame: no AUC even under "pad"
    assert result.value("auc", "video", "v1") == 1.0  # all normal, padded
    assert result.value("auc", "video", "v0") == pytest.approx(
        roc_auc_score(np.r_[0, videos[0].labels[keep[:120]], 1], np.r_[-1e9, final[:120][keep[:120]], 1e9])
    )
    assert result.value("videos", "scene", "scene1") == 2.0
    assert result.value("auc_micro", "scene", "scene1") is None  # scene1's videos are all normal


def test_nearest_fills_every_frame_of_a_scored_video():
    result = evaluate(synthetic_videos(), Protocol(unscored="nearest", sigma=0.0), "synthetic")
    assert result.value("frames_excluded") == 20.0  # only v3, which has no scored frame to copy from
    assert not np.isnan(result.scores["v0"]).any()


def test_normalize_changes_micro_auc_but_not_macro_auc():
    videos = synthetic_videos(num_frames=(120, 95, 61, 150), seed=3)
    videos = [VideoFrameScores(v.id, v.scene, v.raw_scores * (i + 1), v.labels) for i, v in enumerate(videos)]
    plain = evaluate(videos, Protocol(macro_rule="skip"), "synthetic")
    normalized = evaluate(videos, Protocol(macro_rule="skip", normalize=True), "synthetic")
    assert all(np.nanmin(s) == 0.0 and np.nanmax(s) == 1.0 for s in normalized.scores.values())
    assert normalized.value("auc_macro") == pytest.approx(plain.value("auc_macro"), abs=1e-12)
    assert normalized.value("auc_micro") != pytest.approx(plain.value("auc_micro"), abs=1e-6)


def test_macro_rules_differ_on_single_class_videos():
    videos = synthetic_videos()
    pad = evaluate(videos, Protocol(), "synthetic")
    skip = evaluate(videos, Protocol(macro_rule="skip"), "synthetic")
    both_classes = [pad.value("auc", "video", v) for v in ("v0", "v2")]
    assert skip.value("auc_macro") == pytest.approx(np.mean([skip.value("auc", "video", v) for v in ("v0", "v2")]))
    assert pad.value("auc_macro") == pytest.approx(np.mean(both_classes + [1.0]))  # v1 padded to 1.0; v3 unscored
    assert skip.value("auc", "video", "v1") is None


@pytest.mark.parametrize(
    ("video", "message"),
    [
        (VideoFrameScores("a", "s", np.zeros(5), np.zeros(4)), "video 'a': scores of shape \\(5,\\) and labels"),
        (VideoFrameScores("a", "s", np.array([0.1, np.inf]), np.zeros(2)), "video 'a' has infinite scores"),
        (VideoFrameScores("a", "s", np.zeros(2), np.array([0, 2])), "video 'a' has labels other than 0 and 1"),
    ],
)
def test_bad_inputs(video, message):
    with pytest.raises(EvaluationError, match=message):
        evaluate([video], Protocol(), "d")


def test_duplicate_video_ids():
    video = VideoFrameScores("a", "s", np.zeros(3), np.zeros(3))
    with pytest.raises(EvaluationError, match="video 'a' appears twice"):
        evaluate([video, video], Protocol(), "d")
