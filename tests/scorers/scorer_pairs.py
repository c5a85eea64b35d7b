"""Frame pairs for the scorer tests: random and structured (frame, reconstruction), float64 ``n 3 h w`` in
[0, 1] whose values are exact in float32, so float32 and float64 runs see the same numbers."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

PAIR_NAMES = ("noise", "blur", "shift", "brightness", "pasted", "identical")


def scene(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth textured background with a few flat blocks, ``3 h w``."""
    image = 0.5 + 0.15 * ndimage.gaussian_filter(rng.normal(size=(3, h, w)), (0, 3, 3)) * 4
    for _ in range(3):
        top, left = rng.integers(0, h - h // 4), rng.integers(0, w - w // 4)
        image[:, top:top + h // 5, left:left + w // 5] = rng.uniform(0.2, 0.8, (3, 1, 1))
    return np.clip(image, 0, 1)


def pairs(h: int = 128, w: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frames and reconstructions ``n 3 h w`` for ``PAIR_NAMES``, in that order."""
    rng = np.random.default_rng(seed)
    frames, recons = [], []
    noise = rng.uniform(size=(3, h, w))
    frames.append(noise)
    recons.append(np.clip(noise + rng.normal(0, 0.1, noise.shape), 0, 1))
    base = scene(rng, h, w)
    frames.append(base)
    recons.append(ndimage.gaussian_filter(base, (0, 1, 1)))
    frames.append(base)
    recons.append(np.roll(base, 1, axis=2))
    frames.append(base)
    recons.append(0.9 * base + 0.05)
    pasted = base.copy()
    pasted[:, h // 3:h // 3 + h // 8, w // 2:w // 2 + w // 6] = np.array([0.9, 0.85, 0.1])[:, None, None]
    frames.append(pasted)
    recons.append(np.clip(base + rng.normal(0, 0.008, base.shape), 0, 1))
    frames.append(base)
    recons.append(base.copy())
    as32 = lambda arrays: np.stack(arrays).astype(np.float32).astype(np.float64)  # noqa: E731
    return as32(frames), as32(recons)
