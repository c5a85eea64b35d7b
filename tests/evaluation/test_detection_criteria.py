import numpy as np
import pytest
from sklearn.metrics import auc

from vadbench.components import Track
from vadbench.errors import ConfigError, EvaluationError
from vadbench.evaluation.detection_criteria import DetectionCurves, Detections, _regions_needed, detection_curves

BOX = (0, 0, 9, 9)  # 10 x 10 = 100 pixels inclusive


def track(frames, box=BOX, abnormal=True, object_id=0):
    boxes = tuple((f, *box) for f in frames)
    return Track(object_id, min(frames, default=0), max(frames, default=0), abnormal, boxes)


def detections(*rows):
    """Detections of one video from rows (frame, x_min, y_min, x_max, y_max, score)."""
    if not rows:
        return Detections.empty()
    rows = np.array(rows, dtype=np.float64)
    return Detections(rows[:, 0].astype(int), rows[:, 1:5].astype(int), rows[:, 5])


def assert_curves(result, fpr, rbdr, tbdr, rbdc, tbdc):
    np.testing.assert_allclose(result.fpr, fpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.rbdr, rbdr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.tbdr, tbdr, rtol=0, atol=1e-12)
    assert result.rbdc == pytest.approx(rbdc, abs=1e-12)
    assert result.tbdc == pytest.approx(tbdc, abs=1e-12)


@pytest.mark.parametrize("num_frames", [5, 10])
def test_perfect_detections_with_duplicates_score_one(num_frames):
    tracks = [[track(range(5))], [track(range(5))]]
    dets = [detections(*[(f, *BOX, 0.5) for f in range(5)], (0, *BOX, 0.1)),
            detections(*[(f, *BOX, 0.5) for f in range(5)], (3, 0, 0, 8, 9, 0.1))]
    result = detection_curves(dets, tracks, num_frames)
    assert (result.regions, result.tracks, result.detections) == (10, 2, 12)
    assert result.rbdc == 1.0 and result.tbdc == 1.0
    assert result.fpr.max() == 1.0 and np.count_nonzero(result.fpr) == 1  # the duplicates are no false positive


def test_false_positive_before_true_positive():
    # One track with regions in frames 0 and 1; 4 frames.
    # score 0.9, frame 0, far from the region: FP 1 -> (0.25, 0, 0)
    # score 0.8, frame 0, on the region:       TP 1 -> (0.25, 1/2, 1)  (1/2 of the track's regions >= 0.1)
    # score 0.7, frame 2 (no region):          FP 2 -> (0.5, 1/2, 1)
    # extended to (1, 1/2, 1).  RBDC = 0.25 * 1/2 + 0.5 * 1/2 = 0.375, TBDC = 0.25 + 0.5 = 0.75
    result = detection_curves([detections((0, 50, 50, 59, 59, 0.9), (0, *BOX, 0.8), (2, *BOX, 0.7))],
                              [[track([0, 1])]], num_frames=4)
    assert_curves(result, fpr=[0, 0.25, 0.25, 0.5, 1], rbdr=[0, 0, 0.5, 0.5, 0.5], tbdr=[0, 0, 1, 1, 1],
                  rbdc=0.375, tbdc=0.75)


def test_one_detection_matches_two_regions_and_a_duplicate_counts_nothing():
    # Two tracks side by side in frame 0: (0, 0, 9, 9) and (10, 0, 19, 9); 2 frames.
    # score 2, frame 1 (no region):   FP 1 -> (0.5, 0, 0)
    # score 1, box (0, 0, 19, 9):     IoU 100 / 200 = 0.5 with each region: TP 2 -> (0.5, 1, 1)
    # score 0.5, box (0, 0, 9, 9):    only an already matched region: neither -> (0.5, 1, 1)
    # extended to (1, 1, 1).  RBDC = TBDC = 0.5 * 1 = 0.5
    result = detection_curves([detections((1, *BOX, 2), (0, 0, 0, 19, 9, 1), (0, *BOX, 0.5))],
                              [[track([0]), track([0], box=(10, 0, 19, 9), object_id=1)]], num_frames=2)
    assert_curves(result, fpr=[0, 0.5, 0.5, 0.5, 1], rbdr=[0, 0, 1, 1, 1], tbdr=[0, 0, 1, 1, 1], rbdc=0.5, tbdc=0.5)


