"""Track ground truth (the regions of RBDC and TBDC): the written layouts read back in each format's conventions,
UBnormal's official sorting and largest-contour rules, and missing, malformed and changed track files."""

import re
from dataclasses import replace

import numpy as np
import pytest

from vadbench.components import Track
from vadbench.data.resize import scale_box
from vadbench.data.video import write_image
from vadbench.errors import DatasetError
from vadbench.plugin_host import catalog

PLUGINS = {"stc": "stc", "avenue": "avenue", "avenue-frames": "avenue", "ubnormal": "ubnormal"}
DEFAULTS = {"avenue-frames": {"gt": "intervals"}}
WIDTH, HEIGHT = 40, 32  # the written resolution (conftest.SIZE), so regions are read at the frame size


def load(key, root, **settings):
    """The dataset of a written layout, with the ``tracks`` setting on its ``tracks/`` folder (STC and Avenue)."""
    tracks = {} if key == "ubnormal" else {"tracks": str(root / "tracks")}
    return catalog("dataset").get(PLUGINS[key]).build(
        **{"root": str(root), "size": [HEIGHT, WIDTH], **DEFAULTS.get(key, {}), **tracks, **settings})


def abnormal(synthetic, source):
    return [track for track in synthetic.tracks(source) if track.abnormal]


def past_the_end(track, clip=False):
    """A synthetic track with x_max, y_max one past the object's last pixel column and row (UBnormal's x + w,
    Avenue's ceil(x1 + w)), clipped to the frame's last pixel when ``clip`` (Avenue)."""
    right, bottom = (WIDTH - 1, HEIGHT - 1) if clip else (WIDTH, HEIGHT)
    return replace(track, boxes=tuple((f, x0, y0, min(x1 + 1, right), min(y1 + 1, bottom))
                                      for f, x0, y0, x1, y1 in track.boxes))


def expected(key, synthetic, source):
    """The tracks each format's files give back for a synthetic test video: STC's AED rows are the inclusive boxes
    themselves, Avenue's centre and size end one pixel further (clipped to the frame), UBnormal's maps give x + w;
    STC and Avenue number their tracks 0, 1, ..., UBnormal keeps the object ids."""
    tracks = abnormal(synthetic, source)
    if key == "ubnormal":
        return [past_the_end(track) for track in tracks]
    tracks = [replace(track, object_id=index) for index, track in enumerate(tracks)]
    return tracks if key == "stc" else [past_the_end(track, clip=True) for track in tracks]


def find_video(dataset, ids, source):
    return next(video for video in dataset.videos("test") if video.id == ids[source.id])


@pytest.mark.parametrize("key", PLUGINS)
def test_tracks_round_trip(key, synthetic, written):
    root, ids = written[key]
    dataset = load(key, root)
    assert dataset.check().ok, dataset.check().problems
    edges = 0
    for source in synthetic.videos("test"):
        tracks = dataset.tracks(find_video(dataset, ids, source))
        assert tracks == expected(key, synthetic, source)
        edges += sum(box[3] >= WIDTH - 1 for track in tracks for box in track.boxes)
    assert edges  # some objects touch the right edge: Avenue clips there, UBnormal ends one pixel past the image
    assert not abnormal(synthetic, synthetic.videos("test")[4])  # so its file is missing, and its tracks are []
    if key != "ubnormal":
        assert all(dataset.tracks(video) == [] for video in dataset.videos("train"))


@pytest.mark.parametrize("key", ["stc", "avenue", "ubnormal"])
def test_regions_are_scaled_from_the_source_frame_size(key, synthetic, written):
    root, ids = written[key]
    dataset = load(key, root, size=[16, 20])
    for source in synthetic.videos("test")[:2]:
        full = expected(key, synthetic, source)
        scaled = [replace(track, boxes=tuple((f, *scale_box(box, (HEIGHT, WIDTH), (16, 20))) for f, *box in
                                             track.boxes)) for track in full]
        assert dataset.tracks(find_video(dataset, ids, source)) == scaled


