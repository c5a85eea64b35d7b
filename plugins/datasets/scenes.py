"""Procedural scenes for the synthetic dataset: a textured background with walking paths, walkers in the usual
direction at ordinary speeds, and anomalies of five kinds. Everything is vectorised numpy and deterministic given
the random generator it is handed.

Geometry is in pixels of the output ``size = (h, w)`` and scales with it, so a scene looks the same at 32x32 and at
128x128. Every actor is rasterised into an object map ``f h w`` (0 = background, k = object k) from which the
frames, pixel masks, labels and tracks all derive, so they agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ANOMALY_KINDS = ("running", "wrong_direction", "vehicle", "thrown", "appearance")
WALK_SPEED = 0.015  # of the frame width per frame: a normal walker crosses the scene in about 80 frames
NOISE_SIGMA = 2.0  # sensor noise, uint8 levels
# Clothing and vehicle colours of similar brightness, so an anomaly never stands out by colour or brightness alone.
PALETTE = np.array([[150, 60, 60], [60, 90, 150], [70, 130, 70], [140, 120, 60], [110, 70, 130],
                    [60, 120, 130], [150, 100, 80], [90, 90, 90]], dtype=np.float32)
SKIN = np.array([[224, 180, 150], [190, 140, 110], [150, 105, 80]], dtype=np.float32)


@dataclass(frozen=True)
class Scene:
    """A static backdrop: the background image and the walking paths (walkers go from start to end)."""

    background: np.ndarray  # float32 h w c in [0, 255]
    paths: np.ndarray  # float p 2 2: per path (start, end), each (y, x) in pixels, beyond the frame edge


@dataclass
class Actor:
    """One moving object: its kind, its trajectory and how it is drawn."""

    object_id: int
    kind: str  # "walker" or one of ANOMALY_KINDS
    shape: str  # "person", "box" or "ball"
    y: np.ndarray  # float f: centre row, NaN where the actor is not in the scene
    x: np.ndarray  # float f: centre column
    height: np.ndarray  # float f: full height in pixels
    aspect: float  # width / height
    colours: np.ndarray  # float 2 c: main colour, detail colour (head or windows)

    @property
    def abnormal(self) -> bool:
        return self.kind != "walker"


def make_scene(rng: np.random.Generator, size: tuple[int, int]) -> Scene:
    """A background (ground colour, low-frequency texture, a few blocks, lighter paths) and 2-3 paths."""
    h, w = size
    ground = rng.uniform(80, 140, 3).astype(np.float32)
    coarse = cv2.resize(rng.normal(0, 1, (6, 6, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), max(0.5, w / 128))
    gradient = np.linspace(-15, 15, h, dtype=np.float32)[:, None, None]
    background = ground + 14 * coarse + 12 * fine + gradient
    for _ in range(rng.integers(2, 5)):  # buildings, benches, planters: static structure to reconstruct
        y0, x0 = int(rng.uniform(0, 0.4) * h), int(rng.uniform(0, 0.85) * w)
        bh, bw = int(rng.uniform(0.1, 0.3) * h), int(rng.uniform(0.1, 0.3) * w)
        background[y0:y0 + bh, x0:x0 + bw] = rng.uniform(60, 180, 3).astype(np.float32) + 6 * fine[y0:y0 + bh,
                                                                                                     x0:x0 + bw]
    paths = np.stack([_random_path(rng, size) for _ in range(rng.integers(2, 4))])
    band = max(2, round(0.07 * h))
    lighter = np.zeros((h, w), np.float32)
    for (y0, x0), (y1, x1) in paths:
        cv2.line(lighter, (round(x0), round(y0)), (round(x1), round(y1)), 1.0, band)
    background += 22 * cv2.GaussianBlur(lighter, (0, 0), max(0.5, band / 4))[..., None]
    return Scene(np.clip(background, 0, 255), paths.astype(np.float32))


def _random_path(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A straight path from one side of the lower 70 % of the frame to the other, starting beyond the edge."""
    h, w = size
    ys = rng.uniform(0.35, 0.95, 2) * h
    xs = np.array([-0.1, 1.1]) * w
    path = np.stack([ys, xs], axis=1)
    return path[::-1].copy() if rng.random() < 0.5 else path


