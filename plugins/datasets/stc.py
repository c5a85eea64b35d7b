"""ShanghaiTech Campus, read as ``shanghaitech.tar.gz`` unpacks::

    training/videos/01_001.avi ...            (scene 2 digits, clip 3 digits; decoded from video)
    testing/frames/01_0014/000.jpg ...        (sorted numerically, never lexicographically)
    testing/test_frame_mask/01_0014.npy       (uint8 f, 1 = abnormal)
    testing/test_pixel_mask/01_0014.npy       (f h w, nonzero = abnormal)

The scene is the first two digits of a name, so metrics can be reported per scene. The archive has no object
tracks; the ``tracks`` setting names a folder of the AED annotations (``AEDTracks``) that RBDC and TBDC need.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vadbench.components import Track, Video
from vadbench.data.resize import resize_labels
from vadbench.errors import DatasetError
from vadbench_plugins.datasets.base import FileDataset, natural_str, require, source_count
from vadbench_plugins.datasets.track_folder import Region, TrackFolder, integer, text_rows

AED_COLUMNS = "track_id,frame_idx,x_min,y_min,x_max,y_max"


class AEDTracks(TrackFolder):
    """The ShanghaiTech track files of lilygeorgescu/AED (``annotations/ShanghaiTech/<video>.txt``, one per abnormal
    test video): comma-separated rows ``track_id,frame_idx,x_min,y_min,x_max,y_max`` without a header, frame_idx
    0-based and aligned with ``test_frame_mask``, inclusive pixel coordinates of the source frames (856x480)."""

    naming = "<video>.txt, e.g. 01_0014.txt"
    origin = "github.com/lilygeorgescu/AED (annotations/ShanghaiTech/)"

    def file_key(self, name: str) -> str | None:
        return name[:-len(".txt")] if name.endswith(".txt") else None

    def video_key(self, video: Video) -> str:
        return video.id

    def expected(self, video: Video) -> str:
        return f"{video.id}.txt"

    def regions(self, path: Path, shape: tuple[int, int]) -> Iterator[tuple[int, Region]]:
        for line, fields in text_rows(path, ",", AED_COLUMNS):
            yield line, tuple(integer(path, line, field) for field in fields)


class STCDataset(FileDataset):
    """ShanghaiTech Campus (Luo et al., ICCV 2017): 330 training and 107 test videos over 13 scenes, 856x480."""

    name = "stc"

    def __init__(self, root: Any = "data/shanghaitech", size: Any = (128, 128), trim: bool = False,
                 tracks: str = "") -> None:
        super().__init__(root, size, trim)
        self._truth = functools.lru_cache(maxsize=8)(self._read_truth)
        self.track_folder = AEDTracks(self.name, tracks) if tracks else None

    @functools.cached_property
    def base(self) -> Path:
        """The folder holding ``training/`` and ``testing/``: the root or its ``shanghaitech/`` sub-folder."""
        for place in (self.root, self.root / "shanghaitech"):
            if (place / "training").is_dir() or (place / "testing").is_dir():
                return place
        raise DatasetError(f"no ShanghaiTech Campus dataset under {self.root}: expected 'training/videos/*.avi' and "
                           "'testing/frames/'; set dataset.stc.root or VADBENCH_STC_ROOT (see docs/datasets.md)")

    def _list(self, split: str) -> list[Video]:
        if split == "train":
            folder = require(self.base / "training" / "videos", "the training videos SS_VVV.avi")
            sources = [p for p in folder.iterdir() if p.suffix.lower() == ".avi"]
        elif split == "test":
            folder = require(self.base / "testing" / "frames", "one frame folder per test video, e.g. 01_0014/")
            sources = [p for p in folder.iterdir() if p.is_dir()]
        else:
            return []
        if not sources:
            raise DatasetError(f"ShanghaiTech {split} folder {folder} is empty; unpack the dataset again")
        videos = []
        for source in sorted(sources, key=lambda p: natural_str(p.name)):
            if not source.stem[:2].isdigit() or source.stem[2:3] != "_":
                raise DatasetError(f"{source}: ShanghaiTech names start with a 2-digit scene and '_' "
                                   "(e.g. 01_001.avi, 01_0014/); remove or rename the stray entry")
            count, fps = source_count(source)
            videos.append(Video(source.stem, split, source.stem[:2], count, fps or 25.0, str(source)))
        return videos

    def _read_truth(self, video: Video) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels ``f``, masks ``f h w`` at the frame size or None when there is no pixel mask folder)."""
        folder = require(self.base / "testing" / "test_frame_mask", "the frame labels of the test videos, <video>.npy")
        path = require(folder / f"{video.id}.npy", f"the frame labels of test video {video.id}")
        labels = _load(path)
        if labels.ndim != 1:
            raise DatasetError(f"{path} has shape {labels.shape}; frame labels must be one value per frame")
        folder = self.base / "testing" / "test_pixel_mask"
        if not folder.is_dir():
            return labels.astype(np.uint8), None
        path = require(folder / f"{video.id}.npy", f"the pixel masks of test video {video.id}")
        pixels = _load(path)
        if pixels.ndim != 3 or len(pixels) != len(labels):
            raise DatasetError(f"{path} has shape {pixels.shape}; expected ({len(labels)}, height, width) to match "
                               "its frame labels")
        return labels.astype(np.uint8), resize_labels(np.asarray(pixels) != 0, self.frame_size)

    def _truth_length(self, video: Video) -> int | None:
        return len(self._truth(video)[0]) if video.split == "test" else None

    def _ground_truth_files(self) -> list[Path]:
        folders = [self.base / "testing" / name for name in ("test_frame_mask", "test_pixel_mask")]
        return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.npy"))

    def _test_labels(self, video: Video) -> np.ndarray:
        """The frame labels of a test video as ``test_frame_mask`` has them (before ``trim``)."""
        return self._truth(video)[0]

    def labels(self, video: Video) -> np.ndarray:
        if video.split != "test":
            return np.zeros(video.num_frames, np.uint8)
        return self._usable(video, self._test_labels(video))

    def masks(self, video: Video) -> np.ndarray | None:
        masks = self._truth(video)[1] if video.split == "test" else None
        return None if masks is None else self._usable(video, masks)

    def tracks(self, video: Video) -> list[Track] | None:
        """The test video's abnormal tracks from the ``tracks`` folder (``AEDTracks``), one per track id, regions
        scaled from the decoded source frame size; None when ``tracks`` is unset (the archive has none)."""
        return self._folder_tracks(video, self._test_labels)


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r")
    except (ValueError, OSError) as error:
        raise DatasetError(f"{path} is not a readable .npy file ({error}); download the ground truth again") from None
