"""CUHK Avenue, read as its official archives unpack or in the ano_pred "frames" variant.

Official (two zips, side by side, merged, or ``ground_truth_demo/`` unzipped inside ``Avenue Dataset/``)::

    Avenue Dataset/training_videos/01.avi ... 16.avi
    Avenue Dataset/testing_videos/01.avi ... 21.avi
    ground_truth_demo/testing_label_mask/1_label.mat ... 21_label.mat   (volLabel: 1 x N cell of h x w masks)

Frames variant::

    training/frames/01/0000.jpg ...   testing/frames/01/0000.jpg ...   avenue.mat   (gt: 21 cells of 2 x K intervals)

Frame-level ground truth ``gt``: "masks" (a frame is abnormal iff its volLabel mask has a nonzero pixel; 3,712
abnormal test frames; videos 08 and 18 entirely abnormal) or "intervals" (``avenue.mat``, 1-based inclusive;
3,867 abnormal frames; the labels of FFP, MNAD and MA-PDM).

The archives have no object tracks; the ``tracks`` setting names a folder of MERL's Street-Scene-style region files
(``StreetSceneTracks``) that RBDC and TBDC need.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

from vadbench.components import Track, Video
from vadbench.data.resize import resize_labels
from vadbench.errors import ConfigError, DatasetError
from vadbench_plugins.datasets.base import FileDataset, natural_str, require, source_count
from vadbench_plugins.datasets.track_folder import Region, TrackFolder, integer, number, text_rows

GT_CHOICES = ("masks", "intervals")
LAYOUTS = ("auto", "videos", "frames")
SPLIT_FOLDERS = {"train": "training", "test": "testing"}
DEMO = "ground_truth_demo"  # its testing_videos/ are demo copies, never the test set
TRACK_FILE = re.compile(r"^(?:Test(\d+)_gt|(\d+))\.txt$")
STREET_SCENE_COLUMNS = "filename track_id x_center y_center width height"


class StreetSceneTracks(TrackFolder):
    """MERL's Street-Scene-style Avenue region files (merl.com/demos/video-anomaly-detection), one per test video,
    ``Test<N>_gt.txt`` or ``<N>.txt`` (matched by the number N): whitespace-separated rows ``<filename> <track_id>
    <x_center> <y_center> <width> <height>``, the file name being the 1-based frame (``0001.jpg``).

    Converted as the AED evaluation's reader of these files: frame = number - 1, x1 = floor(xc - w / 2),
    y1 = floor(yc - h / 2), x2 = ceil(x1 + w), y2 = ceil(y1 + h) (from the floored x1, y1), every coordinate then
    clipped to the source frame (640x360 for Avenue; the reader clips x1, y1 below and x2, y2 above, which is the
    same for any region that overlaps the frame)."""

    naming = "Test<N>_gt.txt or <N>.txt, e.g. Test001_gt.txt"
    origin = "the Avenue region annotations of merl.com/demos/video-anomaly-detection"

    def file_key(self, name: str) -> int | None:
        match = TRACK_FILE.match(name)
        return None if match is None else int(match.group(1) or match.group(2))

    def video_key(self, video: Video) -> int:
        return int(video.id)

    def expected(self, video: Video) -> str:
        return f"Test{int(video.id):03d}_gt.txt"

    def regions(self, path: Path, shape: tuple[int, int]) -> Iterator[tuple[int, Region]]:
        height, width = shape
        for line, (name, track, *values) in text_rows(path, None, STREET_SCENE_COLUMNS):
            stem = Path(name).stem
            if not stem.isdigit():
                raise DatasetError(f"{path} line {line}: {name!r} is not a frame file name such as 0001.jpg; "
                                   "fix the row")
            x_center, y_center, w, h = (number(path, line, value) for value in values)
            x1, y1 = math.floor(x_center - w / 2), math.floor(y_center - h / 2)
            x2, y2 = math.ceil(x1 + w), math.ceil(y1 + h)
            box = (_clip(x1, width), _clip(y1, height), _clip(x2, width), _clip(y2, height))
            yield line, (integer(path, line, track), int(stem) - 1, *box)


def _clip(value: int, length: int) -> int:
    """A coordinate clipped to the pixels 0 .. length - 1."""
    return min(max(value, 0), length - 1)


class AvenueDataset(FileDataset):
    """CUHK Avenue (Lu, Shi and Jia, ICCV 2013): 16 training and 21 test videos of one scene, 640x360."""

    name = "avenue"

    def __init__(self, root: Any = "data/avenue", size: Any = (128, 128), gt: str = "masks",
                 layout: str = "auto", trim: bool = False, tracks: str = "") -> None:
        super().__init__(root, size, trim)
        if gt not in GT_CHOICES:
            raise ConfigError(f"dataset.avenue.gt must be one of {', '.join(GT_CHOICES)}, got {gt!r}")
        if layout not in LAYOUTS:
            raise ConfigError(f"dataset.avenue.layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.gt, self.layout = gt, layout
        self._volume = functools.lru_cache(maxsize=4)(self._read_volume)
        self.track_folder = StreetSceneTracks(self.name, tracks) if tracks else None

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "gt": self.gt, "layout": self.resolved_layout()}

    # -- where things are ------------------------------------------------------------------------------------

    def _places(self) -> list[Path]:
        """Where Avenue's folders are looked for, in order: the root, its sub-folders (the official zips unpack into
        'Avenue Dataset/' and 'ground_truth_demo/') and a 'ground_truth_demo/' unzipped inside one of them."""
        if not self.root.is_dir():
            raise DatasetError(f"Avenue root {self.root} is not a folder; set dataset.avenue.root, "
                               "VADBENCH_AVENUE_ROOT or registry.yaml defaults.dataset.avenue.root")
        folders = sorted(p for p in self.root.iterdir() if p.is_dir())
        return [self.root, *folders, *(p / DEMO for p in folders if (p / DEMO).is_dir())]

    def _find(self, *parts: str) -> Path | None:
        """The first ``place/parts`` that exists."""
        for place in self._places():
            if place.joinpath(*parts).exists():
                return place.joinpath(*parts)
        return None

    def _videos_dir(self, folder: str) -> Path | None:
        """``<folder>_videos/`` of the official archive, never the demo copies in 'ground_truth_demo/'."""
        for place in self._places():
            if place.name != DEMO and (place / f"{folder}_videos").is_dir():
                return place / f"{folder}_videos"
        return None

    def _frames_dir(self, folder: str) -> Path | None:
        """``<folder>/frames/`` of the frames variant: video folders named by number alone (01 ... 21), so that
        ShanghaiTech's ``testing/frames/01_0014/`` is never taken for Avenue's."""
        for place in self._places():
            frames = place / folder / "frames"
            names = [p.name for p in frames.iterdir() if p.is_dir()] if frames.is_dir() else []
            if names and all(name.isdigit() for name in names):
                return frames
        return None

    def resolved_layout(self) -> str:
        """"videos" or "frames": the setting, or what is on disk when it is "auto" (Avenue's own markers only:
        ``*_videos/`` folders, or number-named frame folders beside Avenue ground truth)."""
        if self.layout != "auto":
            return self.layout
        if self._videos_dir("training") or self._videos_dir("testing"):
            return "videos"
        avenue_truth = self._find("avenue.mat") or self._find("testing_label_mask")
        if avenue_truth and (self._frames_dir("training") or self._frames_dir("testing")):
            return "frames"
        raise DatasetError(
            f"no Avenue dataset under {self.root}: expected 'Avenue Dataset/training_videos/01.avi' (official "
            "archive) or 'training/frames/01/0000.jpg' beside avenue.mat (frames variant); see docs/datasets.md")

    def _split_dir(self, split: str) -> Path:
        folder = SPLIT_FOLDERS[split]
        if self.resolved_layout() == "videos":
            found, expected = self._videos_dir(folder), f"{folder}_videos/"
        else:
            found, expected = self._frames_dir(folder), f"{folder}/frames/ with video folders 01, 02, ..."
        if found is None:
            raise DatasetError(f"Avenue {split} data missing: no '{expected}' under {self.root}; see docs/datasets.md")
        return found

    def _list(self, split: str) -> list[Video]:
        if split not in SPLIT_FOLDERS:
            return []
        folder = self._split_dir(split)
        if self.resolved_layout() == "videos":
            sources = [p for p in folder.iterdir() if p.suffix.lower() == ".avi"]
        else:
            sources = [p for p in folder.iterdir() if p.is_dir()]
        if not sources:
            raise DatasetError(f"Avenue {split} folder {folder} is empty; unpack the dataset again")
        videos = []
        for source in sorted(sources, key=lambda p: natural_str(p.name)):
            count, fps = source_count(source)
            videos.append(Video(source.stem, split, "avenue", count, fps or 25.0, str(source)))
        return videos

    # -- ground truth ------------------------------------------------------------------------------------------

    def _mask_file(self, video: Video) -> Path:
        folder = self._find("testing_label_mask")
        if folder is None:
            raise DatasetError(
                f"Avenue pixel ground truth missing: no 'testing_label_mask' folder under {self.root}; unpack "
                "ground_truth_demo.zip there, or set dataset.avenue.gt=intervals to use avenue.mat")
        return require(folder / f"{int(video.id)}_label.mat", f"the volLabel masks of test video {video.id}")

    def _read_volume(self, video: Video) -> tuple[np.ndarray, np.ndarray]:
        """(labels ``f`` from the full-resolution masks, masks ``f h w`` resized to the frame size)."""
        path = self._mask_file(video)
        try:
            cells = scipy.io.loadmat(path)["volLabel"]
        except NotImplementedError:
            raise DatasetError(f"{path} is a MATLAB v7.3 (HDF5) file; save it again as a v7 MAT file") from None
        except KeyError:
            raise DatasetError(f"{path} has no 'volLabel' variable; it is not an Avenue label file") from None
        except (ValueError, OSError) as error:
            raise DatasetError(f"{path} cannot be read as a MAT file ({error}); download it again") from None
        frames = list(cells[0])  # (1, N) cell: index [0], never iterate the cell itself
        labels = np.array([np.any(mask) for mask in frames], dtype=np.uint8)
        masks = np.stack([resize_labels((mask != 0)[None], self.frame_size)[0] for mask in frames])
        return labels, masks

    @functools.cached_property
    def _intervals(self) -> list[np.ndarray]:
        path = self._find("avenue.mat")
        if path is None:
            raise DatasetError(f"Avenue interval ground truth missing: no avenue.mat under {self.root}; add the "
                               "ano_pred avenue.mat, or set dataset.avenue.gt=masks")
        try:
            cells = np.atleast_1d(scipy.io.loadmat(path, squeeze_me=True)["gt"])
        except KeyError:
            raise DatasetError(f"{path} has no 'gt' variable; it is not the ano_pred avenue.mat") from None
        tests = self._listed("test")
        if len(cells) != len(tests):
            raise DatasetError(f"{path} holds intervals for {len(cells)} videos but {len(tests)} test videos were "
                               "found; the file and the videos come from different releases")
        return [np.asarray(cell, dtype=np.int64).reshape(2, -1) for cell in cells]

    def _interval_labels(self, video: Video) -> np.ndarray:
        index = [v.id for v in self._listed("test")].index(video.id)
        labels = np.zeros(self._listed("test")[index].num_frames, np.uint8)
        for start, end in self._intervals[index].T:
            if start < 1 or end > len(labels):
                raise DatasetError(f"avenue.mat interval {start}-{end} of test video {video.id} lies outside its "
                                   f"{len(labels)} frames; the intervals are 1-based and inclusive")
            labels[start - 1:end] = 1
        return labels

    def _truth_length(self, video: Video) -> int | None:
        if video.split != "test" or self.gt == "intervals":
            return None
        return len(self._volume(video)[0])

    def _ground_truth_files(self) -> list[Path]:
        if self.gt == "intervals":
            path = self._find("avenue.mat")
            return [path] if path else []
        folder = self._find("testing_label_mask")
        return sorted(folder.glob("*_label.mat")) if folder else []

    def _test_labels(self, video: Video) -> np.ndarray:
        """The frame labels of a test video under the ``gt`` setting (before ``trim``)."""
        return self._volume(video)[0] if self.gt == "masks" else self._interval_labels(video)

    def labels(self, video: Video) -> np.ndarray:
        if video.split != "test":
            return np.zeros(video.num_frames, np.uint8)
        return self._usable(video, self._test_labels(video))

    def masks(self, video: Video) -> np.ndarray | None:
        if video.split != "test" or self._find("testing_label_mask") is None:
            return None
        return self._usable(video, self._volume(video)[1])

    def tracks(self, video: Video) -> list[Track] | None:
        """The test video's abnormal tracks from the ``tracks`` folder (``StreetSceneTracks``), one per track id,
        regions scaled from the decoded source frame size; None when ``tracks`` is unset (the archives have none)."""
        return self._folder_tracks(video, self._test_labels)
