"""CW-SSIM (Sampat, Wang, Gupta, Bovik & Markey, IEEE TIP 2009) on the luma channel, scored as 1 - index.

As in the reference MATLAB ``cwssim_index(img1, img2, level, or, 0, K)``: the complex steerable pyramid's
bands at one ``level``, per band the map (2 |sum c1 c2*| + K) / (sum |c1|^2 + sum |c2|^2 + K) over a sliding
box (valid region), pooled with a normalised Gaussian whose sigma is a quarter of the band height on both axes, then averaged
over orientations. The bands are computed directly in the Fourier domain (one FFT per frame, the spectrum's
centre cropped to the band size, one small inverse FFT per orientation); their frequency responses are a port
of pyrtools' ``SteerablePyramidFreq(is_complex=True)``, which the tests use as the oracle. The spectrum and the
map are computed in float64: with K = 0 the map is a ratio of band energies, and float32 FFT noise would decide
it in flat regions.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from vadbench.errors import ConfigError
from vadbench_plugins.scorers.filters import SeparableValidFilter, box_taps, gaussian_taps
from vadbench_plugins.scorers.inputs import ChunkedScorer, checked_pair, luma

GUARD = 1e-12  # added to numerator and denominator: two empty bands (0/0) count as identical


def _raised_cosine(width: float = 1.0, position: float = -0.5) -> tuple[np.ndarray, np.ndarray]:
    """pyrtools ``rcosFn(width, position, (0, 1))``: abscissae and values of a raised-cosine step, ends repeated."""
    size = 256
    x = np.pi * np.arange(-size - 1, 2) / (2 * size)
    y = np.cos(x) ** 2
    y[0], y[size + 2] = y[1], y[size + 1]
    return position + (2 * width / np.pi) * (x + np.pi / 4), y


def _centre_crop(dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and size of the next level's window in a centred spectrum of size ``dims`` (pyrtools' rule)."""
    centre = np.ceil((dims + 0.5) / 2).astype(int)
    size = np.ceil((dims - 0.5) / 2).astype(int)
    return centre - np.ceil((size + 0.5) / 2).astype(int), size


def steerable_band_responses(h: int, w: int, level: int, orientations: int) -> tuple[tuple[int, int], np.ndarray]:
    """Frequency responses ``o hb wb`` (complex128, centred spectrum) of the complex steerable pyramid's
    ``orientations`` bands at ``level`` (1 = finest) of an ``h w`` image, and the (top, left) corner of their
    ``hb wb`` window in the centred ``h w`` spectrum. A band is ``ifft2(ifftshift(window * response))``."""
    order = orientations - 1
    dims = np.array([h, w])
    centre = np.ceil((dims + 0.5) / 2).astype(int)
    xramp, yramp = np.meshgrid(np.linspace(-1, 1, w + 1)[:-1], np.linspace(-1, 1, h + 1)[:-1])
    angle = np.arctan2(yramp, xramp)
    radius = np.sqrt(xramp**2 + yramp**2)
    radius[centre[0] - 1, centre[1] - 1] = radius[centre[0] - 1, centre[1] - 2]
    log_rad = np.log2(radius)

    x_rcos, y_rcos = _raised_cosine()
    y_rcos = np.sqrt(y_rcos)
    y_ircos = np.sqrt(1.0 - y_rcos**2)
    response = np.interp(log_rad, x_rcos, y_ircos)  # lo0 mask
    corner = np.zeros(2, dtype=int)
    for _ in range(level - 1):
        x_rcos = x_rcos - 1
        start, size = _centre_crop(np.array(log_rad.shape))
        window = (slice(start[0], start[0] + size[0]), slice(start[1], start[1] + size[1]))
        corner += start
        log_rad, angle, response = log_rad[window], angle[window], response[window]
        response = response * np.interp(log_rad, x_rcos, y_ircos)  # the level's low-pass mask
    x_rcos = x_rcos - 1
    response = response * np.interp(log_rad, x_rcos, y_rcos)  # the level's high-pass mask

    lut_size = 1024
    x_cos = np.pi * np.arange(-(2 * lut_size + 1), lut_size + 2) / lut_size
    const = 2 ** (2 * order) * math.factorial(order) ** 2 / (orientations * math.factorial(2 * order))
    alpha = ((np.pi + x_cos) % (2 * np.pi)) - np.pi
    y_cos = 2 * np.sqrt(const) * np.cos(x_cos) ** order * (np.abs(alpha) < np.pi / 2)
    angular = np.stack([np.interp(angle, x_cos + np.pi * b / orientations, y_cos) for b in range(orientations)])
    return (int(corner[0]), int(corner[1])), (-1j) ** order * response * angular


