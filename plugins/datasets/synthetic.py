"""The ``synthetic`` dataset: procedural scenes with walkers and labelled anomalies, generated on first use."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vadbench.components import CheckReport, Track, Video
from vadbench.hashing import digest
from vadbench.data.objects import object_boxes
from vadbench.errors import ConfigError
from vadbench_plugins.datasets.base import CachedDataset
from vadbench_plugins.datasets.scenes import ANOMALY_KINDS, Actor, make_scene, paint, plan_video, rasterise

GENERATOR_VERSION = 1  # bump when the generator changes what a seed produces
FPS = 25.0
MULTIPLE = "multiple"  # the anomaly kind of frames in which objects of two or more kinds are visible


@dataclass(frozen=True)
class Rendered:
    """One generated video: frames ``f h w c``, object map ``f h w`` (0 = background) and its actors."""

    frames: np.ndarray
    object_map: np.ndarray
    actors: list[Actor]

    @property
    def abnormal_ids(self) -> list[int]:
        return [actor.object_id for actor in self.actors if actor.abnormal]


class SyntheticDataset(CachedDataset):
    """``scenes`` scenes, each with ``train_videos`` normal and ``test_videos`` test videos of ``frames`` frames.

    Test video j of scene s holds one or two anomalies (kinds cycle through ``ANOMALY_KINDS``); the last test
    video of the first scene is all-normal, so single-class videos exist for the macro-AUC rules.
    """

    name = "synthetic"

    def __init__(self, seed: int = 0, size: Any = (128, 128), scenes: int = 2, train_videos: int = 3,
                 test_videos: int = 4, frames: int = 120) -> None:
        super().__init__(size)
        for key, value, least in (("scenes", scenes, 1), ("train_videos", train_videos, 1),
                                  ("test_videos", test_videos, 1), ("frames", frames, 60)):
            if int(value) < least:
                raise ConfigError(f"dataset.synthetic.{key} must be at least {least} (windows are 30 frames), "
                                  f"got {value!r}")
        self.seed, self.scenes = int(seed), int(scenes)
        self.train_videos, self.test_videos, self.num_frames = int(train_videos), int(test_videos), int(frames)
        self._render = functools.lru_cache(maxsize=4)(self._render_video)
        self._scene = functools.lru_cache(maxsize=None)(
            lambda s: make_scene(np.random.default_rng([self.seed, s]), self.frame_size))

    def settings(self) -> dict[str, Any]:
        return {"seed": self.seed, "size": list(self.frame_size), "scenes": self.scenes,
                "train_videos": self.train_videos, "test_videos": self.test_videos, "frames": self.num_frames}

    def videos(self, split: str) -> list[Video]:
        count = {"train": self.train_videos, "test": self.test_videos}.get(split, 0)
        source = f"synthetic:seed={self.seed}"
        return [Video(f"{s + 1:02d}_{split}_{j + 1:03d}", split, f"{s + 1:02d}", self.num_frames, FPS, source)
                for s in range(self.scenes) for j in range(count)]

    def anomalies(self, video: Video) -> tuple[str, ...]:
        """The anomaly kinds planted in a video (empty for training and all-normal test videos)."""
        if video.split != "test":
            return ()
        scene, index = int(video.scene) - 1, int(video.id.rsplit("_", 1)[1]) - 1
        if scene == 0 and index == self.test_videos - 1 and self.test_videos >= 2:
            return ()
        count = scene * self.test_videos + index - (1 if scene > 0 and self.test_videos >= 2 else 0)
        kinds = (ANOMALY_KINDS[count % len(ANOMALY_KINDS)],)
        return kinds + (ANOMALY_KINDS[(count + 2) % len(ANOMALY_KINDS)],) if count % 2 else kinds

    def _render_video(self, video: Video) -> Rendered:
        scene_index = int(video.scene) - 1
        split_code = {"train": 0, "validation": 1, "test": 2}[video.split]
        rng = np.random.default_rng([self.seed, scene_index, split_code, int(video.id.rsplit("_", 1)[1])])
        scene = self._scene(scene_index)
        actors = plan_video(rng, scene, self.frame_size, self.num_frames, self.anomalies(video))
        if len(actors) > 255:
            raise ConfigError(f"dataset.synthetic: {len(actors)} objects in one video exceed the 255 an object map "
                              "holds; use fewer frames per video")
        part_map, part_objects, part_colours = rasterise(actors, self.frame_size, self.num_frames)
        return Rendered(paint(scene, part_map, part_colours, rng), part_objects[part_map], actors)

    def rendered(self, video: Video) -> Rendered:
        """The generated frames (not cached), object map and actors of a video."""
        return self._render(video)

    def _decode(self, video: Video) -> np.ndarray:
        return self._render(video).frames

    def _source_key(self, video: Video) -> str:
        return digest([GENERATOR_VERSION, self.settings(), video.id])

    def _expected_frames(self, video: Video) -> tuple[int, str]:
        return self.num_frames, "generator setting 'frames'"

    def labels(self, video: Video) -> np.ndarray:
        return self.masks(video).any(axis=(1, 2)).astype(np.uint8)

    def masks(self, video: Video) -> np.ndarray:
        rendered = self._render(video)
        return np.isin(rendered.object_map, rendered.abnormal_ids)

    def anomaly_kinds(self, video: Video) -> dict[str, np.ndarray]:
        """bool ``f`` per anomaly kind: the frames in which an object of that kind is visible; frames showing
        several kinds at once are ``MULTIPLE``, so the masks are disjoint and add up to ``labels``. Kinds with no
        frame are left out."""
        rendered = self._render(video)
        visible: dict[str, np.ndarray] = {}
        for actor in rendered.actors:
            if actor.abnormal:
                shown = (rendered.object_map == actor.object_id).any(axis=(1, 2))
                visible[actor.kind] = visible.get(actor.kind, np.zeros_like(shown)) | shown
        if not visible:
            return {}
        several = np.stack(list(visible.values())).sum(axis=0) > 1
        masks = {kind: shown & ~several for kind, shown in visible.items()} | {MULTIPLE: several}
        return {kind: mask for kind, mask in masks.items() if mask.any()}

    def tracks(self, video: Video) -> list[Track]:
        rendered = self._render(video)
        tracks = []
        for actor in rendered.actors:
            boxes = object_boxes(rendered.object_map, actor.object_id)
            if boxes:
                tracks.append(Track(actor.object_id, boxes[0][0], boxes[-1][0], actor.abnormal, boxes))
        return tracks

    def fingerprint(self) -> str:
        return digest([self.name, GENERATOR_VERSION, self.settings()])

    def check(self) -> CheckReport:
        report = CheckReport(self.name, "(generated)", scenes=[f"{s + 1:02d}" for s in range(self.scenes)])
        for split in ("train", "test"):
            videos = self.videos(split)
            report.videos[split] = len(videos)
            report.frames[split] = sum(v.num_frames for v in videos)
        report.abnormal_frames = sum(int(self.labels(v).sum()) for v in self.videos("test"))
        return report

    def write_layout(self, format: str, out_dir: Path, layout: str | None = None) -> dict[str, str]:
        """Write the dataset in the on-disk layout of ``format`` ("avenue", "stc", "ubnormal") under ``out_dir``.

        Returns the id each synthetic video has in the written dataset. ``layout`` picks the Avenue variant
        ("videos", the official archives, or "frames", the ano_pred JPEG folders).
        """
        from vadbench_plugins.datasets.writers import write_layout

        return write_layout(self, format, Path(out_dir), layout)
