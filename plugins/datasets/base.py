"""What every dataset plugin shares: frames through the frame cache, frame-count checks and the ``trim`` option."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from vadbench.components import SPLITS, CheckReport, Track, Video
from vadbench.data.cache import FrameCache
from vadbench.hashing import digest, files_digest
from vadbench.data.resize import resize_frame
from vadbench.data.video import (decodable_frames, frame_files, frame_shape, image_files, natural_key, read_images,
                                 read_video, video_info)
from vadbench.errors import ConfigError, DatasetError
from vadbench_plugins.datasets.track_folder import TrackFolder


def frame_size(name: str, size: Any) -> tuple[int, int]:
    """Validate a ``size`` setting: two positive integers (h, w)."""
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ConfigError(f"dataset.{name}.size must be [height, width], got {size!r}") from None
    if height < 8 or width < 8:
        raise ConfigError(f"dataset.{name}.size must be at least [8, 8], got {size!r}")
    return height, width


class CachedDataset(ABC):
    """Frames decoded once, resized and memory-mapped from the frame cache; counts checked against the truth.

    Subclasses implement ``_decode`` (full-resolution RGB frames), ``_source_key`` (digest of the video's source
    files) and ``_expected_frames`` (the count the frames must have, and where that count comes from).
    """

    name = "dataset"

    def __init__(self, size: Any, trim: bool = False) -> None:
        self.frame_size = frame_size(self.name, size)
        self.trim = bool(trim)
        self.cache = FrameCache()

    @abstractmethod
    def _decode(self, video: Video) -> Iterable[np.ndarray]:
        """Full-resolution uint8 RGB frames ``h w c`` of a video, in order."""

    @abstractmethod
    def _source_key(self, video: Video) -> str:
        """A digest of the video's source files (and anything else that changes its decoded frames)."""

    @abstractmethod
    def _expected_frames(self, video: Video) -> tuple[int, str]:
        """The number of frames the video must have, and what says so ("ground truth", "container header")."""

    def decoded(self, video: Video) -> np.ndarray:
        """Every decoded frame ``f h w c``, from the cache (decoding and storing them on first use)."""
        return self.cache.get(self.name, video.id, self.frame_size, self._source_key(video),
                              lambda: self._resized(video))

    def _resized(self, video: Video) -> np.ndarray:
        frames = [resize_frame(frame, self.frame_size) for frame in self._decode(video)]
        if not frames:
            raise DatasetError(f"{self.name} video {video.id}: no frame could be decoded from {video.source}; "
                               "the file is empty or corrupt, extract or download it again")
        return np.stack(frames)

    def frames(self, video: Video) -> np.ndarray:
        """The decoded frames, which must number what ``_expected_frames`` says; ``trim`` only ever cuts the end
        (a video file decodes up to its first bad frame and a frame folder with a gap is an error, so what is cut
        never shifts the frames before it)."""
        decoded = self.decoded(video)
        expected, origin = self._expected_frames(video)
        if len(decoded) == expected:
            return decoded
        if not self.trim:
            raise DatasetError(
                f"{self.name} video {video.id}: decoded {len(decoded)} frames from {video.source} but the {origin} "
                f"has {expected}; the file may be truncated or re-encoded: extract it again, or set "
                f"dataset.{self.name}.trim=true to cut frames and labels to the shorter of the two")
        return decoded[:min(len(decoded), expected)]

    def _usable(self, video: Video, truth: np.ndarray) -> np.ndarray:
        """Ground truth ``f ...`` cut to the frames when ``trim`` is set (which needs the decoded count)."""
        return truth[:len(self.frames(video))] if self.trim else truth

    def _usable_tracks(self, video: Video, tracks: list[Track]) -> list[Track]:
        """Tracks cut to the frames when ``trim`` is set: regions past the last frame dropped, and the tracks that
        start past it."""
        if not self.trim:
            return tracks
        count = len(self.frames(video))
        return [replace(track, end=min(track.end, count - 1), boxes=tuple(b for b in track.boxes if b[0] < count))
                for track in tracks if track.start < count]


