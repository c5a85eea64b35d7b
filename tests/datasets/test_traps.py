"""The traps of the real downloads, each answered by one clear DatasetError (and reported, not raised, by check)."""

import re
import shutil
import struct

import numpy as np
import pytest

from vadbench.data.video import decodable_frames, video_info
from vadbench.errors import DatasetError
from vadbench.plugin_host import catalog


def load(plugin, root, **settings):
    return catalog("dataset").get(plugin).build(**{"root": str(root), "size": [32, 40], **settings})


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


def _boxes(data, start, end):
    """(type, offset, size) of the MP4 boxes in ``data[start:end]``."""
    while start < end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        yield kind, start, size
        start += size


def _shift_chunk_offsets(moov, start, end, delta):
    """Add ``delta`` to every 'stco' chunk offset inside ``moov[start:end]``."""
    for kind, at, size in list(_boxes(moov, start, end)):
        if kind in (b"trak", b"mdia", b"minf", b"stbl"):
            _shift_chunk_offsets(moov, at + 8, at + size, delta)
        elif kind == b"stco":
            (count,) = struct.unpack(">I", moov[at + 12:at + 16])
            offsets = np.frombuffer(moov[at + 16:at + 16 + 4 * count], ">u4") + delta
            moov[at + 16:at + 16 + 4 * count] = offsets.astype(">u4").tobytes()


def faststart(path):
    """Rewrite an MP4 with its 'moov' index before the media data, as files for the web are (OpenCV writes it last):
    cut short, such a file still opens and its header still claims every frame."""
    data = path.read_bytes()
    boxes = list(_boxes(data, 0, len(data)))
    assert boxes[0][0] == b"ftyp"
    moov = next(bytearray(data[at:at + size]) for kind, at, size in boxes if kind == b"moov")
    _shift_chunk_offsets(moov, 8, len(moov), len(moov))
    rest = b"".join(data[at:at + size] for kind, at, size in boxes if kind not in (b"ftyp", b"moov"))
    path.write_bytes(data[:boxes[0][2]] + bytes(moov) + rest)


def truncate(path, fraction):
    path.write_bytes(path.read_bytes()[:int(path.stat().st_size * fraction)])


def test_check_reads_the_last_frame_a_truncated_avi_claims(copy_of):
    root = copy_of("avenue")
    for folder in ("testing_videos", "training_videos"):
        truncate(root / "Avenue Dataset" / folder / "01.avi", 0.6)
    report = load("avenue", root).check()
    for folder in ("testing_videos", "training_videos"):
        assert any(re.search(rf"{folder}/01\.avi: the container header claims 60 frames but \d+ decode; .*"
                             "re-download or re-encode", problem) for problem in report.problems), report.problems
    assert any(re.search(r"avenue video 01: .* has \d+ frames that decode but its ground truth has 60", problem)
               for problem in report.problems)
    assert report.frames["test"] < 10 * 60  # the frames that decode, not the header's


def test_check_reads_the_last_frame_a_truncated_faststart_mp4_claims(copy_of):
    root = copy_of("ubnormal")
    path = sorted(root.glob("Scene1/abnormal_*.mp4"))[0]
    faststart(path)
    assert decodable_frames(path, 60) == 60 and load("ubnormal", root).check().ok  # the rewrite is a valid MP4
    truncate(path, 0.7)
    assert video_info(path)[0] == 60  # the header still claims every frame
    problems = load("ubnormal", root).check().problems
    assert any(f"{path.name}: the container header claims 60 frames but" in problem and "re-download" in problem
               for problem in problems), problems
    assert any(f"{path.stem}: " in problem and "ground truth has 60" in problem for problem in problems)


@pytest.mark.parametrize("key, settings, missing", [("stc", {}, "002.jpg"), ("stc", {}, "000.jpg"),
                                                    ("avenue-frames", {"gt": "intervals"}, "0002.jpg")])