def plan_video(rng: np.random.Generator, scene: Scene, size: tuple[int, int], frames: int,
               anomalies: tuple[str, ...]) -> list[Actor]:
    """Normal walkers on every path for the whole video, then the anomalies, each in its own stretch of time.

    Anomalies start between 20 % and 90 % of the video, so every abnormal video also has normal frames.
    """
    actors: list[Actor] = []
    for path in scene.paths:
        t0 = -rng.uniform(0, 1) / WALK_SPEED
        while t0 < frames:
            speed = WALK_SPEED * rng.uniform(0.8, 1.2)
            actors.append(_walker(rng, len(actors) + 1, "walker", path, t0, speed, size, frames))
            t0 += rng.uniform(30, 60)
    ordered = sorted(anomalies, key=lambda kind: kind == "wrong_direction")  # the long one goes last
    bounds = np.linspace(0.2 * frames, 0.9 * frames, len(ordered) + 1)
    for kind, start, stop in zip(ordered, bounds[:-1], bounds[1:]):
        t0 = rng.uniform(start, start + 0.3 * (stop - start))
        actors.append(_anomaly(rng, len(actors) + 1, kind, scene, t0, size, frames))
    return actors


def _walker(rng, object_id, kind, path, t0, speed, size, frames) -> Actor:
    h, w = size
    (y0, x0), (y1, x1) = path
    length = np.hypot(y1 - y0, x1 - x0)
    t = np.arange(frames, dtype=np.float32)
    progress = (t - t0) * speed * w / length
    inside = (progress >= 0) & (progress <= 1)
    lateral = rng.uniform(-0.03, 0.03) * h
    y = np.where(inside, y0 + (y1 - y0) * progress + lateral, np.nan)
    x = np.where(inside, x0 + (x1 - x0) * progress, np.nan)
    height = _perspective(y, h) * 0.14 * h
    bob = 0.04 * height * np.sin(2 * np.pi * (t - t0) * speed * w / (0.5 * np.nan_to_num(height, nan=1)))
    colours = np.stack([PALETTE[rng.integers(len(PALETTE))], SKIN[rng.integers(len(SKIN))]])
    return Actor(object_id, kind, "person", y - height / 2 + bob, x, height, 0.45, colours)


def _perspective(y: np.ndarray, h: int) -> np.ndarray:
    """Size factor of an object standing at row ``y``: nearer (lower) objects look larger."""
    return 0.55 + 0.7 * y / h


def _anomaly(rng, object_id, kind, scene, t0, size, frames) -> Actor:
    h, w = size
    path = scene.paths[rng.integers(len(scene.paths))]
    if kind == "running":
        return _walker(rng, object_id, kind, path, t0, 3.5 * WALK_SPEED * rng.uniform(0.9, 1.1), size, frames)
    if kind == "wrong_direction":
        return _walker(rng, object_id, kind, path[::-1], t0, WALK_SPEED * rng.uniform(1.0, 1.2), size, frames)
    t = np.arange(frames, dtype=np.float32) - t0
    colours = np.stack([PALETTE[rng.integers(len(PALETTE))], PALETTE[rng.integers(len(PALETTE))] * 0.5])
    if kind == "vehicle":  # an oversized box crossing the scene, off the paths' logic
        height = 0.24 * h * _perspective(np.float32(rng.uniform(0.55, 0.85) * h), h)
        direction = rng.choice([-1.0, 1.0])
        x = w / 2 - direction * (w / 2 + 1.2 * height) + direction * 0.03 * w * t
        inside = (t >= 0) & (np.abs(x - w / 2) <= w / 2 + 1.2 * height)
        y = np.full(frames, rng.uniform(0.55, 0.85) * h, np.float32)
        return Actor(object_id, kind, "box", np.where(inside, y, np.nan), x, np.full(frames, height), 2.0, colours)
    if kind == "thrown":  # a small object on a fast parabola, gone when it lands
        y0, x0 = rng.uniform(0.55, 0.85) * h, rng.uniform(0.25, 0.75) * w
        vx, vy, gravity = rng.choice([-1.0, 1.0]) * 0.03 * w, -0.04 * h, 0.003 * h
        y = y0 + vy * t + gravity * t ** 2 / 2
        x = x0 + vx * t
        inside = (t >= 0) & (y <= y0) & (x > -0.05 * w) & (x < 1.05 * w)
        return Actor(object_id, kind, "ball", np.where(inside, y, np.nan), x, np.full(frames, 0.06 * h), 1.0,
                     colours)
    if kind == "appearance":  # a person popping up off the paths, standing, then vanishing
        y0, x0 = rng.uniform(0.4, 0.9) * h, rng.uniform(0.15, 0.85) * w
        inside = (t >= 0) & (t < rng.uniform(20, 30))
        height = np.full(frames, 0.14 * h * _perspective(np.float32(y0), h))
        y = np.where(inside, y0 - height / 2 + 0.02 * height * np.sin(t / 3), np.nan)
        colours = np.stack([PALETTE[rng.integers(len(PALETTE))], SKIN[rng.integers(len(SKIN))]])
        return Actor(object_id, kind, "person", y, np.full(frames, x0), height, 0.45, colours)
    raise ValueError(f"unknown anomaly kind {kind!r}; valid kinds: {', '.join(ANOMALY_KINDS)}")