class CWSSIMScorer(ChunkedScorer):
    """1 - CW-SSIM ``n`` of the luma of frames and reconstructions.

    Error map ``n h w``: 1 - the CW-SSIM index map averaged over orientations, at the band's resolution (the band
    is ``h/2^(level-1)`` wide): over the box filter's valid region, its edge values replicated back to the band's
    size so that it stays aligned with the frame, then resized bilinearly to ``h w``. The pooling Gaussian weights
    the score; the map is unweighted."""

    name = "cw-ssim"

    def __init__(self, level: int = 4, orientations: int = 8, window: int = 7, k: float = 0.0) -> None:
        if not (isinstance(level, int) and level >= 1):
            raise ConfigError(f"scorer.cw-ssim.level must be a positive integer (got {level!r})")
        if not (isinstance(orientations, int) and 2 <= orientations <= 16):
            raise ConfigError(f"scorer.cw-ssim.orientations must be an integer from 2 to 16 (got {orientations!r})")
        if not (isinstance(window, int) and window >= 1 and window % 2 == 1):
            raise ConfigError(f"scorer.cw-ssim.window must be an odd positive integer (got {window!r})")
        if not k >= 0:
            raise ConfigError(f"scorer.cw-ssim.k must be >= 0 (got {k!r}); the published default is 0")
        self.level, self.orientations, self.window, self.k = level, orientations, window, float(k)
        self.box = SeparableValidFilter(box_taps(window))
        self._cache: dict[tuple, tuple] = {}

    def _inputs(self, frames: torch.Tensor, reconstructions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = checked_pair(self.name, frames, reconstructions)
        return luma(x.double()), luma(y.double())

    def _index_maps(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``x``, ``y``: luma ``n h w`` (float64) -> the CW-SSIM index map per orientation, ``n o hb' wb'`` over
        the box filter's valid region of the band."""
        (top, left), responses, _ = self._prepared(*x.shape[-2:], x.device)
        hb, wb = responses.shape[-2:]
        spectrum = torch.fft.fftshift(torch.fft.fft2(torch.stack([x, y])), dim=(-2, -1))
        spectrum = spectrum[..., top:top + hb, left:left + wb]
        bands = torch.fft.ifft2(torch.fft.ifftshift(spectrum[:, :, None] * responses, dim=(-2, -1)))  # 2 n o hb wb
        correlation = bands[0] * bands[1].conj()
        energy = bands.real.square().sum(0) + bands.imag.square().sum(0)
        corr_re, corr_im, energy = self.box(torch.stack([correlation.real, correlation.imag, energy])).unbind(0)
        return (2 * torch.hypot(corr_re, corr_im) + self.k + GUARD) / (energy + self.k + GUARD)

    def _score(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        _, _, pooling = self._prepared(*x.shape[-2:], x.device)
        return ((1 - self._index_maps(x, y)) * pooling).sum(dim=(-2, -1)).mean(dim=-1)

    def _map(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        local = self.box.pad_back(1 - self._index_maps(x, y).mean(dim=1))  # n hb wb
        return F.interpolate(local[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]

    def _prepared(self, h: int, w: int, device: torch.device) -> tuple:
        key = (h, w, device)
        if key not in self._cache:
            self._check_size(h, w)
            corner, responses = steerable_band_responses(h, w, self.level, self.orientations)
            hb, wb = responses.shape[-2:]
            # cwssim_index.m: fspecial('gaussian', [rows cols], M/4), one sigma (the band's height / 4) on both axes
            pooling = np.outer(gaussian_taps(hb - self.window + 1, hb / 4), gaussian_taps(wb - self.window + 1, hb / 4))
            self._cache[key] = (corner, torch.from_numpy(responses).to(device), torch.from_numpy(pooling).to(device))
        return self._cache[key]

    def _check_size(self, h: int, w: int) -> None:
        highest = int(math.floor(math.log2(min(h, w)))) - 2
        band = min(h, w)
        for _ in range(self.level - 1):
            band = math.ceil(band / 2)
        if self.level > highest or band < self.window:
            fits = [lv for lv in range(1, max(highest, 0) + 1) if math.ceil(min(h, w) / 2 ** (lv - 1)) >= self.window]
            fix = f"use scorer.cw-ssim.level={max(fits)}" if fits else "score at a higher resolution"
            raise ConfigError(
                f"cw-ssim level {self.level} does not fit {h}x{w} frames: the pyramid has at most {highest} levels "
                f"there and the level-{self.level} band ({band}x{band}) must hold the {self.window}x{self.window} "
                f"window; {fix} (level 4 needs at least 64x64; its band is 16x16 at 128x128)"
            )