def ubnormal_case(synthetic, written, copy_of, count):
    """A copy of the UBnormal layout and one of its scene-1 abnormal test videos with ``count`` abnormal tracks (its
    maps are at the frame size): (root, written name, synthetic tracks, annotation folder)."""
    root, ids = copy_of("ubnormal"), written["ubnormal"][1]
    source = next(v for v in synthetic.videos("test") if v.scene == "01" and len(abnormal(synthetic, v)) == count)
    name = ids[source.id]
    return root, name, abnormal(synthetic, source), root / "Scene1" / f"{name}_annotations"


def test_ubnormal_rows_sorted_stably_by_object_id_one_track_per_row(synthetic, written, copy_of):
    root, name, (first, second), folder = ubnormal_case(synthetic, written, copy_of, 2)
    a, b = sorted([first, second], key=lambda track: track.object_id)
    rows = [(b.object_id, b.end - 3, b.end), (a.object_id, a.end - 2, a.end), (b.object_id, b.start, b.start + 2),
            (a.object_id, a.start - 4, a.start + 1)]  # unsorted, ids repeated, the last row starts before a shows
    (folder / f"{name}_new_tracks.txt").write_text("\n".join(",".join(map(str, row)) for row in rows))
    dataset = load("ubnormal", root)
    video = next(v for v in dataset.videos("test") if v.id == name)
    tracks = dataset.tracks(video)
    order = [rows[1], rows[3], rows[0], rows[2]]  # by object id, each id's rows in file order (a stable sort)
    assert [(t.object_id, t.start, t.end) for t in tracks] == order
    for track, (object_id, start, end) in zip(tracks, order):
        whole = past_the_end(a if object_id == a.object_id else b)
        assert track.boxes == tuple(box for box in whole.boxes if start <= box[0] <= end)
    assert tracks[1].boxes[0][0] == a.start  # frames where the object has no pixel give no region


def test_ubnormal_region_is_the_largest_contour_rect(synthetic, written, copy_of):
    root, name, (track,), folder = ubnormal_case(synthetic, written, copy_of, 1)
    frame, object_id = track.start, track.object_id
    pieces = np.zeros((2, HEIGHT, WIDTH), np.uint8)
    pieces[0, 2:8, 2:8] = object_id  # a 6x6 square and a 9x9 one: the larger
    pieces[0, 12:21, 25:34] = object_id
    pieces[1, 2:8, 2:8] = object_id  # a filled 6x6 square and a 9-pixel diagonal: the official script compares
    pieces[1, np.arange(12, 21), np.arange(25, 34)] = object_id  # bounding-rect areas (81 > 36), not contour areas
    for offset, objects in enumerate(pieces):
        write_image(folder / f"{name}_{frame + offset:04d}_gt.png", objects)
    (folder / f"{name}_new_tracks.txt").write_text(f"{object_id},{frame},{frame + 1}")
    dataset = load("ubnormal", root)
    regions = ((frame, 25, 12, 34, 21), (frame + 1, 25, 12, 34, 21))  # [x, y, x + w, y + h]
    assert dataset.tracks(next(v for v in dataset.videos("test") if v.id == name)) == \
        [Track(object_id, frame, frame + 1, True, regions)]


def _track_file(key, root, dataset, number):
    """The track file of the ``number``-th test video (0-based) and that video."""
    video = dataset.videos("test")[number]
    return root / "tracks" / (f"{video.id}.txt" if key == "stc" else f"Test{int(video.id):03d}_gt.txt"), video


@pytest.mark.parametrize("key", ["stc", "avenue"])
def test_missing_track_file_of_an_abnormal_video(key, copy_of):
    root = copy_of(key)
    path, video = _track_file(key, root, load(key, root), 1)
    path.unlink()
    dataset = load(key, root)
    with pytest.raises(DatasetError, match=rf"{re.escape(str(path))} is missing: .* {video.id} has \d+ abnormal "
                                           rf"frames.*unset dataset\.{key}\.tracks"):
        dataset.tracks(video)
    problems = load(key, root).check().problems
    assert len(problems) == 1 and str(path) in problems[0], problems
    assert dataset.tracks(dataset.videos("test")[0])  # the other videos still read


