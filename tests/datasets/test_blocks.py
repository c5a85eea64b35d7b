"""vadbench.data: video and image I/O, resizing and the frame cache."""

from pathlib import Path

import numpy as np
import pytest

from vadbench.data.cache import FrameCache
from vadbench.data.resize import resize_labels, scale_box
from vadbench.data.video import image_files, read_video, video_info, write_image, write_video
from vadbench.errors import DatasetError


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_video_round_trip(tmp_path, suffix):
    frames = np.random.default_rng(0).integers(0, 255, (12, 24, 32, 3), dtype=np.uint8)
    frames[:] = frames[:, :1, :1]  # flat colours compress well
    write_video(tmp_path / f"v{suffix}", frames, 25)
    decoded = np.stack(list(read_video(tmp_path / f"v{suffix}")))
    assert video_info(tmp_path / f"v{suffix}") == (12, 25.0)
    assert decoded.shape == frames.shape and np.abs(decoded.astype(int) - frames).mean() < 8


def test_unreadable_video(tmp_path):
    (tmp_path / "bad.avi").write_bytes(b"not a video")
    with pytest.raises(DatasetError, match="bad.avi"):
        video_info(tmp_path / "bad.avi")


def test_image_files_sort_numerically(tmp_path):
    for index in (10, 2, 1):
        write_image(tmp_path / f"{index}.jpg", np.zeros((4, 4, 3), np.uint8))
    assert [p.name for p in image_files(tmp_path)] == ["1.jpg", "2.jpg", "10.jpg"]


def test_resize_labels_keeps_values_and_scale_box_maps_inclusive_edges():
    maps = np.zeros((1, 8, 8), np.uint8)
    maps[0, 2:6, 4:8] = 7
    small = resize_labels(maps, (4, 4))
    assert set(np.unique(small)) == {0, 7} and (small[0, 1:3, 2:4] == 7).all()
    assert scale_box((4, 2, 7, 5), (8, 8), (4, 4)) == (2, 1, 3, 2)


def test_cache_store_load_and_ignore_temporary_files(tmp_path):
    cache = FrameCache(tmp_path)
    frames = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    assert cache.load("d", "v", (4, 5), "abc") is None
    temporary = cache.path("d", "v", (4, 5), "abc")
    temporary.parent.mkdir(parents=True)
    Path(temporary.parent / f".{temporary.stem}.1.x.tmp.npy").write_bytes(b"half")
    assert cache.load("d", "v", (4, 5), "abc") is None  # a half-written entry is never read
    stored = cache.store("d", "v", (4, 5), "abc", iter(frames))
    assert isinstance(stored, np.memmap)
    np.testing.assert_array_equal(cache.load("d", "v", (4, 5), "abc"), frames)
    calls = []
    cache.get("d", "v", (4, 5), "abc", lambda: calls.append(1))
    assert not calls
    cache.store("d", "v", (4, 5), "new", frames)
    assert cache.load("d", "v", (4, 5), "abc") is None  # the stale entry was removed
    with pytest.raises(ValueError, match=r"uint8 \(f, 4, 5, 3\)"):
        cache.store("d", "v", (4, 5), "x", frames[:, :2])
