"""Pixel-level metrics against scikit-learn and against literal threshold-by-threshold oracles."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import roc_auc_score

from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.pixel_metrics import (
    PixelSummary,
    aupro,
    pixel_auroc,
    sample_indices,
    summarise_video,
    ucsd_pixel_auc,
)


def blobs(rng, frames, height, width, most=2, radius=(1.5, 5.0)):
    """bool ``f h w``: up to ``most`` random discs per frame (some frames get none)."""
    yy, xx = np.mgrid[:height, :width]
    masks = np.zeros((frames, height, width), dtype=bool)
    for frame in masks:
        for _ in range(rng.integers(0, most + 1)):
            cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(*radius)
            frame |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return masks


def tied_maps(rng, masks):
    """float32 maps with few distinct values (ties everywhere, across classes), negatives and -0.0 among them."""
    maps = (rng.integers(-3, 8, masks.shape) + 2 * masks).astype(np.float32)
    maps[maps == 0] = rng.choice(np.float32([0.0, -0.0]), size=int((maps == 0).sum()))
    return maps


def structured_maps(rng, masks):
    """float32 maps that find the anomalies, blurred and noisy: an AUC well inside (0.5, 1)."""
    return (ndimage.gaussian_filter(masks.astype(float), (0, 2, 2)) + rng.random(masks.shape)).astype(
        np.float32
    )


def ucsd_oracle(maps, masks):
    """The UCSD criterion literally: at every threshold, which frames are detected / false positives."""
    abnormal = masks.any(axis=(1, 2))
    anomalous = masks.sum(axis=(1, 2))
    tpr, fpr = [], []
    for t in np.r_[np.inf, np.unique(maps)[::-1]]:
        flagged = maps >= t
        hits = (flagged & masks).sum(axis=(1, 2))
        tpr.append(np.mean((5 * hits >= 2 * anomalous)[abnormal]))  # at least 40% of its anomalous pixels
        fpr.append(np.mean(flagged.any(axis=(1, 2))[~abnormal]))
    return np.trapezoid(tpr, fpr)


def aupro_oracle(maps, masks, fpr_limit=0.3):
    """PRO and FPR from the full arrays at every distinct map value; regions labelled frame by frame in 2-d."""
    regions = []
    for f in range(masks.shape[0]):
        labels, count = ndimage.label(masks[f], structure=np.ones((3, 3)))
        regions += [(f, labels == k) for k in range(1, count + 1)]
    points = [(0.0, 0.0)]
    for t in np.unique(maps)[::-1]:
        flagged = maps >= t
        points.append((flagged[~masks].mean(), np.mean([flagged[f][region].mean() for f, region in regions])))
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 >= fpr_limit:
            break
        if x1 > fpr_limit:
            x1, y1 = fpr_limit, y0 + (y1 - y0) * (fpr_limit - x0) / (x1 - x0)
        area += (x1 - x0) * (y0 + y1) / 2
    return area / fpr_limit


@pytest.fixture
def videos():
    """Three (maps, masks) videos of 12 frames of 16x20 with tied values, normal and abnormal frames."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(3):
        masks = blobs(rng, 12, 16, 20)
        out.append((tied_maps(rng, masks), masks))
    return out


# pixel AUROC


def test_pixel_auroc_is_sklearns_with_ties(videos):
    summaries = [summarise_video(maps, masks) for maps, masks in videos]
    labels = np.concatenate([masks.ravel() for _, masks in videos])
    values = np.concatenate([maps.ravel() for maps, _ in videos])
    assert pixel_auroc(summaries) == pytest.approx(roc_auc_score(labels, values), abs=1e-12)


def test_pixel_auroc_of_a_perfect_map_is_one():
    masks = blobs(np.random.default_rng(1), 10, 16, 16)
    assert pixel_auroc([summarise_video(masks.astype(np.float32), masks)]) == 1.0


def test_pixel_auroc_of_noise_is_one_half():
    rng = np.random.default_rng(2)
    masks = blobs(rng, 50, 32, 32)
    assert pixel_auroc([summarise_video(rng.random(masks.shape), masks)]) == pytest.approx(0.5, abs=0.02)


