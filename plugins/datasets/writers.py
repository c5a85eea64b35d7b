"""Write the synthetic dataset in the on-disk layouts of CUHK Avenue, ShanghaiTech Campus and UBnormal, with real
video files and ground truth in the original formats, so that the loaders are tested by round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from vadbench.data.video import write_image, write_video
from vadbench.errors import ConfigError

FORMATS = ("avenue", "stc", "ubnormal")


def write_layout(dataset, format: str, out: Path, layout: str | None) -> dict[str, str]:
    """Write ``dataset`` (a ``SyntheticDataset``) as ``format`` under ``out``; return synthetic id -> written id."""
    if format not in FORMATS:
        raise ConfigError(f"unknown layout format {format!r}; valid formats: {', '.join(FORMATS)}")
    if layout is not None and format != "avenue":
        raise ConfigError(f"only the avenue format has layout variants, not {format!r}")
    out.mkdir(parents=True, exist_ok=True)
    if format == "avenue":
        return _avenue(dataset, out, layout or "videos")
    return _stc(dataset, out) if format == "stc" else _ubnormal(dataset, out)


def _avenue(dataset, out: Path, layout: str) -> dict[str, str]:
    """Official: ``Avenue Dataset/{training,testing}_videos/NN.avi`` and ``ground_truth_demo/testing_label_mask/
    N_label.mat`` (``volLabel``). Frames: ``{training,testing}/frames/NN/NNNN.jpg``. Both: ``avenue.mat`` (``gt``,
    1-based inclusive intervals, as ano_pred ships it) and ``tracks/TestNNN_gt.txt`` (``_street_scene_tracks``)."""
    if layout not in ("videos", "frames"):
        raise ConfigError(f"unknown avenue layout {layout!r}; valid layouts: videos, frames")
    ids, intervals = {}, []
    for split, folder in (("train", "training"), ("test", "testing")):
        for number, video in enumerate(dataset.videos(split), start=1):
            name = f"{number:02d}"
            ids[video.id] = name
            frames = dataset.rendered(video).frames
            if layout == "videos":
                write_video(out / "Avenue Dataset" / f"{folder}_videos" / f"{name}.avi", frames, video.fps)
            else:
                for index, frame in enumerate(frames):
                    write_image(out / folder / "frames" / name / f"{index:04d}.jpg", frame)
            if split == "test":
                masks = dataset.masks(video)
                if layout == "videos":
                    cell = np.empty((1, len(masks)), dtype=object)
                    cell[0, :] = list(masks.astype(np.uint8))
                    path = out / "ground_truth_demo" / "testing_label_mask" / f"{number}_label.mat"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    scipy.io.savemat(path, {"volLabel": cell})
                intervals.append(_intervals(dataset.labels(video)).T + 1)  # 2 k, 1-based inclusive
                _street_scene_tracks(_abnormal_tracks(dataset, video), out / "tracks" / f"Test{number:03d}_gt.txt")
    gt = np.empty((1, len(intervals)), dtype=object)
    gt[0, :] = [block.astype(np.float64) for block in intervals]
    scipy.io.savemat(out / "avenue.mat", {"gt": gt})
    return ids


def _intervals(labels: np.ndarray) -> np.ndarray:
    """0-based inclusive (start, end) rows ``k 2`` of the runs of ones in ``labels``."""
    edges = np.diff(np.concatenate([[0], labels.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1], axis=1)


def _abnormal_tracks(dataset, video) -> list:
    """The abnormal tracks of a video, renumbered 0, 1, ... in their order (the track ids of the written files)."""
    return [track for track in dataset.tracks(video) if track.abnormal]


def _street_scene_tracks(tracks: list, path: Path) -> None:
    """MERL's Avenue region file, when there are tracks: rows ``<NNNN.jpg> <track> <x_center> <y_center> <width>
    <height>`` with the 1-based frame in the name and the box covering pixels x_min .. x_max inclusive (width =
    x_max - x_min + 1, centre = x_min + width / 2)."""
    if not tracks:
        return
    lines = []
    for track_id, track in enumerate(tracks):
        for frame, x_min, y_min, x_max, y_max in track.boxes:
            width, height = x_max - x_min + 1, y_max - y_min + 1
            centre = f"{x_min + width / 2:g} {y_min + height / 2:g}"
            lines.append(f"{frame + 1:04d}.jpg {track_id} {centre} {width} {height}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _aed_tracks(tracks: list, path: Path) -> None:
    """The AED ShanghaiTech track file, when there are tracks: rows ``track_id,frame_idx,x_min,y_min,x_max,y_max``
    (inclusive pixels, 0-based frames), written as AED's scripts write them (``np.savetxt``, ``%d``)."""
    if not tracks:
        return
    rows = [(track_id, *box) for track_id, track in enumerate(tracks) for box in track.boxes]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.array(rows), delimiter=",", fmt="%d")


