import numpy as np
import pytest

from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.aggregate import fill_nearest, frame_scores
from vadbench.evaluation.windows import window_starts

ANCHORS = np.isin(np.arange(30), [0, 1, 10, 11, 20, 21, 28, 29])  # the selective anchors of L = 30


def reference_scores(num_frames, starts, anchors, errors, how):
    """Frame by frame: collect the errors of the windows in which the frame is masked."""
    reduce = {"max": max, "mean": lambda values: sum(values) / len(values)}[how]
    scores = np.full(num_frames, np.nan)
    for frame in range(num_frames):
        values = [
            errors[w, frame - start]
            for w, start in enumerate(starts)
            if 0 <= frame - start < anchors.size and not anchors[frame - start]
        ]
        if values:
            scores[frame] = reduce(values)
    return scores


def window_errors(starts, rng):
    errors = rng.random((starts.size, ANCHORS.size))
    errors[:, ANCHORS] = np.nan
    return errors


@pytest.mark.parametrize(
    ("num_frames", "unscored"),
    [
        (100, [0, 1, 10, 11, 80, 81, 90, 91, 98, 99]),  # starts 0..60 and the flush window 70
        (90, [0, 1, 10, 11, 80, 81, 88, 89]),  # starts 0..60, the last ending at frame 89
        (30, [0, 1, 10, 11, 20, 21, 28, 29]),  # one window: its anchors
        (29, list(range(29))),  # no window at all
    ],
)
def test_unscored_frames_of_the_default_protocol(num_frames, unscored):
    starts = window_starts(num_frames, 30, 15)
    errors = window_errors(starts, np.random.default_rng(0))
    scores = frame_scores(num_frames, starts, ANCHORS, errors)
    assert np.flatnonzero(np.isnan(scores)).tolist() == unscored


@pytest.mark.parametrize("how", ["max", "mean"])
@pytest.mark.parametrize("num_frames", [30, 47, 100, 451])
def test_matches_the_frame_by_frame_reference(how, num_frames):
    starts = window_starts(num_frames, 30, 15)
    errors = window_errors(starts, np.random.default_rng(num_frames))
    expected = reference_scores(num_frames, starts, ANCHORS, errors, how)
    np.testing.assert_allclose(frame_scores(num_frames, starts, ANCHORS, errors, how), expected, equal_nan=True)


def test_max_and_mean_over_the_masked_appearances():
    starts = window_starts(45, 30, 15)  # windows at 0 and 15
    errors = np.array([100.0 * w + np.arange(30) for w in range(2)])  # window w, offset j -> 100 w + j
    maximum = frame_scores(45, starts, ANCHORS, errors, "max")
    mean = frame_scores(45, starts, ANCHORS, errors, "mean")
    # frame 17: masked at offset 17 of window 0 and offset 2 of window 1
    assert maximum[17] == 102.0 and mean[17] == pytest.approx(59.5)
    # frame 20: an anchor of window 0 (offset 20), masked in window 1 (offset 5): only the latter counts
    assert maximum[20] == mean[20] == 105.0
    # frame 25: masked in window 0 (offset 25), an anchor of window 1 (offset 10)
    assert maximum[25] == mean[25] == 25.0


def test_anchor_errors_never_enter_a_score():
    starts = window_starts(200, 30, 15)
    errors = np.random.default_rng(1).random((starts.size, 30))
    errors[:, ANCHORS] = 1e9  # whatever sits at anchor positions is ignored, NaN or not
    for how in ("max", "mean"):
        scores = frame_scores(200, starts, ANCHORS, errors, how)
        assert np.nanmax(scores) < 1.0


def test_bad_window_errors():
    starts = window_starts(100, 30, 15)
    with pytest.raises(EvaluationError, match="do not match 6 window starts x 30"):
        frame_scores(100, starts, ANCHORS, np.zeros((5, 30)))
    with pytest.raises(EvaluationError, match="run outside a video of 90 frames"):
        frame_scores(90, starts, ANCHORS, np.zeros((6, 30)))
    errors = np.zeros((6, 30))
    errors[2, 5] = np.nan
    with pytest.raises(EvaluationError, match="non-finite error for a masked frame"):
        frame_scores(100, starts, ANCHORS, errors)
    with pytest.raises(ConfigError, match="aggregate must be one of max, mean, got 'median'"):
        frame_scores(100, starts, ANCHORS, np.zeros((6, 30)), "median")


def test_fill_nearest_known_answers():
    nan = np.nan
    np.testing.assert_array_equal(fill_nearest(np.array([nan, nan, 1, nan, nan, 5, nan])), [1, 1, 1, 1, 5, 5, 5])
    np.testing.assert_array_equal(fill_nearest(np.array([1, nan, 3])), [1, 1, 3])  # tie: the earlier frame
    np.testing.assert_array_equal(fill_nearest(np.array([nan, 2.0, nan])), [2, 2, 2])
    assert np.isnan(fill_nearest(np.full(4, nan))).all()


def test_fill_nearest_matches_a_brute_force_search():
    rng = np.random.default_rng(2)
    for _ in range(20):
        scores = rng.random(40)
        scores[rng.random(40) < 0.6] = np.nan
        scored = np.flatnonzero(~np.isnan(scores))
        if not scored.size:
            continue
        expected = [scores[scored[np.argmin(np.abs(scored - frame))]] for frame in range(40)]  # argmin: first = earlier
        np.testing.assert_array_equal(fill_nearest(scores), expected)
