"""``scores``: evaluate per-frame anomaly scores computed outside vadbench under the same protocol."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_models(register):
    register("scores", _scores, settings={"path": "", "invert": False},
             description="Reads per-frame scores from files (a folder of <video>.npy/.txt, or one .npz keyed by "
                         "video id); invert=true for regularity scores such as PSNR.")


def _scores(**settings):
    from vadbench_plugins.models._scores import ExternalScores

    return ExternalScores(**settings)