def _stc(dataset, out: Path) -> dict[str, str]:
    """``training/videos/SS_VVV.avi``, ``testing/frames/SS_VVVV/NNN.jpg``, ``testing/test_frame_mask/*.npy``
    (uint8 ``f``), ``testing/test_pixel_mask/*.npy`` (uint8 ``f h w``) and ``tracks/SS_VVVV.txt`` (``_aed_tracks``,
    outside the archive as in lilygeorgescu/AED)."""
    ids = {}
    for video in dataset.videos("train"):
        name = f"{video.scene}_{int(video.id.rsplit('_', 1)[1]):03d}"
        ids[video.id] = name
        write_video(out / "training" / "videos" / f"{name}.avi", dataset.rendered(video).frames, video.fps)
    for video in dataset.videos("test"):
        name = f"{video.scene}_{int(video.id.rsplit('_', 1)[1]):04d}"
        ids[video.id] = name
        for index, frame in enumerate(dataset.rendered(video).frames):
            write_image(out / "testing" / "frames" / name / f"{index:03d}.jpg", frame)
        for folder, array in (("test_frame_mask", dataset.labels(video)),
                              ("test_pixel_mask", dataset.masks(video).astype(np.uint8))):
            (out / "testing" / folder).mkdir(parents=True, exist_ok=True)
            np.save(out / "testing" / folder / f"{name}.npy", array)
        _aed_tracks(_abnormal_tracks(dataset, video), out / "tracks" / f"{name}.txt")
    return ids


def _ubnormal(dataset, out: Path) -> dict[str, str]:
    """``Scene{N}/<video>.mp4`` with ``<video>_annotations/<video>_%04d_gt.png`` object maps and, for abnormal
    videos, ``<video>_tracks.txt``; the six split lists under ``scripts/`` (no newline after the last name).

    Exercises the real quirks: scene 1's training videos get the irregular ``scenario1_N`` names, even scenes are
    written at twice the width (resolution varies by scene) and with float-formatted track rows, and the first
    test video of scene 2 gets a ``_fog`` suffix."""
    ids: dict[str, str] = {}
    lists: dict[str, list[str]] = {f"{kind}_{split}": [] for kind in ("abnormal", "normal")
                                   for split in ("training", "validation", "test")}
    for split, listed in (("train", "training"), ("test", "test")):
        for video in dataset.videos(split):
            scene, index = int(video.scene), int(video.id.rsplit("_", 1)[1])
            rendered = dataset.rendered(video)
            kind = "abnormal" if rendered.abnormal_ids and dataset.labels(video).any() else "normal"
            if split == "train" and scene == 1:
                name = f"normal_scene_1_scenario1_{index}"
            else:
                scenario = index + (dataset.train_videos if split == "test" else 0)
                fog = "_fog" if split == "test" and scene == 2 and index == 1 else ""
                name = f"{kind}_scene_{scene}_scenario_{scenario}{fog}"
            ids[video.id] = name
            lists[f"{kind}_{listed}"].append(name)
            widen = 2 if scene % 2 == 0 else 1
            folder = out / f"Scene{scene}"
            write_video(folder / f"{name}.mp4", np.repeat(rendered.frames, widen, axis=2), video.fps)
            for frame, objects in enumerate(np.repeat(rendered.object_map, widen, axis=2)):
                write_image(folder / f"{name}_annotations" / f"{name}_{frame:04d}_gt.png", objects)
            if kind == "abnormal":
                rows = [(t.object_id, t.start, t.end) for t in dataset.tracks(video) if t.abnormal]
                path = folder / f"{name}_annotations" / f"{name}_tracks.txt"
                if widen == 2:
                    np.savetxt(path, np.array(rows, dtype=np.float64), delimiter=",")
                else:
                    np.savetxt(path, np.array(rows), delimiter=",", fmt="%d")
    (out / "scripts").mkdir(exist_ok=True)
    for key, names in lists.items():
        (out / "scripts" / f"{key}_video_names.txt").write_text("\n".join(names))
    return ids