def test_a_sample_keeps_the_auroc_and_is_seeded():
    rng = np.random.default_rng(3)
    videos = {}
    for name in "abc":
        masks = blobs(rng, 40, 32, 32, radius=(3, 7))
        videos[name] = (structured_maps(rng, masks), masks)
    total = sum(masks.size for _, masks in videos.values())
    budget = total // 4

    def summaries(seed):
        samples = {name: sample_indices(masks.size, total, budget, seed, name) for name, (_, masks) in videos.items()}
        return [summarise_video(maps, masks, samples[name]) for name, (maps, masks) in videos.items()], samples

    full = pixel_auroc([summarise_video(maps, masks) for maps, masks in videos.values()])
    sampled, samples = summaries(seed=0)
    assert 0.7 < full < 0.99
    assert pixel_auroc(sampled) == pytest.approx(full, abs=0.01)
    assert sum(s.sample_values.size for s in sampled) == sum(-(-budget * 40 * 32 * 32 // total) for _ in videos)
    again, same = summaries(seed=0)
    assert all(np.array_equal(same[name], samples[name]) for name in videos)
    assert pixel_auroc(again) == pixel_auroc(sampled)
    _, other = summaries(seed=1)
    assert not np.array_equal(other["a"], samples["a"])
    assert not np.array_equal(samples["a"], samples["b"])  # each video its own draw


def test_sample_indices_rule():
    assert sample_indices(100, 1000, 1000, 0, "v") is None
    assert sample_indices(100, 999, 1000, 0, "v") is None
    indices = sample_indices(100, 1001, 1000, 0, "v")
    assert indices.size == 100 and indices.min() >= 0 and indices.max() < 100  # ceil(1000 * 100 / 1001)
    assert sample_indices(7, 30, 10, 0, "v").size == 3  # ceil(70 / 30)
    assert np.unique(sample_indices(10, 10**6, 10**5, 0, "v")).size < 10**4  # drawn with replacement
    with pytest.raises(ConfigError, match="budget"):
        sample_indices(10, 100, 0, 0, "v")


# UCSD pixel-level criterion


def test_ucsd_hand_computed():
    maps = np.float32(
        [
            [[0.1, 0.2, 0.3, 0.2, 0.1]],  # normal: a false positive for t <= 0.3 (its maximum)
            [[0.6, 0.0, 0.0, 0.0, 0.0]],  # normal: a false positive for t <= 0.6
            [[0.9, 0.8, 0.7, 0.2, 0.1]],  # abnormal, all 5 pixels: 40% = 2 flagged needed, so t <= 0.8
            [[0.95, 0.99, 0.5, 0.4, 0.0]],  # abnormal at the 2 pixels 0.5, 0.4: ceil(0.8) = 1, so t <= 0.5
        ]
    )
    masks = np.zeros(maps.shape, dtype=bool)
    masks[2] = True
    masks[3, 0, 2:4] = True
    summary = summarise_video(maps, masks)
    np.testing.assert_allclose(summary.frame_values, [0.3, 0.6, 0.8, 0.5], rtol=1e-7)
    # frame values: normal {0.3, 0.6}, abnormal {0.8, 0.5}; pairs (abnormal above normal): 0.8 > 0.3, 0.8 > 0.6,
    # 0.5 > 0.3 but 0.5 < 0.6, so 3 of the 4 pairs: AUC 0.75
    assert ucsd_pixel_auc([summary]) == pytest.approx(0.75)
    assert ucsd_pixel_auc([summary]) == pytest.approx(ucsd_oracle(maps, masks))


def test_ucsd_needs_ceil_40_percent_of_the_anomalous_pixels():
    """n anomalous pixels valued 1..n need ceil(0.4 n) flagged: exactly 40% is enough, 1.2 pixels need 2."""
    counts = [1, 2, 3, 5, 15]
    maps = np.tile(np.arange(1, 16, dtype=np.float32), (len(counts), 1, 1))
    masks = np.zeros(maps.shape, dtype=bool)
    for frame, n in enumerate(counts):
        masks[frame, 0, :n] = True
    # ceil(0.4 n) = 1, 1, 2, 2, 6: the ceil(0.4 n)-th largest of 1..n is n + 1 - ceil(0.4 n)
    assert summarise_video(maps, masks).frame_values.tolist() == [1.0, 2.0, 2.0, 4.0, 10.0]


def test_ucsd_matches_the_literal_criterion(videos):
    summaries = [summarise_video(maps, masks) for maps, masks in videos]
    maps = np.concatenate([maps for maps, _ in videos])
    masks = np.concatenate([masks for _, masks in videos])
    assert 0 < (~masks.any(axis=(1, 2))).sum() < masks.shape[0]  # both kinds of frame
    assert ucsd_pixel_auc(summaries) == pytest.approx(ucsd_oracle(maps, masks), abs=1e-12)
    rng = np.random.default_rng(4)
    masks = blobs(rng, 30, 16, 16)
    maps = structured_maps(rng, masks)
    assert ucsd_pixel_auc([summarise_video(maps, masks)]) == pytest.approx(ucsd_oracle(maps, masks), abs=1e-12)


# AUPRO


def test_aupro_of_a_perfect_map_is_one():
    masks = blobs(np.random.default_rng(5), 10, 16, 16)
    assert aupro([summarise_video(masks.astype(np.float32), masks)]) == pytest.approx(1.0, abs=1e-12)


def test_aupro_hand_computed_two_regions():
    # A: 1 pixel (0.9); B: 4 pixels (0.8, 0.8, 0.1, 0.1); 10 normal pixels: 0.85, 0.8 and eight 0.
    maps = np.float32([[[0.9, 0.85, 0.8, 0.8, 0.8], [0, 0, 0, 0.1, 0.1], [0, 0, 0, 0, 0]]])
    masks = np.zeros(maps.shape, dtype=bool)
    masks[0, 0, 0] = True
    masks[0, :2, 3:] = True
    summary = summarise_video(maps, masks)
    assert summary.regions == 2
    # (FPR, PRO) from t = inf down: (0, 0); t = 0.9: A whole, B none -> (0, 0.5); t = 0.85 -> (0.1, 0.5);
    # t = 0.8, a normal pixel and half of B together -> (0.2, 0.75); t = 0.1 -> (0.2, 1); t = 0 -> (1, 1).
    # Area to 0.3: 0.1 * 0.5 + 0.1 * (0.5 + 0.75) / 2 + 0.1 * 1 = 0.2125, divided by 0.3.
    assert aupro([summary]) == pytest.approx(0.2125 / 0.3)
    # to 0.15: PRO at 0.15 is 0.625 on the tied segment: 0.05 + 0.05 * (0.5 + 0.625) / 2 = 0.078125, over 0.15
    assert aupro([summary], fpr_limit=0.15) == pytest.approx(0.078125 / 0.15)
    assert aupro([summary]) == pytest.approx(aupro_oracle(maps, masks))


@pytest.mark.parametrize("fpr_limit", [0.3, 0.05, 1.0])
def test_aupro_matches_the_brute_force_oracle(videos, fpr_limit):
    summaries = [summarise_video(maps, masks) for maps, masks in videos]
    maps = np.concatenate([maps for maps, _ in videos])  # regions are per frame and FPR pooled: one volume
    masks = np.concatenate([masks for _, masks in videos])
    assert aupro(summaries, fpr_limit) == pytest.approx(aupro_oracle(maps, masks, fpr_limit), abs=1e-9)
    rng = np.random.default_rng(6)
    masks = blobs(rng, 8, 16, 16)
    maps = structured_maps(rng, masks)  # distinct values: a point per pixel
    expected = aupro_oracle(maps, masks, fpr_limit)
    assert aupro([summarise_video(maps, masks)], fpr_limit) == pytest.approx(expected, abs=1e-9)


def test_aupro_rejects_a_bad_limit(videos):
    with pytest.raises(ConfigError, match="fpr_limit"):
        aupro([summarise_video(*videos[0])], fpr_limit=0)


# regions and edge cases


def test_regions_connect_8_neighbours_in_a_frame_and_never_across_frames():
    masks = np.zeros((3, 5, 5), dtype=bool)
    masks[0, 0, 0] = masks[0, 1, 1] = masks[0, 2, 2] = True  # a diagonal: one region
    masks[0, 4, 4] = True  # apart: a second one
    masks[1, 0, 0] = True  # the same place one frame later: a third
    summary = summarise_video(np.zeros(masks.shape), masks)
    assert summary.regions == 3
    assert summary.region_index.tolist() == [0, 0, 0, 1, 2]
    assert summary.frame_abnormal.tolist() == [True, True, False]


def test_no_anomalous_pixel_anywhere():
    rng = np.random.default_rng(7)
    summary = summarise_video(rng.random((5, 8, 8)), np.zeros((5, 8, 8), dtype=bool))
    assert summary.regions == 0
    assert pixel_auroc([summary]) is None
    assert aupro([summary]) is None
    assert ucsd_pixel_auc([summary]) is None
    assert pixel_auroc([]) is None and aupro([]) is None and ucsd_pixel_auc([]) is None


def test_no_normal_pixel():
    summary = summarise_video(np.random.default_rng(8).random((2, 4, 4)), np.ones((2, 4, 4), dtype=bool))
    assert pixel_auroc([summary]) is None
    assert aupro([summary]) is None


def test_empty_masks_in_the_middle_of_a_video():
    rng = np.random.default_rng(9)
    masks = blobs(rng, 9, 12, 12, most=1, radius=(3, 4))
    masks[0, 2:5, 2:5] = masks[8, 6:9, 6:9] = True
    masks[3:6] = False
    maps = structured_maps(rng, masks)
    summary = summarise_video(maps, masks)
    assert not summary.frame_abnormal[3:6].any() and summary.frame_abnormal[[0, 8]].all()
    np.testing.assert_array_equal(summary.frame_values[3:6], maps[3:6].max(axis=(1, 2)))
    assert summary.region_values.size == masks.sum()
    assert aupro([summary]) == pytest.approx(aupro_oracle(maps, masks), abs=1e-9)
    assert ucsd_pixel_auc([summary]) == pytest.approx(ucsd_oracle(maps, masks), abs=1e-12)
    assert pixel_auroc([summary]) == pytest.approx(roc_auc_score(masks.ravel(), maps.ravel()), abs=1e-12)


def test_bad_inputs_are_evaluation_errors():
    maps, masks = np.zeros((4, 8, 8), dtype=np.float32), np.zeros((4, 8, 8), dtype=bool)
    with pytest.raises(EvaluationError, match="same shape"):
        summarise_video(maps, masks[:3])
    with pytest.raises(EvaluationError, match="f h w"):
        summarise_video(maps[0], masks[0])
    with pytest.raises(EvaluationError, match="sample"):
        summarise_video(maps, masks, np.array([0, maps.size]))
    maps[2, 1, 1] = np.nan
    with pytest.raises(EvaluationError, match=r"NaN in frames \[2\]"):
        summarise_video(maps, masks)


def test_summary_fields():
    rng = np.random.default_rng(10)
    masks = blobs(rng, 6, 8, 8)
    maps = rng.random(masks.shape)  # float64 in, float32 summaries
    summary = summarise_video(maps, masks, np.array([0, 5, 5, 300]))
    assert isinstance(summary, PixelSummary)
    assert summary.sample_values.dtype == np.float32 and summary.region_values.dtype == np.float32
    np.testing.assert_array_equal(summary.sample_values, maps.ravel()[[0, 5, 5, 300]].astype(np.float32))
    np.testing.assert_array_equal(summary.sample_labels, masks.ravel()[[0, 5, 5, 300]])
    assert summary.frame_values.dtype == np.float64 and summary.frame_values.shape == (6,)
