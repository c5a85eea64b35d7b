"""Built-in complex-wavelet scorer: ``cw-ssim`` (scored as 1 - CW-SSIM, on luma)."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_scorers(register):
    register("cw-ssim", _cw_ssim, settings={"level": 4, "orientations": 8, "window": 7, "k": 0.0},
             description="1 - CW-SSIM (Sampat 2009) on luma: complex steerable pyramid, one level, 8 orientations.")


def _cw_ssim(**settings):
    from vadbench_plugins.scorers._cwssim import CWSSIMScorer

    return CWSSIMScorer(**settings)