def _parts(actor: Actor):
    """The ellipses and rectangles an actor is drawn with: (shape, dy, dx, radius y, radius x, colour), with
    offsets and radii as fractions of the actor's height."""
    if actor.shape == "person":
        return [("ellipse", 0.12, 0.0, 0.38, 0.5 * actor.aspect, actor.colours[0]),
                ("ellipse", -0.36, 0.0, 0.13, 0.13, actor.colours[1])]
    if actor.shape == "box":
        return [("rect", 0.0, 0.0, 0.5, 0.5 * actor.aspect, actor.colours[0]),
                ("rect", -0.2, 0.0, 0.15, 0.4 * actor.aspect, actor.colours[1])]
    return [("ellipse", 0.0, 0.0, 0.5, 0.5, actor.colours[0])]


def rasterise(actors: list[Actor], size: tuple[int, int], frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw every actor in order (later ones in front).

    Returns the part map uint8 ``f h w`` (0 = background, k = part k), the object id of each part ``p`` and the
    colour of each part ``p c`` (entry 0 is the background's).
    """
    h, w = size
    rows = np.arange(h, dtype=np.float32)[None, :, None]
    cols = np.arange(w, dtype=np.float32)[None, None, :]
    part_map = np.zeros((frames, h, w), np.uint8)
    part_objects, part_colours = [0], [np.zeros(3, np.float32)]
    for actor in actors:
        present = np.flatnonzero(~np.isnan(actor.y))
        if present.size == 0:
            continue
        for shape, dy, dx, ry, rx, colour in _parts(actor):
            size_ = actor.height[present, None, None]
            cy = actor.y[present, None, None] + dy * size_
            cx = actor.x[present, None, None] + dx * size_
            ay, ax = np.abs(rows - cy) / (ry * size_), np.abs(cols - cx) / (rx * size_)
            inside = (ay ** 2 + ax ** 2 <= 1) if shape == "ellipse" else (ay <= 1) & (ax <= 1)
            part_objects.append(actor.object_id)
            part_colours.append(colour)
            index = len(part_objects) - 1
            view = part_map[present]
            view[inside] = index
            part_map[present] = view
    return part_map, np.array(part_objects, np.uint8), np.stack(part_colours)


def paint(scene: Scene, part_map: np.ndarray, part_colours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 RGB frames ``f h w c``: objects over the background, a little global flicker and sensor noise."""
    frames = np.where(part_map[..., None] > 0, part_colours[part_map], scene.background[None])
    frames *= rng.normal(1.0, 0.01, (len(frames), 1, 1, 1)).astype(np.float32)
    frames += NOISE_SIGMA * rng.standard_normal(frames.shape, dtype=np.float32)
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)