class FileDataset(CachedDataset):
    """A dataset read from a ``root`` folder: video files or frame folders, listed once per split."""

    def __init__(self, root: Any, size: Any, trim: bool = False) -> None:
        super().__init__(size, trim)
        self.root = Path(str(root)).expanduser()
        self._listing: dict[str, list[Video]] = {}
        self._fingerprint: str | None = None
        self._keys: dict[str, str] = {}
        self._lengths: dict[str, int | None] = {}
        self.track_folder: TrackFolder | None = None  # the folder a ``tracks`` setting names, where there is one

    @abstractmethod
    def _list(self, split: str) -> list[Video]:
        """The videos of a split as found on disk (num_frames = the count the source itself declares)."""

    @abstractmethod
    def _truth_length(self, video: Video) -> int | None:
        """The number of frames the ground truth of a video covers, or None when it does not fix one."""

    @abstractmethod
    def _ground_truth_files(self) -> list[Path]:
        """Every ground-truth file the labels, masks or tracks are read from (``fingerprint`` adds the files of
        ``track_folder`` itself)."""

    def _settings(self) -> dict[str, Any]:
        """The settings that shape frames or labels (recorded in the fingerprint)."""
        return {"size": list(self.frame_size), "trim": self.trim}

    def _listed(self, split: str) -> list[Video]:
        """The split as listed on disk (memoised); ``videos`` adds the trimmed counts."""
        if split not in self._listing:
            self._listing[split] = self._list(split)
        return self._listing[split]

    def videos(self, split: str) -> list[Video]:
        videos = self._listed(split)
        if self.trim:  # the usable length is only known once decoded
            return [replace(video, num_frames=len(self.frames(video))) for video in videos]
        return videos

    def _decode(self, video: Video) -> Iterable[np.ndarray]:
        source = Path(video.source)
        return read_images(frame_files(source)) if source.is_dir() else read_video(source)

    def _source_key(self, video: Video) -> str:
        """Memoised per dataset object: a frame folder is listed and stat-ed once, not on every read."""
        if video.source not in self._keys:
            source = Path(video.source)
            self._keys[video.source] = files_digest(image_files(source) if source.is_dir() else [source])
        return self._keys[video.source]

    def _expected_frames(self, video: Video) -> tuple[int, str]:
        if video.source not in self._lengths:  # memoised: reading a ground-truth file can be slow (Avenue .mat)
            self._lengths[video.source] = self._truth_length(video)
        length = self._lengths[video.source]
        if length is not None:
            return length, "ground truth"
        return video.num_frames, ("number of image files" if Path(video.source).is_dir() else "container header")

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            sources = [video.source for split in SPLITS for video in self._listed(split)]
            files = [f for s in map(Path, sources) for f in (image_files(s) if s.is_dir() else [s])]
            truth = self._ground_truth_files() + (list(self.track_folder.files.values()) if self.track_folder else [])
            self._fingerprint = digest([self.name, self._settings(), files_digest(files), files_digest(truth)])
        return self._fingerprint

    def check(self) -> CheckReport:
        """Every source read as far as it claims (a frame folder without gaps, a video file's last frame), every
        test video's ground truth read and its length compared with the frames that decode; each problem once."""
        report = CheckReport(self.name, str(self.root))
        try:
            listing = {split: self._listed(split) for split in SPLITS}
        except DatasetError as error:
            report.problems.append(str(error))
            return report
        counts = {video.source: self._readable_frames(video, report.problems)
                  for videos in listing.values() for video in videos}
        for split, videos in listing.items():
            if videos:
                report.videos[split] = len(videos)
                report.frames[split] = sum(video.num_frames if counts[video.source] is None else counts[video.source]
                                           for video in videos)
        report.scenes = sorted({video.scene for videos in listing.values() for video in videos}, key=natural_str)
        if not listing["test"]:
            report.problems.append(f"{self.root}: no test videos found; see docs/datasets.md for the layout")
        for video in listing["test"]:
            self._check_truth(video, counts[video.source], report)
        report.problems = list(dict.fromkeys(report.problems))  # e.g. one missing folder, not one line per video
        return report

    def _readable_frames(self, video: Video, problems: list[str]) -> int | None:
        """The number of frames of a video that actually read, adding to ``problems`` what is wrong with its
        source; None when the source cannot be read at all."""
        source = Path(video.source)
        try:
            if source.is_dir():
                return len(frame_files(source))
            count = decodable_frames(source, video.num_frames)
        except DatasetError as error:
            problems.append(str(error))
            return None
        if count != video.num_frames:
            problems.append(f"{source}: the container header claims {video.num_frames} frames but {count} decode; "
                            "the file is truncated or corrupt: re-download or re-encode it")
        return count

    def _check_truth(self, video: Video, count: int | None, report: CheckReport) -> None:
        """Read a test video's labels (adding up its abnormal frames) and the tracks of ``track_folder``, and compare
        the length of its ground truth with the ``count`` of frames that decode."""
        try:
            report.abnormal_frames += int(self.labels(video).sum())
            length = self._truth_length(video)
            if self.track_folder is not None:
                self.tracks(video)
        except DatasetError as error:
            report.problems.append(str(error))
            return
        if count is not None and length is not None and length != count and not self.trim:
            report.problems.append(
                f"{self.name} video {video.id}: {video.source} has {count} frames that decode but its ground truth "
                f"has {length}; extract it again, or set dataset.{self.name}.trim=true")

    def _folder_tracks(self, video: Video, truth: Callable[[Video], np.ndarray]) -> list[Track] | None:
        """The tracks ``track_folder`` holds for a video: None without the setting, [] outside the test split (whose
        frames are all labelled normal), else the test video's file read against ``truth(video)``, its frame labels
        before ``trim``, with regions scaled from the source frame size (read from the video itself)."""
        if self.track_folder is None:
            return None
        if video.split != "test":
            return []
        tracks = self.track_folder.tracks(video, truth(video), frame_shape(Path(video.source)), self.frame_size)
        return self._usable_tracks(video, tracks)


def natural_str(text: str) -> tuple:
    """Sort key that orders "2" before "10"."""
    return natural_key(Path(text))


def source_count(source: Path) -> tuple[int, float]:
    """(frames, fps) a video file's header or a frame folder declares; an empty folder is an error."""
    if source.is_dir():
        count = len(image_files(source))
        if count == 0:
            raise DatasetError(f"frame folder {source} holds no images; extract the frames again")
        return count, 25.0
    return video_info(source)


def require(path: Path, what: str) -> Path:
    """``path`` if it exists, else a DatasetError naming it and what it should hold."""
    if not path.exists():
        raise DatasetError(f"{path} is missing: expected {what}; see docs/datasets.md for the layout")
    return path