def test_tracks_setting_must_name_a_folder(tmp_path, written):
    dataset = load("stc", written["stc"][0], tracks=str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(tmp_path / 'nowhere'))} is not a folder: "
                                           r"dataset\.stc\.tracks"):
        dataset.tracks(dataset.videos("test")[0])


@pytest.mark.parametrize("key, row, message", [
    ("stc", "0,5,1,2,3", "5 fields where rows are 'track_id,frame_idx,x_min,y_min,x_max,y_max'"),
    ("stc", "0,5,1,2,x,4", "'x' is not a number"),
    ("stc", "0,5,1,2,3.5,4", "'3.5' is not an integer"),
    ("stc", "0,60,1,2,3,4", "frame 60 is outside the 60 frames"),
    ("stc", "0,5,6,2,3,4", "x_min > x_max"),
    ("avenue", "0006.jpg 0 10 10 4", "5 fields where rows are 'filename track_id"),
    ("avenue", "first.jpg 0 10 10 4 4", "'first.jpg' is not a frame file name"),
    ("avenue", "0000.jpg 0 10 10 4 4", "frame -1 is outside the 60 frames"),
    ("avenue", "0006.jpg 0 10 nan 4 4", "'nan' is not a number"),
])
def test_malformed_row_names_the_file_and_line(key, row, message, copy_of):
    root = copy_of(key)
    path, video = _track_file(key, root, load(key, root), 0)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + [row] + lines[2:]))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(path))} line 3: .*{re.escape(message)}"):
        load(key, root).tracks(video)
    assert any(f"{path} line 3" in problem for problem in load(key, root).check().problems)


@pytest.mark.parametrize("key", ["stc", "avenue"])
def test_a_second_region_of_a_track_in_one_frame(key, copy_of):
    root = copy_of(key)
    path, video = _track_file(key, root, load(key, root), 0)
    first = path.read_text().splitlines()[0]
    path.write_text(path.read_text() + first + "\n")
    with pytest.raises(DatasetError, match=rf"{re.escape(str(path))} line \d+: track 0 already has a region"):
        load(key, root).tracks(video)


def test_avenue_track_files_are_matched_by_number(copy_of):
    root = copy_of("avenue")
    dataset = load("avenue", root)
    video = dataset.videos("test")[2]
    tracks = dataset.tracks(video)
    (root / "tracks" / "Test003_gt.txt").rename(root / "tracks" / "3.txt")
    (root / "tracks" / "readme.txt").write_text("not a track file")
    assert load("avenue", root).tracks(video) == tracks
    (root / "tracks" / "03.txt").write_text((root / "tracks" / "3.txt").read_text())
    with pytest.raises(DatasetError, match=r"3\.txt and .*3\.txt both hold the tracks of one video"):
        load("avenue", root).tracks(video)


@pytest.mark.parametrize("key", ["stc", "avenue", "ubnormal"])
def test_a_changed_track_file_changes_the_fingerprint(key, copy_of):
    root = copy_of(key)
    first = load(key, root).fingerprint()
    assert load(key, root).fingerprint() == first
    if key == "ubnormal":
        path = next(root.glob("Scene1/abnormal_*_annotations/*_tracks.txt"))
        path.with_name(path.name.replace("_tracks", "_new_tracks")).write_text(path.read_text())
    else:
        assert load(key, root, tracks="").fingerprint() != first
        path = _track_file(key, root, load(key, root), 0)[0]
        path.write_text(path.read_text() + "\n")
    assert load(key, root).fingerprint() != first


def test_trim_cuts_the_tracks_with_the_frames(synthetic, written, copy_of):
    root, ids = copy_of("stc"), written["stc"][1]
    source = next(v for v in synthetic.videos("test") if any(t.end == 59 for t in abnormal(synthetic, v)))
    (root / "testing" / "frames" / ids[source.id] / "059.jpg").unlink()
    dataset = load("stc", root, trim=True)
    cut = [replace(track, end=min(track.end, 58), boxes=track.boxes[:-1] if track.end == 59 else track.boxes)
           for track in expected("stc", synthetic, source)]
    assert dataset.tracks(find_video(dataset, ids, source)) == cut
