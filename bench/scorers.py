"""Frames per second of the seven frame scorers next to their reference libraries, on the same inputs.

128x128 RGB float32 pairs, batches of 64 (a smooth scene against a reconstruction with sensor noise, a blur and a
pasted object). Ours runs batched on each device present; the references run as their tests' oracles do:
scikit-image and numpy per frame, pytorch-msssim batched on the same device, pyrtools and scipy per frame.
Threads default to 1 so that torch and the single-threaded references compete on equal terms.

    .venv/bin/python bench/scorers.py [--threads 1] [--batch 64] [--size 128] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy import ndimage
from scipy.signal import correlate2d

from vadbench import plugin_host

SCORERS = ("mse", "l1", "psnr", "ssim", "ms-ssim", "cw-ssim", "wmse")


def make_batch(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frames and reconstructions ``n 3 size size`` (float32 in [0, 1])."""
    rng = np.random.default_rng(seed)
    frames = np.clip(0.5 + 0.6 * ndimage.gaussian_filter(rng.normal(size=(n, 3, size, size)), (0, 0, 3, 3)), 0, 1)
    recons = ndimage.gaussian_filter(frames, (0, 0, 1, 1)) + rng.normal(0, 0.01, frames.shape)
    third = size // 3
    frames[:, :, third:third + size // 8, third:third + size // 6] = np.array([0.9, 0.85, 0.1])[:, None, None]
    return frames.astype(np.float32), np.clip(recons, 0, 1).astype(np.float32)


def per_frame(fn):
    """A reference that scores one HWC float64 frame pair at a time."""
    def run(x: np.ndarray, y: np.ndarray) -> list[float]:
        return [fn(a.transpose(1, 2, 0).astype(np.float64), b.transpose(1, 2, 0).astype(np.float64))
                for a, b in zip(x, y)]
    return run


def references(device: str) -> dict:
    """The reference implementation of each scorer: (description, callable on numpy ``n c h w`` pairs)."""
    import pyrtools as pt
    from pytorch_msssim import ms_ssim
    from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

    def wang_ssim(a, b):
        return 1 - structural_similarity(a, b, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False)

    def pytorch_msssim(x, y):
        tx, ty = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        result = 1 - ms_ssim(tx, ty, data_range=1.0, size_average=False, win_size=7)
        if device == "cuda":
            torch.cuda.synchronize()
        return result

    def cw_ssim(a, b, level=4, orientations=8, win=7):
        luma = [img @ np.array([0.299, 0.587, 0.114]) for img in (a, b)]
        pyramids = [pt.pyramids.SteerablePyramidFreq(img, height=level, order=orientations - 1, is_complex=True)
                    for img in luma]
        box = np.full((win, win), 1 / win**2)
        values = []
        for o in range(orientations):
            b1, b2 = (p.pyr_coeffs[(level - 1, o)] for p in pyramids)
            corr = correlate2d(b1 * np.conj(b2), box, "valid")
            energy = correlate2d(np.abs(b1) ** 2 + np.abs(b2) ** 2, box, "valid")
            side = b1.shape[0]
            g = np.exp(-((np.arange(side - win + 1) - (side - win) / 2) ** 2) / (2 * (side / 4) ** 2))
            values.append(((2 * np.abs(corr) / energy) * np.outer(g, g) / np.outer(g, g).sum()).sum())
        return 1 - np.mean(values)

    def wmse(a, b, tau=0.04, min_area=5):
        active = np.abs(a.mean(-1) - b.mean(-1)) >= tau
        labels, _ = ndimage.label(active, structure=np.ones((3, 3)))
        areas = np.bincount(labels.ravel()).astype(np.float64)
        per_blob = np.where(areas >= min_area, areas, 0.0)
        per_blob[0] = 0.0
        weights = per_blob[labels]
        total = weights.sum()
        return (weights * ((a - b) ** 2).mean(-1)).sum() / total if total else 0.0

    return {
        "mse": ("skimage, per frame", per_frame(mean_squared_error)),
        "l1": ("numpy, per frame", per_frame(lambda a, b: np.abs(a - b).mean())),
        "psnr": ("skimage, per frame", per_frame(lambda a, b: -peak_signal_noise_ratio(a, b, data_range=1.0))),
        "ssim": ("skimage Wang flags, per frame", per_frame(wang_ssim)),
        "ms-ssim": (f"pytorch-msssim, batched ({device})", pytorch_msssim),
        "cw-ssim": ("pyrtools + scipy, per frame", per_frame(cw_ssim)),
        "wmse": ("numpy + scipy.ndimage.label, per frame", per_frame(wmse)),
    }


def frames_per_second(fn, n: int, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frames, recons = make_batch(args.batch, args.size)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"{args.size}x{args.size} RGB, batch {args.batch}, torch threads {args.threads}, best of {args.repeats}")
    print("| device | scorer | ours frames/s | reference frames/s | ratio | reference |")
    print("|---|---|---:|---:|---:|---|")
    for device in devices:
        x, y = torch.from_numpy(frames).to(device), torch.from_numpy(recons).to(device)
        refs = references(device)
        total = 0.0
        for name in SCORERS:
            scorer = plugin_host.catalog("scorer").get(name).build()

            def ours():
                scorer(x, y)
                if device == "cuda":
                    torch.cuda.synchronize()

            label, reference = refs[name]
            fps = frames_per_second(ours, args.batch, args.repeats)
            ref_fps = frames_per_second(lambda: reference(frames, recons), args.batch, args.repeats)
            total += 1 / fps
            print(f"| {device} | {name} | {fps:,.0f} | {ref_fps:,.0f} | {fps / ref_fps:.1f}x | {label} |")
        print(f"| {device} | all seven | {1 / total:,.0f} | | | one frame through every scorer |")


if __name__ == "__main__":
    main()
