"""Built-in structural scorers: ``ssim`` and ``ms-ssim`` (scored as 1 - index)."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_scorers(register):
    register("ssim", _ssim, settings={"win_size": 11, "sigma": 1.5, "k1": 0.01, "k2": 0.03},
             description="1 - SSIM (Wang 2004): Gaussian window, valid region, per channel then averaged.")
    register("ms-ssim", _ms_ssim, settings={"win_size": 7, "sigma": 1.5, "scales": 5, "k1": 0.01, "k2": 0.03},
             description="1 - MS-SSIM (Wang 2003): 5 scales; a 7-tap window so that 128x128 frames fit.")


def _ssim(**settings):
    from vadbench_plugins.scorers._ssim import SSIMScorer

    return SSIMScorer(**settings)


def _ms_ssim(**settings):
    from vadbench_plugins.scorers._ssim import MSSSIMScorer

    return MSSSIMScorer(**settings)
