"""Reading and writing videos and image folders with OpenCV. Frames are uint8 RGB ``h w c``.

Every failure to read is a ``DatasetError`` that names the file: a container OpenCV cannot open, an image that
is not an image, a JPEG cut short.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from vadbench.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
FOURCC = {".avi": "MJPG", ".mp4": "mp4v"}


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise DatasetError(f"video {path} does not exist; check the dataset root")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DatasetError(f"OpenCV cannot open video {path}: the file is corrupt or truncated; download it again")
    return capture


def video_info(path: Path) -> tuple[int, float]:
    """(frame count from the container header, fps) of a video file, without decoding it."""
    capture = _open(path)
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        capture.release()


def frame_shape(source: Path) -> tuple[int, int]:
    """(h, w) of the frames of a video file (from its header) or of a frame folder (from its first image)."""
    if source.is_dir():
        files = image_files(source)
        if not files:
            raise DatasetError(f"frame folder {source} holds no images; extract the frames again")
        return read_image(files[0]).shape[:2]
    capture = _open(source)
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    finally:
        capture.release()


def decodable_frames(path: Path, claimed: int) -> int:
    """How many frames of a video file actually decode: ``claimed`` (the header's count) when frame ``claimed - 1``
    can be sought to and read and nothing follows it (one seek, cheap), else the count found by decoding them all."""
    capture = _open(path)
    try:
        if claimed > 0 and capture.set(cv2.CAP_PROP_POS_FRAMES, claimed - 1) and capture.read()[0] \
                and not capture.grab():
            return claimed
    finally:
        capture.release()
    return _count_frames(path)


def _count_frames(path: Path) -> int:
    """The number of frames of a video file that decode, from the start up to the first that fails."""
    capture = _open(path)
    try:
        count = 0
        while capture.grab():
            count += 1
        return count
    finally:
        capture.release()


def read_video(path: Path) -> Iterator[np.ndarray]:
    """Decode every frame of a video file, in order, as uint8 RGB ``h w c``."""
    capture = _open(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def write_video(path: Path, frames: Iterable[np.ndarray], fps: float) -> None:
    """Encode uint8 RGB frames as ``.avi`` (Motion JPEG) or ``.mp4`` (MPEG-4 part 2)."""
    path = Path(path)
    if path.suffix not in FOURCC:
        raise ValueError(f"cannot write {path}: the suffix must be one of {', '.join(FOURCC)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for frame in frames:
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC[path.suffix]), fps, (width, height))
                writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()


def natural_key(path: Path) -> tuple:
    """Sort key that orders ``2.jpg`` before ``10.jpg`` (numbers compared as numbers, not text)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


def image_files(folder: Path) -> list[Path]:
    """The image files of a frame folder, sorted numerically by name."""
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def frame_files(folder: Path) -> list[Path]:
    """The images of a frame folder in frame order, which must be numbered 0, 1, 2, ... without a gap (as the
    Avenue and ShanghaiTech archives ship them).

    A missing, repeated or stray frame number is a DatasetError naming the file: counting frames by position would
    shift the frame (and so the label) of everything after it.
    """
    files = image_files(folder)
    for index, path in enumerate(files):
        number = _frame_number(path)
        if number > index:
            raise DatasetError(f"{folder / _renumbered(path, index)} is missing (frame folder {folder.name} goes on at "
                               f"{path.name}; frames are numbered from 0); extract the frames again")
        if number < index:
            raise DatasetError(f"{path} repeats an earlier frame number; remove the duplicate or stray file")
    return files


def _frame_number(path: Path) -> int:
    """The frame number that ends an image's name (``0042.jpg`` -> 42); a DatasetError if there is none."""
    match = re.search(r"(\d+)$", path.stem)
    if match is None:
        raise DatasetError(f"{path} is not a numbered frame (e.g. 0042.jpg); remove it from the frame folder")
    return int(match.group(1))


def _renumbered(path: Path, number: int) -> str:
    """The name ``path`` would have with frame number ``number``, in its zero padding (``041.jpg`` -> ``042.jpg``)."""
    return re.sub(r"\d+$", lambda digits: f"{number:0{len(digits.group())}d}", path.stem) + path.suffix


def read_image(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """One image file: uint8 RGB ``h w c`` (or ``h w`` with ``flags=cv2.IMREAD_GRAYSCALE``)."""
    data = np.fromfile(path, dtype=np.uint8)
    if path.suffix.lower() in (".jpg", ".jpeg") and not _jpeg_complete(data):
        raise DatasetError(f"JPEG {path} is truncated or corrupt (no end-of-image marker); extract it again")
    image = cv2.imdecode(data, flags)
    if image is None:
        raise DatasetError(f"image {path} cannot be decoded: the file is corrupt or not an image; extract it again")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image


def _jpeg_complete(data: np.ndarray) -> bool:
    """A JPEG starts with the SOI marker and ends with EOI (possibly followed by padding bytes)."""
    tail = data[-64:].tobytes().rstrip(b"\x00\r\n ")
    return data[:2].tobytes() == b"\xff\xd8" and tail.endswith(b"\xff\xd9")


def read_images(paths: list[Path], flags: int = cv2.IMREAD_COLOR, workers: int = 4) -> Iterator[np.ndarray]:
    """Read image files in order, decoding a chunk at a time on threads (OpenCV releases the GIL)."""
    chunk = 8 * workers
    with ThreadPoolExecutor(workers) as pool:
        for start in range(0, len(paths), chunk):
            yield from pool.map(lambda p: read_image(p, flags), paths[start:start + chunk])


def write_image(path: Path, image: np.ndarray) -> None:
    """Write uint8 RGB ``h w c`` or grey ``h w`` as ``.jpg`` (quality 95) or ``.png`` (lossless)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(path), array, params):
        raise DatasetError(f"cannot write image {path}; check that the folder is writable")
