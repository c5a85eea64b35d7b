"""The traps of the real downloads, each answered by one clear DatasetError (and reported, not raised, by check)."""

import numpy as np
import pytest

from vadbench.errors import DatasetError
from vadbench.plugins import registry


def load(plugin, root, **settings):
    return registry("dataset").get(plugin).build(**{"root": str(root), "size": [32, 40], **settings})


def test_avenue_mask_files_are_not_zero_padded_and_map_numerically(written):
    root, _ = written["avenue"]
    names = sorted(p.name for p in (root / "ground_truth_demo" / "testing_label_mask").iterdir())
    assert names[:3] == ["10_label.mat", "1_label.mat", "2_label.mat"]  # lexicographic order would misalign
    dataset = load("avenue", root)
    assert [v.id for v in dataset.videos("test")][-2:] == ["09", "10"]


def test_avenue_frames_variant_needs_intervals_or_masks(written):
    root, _ = written["avenue-frames"]
    dataset = load("avenue", root)  # gt=masks by default; the frames variant ships only avenue.mat
    assert dataset.resolved_layout() == "frames"
    with pytest.raises(DatasetError, match="testing_label_mask.*gt=intervals"):
        dataset.labels(dataset.videos("test")[0])
    assert not dataset.check().ok


def test_ubnormal_float_rows_and_repeated_ids(copy_of):
    root = copy_of("ubnormal")
    floats = [p for p in root.glob("Scene2/*_annotations/*_tracks.txt")]
    assert floats and "e+" in floats[0].read_text()  # np.savetxt default format, as in 25 real files
    dataset = load("ubnormal", root)
    video = next(v for v in dataset.videos("test") if v.id.startswith("abnormal_scene_2"))
    (object_id, start, end), *_ = np.loadtxt(floats[0], delimiter=",", ndmin=2).astype(int)
    path = root / "Scene2" / f"{video.id}_annotations" / f"{video.id}_tracks.txt"
    path.write_text(f"{object_id}.0,{start},{start + 1}\n{object_id:.18e},{end - 1:.18e},{end:.18e}")
    labels = load("ubnormal", root).labels(video)
    assert np.flatnonzero(labels).tolist() == [start, start + 1, end - 1, end]
    tracks = load("ubnormal", root).tracks(video)
    assert [(t.object_id, t.start, t.end) for t in tracks] == [(object_id, start, start + 1),
                                                                (object_id, end - 1, end)]


def test_ubnormal_missing_split_file(copy_of):
    root = copy_of("ubnormal")
    (root / "scripts" / "normal_test_video_names.txt").unlink()
    with pytest.raises(DatasetError, match="normal_test_video_names.txt.*lilygeorgescu/UBnormal"):
        load("ubnormal", root).videos("test")
    report = load("ubnormal", root).check()
    assert not report.ok and "normal_test_video_names.txt" in report.problems[0]


def test_ubnormal_split_file_without_final_newline_and_irregular_names(written):
    root, _ = written["ubnormal"]
    text = (root / "scripts" / "normal_training_video_names.txt").read_text()
    assert not text.endswith("\n") and "normal_scene_1_scenario1_1" in text
    assert "normal_scene_1_scenario1_1" in [v.id for v in load("ubnormal", root).videos("train")]


def test_truncated_video(copy_of):
    root = copy_of("avenue")
    path = root / "Avenue Dataset" / "testing_videos" / "01.avi"
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 6 // 10])
    dataset = load("avenue", root)
    with pytest.raises(DatasetError, match=r"01.*(truncated|corrupt)"):
        video = next(v for v in dataset.videos("test") if v.id == "01")
        dataset.frames(video)


def test_label_frame_count_mismatch_and_trim(copy_of):
    root = copy_of("stc")
    folder = sorted((root / "testing" / "frames").iterdir())[0]
    sorted(folder.iterdir())[-1].unlink()
    dataset = load("stc", root)
    video = dataset.videos("test")[0]
    with pytest.raises(DatasetError, match=rf"{folder.name}: decoded 59 frames .* ground truth has 60.*trim=true"):
        dataset.frames(video)
    assert any(folder.name in problem for problem in dataset.check().problems)
    trimmed = load("stc", root, trim=True)
    video = trimmed.videos("test")[0]
    assert video.num_frames == 59
    assert len(trimmed.frames(video)) == len(trimmed.labels(video)) == len(trimmed.masks(video)) == 59


def test_corrupt_jpeg(copy_of):
    root = copy_of("stc")
    image = sorted(sorted((root / "testing" / "frames").iterdir())[0].iterdir())[5]
    image.write_bytes(image.read_bytes()[:200])
    dataset = load("stc", root)
    with pytest.raises(DatasetError, match=rf"{image.name} is truncated or corrupt"):
        dataset.frames(dataset.videos("test")[0])


def test_empty_folders(copy_of, tmp_path):
    root = copy_of("stc")
    (root / "testing" / "frames" / "01_0099").mkdir()
    with pytest.raises(DatasetError, match="01_0099 holds no images"):
        load("stc", root).videos("test")
    (tmp_path / "empty").mkdir()
    for plugin in ("avenue", "stc", "ubnormal"):
        report = load(plugin, tmp_path / "empty").check()
        assert not report.ok and str(tmp_path / "empty") in report.problems[0]


def test_stale_cache_entry_is_replaced_when_the_source_changes(copy_of):
    root = copy_of("avenue")
    dataset = load("avenue", root)
    video = dataset.videos("train")[0]
    first = np.array(dataset.frames(video))
    entries = list(dataset.cache.root.rglob("*.npy"))
    source = root / "Avenue Dataset" / "training_videos" / "01.avi"
    source.write_bytes((root / "Avenue Dataset" / "training_videos" / "02.avi").read_bytes())
    changed = load("avenue", root)
    second = changed.frames(changed.videos("train")[0])
    assert np.abs(second.astype(int) - first).mean() > 5
    assert len(list(dataset.cache.root.rglob("*.npy"))) == len(entries)  # the old entry is gone
