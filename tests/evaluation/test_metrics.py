import numpy as np
import pytest
from scipy.optimize import brentq
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from vadbench.errors import ConfigError
from vadbench.evaluation import metrics


def make_videos(seed, num_videos=6, low=0.0, high=1.0, decimals=1):
    """Per-video (scores, labels): some videos all normal, one all anomalous, ties (rounded scores), NaN frames."""
    rng = np.random.default_rng(seed)
    scores, labels = [], []
    for v in range(num_videos):
        n = int(rng.integers(20, 60))
        y = np.zeros(n, dtype=np.uint8)
        if v % 3 == 1:
            y[n // 3 : n // 2] = 1
        elif v == num_videos - 1:
            y[:] = 1
        s = np.round(rng.uniform(low, high, n) + 0.3 * (high - low) * y, decimals)
        s = np.clip(s, low + 0.01 * (high - low), high - 0.01 * (high - low))  # strictly inside (low, high)
        s[rng.random(n) < 0.1] = np.nan
        scores.append(s)
        labels.append(y)
    return scores, labels


def pooled(scores, labels):
    s, y = np.concatenate(scores), np.concatenate(labels)
    return s[~np.isnan(s)], y[~np.isnan(s)]


def scored(s, y):
    return s[~np.isnan(s)], y[~np.isnan(s)]


@pytest.mark.parametrize("seed", range(5))
def test_pooled_metrics_match_scikit_learn(seed):
    scores, labels = make_videos(seed)
    s, y = pooled(scores, labels)
    assert metrics.auc_micro(scores, labels) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metrics.ap(scores, labels) == pytest.approx(average_precision_score(y, s), abs=1e-12)

    precision, recall, thresholds = precision_recall_curve(y, s)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-300)
    best_f1, threshold_f1 = metrics.f1_best(scores, labels)
    assert best_f1 == pytest.approx(f1.max(), abs=1e-12)
    assert threshold_f1 == thresholds[f1 >= f1.max() - 1e-12].max()  # ties: the highest threshold

    fpr, tpr, _ = roc_curve(y, s)
    crossing = brentq(lambda x: 1 - x - np.interp(x, fpr, tpr), 0, 1)  # fpr = fnr on the piecewise-linear ROC
    assert metrics.eer(scores, labels) == pytest.approx(crossing, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_oracle_matches_a_search_over_thresholds(seed):
    scores, labels = make_videos(seed)
    s, y = pooled(scores, labels)
    candidates = np.r_[np.unique(s), np.inf]
    accuracies = np.array([np.mean((s >= t) == y) for t in candidates])
    accuracy, threshold = metrics.accuracy_oracle(scores, labels)
    assert accuracy == pytest.approx(accuracies.max(), abs=1e-12)
    assert np.mean((s >= threshold) == y) == pytest.approx(accuracy, abs=1e-12)
    per_video = [np.mean((vs >= threshold) == vy) for vs, vy in map(scored, scores, labels)]
    assert metrics.video_accuracy(scores, labels, threshold) == pytest.approx(np.mean(per_video), abs=1e-12)
    assert metrics.video_accuracy_oracle(scores, labels) == pytest.approx(np.mean(per_video), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_per_video_threshold_accuracy_searches_each_video_on_its_own(seed):
    scores, labels = make_videos(seed)
    best = []
    for s, y in zip(scores, labels):
        s, y = scored(s, y)
        best.append(max(np.mean((s >= t) == y) for t in [np.inf, *s]))
    value = metrics.video_accuracy_per_video_threshold(scores, labels)
    assert value == pytest.approx(np.mean(best), abs=1e-12)
    assert value >= metrics.video_accuracy_oracle(scores, labels)  # one threshold per video can only do better


def test_per_video_threshold_accuracy_is_at_least_each_videos_majority_share():
    rng = np.random.default_rng(0)
    labels = [np.r_[np.zeros(30), np.ones(10)].astype(np.uint8), np.zeros(25, np.uint8)]
    noise = [rng.random(40), rng.random(25)]
    assert metrics.video_accuracy_per_video_threshold(noise, labels) >= (0.75 + 1.0) / 2


def test_accuracy_oracle_may_call_every_frame_normal():
    scores = [np.array([0.9, 0.1, 0.5, 0.8, 0.2])]
    labels = [np.array([0, 0, 0, 1, 0])]  # no threshold beats predicting all normal (4/5)
    accuracy, threshold = metrics.accuracy_oracle(scores, labels)
    assert accuracy == pytest.approx(0.8)
    assert 0.9 < threshold < 0.9 + 1e-12  # a finite threshold just above the highest score


def test_eer_known_answer():
    # ROC points (fpr, tpr): (0, .5) (.5, .5) (.5, 1) (1, 1): fpr = fnr = 0.5 at the second point
    assert metrics.eer([np.array([0.1, 0.6, 0.4, 0.9])], [np.array([0, 0, 1, 1])]) == pytest.approx(0.5)
    assert metrics.eer([np.array([0.1, 0.2, 0.8, 0.9])], [np.array([0, 0, 1, 1])]) == 0.0  # separable


@pytest.mark.parametrize("seed", range(5))
def test_video_auc_matches_scikit_learn_and_the_padding_formula(seed):
    for s, y in zip(*make_videos(seed)):
        s, y = scored(s, y)
        positives, negatives = int(y.sum()), int((1 - y).sum())
        padded = roc_auc_score(np.r_[0, y, 1], np.r_[0.0, s, 1.0])  # the official UBnormal script, scores in (0, 1)
        assert metrics.video_auc(s, y, "pad") == pytest.approx(padded, abs=1e-12)
        if positives and negatives:
            auc = roc_auc_score(y, s)
            assert metrics.video_auc(s, y, "skip") == pytest.approx(auc, abs=1e-12)
            formula = (auc * positives * negatives + positives + negatives + 1) / ((positives + 1) * (negatives + 1))
            assert padded == pytest.approx(formula, abs=1e-12)
        else:
            assert metrics.video_auc(s, y, "pad") == 1.0  # a single-class video is perfect once padded
            assert metrics.video_auc(s, y, "skip") is None


def test_padding_stays_rank_based_for_raw_errors():
    rng = np.random.default_rng(7)
    y = (rng.random(200) < 0.3).astype(int)
    s = rng.random(200) * 40 + 5 * y  # raw errors, far above 1
    p, n = y.sum(), (1 - y).sum()
    auc = roc_auc_score(y, s)
    expected = (auc * p * n + p + n + 1) / ((p + 1) * (n + 1))
    assert metrics.video_auc(s, y, "pad") == pytest.approx(expected, abs=1e-12)
    assert roc_auc_score(np.r_[0, y, 1], np.r_[0, s, 1]) != pytest.approx(expected)  # why the sentinels move


@pytest.mark.parametrize("seed", range(3))
def test_auc_macro_under_both_rules(seed):
    scores, labels = make_videos(seed)
    both = [(s, y) for s, y in map(scored, scores, labels) if 0 < y.sum() < y.size]
    assert metrics.auc_macro(scores, labels, "skip") == pytest.approx(np.mean([roc_auc_score(y, s) for s, y in both]))
    padded = [roc_auc_score(np.r_[0, y, 1], np.r_[0.0, s, 1.0]) for s, y in map(scored, scores, labels)]
    assert metrics.auc_macro(scores, labels, "pad") == pytest.approx(np.mean(padded))


def test_unscored_videos_are_left_out_of_the_macro_mean():
    scores = [np.array([0.2, 0.8, 0.4]), np.full(3, np.nan)]
    labels = [np.array([0, 1, 1]), np.array([1, 0, 1])]
    assert metrics.auc_macro(scores, labels, "pad") == pytest.approx(roc_auc_score([0, 0, 1, 1, 1], [0, .2, .8, .4, 1]))
    assert metrics.video_auc(scores[1], labels[1], "pad") is None


def test_undefined_metrics_are_omitted():
    scores, labels = [np.array([0.1, 0.5]), np.array([0.3, np.nan])], [np.array([0, 0]), np.array([0, 1])]
    values = metrics.scope_metrics(scores, labels, "pad")
    assert set(values) == {"auc_macro", "frames_scored", "frames_excluded", "frames_abnormal", "videos",
                           "videos_single_class", "videos_unscored"}
    assert values["auc_macro"] == 1.0
    assert values["frames_scored"] == 3 and values["frames_excluded"] == 1 and values["frames_abnormal"] == 0
    assert values["videos_single_class"] == 2
    assert "auc_macro" not in metrics.scope_metrics(scores, labels, "skip")
    assert not any(np.isnan(value) for value in values.values())


def test_scope_metrics_collects_every_metric():
    scores, labels = make_videos(3)
    values = metrics.scope_metrics(scores, labels, "skip")
    accuracy, threshold = metrics.accuracy_oracle(scores, labels)
    assert values["threshold_accuracy"] == threshold and values["accuracy_oracle"] == accuracy
    assert values["video_accuracy_oracle"] == metrics.video_accuracy(scores, labels, threshold)
    assert values["auc_micro"] == metrics.auc_micro(scores, labels)
    assert (values["f1_best"], values["threshold_f1"]) == metrics.f1_best(scores, labels)
    assert values["videos"] == 6 and values["videos_unscored"] == 0
    assert values["frames_scored"] + values["frames_excluded"] == sum(map(len, scores))


def test_video_metrics():
    scores, labels = make_videos(4)
    for s, y, values in zip(scores, labels, metrics.video_metrics(scores, labels, "skip")):
        vs, vy = scored(s, y)
        assert values["frames_scored"] == vs.size and values["frames_abnormal"] == vy.sum()
        assert values["frames_excluded"] == s.size - vs.size
        if 0 < vy.sum() < vy.size:
            assert values["auc"] == pytest.approx(roc_auc_score(vy, vs), abs=1e-12)
            assert values["ap"] == pytest.approx(average_precision_score(vy, vs), abs=1e-12)
        else:
            assert "auc" not in values and "ap" not in values


def test_unknown_macro_rule():
    with pytest.raises(ConfigError, match="macro_rule must be one of pad, skip, got 'mean'"):
        metrics.auc_macro([np.zeros(3)], [np.zeros(3)], "mean")