def test_iou_counts_inclusive_pixels_and_beta_is_inclusive():
    # Regions (0, 0, 9, 9) in frames 0 and 1; 2 frames.
    # score 1, frame 0, box (0, 0, 0, 8): 9 / 100 = 0.09 < 0.1: FP -> (0.5, 0, 0)
    # score 0.5, frame 1, box (0, 0, 0, 9): 10 / 100 = 0.1 exactly: TP -> (0.5, 1/2, 1); with exclusive coordinates
    #   its area and IoU would be 0
    # extended to (1, 1/2, 1).  RBDC = 0.5 * 1/2 = 0.25, TBDC = 0.5
    result = detection_curves([detections((0, 0, 0, 0, 8, 1), (1, 0, 0, 0, 9, 0.5))], [[track([0, 1])]],
                              num_frames=2)
    assert_curves(result, fpr=[0, 0.5, 0.5, 1], rbdr=[0, 0, 0.5, 0.5], tbdr=[0, 0, 1, 1], rbdc=0.25, tbdc=0.5)


def test_curve_is_cut_after_one_false_positive_per_frame():
    # Regions in frames 0 and 1; 2 frames.  Scores 4 FP, 3 TP, 2 FP, 1 FP, 0.5 TP give
    # (0, 0) (0.5, 0) (0.5, 1/2) (1, 1/2) | (1.5, 1/2) (1.5, 1): the last two are cut; FPR ends at exactly 1, so
    # nothing is appended.  RBDC = 0.5 * 1/2 = 0.25, TBDC = 0.5 * 1 = 0.5
    result = detection_curves([detections((5, *BOX, 4), (0, *BOX, 3), (5, *BOX, 2), (5, *BOX, 1), (1, *BOX, 0.5))],
                              [[track([0, 1])]], num_frames=2)
    assert_curves(result, fpr=[0, 0.5, 0.5, 1], rbdr=[0, 0, 0.5, 0.5], tbdr=[0, 0, 1, 1], rbdc=0.25, tbdc=0.5)
    assert result.detections == 5


def test_track_needs_alpha_of_its_regions():
    # Video 0: track A, 10 regions (frames 0..9), needs 1 (1/10 >= 0.1); video 1: track B, 20 regions, needs 2
    # (1/20 < 0.1 <= 2/20).  30 frames, 30 regions.
    # TP A0 -> (0, 1/30, 1/2); FP -> (1/30, 1/30, 1/2); TP B0 -> (1/30, 2/30, 1/2) (B not yet detected);
    # FP -> (2/30, 2/30, 1/2); TP B1 -> (2/30, 3/30, 1); extended to (1, 3/30, 1).
    # RBDC = 1/30 * 1/30 + 1/30 * 2/30 + 28/30 * 3/30 = 87/900; TBDC = 2/30 * 1/2 + 28/30 = 29/30
    dets = [detections((0, *BOX, 5), (20, *BOX, 4)), detections((0, *BOX, 3), (25, *BOX, 2), (1, *BOX, 1))]
    result = detection_curves(dets, [[track(range(10))], [track(range(20))]], num_frames=30)
    assert_curves(result, fpr=np.array([0, 0, 1, 1, 2, 2, 30]) / 30, rbdr=np.array([0, 1, 1, 2, 2, 3, 3]) / 30,
                  tbdr=[0, 0.5, 0.5, 0.5, 0.5, 1, 1], rbdc=87 / 900, tbdc=29 / 30)


def test_regions_needed_is_the_smallest_count_reaching_alpha():
    # 0.07 * 100 rounds above 7 although 7 / 100 >= 0.07; 0.086 (1 + 2^-52) * 500 rounds down to 43 although
    # 43 / 500 < that alpha: the ceiling of alpha * n alone is off by one either way.
    regions = np.arange(1, 601)
    for alpha in [0.1, 0.3, 0.7, 1 / 3, 0.05, 0.999, 1.0, 1e-9, 0.07, 0.55, 0.086 * (1 + 2**-52)]:
        expected = [next(k for k in range(n + 1) if k / n >= alpha) for n in regions]
        np.testing.assert_array_equal(_regions_needed(regions, alpha), expected, err_msg=f"alpha {alpha}")


