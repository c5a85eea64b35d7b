"""The "kind" scope: per anomaly kind, the normal frames of every video against that kind's frames."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from vadbench.errors import EvaluationError
from vadbench.evaluation.protocol import Protocol, VideoFrameScores, evaluate

RAW = Protocol(sigma=0)  # no smoothing, so the sklearn oracle sees the scores evaluate judges


def _video(id, labels, kinds, seed):
    labels = np.array(labels, dtype=np.uint8)
    scores = np.random.default_rng(seed).random(labels.size) + 0.5 * labels
    scores[0] = np.nan  # an unscored frame, excluded from every scope
    kinds = None if kinds is None else {kind: np.isin(np.arange(labels.size), frames) for kind, frames in kinds.items()}
    return VideoFrameScores(id, "01", scores, labels, kinds)


@pytest.fixture
def videos():
    return [
        _video("a", [0, 0, 1, 1, 1, 0, 1, 1, 0, 0], {"running": [2, 3, 4], "vehicle": [6, 7]}, 0),
        _video("b", [0, 1, 1, 0, 0, 0, 1, 0, 0, 1], {"vehicle": [1, 2], "thrown": [6, 9]}, 1),
        _video("c", [0] * 10, {}, 2),  # all normal: its frames are negatives of every kind
    ]


def _kind_oracle(videos, kind):
    """The hand-built subset: every normal frame and the kind's frames, scored frames only."""
    scores, labels = [], []
    for video in videos:
        own = video.kinds.get(kind, np.zeros(len(video.labels), bool))
        keep = ((video.labels == 0) | own) & ~np.isnan(video.raw_scores)
        scores.append(video.raw_scores[keep])
        labels.append(own[keep])
    return np.concatenate(scores), np.concatenate(labels)


def test_kind_scope_equals_sklearn_on_the_kind_subset(videos):
    result = evaluate(videos, RAW, "toy")
    assert sorted({row.scope_id for row in result.rows if row.scope == "kind"}) == ["running", "thrown", "vehicle"]
    for kind in ("running", "thrown", "vehicle"):
        scores, labels = _kind_oracle(videos, kind)
        assert result.value("auc_micro", "kind", kind) == pytest.approx(roc_auc_score(labels, scores))
        assert result.value("ap", "kind", kind) == pytest.approx(average_precision_score(labels, scores))
        assert result.value("frames_abnormal", "kind", kind) == labels.sum()
        assert result.value("frames_scored", "kind", kind) == labels.size
        assert result.value("videos", "kind", kind) == 3


def test_kinds_add_up_to_the_dataset(videos):
    result = evaluate(videos, RAW, "toy")
    kinds = {row.scope_id for row in result.rows if row.scope == "kind"}
    normal = result.value("frames_scored", "dataset") - result.value("frames_abnormal", "dataset")
    assert sum(result.value("frames_abnormal", "kind", kind) for kind in kinds) == result.value(
        "frames_abnormal", "dataset")
    assert all(result.value("frames_scored", "kind", k) - result.value("frames_abnormal", "kind", k) == normal
               for k in kinds)


def test_no_kind_rows_without_kinds_and_unnamed_anomalies_stay_out(videos):
    plain = [VideoFrameScores(v.id, v.scene, v.raw_scores, v.labels) for v in videos]
    assert not [row for row in evaluate(plain, RAW, "toy").rows if row.scope == "kind"]
    mixed = evaluate([videos[0], plain[1], videos[2]], RAW, "toy")  # b's anomalies have no kind
    assert mixed.value("frames_abnormal", "kind", "vehicle") == 2
    assert mixed.value("frames_excluded", "kind", "vehicle") == 3 + 3 + 4  # unscored, running, b's anomalies


@pytest.mark.parametrize(("kinds", "message"), [
    ({"running": [2, 3, 4, 5], "vehicle": [6, 7]}, "video 'a': anomaly kind 'running' marks frame 5, which is "
                                                     "labelled normal"),
    ({"running": [2, 3, 4, 6], "vehicle": [6, 7]}, "video 'a': frame 6 is in anomaly kind 'vehicle' and in another"),
    ({"running": [2, 3, 4], "vehicle": [6]}, r"video 'a': anomalous frame 7 is in no anomaly kind \(kinds: "
                                             r"'running', 'vehicle'\)"),
    ({"running": np.ones(9, bool)}, r"video 'a': the mask of anomaly kind 'running' must be one bool per frame"),
])
def test_bad_kind_masks_name_the_video_and_the_kind(kinds, message):
    labels = np.array([0, 0, 1, 1, 1, 0, 1, 1, 0, 0], dtype=np.uint8)
    masks = {kind: frames if isinstance(frames, np.ndarray) else np.isin(np.arange(10), frames)
             for kind, frames in kinds.items()}
    with pytest.raises(EvaluationError, match=message):
        evaluate([VideoFrameScores("a", "01", np.linspace(0, 1, 10), labels, masks)], RAW, "toy")
