"""WMSE, the blob-weighted score: reconstruction error counted only inside sizeable blobs of discrepancy.

``variant="thesis"`` (the thesis text): grayscale discrepancy d = |mean_c x - mean_c x_hat|, active pixels
d >= tau, 8-connected blobs of at least ``min_area`` pixels, each pixel of blob k weighted w_k (by the blob's
area), score = sum(W * delta2) / sum(W) with delta2 the per-pixel mean over RGB of (x - x_hat)^2; 0 when no
blob survives.

``variant="thesis-code"`` (the public thesis code): frames quantised to grey levels 0-255, d = mean_c |x - x_hat|
in grey levels, active pixels d > 255 tau (rounded to 1/1000 of a level, so tau = 5/255 means d > 5), the
same blobs, score = the W-weighted mean of d in grey levels.

Elementwise work runs on the frames' device; the labelling and the per-blob sums run on the host with
``scipy.ndimage.label`` (one call per batch, in-plane 8-connectivity) and ``np.bincount`` in float64, so a CUDA
batch moves one bool mask and the errors of its active pixels to the host, and ``n`` scores back (the error map:
the mask to the host and the blob weights ``n h w`` back).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from vadbench.data.objects import IN_PLANE_8
from vadbench.errors import ConfigError
from vadbench_plugins.scorers.inputs import checked_pair

VARIANTS = ("thesis", "thesis-code")
WEIGHTS = {
    "area": lambda area: area,
    "area-log1p": lambda area: area * np.log1p(area),
    "area-log": lambda area: area * np.log(area),  # the thesis code's area * ln(area)
    "one": lambda area: np.ones_like(area),
}


def _blobs(active: np.ndarray, min_area: int, weight: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8-connected blobs of ``active`` (bool ``n h w``): the blob id of each active pixel in row-major order
    (``k``, ids from 1), and per id (0 = background) the area A and the weight w (0 below ``min_area``)."""
    labels, count = ndimage.label(active, structure=IN_PLANE_8)
    blob_of_pixel = labels[active]
    areas = np.bincount(blob_of_pixel, minlength=count + 1).astype(np.float64)
    weights = np.where(areas >= min_area, WEIGHTS[weight](np.maximum(areas, 1)), 0.0)
    weights[0] = 0.0  # background
    return blob_of_pixel, areas, weights


def blob_scores(active: np.ndarray, errors: np.ndarray, min_area: int, weight: str) -> np.ndarray:
    """Per-frame scores ``n`` (float64) = sum_k w_k E_k / sum_k w_k A_k over the 8-connected blobs k of
    ``active`` (bool ``n h w``) with area A_k >= ``min_area``, where E_k sums ``errors`` over the blob;
    ``errors`` holds the error of each active pixel in row-major order (``error[active]``). 0 without blobs.

    This equals sum(W * error) / sum(W) with W = w_k on blob k (``blob_weights``), without building W."""
    blob_of_pixel, areas, weights = _blobs(active, min_area, weight)
    error_sums = np.bincount(blob_of_pixel, weights=errors, minlength=len(areas))
    frame_of_blob = np.zeros(len(areas), dtype=np.intp)
    frame_of_blob[blob_of_pixel] = np.nonzero(active)[0]
    n = len(active)
    numerator = np.bincount(frame_of_blob, weights=weights * error_sums, minlength=n)
    denominator = np.bincount(frame_of_blob, weights=weights * areas, minlength=n)
    return np.divide(numerator, denominator, out=np.zeros(n), where=denominator > 0)


def blob_weights(active: np.ndarray, min_area: int, weight: str) -> np.ndarray:
    """The blob weight map W ``n h w`` (float64) of ``active`` (bool ``n h w``): w_k on the pixels of each blob k
    with area >= ``min_area``, 0 elsewhere."""
    blob_of_pixel, _, weights = _blobs(active, min_area, weight)
    weight_map = np.zeros(active.shape)
    weight_map[active] = weights[blob_of_pixel]
    return weight_map


class WMSEScorer:
    """The blob-weighted score ``n`` (see the module docstring for both variants).

    Error map ``n h w``: W * delta2 * (h w) / sum(W) per frame, with delta2 the variant's per-pixel error (the RGB
    mean of (x - x_hat)^2, or d in grey levels), 0 everywhere in a frame without a surviving blob; its mean over
    pixels is the score."""

    name = "wmse"

    def __init__(self, tau: float = 0.04, min_area: int = 5, weight: str = "area", variant: str = "thesis") -> None:
        if variant not in VARIANTS:
            raise ConfigError(f"scorer.wmse.variant '{variant}' is not one of {', '.join(VARIANTS)}")
        if weight not in WEIGHTS:
            raise ConfigError(f"scorer.wmse.weight '{weight}' is not one of {', '.join(WEIGHTS)}")
        if not 0 <= tau <= 1:
            raise ConfigError(f"scorer.wmse.tau must lie in [0, 1] (intensity units; got {tau!r}); "
                              "0.04 = 10.2 grey levels")
        if not (isinstance(min_area, int) and min_area >= 1):
            raise ConfigError(f"scorer.wmse.min_area must be a positive integer number of pixels (got {min_area!r})")
        self.tau, self.min_area, self.weight, self.variant = float(tau), min_area, weight, variant

    def __call__(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        active, errors = self._active_errors(frames, reconstructions)
        scores = blob_scores(active.cpu().numpy(), errors.double().cpu().numpy(), self.min_area, self.weight)
        return torch.from_numpy(scores).to(device=active.device, dtype=torch.float32)

    def error_map(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
        """W * delta2 / mean(W) per frame, ``n h w`` (see the class docstring)."""
        active, errors = self._active_errors(frames, reconstructions)
        weights = torch.from_numpy(blob_weights(active.cpu().numpy(), self.min_area, self.weight)).to(errors)
        mean_weight = weights.mean(dim=(1, 2), keepdim=True)  # sum(W) / (h w)
        weights = weights / mean_weight.where(mean_weight > 0, 1.0)
        error_map = torch.zeros_like(weights)
        error_map[active] = weights[active] * errors
        return error_map.float()

    def _active_errors(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The active pixels, bool ``n h w``, and the variant's per-pixel error on them, ``k`` in row-major order."""
        x, y = checked_pair(self.name, frames, reconstructions)
        if self.variant == "thesis":
            difference = x - y  # mean_c x - mean_c x_hat = mean_c (x - x_hat)
            active = difference.mean(dim=1).abs() >= self.tau
            return active, difference.movedim(1, -1)[active].square().mean(dim=-1)
        grey = (torch.round(x * 255) - torch.round(y * 255)).abs().mean(dim=1)
        active = grey > round(255 * self.tau, 3)
        return active, grey[active]
