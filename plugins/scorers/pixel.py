"""Built-in pixel scorers: ``mse``, ``l1`` and ``psnr`` (scored as -PSNR)."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_scorers(register):
    register("mse", _mse, description="Mean squared error over pixels and channels.")
    register("l1", _l1, description="Mean absolute error over pixels and channels.")
    register("psnr", _psnr, settings={"mse_floor": 1e-10},
             description="-PSNR with data range 1; the MSE is floored so identical frames stay finite.")


def _mse(**settings):
    from vadbench_plugins.scorers._pixel import MSEScorer

    return MSEScorer(**settings)


def _l1(**settings):
    from vadbench_plugins.scorers._pixel import L1Scorer

    return L1Scorer(**settings)


def _psnr(**settings):
    from vadbench_plugins.scorers._pixel import PSNRScorer

    return PSNRScorer(**settings)
