"""What the localise stage stores for one test video, made from its error maps: the regions cut from them and the
summary of their pixels; and the same over many videos, in worker processes when the test set is large."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vadbench.evaluation.detection_criteria import Detections
from vadbench.evaluation.pixel_metrics import PixelSummary, summarise_video
from vadbench.evaluation.regions import RegionRule, detect_regions

MAX_WORKERS = 4
POOL_MIN_FRAMES = 20_000  # below this a test set localises in the calling process: starting workers costs ~1 s
ARRAYS = ("maps", "frames", "masks", "sample")  # the fields of ``VideoMaps`` a worker receives as files


@dataclass(frozen=True)
class VideoMaps:
    """One video's error maps and what to make of them."""

    maps: np.ndarray  # float32 ``f h w``, the frames that have a map
    frames: np.ndarray  # int ``f``: the frame index of each map
    masks: np.ndarray | None  # bool ``f h w`` of those frames, None where the dataset has no pixel masks
    sample: np.ndarray | None  # the pixel sample (``pixel_metrics.sample_indices``), None = every pixel
    cut_regions: bool  # whether the dataset has tracks to judge regions against


def localise_video(item: VideoMaps, rule: RegionRule) -> dict[str, np.ndarray]:
    """The arrays the localise stage stores for one video: ``map_frames``, ``regions/{frame,boxes,score}`` where
    it cuts regions and ``pixels/<PixelSummary field>`` where it has masks."""
    arrays: dict[str, np.ndarray] = {"map_frames": item.frames}
    if item.cut_regions:
        found = detect_regions(item.maps, item.frames, rule)
        arrays.update({"regions/frame": found.frame, "regions/boxes": found.boxes, "regions/score": found.score})
    if item.masks is not None:
        summary = summarise_video(item.maps, item.masks, item.sample)
        arrays.update({f"pixels/{name}": np.asarray(value) for name, value in vars(summary).items()})
    return arrays


def stored_detections(arrays: Mapping[str, np.ndarray]) -> Detections | None:
    """The regions ``localise_video`` stored for a video (``arrays``: its file, or the dict it returned), or None
    where it cut none."""
    if "regions/frame" not in arrays:
        return None
    return Detections(arrays["regions/frame"], arrays["regions/boxes"], arrays["regions/score"])


def stored_pixels(arrays: Mapping[str, np.ndarray]) -> PixelSummary | None:
    """The pixel summary ``localise_video`` stored for a video, or None where the dataset has no masks."""
    fields = {name: arrays[f"pixels/{name}"] for name in PixelSummary.__dataclass_fields__
              if f"pixels/{name}" in arrays}
    if not fields:
        return None
    return PixelSummary(**{name: value.item() if value.ndim == 0 else value for name, value in fields.items()})


def workers_for(frames: int) -> int:
    """How many processes localise a test set of ``frames`` frames: 1 below ``POOL_MIN_FRAMES``, else the CPUs
    this process may use (at most ``MAX_WORKERS``)."""
    return 1 if frames < POOL_MIN_FRAMES else max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


def localise_videos(items: Iterable[VideoMaps], rule: RegionRule, workers: int) -> Iterator[dict[str, np.ndarray]]:
    """``localise_video`` of each item, in order. With ``workers`` > 1 they run in that many spawned processes
    while the caller makes the next items (at most ``workers`` + 1 wait at once, bounding memory); an item reaches
    its worker as ``.npy`` files in memory (``/dev/shm`` where there is one) that the worker maps, not through a
    pipe. The results are the same either way."""
    if workers <= 1:
        for item in items:
            yield localise_video(item, rule)
        return
    in_memory = Path("/dev/shm")
    with (tempfile.TemporaryDirectory(prefix="vadbench-localise-", dir=in_memory if in_memory.is_dir() else None)
          as scratch, ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_one_thread) as pool):
        pending: deque = deque()
        for number, item in enumerate(items):
            path = Path(scratch) / str(number)
            path.mkdir()
            for name in ARRAYS:
                if getattr(item, name) is not None:
                    np.save(path / f"{name}.npy", getattr(item, name))  # no zip: its CRC would cost more than the copy
            pending.append((path, pool.submit(_localise_files, path, item.cut_regions, rule)))
            if len(pending) > workers:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def _one_thread() -> None:
    """A worker runs OpenCV on one thread: the workers already use every CPU, more threads only contend."""
    cv2.setNumThreads(1)


def _localise_files(path: Path, cut_regions: bool, rule: RegionRule) -> dict[str, np.ndarray]:
    """``localise_video`` in a worker, of the item the caller wrote to the folder ``path`` (mapped, not copied)."""
    arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") if (path / f"{name}.npy").is_file() else None
              for name in ARRAYS}
    return localise_video(VideoMaps(**arrays, cut_regions=cut_regions), rule)


def _collect(path: Path, future) -> dict[str, np.ndarray]:
    try:
        return future.result()
    finally:
        shutil.rmtree(path, ignore_errors=True)
