"""An example third-party vadbench plugin: one model and one scorer, registered through the entry point."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_models(register):
    register("mean-anchor", MeanAnchor, description="Masked frames = mean of the window's anchor frames.")


@hookimpl
def register_scorers(register):
    register("patch-max", PatchMax,
             description="Largest mean squared error over non-overlapping patch x patch tiles.")


class MeanAnchor:
    """A reconstruction model that learns nothing (no fit, no load): every masked frame becomes the mean of the
    anchors."""

    name = "mean-anchor"

    def reconstruct(self, clips, anchors):
        """``clips`` float ``b l c h w``, ``anchors`` bool ``l`` -> ``b l c h w``."""
        mean = clips[:, anchors].mean(dim=1, keepdim=True)
        return clips.where(anchors.view(1, -1, 1, 1, 1), mean)

    def provenance(self):
        return {}


class PatchMax:
    """Score = max over tiles of the tile's mean squared error; ``n c h w`` -> ``n``. Its one setting, ``patch``, is
    its ``__init__`` parameter: the default there is the default users see."""

    name = "patch-max"

    def __init__(self, patch: int = 8):
        self.patch = int(patch)

    def __call__(self, frames, reconstructions):
        import torch.nn.functional as F

        squared = (frames - reconstructions).pow(2).mean(dim=1, keepdim=True)
        tiles = F.avg_pool2d(squared, self.patch, ceil_mode=True)
        return tiles.flatten(1).amax(dim=1).float()
