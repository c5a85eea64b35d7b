"""The built-in model plugin: the RaMViD pair, the non-learned ``interp`` floor and externally computed ``scores``.

Settings and defaults live with each model class (its ``__init__`` parameters, or RaMViD's ``RamvidSettings``);
the classes, and torch with them, are imported only when a model is built.
"""

from vadbench import hookimpl

# Kind-wide ``--cfg-options`` names of the RaMViD sampler settings: ``sampler.steps=20`` sets sampling_steps.
SAMPLER_ALIASES = {"sampler.name": "sampler", "sampler.steps": "sampling_steps", "sampler.eta": "eta",
                   "sampler.batch_size": "infer_batch_size"}


@hookimpl
def register_models(register):
    register("attention-ramvid", "vadbench_plugins.models.ramvid:AttentionRamvid", aliases=SAMPLER_ALIASES,
             description="RaMViD video diffusion (3D U-Net) with multi-head self-attention over space-time tokens.")
    register("mamba-ramvid", "vadbench_plugins.models.ramvid:MambaRamvid", aliases=SAMPLER_ALIASES,
             reported_as="Mamba-RaMViD (Capobianco 2025)",
             description="RaMViD video diffusion (3D U-Net) with bidirectional Mamba blocks in place of attention.")
    register("interp", "vadbench_plugins.models.interp:TemporalInterpolation",
             description="Non-learned floor: each masked frame is interpolated in time between its nearest anchors "
                         "(mode linear or nearest).")
    register("scores", "vadbench_plugins.models.scores:ExternalScores",
             description="Reads per-frame scores from files (a folder of <video>.npy/.txt, or one .npz keyed by "
                         "video id); invert=true for regularity scores such as PSNR; maps=DIR adds per-frame "
                         "error maps (<video>.npy, f h w) for the localisation metrics.")
