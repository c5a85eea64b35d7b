"""Track ground truth read from a folder of per-video region files: the ``tracks`` setting of STC and Avenue.

A ``TrackFolder`` subclass knows one file format: which file holds which video's tracks and how a row reads. The
base class finds the files, applies the missing-file rule and groups the rows into ``Track`` objects at the frame
size. Every problem is a DatasetError that names the file (and the line) and the fix.
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator
from pathlib import Path

import numpy as np

from vadbench.components import Track, Video
from vadbench.data.resize import scale_box
from vadbench.errors import DatasetError

Region = tuple[int, int, int, int, int, int]  # (track id, frame, x_min, y_min, x_max, y_max), inclusive pixels


class TrackFolder(ABC):
    """A folder with one region file per abnormal test video; test videos without an abnormal frame may lack one."""

    naming = ""  # how the files are named, for messages
    origin = ""  # where the files are published, for messages

    def __init__(self, dataset: str, folder: str) -> None:
        self.dataset = dataset
        self.folder = Path(folder).expanduser()

    @abstractmethod
    def file_key(self, name: str) -> Hashable | None:
        """The key of the video a file named ``name`` belongs to, or None for a file of no video (a readme)."""

    @abstractmethod
    def video_key(self, video: Video) -> Hashable:
        """The key ``file_key`` gives the file of ``video``."""

    @abstractmethod
    def expected(self, video: Video) -> str:
        """The name to give the file of ``video``."""

    @abstractmethod
    def regions(self, path: Path, shape: tuple[int, int]) -> Iterator[tuple[int, Region]]:
        """(line number, region at the source resolution) per row of ``path``; ``shape`` is the source (h, w)."""

    @functools.cached_property
    def files(self) -> dict[Hashable, Path]:
        """Video key -> its track file, for every file of the folder that ``file_key`` recognises."""
        if not self.folder.is_dir():
            raise DatasetError(f"{self.folder} is not a folder: dataset.{self.dataset}.tracks must name the folder of "
                               f"track files ({self.naming}); fix the path or unset dataset.{self.dataset}.tracks")
        found: dict[Hashable, Path] = {}
        for path in sorted(self.folder.iterdir()):
            key = self.file_key(path.name)
            if key is None or not path.is_file():
                continue
            if key in found:
                raise DatasetError(f"{found[key]} and {path} both hold the tracks of one video; remove one of them")
            found[key] = path
        return found

    def tracks(self, video: Video, labels: np.ndarray, shape: tuple[int, int], size: tuple[int, int]) -> list[Track]:
        """The abnormal tracks of a test video whose ground-truth frame labels are ``labels``: one per track id, in
        ascending id order, with ``Track.object_id`` the file's id and every region scaled from the source frame
        ``shape`` onto ``size``. A video without a file has none if it has no abnormal frame, else it is an error."""
        path = self.files.get(self.video_key(video))
        if path is None:
            if not labels.any():
                return []
            raise DatasetError(
                f"{self.folder / self.expected(video)} is missing: {self.dataset} test video {video.id} has "
                f"{int(labels.sum())} abnormal frames, so dataset.{self.dataset}.tracks needs its track file "
                f"({self.naming}); add it from {self.origin}, or unset dataset.{self.dataset}.tracks")
        boxes: dict[int, dict[int, tuple[int, ...]]] = {}
        for line, (track, frame, *box) in self.regions(path, shape):
            where = f"{path} line {line}"
            if not 0 <= frame < len(labels):
                raise DatasetError(f"{where}: frame {frame} is outside the {len(labels)} frames of test video "
                                   f"{video.id}; the file belongs to another video or release of the dataset")
            if box[0] > box[2] or box[1] > box[3]:
                raise DatasetError(f"{where}: the region {box} has x_min > x_max or y_min > y_max; fix the row")
            if frame in boxes.setdefault(track, {}):
                raise DatasetError(f"{where}: track {track} already has a region in frame {frame}; a track has one "
                                   "region per frame, so remove the duplicate row")
            boxes[track][frame] = scale_box(tuple(box), shape, size)
        return [Track(track, min(regions), max(regions), True, tuple((f, *regions[f]) for f in sorted(regions)))
                for track, regions in sorted(boxes.items())]


def text_rows(path: Path, separator: str | None, columns: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank line of a text file whose rows hold ``columns`` (names separated by
    ``separator``, or by whitespace when it is None); a row with another number of fields is an error."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path} cannot be read as text ({error}); download the track files again") from None
    names = columns.split(separator)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split(separator)]
        if len(fields) != len(names):
            raise DatasetError(f"{path} line {number}: {len(fields)} fields where rows are {columns!r} "
                               f"({len(names)} fields); fix or remove the row")
        yield number, fields


def number(path: Path, line: int, text: str) -> float:
    """A finite number in a field of a track file."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DatasetError(f"{path} line {line}: {text!r} is not a number; fix the row")
    return value


def integer(path: Path, line: int, text: str) -> int:
    """An integer in a field of a track file (``12``, ``12.0`` or ``1.2e+01``)."""
    value = number(path, line, text)
    if not value.is_integer():
        raise DatasetError(f"{path} line {line}: {text!r} is not an integer; fix the row")
    return int(value)