def test_frame_folder_gap_names_the_missing_file_and_is_never_trimmed(key, settings, missing, copy_of):
    root = copy_of(key)
    folder = sorted((root / "testing" / "frames").iterdir())[0]
    (folder / missing).unlink()
    message = rf"{re.escape(str(folder / missing))} is missing"
    for trim in (False, True):  # trimming to the labels' length would shift every frame after the gap
        dataset = load(key.split("-")[0], root, trim=trim, **settings)
        with pytest.raises(DatasetError, match=message):  # with trim, listing decodes and so raises already
            dataset.frames(next(v for v in dataset.videos("test") if v.id == folder.name))
        assert sum(bool(re.search(message, problem)) for problem in dataset.check().problems) == 1


def _ubnormal_video(root, written_ids):
    """An abnormal test video of the written UBnormal layout, its synthetic id and its annotation folder."""
    name = sorted(p.stem for p in root.glob("Scene1/abnormal_*.mp4"))[0]
    source = next(key for key, value in written_ids.items() if value == name)
    return name, source, root / "Scene1" / f"{name}_annotations"


def test_ubnormal_masks_are_read_by_frame_number(copy_of, written, synthetic):
    root = copy_of("ubnormal")
    name, source, folder = _ubnormal_video(root, written["ubnormal"][1])
    (folder / f"._{name}_0000_gt.png").write_bytes(b"\x00\x05\x16\x07")  # macOS AppleDouble litter sorts first
    dataset = load("ubnormal", root)
    video = next(v for v in dataset.videos("test") if v.id == name)
    source_video = next(v for v in synthetic.videos("test") if v.id == source)
    np.testing.assert_array_equal(dataset.masks(video), synthetic.masks(source_video))
    assert dataset.check().ok, dataset.check().problems


def test_ubnormal_missing_object_map_is_named(copy_of, written):
    root = copy_of("ubnormal")
    name, _, folder = _ubnormal_video(root, written["ubnormal"][1])
    (folder / f"{name}_0005_gt.png").unlink()
    for trim in (False, True):  # by position, frame 6's map would silently become frame 5's
        dataset = load("ubnormal", root, trim=trim)
        with pytest.raises(DatasetError, match=rf"{name}_0005_gt\.png is missing: {name} has 60 frames"):
            dataset.masks(next(v for v in dataset.videos("test") if v.id == name))
        assert any(f"{name}_0005_gt.png is missing" in problem for problem in dataset.check().problems)


def test_avenue_finds_ground_truth_demo_inside_avenue_dataset(copy_of, written, synthetic):
    root = copy_of("avenue")
    shutil.move(root / "ground_truth_demo", root / "Avenue Dataset" / "ground_truth_demo")
    dataset = load("avenue", root)
    assert dataset.check().ok, dataset.check().problems
    video = dataset.videos("test")[0]
    source = next(v for v in synthetic.videos("test") if written["avenue"][1][v.id] == video.id)
    np.testing.assert_array_equal(dataset.labels(video), synthetic.labels(source))


def test_avenue_never_takes_shanghaitech_frames_for_its_frames_variant(copy_of, written):
    root = copy_of("stc")
    shutil.copy(written["avenue"][0] / "avenue.mat", root / "avenue.mat")  # even beside an avenue.mat
    with pytest.raises(DatasetError, match="no Avenue dataset under"):
        load("avenue", root).videos("test")
    with pytest.raises(DatasetError, match=r"no 'testing/frames/ with video folders 01, 02, \.\.\.'"):
        load("avenue", root, layout="frames", gt="intervals").videos("test")
    problems = load("avenue", root).check().problems
    assert len(problems) == 1 and "no Avenue dataset under" in problems[0]


def test_a_problem_shared_by_every_video_is_reported_once(copy_of, written):
    problems = load("avenue", written["avenue-frames"][0]).check().problems  # gt=masks, no testing_label_mask
    assert sum("testing_label_mask" in problem for problem in problems) == 1, problems
    root = copy_of("stc")
    shutil.rmtree(root / "testing" / "test_frame_mask")
    problems = load("stc", root).check().problems
    assert problems == [f"{root / 'testing' / 'test_frame_mask'} is missing: expected the frame labels of the test "
                        "videos, <video>.npy; see docs/datasets.md for the layout"]
