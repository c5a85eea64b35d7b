"""``interp``: the non-learned floor of every leaderboard — masked frames interpolated between anchors in time."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_models(register):
    register("interp", _interp, settings={"mode": "linear"},
             description="Non-learned floor: each masked frame is interpolated in time between its nearest anchors "
                         "(mode linear or nearest).")


def _interp(**settings):
    from vadbench_plugins.models._interp import TemporalInterpolation

    return TemporalInterpolation(**settings)