def test_ground_truth_rules():
    # A track listing frame 0 twice keeps the last box; a normal track and a track without boxes are not ground
    # truth.  The one region is matched, so the curve is (0, 0) (0, 1) (1, 1).
    twice = Track(0, 0, 0, True, ((0, 50, 50, 59, 59), (0, *BOX)))
    tracks = [[track([0], abnormal=False), twice, Track(2, 0, 3, True, ())]]
    result = detection_curves([detections((0, *BOX, 1))], tracks, num_frames=1)
    assert (result.regions, result.tracks) == (1, 1)
    assert_curves(result, fpr=[0, 0, 1], rbdr=[0, 1, 1], tbdr=[0, 1, 1], rbdc=1, tbdc=1)


def test_no_ground_truth_region_is_none():
    assert detection_curves([detections((0, *BOX, 1))], [[track([0], abnormal=False)]], num_frames=1) is None
    assert detection_curves([], [], num_frames=1) is None


def test_no_detection_scores_zero():
    result = detection_curves([Detections.empty()], [[track([0])]], num_frames=3)
    assert_curves(result, fpr=[0, 1], rbdr=[0, 0], tbdr=[0, 0], rbdc=0, tbdc=0)


# The oracle: the description of the reference evaluation, one detection at a time.


def oracle_iou(a, b):
    x_a, y_a, x_b, y_b = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x_b - x_a + 1) * max(0, y_b - y_a + 1)
    area_a = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return inter / (area_a + area_b - inter)


def oracle(dets, tracks, num_frames, alpha, beta):
    regions = {}  # (video, frame) -> [region id, box, track id]
    track_regions, matched, track_detected = {}, [], {}
    track_id = 0
    for video, video_tracks in enumerate(tracks):
        for t in video_tracks:
            if t.abnormal and t.boxes:
                per_frame = {}
                for frame, *box in t.boxes:
                    per_frame[frame] = box
                for frame, box in per_frame.items():
                    regions.setdefault((video, frame), []).append((len(matched), box, track_id))
                    matched.append(False)
                track_regions[track_id], track_detected[track_id] = len(per_frame), 0
            track_id += 1
    flat = [(float(d.score[i]), video, int(d.frame[i]), [int(c) for c in d.boxes[i]])
            for video, d in enumerate(dets) for i in range(d.frame.size)]
    flat.sort(key=lambda row: -row[0])  # stable
    tp = fp = 0
    fpr, rbdr, tbdr = [0.0], [0.0], [0.0]
    for _, video, frame, box in flat:
        hits = [r for r in regions.get((video, frame), []) if oracle_iou(box, r[1]) >= beta]
        if not hits:
            fp += 1
        for region, _, t in hits:
            if not matched[region]:
                matched[region] = True
                tp += 1
                track_detected[t] += 1
        detected = sum(track_detected[t] / track_regions[t] >= alpha for t in track_regions)
        fpr.append(fp / num_frames)
        rbdr.append(tp / len(matched))
        tbdr.append(detected / len(track_regions))
    kept = max(i for i, x in enumerate(fpr) if x <= 1) + 1
    fpr, rbdr, tbdr = fpr[:kept], rbdr[:kept], tbdr[:kept]
    if fpr[-1] != 1:
        fpr, rbdr, tbdr = [*fpr, 1.0], [*rbdr, rbdr[-1]], [*tbdr, tbdr[-1]]
    return fpr, rbdr, tbdr, auc(fpr, rbdr), auc(fpr, tbdr)


def random_case(rng):
    tracks, dets, frames = [], [], 0
    for _ in range(rng.integers(1, 6)):
        length = int(rng.integers(3, 25))
        frames += length
        video_tracks, gt_boxes = [], []
        for object_id in range(rng.integers(0, 5)):
            start = int(rng.integers(0, length))
            boxes = []
            for frame in range(start, int(rng.integers(start, length)) + 1):
                x, y = rng.integers(0, 30, size=2)
                w, h = rng.integers(0, 12, size=2)
                boxes.append((frame, int(x), int(y), int(x + w), int(y + h)))
            if boxes and rng.random() < 0.2:
                boxes.append((boxes[0][0], 0, 0, 5, 5))  # a frame listed twice
            if rng.random() < 0.1:
                boxes = []
            video_tracks.append(Track(object_id, start, length - 1, bool(rng.random() < 0.85), tuple(boxes)))
            gt_boxes += boxes
        rows = []
        for _ in range(rng.integers(0, 80)):
            if gt_boxes and rng.random() < 0.6:  # near a ground-truth box
                frame, *box = gt_boxes[rng.integers(len(gt_boxes))]
                box = np.array(box) + rng.integers(-3, 4, size=4)
                box[2:] = np.maximum(box[2:], box[:2])
            else:
                frame, xy = int(rng.integers(0, length)), rng.integers(0, 30, size=2)
                box = np.concatenate([xy, xy + rng.integers(0, 12, size=2)])
            rows.append((frame, *box, rng.integers(0, 8) / 8))  # few distinct scores: many ties
        tracks.append(video_tracks)
        dets.append(detections(*rows))
    return dets, tracks, frames


