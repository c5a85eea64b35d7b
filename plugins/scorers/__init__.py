"""The built-in scorer plugin: pixel (mse, l1, psnr), structural (ssim, ms-ssim, cw-ssim) and blob-weighted (wmse).

Each scorer's settings and defaults are its class's ``__init__`` parameters; the classes are imported only when a
scorer is built.
"""

from vadbench import hookimpl


@hookimpl
def register_scorers(register):
    register("mse", "vadbench_plugins.scorers.pixel:MSEScorer",
             description="Mean squared error over pixels and channels.")
    register("l1", "vadbench_plugins.scorers.pixel:L1Scorer",
             description="Mean absolute error over pixels and channels.")
    register("psnr", "vadbench_plugins.scorers.pixel:PSNRScorer",
             description="-PSNR with data range 1; the MSE is floored so identical frames stay finite.")
    register("ssim", "vadbench_plugins.scorers.ssim:SSIMScorer",
             description="1 - SSIM (Wang 2004): Gaussian window, valid region, per channel then averaged.")
    register("ms-ssim", "vadbench_plugins.scorers.ssim:MSSSIMScorer",
             description="1 - MS-SSIM (Wang 2003): 5 scales; a 7-tap window so that 128x128 frames fit.")
    register("cw-ssim", "vadbench_plugins.scorers.cwssim:CWSSIMScorer",
             description="1 - CW-SSIM (Sampat 2009) on luma: complex steerable pyramid, one level, 8 orientations.")
    register("wmse", "vadbench_plugins.scorers.wmse:WMSEScorer",
             description="Blob-weighted MSE: error inside 8-connected blobs of grey discrepancy >= tau "
                         "with at least min_area pixels, weighted by blob area.")
