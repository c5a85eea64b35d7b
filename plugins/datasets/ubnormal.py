"""UBnormal, read as its archive unpacks, with the official split lists (``scripts/*.txt`` of the UBnormal
repository)::

    Scene1/abnormal_scene_1_scenario_1.mp4
    Scene1/abnormal_scene_1_scenario_1_annotations/abnormal_scene_1_scenario_1_0000_gt.png   (object id map of frame 0)
    Scene1/abnormal_scene_1_scenario_1_annotations/abnormal_scene_1_scenario_1_tracks.txt    (object_id,start,end)
    scripts/{abnormal,normal}_{training,validation,test}_video_names.txt

Frame labels follow ``write_frame_level_ground_truth.py``: frame f is abnormal iff some ``_tracks.txt`` row has
start <= f <= end (0-based, inclusive). Pixel masks are the object maps restricted to those rows' objects and
frames. Tracks follow ``create_tracks_for_tbdc_rbdc.py`` (see ``UBnormalDataset.tracks``). As in those scripts a
video has the frame count of its container header, and the map of frame i is ``'%s_%04d_gt.png' % (video, i)``:
maps are found by number, never by position in the folder.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vadbench.components import Track, Video
from vadbench.data.resize import resize_labels, scale_box
from vadbench.data.video import read_images, video_info
from vadbench.errors import ConfigError, DatasetError
from vadbench_plugins.datasets.base import FileDataset, require

NAME = re.compile(r"^(abnormal|normal)_scene_(\d+)_scenario_?(\d+)(?:_(\d+))?(?:_(fog|fire|smoke))?$")
SPLIT_FILES = {"train": "training", "validation": "validation", "test": "test"}
TRAIN_CHOICES = ("normal", "all")


class UBnormalDataset(FileDataset):
    """UBnormal (Acsintoae et al., CVPR 2022): 543 synthetic videos in 29 scenes, 268 / 64 / 211 per split."""

    name = "ubnormal"

    def __init__(self, root: Any = "data/ubnormal", size: Any = (128, 128), splits: str = "",
                 train: str = "normal", trim: bool = False) -> None:
        super().__init__(root, size, trim)
        if train not in TRAIN_CHOICES:
            raise ConfigError(f"dataset.ubnormal.train must be one of {', '.join(TRAIN_CHOICES)}, got {train!r}")
        self.splits, self.train = str(splits), train
        self._truth = functools.lru_cache(maxsize=4)(self._read_truth)
        self._maps = functools.lru_cache(maxsize=None)(self._map_files)
        # every job that localises reads every test video's tracks; decoding their object maps once is enough
        self._tracks = functools.lru_cache(maxsize=None)(self._read_tracks)

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "train": self.train}

    def _split_file(self, kind: str, split: str) -> Path:
        name = f"{kind}_{SPLIT_FILES[split]}_video_names.txt"
        places = [Path(self.splits).expanduser()] if self.splits else [self.root / "scripts", self.root]
        for place in places:
            if (place / name).is_file():
                return place / name
        raise DatasetError(f"UBnormal split file {name} not found in {' or '.join(map(str, places))}; copy the "
                           "six *_video_names.txt files from github.com/lilygeorgescu/UBnormal/tree/main/scripts "
                           "there, or set dataset.ubnormal.splits to their folder")

    def _list(self, split: str) -> list[Video]:
        if not self.root.is_dir():
            raise DatasetError(f"UBnormal root {self.root} is not a folder; set dataset.ubnormal.root, "
                               "VADBENCH_UBNORMAL_ROOT or registry.yaml defaults.dataset.ubnormal.root")
        kinds = ("normal",) if split == "train" and self.train == "normal" else ("abnormal", "normal")
        videos = []
        for kind in kinds:
            path = self._split_file(kind, split)
            for line, name in enumerate(path.read_text().splitlines(), start=1):
                name = name.strip()
                if not name:
                    continue
                match = NAME.match(name)
                if match is None or match.group(1) != kind:
                    raise DatasetError(f"{path} line {line}: {name!r} is not a UBnormal {kind} video name "
                                       f"({kind}_scene_N_scenario_M...)")
                scene = name.split("_")[2]
                source = require(self.root / f"Scene{scene}" / f"{name}.mp4", f"the video listed in {path.name}")
                count, fps = video_info(source)
                videos.append(Video(name, split, scene, count, fps or 30.0, str(source)))
        return videos

    def _annotations(self, video: Video) -> Path:
        return Path(video.source).with_name(f"{video.id}_annotations")

    def _rows(self, video: Video, new: bool = False) -> np.ndarray:
        """int ``k 3`` rows (object_id, start, end) of ``_tracks.txt`` (or ``_new_tracks.txt``); none for normal
        videos. Values may be written as floats in scientific notation."""
        if video.id.startswith("normal_"):
            return np.zeros((0, 3), np.int64)
        folder = self._annotations(video)
        path = folder / f"{video.id}_new_tracks.txt"
        if not (new and path.is_file()):
            path = require(folder / f"{video.id}_tracks.txt", "the object_id,start,end rows of an abnormal video")
        try:
            rows = np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError as error:
            raise DatasetError(f"{path} is malformed ({error}); rows must be object_id,start,end") from None
        if rows.shape[1] != 3:
            raise DatasetError(f"{path} has {rows.shape[1]} columns; rows must be object_id,start,end")
        return rows.astype(np.int64)

    def _map_files(self, video: Video) -> list[Path]:
        """The object map of every frame the container header counts, by number: ``<video>_%04d_gt.png``."""
        folder = require(self._annotations(video), f"the per-frame object maps of {video.id}")
        count, _ = video_info(Path(video.source))
        maps = [folder / f"{video.id}_{frame:04d}_gt.png" for frame in range(count)]
        present = {path.name for path in folder.iterdir()}
        missing = [path for path in maps if path.name not in present]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise DatasetError(f"{missing[0]} is missing{more}: {video.id} has {count} frames and every frame needs "
                               "its object map; unzip the annotations again")
        return maps

    def _read_truth(self, video: Video) -> tuple[np.ndarray, np.ndarray]:
        """(labels ``f`` from the track intervals, pixel masks ``f h w`` at the frame size)."""
        maps = self._maps(video)
        labels = np.zeros(len(maps), np.uint8)
        masks = np.zeros((len(maps), *self.frame_size), bool)
        rows = self._rows(video)
        for _, start, end in rows:
            labels[start:end + 1] = 1  # as the official script: inclusive end, clipped to the video
        frames = np.flatnonzero(labels)
        for frame, objects in zip(frames, read_images([maps[f] for f in frames], cv2.IMREAD_GRAYSCALE)):
            ids = rows[(rows[:, 1] <= frame) & (rows[:, 2] >= frame), 0]
            masks[frame] = resize_labels(np.isin(objects, ids)[None], self.frame_size)[0]
        return labels, masks

    def _truth_length(self, video: Video) -> int | None:
        return len(self._maps(video))

    def _ground_truth_files(self) -> list[Path]:
        files = []
        for split in SPLIT_FILES:
            for video in self._listed(split):
                folder = self._annotations(video)
                files += [p for p in folder.glob("*.txt")] if folder.is_dir() else []
        return files

    def labels(self, video: Video) -> np.ndarray:
        return self._usable(video, self._truth(video)[0])

    def masks(self, video: Video) -> np.ndarray:
        return self._usable(video, self._truth(video)[1])

    def tracks(self, video: Video) -> list[Track]:
        return self._tracks(video)

    def _read_tracks(self, video: Video) -> list[Track]:
        """The abnormal tracks as the official ``create_tracks_for_tbdc_rbdc.py`` writes them for RBDC and TBDC.

        The rows of ``_new_tracks.txt`` (else ``_tracks.txt``) are sorted by object id (a stable sort, as its
        ``list.sort``) and each row is one track, even when an object id repeats: the list order is the official
        renumbered track ids 0, 1, ..., while ``Track.object_id`` stays the file's id. For each frame of the row's
        start..end (clipped to the video) the region is ``official_box`` of the object's pixels in that frame's map,
        scaled from the map's resolution onto the frame size. A frame where the object has no pixel gives no region
        (the official script crashes there)."""
        rows, maps = self._rows(video, new=True), self._maps(video)
        tracks = []
        for object_id, start, end in rows[np.argsort(rows[:, 0], kind="stable")]:
            end = min(end, len(maps) - 1)
            frames = range(max(start, 0), end + 1)
            boxes = []
            for frame, objects in zip(frames, read_images([maps[f] for f in frames], cv2.IMREAD_GRAYSCALE)):
                box = official_box(objects == object_id)
                if box is not None:
                    boxes.append((frame, *scale_box(box, objects.shape, self.frame_size)))
            tracks.append(Track(int(object_id), int(start), int(end), True, tuple(boxes)))
        return self._usable_tracks(video, tracks)


def official_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The region ``get_bbox`` of ``create_tracks_for_tbdc_rbdc.py`` gives a bool mask ``h w``, or None when it is
    empty: among the contours of ``cv2.findContours(mask, RETR_TREE, CHAIN_APPROX_SIMPLE)``, the first whose
    bounding rect (x, y, w, h) has the largest area w * h (the script compares rect areas, not ``contourArea``), as
    ``[x, y, x + w, y + h]``. That is one more than the last pixel column and row (the script writes x + w, not
    x + w - 1), and is kept so the regions equal the official files; an object touching the right or bottom edge
    thus ends one pixel past the image.

    RETR_TREE, as the script: it also lists hole borders, but a hole's rect lies inside its outer border's, so it
    is never larger and the chosen rect is that of the largest outer contour; keeping the script's mode also keeps
    OpenCV's contour order, which decides a tie between two separate pieces."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    x, y, w, h = max((cv2.boundingRect(contour) for contour in contours), key=lambda rect: rect[2] * rect[3])
    return x, y, x + w, y + h