@pytest.mark.parametrize("seed", range(40))
def test_matches_the_loop_oracle(seed):
    rng = np.random.default_rng(seed)
    dets, tracks, frames = random_case(rng)
    num_frames = int(rng.choice([frames, max(1, frames // 8)]))  # the smaller one cuts most curves
    alpha, beta = [(0.1, 0.1), (0.5, 0.3), (1.0, 0.05)][seed % 3]
    result = detection_curves(dets, tracks, num_frames, alpha=alpha, beta=beta)
    if result is None:
        assert not any(t.abnormal and t.boxes for video_tracks in tracks for t in video_tracks)
        return
    fpr, rbdr, tbdr, rbdc, tbdc = oracle(dets, tracks, num_frames, alpha, beta)
    np.testing.assert_array_equal(result.fpr, fpr)
    np.testing.assert_array_equal(result.rbdr, rbdr)
    np.testing.assert_array_equal(result.tbdr, tbdr)
    assert result.rbdc == pytest.approx(rbdc, rel=1e-12, abs=1e-15)
    assert result.tbdc == pytest.approx(tbdc, rel=1e-12, abs=1e-15)


def test_oracle_cases_cover_ties_cuts_and_overlaps():
    """The random cases exercise what they are there for."""
    ties = cuts = overlaps = 0
    for seed in range(40):
        dets, tracks, frames = random_case(np.random.default_rng(seed))
        scores = np.concatenate([d.score for d in dets])
        ties += scores.size > np.unique(scores).size
        cuts += sum(d.frame.size for d in dets) > frames // 8
        keys = [(v, b[0]) for v, vt in enumerate(tracks) for t in vt if t.abnormal for b in t.boxes]
        overlaps += len(keys) > len(set(keys))
    assert ties > 30 and cuts > 20 and overlaps > 20


# Errors.


def test_mismatched_lengths_and_bad_settings():
    with pytest.raises(EvaluationError, match="2 videos of detections but 1 of tracks"):
        detection_curves([Detections.empty(), Detections.empty()], [[track([0])]], num_frames=1)
    with pytest.raises(EvaluationError, match="num_frames must be >= 1"):
        detection_curves([Detections.empty()], [[track([0])]], num_frames=0)
    for setting in [{"alpha": 0.0}, {"beta": 1.5}]:
        with pytest.raises(ConfigError, match="must lie in"):
            detection_curves([Detections.empty()], [[track([0])]], num_frames=1, **setting)
    with pytest.raises(EvaluationError, match="ground-truth track has a box with x_max < x_min"):
        detection_curves([Detections.empty()], [[track([0], box=(5, 0, 4, 9))]], num_frames=1)


@pytest.mark.parametrize(
    ("frame", "boxes", "score", "message"),
    [
        (np.zeros(2, int), np.zeros((2, 3), int), np.zeros(2), "boxes n x 4"),
        (np.zeros(2, int), np.zeros((2, 4), int), np.zeros(3), "score"),
        (np.zeros((2, 1), int), np.zeros((2, 4), int), np.zeros(2), "frame n"),
        (np.zeros(1, int), np.zeros((1, 4)), np.zeros(1), "must be integers"),
        (np.zeros(1, int), np.zeros((1, 4), int), np.array([np.nan]), "finite"),
        (np.zeros(1, int), np.array([[0, 5, 9, 4]]), np.zeros(1), "y_max < y_min"),
    ],
)
def test_bad_detections(frame, boxes, score, message):
    with pytest.raises(EvaluationError, match=message):
        Detections(frame, boxes, score)


def test_detections_are_normalised():
    d = Detections([1, 2], [[0, 0, 1, 1], [2, 2, 3, 3]], [1, 0])
    assert d.frame.dtype == np.int64 and d.boxes.dtype == np.int64 and d.score.dtype == np.float64
    assert isinstance(detection_curves([d], [[track([1])]], num_frames=2), DetectionCurves)
